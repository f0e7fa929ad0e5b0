"""Evaluation: grouped CV, metrics, plots, errors by appendix, unknown photos, the gate."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest
from curation_fixtures import (
    CORAL_RESIZED,
    TIGER_COPY,
)

from idtool.catalog.store import Catalog
from idtool.catalog.taxonomy import TaxonRecord, infer_taxon
from idtool.curation.cross_validation import fold_assignment
from idtool.curation.evaluation_metrics import error_counts
from idtool.curation.evaluation_report import (
    Tolerance,
    compare_evaluations,
    read_summary,
    store_evaluation,
    stored_evaluations,
)
from idtool.decide.identify import DecisionResult
from idtool.errors import BadField, NotFound
from idtool.types import Decision

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# the keys of summary.json (docs/evaluation) in order, as written before the summary was typed
SUMMARY_KEYS = [
    "kind",
    "schema",
    "created",
    "who",
    "idtool_version",
    "model_name",
    "model_version",
    "embedding_version",
    "reference_version",
    "listing_set",
    "seed",
    "folds",
    "folds_requested",
    "c",
    "class_weight",
    "crops",
    "tiles",
    "target_selective_accuracy",
    "grouping",
    "scorer",
    "method",
    "images",
    "classes",
    "metrics",
    "thresholds",
    "per_class",
    "operating_points",
    "by_appendix",
    "appendix_of",
    "reliability",
    "coverage_risk",
    "items",
    "unknown",
    "mistakes",
    "files",
]
METRIC_KEYS = [
    "top1_accuracy",
    "top3_accuracy",
    "ece",
    "ece_uncalibrated",
    "coverage",
    "selective_accuracy",
    "wrong_identifications",
    "wrong_identification_rate",
    "abstained",
    "worst_class",
    "decisions",
    "called_not_wildlife",
    "lower_protection",
]


def test_summary_carries_versions_and_sane_metrics(baseline) -> None:
    _, evaluation, _ = baseline
    s = evaluation.summary.to_dict()
    for key in ("model_version", "reference_version", "embedding_version", "created"):
        assert s[key]
    assert (s["seed"], s["folds"]) == (0, 3)
    assert s["images"] == 27 and len(s["classes"]) == 4
    m = s["metrics"]
    assert 0.5 <= m["top1_accuracy"] <= m["top3_accuracy"] <= 1.0
    assert 0.0 <= m["ece"] <= 1.0
    assert sum(m["decisions"].values()) == s["images"]
    assert m["wrong_identifications"] + m["abstained"] <= s["images"]
    assert sum(b["count"] for b in s["reliability"]) == s["images"]
    assert len(s["thresholds"]["per_fold"]) == 3
    # the planted mistakes are among the top-1 errors a curator will read
    mistakes = {Path(m["path"]).name for m in s["mistakes"]}
    assert "planted_cheetah.jpg" in mistakes


def test_near_duplicates_never_straddle_folds(baseline) -> None:
    fixture, evaluation, _ = baseline
    index = {
        Path(p).relative_to(fixture.root).as_posix(): i for i, p in enumerate(evaluation.paths)
    }
    tiger = next(k for k in index if k.startswith("Panthera_tigris/"))
    coral = sorted(k for k in index if k.startswith("Scleractinia/Scleractinia_"))[1]
    for planted, original in ((TIGER_COPY, tiger), (CORAL_RESIZED, coral)):
        a, b = index[planted], index[original]
        assert evaluation.groups[a] == evaluation.groups[b]
        assert evaluation.fold[a] == evaluation.fold[b]
    # and every group sits in exactly one fold
    for group in set(evaluation.groups.tolist()):
        assert len(set(evaluation.fold[evaluation.groups == group].tolist())) == 1


def test_fold_assignment_keeps_groups_and_stratifies() -> None:
    y = np.repeat(np.arange(3), 10)
    groups = np.arange(30) // 2  # pairs of near-duplicates
    fold = fold_assignment(y, groups, folds=5, seed=1)
    assert set(fold.tolist()) == set(range(5))
    for g in set(groups.tolist()):
        assert len(set(fold[groups == g].tolist())) == 1
    for f in range(5):
        assert len(set(y[fold == f].tolist())) >= 2


def test_confusion_and_per_class_are_consistent(baseline) -> None:
    _, evaluation, out = baseline
    s = evaluation.summary.to_dict()
    matrix = evaluation.confusion
    assert matrix.sum() == s["images"]
    assert np.trace(matrix) / matrix.sum() == pytest.approx(s["metrics"]["top1_accuracy"], abs=1e-4)
    for k, label in enumerate(evaluation.classes):
        row = s["per_class"][label]
        assert row["support"] == matrix[k].sum()
        assert row["recall"] == pytest.approx(matrix[k, k] / matrix[k].sum(), abs=1e-4)
    lines = (out / "confusion_matrix.csv").read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(evaluation.classes) + 1
    assert lines[0].split(",")[1:] == list(evaluation.classes)
    for name in ("confusion_matrix.png", "reliability.png", "coverage_risk.png"):
        data = (out / name).read_bytes()
        assert data.startswith(PNG_SIGNATURE) and len(data) > 10_000


def test_errors_by_appendix_use_cites_categories(baseline) -> None:
    _, evaluation, _ = baseline
    s = evaluation.summary.to_dict()
    assert s["appendix_of"]["Panthera tigris"] == "I"
    assert s["appendix_of"]["Acinonyx jubatus"] == "I"
    assert s["appendix_of"]["Scleractinia"] == "II"
    assert s["appendix_of"]["material_ceramic"] == "not_wildlife"
    table = s["by_appendix"]
    assert sum(row["images"] for row in table.values()) == s["images"]
    assert list(table) == [c for c in ("I", "II", "not_wildlife") if c in table]


def _taxa() -> dict[str, TaxonRecord]:
    taxa = {}
    for name in ("Panthera_tigris", "Panthera_leo", "material_ceramic"):
        t = infer_taxon(name, {"is_lookalike": "1"} if name == "material_ceramic" else None)
        taxa[t.label] = t
    return taxa


def _said(label: str | None, rank: str = "species") -> DecisionResult:
    if label is None:
        return DecisionResult(Decision.UNCERTAIN, None, None, 0.5, (), "head")
    return DecisionResult(Decision.IDENTIFIED, label, rank, 0.9, (), "head")


def test_asymmetricerror_counts() -> None:
    taxa = _taxa()
    categories = {"Panthera tigris": "I", "Panthera leo": "II", "material_ceramic": "not_wildlife"}
    outcomes = [
        _said("material_ceramic"),  # tiger called not-wildlife: the worst error
        _said("Panthera leo"),  # tiger as lion: lower protection
        _said("Panthera", "genus"),  # roll-up to the right genus: correct
        _said(None),  # abstained
        _said("Panthera tigris"),  # ceramic called a tiger: the cheaper error
    ]
    truths = ["Panthera tigris"] * 4 + ["material_ceramic"]
    table = error_counts(outcomes, ["material_ceramic"] * 2 + truths[2:], truths, categories, taxa)
    tiger, ceramic = table["I"], table["not_wildlife"]
    assert (tiger["called_not_wildlife"], tiger["lower_protection"]) == (1, 1)
    assert (tiger["correct"], tiger["abstained"], tiger["wrong_identifications"]) == (1, 1, 2)
    assert tiger["top1_called_not_wildlife"] == 2
    assert (ceramic["called_wildlife"], ceramic["called_not_wildlife"]) == (1, 0)


def test_unknown_photos_are_checked(baseline) -> None:
    _, evaluation, _ = baseline
    unknown = evaluation.summary.unknown
    assert unknown["photos"] == unknown["processed"] == 3
    names = {Path(item["image"]).name for item in unknown["items"]}
    assert names == {"china.jpg", "flower.jpg", "grace_hopper.jpg"}
    identified = [i for i in unknown["items"] if i["decision"] == "identified"]
    assert unknown["false_identifications"] == len(identified)
    assert sum(unknown["decisions"].values()) == 3


def test_summary_json_round_trip_and_storage(baseline, tmp_path: Path) -> None:
    _, evaluation, out = baseline
    summary = read_summary(out / "summary.json")
    assert summary["reference_version"] == evaluation.summary.reference_version
    assert set(summary["files"]) >= {"confusion_png", "reliability_png", "coverage_risk_png"}
    # the typed summary writes the documented JSON: these keys, in this order
    assert summary == evaluation.summary.to_dict()
    assert list(summary) == SUMMARY_KEYS
    assert list(summary["metrics"]) == METRIC_KEYS
    catalog = Catalog.open(tmp_path / "catalog.db")
    try:
        evaluation_id = store_evaluation(catalog, evaluation.summary)
        rows = stored_evaluations(catalog)
        assert rows[0]["id"] == evaluation_id
        assert rows[0]["reference_version"] == summary["reference_version"]
        assert rows[0]["model_version"] == summary["model_version"]
        stored = json.loads(catalog.db["evaluations"].get(evaluation_id)["summary"])
        assert stored["metrics"] == summary["metrics"]
    finally:
        catalog.close()
    (tmp_path / "other.json").write_text('{"kind": "something else"}', encoding="utf-8")
    with pytest.raises(BadField):
        read_summary(tmp_path / "other.json")
    with pytest.raises(NotFound):
        read_summary(tmp_path / "missing.json")


def test_gate_passes_on_identical_and_small_changes(baseline) -> None:
    _, evaluation, _ = baseline
    previous = evaluation.summary.to_dict()
    assert compare_evaluations(previous, previous).passed
    current = copy.deepcopy(previous)
    current["metrics"]["top1_accuracy"] -= 0.01
    assert compare_evaluations(previous, current, Tolerance(accuracy=0.02)).passed


def test_gate_fails_and_names_the_classes_that_got_worse(baseline) -> None:
    _, evaluation, _ = baseline
    previous = evaluation.summary.to_dict()
    current = copy.deepcopy(previous)
    current["metrics"]["top1_accuracy"] -= 0.05
    current["metrics"]["wrong_identification_rate"] += 0.03
    current["per_class"]["Panthera tigris"]["recall"] -= 0.34
    result = compare_evaluations(previous, current)
    assert not result.passed
    assert result.worse_classes == ["Panthera tigris"]
    metrics = {r["metric"] for r in result.regressions}
    assert {"top1_accuracy", "wrong_identification_rate", "recall"} <= metrics
    assert all("tolerance" in r for r in result.regressions)


def test_gate_allows_no_new_listed_photo_called_not_wildlife(baseline) -> None:
    _, evaluation, _ = baseline
    previous = evaluation.summary.to_dict()
    current = copy.deepcopy(previous)
    current["metrics"]["called_not_wildlife"] += 1
    result = compare_evaluations(previous, current)
    assert [r["metric"] for r in result.regressions] == ["called_not_wildlife"]
    current = copy.deepcopy(previous)
    current["unknown"]["false_identification_rate"] = 1.0
    assert not compare_evaluations(previous, current).passed
