"""Embedding speed on this CPU: eager timm vs channels_last vs torch.compile vs ONNX Runtime.

Not a test. Each path runs in its own subprocess (clean peak RSS, clean thread state):
ms per image at batch 1 (median of N after warm-up) and at batch 8/16, then the
int8 models' cosine to fp32 and a nearest-prototype classifier's leave-one-out top-1
on the demo photos, fp32 vs int8. Preprocessing (decode + resize + normalise) is timed
too, so the end-to-end budget per photo is clear.

    .venv/bin/python benchmarks/bench_embedding.py [--photos DIR] [--n 100] [--no-compile]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PHOTOS = ROOT.parent / "shared" / "data" / "reference_demo"
PATHS = (
    "eager",
    "eager-channels-last",
    "torch-compile",
    "ort-fp32",
    "ort-int8-all",
    "ort-int8-keep-early",
)
INT8_FILES = {"ort-int8-all": "all-convs", "ort-int8-keep-early": "keep-stem-early-head-fp32"}


def _load_photos(folder: Path, bundle) -> tuple[np.ndarray, np.ndarray, float]:
    from idtool.model.preprocess import decode_image, to_model_input

    classes = sorted(p for p in folder.iterdir() if p.is_dir())
    xs, ys, times = [], [], []
    for label, cls in enumerate(classes):
        for photo in sorted(cls.glob("*.jpg")):
            start = time.perf_counter()
            xs.append(to_model_input(decode_image(photo).rgb, bundle.preprocess))
            times.append(time.perf_counter() - start)
            ys.append(label)
    return np.stack(xs), np.array(ys), statistics.median(times) * 1000


def _engine(path: str, bundle, work: Path):
    """A callable batch -> raw embeddings for one path."""
    import torch

    if path.startswith("ort-"):
        import onnxruntime as ort

        file = work / ("model.onnx" if path == "ort-fp32" else f"{INT8_FILES[path]}.int8.onnx")
        options = ort.SessionOptions()
        options.intra_op_num_threads = os.cpu_count() or 2
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        session = ort.InferenceSession(str(file), options, providers=["CPUExecutionProvider"])
        return lambda x: session.run(None, {"input": x})[0]
    model = bundle.create_model()
    channels_last = path != "eager"
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    if path == "torch-compile":
        model = torch.compile(model)

    def run(x: np.ndarray) -> np.ndarray:
        tensor = torch.from_numpy(x)
        if channels_last:
            tensor = tensor.contiguous(memory_format=torch.channels_last)
        with torch.inference_mode():
            return model(tensor).numpy()

    return run


def worker(path: str, bundle_dir: Path, work: Path, n: int) -> None:
    from idtool.model.bundle import load_bundle

    bundle = load_bundle(bundle_dir)
    photos = np.load(work / "photos.npy")
    start = time.perf_counter()
    run = _engine(path, bundle, work)
    run(photos[:1])  # compile / session warm-up
    setup_s = time.perf_counter() - start
    result: dict = {"path": path, "setup_s": round(setup_s, 1), "ms_per_image": {}}
    for batch_size, repeats in ((1, n), (8, max(n // 5, 5)), (16, max(n // 10, 5))):
        batch = np.ascontiguousarray(photos[:batch_size])
        for _ in range(5):
            run(batch)
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            run(batch)
            times.append(time.perf_counter() - start)
        result["ms_per_image"][batch_size] = statistics.median(times) * 1000 / batch_size
        result.setdefault("min_ms_batch1", min(times) * 1000)
    embeddings = np.concatenate([run(photos[i : i + 16]) for i in range(0, len(photos), 16)])
    np.save(work / f"emb-{path}.npy", embeddings)
    result["peak_rss_mib"] = _peak_rss_mib()
    print(json.dumps(result))


def _peak_rss_mib() -> float:
    """This process's peak RSS (VmHWM; ru_maxrss would include the parent's at fork)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _normalise(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)


