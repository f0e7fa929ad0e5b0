"""idtool.knn_index: exact below the limit, HNSW above it with high recall."""

from __future__ import annotations

import numpy as np
import pytest

from idtool.knn_index import KnnIndex

pytest.importorskip("hnswlib", reason="hnswlib is not installed")


def _unit(rows: int, dim: int, seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal((rows, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_exact_search_matches_brute_force() -> None:
    refs, queries = _unit(500, 64, 0), _unit(10, 64, 1)
    index = KnnIndex(refs)
    assert index.exact
    for q in queries:
        found = index.search(q, 3)
        want = np.argsort(-(refs @ q))[:3]
        assert found.indices.tolist() == want.tolist()
        assert np.allclose(found.similarities, (refs @ q)[want])


def test_hnsw_search_has_high_recall_and_exact_scores() -> None:
    refs = _unit(3000, 64, 2)
    queries = refs[:50] + 0.05 * _unit(50, 64, 3)
    index = KnnIndex(refs, exact_max_rows=1000)
    assert not index.exact
    hits = 0
    for q in queries:
        found = index.search(q, 5)
        want = np.argsort(-(refs @ q))[:5]
        hits += len(set(found.indices.tolist()) & set(want.tolist()))
        assert np.allclose(found.similarities, refs[found.indices] @ q, atol=1e-6)
    assert hits / (5 * len(queries)) >= 0.95
