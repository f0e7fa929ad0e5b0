"""``bench_listings.py --scale``: one resumable listings run at scale, killed once.

See the docstring of ``bench_listings.py`` for what it measures and the command.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import cv2

ROOT = Path(__file__).resolve().parents[1]
# (short side range or None for 12 MP, share)
SIZES = [((150, 400), 0.15), ((800, 1280), 0.60), ((2000, 2600), 0.20), (None, 0.05)]
BROKEN_SHARE = 0.05
SHARED_SHARE = 0.20
CHUNK = 200


def _photo(rng: random.Random, sources: list[Path], path: Path) -> None:
    img = cv2.imread(str(sources[rng.randrange(len(sources))]))
    h, w = img.shape[:2]
    img = img[rng.randint(0, h // 10) :, rng.randint(0, w // 10) :]
    if rng.random() < 0.5:
        img = cv2.flip(img, 1)
    img = cv2.convertScaleAbs(img, alpha=rng.uniform(0.85, 1.15), beta=rng.uniform(-15, 15))
    pick, acc, size = rng.random(), 0.0, SIZES[-1][0]
    for span, share in SIZES:
        acc += share
        if pick <= acc:
            size = span
            break
    if size is None:
        img = cv2.resize(img, (4000, 3000), interpolation=cv2.INTER_CUBIC)
    else:
        scale = rng.randint(*size) / max(img.shape[:2])
        interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
        img = cv2.resize(img, None, fx=scale, fy=scale, interpolation=interpolation)
    _, data = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 88])
    blob = data.tobytes()
    if rng.random() < BROKEN_SHARE:  # a truncated download, or an HTML error page
        blob = blob[: len(blob) // 2] if rng.random() < 0.5 else b"<html>404</html>"
    path.write_bytes(blob)


def _chunk(target: str, start: int, count: int) -> list[str]:
    """Listings ``start``..``start+count`` (their photos written; JSON lines returned)."""
    from bench_listings import TEMPLATES

    sources = sorted((ROOT / "reference_images").glob("*/*.jpg"))
    photos = Path(target) / "photos" / f"c{start // CHUNK:04d}"
    photos.mkdir(parents=True, exist_ok=True)
    lines = []
    for n in range(start, start + count):
        rng = random.Random(n)
        title, text = TEMPLATES[n % len(TEMPLATES)]
        images = []
        for k in range(3):
            name = f"l{n:05d}_{k}.jpg"
            _photo(rng, sources, photos / name)
            images.append(f"photos/{photos.name}/{name}")
        if n >= 10 and rng.random() < SHARED_SHARE:  # reuses a photo of an earlier listing
            other = rng.randrange(max(start, n - 50), n) if n > start else n - 1
            images[2] = f"photos/c{other // CHUNK:04d}/l{other:05d}_0.jpg"
        lines.append(
            json.dumps(
                {
                    "id": f"bench-{n}",
                    "title": title.format(n=n),
                    "description": text.format(p=f"{rng.randint(0, 40):07d}"),
                    "seller": f"seller_{rng.randint(0, 2500)}",
                    "images": images,
                },
                ensure_ascii=False,
            )
        )
    return lines


def make_corpus(target: Path, listings: int) -> None:
    """The scale corpus (see ``bench_listings.py``), generated in parallel, once."""
    done = target / "listings.jsonl"
    if done.is_file():
        return
    target.mkdir(parents=True, exist_ok=True)
    with ProcessPoolExecutor(max_workers=os.cpu_count()) as pool:
        futures = [
            pool.submit(_chunk, str(target), s, min(CHUNK, listings - s))
            for s in range(0, listings, CHUNK)
        ]
        lines = [line for future in futures for line in future.result()]
    (target / "listings.partial").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (target / "listings.partial").rename(done)


def child(args: argparse.Namespace) -> None:
    """One ``run_listings`` in this process; prints its summary and peak RSS as JSON."""
    from idtool.batch.items import JobOptions
    from idtool.cites.guidance import TradeDeclaration
    from idtool.config import load_settings
    from idtool.listings import MarketListingsRequest, run_listings

    settings = load_settings(home=args.work / "home", model_dir=_bundle_dir())
    options = JobOptions(TradeDeclaration(), top_k=3, max_bytes=60_000_000, max_pixels=60_000_000)
    request = MarketListingsRequest(
        (args.work / "corpus",), args.work / "out", options, workers=args.workers
    )
    summary = run_listings(settings, request)
    row = {
        "listings": summary.listings,
        "photos": summary.photos,
        "already_done": summary.already_done,
        "processed": summary.processed,
        "missing_photos": summary.missing_photos,
        "elapsed_s": summary.elapsed_s,
        "runtime": summary.runtime,
        "peak_rss_mb": _peak_rss_mb(),
    }
    print(json.dumps(row))


def _bundle_dir() -> Path:
    from idtool.config import SHIPPED_MODELS_DIR
    from idtool.model.discovery import list_bundles

    return list_bundles(SHIPPED_MODELS_DIR)[0]


def _peak_rss_mb(pid: int | str = "self") -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:  # the process has gone
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _done(work: Path) -> int:
    db = work / "out" / "job.db"
    if not db.is_file():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            return int(conn.execute("select count(*) from batch_results").fetchone()[0])
    except sqlite3.Error:
        return 0


def _spawn(args: argparse.Namespace) -> subprocess.Popen[str]:
    command = [sys.executable, str(Path(__file__).with_name("bench_listings.py")), "--child"]
    command += ["--work", str(args.work), "--workers", str(args.workers)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, text=True)


def main() -> None:
    parser = argparse.ArgumentParser(description="bench_listings.py --scale")
    parser.add_argument("--scale", action="store_true")
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--listings", type=int, default=10_000)
    parser.add_argument("--kill-at", type=float, default=0.5, help="share of photos done")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--work", type=Path, default=Path("/tmp/bench_listings_scale"))
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    from idtool.catalog.reference_import import import_reference_dir
    from idtool.config import load_settings
    from idtool.decide.service import IdentificationService

    started = time.monotonic()
    make_corpus(args.work / "corpus", args.listings)
    print(f"corpus: {args.listings} listings ({time.monotonic() - started:.0f} s)", flush=True)
    home = args.work / "home"
    if not (home / "catalog.db").is_file():
        runtime = IdentificationService.open(load_settings(home=home, model_dir=_bundle_dir()))
        try:
            import_reference_dir(runtime.catalog, runtime.embedder(), ROOT / "reference_images")
        finally:
            runtime.close()
    unique = len({p for p in (args.work / "corpus" / "photos").rglob("*.jpg")})
    target = int(args.kill_at * unique * (1 - 0.05))  # broken files get no result row
    # first process: killed with SIGKILL once `target` photos have results
    t0 = time.monotonic()
    proc = _spawn(args)
    peak1 = 0.0
    while proc.poll() is None and _done(args.work) < target:
        peak1 = max(peak1, _peak_rss_mb(proc.pid))
        time.sleep(0.5)
    killed = proc.poll() is None
    if killed:
        peak1 = max(peak1, _peak_rss_mb(proc.pid))
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    first_s = time.monotonic() - t0
    done_at_kill = _done(args.work)
    print(
        f"run 1: {'killed (SIGKILL)' if killed else 'finished before the kill'} after "
        f"{first_s:.1f} s with {done_at_kill} photo results; peak RSS {peak1:.0f} MB",
        flush=True,
    )
    # second process: resumes
    t1 = time.monotonic()
    proc = _spawn(args)
    first_new_s = None
    peak2 = 0.0
    while proc.poll() is None:
        peak2 = max(peak2, _peak_rss_mb(proc.pid))
        if first_new_s is None and _done(args.work) > done_at_kill:
            first_new_s = time.monotonic() - t1
        time.sleep(0.5)
    out, _ = proc.communicate()
    second_s = time.monotonic() - t1
    if proc.returncode != 0:
        raise SystemExit(f"run 2 failed (exit {proc.returncode})")
    row = json.loads(out.strip().splitlines()[-1])
    peak2 = max(peak2, row["peak_rss_mb"])
    total_s = first_s + second_s
    print(
        f"run 2: resumed, {row['already_done']} photos already done, {row['processed']} "
        f"identified, {second_s:.1f} s ({row['runtime']}); peak RSS {peak2:.0f} MB"
    )
    print(
        f"{row['listings']} listings, {row['photos']} unique photos "
        f"({row['missing_photos']} photo references unreadable): "
        f"{60 * row['listings'] / total_s:.0f} listings/min over {total_s / 60:.1f} min "
        f"(both processes, start-ups included); peak RSS {max(peak1, peak2):.0f} MB; "
        f"resume cost: {first_new_s or 0:.1f} s from the restart to the first new photo "
        f"result (start-up, reading and hashing the listings; at most one batch of photos "
        f"is identified again); "
        f"load {os.getloadavg()[0]:.2f}; {os.cpu_count()} CPUs"
    )


if __name__ == "__main__":
    main()
