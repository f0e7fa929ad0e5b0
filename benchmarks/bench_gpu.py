"""Batch photos/s on a 10,000-photo folder with the execution provider named, plus a
CPU-vs-GPU embedding parity check.

The folder (``--photos``, default 10,000 unique files, so the SHA-256 de-duplication
does not shrink it) is generated from the shared demo photos: 80 % medium JPEGs of
640-1,280 px, 15 % thumbnails of 160-400 px, 5 % 12 MP phone photos (``photo_sets.py``).
``idtool batch`` (``run_batch``) then runs over it with the engine ``load_engine`` picks:
ONNX IdentificationService's CUDA provider when ``onnxruntime-gpu`` and a device are present
(``onnxruntime-fp32-cuda``), else the CPU. The parity check embeds ``--parity`` photos
with ONNX IdentificationService on the CPU and on the GPU and prints the lowest cosine similarity
(the GPU path must keep it at or above 0.999; exit 1 otherwise).

``onnxruntime-gpu`` replaces ``onnxruntime`` in the environment (both install the same
``onnxruntime`` module)::

    .venv/bin/pip uninstall -y onnxruntime && .venv/bin/pip install onnxruntime-gpu
    PYTHONPATH=. .venv/bin/python benchmarks/bench_gpu.py [--photos 10000] [--parity 256]
        [--work /tmp/bench_gpu]

On a machine without a GPU it runs on the CPU and says so (and skips the parity check).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from bench_batch import _photos, peak_rss_mb, run_batch_mode  # noqa: E402
from bench_batch import prepare as prepare_bundle  # noqa: E402
from photo_sets import _sources, demo_photos, phone_jpeg, synth_medium  # noqa: E402

MIN_COSINE = 0.999


def _thumbnails(target: Path, start: int, count: int, seed: int) -> None:
    rng = random.Random(seed)
    sources = demo_photos()
    for i in range(start, start + count):
        img = cv2.imread(str(sources[i % len(sources)]))
        side = rng.randint(160, 400)
        scale = side / max(img.shape[:2])
        img = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        img = cv2.convertScaleAbs(img, alpha=rng.uniform(0.85, 1.15), beta=rng.uniform(-15, 15))
        sub = target / f"t{i % 10}"
        sub.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(sub / f"t{i:05d}.jpg"), img, [cv2.IMWRITE_JPEG_QUALITY, 85])


def _phones(target: Path, start: int, count: int, seed: int) -> None:
    sources = _sources()
    for i in range(start, start + count):
        rgb = cv2.cvtColor(cv2.imread(str(sources[i % len(sources)])), cv2.COLOR_BGR2RGB)
        sub = target / f"p{i % 10}"
        sub.mkdir(parents=True, exist_ok=True)
        orientation = 6 if i % 3 == 2 else 1
        (sub / f"phone{i:05d}.jpg").write_bytes(phone_jpeg(rgb, seed + i, orientation))


def _medium(target: Path, start: int, count: int, seed: int) -> None:
    synth_medium(target / f"m{start:05d}", count, seed=seed + start)


def make_folder(folder: Path, photos: int) -> None:
    """``photos`` unique JPEGs of mixed sizes (see the module docstring), in parallel."""
    stamp = folder / ".made.json"
    if stamp.is_file() and json.loads(stamp.read_text()) == {"photos": photos}:
        return
    phones, thumbs = photos // 20, (photos * 3) // 20
    medium = photos - phones - thumbs
    jobs = []
    step = 250
    for kind, total in ((_medium, medium), (_thumbnails, thumbs), (_phones, phones)):
        for start in range(0, total, step):
            jobs.append((kind, folder / kind.__name__.strip("_"), start, min(step, total - start)))
    with ProcessPoolExecutor(max_workers=os.cpu_count()) as pool:
        for future in [pool.submit(kind, target, s, n, 7) for kind, target, s, n in jobs]:
            future.result()
    stamp.write_text(json.dumps({"photos": photos}))


def parity(work: Path, folder: Path, count: int) -> float | None:
    """The lowest cosine between CPU and GPU embeddings of ``count`` photos (None: no GPU)."""
    import onnxruntime

    from idtool.model.bundle import load_bundle
    from idtool.model.preprocess import decode_image
    from idtool.model.runtime import CPU_PROVIDER, OnnxEngine, choose_providers, onnx_path

    providers = choose_providers(onnxruntime.get_available_providers())
    if providers[0] == CPU_PROVIDER:
        return None
    bundle = load_bundle(work / "bundle")
    photos = _photos(folder)[:: max(1, len(_photos(folder)) // count)][:count]
    batch = np.stack(
        [decode_image(p, fit=bundle.preprocess).model_input_for(bundle.preprocess) for p in photos]
    )
    path = onnx_path(bundle, "fp32")
    cpu = OnnxEngine(path, "fp32", providers=[CPU_PROVIDER]).embed(batch)
    gpu_engine = OnnxEngine(path, "fp32", providers=providers)
    if gpu_engine.provider == CPU_PROVIDER:
        return None  # a GPU build without a usable device
    gpu = np.concatenate([gpu_engine.embed(batch[i : i + 64]) for i in range(0, len(batch), 64)])
    return float(np.min(np.sum(cpu * gpu, axis=1)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=10_000)
    parser.add_argument("--parity", type=int, default=256, help="photos for the cosine check")
    parser.add_argument("--work", type=Path, default=Path("/tmp/bench_gpu"))
    parser.add_argument("--workers", type=int, default=0, help="decode workers (0: CPUs)")
    args = parser.parse_args()
    prepare_bundle(args.work, medium=8, phones=2, materials=4, phone_materials=1)
    folder = args.work / "photos"
    started = time.perf_counter()
    make_folder(folder, args.photos)
    print(f"folder: {args.photos} photos ({time.perf_counter() - started:.0f} s)", flush=True)
    cosine = parity(args.work, folder, args.parity)
    if cosine is None:
        print("parity: no GPU provider with a device here; skipped")
    else:
        print(f"parity: lowest cosine CPU vs GPU over {args.parity} photos {cosine:.6f}")
    from idtool.model.runtime import GPU_BATCH_SIZE

    workers = args.workers or os.cpu_count() or 2
    row = run_batch_mode(args.work, folder, GPU_BATCH_SIZE, workers)
    print(
        f"batch: {row['images']} photos ({row['failed']} failed) with {row['runtime']}, "
        f"{workers} decode workers: {row['images'] / row['seconds']:.1f} photos/s end to end, "
        f"{row['images'] / row['processing_seconds']:.1f} photos/s processing loop; "
        f"peak RSS {peak_rss_mb():.0f} MB; load {os.getloadavg()[0]:.2f}"
    )
    if cosine is not None and cosine < MIN_COSINE:
        raise SystemExit(f"parity FAILS: {cosine:.6f} < {MIN_COSINE}")


if __name__ == "__main__":
    main()
