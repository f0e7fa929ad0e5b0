"""Names people use: scientific, synonym, common names in en/fr/es, misspellings."""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner

from idtool.cites import import_listing_file, load_listing_index
from idtool.cites.guidance import TradeDeclaration, guidance_for_taxon
from idtool.cites.listing_index import ListingIndex
from idtool.cites.names import LANGUAGES, NameIndex, fold, names_for, read_common_names
from idtool.cli import main

CITES_DATA = (
    Path(
        os.environ.get("IDTOOL_SHARED_DIR") or Path(__file__).resolve().parents[2].parent / "shared"
    )
    / "data"
    / "cites"
)
REFERENCE_TAXA = [
    "Acinonyx jubatus",
    "Panthera leo",
    "Panthera tigris",
    "Panthera pardus",
    "Naja philippinensis",
    "Naja samarensis",
    "Naja sumatrana",
    "Phelsuma grandis",
    "Phelsuma laticauda",
    "Python regius",
    "Scleractinia",
]


@pytest.fixture(scope="module")
def bundled() -> ListingIndex:
    return load_listing_index(sqlite_utils.Database(memory=True))


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> ListingIndex:
    source = CITES_DATA / "SAMPLE.csv"
    if not source.is_file():
        pytest.skip(f"{source} not available (shared CITES data absent)")
    target = tmp_path_factory.mktemp("names") / "Index_of_CITES_Species_2017-04-21.csv"
    shutil.copy(source, target)
    db = sqlite_utils.Database(memory=True)
    import_listing_file(db, target)
    return load_listing_index(db)


@pytest.mark.parametrize(
    ("typed", "taxon", "language"),
    [
        ("Cheetah", "Acinonyx jubatus", "en"),
        ("African grey parrot", "Psittacus erithacus", "en"),
        ("perroquet gris", "Psittacus erithacus", "fr"),
        ("loro gris", "Psittacus erithacus", "es"),
        ("PERROQUET JACO", "Psittacus erithacus", "fr"),
        ("tortue imbriquée", "Eretmochelys imbricata", "fr"),
        ("tortue imbriquee", "Eretmochelys imbricata", "fr"),
        ("pangolín malayo", "Manis javanica", "es"),
        ("vigogne", "Vicugna vicugna", "fr"),
        ("requin-baleine", "Rhincodon typus", "fr"),
        ("red sanders", "Pterocarpus santalinus", "en"),
        ("ball python", "Python regius", "en"),
    ],
)
def test_shipped_common_names_resolve_in_three_languages(
    typed: str, taxon: str, language: str, bundled: ListingIndex
) -> None:
    g = guidance_for_taxon(typed, TradeDeclaration(), bundled)
    assert g.match_kind == "common_name" and g.status == "listed", g.match_note
    assert g.name_match is not None and g.name_match.name == taxon
    assert g.name_match.language == language
    assert g.cites.appendix in ("I", "II", "III")
    assert set(g.common_names) == set(LANGUAGES) and all(g.common_names.values())


def test_common_names_give_the_appendix_of_the_scientific_name(bundled: ListingIndex) -> None:
    for common, scientific in [
        ("loro gris", "Psittacus erithacus"),
        ("vigogne", "Vicugna vicugna"),
    ]:
        by_common = guidance_for_taxon(common, TradeDeclaration(), bundled).to_dict()
        by_name = guidance_for_taxon(scientific, TradeDeclaration(), bundled).to_dict()
        assert by_common["cites"] == by_name["cites"]
        assert by_common["taxon"] == common and by_name["match_kind"] == "scientific"


def test_shipped_table_covers_the_reference_set_and_resolves(bundled: ListingIndex) -> None:
    rows = read_common_names()
    taxa = {t for t, _, _ in rows}
    assert set(REFERENCE_TAXA) <= taxa and len(taxa) >= 100
    per_taxon = Counter((t, lang) for t, lang, _ in rows)
    for taxon in taxa:
        assert all(per_taxon[(taxon, lang)] for lang in LANGUAGES), taxon
        assert bundled.lookup(taxon).status in ("listed", "not_listed", "partial"), taxon
    assert len(rows) == len({(t, lang, fold(n)) for t, lang, n in rows})


