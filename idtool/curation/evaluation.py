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
from idtool.curation.cross_validation import HEAD_METHOD, cross_validate
from idtool.curation.evaluation_metrics import (
    RELIABILITY_BINS,
    appendix_table,
    confusion_matrix,
    coverage_risk_curve,
    error_counts,
    per_class_metrics,
    predicted_category,
    reliability_bins,
)
from idtool.curation.evaluation_summary import EvaluationMetrics, EvaluationSummary
from idtool.curation.grouping import HASH_DISTANCE, NEAR_DUPLICATE_COSINE, near_duplicate_group_ids
from idtool.curation.item_evaluation import evaluate_items
from idtool.curation.recipe import TrainingRecipe
from idtool.curation.training import (
    DEFAULT_C,
    DEFAULT_CROPS,
    embed_training_set,
    expected_calibration_error,
    softmax,
    train_head,
)
from idtool.decide.identify import DecisionResult, Identifier
from idtool.decide.texture import choose_texture
from idtool.decide.thresholds import class_operating_points, selective, worst_class
from idtool.errors import BadField, ListingDataError, NotFound
from idtool.model.bundle import TARGET_SELECTIVE_ACCURACY, ModelBundle
from idtool.model.runtime import EmbeddingEngine
from idtool.types import Decision

log = logging.getLogger(__name__)

SUMMARY_KIND = "idtool_evaluation"
SUMMARY_SCHEMA = 1


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
            category = predicted_category(outcome, categories, taxa)
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

    summary: EvaluationSummary
    confusion: np.ndarray
    classes: tuple[str, ...]
    paths: tuple[str, ...] = ()
    fold: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))  # per photo
    groups: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))  # per photo
    files: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return self.summary.to_dict()


