"""Batch throughput against an honest eager baseline, measured side by side.

Two folders are generated from the shared demo photos (``photo_sets.py``): ``medium``
(JPEGs of 640-1,280 px) and ``mixed`` (some of the same plus generated 12 MP phone
photos). They are reptiles and other taxa that the shipped reference set (materials) does
not hold, so the shipped texture head skips their tiles (``not_in_reference``). A third
folder, ``materials``, holds shipped reference photos of ivory, walrus ivory, bone and
ceramic (up to 600 px), where every photo's tiles are read: the texture head's full cost;
``phone_materials`` holds 12 MP phone photos generated from some of them. Every mode runs in a fresh process (peak RSS is per process) on the same files,
rounds interleaved (eager, batch, ONNX alone, decode alone, then again), ``--rounds``
times; min and median per image are printed with the 1-minute load average of each run.

* ``eager``: the plain baseline anyone would write first: ``cv2.imread`` (full decode),
  BGR->RGB, resize the short side to 256 (bicubic), centre crop 224, normalise, timm
  ``tf_efficientnet_lite0`` in eval mode, batch 1, PyTorch's default threads. No idtool.
* ``eager+tiles`` (the two material folders only): the plain way to do the texture head's job:
  the same eager decode and network, the whole photo and its surface tiles (idtool's
  tile finder on a 640 px working image) embedded in one eager call per photo.
* ``batch``: ``idtool batch`` as the CLI runs it (``run_batch``: walk, hash, decode
  threads, ONNX IdentificationService, quality, thumbnails, CITES guidance, job table, reports), wall
  time of the whole call divided by the number of photos; ``batch-loop`` is the same run
  without its fixed start-up and report (the processing loop only).
* ``onnx``: the runtime batch uses (int8 where validated, else fp32) alone at the batch
  size, on ready inputs.
* ``decode``: ``decode_image(fit=...)`` alone with the settings batch's decode threads
  use (reduced decoding to the model's working image; a texture head decodes again, at
  640 px on the short side, only the photos whose tiles it may read).

``--parity`` checks instead of timing: every photo of the shipped reference set, the
shared demo set (when present) and the generated folders is identified both ways, decoded
at the model's size first (decoding again for tiles where needed) and decoded at the tile
size from the start; it prints the largest score differences and exits 1 if a decision
differs or a score of a photo whose tiles were read differs by more than 1e-5.

Ratios (``eager / batch``, ``batch / (onnx + decode)``) are printed only when the machine
was quiet: if any run saw a 1-minute load average above ``--max-load`` (default: the number
of CPUs), the script prints the figures and a warning instead; ``--force`` prints the
ratios anyway, marked as measured under load.

``--sweep`` also runs ``batch`` at batch sizes 4/8/16/32 on the mixed folder (peak RSS and
time) to choose the default. ``--identify`` times ``idtool identify`` on one 12 MP photo
(a fresh process each time, start-up included).

    PYTHONPATH=. .venv/bin/python benchmarks/bench_batch.py [--medium 96] [--phones 16]
        [--materials 48] [--phone-materials 8]
        [--rounds 3] [--sweep] [--identify] [--parity] [--force] [--work /tmp/bench_batch]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import cv2  # noqa: E402
from photo_sets import phone_jpeg, synth_medium, synth_phone  # noqa: E402

from idtool.model.discovery import SHIPPED_BUNDLE as SHIPPED_BUNDLE_NAME  # noqa: E402

SHIPPED_BUNDLE = ROOT / "models" / SHIPPED_BUNDLE_NAME


# --- preparation (once per work folder) ---------------------------------------------


def link_materials(target: Path, count: int) -> list[Path]:
    """``count`` shipped reference photos of the material classes, spread over the classes."""
    from idtool.config import SHIPPED_REFERENCE_DIR

    pools = [
        sorted(folder.glob("*.jpg"))
        for folder in sorted(SHIPPED_REFERENCE_DIR.glob("material_*"))
        if folder.is_dir()
    ]
    chosen: list[Path] = []
    for i in range(count):  # round robin over the classes
        pool = pools[i % len(pools)]
        chosen.append(pool[(i // len(pools)) % len(pool)])
    written = []
    for i, path in enumerate(chosen):
        link = target / path.parent.name / f"{i:04d}-{path.name}"
        link.parent.mkdir(parents=True, exist_ok=True)
        os.link(path, link)
        written.append(link)
    return written


def prepare(work: Path, medium: int, phones: int, materials: int, phone_materials: int) -> None:
    from idtool.catalog.reference_import import import_reference_dir
    from idtool.config import SHIPPED_REFERENCE_DIR
    from idtool.decide.service import IdentificationService

    stamp = work / "prepared.json"
    wanted = {
        "medium": medium,
        "phones": phones,
        "materials": materials,
        "phone_materials": phone_materials,
    }
    if stamp.is_file() and json.loads(stamp.read_text()) == wanted:
        return
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    medium_files = synth_medium(work / "medium", medium)
    phone_files = synth_phone(work / "phones", phones)
    mixed = work / "mixed"
    # the mixed folder: two thirds of the medium photos and every phone photo
    for path in [*medium_files[: (2 * medium) // 3], *phone_files]:
        target = mixed / path.parent.name / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(path, target)
    material_files = link_materials(work / "materials", materials)
    # 12 MP phone photos of material objects (the first is ivory: `--identify` uses it)
    for i, source in enumerate(material_files[:phone_materials]):
        rgb = cv2.cvtColor(cv2.imread(str(source)), cv2.COLOR_BGR2RGB)
        target = work / "phone_materials" / source.parent.name / f"phone{i:04d}.jpg"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(phone_jpeg(rgb, seed=i, orientation=6 if i % 3 == 0 else 1))
    shutil.copytree(SHIPPED_BUNDLE, work / "bundle", ignore=shutil.ignore_patterns(".export-*"))
    if not (work / "bundle" / "onnx" / "model.onnx").is_file():
        from idtool.model.bundle import load_bundle
        from idtool.model.onnx_export import export_onnx

        export_onnx(load_bundle(work / "bundle"), int8=False)
    service = IdentificationService.open(_settings(work))
    try:
        import_reference_dir(service.catalog, service.embedder(), SHIPPED_REFERENCE_DIR)
    finally:
        service.close()
    stamp.write_text(json.dumps(wanted))


def _settings(work: Path):
    from idtool.config import load_settings

    return load_settings(
        home=work / "home", model_dir=work / "bundle", catalog_path=work / "cat.db"
    )


def _photos(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.jpg"))


# --- one mode, in a fresh process ---------------------------------------------------


def run_eager(folder: Path) -> dict[str, float]:
    import cv2
    import numpy as np
    import timm
    import torch

    model = timm.create_model("tf_efficientnet_lite0", pretrained=False, num_classes=0).eval()
    photos = _photos(folder)
    mean = np.array([0.5, 0.5, 0.5], np.float32) * 255
    std = np.array([0.5, 0.5, 0.5], np.float32) * 255
    started = time.perf_counter()
    with torch.inference_mode():
        for path in photos:
            bgr = cv2.imread(str(path))
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            h, w = rgb.shape[:2]
            scale = 256 / min(h, w)
            rgb = cv2.resize(
                rgb, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_CUBIC
            )
            top, left = (rgb.shape[0] - 224) // 2, (rgb.shape[1] - 224) // 2
            crop = rgb[top : top + 224, left : left + 224].astype(np.float32)
            x = torch.from_numpy(((crop - mean) / std).transpose(2, 0, 1).copy())[None]
            model(x)
    return {"seconds": time.perf_counter() - started, "images": len(photos)}


def run_eager_tiles(work: Path, folder: Path) -> dict[str, float]:
    import cv2
    import numpy as np
    import timm
    import torch

    from idtool.decide.texture import TEXTURE_WORKING_PX, TextureView
    from idtool.forensics.tiles import select_tiles, tile_inputs
    from idtool.model.bundle import load_bundle
    from idtool.model.preprocess import to_model_input

    bundle = load_bundle(work / "bundle")
    view = TextureView.from_bundle(bundle.meta)
    if view is None:
        raise SystemExit("eager+tiles needs a texture bundle")
    model = timm.create_model("tf_efficientnet_lite0", pretrained=False, num_classes=0).eval()
    photos = _photos(folder)
    started = time.perf_counter()
    with torch.inference_mode():
        for path in photos:
            rgb = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
            scale = TEXTURE_WORKING_PX / min(rgb.shape[:2])
            if scale < 1:
                rgb = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
            whole = to_model_input(rgb, bundle.preprocess)[None]
            tiles = tile_inputs(rgb, select_tiles(rgb, view.tiles), bundle.preprocess)
            model(torch.from_numpy(np.concatenate([whole, tiles])))
    return {"seconds": time.perf_counter() - started, "images": len(photos)}


def run_batch_mode(work: Path, folder: Path, batch_size: int, workers: int) -> dict[str, float]:
    from idtool.batch.items import JobOptions
    from idtool.batch.pipeline import BatchRequest, run_batch
    from idtool.cites.guidance import TradeDeclaration

    settings = _settings(work)
    out = work / f"out-{folder.name}-{batch_size}-{workers}-{os.getpid()}"
    options = JobOptions(TradeDeclaration(), 3, settings.max_image_bytes, settings.max_image_pixels)
    request = BatchRequest(folder, out, options, workers=workers, batch_size=batch_size)
    started = time.perf_counter()
    summary = run_batch(settings, request)
    elapsed = time.perf_counter() - started
    shutil.rmtree(out, ignore_errors=True)
    return {
        "seconds": elapsed,
        "processing_seconds": summary.elapsed_s,
        "images": summary.processed,
        "runtime": summary.runtime,
        "failed": summary.failed,
    }


def run_onnx(work: Path, batch_size: int) -> dict[str, float]:
    import numpy as np

    from idtool.model.bundle import load_bundle
    from idtool.model.runtime import load_engine

    bundle = load_bundle(work / "bundle")
    engine = load_engine(bundle)  # the runtime batch picks (int8 where validated)
    size = bundle.preprocess.input_size
    batch = np.random.default_rng(0).uniform(-1, 1, (batch_size, 3, size, size))
    batch = batch.astype(np.float32)
    engine.embed(batch)  # warm-up
    count = max(64, batch_size)
    started = time.perf_counter()
    for _ in range(count // batch_size):
        engine.embed(batch)
    return {
        "seconds": time.perf_counter() - started,
        "images": (count // batch_size) * batch_size,
        "runtime": engine.name,
    }


def run_decode(work: Path, folder: Path) -> dict[str, float]:
    import cv2

    from idtool.model.bundle import load_bundle
    from idtool.model.preprocess import decode_image

    cv2.setNumThreads(1)  # as in batch
    bundle = load_bundle(work / "bundle")
    config = bundle.preprocess  # the decode threads' decode (tiles decode again, later)
    photos = _photos(folder)
    started = time.perf_counter()
    for path in photos:
        decode_image(path, fit=config)
    return {"seconds": time.perf_counter() - started, "images": len(photos)}


def run_parity(work: Path) -> int:
    """The decode parity check (see ``decode_parity.py``); 0 when it holds, else 1."""
    from decode_parity import ParityReport, compare_paths
    from photo_sets import demo_photos

    from idtool.config import SHIPPED_REFERENCE_DIR
    from idtool.decide.service import IdentificationService

    runtime = IdentificationService.open(_settings(work))
    try:
        identifier = runtime.identifier()
        sets = {
            "shipped reference": sorted(SHIPPED_REFERENCE_DIR.glob("*/*.jpg")),
            "shared demo": demo_photos(),
            **{name: _photos(work / name) for name in ("medium", "phones", "phone_materials")},
        }
        total = ParityReport()
        for name, paths in sets.items():
            if not paths:
                print(f"{name}: absent, skipped")
                continue
            report = compare_paths(identifier, paths)
            total.add(report)
            print(f"{name} ({runtime.engine.name}): {json.dumps(report.to_dict())}", flush=True)
    finally:
        runtime.close()
    ok = total.ok(1e-5)
    print(f"all: {json.dumps(total.to_dict())}\nparity {'holds' if ok else 'FAILS'}")
    return 0 if ok else 1


def peak_rss_mb() -> float:
    """This process's peak RSS. VmHWM, not ``ru_maxrss``: Linux carries ``ru_maxrss`` over
    ``execve`` from the parent, so a child would report the driver's peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(args: argparse.Namespace) -> None:
    load_before = os.getloadavg()[0]
    folder = args.work / args.folder if args.folder else args.work
    if args.mode == "eager":
        row = run_eager(folder)
    elif args.mode == "eager+tiles":
        row = run_eager_tiles(args.work, folder)
    elif args.mode == "batch":
        row = run_batch_mode(args.work, folder, args.batch_size, args.workers)
    elif args.mode == "onnx":
        row = run_onnx(args.work, args.batch_size)
    elif args.mode == "decode":
        row = run_decode(args.work, folder)
    else:
        raise SystemExit(f"unknown mode {args.mode}")
    row["peak_rss_mb"] = peak_rss_mb()
    row["load"] = max(load_before, os.getloadavg()[0])
    print(json.dumps(row))


