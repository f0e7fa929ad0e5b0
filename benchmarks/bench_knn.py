"""Nearest-neighbour search time vs reference-set size (brute force, as in Identifier).

Measures ``reference.vectors @ embedding`` + arg-sort top-3 (what ``Identifier.nearest``
does) and the per-class best similarity of ``knn_scores`` over 1k, 10k and 100k random
L2-normalised 1280-d float32 vectors. Target: under 5 ms per query at 100k.

    .venv/bin/python benchmarks/bench_knn.py
"""

from __future__ import annotations

import time

import numpy as np

from idtool.knn_index import KnnIndex

DIM = 1280
SIZES = (1_000, 10_000, 100_000)
QUERIES = 50
CLASSES = 50


def _unit(rows: int, rng: np.random.Generator) -> np.ndarray:
    v = rng.standard_normal((rows, DIM), dtype=np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def main() -> None:
    rng = np.random.default_rng(0)
    queries = _unit(QUERIES, rng)
    print(
        f"{'refs':>8} {'matmul+top3 ms':>15} {'+per-class max ms':>18} "
        f"{'argpartition ms':>16} {'KnnIndex ms':>12} {'recall@3':>9} {'build s':>8}"
    )
    for size in SIZES:
        refs = _unit(size, rng)
        labels = rng.integers(0, CLASSES, size)
        order = np.argsort(labels, kind="stable")
        starts = np.searchsorted(labels[order], np.arange(CLASSES))
        sorted_refs = refs[order]
        # identify.py today: sims, argsort, then one boolean mask per class
        t = time.perf_counter()
        for q in queries:
            sims = refs @ q
            np.argsort(-sims)[:3]
        brute = (time.perf_counter() - t) / QUERIES * 1e3
        t = time.perf_counter()
        for q in queries:
            sims = refs @ q
            np.argsort(-sims)[:3]
            [sims[labels == c].max() for c in range(CLASSES)]
        with_classes = (time.perf_counter() - t) / QUERIES * 1e3
        # cheaper equivalent: argpartition for top-3, reduceat over class-sorted rows
        t = time.perf_counter()
        for q in queries:
            sims = sorted_refs @ q
            top = np.argpartition(-sims, 3)[:3]
            top[np.argsort(-sims[top])]
            np.maximum.reduceat(sims, starts)
        fast = (time.perf_counter() - t) / QUERIES * 1e3
        t = time.perf_counter()
        index = KnnIndex(refs, exact_max_rows=10_000)
        build = time.perf_counter() - t
        queries_near = refs[:QUERIES] + 0.5 * _unit(QUERIES, rng) / np.sqrt(DIM) * 10
        queries_near /= np.linalg.norm(queries_near, axis=1, keepdims=True)
        hits = 0
        t = time.perf_counter()
        found = [index.search(q, 3) for q in queries_near]
        indexed = (time.perf_counter() - t) / QUERIES * 1e3
        for q, f in zip(queries_near, found, strict=True):
            hits += len(set(f.indices.tolist()) & set(np.argsort(-(refs @ q))[:3].tolist()))
        recall = hits / (3 * QUERIES)
        print(
            f"{size:>8} {brute:>15.2f} {with_classes:>18.2f} {fast:>16.2f} "
            f"{indexed:>12.2f} {recall:>9.2f} {build:>8.1f}"
        )


if __name__ == "__main__":
    main()
