"""The guidance engine over the bundled table and real SAMPLE.csv rows."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import sqlite_utils

from idtool.cites import import_listing_file, load_listing_index
from idtool.cites.codes import PURPOSE_CODES, SOURCE_CODES
from idtool.cites.guidance import (
    DISCLAIMER,
    CombinedGuidance,
    Guidance,
    TradeDeclaration,
    guidance_for_identification,
    guidance_for_label,
    guidance_for_taxon,
)
from idtool.cites.listing_index import ListingIndex
from idtool.cites.permits import TradeFacts, advise
from idtool.errors import BadField
from idtool.types import Candidate, Decision, Identification

CITES_DATA = (
    Path(
        os.environ.get("IDTOOL_SHARED_DIR") or Path(__file__).resolve().parents[2].parent / "shared"
    )
    / "data"
    / "cites"
)
REQUIRED_KEYS = {
    "taxon",
    "matched_name",
    "matched_rank",
    "cites",
    "eu",
    "permits",
    "prohibitions",
    "officer_checks",
    "next_steps",
    "listing_set",
    "disclaimer",
}


def decl(**values: str) -> TradeDeclaration:
    return TradeDeclaration.from_values(**values)


@pytest.fixture(scope="module")
def bundled() -> ListingIndex:
    return load_listing_index(sqlite_utils.Database(memory=True))


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> ListingIndex:
    source = CITES_DATA / "SAMPLE.csv"
    if not source.is_file():
        pytest.skip(f"{source} not available (shared CITES data absent)")
    target = tmp_path_factory.mktemp("sample") / "Index_of_CITES_Species_2017-04-21.csv"
    shutil.copy(source, target)
    db = sqlite_utils.Database(memory=True)
    import_listing_file(db, target)
    return load_listing_index(db)


def _single(result: Guidance | CombinedGuidance) -> Guidance:
    assert isinstance(result, Guidance)
    return result


def test_plain_appendix_two_species_from_real_rows(sample: ListingIndex) -> None:
    g = guidance_for_taxon("Python regius", decl(purpose="T", source="W"), sample)
    assert g.status == "listed" and g.cites.appendix == "II"
    assert g.cites.listed_under == "Pythonidae spp."
    assert any("export permit" in p for p in g.permits)
    assert not any(p.startswith("CITES import permit") for p in g.permits)
    assert not g.prohibitions
    out = g.to_dict()
    assert set(out) >= REQUIRED_KEYS
    assert out["listing_set"]["name"] == "Index_of_CITES_Species_2017-04-21.csv"
    assert out["listing_set"]["snapshot_date"] == "2017-04-21"
    assert out["disclaimer"] == DISCLAIMER
    assert any("before CoP18" in w for w in g.warnings)


def test_split_listing_by_origin_kenya_vs_botswana(sample: ListingIndex) -> None:
    kenya = guidance_for_taxon("Loxodonta africana", decl(origin_country="KE"), sample)
    botswana = guidance_for_taxon("Loxodonta africana", decl(origin_country="BW"), sample)
    assert kenya.cites.appendix == "I" and "Kenya" not in kenya.cites.population
    assert kenya.cites.population_note == (
        "Kenya (KE) is not one of the populations listed in Appendix II: Appendix I applies"
    )
    assert "Botswana" in botswana.cites.population
    assert any("import permit" in p for p in kenya.permits)
    assert botswana.cites.appendix == "II" and botswana.cites.population_resolved
    unknown = guidance_for_taxon("Loxodonta africana", decl(), sample)
    assert unknown.cites.appendix == "I" and not unknown.cites.population_resolved
    assert [o.appendix for o in unknown.cites.options] == ["I", "II"]


def test_family_listing_covers_species_not_listed_by_name(sample: ListingIndex) -> None:
    g = guidance_for_taxon("Python anchietae", decl(), sample)
    assert g.status == "listed" and g.listing_match == "higher_taxon"
    assert g.match_kind == "scientific"
    # the sample has no Python genus row: the shipped layer's genus row (included in
    # Pythonidae spp.) answers under it
    assert (g.matched_name, g.matched_rank) in (("Pythonidae", "family"), ("Python", "genus"))
    assert g.cites.appendix == "II" and g.cites.listed_under == "Pythonidae spp."


def test_genus_and_order_listings_in_the_bundled_table(bundled: ListingIndex) -> None:
    gecko = guidance_for_taxon("Phelsuma grandis", decl(), bundled)
    assert gecko.matched_name == "Phelsuma" and gecko.cites.appendix == "II"
    coral = guidance_for_taxon("Scleractinia", decl(), bundled)
    assert coral.matched_rank == "order" and coral.cites.appendix == "II"
    acropora = guidance_for_taxon("Acropora millepora", decl(), bundled)
    assert acropora.matched_name == "Scleractinia"
    cobra = guidance_for_taxon("Naja philippinensis", decl(), bundled)
    assert cobra.cites.appendix == "II" and cobra.listing_match == "exact"


def test_genus_not_listed_as_a_whole_is_partial(bundled: ListingIndex) -> None:
    g = guidance_for_taxon("Naja", decl(), bundled)
    assert g.status == "partial" and g.cites.appendix == "II"
    assert "identify the specimen to species" in g.next_steps[0]


def test_appendix_three_from_listing_country_vs_elsewhere(bundled: ListingIndex) -> None:
    canada = guidance_for_taxon("Odobenus rosmarus", decl(origin_country="CA"), bundled)
    assert canada.cites.appendix == "III" and canada.cites.party == "CA"
    assert "export permit" in canada.permits[0] and "Canada" in canada.permits[0]
    russia = guidance_for_taxon("Odobenus rosmarus", decl(origin_country="RU"), bundled)
    assert "certificate of origin" in russia.permits[0]


def test_appendix_three_party_survives_an_older_import_without_it(sample: ListingIndex) -> None:
    # the 2017 index does not record the Party; the amendments layer (newer) does
    g = guidance_for_taxon("Odobenus rosmarus", decl(origin_country="CA"), sample)
    assert g.cites.appendix == "III" and g.cites.party == "CA"
    assert g.listing_source and g.listing_source["name"] == "cites_amendments.csv"


def test_appendix_three_without_recorded_party() -> None:
    advice = advise("III", TradeFacts(origin_country="CA"), party=None)
    assert any("does not record which Party" in c for c in advice.officer_checks)


def test_appendix_one_commercial_wild_is_prohibited(sample: ListingIndex) -> None:
    g = guidance_for_taxon("Panthera tigris", decl(purpose="T", source="W"), sample)
    assert g.prohibitions and "trade prohibited" in g.prohibitions[0]
    assert g.next_steps[0].startswith(
        "Appendix I, commercial purpose, wild source: trade prohibited"
    )
    assert "detain and refer to the CITES Management Authority" in g.next_steps[0]
    assert any("forensic laboratory" in s for s in g.next_steps)


def test_appendix_one_exemptions_are_conditions_to_verify(bundled: ListingIndex) -> None:
    registered = guidance_for_taxon("Panthera tigris", decl(purpose="T", source="D"), bundled)
    assert not registered.prohibitions and "VII(4)" in registered.permits[0]
    pre = guidance_for_taxon("Panthera tigris", decl(purpose="P", source="O"), bundled)
    assert "pre-Convention certificate" in pre.permits[0]
    assert any("VII(3)" in c for c in pre.officer_checks)
    captive = guidance_for_taxon("Panthera tigris", decl(purpose="T", source="C"), bundled)
    assert captive.prohibitions and "source D" in captive.prohibitions[0]
    science = guidance_for_taxon("Panthera tigris", decl(purpose="S", source="W"), bundled)
    assert any("VII(6)" in c for c in science.officer_checks)


def test_not_listed_species(sample: ListingIndex, bundled: ListingIndex) -> None:
    budgie = guidance_for_taxon("Melopsittacus undulatus", decl(), sample)
    assert budgie.status == "not_listed" and not budgie.permits
    mammoth = guidance_for_taxon("Mammuthus primigenius", decl(), bundled)
    assert mammoth.status == "not_listed" and mammoth.strictness == 5


def test_misspelt_and_unknown_names(sample: ListingIndex, bundled: ListingIndex) -> None:
    typo = guidance_for_taxon("Loxodonta africanna", decl(), sample)
    assert typo.status == "listed" and typo.match_kind == "fuzzy"
    assert typo.matched_name == "Loxodonta africana" and typo.suggestions[0] == typo.matched_name
    assert "check this is the taxon meant" in typo.officer_checks[0]
    assert typo.to_dict()["listing_set"]["name"].startswith("Index_of_CITES")
    vague = guidance_for_taxon("Loxodonta afric", decl(), sample)
    assert vague.status in ("not_found", "listed") and "Loxodonta africana" in vague.suggestions
    nothing = guidance_for_taxon("Xyzzy plughus", decl(), bundled)
    assert nothing.status == "not_found" and not nothing.suggestions
    assert any("shipped listings" in w for w in nothing.warnings)


@pytest.mark.parametrize("code", sorted(PURPOSE_CODES))
def test_every_purpose_code_is_accepted_and_explained(code: str, bundled: ListingIndex) -> None:
    g = guidance_for_taxon("Python regius", decl(purpose=code.lower()), bundled)
    assert g.declaration.purpose == code
    assert f"declared purpose {code} (" in g.officer_checks[0]


@pytest.mark.parametrize("code", sorted(SOURCE_CODES))
def test_every_source_code_is_accepted_and_explained(code: str, bundled: ListingIndex) -> None:
    g = guidance_for_taxon("Python regius", decl(source=code), bundled)
    assert any(c.startswith(f"declared source {code} (") for c in g.officer_checks)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("purpose", "K", "unknown purpose code 'K'"),
        ("purpose", "TT", "unknown purpose code"),
        ("source", "V", "unknown source code 'V'; use one of: W"),
        ("origin_country", "XX", "origin: 'XX' is not an ISO"),
        ("destination_country", "Atlantis", "destination"),
    ],
)
def test_bad_codes_are_rejected_with_a_clear_message(field: str, value: str, message: str) -> None:
    with pytest.raises(BadField, match=message.replace("(", r"\(")):
        TradeDeclaration.from_values(**{field: value})


def test_source_y_and_inconsistent_sources(bundled: ListingIndex) -> None:
    g = guidance_for_taxon("Python regius", decl(source="Y"), bundled)
    assert any("assisted production" in c for c in g.officer_checks)
    assert any("plants only" in c for c in g.officer_checks)


def test_split_listing_with_annotation_and_countries_by_name(bundled: ListingIndex) -> None:
    lion_in = guidance_for_taxon("Panthera leo", decl(origin_country="IN"), bundled)
    lion_za = guidance_for_taxon("Panthera leo", decl(origin_country="South Africa"), bundled)
    assert lion_in.cites.appendix == "I" and lion_za.cites.appendix == "II"
    assert "zero annual export quota" in (lion_za.cites.annotation or "")
    cheetah = guidance_for_taxon("Acinonyx jubatus", decl(), bundled)
    assert "Namibia: 150" in (cheetah.cites.annotation or "")
    croc = guidance_for_taxon("Crocodylus porosus", decl(origin_country="PH"), bundled)
    assert not croc.cites.population_resolved and croc.cites.appendix == "I"


def test_material_maps_to_taxa_strictest_first(bundled: ListingIndex) -> None:
    ivory = guidance_for_label("material_ivory_or_bone", decl(origin_country="KE"), bundled)
    assert isinstance(ivory, CombinedGuidance) and ivory.basis == "material"
    assert ivory.default.cites.appendix == "I"
    labels = [c.label for c in ivory.candidates]
    assert {"Mammuthus primigenius", "Hippopotamus amphibius", "Odobenus rosmarus"} <= set(labels)
    strictness = [c.guidance.strictness for c in ivory.candidates]
    assert strictness == sorted(strictness)
    mammoth = next(c for c in ivory.candidates if c.label == "Mammuthus primigenius")
    assert "Schreger" in mammoth.how_to_tell_apart
    out = ivory.to_dict()
    assert out["kind"] == "combined" and set(out) >= REQUIRED_KEYS
    ceramic = _single(guidance_for_label("material_ceramic", decl(), bundled))
    assert ceramic.status == "not_wildlife" and not ceramic.permits


def test_elephant_ivory_is_appendix_i_while_the_origin_is_unknown(bundled: ListingIndex) -> None:
    ivory = guidance_for_label("material_ivory", decl(), bundled)
    assert isinstance(ivory, CombinedGuidance) and ivory.basis == "material"
    assert ivory.default.cites.appendix == "I"
    labels = [c.label for c in ivory.candidates]
    assert {"Loxodonta africana", "Elephas maximus"} <= set(labels)
    savanna = next(c for c in ivory.candidates if c.label == "Loxodonta africana")
    assert "Botswana" in (savanna.guidance.cites.population_note or "") + str(
        savanna.guidance.to_dict()
    )
    # a declared Appendix-II origin does not lift it: Asian elephant ivory looks the same
    from_botswana = guidance_for_label("material_ivory", decl(origin_country="BW"), bundled)
    assert from_botswana.default.cites.appendix == "I"


def test_walrus_ivory_is_appendix_iii_listed_by_canada(bundled: ListingIndex) -> None:
    walrus = guidance_for_label("material_walrus_ivory", decl(), bundled)
    assert isinstance(walrus, CombinedGuidance)
    assert walrus.default_label == "Odobenus rosmarus"
    assert walrus.default.cites.appendix == "III"
    assert walrus.default.cites.party == "CA"
    assert "secondary dentine" in walrus.candidates[0].how_to_tell_apart


def test_bone_is_not_listed_as_a_material_but_listed_species_are_checked(
    bundled: ListingIndex,
) -> None:
    bone = guidance_for_label("material_bone", decl(), bundled)
    assert isinstance(bone, CombinedGuidance)
    assert bone.default.status == "not_listed_as_material"
    assert bone.default_label == "material_bone"
    assert bone.default.cites.appendix is None
    assert "not CITES-listed as a material" in (bone.default.match_note or "")
    labels = [c.label for c in bone.candidates]
    assert {"Panthera tigris", "Ursidae", "Cetacea"} <= set(labels)
    tiger = next(c for c in bone.candidates if c.label == "Panthera tigris")
    assert tiger.guidance.cites.appendix == "I"
    assert any("Panthera tigris" in step for step in bone.next_steps)
    # an uncertain ivory-or-bone answer still defaults to the strictest: elephant ivory
    both = guidance_for_identification(
        _identification(Decision.UNCERTAIN, None, ("material_bone", 0.6), ("material_ivory", 0.4)),
        decl(),
        bundled,
    )
    assert isinstance(both, CombinedGuidance)
    assert both.default.cites.appendix == "I"


def _identification(
    decision: Decision, label: str | None, *cands: tuple[str, float]
) -> Identification:
    return Identification(
        image="item.jpg",
        sha256=None,
        decision=decision,
        label=label,
        rank=None,
        confidence=0.9 if label else None,
        candidates=tuple(Candidate(n, s, "species", n.startswith("material_")) for n, s in cands),
        decision_source="knn",
        model_version="test",
        reference_version="test",
    )


def test_uncertain_identification_takes_the_strictest_candidate(bundled: ListingIndex) -> None:
    ident = _identification(
        Decision.UNCERTAIN,
        None,
        ("Mammuthus primigenius", 0.5),
        ("Loxodonta africana", 0.3),
        ("Hippopotamus amphibius", 0.2),
    )
    result = guidance_for_identification(ident, decl(purpose="T", source="W"), bundled)
    assert isinstance(result, CombinedGuidance) and result.basis == "uncertain"
    assert result.default_label == "Loxodonta africana" and result.default.prohibitions
    assert [c.score for c in result.candidates] == [0.5, 0.3, 0.2]


def test_identified_and_not_in_reference(bundled: ListingIndex) -> None:
    coral = guidance_for_identification(
        _identification(Decision.IDENTIFIED, "Scleractinia", ("Scleractinia", 0.9)), decl(), bundled
    )
    assert _single(coral).cites.appendix == "II"
    none = _single(
        guidance_for_identification(
            _identification(Decision.NOT_IN_REFERENCE, None), decl(), bundled
        )
    )
    assert none.status == "no_guidance" and "no CITES guidance applies" in none.match_note
    assert none.listing_set is not None and none.disclaimer == DISCLAIMER


@pytest.mark.parametrize(
    ("taxon", "origin", "appendix", "note"),
    [
        (
            "Vicugna vicugna",
            "RU",
            "I",
            "Russian Federation (RU) is not one of the populations listed in Appendix II: "
            "Appendix I applies",
        ),
        ("Vicugna vicugna", "BO", "II", "the population of Bolivia (BO) is listed in Appendix II"),
        (
            "Ursus arctos",
            "RU",
            "II",
            "Russian Federation (RU) is not one of the populations listed in Appendix I: "
            "Appendix II applies",
        ),
        ("Ursus arctos", "MN", "I", "the population of Mongolia (MN) is listed in Appendix I"),
    ],
)
def test_population_text_says_which_population_applies_and_why(
    bundled: ListingIndex, taxon: str, origin: str, appendix: str, note: str
) -> None:
    g = guidance_for_taxon(taxon, decl(origin_country=origin), bundled)
    assert g.cites.appendix == appendix and g.cites.population_resolved
    assert g.cites.population_note == note
    if "not one of" in note:
        assert origin not in g.cites.population and "Russia" not in g.cites.population
        assert g.cites.population.startswith("all populations not listed in Appendix")
