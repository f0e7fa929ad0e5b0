"""Decode once at the size needed: accuracy and speed of the working image.

For every shared demo photo (242, 150-800 px), each of them enlarged to 640-1,280 px, and
a set of generated 12 MP phone photos, compares the embedding (ONNX fp32, shipped bundle)
of the working image (``decode_image(fit=...)``: reduced JPEG decoding + one downscale)
with that of the full decode, and the top class of the shipped head. Then times full vs
working decoding + model input on the phone photos (min/median of 3, load average noted).

    PYTHONPATH=. .venv/bin/python benchmarks/bench_decode.py [--phones 12]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from photo_sets import demo_photos, synth_medium, synth_phone

from idtool.config import SHIPPED_MODELS_DIR
from idtool.model.bundle import load_bundle
from idtool.model.discovery import SHIPPED_BUNDLE
from idtool.model.preprocess import decode_image, to_model_input
from idtool.model.runtime import load_engine


def _embed(engine, bundle, paths: list[Path], fit: bool) -> np.ndarray:
    out = []
    for start in range(0, len(paths), 16):
        batch = [
            to_model_input(
                decode_image(p, fit=bundle.preprocess if fit else None).rgb, bundle.preprocess
            )
            for p in paths[start : start + 16]
        ]
        out.append(engine.embed(np.stack(batch)))
    return np.concatenate(out)


def compare(name: str, engine, bundle, paths: list[Path]) -> None:
    full = _embed(engine, bundle, paths, fit=False)
    work = _embed(engine, bundle, paths, fit=True)
    cos = (full * work).sum(axis=1)
    same_top = ""
    if bundle.head is not None:
        top_full = bundle.head.probabilities(full).argmax(axis=1)
        top_work = bundle.head.probabilities(work).argmax(axis=1)
        same_top = f", same top class (head) {int((top_full == top_work).sum())}/{len(paths)}"
    print(
        f"{name:<28} n={len(paths):<4} cosine working vs full decode: min {cos.min():.4f} "
        f"median {np.median(cos):.4f} p5 {np.percentile(cos, 5):.4f}{same_top}",
        flush=True,
    )


def time_decode(paths: list[Path], bundle, repeats: int) -> None:
    rows = {"full decode + model input": None, "working image + model input": bundle.preprocess}
    for label, fit in rows.items():
        runs = []
        for _ in range(repeats):
            started = time.perf_counter()
            for p in paths:
                to_model_input(decode_image(p, fit=fit).rgb, bundle.preprocess)
            runs.append((time.perf_counter() - started) * 1000 / len(paths))
        print(
            f"{label:<30} 12 MP: min {min(runs):6.1f} median {statistics.median(runs):6.1f} "
            f"ms/photo (load {os.getloadavg()[0]:.2f})",
            flush=True,
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phones", type=int, default=12)
    parser.add_argument("--medium", type=int, default=242)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    bundle = load_bundle(SHIPPED_MODELS_DIR / SHIPPED_BUNDLE)
    engine = load_engine(bundle, "onnx")
    photos = demo_photos()
    if not photos:
        print("no demo photos under ../shared/data/reference_demo", file=sys.stderr)
        return 1
    print(f"load average {os.getloadavg()}; engine {engine.name}")
    with tempfile.TemporaryDirectory() as tmp:
        medium = synth_medium(Path(tmp) / "medium", args.medium)
        phones = synth_phone(Path(tmp) / "phone", args.phones)
        compare("demo photos as shipped", engine, bundle, photos)
        compare("640-1,280 px variants", engine, bundle, medium)
        compare("12 MP phone photos", engine, bundle, phones)
        time_decode(phones, bundle, args.repeats)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