def prototype_predictions(emb: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Leave-one-out nearest class mean (cosine) over L2-normalised embeddings."""
    emb = _normalise(emb)
    classes = np.unique(labels)
    sums = np.stack([emb[labels == c].sum(axis=0) for c in classes])
    counts = np.array([(labels == c).sum() for c in classes], dtype=np.float64)
    preds = np.empty(len(emb), dtype=int)
    for i, (vector, label) in enumerate(zip(emb, labels, strict=True)):
        protos, k = sums.copy(), counts.copy()
        protos[label] -= vector
        k[label] -= 1
        protos = _normalise(protos / k[:, None])
        preds[i] = classes[int(np.argmax(protos @ vector))]
    return preds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=Path, default=DEFAULT_PHOTOS)
    parser.add_argument("--n", type=int, default=100, help="timed runs at batch 1")
    parser.add_argument("--no-compile", action="store_true", help="skip torch.compile")
    parser.add_argument("--compile-timeout-s", type=int, default=300)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--bundle", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.bundle, args.work, args.n)
        return

    from idtool.model.bundle import build_base_bundle, load_bundle
    from idtool.model.onnx_export import INT8_RECIPES, export_onnx, quantize_int8

    if not args.photos.is_dir():
        sys.exit(f"no photos at {args.photos} (pass --photos DIR with <class>/*.jpg)")
    work = Path(tempfile.mkdtemp(prefix="bench-embedding-"))
    try:
        bundle = load_bundle(build_base_bundle(work / "bundle"))
        photos, labels, prep_ms = _load_photos(args.photos, bundle)
        np.save(work / "photos.npy", photos)
        print(
            f"{len(photos)} photos, {len(np.unique(labels))} classes; {platform.processor() or platform.machine()}, "
            f"{os.cpu_count()} cpus; load average {os.getloadavg()[0]:.1f}",
            file=sys.stderr,
        )
        start = time.perf_counter()
        (fp32,) = export_onnx(
            bundle, int8=False, calibration_images=sorted(args.photos.glob("*/*.jpg"))
        )
        shutil.copy(fp32, work / "model.onnx")
        for recipe in INT8_RECIPES:  # calibrate on even photos; odd ones are held out
            quantize_int8(fp32, work / f"{recipe.name}.int8.onnx", photos[0::2], recipe, work)
        print(f"export + quantization: {time.perf_counter() - start:.0f} s", file=sys.stderr)

        results = {}
        for path in PATHS:
            if path == "torch-compile" and args.no_compile:
                print("torch-compile: skipped (--no-compile)", file=sys.stderr)
                continue
            command = [
                sys.executable,
                __file__,
                "--worker",
                path,
                "--bundle",
                str(bundle.path),
                "--work",
                str(work),
                "--n",
                str(args.n),
            ]
            timeout = args.compile_timeout_s if path == "torch-compile" else None
            try:
                done = subprocess.run(
                    command, capture_output=True, text=True, timeout=timeout, check=False
                )
            except subprocess.TimeoutExpired:
                print(f"{path}: skipped, not done within {timeout} s", file=sys.stderr)
                continue
            if done.returncode != 0:
                reason = (done.stderr.strip().splitlines() or ["no output"])[-1]
                print(f"{path}: skipped, it failed: {reason}", file=sys.stderr)
                continue
            results[path] = json.loads(done.stdout.strip().splitlines()[-1])
            print(
                f"{path}: done ({results[path]['ms_per_image']['1']:.2f} ms/img at batch 1)",
                file=sys.stderr,
            )
        _report(results, work, labels, prep_ms)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _report(results: dict, work: Path, labels: np.ndarray, prep_ms: float) -> None:
    base = results["eager"]["ms_per_image"]
    fp32 = np.load(work / "emb-ort-fp32.npy") if "ort-fp32" in results else None
    held_out = np.arange(len(labels)) % 2 == 1
    fp32_pred = prototype_predictions(fp32, labels) if fp32 is not None else None
    print(f"\npreprocessing (decode + resize + normalise): {prep_ms:.2f} ms per photo (median)\n")
    header = (
        f"{'path':22s} {'b1 ms':>7s} {'b1 min':>7s} {'b8 ms':>7s} {'b16 ms':>7s} "
        f"{'x eager b1':>10s} {'x eager b16':>11s} {'RSS MiB':>8s} {'setup s':>7s}  accuracy / cosine"
    )
    print(header)
    print("-" * len(header))
    for path, r in results.items():
        ms = r["ms_per_image"]
        emb = np.load(work / f"emb-{path}.npy")
        pred = prototype_predictions(emb, labels)
        note = f"top-1 {np.mean(pred == labels):.3f}"
        if fp32 is not None and path != "ort-fp32" and fp32_pred is not None:
            cos = (_normalise(emb) * _normalise(fp32)).sum(axis=1)
            note += (
                f"; cos vs fp32 min {cos[held_out].min():.4f} mean {cos[held_out].mean():.4f}"
                f" (held out); agree {np.mean(pred == fp32_pred):.3f}"
            )
        print(
            f"{path:22s} {ms['1']:7.2f} {r['min_ms_batch1']:7.2f} {ms['8']:7.2f} {ms['16']:7.2f} "
            f"{base['1'] / ms['1']:10.2f} {base['16'] / ms['16']:11.2f} {r['peak_rss_mib']:8.0f} "
            f"{r['setup_s']:7.1f}  {note}"
        )
    print(
        f"\nend to end at batch 1, fastest path: {prep_ms + min(r['ms_per_image']['1'] for r in results.values()):.2f} ms/photo"
        f"; load average now {os.getloadavg()[0]:.1f} (other work on the machine inflates every figure)"
    )


if __name__ == "__main__":
    main()
