"""idtool.model.knn_index: exact path equals brute force; IVF path has high recall and exact scores."""

from __future__ import annotations

import numpy as np
import pytest

from idtool.model.knn_index import KnnIndex


def _unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


def _clustered(
    rows: int, dim: int, classes: int, seed: int
) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Embedding-like rows: class centre + noise, cosines to the nearest row about 0.7."""
    rng = np.random.default_rng(seed)
    centres = _unit(rng.standard_normal((classes, dim)))
    codes = rng.integers(0, classes, rows)
    vectors = _unit(centres[codes] + 0.7 * rng.standard_normal((rows, dim)) / np.sqrt(dim))
    return vectors, [f"class {c:03d}" for c in codes], centres


def _mask_loop(sims: np.ndarray, labels: list[str]) -> np.ndarray:
    """What identify.knn_scores did before the index: one boolean mask per class."""
    array = np.asarray(labels)
    return np.array([sims[array == c].max() for c in sorted(set(labels))])


def test_exact_search_matches_brute_force_single_and_batch() -> None:
    refs, labels, _ = _clustered(800, 64, 20, seed=0)
    refs[5] = refs[3]  # a tie: the stable order keeps row 3 first
    queries = _unit(np.random.default_rng(1).standard_normal((10, 64)))
    queries[0] = refs[3]
    index = KnnIndex(refs, labels)
    assert index.exact
    batch_indices, _ = index.search(queries, 5)
    assert batch_indices.shape == (10, 5)
    for row, q in enumerate(queries):
        sims = refs @ q
        want = np.argsort(-sims, kind="stable")[:5]
        indices, found = index.search(q, 5)
        assert indices.tolist() == want.tolist()
        assert np.array_equal(found, sims[want])
        assert batch_indices[row].tolist() == want.tolist()
    assert index.search(queries[0], 5).indices[:2].tolist() == [3, 5]


def test_exact_best_per_class_equals_mask_loop() -> None:
    refs, labels, _ = _clustered(900, 32, 25, seed=2)
    index = KnnIndex(refs, labels)
    assert index.classes == tuple(sorted(set(labels)))
    for q in _unit(np.random.default_rng(3).standard_normal((10, 32))):
        assert np.array_equal(index.best_per_class(q), _mask_loop(refs @ q, labels))


def test_ivf_search_has_high_recall_and_exact_similarities() -> None:
    pytest.importorskip("faiss", reason="faiss-cpu is not installed")
    refs, labels, _ = _clustered(4000, 128, 40, seed=4)
    queries, _, _ = _clustered(100, 128, 40, seed=4)  # same centres, fresh members
    index = KnnIndex(refs, labels, exact_max_rows=1000)
    assert not index.exact
    hits = 0
    indices, sims = index.search(queries, 10)
    for q, found, found_sims in zip(queries, indices, sims, strict=True):
        want = np.argsort(-(refs @ q))[:10]
        hits += len(set(found.tolist()) & set(want.tolist()))
        assert np.allclose(found_sims, refs[found] @ q, atol=1e-6)
        assert np.all(np.diff(found_sims) <= 0)
    assert hits / (10 * len(queries)) >= 0.95


def test_ivf_best_per_class_exact_by_default_approximate_is_a_lower_bound() -> None:
    pytest.importorskip("faiss", reason="faiss-cpu is not installed")
    refs, labels, _ = _clustered(4000, 128, 40, seed=5)
    index = KnnIndex(refs, labels, exact_max_rows=1000)
    queries, _, _ = _clustered(20, 128, 40, seed=5)
    for q in queries:
        want = _mask_loop(refs @ q, labels)
        assert np.array_equal(index.best_per_class(q), want)  # exact unless asked
        best = index.best_per_class(q, approximate=True)
        assert np.all(best <= want + 1e-6)
        near_top = want >= want.max() - 0.2  # the classes that matter at KNN_TEMPERATURE 0.05
        assert np.allclose(best[near_top], want[near_top], atol=1e-6)


def test_ivf_build_is_deterministic() -> None:
    pytest.importorskip("faiss", reason="faiss-cpu is not installed")
    refs, _, _ = _clustered(3000, 64, 30, seed=6)
    queries = _unit(np.random.default_rng(7).standard_normal((20, 64)))
    first = KnnIndex(refs, exact_max_rows=1000).search(queries, 10)
    second = KnnIndex(refs, exact_max_rows=1000).search(queries, 10)
    assert np.array_equal(first.indices, second.indices)


def test_bad_input_is_rejected() -> None:
    with pytest.raises(ValueError, match="non-empty"):
        KnnIndex(np.zeros((0, 8), dtype=np.float32))
    with pytest.raises(ValueError, match="labels"):
        KnnIndex(np.eye(4, dtype=np.float32), ["a", "b"])
    with pytest.raises(ValueError, match="with labels"):
        KnnIndex(np.eye(4, dtype=np.float32)).best_per_class(np.ones(4, dtype=np.float32))
