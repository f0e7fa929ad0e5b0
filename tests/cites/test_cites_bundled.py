"""The shipped listings (built table + amendments) against the Species+ exports they
were built from, and the builder itself on real rows."""

from __future__ import annotations

import csv
import gzip
import os
from pathlib import Path

import pytest
import sqlite_utils

from idtool.cites import load_listing_index
from idtool.cites.annotations import parse_listing
from idtool.cites.build_bundled import COLUMNS, Source, build_rows
from idtool.cites.bundled import (
    AMENDMENT_CHANGES_ALL,
    AMENDMENT_CONFIDENCE,
    AMENDMENTS_PATH,
    BUNDLED_PATH,
    TAXONOMY_PATH,
    read_amendments,
)
from idtool.cites.coverage import listing_answer
from idtool.cites.guidance import TradeDeclaration, guidance_for_taxon
from idtool.cites.listing_index import ListingEntry, ListingIndex
from idtool.cites.store import ListingSetInfo

CITES_DATA = (
    Path(
        os.environ.get("IDTOOL_SHARED_DIR") or Path(__file__).resolve().parents[2].parent / "shared"
    )
    / "data"
    / "cites"
)
INDEX_2017 = CITES_DATA / "index_of_cites_species_2017-04-21.csv.gz"
REPTILES_2023 = CITES_DATA / "cites_listings_reptilia_2023-07.csv"

# Well-known taxa across classes; the expected appendix comes from the real exports.
WELL_KNOWN = {
    "birds": [
        "Psittacus erithacus",
        "Ara macao",
        "Cacatua moluccensis",
        "Falco peregrinus",
        "Bubo bubo",
        "Balearica regulorum",
        "Rhinoplax vigil",
        "Amazona oratrix",
        "Melopsittacus undulatus",
    ],
    "mammals": [
        "Vicugna vicugna",
        "Ursus arctos",
        "Saiga tatarica",
        "Moschus moschiferus",
        "Loxodonta africana",
        "Panthera tigris",
        "Pan troglodytes",
        "Manis javanica",
        "Ceratotherium simum",
        "Diceros bicornis",
        "Hippopotamus amphibius",
        "Ursus thibetanus",
        "Tursiops truncatus",
        "Lutrogale perspicillata",
        "Ovis ammon",
        "Felis catus",
    ],
    "reptiles": [
        "Chamaeleo calyptratus",
        "Python regius",
        "Crocodylus niloticus",
        "Eretmochelys imbricata",
        "Astrochelys radiata",
        "Centrochelys sulcata",
        "Varanus komodoensis",
        "Cyclura cornuta",
    ],
    "fish": [
        "Hippocampus kuda",
        "Carcharhinus longimanus",
        "Cheilinus undulatus",
        "Acipenser sturio",
        "Huso huso",
        "Scleropages formosus",
        "Sphyrna lewini",
        "Rhincodon typus",
        "Pristis pristis",
        "Carcharodon carcharias",
        "Manta birostris",
    ],
    "corals and molluscs": [
        "Tridacna gigas",
        "Strombus gigas",
        "Tubipora musica",
        "Heliopora coerulea",
        "Acropora cervicornis",
    ],
    "timber": [
        "Pterocarpus santalinus",
        "Dalbergia nigra",
        "Dalbergia latifolia",
        "Swietenia macrophylla",
        "Aquilaria malaccensis",
        "Pericopsis elata",
        "Pterocarpus erinaceus",
        "Gonystylus bancanus",
    ],
    "orchids and other plants": [
        "Paphiopedilum rothschildianum",
        "Phalaenopsis amabilis",
        "Dendrobium nobile",
        "Phragmipedium besseae",
        "Ariocarpus fissuratus",
        "Panax quinquefolius",
        "Prunus africana",
    ],
}
ALL_WELL_KNOWN = [name for names in WELL_KNOWN.values() for name in names]


def _needs(path: Path) -> Path:
    if not path.is_file():
        pytest.skip(f"{path} not available (shared CITES data absent)")
    return path


@pytest.fixture(scope="module")
def bundled() -> ListingIndex:
    return load_listing_index(sqlite_utils.Database(memory=True))