def test_imported_index_brings_synonyms_and_its_own_common_names(sample: ListingIndex) -> None:
    names = names_for(sample)
    assert names is names_for(sample)  # built once per listing index
    synonym = names.resolve("Python bellii")
    assert synonym.match_kind == "synonym" and synonym.name == "Python regius"
    french = names.resolve("Python molure à deux bandes")  # FrenchNames of the export only
    assert french.match_kind == "common_name" and french.name == "Python bivittatus"
    spanish = names.resolve("tortuga con púas")
    assert spanish.match_kind == "common_name" and spanish.name == "Centrochelys sulcata"
    g = guidance_for_taxon("Grooved Tortoise", TradeDeclaration(), sample)
    assert g.matched_name == "Centrochelys sulcata"
    assert "tortue sillonnée" in [n.casefold() for n in g.common_names["fr"]]


def test_misspelt_names_are_read_or_get_ranked_suggestions(bundled: ListingIndex) -> None:
    names = names_for(bundled)
    typo = names.resolve("Psitacus erithacus")
    assert typo.match_kind == "fuzzy" and typo.name == "Psittacus erithacus"
    assert typo.score >= 0.88 and "check this is the taxon meant" in typo.note
    french_typo = names.resolve("perroquet gri")
    assert french_typo.name == "Psittacus erithacus"
    partial = names.resolve("african grey")
    assert partial.candidates[0].name == "Psittacus erithacus"
    vague = names.resolve("elefante")  # several elephants: no guess, ranked suggestions
    assert vague.match_kind == "none" and vague.name is None
    ranked = [c.name for c in vague.candidates]
    assert {"Elephas maximus", "Loxodonta africana"} <= set(ranked)
    scores = [c.score for c in vague.candidates]
    assert scores == sorted(scores, reverse=True)
    nothing = names.resolve("xyzzy plugh")
    assert nothing.match_kind == "none" and not nothing.candidates


def test_shared_common_names_ask_the_officer_to_check() -> None:
    listings = load_listing_index(sqlite_utils.Database(memory=True))
    names = NameIndex(
        listings,
        [
            ("Dalbergia retusa", "es", "palo de rosa"),
            ("Pterocarpus erinaceus", "es", "palo de rosa"),
            ("Dalbergia retusa", "en", "cocobolo"),
        ],
    )
    shared = names.resolve("Palo de Rosa")
    assert shared.match_kind == "common_name" and shared.name == "Dalbergia retusa"
    assert [c.name for c in shared.candidates] == ["Dalbergia retusa", "Pterocarpus erinaceus"]
    assert "also used for Pterocarpus erinaceus" in shared.note


@pytest.mark.parametrize(
    ("words", "kind", "matched_name"),
    [
        (["Psittacus", "erithacus"], "scientific", "Psittacus erithacus"),
        (["African", "grey", "parrot"], "common_name", "Psittacus erithacus"),
        (["loro", "gris"], "common_name", "Psittacus erithacus"),
        (["Cheetah"], "common_name", "Acinonyx jubatus"),
        (["Vicugna", "vicugna"], "scientific", "Vicugna vicugna"),
        (["Psitacus", "erithacus"], "fuzzy", "Psittacus erithacus"),
    ],
)
def test_cli_guidance_takes_unquoted_words(
    cli: CliRunner, words: list[str], kind: str, matched_name: str
) -> None:
    result = cli.invoke(main, ["guidance", *words, "--format", "json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["match_kind"] == kind and out["matched_name"] == matched_name
    assert out["taxon"] == " ".join(words)


def test_cli_guidance_unknown_name_lists_suggestions(cli: CliRunner) -> None:
    result = cli.invoke(main, ["guidance", "elefante"])
    assert result.exit_code == 0, result.output
    assert "not found" in result.stdout and "Loxodonta africana" in result.stdout
    missing = cli.invoke(main, ["guidance"])
    assert missing.exit_code == 2 and "Missing argument" in missing.stderr
