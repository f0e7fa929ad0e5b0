"""Honest evaluation of the reference set and model, and the non-regression gate.

:func:`evaluate` cross-validates the training recipe of ``idtool train`` on the current
reference set with folds grouped so that near-duplicates never sit on both sides, and
keeps everything that is fitted (temperature, ``min_confidence``, ``min_similarity``)
out of the fold it is measured on: each fold's calibration and thresholds are fitted on
the held-out predictions of the *other* folds. It reports top-1/top-3 accuracy,
per-class precision and recall, the confusion matrix, calibration (ECE and reliability
bins), the coverage-risk curve of the open-set rule, the operating point, errors by
CITES appendix, and optionally how many "not in the set" photos get identified.

Costs are asymmetric: calling listed material "not wildlife" (a look-alike class such as
``material_ceramic``) is far worse than the reverse, so those errors are counted apart
(``called_not_wildlife``) and the gate allows no increase in them.

Writing, storing and the non-regression gate are in :mod:`idtool.curation.evaluation_report`.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from idtool import __version__
from idtool.catalog.reference_import import IMAGE_SUFFIXES
from idtool.catalog.store import Catalog, current_user, now_iso
from idtool.catalog.taxonomy import TaxonRecord
from idtool.curation.grouping import HASH_DISTANCE, NEAR_DUPLICATE_COSINE, near_duplicate_group_ids
from idtool.curation.training import (
    DEFAULT_C,
    DEFAULT_CROPS,
    SIMILARITY_QUANTILE,
    TrainingSet,
    embed_training_set,
    expected_calibration_error,
    fit_linear,
    fit_temperature,
    is_correct,
    softmax,
    train_head,
)
from idtool.decide.identify import ClassScores, DecisionResult, Identifier, decide
from idtool.decide.texture import choose_texture
from idtool.errors import BadField, IdtoolError, NotFound
from idtool.model.bundle import TARGET_SELECTIVE_ACCURACY, ModelBundle, Thresholds
from idtool.model.runtime import EmbeddingEngine
from idtool.types import Decision

log = logging.getLogger(__name__)

SUMMARY_KIND = "idtool_evaluation"
SUMMARY_SCHEMA = 1
RELIABILITY_BINS = 10
CURVE_GRID = tuple(round(x, 2) for x in np.arange(0.0, 1.0, 0.01))
THRESHOLD_GRID = tuple(round(x, 2) for x in np.arange(0.30, 0.96, 0.05))  # as idtool train
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
    try:
        from idtool.cites import load_listing_index
        from idtool.cites.guidance import TradeDeclaration, guidance_for_label

        listings = load_listing_index(db)
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
    except (ImportError, IdtoolError) as exc:
        log.warning("CITES listings unavailable (%s); appendix categories are partial", exc)
        return fallback


def _strictness(category: str) -> int:
    return CATEGORIES.index(category)


def _predicted_category(
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


# cross-validation ---------------------------------------------------------------------------
@dataclass(frozen=True)
class CrossValidation:
    """Held-out predictions with everything fitted outside the fold they are measured on."""

    logits: np.ndarray  # n x classes
    probs: np.ndarray  # n x classes, temperature fitted on the other folds
    nearest: np.ndarray  # n, similarity to the nearest photo of the training folds
    fold: np.ndarray  # n, fold index
    groups: np.ndarray
    folds: int
    thresholds: list[dict[str, float]]  # per fold
    outcomes: list[DecisionResult]  # per photo, at its fold's thresholds


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


def _decide_all(
    probs: np.ndarray,
    nearest: np.ndarray,
    classes: tuple[str, ...],
    taxa: dict[str, TaxonRecord],
    thresholds: Thresholds,
) -> list[DecisionResult]:
    return [
        decide(ClassScores(classes, probs[i], "head"), float(nearest[i]), taxa, thresholds)
        for i in range(len(probs))
    ]


def _selective(
    outcomes: Sequence[DecisionResult], truths: Sequence[str], taxa: dict[str, TaxonRecord]
) -> tuple[int, int]:
    identified = correct = 0
    for outcome, truth in zip(outcomes, truths, strict=True):
        if outcome.decision is Decision.IDENTIFIED:
            identified += 1
            correct += is_correct(outcome.label, outcome.rank, truth, taxa)
    return identified, correct


def _pick_min_confidence(
    probs: np.ndarray,
    nearest: np.ndarray,
    truths: Sequence[str],
    classes: tuple[str, ...],
    taxa: dict[str, TaxonRecord],
    min_similarity: float,
    target: float,
) -> float:
    """The lowest grid threshold whose selective accuracy reaches ``target`` (as idtool train)."""
    for threshold in THRESHOLD_GRID:
        rule = Thresholds(min_confidence=threshold, min_similarity=min_similarity)
        identified, correct = _selective(
            _decide_all(probs, nearest, classes, taxa, rule), truths, taxa
        )
        if identified == 0 or correct / identified >= target:
            return threshold
    return THRESHOLD_GRID[-1]


def cross_validate(
    data: TrainingSet,
    taxa: dict[str, TaxonRecord],
    *,
    folds: int = 5,
    c: float = DEFAULT_C,
    seed: int = 0,
    target_selective_accuracy: float = TARGET_SELECTIVE_ACCURACY,
    groups: np.ndarray | None = None,
) -> CrossValidation:
    """Grouped stratified k-fold with calibration and thresholds cross-fitted.

    ``groups`` (one id per photo) keeps near-duplicates in one fold; by default the
    embedding-cosine groups of ``idtool train``. :func:`evaluate` passes stricter groups
    that also link resized or re-encoded copies (difference hash).

    Per fold: the head is fitted on the other folds' photos (all views), the fold's plain
    photos are scored; then the temperature and both thresholds for the fold are chosen
    on the other folds' held-out scores, so no figure is measured on data it was tuned on.
    """
    y = data.y
    if groups is None:
        groups = near_duplicate_group_ids(data.paths, data.plain)
    fold = fold_assignment(y, groups, folds, seed)
    k = int(fold.max()) + 1
    logits = np.zeros((len(y), len(data.classes)), dtype=np.float64)
    nearest = np.zeros(len(y), dtype=np.float64)
    for f in range(k):
        train, test = np.flatnonzero(fold != f), np.flatnonzero(fold == f)
        x_train, y_train = data.samples(train)  # views, beside pooled tiles with a texture view
        weight, bias = fit_linear(x_train, y_train, len(data.classes), c, seed)
        logits[test] = data.logits(weight, bias, test)
        nearest[test] = (data.plain[test] @ data.plain[train].T).max(axis=1)
    probs = np.zeros_like(logits)
    outcomes: list[DecisionResult | None] = [None] * len(y)
    per_fold = []
    labels = np.asarray(data.labels)
    for f in range(k):
        other, here = fold != f, fold == f
        temperature = fit_temperature(logits[other], y[other])
        probs[here] = softmax(logits[here], temperature)
        other_probs = softmax(logits[other], temperature)
        min_similarity = float(np.quantile(nearest[other], SIMILARITY_QUANTILE))
        min_confidence = _pick_min_confidence(
            other_probs,
            nearest[other],
            labels[other].tolist(),
            data.classes,
            taxa,
            min_similarity,
            target_selective_accuracy,
        )
        rule = Thresholds(min_confidence=min_confidence, min_similarity=min_similarity)
        for i, outcome in zip(
            np.flatnonzero(here),
            _decide_all(probs[here], nearest[here], data.classes, taxa, rule),
            strict=True,
        ):
            outcomes[i] = outcome
        per_fold.append(
            {
                "fold": f,
                "temperature": round(temperature, 4),
                "min_confidence": min_confidence,
                "min_similarity": round(min_similarity, 4),
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
    )


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
        identified, correct = _selective(
            _decide_all(cv.probs, cv.nearest, data.classes, taxa, rule), data.labels, taxa
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


def _error_counts(
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
        predicted = _predicted_category(outcome, categories, taxa) or "unknown"
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
        identified, correct = _selective([cv.outcomes[i] for i in mask], [label] * len(mask), taxa)
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


# photos that are not in the reference set ---------------------------------------------------
def unknown_files(folder: Path) -> list[Path]:
    """Image files under ``folder`` (recursively), sorted.

    Raises:
        NotFound: the folder does not exist.
        BadField: it holds no image files.
    """
    if not folder.is_dir():
        raise NotFound(f"folder of not-in-the-set photos {folder} does not exist")
    files = sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".")
    )
    if not files:
        raise BadField(f"{folder} has no image files ({', '.join(sorted(IMAGE_SUFFIXES))})")
    return files


def check_unknown(
    identifier: Identifier,
    files: Sequence[Path],
    categories: dict[str, str],
    taxa: dict[str, TaxonRecord],
) -> dict[str, Any]:
    """Identify photos of things that are not in the reference set; any ``identified`` is wrong."""
    results = identifier.identify_paths(files, max_bytes=40 * 1024 * 1024, max_pixels=60_000_000)
    items: list[dict[str, Any]] = []
    counts = {d.value: 0 for d in Decision} | {"error": 0}
    by_category: dict[str, int] = {}
    for result in results:
        if result.error:
            counts["error"] += 1
            items.append({"image": result.image, "error": result.error.code})
            continue
        assert result.decision is not None  # set whenever error is None
        counts[result.decision.value] += 1
        category = None
        if result.decision is Decision.IDENTIFIED and result.label:
            outcome = DecisionResult(
                result.decision, result.label, result.rank, result.confidence or 0.0, (), ""
            )
            category = _predicted_category(outcome, categories, taxa)
            by_category[category or "unknown"] = by_category.get(category or "unknown", 0) + 1
        items.append(
            {
                "image": result.image,
                "decision": result.decision.value,
                "label": result.label,
                "appendix": category,
                "confidence": round(result.confidence or 0.0, 4),
                "nearest_similarity": result.nearest_similarity,
                "top_candidate": result.candidates[0].label if result.candidates else None,
            }
        )
    processed = len(results) - counts["error"]
    return {
        "photos": len(results),
        "processed": processed,
        "decisions": counts,
        "false_identifications": counts[Decision.IDENTIFIED.value],
        "false_identification_rate": round(counts[Decision.IDENTIFIED.value] / processed, 4)
        if processed
        else None,
        "identified_as_appendix": by_category,
        "items": items,
    }


# the whole evaluation -----------------------------------------------------------------------
@dataclass
class Evaluation:
    """One evaluation run: the summary document and the arrays the plots need."""

    summary: dict[str, Any]
    confusion: np.ndarray
    classes: tuple[str, ...]
    paths: tuple[str, ...] = ()
    fold: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))  # per photo
    groups: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))  # per photo
    files: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return self.summary


def evaluate(
    catalog: Catalog,
    bundle: ModelBundle,
    engine: EmbeddingEngine,
    *,
    folds: int = 5,
    seed: int = 0,
    c: float = DEFAULT_C,
    crops: int = DEFAULT_CROPS,
    target_selective_accuracy: float = TARGET_SELECTIVE_ACCURACY,
    unknown_dir: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    tiles: bool | None = None,
) -> Evaluation:
    """Cross-validate the reference set with the ``idtool train`` recipe (see the module doc).

    Raises:
        CatalogError: fewer than two classes, or a class with fewer than 3 photos.
        NotFound, BadField: ``unknown_dir`` is missing or holds no images.
    """
    files = unknown_files(unknown_dir) if unknown_dir is not None else None
    taxa = catalog.taxa()
    texture = choose_texture(sorted({img.label for img in catalog.active_images()}), tiles)
    data = embed_training_set(
        catalog, bundle, engine, crops=crops, seed=seed, progress=progress, texture=texture
    )
    groups = near_duplicate_group_ids(data.paths, data.plain)
    cv = cross_validate(
        data,
        taxa,
        folds=folds,
        c=c,
        seed=seed,
        target_selective_accuracy=target_selective_accuracy,
        groups=groups,
    )
    categories = appendix_table(list(taxa), taxa, catalog.db)
    y = data.y
    order = np.argsort(-cv.logits, axis=1)
    n = len(y)
    identified, correct = _selective(cv.outcomes, data.labels, taxa)
    top1 = [data.classes[i] for i in order[:, 0]]
    by_appendix = _error_counts(cv.outcomes, top1, data.labels, categories, taxa)
    metrics = {
        "top1_accuracy": round(float((order[:, 0] == y).mean()), 4),
        "top3_accuracy": round(float((order[:, :3] == y[:, None]).any(axis=1).mean()), 4),
        "ece": round(expected_calibration_error(cv.probs, y, RELIABILITY_BINS), 4),
        "ece_uncalibrated": round(expected_calibration_error(softmax(cv.logits, 1.0), y), 4),
        "coverage": round(identified / n, 4),
        "selective_accuracy": round(correct / identified, 4) if identified else None,
        "wrong_identifications": identified - correct,
        "wrong_identification_rate": round((identified - correct) / n, 4),
        "abstained": n - identified,
        "decisions": {d.value: sum(1 for o in cv.outcomes if o.decision is d) for d in Decision},
        "called_not_wildlife": sum(r["called_not_wildlife"] for r in by_appendix.values()),
        "lower_protection": sum(r["lower_protection"] for r in by_appendix.values()),
    }
    final = train_head(
        data, taxa, folds=folds, c=c, seed=seed, target_selective_accuracy=target_selective_accuracy
    )
    unknown = None
    if files is not None:
        meta = {**bundle.meta, "tiles": texture.to_dict() if texture else None}
        trained = replace(bundle, meta=meta, head=final.head, thresholds=final.thresholds)
        identifier = Identifier(
            trained, engine, catalog.load_embeddings(bundle.embedding_version), taxa
        )
        unknown = check_unknown(identifier, files, categories, taxa)
        unknown["folder"] = str(unknown_dir)
    listing_set = None
    try:
        from idtool.cites import load_listing_index

        sets = load_listing_index(catalog.db).sets
        listing_set = sets[-1].to_dict() if sets else None
    except (ImportError, IdtoolError, AttributeError):
        listing_set = None
    summary = {
        "kind": SUMMARY_KIND,
        "schema": SUMMARY_SCHEMA,
        "created": now_iso(),
        "who": current_user(),
        "idtool_version": __version__,
        "model_name": bundle.name,
        "model_version": bundle.version,
        "embedding_version": bundle.embedding_version,
        "reference_version": data.reference_version,
        "listing_set": listing_set,
        "seed": seed,
        "folds": cv.folds,
        "folds_requested": folds,
        "c": c,
        "crops": crops,
        "tiles": texture.to_dict() if texture else None,
        "target_selective_accuracy": target_selective_accuracy,
        "grouping": f"near-duplicates (cosine >= {NEAR_DUPLICATE_COSINE} or difference-hash "
        f"distance <= {HASH_DISTANCE}/64, mirror included) kept in one fold; "
        f"{len(set(cv.groups.tolist()))} groups for {n} photos",
        "method": "head refitted per fold (idtool train recipe); temperature and thresholds "
        "fitted on the other folds' held-out predictions",
        "images": n,
        "classes": list(data.classes),
        "metrics": metrics,
        "thresholds": {"per_fold": cv.thresholds, "final": final.thresholds.to_dict()},
        "per_class": per_class_metrics(data, cv, taxa, categories),
        "by_appendix": by_appendix,
        "appendix_of": {label: categories.get(label, "unknown") for label in data.classes},
        "reliability": reliability_bins(cv.probs, y),
        "coverage_risk": coverage_risk_curve(cv, data, taxa),
        "unknown": unknown,
        "mistakes": [
            {
                "path": data.paths[i],
                "label": data.labels[i],
                "top1": top1[i],
                "decision": cv.outcomes[i].decision.value,
                "identified_as": cv.outcomes[i].label,
            }
            for i in range(n)
            if top1[i] != data.labels[i]
        ],
    }
    return Evaluation(
        summary=summary,
        confusion=confusion_matrix(data, cv),
        classes=data.classes,
        paths=data.paths,
        fold=cv.fold,
        groups=cv.groups,
    )
