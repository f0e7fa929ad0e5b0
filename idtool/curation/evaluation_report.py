"""Writing, storing and comparing evaluation summaries (the non-regression gate).

- :func:`write_evaluation`: ``summary.json``, CSVs and plots into a folder.
- :func:`store_evaluation`: the summary in the catalog's ``evaluations`` table.
- :func:`compare_evaluations`: fails when a new summary is worse than a previous one
  beyond a stated :class:`Tolerance`, and names the classes that got worse.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from idtool.catalog.store import Catalog
from idtool.curation.evaluation import SUMMARY_KIND, Evaluation
from idtool.curation.evaluation_summary import EvaluationSummary
from idtool.errors import BadField, NotFound


def write_evaluation(evaluation: Evaluation, out: Path) -> dict[str, str]:
    """Write summary.json, confusion_matrix.csv/.png, per_class.csv, reliability.png and
    coverage_risk.png into ``out``; returns the file paths by name."""
    from idtool.curation.plots import (
        plot_confusion,
        plot_coverage_risk,
        plot_reliability,
    )  # matplotlib: slow import

    out.mkdir(parents=True, exist_ok=True)
    s = evaluation.summary
    m = s.metrics
    title = f"{s.reference_version} / {s.model_version}"
    files = {
        "confusion_png": plot_confusion(
            evaluation.confusion,
            list(evaluation.classes),
            out / "confusion_matrix.png",
            f"Confusion, {s.folds}-fold grouped CV, top-1 {m.top1_accuracy:.3f}\n{title}",
        ),
        "reliability_png": plot_reliability(
            s.reliability, m.ece, out / "reliability.png", f"Calibration\n{title}"
        ),
        "coverage_risk_png": plot_coverage_risk(
            s.coverage_risk,
            {"coverage": m.coverage, "selective_accuracy": m.selective_accuracy or 1.0},
            out / "coverage_risk.png",
            f"Coverage-risk of the open-set rule\n{title}",
        ),
    }
    confusion_csv = out / "confusion_matrix.csv"
    with confusion_csv.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["true \\ predicted", *evaluation.classes])
        for label, row in zip(evaluation.classes, evaluation.confusion.tolist(), strict=True):
            writer.writerow([label, *row])
    per_class_csv = out / "per_class.csv"
    with per_class_csv.open("w", newline="", encoding="utf-8") as handle:
        columns = ["label", *next(iter(s.per_class.values())).keys()]
        rows = csv.DictWriter(handle, fieldnames=columns)
        rows.writeheader()
        for label, row in s.per_class.items():
            rows.writerow({"label": label, **row})
    named = {k: str(v) for k, v in files.items()}
    named |= {"confusion_csv": str(confusion_csv), "per_class_csv": str(per_class_csv)}
    named["summary_json"] = str(out / "summary.json")
    evaluation.files = named
    s.files = {k: Path(v).name for k, v in named.items()}
    tmp = out / ".summary.json.tmp"
    tmp.write_text(json.dumps(s.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(out / "summary.json")
    return named


def store_evaluation(catalog: Catalog, summary: EvaluationSummary) -> int:
    """Keep the summary in the catalog's ``evaluations`` table; returns its id."""
    m = summary.metrics
    table = catalog.db.table("evaluations")
    with catalog.db.atomic():
        table.insert(
            {
                "at": summary.created,
                "who": summary.who,
                "model_version": summary.model_version,
                "reference_version": summary.reference_version,
                "embedding_version": summary.embedding_version,
                "seed": summary.seed,
                "folds": summary.folds,
                "images": summary.images,
                "classes": len(summary.classes),
                "top1_accuracy": m.top1_accuracy,
                "top3_accuracy": m.top3_accuracy,
                "ece": m.ece,
                "wrong_identification_rate": m.wrong_identification_rate,
                "summary": json.dumps(summary.to_dict(), ensure_ascii=False),
            }
        )
        evaluation_id = int(table.last_pk or 0)
        catalog.record_history(
            "evaluation",
            None,
            {
                "evaluation_id": evaluation_id,
                "reference_version": summary.reference_version,
                "model_version": summary.model_version,
                "top1_accuracy": m.top1_accuracy,
            },
        )
    return evaluation_id


def stored_evaluations(catalog: Catalog, limit: int = 20) -> list[dict[str, Any]]:
    """The newest stored evaluations (without their full summary), newest first."""
    return [
        {k: v for k, v in row.items() if k != "summary"}
        for row in catalog.db["evaluations"].rows_where(order_by="id desc", limit=limit)
    ]


def read_summary(path: Path) -> dict[str, Any]:
    """Read a summary.json written by :func:`write_evaluation`.

    Raises:
        NotFound: no such file.
        BadField: not an idtool evaluation summary.
    """
    if not path.is_file():
        raise NotFound(f"evaluation summary {path} does not exist")
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadField(f"{path} is not JSON: {exc}") from None
    if not isinstance(summary, dict) or summary.get("kind") != SUMMARY_KIND:
        raise BadField(f"{path} is not an idtool evaluation summary (kind {SUMMARY_KIND!r})")
    return summary


