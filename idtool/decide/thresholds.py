"""Choosing the open-set thresholds from held-out predictions: global, then per class.

Given calibrated out-of-fold probabilities and each photo's similarity to its nearest
reference of the other folds:

1. ``min_similarity``: a low quantile of those similarities (below it:
   ``not_in_reference``);
2. ``min_confidence``: the lowest grid confidence at which the selective accuracy of the
   whole decision rule (roll-up included) reaches the target;
3. per label (a class or a roll-up group): among the photos that rule calls that label,
   the lowest grid confidence, never below the global one, at which those calls reach the
   target. A label whose calls miss the target even at the top of the grid is listed in
   ``abstain``: it is never called, its photos go ``uncertain`` (or roll up). A label
   with fewer than :data:`MIN_CALLS_PER_LABEL` calls keeps the global threshold.

Step 3 is what keeps the operating point per class: on ``reference_demo`` the global rule
reaches 98 % on average while calls of one class can sit far below it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from idtool.catalog.taxonomy import TaxonRecord
from idtool.decide.decision import ClassScores, DecisionResult, decide
from idtool.model.bundle import Thresholds
from idtool.types import Decision

SIMILARITY_QUANTILE = 0.02
# A label needs this many held-out calls before it gets its own threshold (or abstains):
# with fewer, one wrong call swings its accuracy by more than 10 points, and the global
# threshold, fitted on every call, is the better estimate.
MIN_CALLS_PER_LABEL = 10
CONFIDENCE_GRID = (
    *(round(x, 2) for x in np.arange(0.30, 0.96, 0.05)),
    0.97,
    0.98,
    0.99,
    0.995,
    0.999,
)


def is_correct(
    label: str | None, rank: str | None, truth: str, taxa: dict[str, TaxonRecord]
) -> bool:
    """An identified label is right if it is the true class or an ancestor of it."""
    if label is None:
        return False
    if label == truth:
        return True
    taxon = taxa.get(truth)
    return bool(taxon and rank and taxon.ancestor(rank) == label)


def decide_all(
    probs: np.ndarray,
    nearest: np.ndarray,
    classes: tuple[str, ...],
    taxa: dict[str, TaxonRecord],
    thresholds: Thresholds,
    source: str = "head",
) -> list[DecisionResult]:
    """:func:`idtool.decide.identify.decide` for every row."""
    return [
        decide(ClassScores(classes, probs[i], source), float(nearest[i]), taxa, thresholds)
        for i in range(len(probs))
    ]


def selective(
    outcomes: Sequence[DecisionResult], truths: Sequence[str], taxa: dict[str, TaxonRecord]
) -> tuple[int, int]:
    """(identified, correct) over the outcomes."""
    identified = correct = 0
    for outcome, truth in zip(outcomes, truths, strict=True):
        if outcome.decision is Decision.IDENTIFIED:
            identified += 1
            correct += is_correct(outcome.label, outcome.rank, truth, taxa)
    return identified, correct


def global_min_confidence(
    probs: np.ndarray,
    nearest: np.ndarray,
    truths: Sequence[str],
    classes: tuple[str, ...],
    taxa: dict[str, TaxonRecord],
    min_similarity: float,
    target: float,
) -> float:
    """The lowest grid confidence whose overall selective accuracy reaches ``target``."""
    for threshold in CONFIDENCE_GRID:
        rule = Thresholds(min_confidence=threshold, min_similarity=min_similarity)
        identified, correct = selective(
            decide_all(probs, nearest, classes, taxa, rule), truths, taxa
        )
        if identified == 0 or correct / identified >= target:
            return float(threshold)
    return float(CONFIDENCE_GRID[-1])


def per_label_thresholds(
    outcomes: Sequence[DecisionResult],
    truths: Sequence[str],
    taxa: dict[str, TaxonRecord],
    floor: float,
    target: float,
) -> tuple[dict[str, float], tuple[str, ...]]:
    """Per called label: the lowest grid confidence >= ``floor`` reaching ``target``.

    ``outcomes`` are the decisions at the global rule (every label at ``floor``).
    Returns the thresholds that differ from ``floor`` and the labels that never reach it.
    """
    calls: dict[str, list[tuple[float, bool]]] = {}
    for outcome, truth in zip(outcomes, truths, strict=True):
        if outcome.decision is Decision.IDENTIFIED and outcome.label is not None:
            right = is_correct(outcome.label, outcome.rank, truth, taxa)
            calls.setdefault(outcome.label, []).append((outcome.confidence, right))
    per_class: dict[str, float] = {}
    abstain: list[str] = []
    for label, rows in sorted(calls.items()):
        if len(rows) < MIN_CALLS_PER_LABEL:
            continue
        confidence = np.array([c for c, _ in rows])
        hits = np.array([r for _, r in rows], dtype=bool)
        chosen = None
        for threshold in (t for t in CONFIDENCE_GRID if t >= floor):
            kept = confidence >= threshold
            if not kept.any():
                break
            if hits[kept].mean() >= target:
                chosen = float(threshold)
                break
        if chosen is None:
            abstain.append(label)
        elif chosen > floor:
            per_class[label] = chosen
    return per_class, tuple(abstain)


def fit_thresholds(
    probs: np.ndarray,
    nearest: np.ndarray,
    truths: Sequence[str],
    classes: tuple[str, ...],
    taxa: dict[str, TaxonRecord],
    target: float,
    fit_on: str | None,
    *,
    per_class: bool = True,
) -> Thresholds:
    """Global and per-label thresholds from held-out probabilities (see the module doc)."""
    min_similarity = float(np.quantile(nearest, SIMILARITY_QUANTILE))
    min_confidence = global_min_confidence(
        probs, nearest, truths, classes, taxa, min_similarity, target
    )
    rule = Thresholds(
        min_confidence=min_confidence,
        min_similarity=round(min_similarity, 4),
        target_selective_accuracy=target,
        fit_on=fit_on,
    )
    if not per_class:
        return rule
    outcomes = decide_all(probs, nearest, classes, taxa, rule)
    labels, abstain = per_label_thresholds(outcomes, truths, taxa, min_confidence, target)
    return Thresholds(
        min_confidence=min_confidence,
        min_similarity=round(min_similarity, 4),
        target_selective_accuracy=target,
        per_class=labels,
        abstain=abstain,
        fit_on=fit_on,
    )


def class_operating_points(
    outcomes: Sequence[DecisionResult],
    truths: Sequence[str],
    classes: Sequence[str],
    taxa: dict[str, TaxonRecord],
) -> dict[str, dict[str, float | int | None]]:
    """Per true class: photos, identified, coverage and selective accuracy."""
    out: dict[str, dict[str, float | int | None]] = {}
    for label in classes:
        rows = [i for i, t in enumerate(truths) if t == label]
        identified, correct = selective([outcomes[i] for i in rows], [label] * len(rows), taxa)
        out[label] = {
            "photos": len(rows),
            "identified": identified,
            "coverage": round(identified / len(rows), 4) if rows else None,
            "selective_accuracy": round(correct / identified, 4) if identified else None,
        }
    return out


def worst_class(points: dict[str, dict[str, float | int | None]]) -> dict[str, object] | None:
    """The class with the lowest selective accuracy (ties: lowest coverage), and the
    classes none of whose photos were identified (they have no selective accuracy)."""
    scored = [
        (float(p["selective_accuracy"]), float(p["coverage"] or 0.0), label)
        for label, p in points.items()
        if p["selective_accuracy"] is not None
    ]
    never = sorted(label for label, p in points.items() if p["photos"] and not p["identified"])
    if not scored:
        return None
    accuracy, coverage, label = min(scored)
    return {
        "class": label,
        "selective_accuracy": accuracy,
        "coverage": coverage,
        "never_identified": never,
    }
