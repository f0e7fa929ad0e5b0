"""A calibrated prototype classifier: the scorer used when the bundle's head does not fit.

Each class is the L2-normalised mean of its reference embeddings; a photo's logits are its
cosine similarities to those means. Calibration and thresholds follow the same discipline
as a trained head (:mod:`idtool.curation.training`): out-of-fold logits over grouped, stratified
folds (near-duplicates linked by embedding cosine kept in one fold) give the softmax
temperature, ``min_similarity`` and ``min_confidence`` (global and per class).

It needs only the stored reference embeddings, so it is refitted in well under a second
whenever the catalog changes; on grouped 5-fold CV of ``reference_demo`` it beats the old
k-NN softmax fallback (``benchmarks/bench_fallback.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from idtool.catalog.store import ReferenceEmbeddings
from idtool.catalog.taxonomy import TaxonRecord
from idtool.decide.calibration import fit_temperature, softmax
from idtool.decide.thresholds import fit_thresholds
from idtool.model.bundle import TARGET_SELECTIVE_ACCURACY, Thresholds

PROTOTYPE_SOURCE = "prototype"
# Photos this close share a fold; the embedding half of idtool.curation.grouping's rule.
NEAR_DUPLICATE_COSINE = 0.95
CALIBRATION_MAX_PHOTOS = 4_000  # above this, a seeded stratified sample is used to calibrate


def class_means(vectors: np.ndarray, y: np.ndarray, n_classes: int) -> np.ndarray:
    """L2-normalised mean embedding per class (``n_classes x dim``); an absent class is 0."""
    means = np.zeros((n_classes, vectors.shape[1]), dtype=np.float64)
    np.add.at(means, y, vectors.astype(np.float64))
    norms = np.linalg.norm(means, axis=1, keepdims=True)
    return (means / np.where(norms > 0, norms, 1.0)).astype(np.float32)


def prototype_logits(means: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """Cosine similarity of each row of ``vectors`` to each class mean."""
    return (vectors @ means.T).astype(np.float64)


def cosine_group_ids(vectors: np.ndarray, cosine: float = NEAR_DUPLICATE_COSINE) -> np.ndarray:
    """One group id per row: rows with embedding cosine >= ``cosine`` share a group.

    The embedding-only half of :func:`idtool.curation.grouping.near_duplicate_group_ids`
    (no file is read), computed in blocks so memory stays ``O(n x block)``.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = len(vectors)
    pairs: list[tuple[int, int]] = []
    block = 1024
    for start in range(0, n, block):
        sims = vectors[start : start + block] @ vectors.T
        rows, cols = np.nonzero(sims >= cosine)
        rows = rows + start
        keep = cols > rows
        pairs += list(zip(rows[keep].tolist(), cols[keep].tolist(), strict=True))
    rows_, cols_ = (
        (np.array(x, dtype=np.int64) for x in zip(*pairs, strict=True))
        if pairs
        else (
            np.zeros(0, dtype=np.int64),
            np.zeros(0, dtype=np.int64),
        )
    )
    graph = coo_matrix((np.ones(len(rows_)), (rows_, cols_)), shape=(n, n))
    _, ids = connected_components(graph, directed=False)
    return np.asarray(ids)


@dataclass(frozen=True)
class PrototypeClassifier:
    """Class means with a fitted temperature and thresholds."""

    classes: tuple[str, ...]
    means: np.ndarray  # n_classes x dim, L2-normalised
    temperature: float
    thresholds: Thresholds
    fit_on: str  # reference version the means and calibration come from

    def probabilities(self, embeddings: np.ndarray) -> np.ndarray:
        logits = prototype_logits(self.means, embeddings) / self.temperature
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)


def _calibration_rows(y: np.ndarray, seed: int) -> np.ndarray:
    """All rows, or a seeded sample keeping every class's share when there are too many."""
    if len(y) <= CALIBRATION_MAX_PHOTOS:
        return np.arange(len(y))
    rng = np.random.default_rng(seed)
    share = CALIBRATION_MAX_PHOTOS / len(y)
    picked = []
    for k in np.unique(y):
        rows = np.flatnonzero(y == k)
        count = max(3, round(len(rows) * share))
        picked.append(rng.choice(rows, size=min(count, len(rows)), replace=False))
    return np.sort(np.concatenate(picked))


def fit_prototypes(
    reference: ReferenceEmbeddings,
    taxa: dict[str, TaxonRecord],
    *,
    folds: int = 5,
    seed: int = 0,
    target_selective_accuracy: float = TARGET_SELECTIVE_ACCURACY,
) -> PrototypeClassifier:
    """Class means over all of ``reference``, calibrated on grouped out-of-fold logits.

    A class with fewer than two groups of photos cannot be held out; it still gets a mean,
    and the calibration uses the other classes.
    """
    classes = reference.classes
    index = {c: i for i, c in enumerate(classes)}
    y_all = np.array([index[label] for label in reference.labels])
    means = class_means(reference.vectors, y_all, len(classes))
    rows = _calibration_rows(y_all, seed)
    vectors, y = reference.vectors[rows], y_all[rows]
    groups = cosine_group_ids(vectors)
    fold = _grouped_folds(y, groups, folds, seed)
    held = fold >= 0
    if held.sum() < 2 or len(set(fold[held].tolist())) < 2:
        return PrototypeClassifier(
            classes, means, 1.0 / 20.0, Thresholds(), reference.reference_version
        )
    logits = np.zeros((len(y), len(classes)), dtype=np.float64)
    nearest = np.zeros(len(y), dtype=np.float64)
    for f in sorted(set(fold[held].tolist())):
        train, test = np.flatnonzero(fold != f), np.flatnonzero(fold == f)
        fold_means = class_means(vectors[train], y[train], len(classes))
        logits[test] = prototype_logits(fold_means, vectors[test])
        nearest[test] = (vectors[test] @ vectors[train].T).max(axis=1)
    logits, nearest, y_held = logits[held], nearest[held], y[held]
    temperature = fit_temperature(logits, y_held)
    probs = softmax(logits, temperature)
    labels = [classes[k] for k in y_held]
    thresholds = fit_thresholds(
        probs,
        nearest,
        labels,
        classes,
        taxa,
        target_selective_accuracy,
        reference.reference_version,
    )
    return PrototypeClassifier(
        classes, means, round(temperature, 5), thresholds, reference.reference_version
    )


def _grouped_folds(y: np.ndarray, groups: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """Fold per row (grouped, stratified); -1 for classes with fewer than 2 groups."""
    from sklearn.model_selection import StratifiedGroupKFold

    fold = np.full(len(y), -1)
    usable = np.array([len(set(groups[y == k].tolist())) >= 2 for k in y])
    if usable.sum() < 2 or len(set(y[usable].tolist())) < 2:
        return fold
    smallest = min(len(set(groups[(y == k)].tolist())) for k in np.unique(y[usable]))
    k = max(2, min(folds, smallest))
    rows = np.flatnonzero(usable)
    splitter = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
    for f, (_, test) in enumerate(splitter.split(np.zeros(len(rows)), y[rows], groups[rows])):
        fold[rows[test]] = f
    return fold
