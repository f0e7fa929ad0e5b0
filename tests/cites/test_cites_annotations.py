"""The population parser over hand-written and real Species+ annotation text."""

from __future__ import annotations

import csv
import gzip
import os
from pathlib import Path

import pytest

from idtool.cites.annotations import (
    choose_population,
    clean_annotation,
    first_sentence,
    parse_listing,
    parse_population_split,
    split_blocks,
)
from idtool.cites.countries import find_countries, normalise_country
from idtool.errors import BadField

CITES_DATA = (
    Path(
        os.environ.get("IDTOOL_SHARED_DIR") or Path(__file__).resolve().parents[2].parent / "shared"
    )
    / "data"
    / "cites"
)
LOXODONTA = (
    "Appendix I:All populations except those of BW, NA, ZA, and ZW. \n"
    "Appendix II:Populations of BW, NA, ZA, ZW "
)


def test_clean_annotation_strips_html_nbsp_and_cr() -> None:
    text = "Appendix II:Except\u00a0<i>A. c.</i><p>x\r\nAppendix I: "
    assert clean_annotation(text) == "Appendix II:Except A. c. x\nAppendix I:"


def test_split_blocks_both_layouts_and_repeated_labels() -> None:
    assert split_blocks(LOXODONTA)[1] == ("II", "Populations of BW, NA, ZA, ZW")
    new = "**II** [FAMILY listing Pythonidae spp.] Formerly included in Boidae spp."
    assert split_blocks(new) == [("II", "Formerly included in Boidae spp.")]
    assert [a for a, _ in split_blocks("Appendix III: \nAppendix III: ")] == ["III", "III"]


def test_parse_listing_set_with_nc() -> None:
    assert parse_listing("I/II/NC") == (("I", "II"), True)
    assert parse_listing("") == ((), False)


def test_loxodonta_population_by_origin() -> None:
    split = parse_population_split("I/II", LOXODONTA)
    assert split.kind == "population"
    assert choose_population(split, "KE").appendix == "I"
    assert choose_population(split, "BW").appendix == "II"
    unknown = choose_population(split, None)
    assert unknown.appendix == "I" and not unknown.resolved
    assert {o.appendix for o in unknown.options} == {"I", "II"}


def test_only_appendix_one_block_infers_the_appendix_two_population() -> None:
    text = (
        "Appendix I:All species and populations except South Africa and Swaziland "
        "populations of <i>Ceratotherium simum simum</i> "
    )
    split = parse_population_split("I/II", text)
    assert split.named["II"] == {"ZA", "SZ"}
    assert choose_population(split, "SZ").appendix == "II"
    assert choose_population(split, "KE").appendix == "I"


def test_regions_and_partial_populations() -> None:
    caracal = parse_population_split(
        "I/II", "Appendix I:Only the population of Asia. \nAppendix II:Except Asian population"
    )
    assert choose_population(caracal, "IN").appendix == "I"
    assert choose_population(caracal, "KE").appendix == "II"
    whale = parse_population_split(
        "I/II",
        "Appendix I:Except stock of west Greenland. \nAppendix II:Population of West Greenland.",
    )
    choice = choose_population(whale, "GL")
    assert not choice.resolved and choice.appendix == "I"


def test_later_sentences_do_not_assign_populations() -> None:
    text = (
        "Appendix I: Population of India.\nAppendix II: All other populations. For African "
        "populations: a zero annual export quota is established."
    )
    split = parse_population_split("I/II", text)
    assert choose_population(split, "IN").appendix == "I"
    assert choose_population(split, "ZA").appendix == "II"
    assert first_sentence("Except A. c. microdon (populations of CM and NG). More.") == (
        "Except A. c. microdon (populations of CM and NG)."
    )


def test_higher_taxon_split_is_taxonomic() -> None:
    split = parse_population_split(
        "I/II", "Appendix II:Except the species included in Appendix I.", rank="FAMILY"
    )
    assert split.kind == "taxonomic"
    assert choose_population(split, None, inherited=True).appendix == "II"
    assert choose_population(split, None).appendix == "I"


def test_unresolved_species_split_gives_options() -> None:
    split = parse_population_split("I/II", "Appendix II: ")
    assert split.kind == "unresolved"
    assert choose_population(split, "KE").appendix == "I"


def test_country_names_former_names_and_codes() -> None:
    assert normalise_country("Swaziland") == "SZ"
    assert normalise_country("zaire") == "CD"
    assert normalise_country("Burma") == "MM"
    assert normalise_country(" ke ") == "KE"
    with pytest.raises(BadField, match="ISO 3166"):
        normalise_country("XX")
    codes = [m.codes for m in find_countries("Papua New Guinea and the Philippines, ZW.")]
    assert codes == [{"PG"}, {"PH"}, {"ZW"}]


def _needs(name: str) -> Path:
    path = CITES_DATA / name
    if not path.is_file():
        pytest.skip(f"{path} not available (shared CITES data absent)")
    return path


def test_2023_layout_country_names_and_partial_populations() -> None:
    path = _needs("cites_listings_reptilia_2023-07.csv")
    with path.open(encoding="utf-8", newline="") as handle:
        rows = {r["Scientific Name"]: r for r in csv.DictReader(handle)}
    nile = parse_population_split("I/II", rows["Crocodylus niloticus"]["Full note"])
    assert "TZ" in nile.named["II"] and not nile.partial
    porosus = parse_population_split("I/II", rows["Crocodylus porosus"]["Full note"])
    assert "PH" in porosus.partial
    assert choose_population(porosus, "AU").appendix == "II"
    assert choose_population(porosus, "TH").appendix == "I"


def test_parser_over_every_i_ii_row_of_the_2017_index() -> None:
    path = _needs("index_of_cites_species_2017-04-21.csv.gz")
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    prefixes = {
        " ".join(words[:k])
        for words in (r["FullName"].split() for r in rows)
        for k in range(1, len(words))
    }
    split_rows = [r for r in rows if {"I", "II"} <= set(r["CurrentListing"].split("/"))]
    kinds: dict[str, int] = {}
    for row in split_rows:
        split = parse_population_split(
            row["CurrentListing"],
            row["AnnotationEnglish"],
            rank=row["RankName"],
            full_annotation=row["FullAnnotationEnglish"],
            has_listed_children=row["FullName"] in prefixes,
        )
        kinds[split.kind] = kinds.get(split.kind, 0) + 1
    assert len(split_rows) == 192
    assert kinds.get("unresolved", 0) == 0
    assert kinds["population"] >= 26
    by_name = {r["FullName"]: r for r in split_rows}
    lox = by_name["Loxodonta africana"]
    split = parse_population_split(lox["CurrentListing"], lox["AnnotationEnglish"])
    assert choose_population(split, "KE").appendix == "I"
    assert choose_population(split, "ZW").appendix == "II"
