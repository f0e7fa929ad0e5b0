"""A material identified with certainty that may come from several taxa gets its own
wording (which taxa, what separates them, what to do), not the uncertain-case text."""

from __future__ import annotations

import pytest
import sqlite_utils
from english_names import english_names_in

from idtool.cites import ListingIndex, load_listing_index
from idtool.cites.guidance import CombinedGuidance, TradeDeclaration, guidance_for_identification
from idtool.i18n import use_language
from idtool.types import Candidate, Decision, Identification

UNCERTAIN_TEXT = {
    "en": "the candidates differ",
    "fr": "les candidats diffèrent",
    "es": "los candidatos difieren",
}


@pytest.fixture(scope="module")
def bundled() -> ListingIndex:
    return load_listing_index(sqlite_utils.Database(memory=True))


def _ivory_at_99() -> Identification:
    return Identification(
        image="tusk.jpg",
        sha256=None,
        decision=Decision.IDENTIFIED,
        label="material_ivory",
        rank="material",
        confidence=0.99,
        candidates=(
            Candidate("material_ivory", 0.99, "material", True),
            Candidate("material_bone", 0.01, "material", True),
        ),
        decision_source="head",
        model_version="test",
        reference_version="test",
    )


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
def test_identified_ivory_names_its_taxa_and_what_to_do(bundled: ListingIndex, lang: str) -> None:
    with use_language(lang):
        guidance = guidance_for_identification(_ivory_at_99(), TradeDeclaration(), bundled)
    assert isinstance(guidance, CombinedGuidance)
    assert guidance.default.cites.appendix == "I"  # the strictest taxon stays the default
    steps = list(guidance.next_steps)
    text = "\n".join(steps)
    assert UNCERTAIN_TEXT[lang] not in text
    assert "how_to_tell_apart" not in text and "how to tell apart" not in text
    for taxon in ("Loxodonta africana", "Elephas maximus", "Mammuthus primigenius"):
        assert taxon in steps[0]  # which taxa, with their listing
    assert sum(1 for s in steps if "Schreger" in s) >= 2  # what separates them
    assert "Loxodonta africana" in steps[-2] and "DNA" in steps[-2].replace("ADN", "DNA")
    if lang != "en":
        assert english_names_in(text) == []


def test_a_material_from_one_taxon_says_so(bundled: ListingIndex) -> None:
    walrus = Identification(
        **{**_ivory_at_99().__dict__, "label": "material_walrus_ivory", "candidates": ()}
    )
    guidance = guidance_for_identification(walrus, TradeDeclaration(), bundled)
    assert (
        guidance.next_steps[0] == "walrus ivory comes from walrus (Odobenus rosmarus): Appendix III"
    )
    assert not any("candidates differ" in s for s in guidance.next_steps)


def test_uncertain_answers_keep_the_strictest_candidate_text_with_names(
    bundled: ListingIndex,
) -> None:
    ident = Identification(
        **{
            **_ivory_at_99().__dict__,
            "decision": Decision.UNCERTAIN,
            "label": None,
            "candidates": (
                Candidate("material_bone", 0.6, "material", True),
                Candidate("material_ivory", 0.4, "material", True),
            ),
        }
    )
    with use_language("fr"):
        guidance = guidance_for_identification(ident, TradeDeclaration(), bundled)
    assert guidance.next_steps[0].startswith("les candidats diffèrent")
    assert "ivoire d'éléphant" in guidance.next_steps[0]
    assert "os (sculpté) (60%)" in guidance.next_steps[1]
    assert "material_" not in " ".join(guidance.next_steps)


def test_bone_checks_are_translated(bundled: ListingIndex) -> None:
    from idtool.cites.guidance import guidance_for_label

    english = guidance_for_label("material_bone", TradeDeclaration(), bundled)
    with use_language("fr"):
        french = guidance_for_label("material_bone", TradeDeclaration(), bundled)
    assert len(french.next_steps) == len(english.next_steps) >= 4
    for en, fr in zip(english.next_steps, french.next_steps, strict=True):
        assert en != fr  # the forensic step was English before
    assert french.next_steps[0].startswith("vérifier si l'objet provient de tigre")
    assert "(Panthera tigris)" in french.next_steps[0]
    assert english_names_in("\n".join(french.next_steps)) == []
