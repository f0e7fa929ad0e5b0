"""End-to-end batch throughput: eager torch baseline vs the local engine (torch, ONNX).

Synthesises N variants (crop, flip, brightness, resize to 640-1280 px) of the demo photos,
builds a base bundle + catalog from ``reference_images/``, exports the bundle to ONNX,
then runs each mode in a fresh process and prints images/s, the ratio to the baseline
and peak RSS:

* ``baseline``: a plain loop, decode -> Identifier.identify_decoded of ONE image with
  eager torch (batch 1);
* ``local-torch``: ``run_batch`` (decode threads + batched inference), torch;
* ``local-onnx``: the same with ONNX Runtime fp32.

    .venv/bin/python benchmarks/bench_batch.py [--images 500] [--work /tmp/bench_batch]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import cv2

DEMO = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "reference_demo"
SHARED_DEMO = Path("/work/shared/data/reference_demo")


def synthesise(target: Path, count: int) -> None:
    sources = sorted((SHARED_DEMO if SHARED_DEMO.is_dir() else DEMO).glob("*/*.jpg"))
    if not sources:
        sys.exit("no demo photos found (shared/data/reference_demo)")
    rng = random.Random(0)
    target.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        img = cv2.imread(str(sources[i % len(sources)]))
        h, w = img.shape[:2]
        dx, dy = rng.randint(0, w // 8), rng.randint(0, h // 8)
        img = img[dy : h - rng.randint(0, h // 8), dx : w - rng.randint(0, w // 8)]
        if rng.random() < 0.5:
            img = cv2.flip(img, 1)
        img = cv2.convertScaleAbs(img, alpha=rng.uniform(0.8, 1.2), beta=rng.uniform(-20, 20))
        long_side = rng.randint(640, 1280)
        scale = long_side / max(img.shape[:2])
        img = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
        sub = target / f"d{i % 10}"
        sub.mkdir(exist_ok=True)
        cv2.imwrite(str(sub / f"v{i:05d}.jpg"), img, [cv2.IMWRITE_JPEG_QUALITY, 88])


def export_onnx(bundle_dir: Path) -> None:
    """Write onnx/model.onnx + sidecar (uses idtool.model.onnx_export when it exists)."""
    from idtool.hashing import sha256_file
    from idtool.model.bundle import load_bundle

    try:
        from idtool.model import onnx_export  # type: ignore[attr-defined]
    except ImportError:
        onnx_export = None
    bundle = load_bundle(bundle_dir)
    if onnx_export is not None and hasattr(onnx_export, "export_onnx"):
        onnx_export.export_onnx(bundle)
        return
    import torch

    out = bundle_dir / "onnx" / "model.onnx"
    out.parent.mkdir(exist_ok=True)
    size = bundle.preprocess.input_size
    torch.onnx.export(
        bundle.create_model().eval(),
        torch.zeros(2, 3, size, size),
        str(out),
        input_names=["input"],
        output_names=["embedding"],
        dynamic_axes={"input": {0: "n"}, "embedding": {0: "n"}},
        dynamo=False,
    )
    out.with_suffix(".json").write_text(
        json.dumps({"embedding_version": bundle.embedding_version, "sha256": sha256_file(out)})
    )


def prepare(work: Path, count: int) -> None:
    from idtool.catalog.reference_import import import_reference_dir
    from idtool.config import SHIPPED_REFERENCE_DIR, load_settings
    from idtool.decide.service import Runtime
    from idtool.model.bundle import build_base_bundle

    if not (work / "photos").is_dir():
        synthesise(work / "photos", count)
    if not (work / "bundle").is_dir():
        build_base_bundle(work / "bundle")
        export_onnx(work / "bundle")
    if not (work / "cat.db").is_file():
        settings = _settings(work)
        runtime = Runtime.open(settings, "torch")
        import_reference_dir(runtime.catalog, runtime.embedder(), SHIPPED_REFERENCE_DIR)
        runtime.close()
    _ = load_settings


def _settings(work: Path):
    from idtool.config import load_settings

    return load_settings(
        home=work / "home", model_dir=work / "bundle", catalog_path=work / "cat.db"
    )


def run_mode(work: Path, mode: str) -> dict[str, float | str]:
    from idtool.batch.items import JobOptions
    from idtool.batch.pipeline import BatchRequest, run_batch
    from idtool.cites.guidance import TradeDeclaration
    from idtool.decide.service import Runtime
    from idtool.model.preprocess import decode_image

    settings = _settings(work)
    photos = sorted((work / "photos").rglob("*.jpg"))
    if mode == "baseline":
        runtime = Runtime.open(settings, "torch")
        identifier = runtime.identifier()
        started = time.perf_counter()
        for path in photos:
            decoded = decode_image(path)
            identifier.identify_decoded([decoded], [str(path)])
        elapsed = time.perf_counter() - started
        engine = runtime.engine.name
    else:
        out = work / f"out-{mode}"
        shutil.rmtree(out, ignore_errors=True)
        options = JobOptions(TradeDeclaration(), 3, settings.max_image_bytes, 60_000_000)
        request = BatchRequest(
            work / "photos", out, options, runtime=mode.split("-")[1], workers=2, batch_size=32
        )
        started = time.perf_counter()
        summary = run_batch(settings, request)
        elapsed = time.perf_counter() - started  # includes walk, model load and report
        engine = summary.runtime
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "mode": mode,
        "engine": engine,
        "images": len(photos),
        "seconds": elapsed,
        "img_per_s": len(photos) / elapsed,
        "peak_rss_mb": rss_mb,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=500)
    parser.add_argument("--work", type=Path, default=Path("/tmp/bench_batch"))
    parser.add_argument("--mode", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.mode == "prepare":
        prepare(args.work, args.images)
        return
    if args.mode:
        print(json.dumps(run_mode(args.work, args.mode)))
        return
    # every step in a fresh process: ru_maxrss would carry the parent's peak otherwise
    subprocess.run(
        [
            *(sys.executable, __file__, "--work", str(args.work), "--images", str(args.images)),
            "--mode",
            "prepare",
        ],
        check=True,
    )
    rows = []
    for mode in ("baseline", "local-torch", "local-onnx"):
        proc = subprocess.run(
            [sys.executable, __file__, "--work", str(args.work), "--mode", mode],
            capture_output=True,
            text=True,
            check=True,
        )
        rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        print(rows[-1], flush=True)
    base = rows[0]["img_per_s"]
    print(f"\n{'mode':<12} {'runtime':<20} {'img/s':>7} {'x baseline':>10} {'peak RSS MB':>12}")
    for r in rows:
        print(
            f"{r['mode']:<12} {r['engine']:<20} {r['img_per_s']:>7.1f} "
            f"{r['img_per_s'] / base:>10.1f} {r['peak_rss_mb']:>12.0f}"
        )


if __name__ == "__main__":
    main()