def newest_listing_set(db: Any) -> dict[str, Any] | None:
    """The newest CITES listing set guidance uses (for the summary); None when unreadable.

    Only unreadable listing data (:class:`ListingDataError`) is caught, and logged.
    """
    from idtool.cites import load_listing_index

    try:
        sets = load_listing_index(db).sets
    except ListingDataError as exc:
        log.warning("evaluation summary without its CITES listing set: %s", exc.message)
        return None
    return sets[-1].to_dict() if sets else None


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
    method: str = HEAD_METHOD,
    tiles: bool | None = None,
    balanced: bool = False,
    groups: np.ndarray | None = None,
    cache_root: Path | None = None,
) -> Evaluation:
    """Cross-validate the reference set with the ``idtool train`` recipe (see the module doc).

    ``groups`` (one id per active photo, in catalog order) replaces the near-duplicate
    groups, e.g. those of another bundle's run, so that two bundles are compared on the
    same folds. ``cache_root``: where photo embeddings are cached (see
    :mod:`idtool.curation.embedding_cache`).

    Raises:
        CatalogError: fewer than two classes, or a class with fewer than 3 photos.
        NotFound, BadField: ``unknown_dir`` is missing or holds no images.
    """
    files = unknown_files(unknown_dir) if unknown_dir is not None else None
    taxa = catalog.taxa()
    texture = choose_texture(sorted({img.label for img in catalog.active_images()}), tiles)
    data = embed_training_set(
        catalog,
        bundle,
        engine,
        crops=crops,
        seed=seed,
        progress=progress,
        texture=texture,
        cache_root=cache_root,
    )
    if groups is None or len(groups) != len(data.paths):
        groups = near_duplicate_group_ids(data.paths, data.plain)
    # the idtool train recipe, for the cross-validation and for the final head alike
    recipe = TrainingRecipe(
        folds=folds,
        c=c,
        seed=seed,
        target_selective_accuracy=target_selective_accuracy,
        balanced=balanced,
    )
    cv = cross_validate(data, taxa, groups=groups, method=method, **recipe.kwargs())
    points = class_operating_points(cv.outcomes, data.labels, data.classes, taxa)
    categories = appendix_table(list(taxa), taxa, catalog.db)
    y = data.y
    order = np.argsort(-cv.logits, axis=1)
    n = len(y)
    identified, correct = selective(cv.outcomes, data.labels, taxa)
    top1 = [data.classes[i] for i in order[:, 0]]
    by_appendix = error_counts(cv.outcomes, top1, data.labels, categories, taxa)
    metrics = EvaluationMetrics(
        top1_accuracy=round(float((order[:, 0] == y).mean()), 4),
        top3_accuracy=round(float((order[:, :3] == y[:, None]).any(axis=1).mean()), 4),
        ece=round(expected_calibration_error(cv.probs, y, RELIABILITY_BINS), 4),
        ece_uncalibrated=round(expected_calibration_error(softmax(cv.logits, 1.0), y), 4),
        coverage=round(identified / n, 4),
        selective_accuracy=round(correct / identified, 4) if identified else None,
        wrong_identifications=identified - correct,
        wrong_identification_rate=round((identified - correct) / n, 4),
        abstained=n - identified,
        worst_class=worst_class(points),
        decisions={d.value: sum(1 for o in cv.outcomes if o.decision is d) for d in Decision},
        called_not_wildlife=sum(r["called_not_wildlife"] for r in by_appendix.values()),
        lower_protection=sum(r["lower_protection"] for r in by_appendix.values()),
    )
    final = train_head(data, taxa, **recipe.kwargs())
    unknown = None
    if files is not None:
        meta = {**bundle.meta, "tiles": texture.to_dict() if texture else None}
        trained = replace(bundle, meta=meta, head=final.head, thresholds=final.thresholds)
        identifier = Identifier(
            trained, engine, catalog.load_embeddings(bundle.embedding_version), taxa
        )
        unknown = check_unknown(identifier, files, categories, taxa)
        unknown["folder"] = str(unknown_dir)
    listing_set = newest_listing_set(catalog.db)
    summary = EvaluationSummary(
        kind=SUMMARY_KIND,
        schema=SUMMARY_SCHEMA,
        created=now_iso(),
        who=current_user(),
        idtool_version=__version__,
        model_name=bundle.name,
        model_version=bundle.version,
        embedding_version=bundle.embedding_version,
        reference_version=data.reference_version,
        listing_set=listing_set,
        seed=seed,
        folds=cv.folds,
        folds_requested=folds,
        c=c,
        class_weight="balanced" if balanced else "none",
        crops=crops,
        tiles=texture.to_dict() if texture else None,
        target_selective_accuracy=target_selective_accuracy,
        grouping=f"near-duplicates (cosine >= {NEAR_DUPLICATE_COSINE} or difference-hash "
        f"distance <= {HASH_DISTANCE}/64, mirror included) kept in one fold; "
        f"{len(set(cv.groups.tolist()))} groups for {n} photos",
        scorer=method,
        method=(
            "head refitted per fold (idtool train recipe)"
            if method == HEAD_METHOD
            else "class-mean prototypes refitted per fold (the fallback when the head is stale)"
        )
        + "; temperature and thresholds (global and per class) fitted on the other folds' "
        "held-out predictions",
        images=n,
        classes=list(data.classes),
        metrics=metrics,
        thresholds={"per_fold": cv.thresholds, "final": final.thresholds.to_dict()},
        per_class=per_class_metrics(data, cv, taxa, categories),
        operating_points=points,
        by_appendix=by_appendix,
        appendix_of={label: categories.get(label, "unknown") for label in data.classes},
        reliability=reliability_bins(cv.probs, y),
        coverage_risk=coverage_risk_curve(cv, data, taxa),
        items=evaluate_items(data, cv, taxa, seed),
        unknown=unknown,
        mistakes=[
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
    )
    return Evaluation(
        summary=summary,
        confusion=confusion_matrix(data, cv),
        classes=data.classes,
        paths=data.paths,
        fold=cv.fold,
        groups=cv.groups,
    )
