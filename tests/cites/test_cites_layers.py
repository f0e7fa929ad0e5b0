"""Listing layers: post-2017 listings out of the box and after importing the 2017 index,
an older import never undoing a newer listing, import changes, the cache, annotation
quotas, names and translated texts."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest
import sqlite_utils

from idtool.cites import load_listing_index
from idtool.cites.annotation_quotas import quota_facts
from idtool.cites.annotation_texts import ANNOTATION_TEXTS
from idtool.cites.annotations import split_blocks
from idtool.cites.bundled import read_amendments, read_taxonomy
from idtool.cites.guidance import TradeDeclaration, guidance_for_label, guidance_for_taxon
from idtool.cites.index_cache import StoredMap
from idtool.cites.index_loader import import_layer
from idtool.cites.layers import Layer, all_layers, merge_layers
from idtool.cites.listing_entry import ListingEntry
from idtool.cites.listing_index import ListingIndex
from idtool.cites.store import ListingSetInfo
from idtool.i18n import use_language

SHARED = Path(os.environ.get("IDTOOL_SHARED_DIR") or Path(__file__).resolve().parents[3] / "shared")
INDEX_2017 = SHARED / "data" / "cites" / "index_of_cites_species_2017-04-21.csv.gz"

# name, declaration, expected appendix (None: not covered), expected matched name or None
POST_2017 = [
    ("Triaenodon obesus", {}, "II", "Carcharhinidae"),
    ("Negaprion brevirostris", {}, "II", "Carcharhinidae"),
    ("Prionace glauca", {}, "II", None),
    ("Sphyrna tiburo", {}, "II", "Sphyrnidae"),
    ("Rhynchobatus australiae", {}, "II", "Rhinidae"),
    ("Glaucostegus typus", {}, "II", "Glaucostegus"),
    ("Rhinobatos rhinobatos", {}, "II", "Rhinobatidae"),
    ("Isurus oxyrinchus", {}, "II", "Isurus oxyrinchus"),
    ("Isurus paucus", {}, "II", "Isurus paucus"),
    ("Hyalinobatrachium fleischmanni", {}, "II", "Centrolenidae"),
    ("Aonyx cinereus", {"origin_country": "TH"}, "I", "Aonyx cinereus"),
    ("Aonyx cinerea", {"origin_country": "TH"}, "I", "Aonyx cinerea"),
    ("Lutrogale perspicillata", {}, "I", "Lutrogale perspicillata"),
    ("Giraffa camelopardalis", {}, "II", "Giraffa camelopardalis"),
    ("Cedrela odorata", {"origin_country": "BR"}, "II", "Cedrela odorata"),
    ("Cedrela odorata", {"origin_country": "IN"}, None, "Cedrela odorata"),
    ("Pterocarpus tinctorius", {}, "II", "Pterocarpus tinctorius"),
    ("Pterocarpus angolensis", {"origin_country": "MZ"}, "II", "Pterocarpus"),
    ("Pterocarpus indicus", {"origin_country": "ID"}, None, "Pterocarpus"),
    ("Pterocarpus santalinus", {"origin_country": "IN"}, "II", "Pterocarpus santalinus"),
    ("Khaya senegalensis", {"origin_country": "SN"}, "II", "Khaya"),
    ("Afzelia africana", {"origin_country": "CM"}, "II", "Afzelia"),
    ("Handroanthus serratifolius", {}, "II", "Handroanthus"),
    ("Tylototriton verrucosus", {}, "II", "Tylototriton"),
    ("Poecilotheria metallica", {}, "II", "Poecilotheria"),
    ("Thelenota ananas", {}, "II", "Thelenota"),
    ("Holothuria whitmaei", {}, "II", "Holothuria whitmaei"),
    ("Gekko gecko", {}, "II", "Gekko gecko"),
    ("Geochelone elegans", {"origin_country": "IN"}, "I", "Geochelone elegans"),
    ("Malacochersus tornieri", {}, "I", None),
    ("Pycnonotus zeylanicus", {}, "I", "Pycnonotus zeylanicus"),
    ("Ceratotherium simum simum", {"origin_country": "NA"}, "II", None),
    ("Ceratotherium simum simum", {"origin_country": "KE"}, "I", None),
    ("Saiga tatarica", {"origin_country": "KZ"}, "II", "Saiga tatarica"),
    ("Dalbergia nigra", {}, "I", "Dalbergia nigra"),
    ("Dalbergia latifolia", {}, "II", None),
]
NAMES = [
    ("bois de rose", "Dalbergia"),
    ("anguille", "Anguilla anguilla"),
    ("angula", "Anguilla anguilla"),
    ("camaleón", "Chamaeleo"),
    ("caméléon", "Chamaeleo"),
    ("chameleon", "Chamaeleo"),
    ("seahorse", "Hippocampus"),
    ("rhinoceros", "Rhinocerotidae"),
    ("eel", "Anguilla anguilla"),
    ("glass frogs", "Centrolenidae"),
    ("ranas de cristal", "Centrolenidae"),
    ("requin-marteau", "Sphyrnidae"),
]


@pytest.fixture(scope="module")
def bundled() -> ListingIndex:
    return load_listing_index(sqlite_utils.Database(memory=True))


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> ListingIndex:
    """The shipped layers plus the April 2017 index, read back through the cache file."""
    if not INDEX_2017.is_file():
        pytest.skip(f"{INDEX_2017} not available (shared CITES data absent)")
    db = sqlite_utils.Database(tmp_path_factory.mktemp("imported") / "catalog.db")
    done = import_layer(db, INDEX_2017)
    assert done.changes is not None and len(done.changes.added) < 50
    index = load_listing_index(db)
    assert isinstance(index.tables.by_name, StoredMap)  # lookups read the cache file
    return index


@pytest.fixture(params=["bundled", "imported"])
def index(request: pytest.FixtureRequest) -> ListingIndex:
    return request.getfixturevalue(request.param)  # type: ignore[no-any-return]


@pytest.mark.parametrize(("name", "declared", "appendix", "matched"), POST_2017)
def test_post_2017_listings(
    index: ListingIndex,
    name: str,
    declared: dict[str, str],
    appendix: str | None,
    matched: str | None,
) -> None:
    g = guidance_for_taxon(name, TradeDeclaration.from_values(**declared), index)
    assert g.status == "listed", (name, g.status, g.match_note)
    assert g.cites.appendix == appendix, (name, g.cites, g.listing_source)
    if matched:
        assert g.matched_name == matched
    assert g.listing_source and g.listing_source["effective_date"]


@pytest.mark.parametrize(("typed", "taxon"), NAMES)
def test_trade_names_work_out_of_the_box_and_after_import(
    index: ListingIndex, typed: str, taxon: str
) -> None:
    g = guidance_for_taxon(typed, TradeDeclaration(), index)
    assert g.match_kind == "common_name" and g.name_match and g.name_match.name == taxon
    assert g.status == "listed"


def test_zero_quota_in_an_annotation_applies(index: ListingIndex) -> None:
    declared = TradeDeclaration.from_values(origin_country="KZ", purpose="T", source="W")
    g = guidance_for_taxon("Saiga tatarica", declared, index)
    assert g.prohibitions and "zero export quota" in g.prohibitions[0]
    captive = guidance_for_taxon(
        "Saiga tatarica", TradeDeclaration.from_values(purpose="T", source="C"), index
    )
    assert not captive.prohibitions
    tortoise = guidance_for_taxon(
        "Centrochelys sulcata", TradeDeclaration.from_values(purpose="T", source="W"), index
    )
    assert tortoise.prohibitions


def test_answer_names_its_layer_and_date(bundled: ListingIndex) -> None:
    g = guidance_for_taxon("Triaenodon obesus", TradeDeclaration(), bundled)
    source = g.listing_source
    assert source and source["name"] == "cites_amendments.csv"
    assert source["effective_date"] == "2023-11-25"
    assert source["amendment"]["cop"] == "CoP19" and source["amendment"]["confidence"]
    assert any("CoP19, in effect 2023-11-25" in w for w in g.warnings)
    assert bundled.current_to >= "2025-12-05"


def _write_listing(path: Path, rows: list[dict[str, str]]) -> Path:
    columns = ["full_name", "rank", "kingdom", "class", "order", "family", "genus", "listing"]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in columns})
    return path


OTTER = {
    "full_name": "Lutrogale perspicillata",
    "rank": "SPECIES",
    "kingdom": "Animalia",
    "class": "Mammalia",
    "order": "Carnivora",
    "family": "Mustelidae",
    "genus": "Lutrogale",
}


def test_an_older_file_never_undoes_a_newer_listing(tmp_path: Path) -> None:
    db = sqlite_utils.Database(tmp_path / "catalog.db")
    old = _write_listing(tmp_path / "national_list_2018-01-01.csv", [{**OTTER, "listing": "II"}])
    done = import_layer(db, old)
    assert done.changes is not None and not done.changes.moved  # CoP18 (2019) row stays
    g = guidance_for_taxon("Lutrogale perspicillata", TradeDeclaration(), load_listing_index(db))
    assert g.cites.appendix == "I" and g.listing_source
    assert g.listing_source["name"] == "cites_amendments.csv"
    newer = [
        {**OTTER, "listing": "II"},
        {**OTTER, "full_name": "Lutra nova", "genus": "Lutra", "listing": "I"},
        {
            "full_name": "Gadus morhua",
            "rank": "SPECIES",
            "kingdom": "Animalia",
            "class": "Actinopteri",
            "order": "Gadiformes",
            "family": "Gadidae",
            "genus": "Gadus",
            "listing": "III",
        },
    ]
    done = import_layer(db, _write_listing(tmp_path / "national_list_2027-01-01.csv", newer))
    assert done.changes is not None
    assert ("Lutrogale perspicillata", "I", "II") in done.changes.moved
    assert ("Lutra nova", "II", "I") in done.changes.moved  # was II through Lutrinae
    assert done.changes.added == ("Gadus morhua",)
    index = load_listing_index(db)
    assert isinstance(index.tables.by_name, StoredMap)
    g = guidance_for_taxon("Lutrogale perspicillata", TradeDeclaration(), index)
    assert g.cites.appendix == "II" and g.listing_source
    assert g.listing_source["effective_date"] == "2027-01-01"
    # the shipped layers are still under it
    shark = guidance_for_taxon("Triaenodon obesus", TradeDeclaration(), index)
    assert shark.cites.appendix == "II"


def test_a_stale_cache_is_rebuilt(tmp_path: Path) -> None:
    db = sqlite_utils.Database(tmp_path / "catalog.db")
    import_layer(db, _write_listing(tmp_path / "list_2027-01-01.csv", [{**OTTER, "listing": "II"}]))
    cache = tmp_path / "catalog.db.cites-index.sqlite"
    assert cache.is_file()
    cache.write_bytes(b"not a database")
    index = load_listing_index(db)  # rebuilt from the layers, and written again
    assert index.lookup("Lutrogale perspicillata").entry.listing == "II"  # type: ignore[union-attr]
    assert isinstance(load_listing_index(db).tables.by_name, StoredMap)


def test_quota_sentences_name_their_taxa_and_terms(bundled: ListingIndex) -> None:
    cetacea = bundled.entry("Cetacea")
    assert cetacea is not None
    (fact,) = quota_facts(cetacea)
    assert fact.taxon_name == "Tursiops truncatus" and fact.terms == "live"
    assert (fact.sources, fact.purposes) == ("W", "T")
    tortoises = bundled.entry("Testudinidae")
    assert tortoises is not None
    assert [f.taxon_name for f in quota_facts(tortoises)] == ["Centrochelys sulcata"]
    caiman = bundled.entry("Caiman latirostris")
    assert caiman is not None and any(f.country == "BR" for f in quota_facts(caiman))


def test_shipped_tables_are_documented() -> None:
    for row in read_amendments():
        assert row["source"].strip() and row["confidence"] in ("high", "medium", "low"), row
        if row["cop"] == "CoP20":
            assert row["confidence"] == "low", row
    taxa = read_taxonomy()
    assert {"Triaenodon", "Negaprion", "Rhynchobatus", "Hyalinobatrachium"} <= {
        r["genus"] for r in taxa
    }
    assert all(r["source"] for r in taxa)


def test_every_amendment_annotation_is_in_the_catalogs() -> None:
    for row in read_amendments():
        for _appendix, text in split_blocks(row["annotation"].replace("\\n", "\n")):
            if text:
                assert text in ANNOTATION_TEXTS, text


def test_annotation_warning_and_steps_in_french_and_spanish(bundled: ListingIndex) -> None:
    declared = TradeDeclaration.from_values(origin_country="CM")
    with use_language("fr"):
        fr = guidance_for_taxon("Afzelia africana", declared, bundled)
        bone = guidance_for_label("material_bone", declared, bundled)
    assert fr.cites.annotation and "Grumes, bois sciés" in fr.cites.annotation
    assert fr.cites.annotation_en and "Logs, sawn wood" in fr.cites.annotation_en
    assert any("fichier d'amendements" in w and "confiance moyenne" in w for w in fr.warnings)
    assert all(not s.startswith("check whether") for s in bone.next_steps)
    assert any(s.startswith("vérifier si l'objet provient de") for s in bone.next_steps)
    with use_language("es"):
        es = guidance_for_taxon("Saiga tatarica", TradeDeclaration(), bundled)
    assert es.cites.annotation and "Cupo de exportación nulo" in es.cites.annotation
    assert es.to_dict()["cites"]["annotation_en"].startswith("Appendix II:")


def test_a_complete_index_replaces_older_listings_but_keeps_not_listed_rows() -> None:
    info = ListingSetInfo("index_2026-06-01.csv", "x" * 64, "2026-06-01", complete=True)
    row = {
        "full_name": "Loxodonta africana",
        "rank": "SPECIES",
        "kingdom": "Animalia",
        "class_name": "Mammalia",
        "family": "Elephantidae",
        "genus": "Loxodonta",
        "listing": "I",
    }
    complete = Layer(
        info,
        (ListingEntry.from_row(row, info, effective="2026-06-01"),),
        complete=True,
        imported=True,
    )
    merged = {e.full_name: e for e in merge_layers([*all_layers(None), complete])}
    assert merged["Loxodonta africana"].listing == "I"
    assert "Giraffa camelopardalis" not in merged  # older, and not repeated by the new index
    assert merged["Mammuthus primigenius"].has_nc  # a not-listed lookalike stays
    assert merged["Loxodonta cyclotis"].appendices == ("I",)  # a nomenclature row stays
    assert "Rhincodon typus" not in merged  # CoP20 row (2026-03-05) older than the index
    assert merged["Triaenodon"].family == "Carcharhinidae"  # taxonomy links stay


def test_a_delayed_listing_is_not_in_force_before_its_date() -> None:
    layers = all_layers(None)
    before = {e.full_name: e for e in merge_layers(layers, today="2023-11-24")}
    after = {e.full_name: e for e in merge_layers(layers, today="2023-11-25")}
    assert "Carcharhinidae" not in before or not before["Carcharhinidae"].appendices
    assert after["Carcharhinidae"].appendices == ("II",)
    assert before["Giraffa camelopardalis"].appendices == ("II",)  # in effect since 2019
