"""The typed shape of an evaluation's ``summary.json`` (see :mod:`idtool.curation.evaluation`).

``to_dict()`` is the JSON written to ``summary.json`` and stored in the catalog, key for key
and in the same order; read back (``--against``) it stays a plain dict, since older files
may lack newer keys.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any


@dataclass(frozen=True)
class EvaluationMetrics:
    """The headline figures of one cross-validation (``summary["metrics"]``)."""

    top1_accuracy: float
    top3_accuracy: float
    ece: float
    ece_uncalibrated: float
    coverage: float
    selective_accuracy: float | None
    wrong_identifications: int
    wrong_identification_rate: float
    abstained: int
    worst_class: dict[str, Any] | None
    decisions: dict[str, int]
    called_not_wildlife: int
    lower_protection: int

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass
class EvaluationSummary:
    """One evaluation run, as written to ``summary.json`` (``files`` is set once written)."""

    kind: str
    schema: int
    created: str
    who: str
    idtool_version: str
    model_name: str
    model_version: str
    embedding_version: str
    reference_version: str
    listing_set: dict[str, Any] | None
    seed: int
    folds: int
    folds_requested: int
    c: float
    class_weight: str
    crops: int
    tiles: dict[str, Any] | None
    target_selective_accuracy: float
    grouping: str
    scorer: str
    method: str
    images: int
    classes: list[str]
    metrics: EvaluationMetrics
    thresholds: dict[str, Any]
    per_class: dict[str, dict[str, Any]]
    operating_points: dict[str, Any]
    by_appendix: dict[str, dict[str, Any]]
    appendix_of: dict[str, str]
    reliability: list[dict[str, Any]]
    coverage_risk: list[dict[str, Any]]
    items: dict[str, Any]
    unknown: dict[str, Any] | None
    mistakes: list[dict[str, Any]]
    files: dict[str, str] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "files" and value is None:
                continue
            out[f.name] = value.to_dict() if isinstance(value, EvaluationMetrics) else value
        return out
