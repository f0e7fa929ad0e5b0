"""Nearest-neighbour search: KnnIndex against brute force at 1k, 10k and 100k references.

For each data kind and size it reports the build time and extra memory of
:class:`idtool.model.knn_index.KnnIndex` (default settings: exact up to 5k rows, IVF-SQ8 above),
median milliseconds per query (single queries, after warm-up) for

* ``brute top3``: ``vectors @ q`` + full arg-sort (what ``Identifier.nearest`` did),
* ``index top10``: ``KnnIndex.search(q, 10)``,
* ``old identify`` / ``new identify``: the two searches an identification makes (nearest
  three + per-class best for the k-NN softmax), before (mask loop per class) and now
  (index search + exact ``best_per_class``: one full scan, grouping by ``reduceat``),
* ``approx identify``: index search + ``best_per_class(approximate=True)``,

recall@1 and recall@10 of ``search(q, 10)`` against brute force, and for the approximate
per-class best: how often the k-NN softmax's top class agrees with the exact one
(``cls ok``), how often its top probability is also within 0.01 (``p ok``), and the median
absolute error of that probability (``dp med``).

Data kinds (1280-d, L2-normalised, 300 classes; queries drawn like the references):

* ``random``: uniform random unit vectors, the worst case for any index (no structure);
* ``clustered``: class centre (random unit vector) + isotropic noise, nearest cosine ~0.7;
* ``demo-seeded``: centres and noise built from real embeddings of the 242 demo photos
  (shipped model): centre = real photo + within-class residual noise, member = centre +
  1.2 x residual noise, so the spread lives in the directions real photos vary in. Skipped
  if the photos or the model are missing, or with ``--no-real``.

    .venv/bin/python benchmarks/bench_knn.py [--sizes 1000,10000,100000] [--no-real]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from idtool.decide.identify import KNN_TEMPERATURE
from idtool.model.knn_index import KnnIndex

DIM = 1280
CLASSES = 300
QUERIES = 300
BASELINE_QUERIES = 40  # the old mask loop is slow at 100k
WARM_UP = 20
DEMO_DIR = Path("/work/shared/data/reference_demo")
Generator = Callable[[int, np.random.Generator], tuple[np.ndarray, np.ndarray]]


def _unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


def random_kind(rng: np.random.Generator) -> Generator:
    def draw(rows: int, r: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        return _unit(r.standard_normal((rows, DIM), dtype=np.float32)), r.integers(0, CLASSES, rows)

    return draw


def clustered_kind(rng: np.random.Generator) -> Generator:
    centres = _unit(rng.standard_normal((CLASSES, DIM), dtype=np.float32))

    def draw(rows: int, r: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        codes = r.integers(0, CLASSES, rows)
        noise = 0.7 * r.standard_normal((rows, DIM), dtype=np.float32) / np.sqrt(DIM)
        return _unit(centres[codes] + noise), codes

    return draw


def demo_embeddings() -> tuple[np.ndarray, np.ndarray]:
    """Embeddings of the demo photos with the shipped model, and their class names."""
    from idtool.config import load_settings
    from idtool.decide.service import IdentificationService
    from idtool.model.preprocess import decode_image

    paths = sorted(DEMO_DIR.glob("*/*.jpg"))
    if not paths:
        raise FileNotFoundError(f"no demo photos under {DEMO_DIR}")
    with tempfile.TemporaryDirectory() as home:
        service = IdentificationService.open(load_settings(home=Path(home)))
        embedder = service.embedder()
        chunks = [
            embedder.embed([decode_image(p) for p in paths[i : i + 32]])
            for i in range(0, len(paths), 32)
        ]
        service.catalog.close()
    return np.concatenate(chunks).astype(np.float32), np.array([p.parent.name for p in paths])


def demo_seeded_kind(rng: np.random.Generator, seeds: np.ndarray, names: np.ndarray) -> Generator:
    _, codes = np.unique(names, return_inverse=True)
    means = np.stack([seeds[codes == c].mean(axis=0) for c in range(codes.max() + 1)])
    residuals = seeds - means[codes]  # how photos of one class differ: ~0.7 norm

    def noise(rows: int, r: np.random.Generator) -> np.ndarray:
        weights = r.standard_normal((rows, len(residuals)), dtype=np.float32)
        return weights @ residuals / np.sqrt(len(residuals))

    centres = _unit(seeds[rng.integers(0, len(seeds), CLASSES)] + noise(CLASSES, rng))

    def draw(rows: int, r: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        codes = r.integers(0, CLASSES, rows)
        return _unit(centres[codes] + 1.2 * noise(rows, r)), codes

    return draw


def _median_ms(fn: Callable[[np.ndarray], object], queries: np.ndarray) -> float:
    for q in queries[:WARM_UP]:
        fn(q)
    times = []
    for q in queries:
        start = time.perf_counter()
        fn(q)
        times.append(time.perf_counter() - start)
    return float(np.median(times) * 1e3)


def _softmax_top(best: np.ndarray) -> tuple[int, float]:
    probs = np.exp((best - best.max()) / KNN_TEMPERATURE)
    probs /= probs.sum()
    return int(probs.argmax()), float(probs.max())


def measure(kind: str, draw: Generator, size: int, seed: int) -> dict[str, float | str | int]:
    rng = np.random.default_rng(seed)
    refs, codes = draw(size, rng)
    queries, _ = draw(QUERIES, rng)
    labels = [f"class {c:03d}" for c in codes]
    label_array = np.asarray(labels)
    classes = sorted(set(labels))
    truth = queries @ refs.T
    truth_top = np.argsort(-truth, axis=1, kind="stable")[:, :10]

    start = time.perf_counter()
    index = KnnIndex(refs, labels)
    build_s = time.perf_counter() - start

    def old_identify(q: np.ndarray) -> None:
        sims = refs @ q
        np.argsort(-sims)[:3]
        sims = refs @ q
        [sims[label_array == c].max() for c in classes]

    def new_identify(q: np.ndarray) -> None:
        index.search(q, 3)
        index.best_per_class(q)

    def approx_identify(q: np.ndarray) -> None:
        index.search(q, 3)
        index.best_per_class(q, approximate=True)

    few = queries[:BASELINE_QUERIES]
    row: dict[str, float | str | int] = {
        "kind": kind,
        "refs": size,
        "path": "exact" if index.exact else f"IVF{index.nlist},SQ8 p{index.nprobe}",
        "build s": build_s,
        "extra MB": index.index_bytes / 2**20,
        "nn cos": float(np.median(truth.max(axis=1))),
        "brute top3": _median_ms(lambda q: np.argsort(-(refs @ q))[:3], queries),
        "index top10": _median_ms(lambda q: index.search(q, 10), queries),
        "old identify": _median_ms(old_identify, few),
        "new identify": _median_ms(new_identify, queries),
        "approx identify": _median_ms(approx_identify, queries),
    }
    found, _ = index.search(queries, 10)
    row["recall@1"] = float(np.mean(found[:, 0] == truth_top[:, 0]))
    row["recall@10"] = float(
        np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, truth_top, strict=True)])
    )
    same_class = same_prob = 0
    errors = []
    for q in queries:
        want = _softmax_top(index.best_per_class(q))
        got = _softmax_top(index.best_per_class(q, approximate=True))
        same_class += got[0] == want[0]
        same_prob += got[0] == want[0] and abs(got[1] - want[1]) < 0.01
        errors.append(abs(got[1] - want[1]))
    row["cls ok"] = same_class / QUERIES
    row["p ok"] = same_prob / QUERIES
    row["dp med"] = float(np.median(errors))
    return row


COLUMNS = (
    ("kind", "{:<11}"),
    ("refs", "{:>7}"),
    ("path", "{:<17}"),
    ("build s", "{:>7.1f}"),
    ("extra MB", "{:>8.1f}"),
    ("nn cos", "{:>6.2f}"),
    ("brute top3", "{:>10.2f}"),
    ("index top10", "{:>11.2f}"),
    ("old identify", "{:>12.2f}"),
    ("new identify", "{:>12.2f}"),
    ("approx identify", "{:>15.2f}"),
    ("recall@1", "{:>8.3f}"),
    ("recall@10", "{:>9.3f}"),
    ("cls ok", "{:>6.3f}"),
    ("p ok", "{:>5.3f}"),
    ("dp med", "{:>6.3f}"),
)


_SAMPLE: dict[str, float | str | int] = {"kind": "", "path": "", "refs": 0}


def _print_row(row: dict[str, float | str | int]) -> None:
    print(" ".join(fmt.format(row[name]) for name, fmt in COLUMNS), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--no-real", action="store_true", help="skip the demo-seeded data")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rng = np.random.default_rng(0)
    kinds: list[tuple[str, Generator]] = [
        ("random", random_kind(rng)),
        ("clustered", clustered_kind(rng)),
    ]
    if not args.no_real:
        try:
            seeds, names = demo_embeddings()
            kinds.append(("demo-seeded", demo_seeded_kind(rng, seeds, names)))
        except Exception as exc:  # benchmark only: say why and go on with synthetic data
            print(f"demo-seeded data skipped: {exc}")
    print("ms are medians per single query; old/new identify = nearest 3 + per-class best")
    widths = [len(fmt.format(_SAMPLE.get(name, 0.0))) for name, fmt in COLUMNS]
    print(" ".join(f"{name:>{w}}" for (name, _), w in zip(COLUMNS, widths, strict=True)))
    for seed, (kind, draw) in enumerate(kinds):
        for size in sizes:
            _print_row(measure(kind, draw, size, seed))


if __name__ == "__main__":
    main()
