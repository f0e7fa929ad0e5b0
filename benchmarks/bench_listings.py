"""Listing triage throughput: N listings x 3 photos (mixed sizes) through ``idtool listings``.

Builds a JSON Lines export of N listings (texts in English, French, Spanish, Chinese and
Vietnamese, illicit and benign, with sellers and phone numbers that link some of them),
each with 3 unique photos made from ``reference_images/`` (crop, flip, brightness; 70%
of them 800-1280 px, 25% 2000-2600 px, 5% 4000x3000 = 12 MP phone photos). Then runs
``run_listings`` ``--repeats`` times, each in a fresh report folder (so every photo is
identified every time), with the shipped model on ONNX Runtime (exported first if
needed), and prints per run: seconds, listings/min, photos/s and the load average, then
min/median and the extrapolation to 10,000 listings.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_listings.py [--listings 300] [--repeats 3]

``--scale`` measures instead one resumable run at the scale analysts work at: a corpus
of ``--listings`` (e.g. 10,000) x 3 photos of mixed sizes (15 % thumbnails of 150-400 px,
60 % 800-1,280 px, 20 % 2,000-2,600 px, 5 % 12 MP), 5 % of the photo files broken
(truncated, or not an image), and a fifth of the listings reusing a photo of an earlier
listing. ``run_listings`` runs in a child process that is killed with SIGKILL once
``--kill-at`` of the photos are identified, then again in a fresh process, which resumes.
It prints listings/min over the whole (both processes' wall time, start-ups included),
the peak RSS of each process, and the resume cost (the second process's start-up before
its first new photo result)::

    PYTHONPATH=. .venv/bin/python benchmarks/bench_listings.py --scale --listings 10000 \
        --kill-at 0.5 --work /tmp/bench_listings_10k
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import sys
import time
from pathlib import Path

import cv2

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
TEMPLATES = [
    ("Antique carved ivory figure #{n}", "Elephant ivory, pre-ban, no papers. WhatsApp +84 91{p}"),
    ("Porcelain vase #{n}", "Ivory colour ceramic vase, 1970s, perfect condition."),
    ("出售老象牙手镯 {n}", "无证，私聊。微信 seller{p}"),
    ("Défense sculptée {n}", "Ivoire ancien, sans papiers, envoi discret."),
    ("Cattle bone buttons {n}", "Set of buttons carved from cattle bone."),
    ("Vòng ngà voi {n}", "Không giấy tờ, liên hệ Zalo 091{p}"),
    ("Coral decoration {n}", "Dried stony coral branch for aquariums."),
    ("Marfil tallado {n}", "Marfil de elefante, sin papeles."),
]
SIZES = [((800, 1280), 0.70), ((2000, 2600), 0.25), ((4000, 4000), 0.05)]


def _size(rng: random.Random) -> tuple[int, int]:
    pick, acc = rng.random(), 0.0
    for (lo, hi), share in SIZES:
        acc += share
        if pick <= acc:
            return lo, hi
    return SIZES[-1][0]


def make_corpus(target: Path, listings: int) -> None:
    sources = sorted((ROOT / "reference_images").glob("*/*.jpg"))
    rng = random.Random(0)
    photos = target / "photos"
    photos.mkdir(parents=True, exist_ok=True)
    lines = []
    for n in range(listings):
        title, text = TEMPLATES[n % len(TEMPLATES)]
        phone = f"{rng.randint(0, 40):07d}"
        images = []
        for k in range(3):
            img = cv2.imread(str(sources[rng.randrange(len(sources))]))
            h, w = img.shape[:2]
            img = img[rng.randint(0, h // 10) :, rng.randint(0, w // 10) :]
            if rng.random() < 0.5:
                img = cv2.flip(img, 1)
            img = cv2.convertScaleAbs(img, alpha=rng.uniform(0.85, 1.15), beta=rng.uniform(-15, 15))
            lo, hi = _size(rng)
            if lo == 4000:
                img = cv2.resize(img, (4000, 3000), interpolation=cv2.INTER_CUBIC)
            else:
                scale = rng.randint(lo, hi) / max(img.shape[:2])
                img = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
            name = f"l{n:05d}_{k}.jpg"
            cv2.imwrite(str(photos / name), img, [cv2.IMWRITE_JPEG_QUALITY, 88])
            images.append(f"photos/{name}")
        lines.append(
            json.dumps(
                {
                    "id": f"bench-{n}",
                    "title": title.format(n=n),
                    "description": text.format(p=phone),
                    "seller": f"seller_{rng.randint(0, listings // 4)}",
                    "images": images,
                },
                ensure_ascii=False,
            )
        )
    (target / "listings.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _cpu_s() -> float:
    """CPU seconds of this process and its threads (user + system)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    if "--scale" in sys.argv or "--child" in sys.argv:
        from listings_scale import main as scale_main

        scale_main()
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listings", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path("/tmp/bench_listings"))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--runtime", default="onnx")
    args = parser.parse_args()

    from idtool.batch.items import JobOptions
    from idtool.catalog.reference_import import import_reference_dir
    from idtool.cites.guidance import TradeDeclaration
    from idtool.config import SHIPPED_MODELS_DIR, load_settings
    from idtool.decide.service import IdentificationService
    from idtool.listings import MarketListingsRequest, run_listings
    from idtool.model.discovery import SHIPPED_BUNDLE

    bundle_dir = SHIPPED_MODELS_DIR / SHIPPED_BUNDLE
    if args.runtime.startswith("onnx") and not (bundle_dir / "onnx").is_dir():
        sys.exit(f"no ONNX export: run `idtool export onnx --model {bundle_dir}` first")
    work = args.work
    corpus = work / f"corpus_{args.listings}"
    if not (corpus / "listings.jsonl").is_file():
        started = time.monotonic()
        make_corpus(corpus, args.listings)
        print(f"corpus: {args.listings} listings x 3 photos in {time.monotonic() - started:.0f} s")
    home = work / "home"
    settings = load_settings(home=home, model_dir=bundle_dir)
    if not (home / "catalog.db").is_file():
        service = IdentificationService.open(settings, args.runtime)
        try:
            import_reference_dir(service.catalog, service.embedder(), ROOT / "reference_images")
        finally:
            service.close()
    options = JobOptions(TradeDeclaration(), top_k=3, max_bytes=60_000_000, max_pixels=60_000_000)
    rates: list[float] = []
    cpu_per_listing: list[float] = []
    for repeat in range(args.repeats):
        out = work / f"out_{repeat}"
        shutil.rmtree(out, ignore_errors=True)
        load_before = os.getloadavg()
        cpu_before = _cpu_s()
        request = MarketListingsRequest(
            (corpus,), out, options, runtime=args.runtime, workers=args.workers
        )
        summary = run_listings(settings, request)
        load_after = os.getloadavg()
        cpu_s = _cpu_s() - cpu_before
        cpu_per_listing.append(cpu_s / max(summary.listings, 1))
        rate = summary.listings_per_min
        rates.append(rate)
        print(
            f"run {repeat + 1}: {summary.listings} listings, {summary.photos} photos in "
            f"{summary.elapsed_s:.1f} s = {rate:.0f} listings/min, "
            f"{summary.processed / summary.elapsed_s:.1f} photos/s ({summary.runtime}, "
            f"{args.workers} workers); load average before {load_before[0]:.2f}, "
            f"after {load_after[0]:.2f} (1 min), {load_after[1]:.2f} (5 min); "
            f"{os.cpu_count()} CPUs; CPU time {cpu_s:.0f} s "
            f"({1000 * cpu_s / max(summary.processed, 1):.0f} ms per photo)"
        )
        sys.stdout.flush()
    best, median = max(rates), statistics.median(rates)
    print(
        f"listings/min: best {best:.0f}, median {median:.0f}; 10,000 listings x 3 photos "
        f"extrapolated: {10_000 / best:.0f} min (best), {10_000 / median:.0f} min (median)"
    )
    cpu = min(cpu_per_listing)
    print(
        f"CPU time per listing: min {cpu:.2f} s, median {statistics.median(cpu_per_listing):.2f} s;"
        f" on an idle machine with 2 cores busy the whole run, 10,000 listings would take about "
        f"{cpu * 10_000 / 2 / 60:.0f} min (CPU time / 2 cores; a lower bound, not a measurement)"
    )


if __name__ == "__main__":
    main()
