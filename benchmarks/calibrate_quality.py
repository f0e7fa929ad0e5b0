"""Calibrate (and re-check) the photo-quality thresholds of idtool.forensics.quality.

Runs every demo photo (``shared/data/reference_demo/*/*.jpg``, plus ``reference_images/``
if present) as is and with synthetic degradations, prints the distribution of each raw
metric and the pass/warn rate the current thresholds give. The thresholds in
``idtool.forensics.quality.THRESHOLDS`` were chosen from this output: each one sits between the demo
photos (which should pass) and the matching degradation (which should warn).

Each degraded photo is encoded as a JPEG (quality 92, as a camera would store it) and
measured the way identify, batch and the server measure it (``--path working``, the
default): decoded for the shipped model (reduced JPEG decoding + one downscale to the
working image, see idtool.model.preprocess). ``--path full`` measures the full decode instead
(as ``idtool quality`` does). ``--phones N`` adds N generated 12 MP phone photos (and
their degradations) to the demo photos.

Usage:
    PYTHONPATH=. .venv/bin/python benchmarks/calibrate_quality.py [--limit N] [--phones N]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from photo_sets import phone_jpeg

from idtool.forensics.quality import THRESHOLDS, assess_decoded, measure_metrics
from idtool.model.bundle import load_bundle
from idtool.model.preprocess import PreprocessConfig, decode_image

ROOT = Path(__file__).resolve().parents[1]
PHOTO_DIRS = (ROOT.parent / "shared" / "data" / "reference_demo", ROOT / "reference_images")

BLUR_SIGMA_FRAC = 0.01  # Gaussian sigma as a fraction of the long side
DARK_GAIN, DARK_GAMMA = 0.25, 1.6
BRIGHT_GAIN, BRIGHT_OFFSET = 2.2, 40.0
SMALL_OBJECT_FRAC = 0.25  # the object is shrunk to this share of the frame width


def blur(rgb: np.ndarray) -> np.ndarray:
    return cv2.GaussianBlur(rgb, (0, 0), BLUR_SIGMA_FRAC * max(rgb.shape[:2]))


def mild_blur(rgb: np.ndarray) -> np.ndarray:
    return cv2.GaussianBlur(rgb, (0, 0), 0.4 * BLUR_SIGMA_FRAC * max(rgb.shape[:2]))


def darken(rgb: np.ndarray) -> np.ndarray:
    x = (rgb.astype(np.float32) / 255.0) ** DARK_GAMMA * DARK_GAIN
    return np.clip(x * 255.0, 0, 255).astype(np.uint8)


def overexpose(rgb: np.ndarray) -> np.ndarray:
    return np.clip(rgb.astype(np.float32) * BRIGHT_GAIN + BRIGHT_OFFSET, 0, 255).astype(np.uint8)


def small_object(rgb: np.ndarray, seed: int = 0) -> np.ndarray:
    """The photo shrunk into the middle of a plain frame of the same size (a distant shot)."""
    h, w = rgb.shape[:2]
    small = cv2.resize(
        rgb, None, fx=SMALL_OBJECT_FRAC, fy=SMALL_OBJECT_FRAC, interpolation=cv2.INTER_AREA
    )
    border = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]])
    canvas = np.empty_like(rgb)
    canvas[:] = np.median(border, axis=0).astype(np.uint8)
    noise = np.random.default_rng(seed).normal(0, 2.0, rgb.shape)
    canvas = np.clip(canvas + noise, 0, 255).astype(np.uint8)
    sh, sw = small.shape[:2]
    y0, x0 = (h - sh) // 2, (w - sw) // 2
    canvas[y0 : y0 + sh, x0 : x0 + sw] = small
    return canvas


DEGRADATIONS: dict[str, tuple[Callable[[np.ndarray], np.ndarray], str | None]] = {
    "original": (lambda x: x, None),
    "blur": (blur, "sharpness"),
    "mild_blur": (mild_blur, None),  # sigma 0.4 % of the long side: informative only
    "dark": (darken, "exposure_dark"),
    "overexposed": (overexpose, "exposure_bright"),
    "small_object": (small_object, "object_fills_frame"),
}


SHIPPED_BUNDLE = ROOT / "models" / "idtool-lite0-1.0.0"
JPEG_QUALITY = 92
SHARPNESS_SWEEP = (0.004, 0.006, 0.008, 0.010, 0.012, 0.015, 0.020, 0.025)


def measured(rgb: np.ndarray, fit: PreprocessConfig | None) -> tuple:
    """(metrics, report) of ``rgb`` stored as a JPEG and decoded on the chosen path."""
    ok, encoded = cv2.imencode(
        ".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY]
    )
    if not ok:
        raise RuntimeError("cannot encode the test photo")
    decoded = decode_image(encoded.tobytes(), fit=fit)
    return measure_metrics(decoded.rgb, decoded.original_size_px), assess_decoded(decoded)


def find_photos() -> list[Path]:
    photos: list[Path] = []
    for folder in PHOTO_DIRS:
        if folder.is_dir():
            photos += sorted(folder.glob("*/*.jpg"))
    return photos


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=0, help="use only the first N photos")
    parser.add_argument("--path", choices=("working", "full"), default="working")
    parser.add_argument("--phones", type=int, default=0, help="add N generated 12 MP photos")
    args = parser.parse_args(argv)
    fit = load_bundle(SHIPPED_BUNDLE).preprocess if args.path == "working" else None
    photos = find_photos()
    if args.limit:
        photos = photos[:: max(1, len(photos) // args.limit)][: args.limit]
    if not photos:
        print("no demo photos found under", ", ".join(map(str, PHOTO_DIRS)), file=sys.stderr)
        return 1
    print(f"{len(photos)} photos + {args.phones} phone photos, {args.path} path; {THRESHOLDS}")
    metrics: dict[str, list] = {k: [] for k in DEGRADATIONS}
    reports: dict[str, list] = {k: [] for k in DEGRADATIONS}
    elapsed_ms: list[float] = []
    sources: list[np.ndarray] = []
    for path in photos:
        bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if bgr is None:
            print(f"skip unreadable {path}", file=sys.stderr)
            continue
        sources.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    for i in range(args.phones):
        phone = decode_image(phone_jpeg(sources[(i * 7) % len(sources)], i)).rgb
        sources.append(phone)
    for rgb in sources:
        for name, (degrade, _) in DEGRADATIONS.items():
            t0 = time.perf_counter()
            m, report = measured(degrade(rgb), fit)
            elapsed_ms.append((time.perf_counter() - t0) * 1000)
            metrics[name].append(m)
            reports[name].append(report)

    fields = ("sharpness", "mean_luminance", "dark_fraction", "bright_fraction", "fill_fraction")
    print("\nmetric percentiles (p5 / p50 / p95)")
    print(f"{'set':<14}" + "".join(f"{f:>26}" for f in fields))
    for name, ms in metrics.items():
        cells = []
        for f in fields:
            vals = np.array([getattr(m, f) for m in ms])
            p5, p50, p95 = np.percentile(vals, [5, 50, 95])
            cells.append(f"{p5:8.3f}/{p50:8.3f}/{p95:8.3f}")
        print(f"{name:<14}" + "".join(f"{c:>26}" for c in cells))

    print("\npass/warn rates")
    check_names = [c.name for c in reports["original"][0].checks]
    print(f"{'set':<14}{'overall pass':>14}" + "".join(f"{n:>20}" for n in check_names))
    for name, reps in reports.items():
        overall = np.mean([r.verdict == "pass" for r in reps])
        per = [np.mean([r.check(n).verdict == "warn" for r in reps]) for n in check_names]
        print(
            f"{name:<14}{overall:>13.1%} "
            + "".join(f"{'warn ' + format(p, '.1%'):>20}" for p in per)
        )
    for name, (_, target) in DEGRADATIONS.items():
        if target:
            rate = np.mean([r.check(target).verdict == "warn" for r in reports[name]])
            print(f"{name}: {target} warns on {rate:.1%}")
    print("\nsharpness threshold sweep: share of photos that warn")
    print(f"{'threshold':>10}" + "".join(f"{n:>14}" for n in ("original", "mild_blur", "blur")))
    sharp = {n: np.array([m.sharpness for m in metrics[n]]) for n in metrics}
    for cut in SHARPNESS_SWEEP:
        marker = "  <- THRESHOLDS.min_sharpness" if cut == THRESHOLDS.min_sharpness else ""
        rates = [float(np.mean(sharp[n] < cut)) for n in ("original", "mild_blur", "blur")]
        print(f"{cut:>10.3f}" + "".join(f"{r:>14.1%}" for r in rates) + marker)
    print(
        f"lowest original {sharp['original'].min():.4f}, highest blurred {sharp['blur'].max():.4f}"
    )
    print(
        f"\ndecode ({args.path}) + checks: median {np.median(elapsed_ms):.2f} ms, "
        f"p95 {np.percentile(elapsed_ms, 95):.2f} ms per photo"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
