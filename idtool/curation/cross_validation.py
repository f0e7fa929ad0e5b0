"""Grouped cross-validation of the classifier recipe, with everything fitted out of fold.

Folds are stratified and keep near-duplicate groups on one side. Per fold, the scorer (the
``idtool train`` head, or the class-mean prototypes of :mod:`idtool.decide.prototypes`) is fitted
on the other folds; then the fold's temperature and thresholds (global and per class, see
:mod:`idtool.decide.thresholds`) are chosen on the other folds' held-out predictions, so no
figure is measured on data it was tuned on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from idtool.catalog.taxonomy import TaxonRecord
from idtool.curation.grouping import near_duplicate_group_ids
from idtool.curation.lookalike_margin import apply_margin, fit_margin, lookalike_mask
from idtool.curation.training import DEFAULT_C, TrainingSet, fit_linear
from idtool.decide.calibration import fit_temperature, softmax
from idtool.decide.identify import DecisionResult
from idtool.decide.prototypes import PROTOTYPE_SOURCE, class_means, prototype_logits
from idtool.decide.thresholds import decide_all, fit_thresholds
from idtool.model.bundle import TARGET_SELECTIVE_ACCURACY, Thresholds

HEAD_METHOD = "head"
METHODS = (HEAD_METHOD, PROTOTYPE_SOURCE)


@dataclass(frozen=True)
class CrossValidation:
    """Held-out predictions with everything fitted outside the fold they are measured on."""

    logits: np.ndarray  # n x classes
    probs: np.ndarray  # n x classes, temperature fitted on the other folds
    nearest: np.ndarray  # n, similarity to the nearest photo of the training folds
    fold: np.ndarray  # n, fold index
    groups: np.ndarray
    folds: int
    thresholds: list[dict[str, Any]]  # per fold
    outcomes: list[DecisionResult]  # per photo, at its fold's thresholds
    rules: list[Thresholds] = field(default_factory=list)  # per fold
    temperatures: list[float] = field(default_factory=list)  # per fold
    linear: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)  # per fold (W, b)


def fold_assignment(y: np.ndarray, groups: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """Stratified folds that keep every near-duplicate group on one side (as idtool train)."""
    from sklearn.model_selection import StratifiedGroupKFold

    smallest = min(len(set(groups[y == k])) for k in np.unique(y))
    k = max(2, min(folds, smallest))
    splitter = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
    fold = np.full(len(y), -1)
    for index, (_, test) in enumerate(splitter.split(np.zeros(len(y)), y, groups)):
        fold[test] = index
    return fold


def cross_validate(
    data: TrainingSet,
    taxa: dict[str, TaxonRecord],
    *,
    folds: int = 5,
    c: float = DEFAULT_C,
    seed: int = 0,
    target_selective_accuracy: float = TARGET_SELECTIVE_ACCURACY,
    groups: np.ndarray | None = None,
    method: str = HEAD_METHOD,
    per_class_thresholds: bool = True,
    balanced: bool = False,
) -> CrossValidation:
    """Grouped stratified k-fold with calibration and thresholds cross-fitted.

    ``groups`` (one id per photo) keeps near-duplicates in one fold; by default the
    embedding-cosine groups of ``idtool train``. :func:`evaluate` passes stricter groups
    that also link resized or re-encoded copies (difference hash).

    Per fold: the head (``method="head"``) is fitted on the other folds' photos (all
    views), or the class means (``method="prototype"``) are taken over their plain photos;
    the fold's plain photos are scored; then the fold's temperature and thresholds are
    chosen on the other folds' held-out scores, so no figure is measured on data it was
    tuned on.
    """
    y = data.y
    if groups is None:
        groups = near_duplicate_group_ids(data.paths, data.plain)
    fold = fold_assignment(y, groups, folds, seed)
    k = int(fold.max()) + 1
    logits = np.zeros((len(y), len(data.classes)), dtype=np.float64)
    nearest = np.zeros(len(y), dtype=np.float64)
    linear: list[tuple[np.ndarray, np.ndarray]] = []
    for f in range(k):
        train, test = np.flatnonzero(fold != f), np.flatnonzero(fold == f)
        if method == PROTOTYPE_SOURCE:
            means = class_means(data.plain[train], y[train], len(data.classes))
            logits[test] = prototype_logits(means, data.plain[test])
            linear.append((means, np.zeros(len(data.classes), dtype=np.float32)))
        else:
            x_train, y_train = data.samples(train)  # views, beside pooled tiles (texture view)
            weight, bias = fit_linear(x_train, y_train, len(data.classes), c, seed, balanced)
            logits[test] = data.logits(weight, bias, test)
            linear.append((weight, bias))
        nearest[test] = (data.plain[test] @ data.plain[train].T).max(axis=1)
    probs = np.zeros_like(logits)
    outcomes: list[DecisionResult | None] = [None] * len(y)
    per_fold = []
    rules, temperatures = [], []
    labels = np.asarray(data.labels)
    mask = lookalike_mask(data.classes, taxa)
    raw = logits.copy()
    for f in range(k):
        other, here = fold != f, fold == f
        # the look-alike margin, fitted on the other folds as idtool train fits it on all
        margin = fit_margin(raw[other], y[other], mask) if method == HEAD_METHOD else 0.0
        shifted = apply_margin(raw, mask, margin)
        logits[here] = shifted[here]
        temperature = fit_temperature(shifted[other], y[other])
        probs[here] = softmax(shifted[here], temperature)
        other_probs = softmax(shifted[other], temperature)
        rule = fit_thresholds(
            other_probs,
            nearest[other],
            labels[other].tolist(),
            data.classes,
            taxa,
            target_selective_accuracy,
            data.reference_version,
            per_class=per_class_thresholds,
        )
        rules.append(rule)
        temperatures.append(temperature)
        for i, outcome in zip(
            np.flatnonzero(here),
            decide_all(probs[here], nearest[here], data.classes, taxa, rule, method),
            strict=True,
        ):
            outcomes[i] = outcome
        per_fold.append(
            {
                "fold": f,
                "temperature": round(temperature, 4),
                "lookalike_margin": margin,
                "min_confidence": rule.min_confidence,
                "min_similarity": rule.min_similarity,
                "per_class": rule.per_class,
                "abstain": list(rule.abstain),
                "images": int(here.sum()),
            }
        )
    return CrossValidation(
        logits=logits,
        probs=probs,
        nearest=nearest,
        fold=fold,
        groups=groups,
        folds=k,
        thresholds=per_fold,
        outcomes=[o for o in outcomes if o is not None],
        rules=rules,
        temperatures=temperatures,
        linear=linear,
    )