# the non-regression gate --------------------------------------------------------------------
@dataclass(frozen=True)
class Tolerance:
    """How much worse a new evaluation may be before the gate fails (absolute, 0..1)."""

    accuracy: float = 0.02  # top-1, top-3 and selective accuracy
    wrong_rate: float = 0.01  # wrong identifications per photo
    class_recall: float = 0.10  # per-class top-1 recall
    unknown_rate: float = 0.05  # false identifications among not-in-the-set photos
    called_not_wildlife: int = 0  # listed photos identified as a look-alike: no increase

    def to_dict(self) -> dict[str, float]:
        return {
            "accuracy": self.accuracy,
            "wrong_rate": self.wrong_rate,
            "class_recall": self.class_recall,
            "unknown_rate": self.unknown_rate,
            "called_not_wildlife": self.called_not_wildlife,
        }


@dataclass
class GateResult:
    passed: bool
    regressions: list[dict[str, Any]]
    worse_classes: list[str]
    notes: list[str]
    tolerance: Tolerance
    previous: dict[str, Any]
    current: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "regressions": self.regressions,
            "worse_classes": self.worse_classes,
            "notes": self.notes,
            "tolerance": self.tolerance.to_dict(),
            "previous": self.previous,
            "current": self.current,
        }


def _versions(summary: dict[str, Any]) -> dict[str, Any]:
    keys = ("created", "model_version", "reference_version", "embedding_version", "seed", "folds")
    return {k: summary.get(k) for k in keys}


def compare_evaluations(
    previous: dict[str, Any], current: dict[str, Any], tolerance: Tolerance | None = None
) -> GateResult:
    """Fail when ``current`` is worse than ``previous`` beyond ``tolerance``.

    Checks top-1, top-3 and selective accuracy (drop), wrong identifications per photo
    (rise), listed photos called not-wildlife (any rise), false identifications of
    not-in-the-set photos (rise, when both runs checked some), and per-class recall (drop).
    """
    tol = tolerance or Tolerance()
    was, now = previous["metrics"], current["metrics"]
    regressions: list[dict[str, Any]] = []
    notes: list[str] = []

    def worse(
        metric: str, before: float | None, after: float | None, limit: float, higher_is_better: bool
    ) -> None:
        if before is None or after is None:
            return
        change = (after - before) if higher_is_better else (before - after)
        if change < -limit - 1e-9:
            regressions.append(
                {"metric": metric, "previous": before, "current": after, "tolerance": limit}
            )

    for metric in ("top1_accuracy", "top3_accuracy", "selective_accuracy"):
        worse(metric, was.get(metric), now.get(metric), tol.accuracy, True)
    worse(
        "wrong_identification_rate",
        was.get("wrong_identification_rate"),
        now.get("wrong_identification_rate"),
        tol.wrong_rate,
        False,
    )
    worse(
        "called_not_wildlife",
        was.get("called_not_wildlife"),
        now.get("called_not_wildlife"),
        tol.called_not_wildlife,
        False,
    )
    old_unknown, new_unknown = previous.get("unknown"), current.get("unknown")
    if old_unknown and new_unknown:
        worse(
            "unknown_false_identification_rate",
            old_unknown.get("false_identification_rate"),
            new_unknown.get("false_identification_rate"),
            tol.unknown_rate,
            False,
        )
        if old_unknown.get("folder") != new_unknown.get("folder"):
            notes.append("the not-in-the-set photos came from different folders")
    elif old_unknown and not new_unknown:
        notes.append(
            "the previous run checked not-in-the-set photos and this one did not (--unknown)"
        )
    worse_classes = []
    old_classes, new_classes = previous.get("per_class", {}), current.get("per_class", {})
    for label in sorted(set(old_classes) & set(new_classes)):
        before, after = old_classes[label]["recall"], new_classes[label]["recall"]
        if after < before - tol.class_recall - 1e-9:
            worse_classes.append(label)
            regressions.append(
                {
                    "metric": "recall",
                    "class": label,
                    "previous": before,
                    "current": after,
                    "tolerance": tol.class_recall,
                }
            )
    for label in sorted(set(old_classes) - set(new_classes)):
        notes.append(f"class {label} is no longer in the reference set")
    for label in sorted(set(new_classes) - set(old_classes)):
        notes.append(f"class {label} is new")
    for key in ("seed", "folds", "embedding_version"):
        if previous.get(key) != current.get(key):
            notes.append(
                f"{key} differs ({previous.get(key)} -> {current.get(key)}): figures are less comparable"
            )
    return GateResult(
        passed=not regressions,
        regressions=regressions,
        worse_classes=worse_classes,
        notes=notes,
        tolerance=tol,
        previous=_versions(previous),
        current=_versions(current),
    )
