"""Nearest-neighbour search over reference embeddings: exact for small sets, HNSW for large.

Brute force (``vectors @ query``) is exact but reads the whole matrix per query: about
80 ms at 100k x 1280-d float32 on a 2-core laptop (``benchmarks/bench_knn.py``). Above
:data:`EXACT_MAX_ROWS` rows the index uses hnswlib (inner product on L2-normalised
vectors, i.e. cosine), re-scoring its candidates exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EXACT_MAX_ROWS = 20_000
HNSW_M = 16
HNSW_EF_CONSTRUCTION = 100
HNSW_EF_SEARCH = 128


@dataclass(frozen=True)
class Neighbours:
    indices: np.ndarray  # row numbers into the reference vectors, best first
    similarities: np.ndarray  # cosine similarity, float32


class KnnIndex:
    """Top-k cosine search over L2-normalised float32 rows."""

    def __init__(self, vectors: np.ndarray, exact_max_rows: int = EXACT_MAX_ROWS) -> None:
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self._hnsw = None
        if len(self.vectors) > exact_max_rows:
            import hnswlib

            index = hnswlib.Index(space="ip", dim=self.vectors.shape[1])
            index.init_index(
                max_elements=len(self.vectors), ef_construction=HNSW_EF_CONSTRUCTION, M=HNSW_M
            )
            index.add_items(self.vectors, np.arange(len(self.vectors)))
            index.set_ef(HNSW_EF_SEARCH)
            self._hnsw = index

    @property
    def exact(self) -> bool:
        return self._hnsw is None

    def search(self, query: np.ndarray, k: int) -> Neighbours:
        """The ``k`` most similar rows to ``query`` (approximate above the exact limit)."""
        k = min(k, len(self.vectors))
        if self._hnsw is None:
            sims = self.vectors @ query
            top = np.argpartition(-sims, k - 1)[:k] if k < len(sims) else np.arange(len(sims))
        else:
            labels, _ = self._hnsw.knn_query(query[None, :], k=k)
            top = labels[0].astype(np.int64)
            sims = np.zeros(len(self.vectors), dtype=np.float32)
            sims[top] = self.vectors[top] @ query  # exact re-score of the candidates
        order = top[np.argsort(-sims[top], kind="stable")]
        return Neighbours(order, sims[order].astype(np.float32))
