"""Triage "listed material or look-alike?" while uncertain, with the model's measured
confusion read from the bundle (``model.json["metrics"]["confusion"]``)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import sqlite_utils
from english_names import english_names_in

from idtool.cites import ListingIndex, load_listing_index
from idtool.cites.guidance import TradeDeclaration
from idtool.config import SHIPPED_MODELS_DIR
from idtool.decide.advice import with_advice
from idtool.decide.lookalike import ModelConfusion
from idtool.i18n import use_language
from idtool.model.bundle import load_bundle
from idtool.model.discovery import SHIPPED_BUNDLE
from idtool.types import Candidate, Decision, Identification

LABELS = ["Scleractinia", "material_bone", "material_ceramic", "material_ivory",
          "material_walrus_ivory"]  # fmt: skip
# rows: true class, columns: predicted top-1 (made-up counts for the test bundle)
MATRIX = [
    [30, 0, 1, 0, 0],
    [0, 100, 2, 25, 3],
    [0, 1, 11, 7, 0],
    [0, 20, 3, 180, 4],
    [0, 4, 0, 5, 30],
]
ORDER = ["weight_and_touch", "ceramic_surface", "casting_marks", "uv_fluorescence",
         "schreger_angles", None]  # fmt: skip


@pytest.fixture(scope="module")
def bundled() -> ListingIndex:
    return load_listing_index(sqlite_utils.Database(memory=True))


@pytest.fixture(scope="module")
def confusion_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the shipped bundle whose model.json records a confusion matrix."""
    source = SHIPPED_MODELS_DIR / SHIPPED_BUNDLE
    target = tmp_path_factory.mktemp("bundle") / SHIPPED_BUNDLE
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("onnx"))
    meta = json.loads((target / "model.json").read_text(encoding="utf-8"))
    meta["metrics"]["confusion"] = {"labels": LABELS, "matrix": MATRIX}
    (target / "model.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    return target


def _uncertain(*cands: tuple[str, float]) -> Identification:
    return Identification(
        image="figure.jpg",
        sha256=None,
        decision=Decision.UNCERTAIN,
        label=None,
        rank=None,
        confidence=cands[0][1],
        candidates=tuple(Candidate(n, s, "material", n.startswith("material_")) for n, s in cands),
        decision_source="head",
        model_version="test",
        reference_version="test",
    )


def test_confusion_is_read_from_the_bundle(confusion_bundle: Path) -> None:
    confusion = ModelConfusion.from_meta(load_bundle(confusion_bundle).meta)
    assert confusion is not None
    assert confusion.taken_for("material_ceramic", "material_ivory") == (7, 19)
    assert confusion.taken_for("material_ivory", "material_ceramic") == (3, 207)
    assert confusion.taken_for("material_resin", "material_ivory") is None


@pytest.mark.parametrize(
    "raw",
    [
        None,
        {"labels": ["a", "b"]},
        {"labels": ["a", "b"], "matrix": [[1, 2]]},
        {"labels": ["a", "b"], "matrix": [[1, 2], [3]]},
        {"labels": ["a", "b"], "matrix": [[1, -2], [3, 4]]},
        {"labels": ["a", "b"], "matrix": [["x", 2], [3, 4]]},
    ],
)
def test_an_absent_or_malformed_confusion_gives_no_figure(raw: object) -> None:
    meta = {"metrics": {} if raw is None else {"confusion": raw}}
    assert ModelConfusion.from_meta(meta) is None


def test_ivory_or_ceramic_gets_the_triage_with_measured_figures(
    bundled: ListingIndex, confusion_bundle: Path
) -> None:
    confusion = ModelConfusion.from_meta(load_bundle(confusion_bundle).meta)
    ident = _uncertain(("material_ivory", 0.7), ("material_ceramic", 0.25), ("material_bone", 0.03))
    result = with_advice(ident, TradeDeclaration(), bundled, confusion)
    triage = result.to_dict()["lookalike_triage"]
    assert triage["listed"] == ["material_ivory"] and triage["lookalikes"] == ["material_ceramic"]
    assert [c["key"] for c in triage["checks"]] == ORDER  # cheapest first, lab last
    assert triage["checks"][4]["tool"] == "idtool schreger"
    figures = {(f["true"], f["predicted"]): (f["count"], f["total"]) for f in triage["confusion"]}
    assert figures == {
        ("material_ceramic", "material_ivory"): (7, 19),
        ("material_ivory", "material_ceramic"): (3, 207),
    }
    steps = result.to_dict()["guidance"]["next_steps"]
    assert steps[0].startswith("the candidates differ")  # the strictest rule stays
    assert steps[1] == triage["summary"]
    assert "a look-alike is likely: ceramic (25%)" in steps[1]
    assert "elephant ivory first for 7 of 19 ceramic photos (37%)" in steps[1]
    assert "ceramic first for 3 of 207 elephant ivory photos (1%)" in steps[1]
    assert "cheapest first: weight and temperature in the hand; glaze; crazing" in steps[1]
    assert result.to_dict()["guidance"]["cites"]["appendix"] == "I"


def test_without_a_measured_confusion_no_figure_is_given(bundled: ListingIndex) -> None:
    # a bundle without metrics.confusion (e.g. one trained before it was recorded)
    confusion = ModelConfusion.from_meta({"metrics": {}})
    assert confusion is None
    ident = _uncertain(("material_ivory", 0.9), ("material_ceramic", 0.08))
    result = with_advice(ident, TradeDeclaration(), bundled, confusion)
    triage = result.to_dict()["lookalike_triage"]
    assert triage["confusion"] == [] and triage["confusion_source"] is None
    assert "cross-validation" not in triage["summary"]
    assert not re.search(r"\d+ of \d+", triage["summary"])
    assert triage["summary"].startswith("a look-alike is possible: ceramic (8%)")


@pytest.mark.parametrize(
    "cands",
    [
        (("material_ivory", 0.7), ("material_walrus_ivory", 0.3)),  # two listed materials
        (("material_ceramic", 0.6), ("material_bone", 0.4)),  # nothing listed
        (("material_ivory", 0.97), ("material_ceramic", 0.03)),  # look-alike below 5 %
    ],
)
def test_no_triage_without_a_listed_material_and_a_lookalike(
    bundled: ListingIndex, cands: tuple[tuple[str, float], ...]
) -> None:
    result = with_advice(_uncertain(*cands), TradeDeclaration(), bundled)
    assert result.lookalike is None


def test_an_identified_answer_gets_no_triage(bundled: ListingIndex) -> None:
    ident = _uncertain(("material_ivory", 0.96), ("material_ceramic", 0.04))
    ident = Identification(**{**ident.__dict__, "decision": Decision.IDENTIFIED,
                              "label": "material_ivory"})  # fmt: skip
    assert with_advice(ident, TradeDeclaration(), bundled).lookalike is None


def test_coral_or_ceramic_skips_the_schreger_check(bundled: ListingIndex) -> None:
    ident = _uncertain(("Scleractinia", 0.6), ("material_ceramic", 0.4))
    triage = with_advice(ident, TradeDeclaration(), bundled).to_dict()["lookalike_triage"]
    assert triage["listed"] == ["Scleractinia"]
    assert "schreger_angles" not in [c["key"] for c in triage["checks"]]


@pytest.mark.parametrize(
    ("lang", "opening", "figure"),
    [
        ("fr", "une imitation est probable : céramique (25%)",
         "ivoire d'éléphant en tête pour 7 des 19 photos de céramique (37%)"),
        ("es", "es probable una imitación: cerámica (25%)",
         "marfil de elefante en primer lugar en 7 de 19 fotos de cerámica (37%)"),
    ],
)  # fmt: skip
def test_the_triage_in_french_and_spanish(
    bundled: ListingIndex, confusion_bundle: Path, lang: str, opening: str, figure: str
) -> None:
    confusion = ModelConfusion.from_meta(load_bundle(confusion_bundle).meta)
    ident = _uncertain(("material_ivory", 0.7), ("material_ceramic", 0.25))
    with use_language(lang):
        result = with_advice(ident, TradeDeclaration(), bundled, confusion)
    triage = result.to_dict()["lookalike_triage"]
    assert triage["summary"].startswith(opening) and figure in triage["summary"]
    texts = [triage["summary"], triage["title"], *(c["text"] for c in triage["checks"])]
    assert english_names_in("\n".join(texts)) == []
    assert "Listed material or look-alike" not in triage["title"]


def test_a_listed_animal_beside_a_lookalike_is_not_a_material_triage(
    bundled: ListingIndex,
) -> None:
    ident = _uncertain(("Python regius", 0.6), ("material_ceramic", 0.4))
    assert with_advice(ident, TradeDeclaration(), bundled).lookalike is None


def test_a_pair_never_confused_is_left_out_of_the_text_but_kept_in_the_figures(
    bundled: ListingIndex, confusion_bundle: Path
) -> None:
    confusion = ModelConfusion.from_meta(load_bundle(confusion_bundle).meta)
    # ceramic photos were never taken for walrus ivory (MATRIX[2][4] == 0)
    ident = _uncertain(("material_walrus_ivory", 0.6), ("material_ceramic", 0.35))
    triage = with_advice(ident, TradeDeclaration(), bundled, confusion).to_dict()
    figures = triage["lookalike_triage"]["confusion"]
    zero = [f for f in figures if f["count"] == 0]
    assert zero, figures
    assert " 0 of " not in triage["lookalike_triage"]["summary"]
    assert "0 of 19" not in " ".join(triage["guidance"]["next_steps"])
