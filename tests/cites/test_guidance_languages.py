"""Guidance, material checks and country names in French and Spanish."""

from __future__ import annotations

import pytest
import sqlite_utils

from idtool.cites import load_listing_index
from idtool.cites.countries import country_name
from idtool.cites.guidance import (
    CombinedGuidance,
    TradeDeclaration,
    guidance_for_label,
    guidance_for_taxon,
)
from idtool.cites.listing_index import ListingIndex
from idtool.forensics.triage import checks_for_material
from idtool.i18n import use_language


@pytest.fixture(scope="module")
def bundled() -> ListingIndex:
    return load_listing_index(sqlite_utils.Database(memory=True))


def test_french_guidance_for_an_appendix_i_taxon(bundled: ListingIndex) -> None:
    declaration = TradeDeclaration.from_values(
        origin_country="KE", export_country="TZ", destination_country="FR", purpose="T", source="W"
    )
    english = guidance_for_taxon("Loxodonta africana", declaration, bundled)
    with use_language("fr"):
        french = guidance_for_taxon("Loxodonta africana", declaration, bundled)
    assert french.cites.appendix == english.cites.appendix == "I"
    assert french.status == english.status == "listed"  # codes stay English
    text = " ".join([*french.permits, *french.prohibitions, *french.officer_checks])
    assert "certificat de réexportation CITES" in text
    assert "Kenya (KE)" in text and "Tanzanie (TZ)" in text
    assert "permis d'importation CITES" in text and "France (FR)" in text
    assert "Annexe I, fins commerciales, source sauvage : commerce interdit" in text
    assert "organe de gestion" in text
    assert french.cites.population == (
        "toutes les populations non inscrites à l'Annexe II (Annexe I)"
    )
    assert french.cites.population_note == (
        "Kenya (KE) ne fait pas partie des populations inscrites à l'Annexe II : "
        "l'Annexe I s'applique"
    )
    assert french.disclaimer.startswith("Aide à la décision uniquement")
    # every sentence differs from its English version: nothing left untranslated
    for fr_list, en_list in (
        (french.permits, english.permits),
        (french.prohibitions, english.prohibitions),
        (french.officer_checks, english.officer_checks),
        (french.next_steps, english.next_steps),
    ):
        assert len(fr_list) == len(en_list) > 0
        for fr_text, en_text in zip(fr_list, en_list, strict=True):
            assert fr_text != en_text


def test_spanish_guidance_for_an_appendix_ii_taxon(bundled: ListingIndex) -> None:
    declaration = TradeDeclaration.from_values(export_country="CM", purpose="P")
    with use_language("es"):
        spanish = guidance_for_label("Python regius", declaration, bundled)
    english = guidance_for_label("Python regius", declaration, bundled)
    text = " ".join(spanish.to_dict()["permits"] + spanish.to_dict()["officer_checks"])
    assert "permiso de exportación CITES" in text
    assert "Autoridad Administrativa de Camerún (CM)" in text
    assert "Apéndice II" in text
    assert "efectos personales o enseres domésticos" in text
    assert spanish.to_dict().keys() == english.to_dict().keys()
    assert spanish.disclaimer.startswith("Solo es una ayuda a la decisión")
    assert all(s != e for s, e in zip(spanish.next_steps, english.next_steps, strict=True))


def test_material_guidance_and_triage_in_french(bundled: ListingIndex) -> None:
    with use_language("fr"):
        combined = guidance_for_label("material_ivory_or_bone", TradeDeclaration(), bundled)
        card = checks_for_material("material_ivory_or_bone")
    assert card is not None
    assert card.title == "Ivoire ou os"
    assert card.checks[0].name == "Section transversale à la loupe x10"
    assert "défense d'éléphant ou de mammouth" not in card.checks[0].how
    assert card.disclaimer.startswith("Chaque contrôle ci-dessous est indicatif")
    assert card.references[0].startswith("Baker, B. W.")  # bibliography stays as published
    assert isinstance(combined, CombinedGuidance)
    parts = {c.label: c.part for c in combined.candidates}
    assert parts["Loxodonta africana"] == "ivoire de défense"


def test_country_names_follow_the_language() -> None:
    assert country_name("CI") == "Côte d'Ivoire"
    with use_language("fr"):
        assert country_name("CD") == "République démocratique du Congo"
        assert country_name("ZA") == "Afrique du Sud"
    with use_language("es"):
        assert country_name("CM") == "Camerún"
    assert country_name("ZZ") == "ZZ"


def test_common_names_in_the_officers_language(bundled: ListingIndex) -> None:
    from idtool.decide.advice import with_advice
    from idtool.types import Candidate, Decision, Identification

    identification = Identification(
        image="tusk.jpg",
        sha256=None,
        decision=Decision.UNCERTAIN,
        label=None,
        rank=None,
        confidence=0.6,
        candidates=(
            Candidate("Loxodonta africana", 0.6, "species", common_name="African elephant"),
            Candidate("material_resin_or_plastic", 0.3, "material", is_material=True),
        ),
        decision_source="knn",
        model_version="test",
        reference_version=None,
    )
    declaration = TradeDeclaration()
    english = with_advice(identification, declaration, bundled)
    assert english.identification.candidates[0].common_name == "African elephant"
    with use_language("es"):
        spanish = with_advice(identification, declaration, bundled)
    assert spanish.identification.candidates[0].common_name == "elefante africano"
    # materials too
    assert spanish.identification.candidates[1].common_name == "imitación de resina o plástico"
    # the guidance JSON is in the language it was made in, wherever it is written out
    assert spanish.lang == "es" and spanish.to_dict()["guidance"]["lang"] == "es"
    assert (
        spanish.to_dict()["guidance"]["disclaimer"] != english.to_dict()["guidance"]["disclaimer"]
    )
    with use_language("fr"):
        parrot = guidance_for_label("loro gris", declaration, bundled)
    assert parrot.matched_name == "Psittacus erithacus"
    assert parrot.name_match is not None
    assert parrot.name_match.note == (
        "loro gris est un nom commun (espagnol) de Psittacus erithacus"
    )
