"""Several photos of one item: fuse their calibrated evidence into one answer.

An officer photographs a seized item several times (front, back, detail, scale). Each
photo gives calibrated class probabilities; the item's probabilities are

    p_item(c)  proportional to  exp(alpha * sum_i log p_i(c))        (rule ``logprob``)

a product of the photos' probabilities tempered by ``alpha``. ``alpha = 1`` treats the
photos as independent evidence (over-confident: photos of one item are strongly
correlated); ``alpha = 1/N`` is the geometric mean (no gain in confidence at all). The
alternative rule ``embedding`` scores the mean of the photos' embeddings.

Both were compared on grouped cross-validation of ``reference_demo`` (photos of one class
drawn from the held-out fold, ``idtool evaluate`` / ``benchmarks/bench_items.py``):
``logprob`` with ``alpha`` fitted by held-out likelihood was chosen; see docs/decisions.md for
the figures. The item then goes through the same open-set rule and thresholds as a
single photo (:func:`idtool.decide.decision.decide`), with ``+item_fusion`` in its
``decision_source``; its nearest-reference similarity is the best of its photos'.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from idtool.decide.decision import ClassScores

LOGPROB_RULE = "logprob"
EMBEDDING_RULE = "embedding"
FUSION_RULES = (LOGPROB_RULE, EMBEDDING_RULE)
# Fitted by held-out likelihood of 2- and 3-photo items on grouped 5-fold CV of
# reference_demo (benchmarks/bench_items.py): the per-fold fits lay between 0.55 and 0.7.
DEFAULT_ALPHA = 0.6
ALPHA_GRID = tuple(round(x, 2) for x in np.arange(0.3, 1.01, 0.05))
FUSION_SOURCE = "item_fusion"
EPSILON = 1e-12


@dataclass(frozen=True)
class FusedScores:
    """The item's class scores and how many photos agree with its top class."""

    scores: ClassScores
    photos: int
    agreeing: int


def fuse_probabilities(probs: np.ndarray, alpha: float = DEFAULT_ALPHA) -> np.ndarray:
    """Tempered product of per-photo probabilities (``photos x classes`` -> ``classes``)."""
    logp = alpha * np.log(np.maximum(probs, EPSILON)).sum(axis=0)
    logp -= logp.max()
    fused = np.exp(logp)
    return np.asarray(fused / fused.sum())


def fuse_scores(photo_scores: Sequence[ClassScores], alpha: float = DEFAULT_ALPHA) -> FusedScores:
    """Fuse the scores of one item's photos (all over the same classes).

    Raises:
        ValueError: no photo, or photos scored over different classes (a programming
            error: one identifier scores every photo of an item).
    """
    if not photo_scores:
        raise ValueError("an item needs at least one scored photo")
    classes = photo_scores[0].classes
    if any(s.classes != classes for s in photo_scores):
        raise ValueError("the photos of one item were scored over different classes")
    probs = np.stack([s.probabilities for s in photo_scores])
    # One readable photo is its own answer: tempering is fitted for combining several.
    fused = probs[0] if len(probs) == 1 else fuse_probabilities(probs, alpha)
    top = int(np.argmax(fused))
    agreeing = int((probs.argmax(axis=1) == top).sum())
    source = f"{photo_scores[0].source}+{FUSION_SOURCE}"
    return FusedScores(ClassScores(classes, fused, source), len(photo_scores), agreeing)


def fit_alpha(items: Sequence[np.ndarray], truths: Sequence[int]) -> float:
    """The ``alpha`` of :data:`ALPHA_GRID` minimising the items' negative log-likelihood.

    Args:
        items: per item, its photos' calibrated probabilities (``photos x classes``).
        truths: per item, the index of its true class.
    """
    if not items:
        return DEFAULT_ALPHA

    def nll(alpha: float) -> float:
        return float(
            -np.mean(
                [
                    np.log(max(fuse_probabilities(p, alpha)[t], EPSILON))
                    for p, t in zip(items, truths, strict=True)
                ]
            )
        )

    return float(min(ALPHA_GRID, key=nll))
