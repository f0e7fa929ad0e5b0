from __future__ import annotations

import numpy as np

from idtool.catalog.taxonomy import TaxonRecord, infer_taxon
from idtool.decide.identify import ClassScores, decide
from idtool.model.bundle import Thresholds
from idtool.types import Decision

TAXA: dict[str, TaxonRecord] = {
    name.replace("_", " "): infer_taxon(
        name, {"family": "Elapidae"} if name.startswith("Naja") else None
    )
    for name in ("Naja_philippinensis", "Naja_samarensis", "Naja_sumatrana", "Panthera_tigris")
}
TAXA["material_ceramic"] = infer_taxon("material_ceramic", {"is_lookalike": "1"})
CLASSES = tuple(sorted(TAXA))
T = Thresholds(min_confidence=0.7, min_similarity=0.4)


def scores(**probs: float) -> ClassScores:
    vector = np.array([probs.get(c.replace(" ", "_"), 0.0) for c in CLASSES])
    return ClassScores(CLASSES, vector / vector.sum(), "head")


def test_confident_species() -> None:
    result = decide(scores(Panthera_tigris=0.9, material_ceramic=0.1), 0.8, TAXA, T)
    assert (result.decision, result.label, result.rank) == (
        Decision.IDENTIFIED,
        "Panthera tigris",
        "species",
    )
    assert result.decision_source == "head"
    assert result.candidates[0].label == "Panthera tigris"


def test_lookalike_cobras_roll_up_to_the_genus() -> None:
    result = decide(
        scores(
            Naja_philippinensis=0.4, Naja_samarensis=0.35, Naja_sumatrana=0.2, Panthera_tigris=0.05
        ),
        0.8,
        TAXA,
        T,
    )
    assert (result.decision, result.label, result.rank) == (Decision.IDENTIFIED, "Naja", "genus")
    assert result.decision_source == "head+rollup_to_genus"
    assert abs(result.confidence - 0.95) < 1e-6
    assert [c.label for c in result.candidates][:2] == ["Naja philippinensis", "Naja samarensis"]


def test_split_between_unrelated_classes_is_uncertain() -> None:
    result = decide(scores(Panthera_tigris=0.5, material_ceramic=0.5), 0.8, TAXA, T)
    assert result.decision is Decision.UNCERTAIN and result.label is None
    assert {c.label for c in result.candidates[:2]} == {"Panthera tigris", "material_ceramic"}


def test_far_from_every_reference_is_not_in_reference() -> None:
    result = decide(scores(Panthera_tigris=0.99, material_ceramic=0.01), 0.2, TAXA, T)
    assert result.decision is Decision.NOT_IN_REFERENCE and result.label is None
    assert result.decision_source == "head+open_set"


def test_bad_photo_cannot_be_identified() -> None:
    result = decide(
        scores(Panthera_tigris=0.95, material_ceramic=0.05), 0.8, TAXA, T, quality_ok=False
    )
    assert result.decision is Decision.UNCERTAIN
    assert result.decision_source == "head+quality_downgrade"
