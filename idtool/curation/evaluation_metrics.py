"""Figures of an evaluation: CITES categories, per-class metrics, calibration, errors.

Costs are asymmetric: calling listed material "not wildlife" (a look-alike class such as
``material_ceramic``) is far worse than the reverse, so those errors are counted apart
(``called_not_wildlife``).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

from idtool.catalog.taxonomy import TaxonRecord
from idtool.curation.cross_validation import CrossValidation
from idtool.curation.training import TrainingSet
from idtool.decide.identify import DecisionResult
from idtool.decide.thresholds import SIMILARITY_QUANTILE, decide_all, is_correct, selective
from idtool.errors import ListingDataError
from idtool.model.bundle import Thresholds
from idtool.types import Decision

log = logging.getLogger(__name__)

RELIABILITY_BINS = 10
CURVE_GRID = tuple(round(x, 2) for x in np.arange(0.0, 1.0, 0.01))
# Appendix categories, strictest first; "not_wildlife" is a non-wildlife look-alike class.
CATEGORIES = ("I", "II", "III", "unknown", "not_listed", "not_wildlife")
LISTED = ("I", "II", "III")


# appendix lookup --------------------------------------------------------------------------
def appendix_of(label: str, taxa: dict[str, TaxonRecord], db: Any) -> str:
    """The CITES category of one reference label: I, II, III, not_listed, not_wildlife, unknown.

    Uses the CITES guidance engine over the catalog's listing sets (the bundled table when
    none was imported); a material class takes its strictest source. Without the engine,
    look-alike classes are ``not_wildlife`` and everything else ``unknown``.
    """
    return appendix_table([label], taxa, db)[label]


def appendix_table(labels: Sequence[str], taxa: dict[str, TaxonRecord], db: Any) -> dict[str, str]:
    """:func:`appendix_of` for many labels, loading the listing index once."""
    fallback = {
        label: "not_wildlife" if taxa.get(label) and taxa[label].is_lookalike else "unknown"
        for label in labels
    }
    from idtool.cites import load_listing_index
    from idtool.cites.guidance import TradeDeclaration, guidance_for_label

    try:
        listings = load_listing_index(db)
    except ListingDataError as exc:  # unreadable listing data: say what is left out
        log.warning(
            "CITES listings unreadable (%s): the %d classes get no appendix category "
            "(look-alikes stay not_wildlife, the rest unknown)",
            exc.message,
            len(fallback),
        )
        return fallback
    out = {}
    for label in labels:
        answer = guidance_for_label(label, TradeDeclaration(), listings).to_dict()
        appendix = (answer.get("cites") or {}).get("appendix")
        status = answer.get("status")
        if appendix in LISTED:
            out[label] = appendix
        elif status == "not_wildlife" or fallback[label] == "not_wildlife":
            out[label] = "not_wildlife"
        elif status in ("not_listed", "not_listed_as_material"):
            out[label] = "not_listed"
        else:
            out[label] = "unknown"
    return out


def _strictness(category: str) -> int:
    return CATEGORIES.index(category)


def predicted_category(
    outcome: DecisionResult, categories: dict[str, str], taxa: dict[str, TaxonRecord]
) -> str | None:
    """Category of an identified label; a roll-up takes its strictest member class."""
    if outcome.decision is not Decision.IDENTIFIED or outcome.label is None:
        return None
    if outcome.label in categories:
        return categories[outcome.label]
    members = [
        categories[label]
        for label, taxon in taxa.items()
        if label in categories and outcome.rank and taxon.ancestor(outcome.rank) == outcome.label
    ]
    return min(members, key=_strictness) if members else "unknown"


# metrics ------------------------------------------------------------------------------------
def reliability_bins(
    probs: np.ndarray, y: np.ndarray, bins: int = RELIABILITY_BINS
) -> list[dict[str, Any]]:
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == y
    edges = np.linspace(0, 1, bins + 1)
    out = []
    for low, high in itertools.pairwise(edges):
        mask = (confidence > low) & (confidence <= high)
        out.append(
            {
                "low": round(float(low), 2),
                "high": round(float(high), 2),
                "count": int(mask.sum()),
                "confidence": round(float(confidence[mask].mean()), 4) if mask.any() else None,
                "accuracy": round(float(correct[mask].mean()), 4) if mask.any() else None,
            }
        )
    return out


def coverage_risk_curve(
    cv: CrossValidation, data: TrainingSet, taxa: dict[str, TaxonRecord]
) -> list[dict[str, float]]:
    """Coverage and risk of the full decision rule (roll-up included) per ``min_confidence``.

    Uses the held-out calibrated probabilities and one ``min_similarity`` (the 2nd percentile
    of all held-out nearest similarities).
    """
    min_similarity = float(np.quantile(cv.nearest, SIMILARITY_QUANTILE))
    curve = []
    for threshold in CURVE_GRID:
        rule = Thresholds(min_confidence=threshold, min_similarity=min_similarity)
        identified, correct = selective(
            decide_all(cv.probs, cv.nearest, data.classes, taxa, rule), data.labels, taxa
        )
        n = len(data.labels)
        curve.append(
            {
                "min_confidence": threshold,
                "coverage": round(identified / n, 4),
                "selective_accuracy": round(correct / identified, 4) if identified else 1.0,
                "risk": round(1 - correct / identified, 4) if identified else 0.0,
            }
        )
    return curve


def error_counts(
    outcomes: Sequence[DecisionResult | None],
    top1: Sequence[str],
    truths: Sequence[str],
    categories: dict[str, str],
    taxa: dict[str, TaxonRecord],
) -> dict[str, dict[str, Any]]:
    """Per true category: accuracy and the kinds of error, strictest category first."""
    table: dict[str, dict[str, Any]] = {}
    for outcome, guess, truth in zip(outcomes, top1, truths, strict=True):
        category = categories.get(truth, "unknown")
        row = table.setdefault(
            category,
            {
                "images": 0,
                "top1_correct": 0,
                "top1_called_not_wildlife": 0,
                "identified": 0,
                "correct": 0,
                "wrong_identifications": 0,
                "called_not_wildlife": 0,
                "lower_protection": 0,
                "called_wildlife": 0,
                "abstained": 0,
            },
        )
        row["images"] += 1
        row["top1_correct"] += guess == truth
        listed = category in LISTED
        row["top1_called_not_wildlife"] += listed and categories.get(guess) == "not_wildlife"
        if outcome is None or outcome.decision is not Decision.IDENTIFIED:
            row["abstained"] += 1
            continue
        row["identified"] += 1
        if is_correct(outcome.label, outcome.rank, truth, taxa):
            row["correct"] += 1
            continue
        row["wrong_identifications"] += 1
        predicted = predicted_category(outcome, categories, taxa) or "unknown"
        if listed and predicted == "not_wildlife":
            row["called_not_wildlife"] += 1
        elif listed and _strictness(predicted) > _strictness(category):
            row["lower_protection"] += 1
        if category == "not_wildlife" and predicted != "not_wildlife":
            row["called_wildlife"] += 1
    for row in table.values():
        row["top1_accuracy"] = round(row["top1_correct"] / row["images"], 4)
        row["wrong_identification_rate"] = round(row["wrong_identifications"] / row["images"], 4)
    return {c: table[c] for c in CATEGORIES if c in table}


def per_class_metrics(
    data: TrainingSet,
    cv: CrossValidation,
    taxa: dict[str, TaxonRecord],
    categories: dict[str, str],
) -> dict[str, dict[str, Any]]:
    y = data.y
    pred = cv.logits.argmax(axis=1)
    out = {}
    for k, label in enumerate(data.classes):
        support = int((y == k).sum())
        predicted = int((pred == k).sum())
        tp = int(((pred == k) & (y == k)).sum())
        precision = tp / predicted if predicted else 0.0
        recall = tp / support if support else 0.0
        mask = np.flatnonzero(y == k)
        identified, correct = selective([cv.outcomes[i] for i in mask], [label] * len(mask), taxa)
        out[label] = {
            "appendix": categories.get(label, "unknown"),
            "support": support,
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(2 * precision * recall / (precision + recall), 4) if tp else 0.0,
            "identified": identified,
            "wrong_identifications": identified - correct,
            "abstained": support - identified,
        }
    return out


def confusion_matrix(data: TrainingSet, cv: CrossValidation) -> np.ndarray:
    n = len(data.classes)
    matrix = np.zeros((n, n), dtype=int)
    for truth, guess in zip(data.y, cv.logits.argmax(axis=1), strict=True):
        matrix[truth, guess] += 1
    return matrix
