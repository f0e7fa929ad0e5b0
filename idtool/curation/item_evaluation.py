"""Single photos against 2- and 3-photo items, on the held-out folds of a cross-validation.

Items are drawn from one held-out fold and one class (seeded, photos not repeated within
an item): the demo set has no series of photos of one physical object, so photos of
different individuals of the class stand in for the several views an officer takes. That
is a kinder test than real items (views of one object are more alike, so fusing them
gains less); the fusion weight fitted here is therefore an upper bound.

Both fusion rules of :mod:`idtool.decide.fusion` are measured:

- ``logprob``: tempered product of the photos' calibrated probabilities, ``alpha`` fitted
  by likelihood on the *other* folds' items;
- ``embedding``: the fold's scorer applied to the mean of the photos' embeddings, at the
  fold's temperature.

Each item goes through the fold's own thresholds (global and per class), so coverage and
selective accuracy (average and worst class) say whether abstention still means what it
says for items.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from idtool.catalog.taxonomy import TaxonRecord
from idtool.curation.cross_validation import CrossValidation
from idtool.curation.training import TrainingSet
from idtool.decide.calibration import softmax
from idtool.decide.decision import ClassScores, DecisionResult, decide
from idtool.decide.fusion import EMBEDDING_RULE, LOGPROB_RULE, fit_alpha, fuse_probabilities
from idtool.decide.thresholds import class_operating_points, selective, worst_class

ITEM_SIZES = (1, 2, 3)
DRAWS_PER_PHOTO = 2  # each photo appears in about this many items of each size


def draw_items(
    fold: np.ndarray, y: np.ndarray, size: int, seed: int
) -> list[tuple[int, np.ndarray]]:
    """(fold, photo indices) per item: ``size`` photos of one class from one fold."""
    rng = np.random.default_rng(seed + 1000 * size)
    items = []
    for f in sorted(set(fold.tolist())):
        for k in sorted(set(y.tolist())):
            rows = np.flatnonzero((fold == f) & (y == k))
            if len(rows) < size:
                continue
            for _ in range(DRAWS_PER_PHOTO if size > 1 else 1):
                order = rng.permutation(rows)
                for start in range(0, len(order) - size + 1, size):
                    items.append((f, np.sort(order[start : start + size])))
    return items


def _figures(
    outcomes: list[DecisionResult],
    top1: list[str],
    truths: list[str],
    classes: tuple[str, ...],
    taxa: dict[str, TaxonRecord],
) -> dict[str, Any]:
    identified, correct = selective(outcomes, truths, taxa)
    points = class_operating_points(outcomes, truths, classes, taxa)
    return {
        "items": len(truths),
        "top1_accuracy": round(
            float(np.mean([a == b for a, b in zip(top1, truths, strict=True)])), 4
        ),
        "coverage": round(identified / len(truths), 4) if truths else None,
        "selective_accuracy": round(correct / identified, 4) if identified else None,
        "wrong_identifications": identified - correct,
        "worst_class": worst_class(points),
        "operating_points": points,
    }


def fold_alphas(
    items: list[tuple[int, np.ndarray]], cv: CrossValidation, y: np.ndarray
) -> dict[int, float]:
    """Per fold, the ``alpha`` fitted on the items of the other folds."""
    out = {}
    for f in range(cv.folds):
        other = [rows for g, rows in items if g != f]
        out[f] = fit_alpha([cv.probs[rows] for rows in other], [int(y[rows[0]]) for rows in other])
    return out


def _item_probs(
    rule: str,
    rows: np.ndarray,
    f: int,
    alpha: float,
    data: TrainingSet,
    cv: CrossValidation,
) -> np.ndarray:
    if len(rows) == 1:
        return np.asarray(cv.probs[rows[0]])
    if rule == LOGPROB_RULE:
        return fuse_probabilities(cv.probs[rows], alpha)
    weight, bias = cv.linear[f]
    if weight.shape[1] != data.plain.shape[1]:
        # a head that also reads surface tiles: average what it reads for each photo
        pooled = data.features(np.asarray(rows)).mean(axis=0)
    else:
        pooled = data.plain[rows].mean(axis=0)
        pooled = pooled / max(float(np.linalg.norm(pooled)), 1e-12)
    logits = (pooled @ weight.T + bias)[None, :].astype(np.float64)
    return np.asarray(softmax(logits, cv.temperatures[f])[0])


def evaluate_items(
    data: TrainingSet, cv: CrossValidation, taxa: dict[str, TaxonRecord], seed: int = 0
) -> dict[str, Any]:
    """Figures per item size and fusion rule (see the module doc)."""
    if not cv.rules or not cv.linear:
        return {}
    y = data.y
    drawn = {size: draw_items(cv.fold, y, size, seed) for size in ITEM_SIZES}
    alphas = fold_alphas(drawn[2] + drawn[3], cv, y)
    sizes: dict[str, Any] = {}
    for size, items in drawn.items():
        if not items:
            continue
        truths = [data.labels[rows[0]] for _, rows in items]
        results: dict[str, Any] = {}
        for rule in (LOGPROB_RULE, EMBEDDING_RULE) if size > 1 else (LOGPROB_RULE,):
            outcomes, top1 = [], []
            for f, rows in items:
                probs = _item_probs(rule, rows, f, alphas[f], data, cv)
                scores = ClassScores(data.classes, probs, "cv")
                outcomes.append(decide(scores, float(cv.nearest[rows].max()), taxa, cv.rules[f]))
                top1.append(data.classes[int(np.argmax(probs))])
            name = rule if size > 1 else "single_photo"
            results[name] = _figures(outcomes, top1, truths, data.classes, taxa)
        sizes[str(size)] = results
    return {
        "method": "items of N photos of one class drawn from one held-out fold (seeded; "
        "photos of different individuals stand in for views of one object); logprob alpha "
        "fitted on the other folds' items; each fold's own thresholds",
        "alpha_per_fold": {str(f): a for f, a in alphas.items()},
        "sizes": sizes,
    }