@pytest.fixture(scope="module")
def expected() -> dict[str, str]:
    """Listing of each well-known taxon: amendments, else the 2023 reptile export for
    the reptiles it has (the shipped table takes reptiles from it), else the 2017 index."""
    wanted = set(ALL_WELL_KNOWN)
    out: dict[str, str] = {}
    family: dict[str, str] = {}
    with gzip.open(_needs(INDEX_2017), "rt", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["FullName"] in wanted:
                out[row["FullName"]] = row["CurrentListing"]
                family[row["FullName"]] = row["Family"]
    with _needs(REPTILES_2023).open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["Scientific Name"] in wanted:
                out[row["Scientific Name"]] = row["Listing"]
    amended = {r["full_name"]: r for r in read_amendments() if r["listing"]}
    strict = {"I": 0, "II": 1, "III": 2}
    for name in wanted:
        # the newest layer: the amendment of the name; a newer, stricter single-appendix
        # listing of its genus or family; else the export's own row
        if name in amended:
            out[name] = amended[name]["listing"]
            continue
        for key in (name.split()[0], family.get(name, "")):
            listing = amended[key]["listing"] if key in amended else ""
            stricter = listing in strict and (
                name not in out
                or strict[listing] < min(strict.get(a, 9) for a in out[name].split("/"))
            )
            if listing and (name not in out or stricter):
                out[name] = listing
                break
    return out


def test_the_well_known_list_spans_classes_and_is_long_enough() -> None:
    assert len(ALL_WELL_KNOWN) >= 30 and len(set(ALL_WELL_KNOWN)) == len(ALL_WELL_KNOWN)
    assert all(len(names) >= 5 for names in WELL_KNOWN.values())


@pytest.mark.parametrize("name", ALL_WELL_KNOWN)
def test_well_known_taxa_get_the_appendix_of_the_exports(
    name: str, bundled: ListingIndex, expected: dict[str, str]
) -> None:
    assert name in expected, f"{name} is in none of the exports: fix the test list"
    appendices, not_covered = parse_listing(expected[name])
    answer = listing_answer(bundled, name)
    assert answer.appendices == appendices, (name, expected[name], answer)
    if not appendices:
        assert answer.not_covered and not_covered


def test_amendments_override_the_2017_index(bundled: ListingIndex) -> None:
    otter = bundled.lookup("Lutrogale perspicillata")
    assert otter.entry is not None and otter.entry.appendices == ("I",)
    assert otter.entry.listing_set.name == AMENDMENTS_PATH.name
    assert otter.entry.amendment is not None
    assert otter.entry.amendment.cop == "CoP18" and otter.entry.amendment.confidence == "high"
    blue = listing_answer(bundled, "Carcharhinus plumbeus")  # via Carcharhinidae spp., CoP19
    assert blue.appendices == ("II",) and blue.via in ("Carcharhinus plumbeus", "Carcharhinidae")
    g = guidance_for_taxon("Lutrogale perspicillata", TradeDeclaration(), bundled)
    assert g.cites.appendix == "I"
    assert any("amendments file (CoP18, in effect 2019-11-26" in w for w in g.warnings)
    giraffe = bundled.lookup("Giraffa camelopardalis")
    assert giraffe.status == "listed" and giraffe.entry is not None
    assert giraffe.entry.appendices == ("II",)


def test_amendments_file_is_documented_row_by_row() -> None:
    rows = read_amendments()
    assert len(rows) >= 10
    for row in rows:
        assert row["confidence"] in AMENDMENT_CONFIDENCE, row
        assert row["change"] in AMENDMENT_CHANGES_ALL, row
        assert row["source"].strip(), row
        if row["change"] in ("added", "transferred"):
            assert row["cop"] in ("CoP18", "CoP19", "CoP20"), row
            assert row["effective"] >= "2019-11-26", row


def test_shipped_table_holds_listing_facts_only() -> None:
    with BUNDLED_PATH.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
    assert tuple(reader.fieldnames or ()) == COLUMNS
    for banned in ("distribution", "common", "synonym", "author", "taxon_id"):
        assert not any(banned in c for c in COLUMNS)
    listed = [r for r in rows if r["listing"]]
    assert 1000 <= len(listed) <= 5000
    assert {r["rank"] for r in listed} >= {"ORDER", "FAMILY", "GENUS", "SPECIES", "SUBSPECIES"}
    assert {r["source"] for r in rows} == {"index-2017-04-21", "listings-2023-07-01"}
    assert BUNDLED_PATH.stat().st_size < 2_000_000


def test_listing_sets_name_each_source(bundled: ListingIndex) -> None:
    dates = [(s.name, s.snapshot_date) for s in bundled.sets]
    assert dates[0] == (BUNDLED_PATH.name, "2017-04-21")
    assert dates[1] == (TAXONOMY_PATH.name, "2017-04-21")
    assert dates[2] == (BUNDLED_PATH.name, "2023-07-01")
    assert dates[3][0] == AMENDMENTS_PATH.name and all(s.bundled for s in bundled.sets)
    parrot = bundled.lookup("Psittacus erithacus")
    assert parrot.entry is not None and parrot.entry.listing_set.snapshot_date == "2017-04-21"


def test_builder_keeps_what_inheritance_cannot_answer_on_real_rows() -> None:
    sample = _needs(CITES_DATA / "SAMPLE.csv")
    rows = build_rows([Source(sample, "index-2017-04-21")])
    names = {r["full_name"]: r for r in rows}
    assert names["Pythonidae"]["listing"] == "I/II"
    assert "Python regius" not in names  # Appendix II through Pythonidae spp.
    assert names["Python"]["rank"] == "GENUS" and not names["Python"]["listing"]  # the link
    assert names["Loxodonta africana"]["listing"] == "I/II"  # population split: kept
    assert names["Melopsittacus undulatus"]["listing"] == "NC"  # exclusion: kept
    info = ListingSetInfo(name="built", sha256="", snapshot_date="2017-04-21", bundled=True)
    table_rows = []
    for r in rows:
        row = {**r, "class_name": r["class"], "order_name": r["order"]}
        row["full_annotation"] = r["full_annotation"] or r["annotation"]
        table_rows.append(ListingEntry.from_row(row, info))
    built = ListingIndex(table_rows, [info])
    with sample.open(encoding="utf-8", newline="") as handle:
        source_rows = list(csv.DictReader(handle))
    checked = 0
    for row in source_rows:
        appendices, _ = parse_listing(row["CurrentListing"])
        if appendices:
            assert listing_answer(built, row["FullName"]).appendices == appendices, row["FullName"]
            checked += 1
    assert checked >= 25