# --- the driver ---------------------------------------------------------------------


def spawn(work: Path, mode: str, folder: str = "", batch_size: int = 8, workers: int = 2) -> dict:
    command = [sys.executable, __file__, "--work", str(work), "--mode", mode]
    command += ["--folder", folder, "--batch-size", str(batch_size), "--workers", str(workers)]
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{mode} failed:\n{proc.stderr[-3000:]}")
    row = json.loads(proc.stdout.strip().splitlines()[-1])
    row["ms_per_image"] = 1000 * row["seconds"] / max(1, row["images"])
    return row


def summarise(runs: list[dict]) -> dict[str, float]:
    times = [r["ms_per_image"] for r in runs]
    return {
        "min": min(times),
        "median": statistics.median(times),
        "rss": max(r["peak_rss_mb"] for r in runs),
        "load": max(r["load"] for r in runs),
    }


def time_identify(work: Path, photo: Path, rounds: int) -> list[dict]:
    env = {
        **os.environ,
        "IDTOOL_HOME": str(work / "home"),
        "IDTOOL_MODEL": str(work / "bundle"),
        "IDTOOL_CATALOG": str(work / "cat.db"),
        "PYTHONPATH": str(ROOT),
    }
    idtool = [sys.executable, "-m", "idtool", "identify", "--format", "json", str(photo)]
    rows = []
    for _ in range(rounds):
        load = os.getloadavg()[0]
        started = time.perf_counter()
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(idtool, capture_output=True, check=True, env=env)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        rows.append(
            {
                "seconds": time.perf_counter() - started,
                "cpu_seconds": (after.ru_utime - usage.ru_utime)
                + (after.ru_stime - usage.ru_stime),
                "load": max(load, os.getloadavg()[0]),
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--medium", type=int, default=96, help="640-1,280 px photos")
    parser.add_argument("--phones", type=int, default=16, help="12 MP photos in the mixed folder")
    parser.add_argument("--materials", type=int, default=48, help="shipped material photos")
    parser.add_argument(
        "--phone-materials", type=int, default=8, help="12 MP photos of material objects"
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path("/tmp/bench_batch"))
    parser.add_argument("--max-load", type=float, default=float(os.cpu_count() or 2))
    parser.add_argument("--force", action="store_true", help="print ratios even under load")
    parser.add_argument("--sweep", action="store_true", help="batch sizes 4/8/16/32, mixed")
    parser.add_argument("--identify", action="store_true", help="time `idtool identify`")
    parser.add_argument("--parity", action="store_true", help="decode parity check, no timing")
    parser.add_argument("--batch-size", type=int, default=0, help="0: idtool's default")
    parser.add_argument("--workers", type=int, default=0, help="0: idtool's default")
    parser.add_argument("--mode", help=argparse.SUPPRESS)
    parser.add_argument("--folder", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.mode:
        child(args)
        return
    from idtool.batch.pipeline import DEFAULT_BATCH_SIZE, DEFAULT_WORKERS

    batch_size = args.batch_size or DEFAULT_BATCH_SIZE
    workers = args.workers or DEFAULT_WORKERS
    prepare(args.work, args.medium, args.phones, args.materials, args.phone_materials)
    if args.parity:
        raise SystemExit(run_parity(args.work))
    folders = {
        "medium": args.medium,
        "mixed": len(_photos(args.work / "mixed")),
        "materials": args.materials,
        "phone_materials": args.phone_materials,
    }
    print(
        f"{os.cpu_count()} CPUs; folders: medium {folders['medium']} photos of 640-1,280 px, "
        f"mixed {folders['mixed']} ({args.phones} of them 12 MP), materials "
        f"{folders['materials']} (shipped reference photos), phone_materials "
        f"{folders['phone_materials']} (12 MP); batch size {batch_size}, "
        f"{workers} decode workers; {args.rounds} rounds",
        flush=True,
    )
    runs: dict[str, list[dict]] = {}
    for round_no in range(args.rounds):
        for folder in folders:
            modes = ("eager", "eager+tiles") if "materials" in folder else ("eager",)
            for mode in (*modes, "batch", "decode"):
                row = spawn(args.work, mode, folder, batch_size, workers)
                runs.setdefault(f"{mode}/{folder}", []).append(row)
                if mode == "batch":  # the same run without start-up (walk, model, report)
                    inner = {**row, "seconds": row["processing_seconds"]}
                    inner["ms_per_image"] = 1000 * inner["seconds"] / max(1, row["images"])
                    runs.setdefault(f"batch-loop/{folder}", []).append(inner)
                print(
                    f"round {round_no + 1} {mode:<11} {folder:<15} {row['ms_per_image']:7.1f} "
                    f"ms/img  RSS {row['peak_rss_mb']:5.0f} MB  load {row['load']:.2f}",
                    flush=True,
                )
        row = spawn(args.work, "onnx", "", batch_size, workers)
        runs.setdefault("onnx", []).append(row)
        print(
            f"round {round_no + 1} onnx    b={batch_size:<5} {row['ms_per_image']:7.1f} ms/img  "
            f"load {row['load']:.2f}",
            flush=True,
        )
    stats = {key: summarise(rows) for key, rows in runs.items()}
    busiest = max(s["load"] for s in stats.values())
    print(f"\n{'what':<22} {'min ms/img':>10} {'median':>8} {'peak RSS MB':>12} {'max load':>9}")
    for key, s in stats.items():
        print(
            f"{key:<22} {s['min']:>10.1f} {s['median']:>8.1f} {s['rss']:>12.0f} {s['load']:>9.2f}"
        )
    quiet = busiest <= args.max_load
    if not quiet and not args.force:
        print(
            f"\nWARNING: the 1-minute load average reached {busiest:.1f} (> {args.max_load:g}): "
            "the machine was busy, so no ratio is reported. Re-run on a quiet machine, or "
            "pass --force to print the ratios anyway (marked as measured under load)."
        )
    else:
        note = "" if quiet else f"  [UNDER LOAD: up to {busiest:.1f}]"
        for folder in folders:
            eager = stats[f"eager/{folder}"]["median"]
            batch = stats[f"batch/{folder}"]["median"]
            loop = stats[f"batch-loop/{folder}"]["median"]
            limit = stats["onnx"]["median"] + stats[f"decode/{folder}"]["median"]
            print(
                f"{folder}: batch is {eager / batch:.1f}x the eager baseline (medians; "
                f"{eager / loop:.1f}x without start-up); batch loop / (ONNX alone + decode "
                f"alone) = {loop / limit:.2f}{note}"
            )
            if f"eager+tiles/{folder}" in stats:
                same_job = stats[f"eager+tiles/{folder}"]["median"]
                print(
                    f"{folder}: batch is {same_job / batch:.1f}x the eager baseline doing the "
                    f"same texture job (whole photo + tiles; {same_job / loop:.1f}x without "
                    f"start-up){note}"
                )
    if args.sweep:
        print("\nbatch size sweep on the mixed folder (min/median of the rounds)")
        for size in (4, 8, 16, 32):
            rows = [spawn(args.work, "batch", "mixed", size, workers) for _ in range(args.rounds)]
            s = summarise(rows)
            print(
                f"batch size {size:>3}: {s['min']:6.1f} / {s['median']:6.1f} ms/img, "
                f"peak RSS {s['rss']:.0f} MB, load {s['load']:.2f}",
                flush=True,
            )
    if args.identify:
        photos = {
            "a 12 MP photo of a reptile (not in the shipped reference: no tiles)": _photos(
                args.work / "phones"
            )[0],
            "a 12 MP photo of an ivory carving (tiles read)": sorted(
                (args.work / "phone_materials" / "material_ivory").glob("*.jpg")
            )[0],
        }
        for what, photo in photos.items():
            rows = time_identify(args.work, photo, args.rounds)
            walls = [r["seconds"] for r in rows]
            cpus = [r["cpu_seconds"] for r in rows]
            print(
                f"\nidtool identify, {what}, fresh process: wall min {min(walls):.2f} "
                f"median {statistics.median(walls):.2f} s; CPU (user+sys) min {min(cpus):.2f} "
                f"median {statistics.median(cpus):.2f} s; load up to "
                f"{max(r['load'] for r in rows):.2f}"
            )


if __name__ == "__main__":
    main()
