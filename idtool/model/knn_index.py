"""Nearest-neighbour search over reference embeddings: exact for small sets, IVF for large.

Rows are L2-normalised float32, so cosine similarity is the dot product. Brute force
(``vectors @ query``) is exact but reads the whole matrix per query: about 80 ms at
100k x 1280-d on a 2-core laptop, against a 5 ms target (``benchmarks/bench_knn.py``).

* Up to :data:`EXACT_MAX_ROWS` rows: brute force, results identical to
  ``np.argsort(-(vectors @ query), kind="stable")``.
* Above it: a faiss inverted-file index with 8-bit scalar-quantised codes
  (``IVF<nlist>,SQ8``, inner product). The ``nprobe`` nearest of ``nlist`` k-means cells
  are scanned, and the best :data:`RERANK_FACTOR` x ``k`` candidates are re-scored exactly
  against the float32 rows, so every similarity returned is exact; only *which* rows come
  back is approximate (recall@10 is about 1.0 on clustered, embedding-like data and much
  lower on uniformly random vectors, the worst case). SQ8 codes cost ``dim`` bytes a row
  (128 MB at 100k x 1280) instead of a second float32 copy (512 MB).

:meth:`KnnIndex.best_per_class` gives each class's best similarity, exactly by default:
one ``vectors @ query`` and ``np.maximum.reduceat`` over a precomputed class grouping
(about 20 ms less than a boolean mask per class at 100k, but still a full scan). The
``approximate=True`` variant takes the maximum over the :data:`CLASS_CANDIDATES` rows the
index finds; it is fast but leaves out the classes none of those rows belong to, and a
k-NN softmax at temperature 0.05 over hundreds of classes has a long tail: on embedding-like
data at 100k it over-states the top class's probability by about 0.1 (median, see the
benchmark), so :func:`idtool.decide.identify.knn_scores` keeps the exact scan.

faiss is imported only when an approximate index is built. Building is deterministic: fixed
k-means seed and training sample.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

if TYPE_CHECKING:
    import faiss

EXACT_MAX_ROWS = 5_000  # brute force is about 4 ms here on the 2-core target
LISTS_PER_SQRT_ROW = 4  # nlist = 4 * sqrt(rows)
PROBE_DIVISOR = 32  # nprobe = max(MIN_PROBES, nlist // 32): about 3 % of the rows scanned
MIN_PROBES = 16
RERANK_FACTOR = 4  # approximate candidates re-scored exactly per result wanted
MIN_RERANK = 64
CLASS_CANDIDATES = 256  # rows looked at for the per-class best on the approximate path
TRAIN_POINTS_PER_LIST = 64  # k-means sample: at most 64 rows per cell
KMEANS_SEED = 1234


class Neighbours(NamedTuple):
    """Search result, best first; unpacks as ``indices, similarities``.

    For one query both are 1-d of length ``k``; for a batch of ``m`` queries, ``m x k``.
    """

    indices: np.ndarray  # int64 row numbers into the reference vectors
    similarities: np.ndarray  # exact cosine similarity, float32


class KnnIndex:
    """Top-k cosine search and per-class best similarity over L2-normalised float32 rows.

    Args:
        vectors: ``n x dim`` L2-normalised rows (copied to contiguous float32 if needed).
        labels: one class label per row; needed only for :meth:`best_per_class`.
        exact_max_rows: largest row count searched by brute force.
        nprobe: cells scanned per query on the approximate path (default from ``nlist``).

    Raises:
        ValueError: ``vectors`` is not a non-empty 2-d array, or ``labels`` has the wrong length.
    """

    def __init__(
        self,
        vectors: np.ndarray,
        labels: Sequence[str] | None = None,
        *,
        exact_max_rows: int = EXACT_MAX_ROWS,
        nprobe: int | None = None,
    ) -> None:
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if self.vectors.ndim != 2 or len(self.vectors) == 0:
            raise ValueError(f"need a non-empty n x dim matrix, got shape {vectors.shape}")
        rows = len(self.vectors)
        self.classes: tuple[str, ...] = ()
        self._codes = np.zeros(0, dtype=np.int64)  # class number of each row
        self._order = np.zeros(0, dtype=np.int64)  # rows grouped by class
        self._starts = np.zeros(0, dtype=np.int64)  # first position of each class in _order
        if labels is not None:
            if len(labels) != rows:
                raise ValueError(f"{len(labels)} labels for {rows} rows")
            classes, codes = np.unique(np.asarray(labels, dtype=str), return_inverse=True)
            self.classes = tuple(str(c) for c in classes)
            self._codes = codes.astype(np.int64)
            self._order = np.argsort(self._codes, kind="stable")
            self._starts = np.searchsorted(self._codes[self._order], np.arange(len(classes)))
        self._ivf: faiss.IndexIVF | None = None
        self.nlist = 0
        self.nprobe = 0
        if rows > exact_max_rows:
            self.nlist = max(1, min(rows // 39, round(LISTS_PER_SQRT_ROW * math.sqrt(rows))))
            self.nprobe = min(self.nlist, nprobe or max(MIN_PROBES, self.nlist // PROBE_DIVISOR))
            self._ivf = _build_ivf(self.vectors, self.nlist, self.nprobe)

    @property
    def exact(self) -> bool:
        """Whether searches are brute force (identical to sorting all similarities)."""
        return self._ivf is None

    @property
    def index_bytes(self) -> int:
        """Memory held beyond the float32 rows themselves (codes, ids, centroids, grouping)."""
        own = self._codes.nbytes + self._order.nbytes + self._starts.nbytes
        if self._ivf is None:
            return own
        dim = self.vectors.shape[1]
        codes = self._ivf.ntotal * (self._ivf.code_size + 8)  # SQ8 code + int64 id per row
        return own + codes + self.nlist * dim * 4 + 2 * dim * 4

    def search(self, query: np.ndarray, k: int) -> Neighbours:
        """The ``k`` rows most similar to ``query`` (one ``dim`` vector or ``m x dim``).

        Approximate above the exact limit; similarities are always exact.
        """
        k = min(k, len(self.vectors))
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        batch = np.ascontiguousarray(np.atleast_2d(query), dtype=np.float32)
        if self._ivf is None:
            found = [_exact_top(self.vectors @ q, k) for q in batch]
        else:
            found = self._ivf_top(batch, k)
        indices = np.stack([f[0] for f in found])
        sims = np.stack([f[1] for f in found])
        if query.ndim == 1:
            return Neighbours(indices[0], sims[0])
        return Neighbours(indices, sims)

    def best_per_class(self, query: np.ndarray, *, approximate: bool = False) -> np.ndarray:
        """Each class's best similarity to ``query``, aligned with :attr:`classes` (float64).

        Args:
            query: one ``dim`` vector.
            approximate: on the approximate path, use only the :data:`CLASS_CANDIDATES`
                rows the index finds (exact maximum over them, a lower bound that is exact
                for the classes near the top; ``-inf`` for classes with no row among them).
                Ignored on the exact path.

        Raises:
            ValueError: the index was built without labels.
        """
        if not self.classes:
            raise ValueError("build the KnnIndex with labels to get per-class similarities")
        if self._ivf is None or not approximate:
            sims = self.vectors @ np.asarray(query, dtype=np.float32)
            return np.maximum.reduceat(sims[self._order], self._starts).astype(np.float64)
        indices, sims = self.search(query, CLASS_CANDIDATES)
        best = np.full(len(self.classes), -np.inf)
        np.maximum.at(best, self._codes[indices], sims.astype(np.float64))
        return best

    def _ivf_top(self, batch: np.ndarray, k: int) -> list[tuple[np.ndarray, np.ndarray]]:
        assert self._ivf is not None  # only called on the approximate path
        pool = min(len(self.vectors), max(RERANK_FACTOR * k, MIN_RERANK))
        _, candidates = self._ivf.search(batch, pool)
        found = []
        for q, rows in zip(batch, candidates, strict=True):
            rows = rows[rows >= 0]
            if len(rows) < k:  # the probed cells hold fewer than k rows
                found.append(_exact_top(self.vectors @ q, k))
                continue
            sims = self.vectors[rows] @ q
            top = _exact_top(sims, k)[0]
            found.append((rows[top].astype(np.int64), sims[top]))
        return found


def _exact_top(sims: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """First ``k`` of ``np.argsort(-sims, kind="stable")`` without sorting everything."""
    if k < len(sims):
        kth = sims[np.argpartition(-sims, k - 1)[k - 1]]
        rows = np.flatnonzero(sims >= kth)  # ties at the cut included, in row order
    else:
        rows = np.arange(len(sims))
    top = rows[np.argsort(-sims[rows], kind="stable")[:k]]
    return top.astype(np.int64), sims[top].astype(np.float32)


def _build_ivf(vectors: np.ndarray, nlist: int, nprobe: int) -> Any:
    import faiss

    dim = vectors.shape[1]
    quantizer = faiss.IndexFlatIP(dim)
    index = faiss.IndexIVFScalarQuantizer(
        quantizer, dim, nlist, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
    )
    index.cp.seed = KMEANS_SEED
    index.cp.max_points_per_centroid = TRAIN_POINTS_PER_LIST  # faiss samples with cp.seed
    index.train(vectors)
    index.add(vectors)
    index.nprobe = nprobe
    return index
