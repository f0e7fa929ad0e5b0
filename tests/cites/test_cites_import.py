"""Importing listing files as versioned sets, merging them, quotas and the EU layer."""

from __future__ import annotations

import csv
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlite_utils

from idtool.cites import import_listing_file, list_sets, load_listing_index, migrate
from idtool.cites.guidance import TradeDeclaration, guidance_for_taxon
from idtool.cites.listing_import import snapshot_date_from_name
from idtool.cites.store import KIND_EU, cites_migrations
from idtool.errors import BadField, ListingDataError

CITES_DATA = (
    Path(
        os.environ.get("IDTOOL_SHARED_DIR") or Path(__file__).resolve().parents[2].parent / "shared"
    )
    / "data"
    / "cites"
)


def _needs(name: str) -> Path:
    path = CITES_DATA / name
    if not path.is_file():
        pytest.skip(f"{path} not available (shared CITES data absent)")
    return path


@pytest.fixture
def db(tmp_path: Path) -> sqlite_utils.Database:
    database = sqlite_utils.Database(tmp_path / "catalog.db")
    migrate(database)
    return database


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    """SAMPLE.csv under a Species+-style name carrying its export date."""
    target = tmp_path / "Index_of_CITES_Species_2017-04-21 17-27.csv"
    shutil.copy(_needs("SAMPLE.csv"), target)
    return target


def test_migrations_from_empty_db_are_idempotent(tmp_path: Path) -> None:
    database = sqlite_utils.Database(tmp_path / "x.db")
    migrate(database)
    migrate(database)
    assert {"listing_sets", "cites_taxa", "cites_quotas", "eu_annex_taxa"} <= set(
        database.table_names()
    )
    assert cites_migrations.pending(database) == []


def test_migration_from_the_previous_version_adds_french_and_spanish_names(
    tmp_path: Path, sample: Path
) -> None:
    database = sqlite_utils.Database(tmp_path / "old.db")
    cites_migrations.apply(database, stop_before="m002_common_names_fr_es")
    assert "common_names_fr" not in database.table("cites_taxa").columns_dict
    database.table("cites_taxa").insert({"set_id": 1, "full_name": "Python regius"})
    import_listing_file(database, sample)  # migrates, then imports with the new columns
    assert database.table("cites_taxa").count == 34
    row = database.execute(
        "select common_names_fr, common_names_es from cites_taxa "
        "where full_name = 'Python regius' and common_names_fr is not null"
    ).fetchone()
    assert row == ("Python royal", "Pitón real")


def test_snapshot_dates_from_species_plus_names() -> None:
    assert snapshot_date_from_name("Index_of_CITES_Species_2017-04-21 17-27.csv") == "2017-04-21"
    assert snapshot_date_from_name("CITES_Listings_Rept_07-23.csv") == "2023-07-01"
    assert snapshot_date_from_name("sapi_quotas_2023-07.csv") == "2023-07-01"
    assert snapshot_date_from_name("SAMPLE.csv") is None


def test_import_sample_then_reimport_is_a_no_op(db: sqlite_utils.Database, sample: Path) -> None:
    first = import_listing_file(db, sample)
    assert first.created and first.listing_set.row_count == 33
    assert first.listing_set.snapshot_date == "2017-04-21"
    assert first.listing_set.layout == "species_index"
    assert len(first.listing_set.sha256) == 64
    again = import_listing_file(db, sample)
    assert not again.created and again.listing_set.set_id == first.listing_set.set_id
    assert db.table("cites_taxa").count == 33


def test_snapshot_date_is_required_when_the_name_lacks_it(db: sqlite_utils.Database) -> None:
    path = _needs("SAMPLE.csv")
    with pytest.raises(BadField, match="--snapshot-date"):
        import_listing_file(db, path)
    with pytest.raises(BadField, match="not a date"):
        import_listing_file(db, path, snapshot_date="21/04/2017")
    assert import_listing_file(db, path, snapshot_date="2017-04-21").created


def test_unknown_layout_and_missing_file(db: sqlite_utils.Database, tmp_path: Path) -> None:
    bad = tmp_path / "things_2020-01-01.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(ListingDataError, match="unrecognised listing file"):
        import_listing_file(db, bad)
    with pytest.raises(BadField, match="no such file"):
        import_listing_file(db, tmp_path / "missing.csv")
    assert list_sets(db) == []


def test_newer_set_wins_per_taxon_and_old_set_is_kept(
    db: sqlite_utils.Database, sample: Path, tmp_path: Path
) -> None:
    import_listing_file(db, sample)
    newer = tmp_path / "Index_of_CITES_Species_2024-01-03.csv"
    with sample.open(encoding="utf-8", newline="") as src:
        reader = csv.DictReader(src)
        rows = [r for r in reader if r["FullName"] == "Python regius"]
        fields = reader.fieldnames or []
    rows[0]["CurrentListing"] = "I"
    with newer.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    import_listing_file(db, newer, now=datetime(2026, 1, 1, tzinfo=UTC))
    index = load_listing_index(db)
    assert [s.snapshot_date for s in list_sets(db)] == ["2017-04-21", "2024-01-03"]
    regius = index.lookup("Python regius").entry
    assert regius is not None and regius.listing == "I"
    assert regius.listing_set.name == newer.name
    lox = index.lookup("Loxodonta africana").entry
    assert lox is not None and lox.listing_set.snapshot_date == "2017-04-21"


def test_quotas_and_reservations_reach_the_guidance(
    db: sqlite_utils.Database, sample: Path
) -> None:
    import_listing_file(db, sample)
    import_listing_file(db, _needs("sapi_quotas_2023-07.csv"))
    import_listing_file(db, _needs("sapi_reservations_2023-07.csv"))
    index = load_listing_index(db)
    wild_commercial = TradeDeclaration.from_values(purpose="T", source="W")
    tortoise = guidance_for_taxon("Centrochelys sulcata", wild_commercial, index)
    assert any("zero export quota" in p for p in tortoise.prohibitions)
    captive = guidance_for_taxon(
        "Centrochelys sulcata", TradeDeclaration.from_values(purpose="T", source="C"), index
    )
    assert not captive.prohibitions and not captive.quotas
    nile = guidance_for_taxon(
        "Crocodylus niloticus", TradeDeclaration.from_values(origin_country="TZ"), index
    )
    assert nile.cites.appendix == "II"
    assert any("1600" in q for q in nile.quotas)


def test_eu_layer_unknown_without_data_then_listed(
    db: sqlite_utils.Database, sample: Path, tmp_path: Path
) -> None:
    import_listing_file(db, sample)
    decl = TradeDeclaration.from_values(destination_country="DE")
    before = guidance_for_taxon("Python regius", decl, load_listing_index(db))
    assert before.eu is not None and before.eu.status == "unknown"
    assert "EU annex: unknown — no data loaded" in before.eu.note
    annex = tmp_path / "eu_annexes_2023-05-05.csv"
    annex.write_text(
        "taxon,annex,rank,annotation,regulation\n"
        "Pythonidae spp.,B,FAMILY,,(EU) 2023/966\n"
        "Panthera tigris,A,SPECIES,,(EU) 2023/966\n",
        encoding="utf-8",
    )
    result = import_listing_file(db, annex, expect_kind=KIND_EU)
    assert result.listing_set.kind == KIND_EU
    index = load_listing_index(db)
    after = guidance_for_taxon("Python regius", decl, index)
    assert after.eu is not None and after.eu.annex == "B" and after.eu.status == "listed"
    assert after.eu.requirement and "import permit" in after.eu.requirement
    outside = guidance_for_taxon(
        "Python regius", TradeDeclaration.from_values(destination_country="US"), index
    )
    assert outside.eu is not None and outside.eu.status == "not_applicable"


def test_eu_import_rejects_bad_annex_and_cites_files(
    db: sqlite_utils.Database, sample: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "eu_2023-05-05.csv"
    bad.write_text("taxon,annex\nPanthera tigris,E\n", encoding="utf-8")
    with pytest.raises(ListingDataError, match="A, B, C or D"):
        import_listing_file(db, bad)
    assert list_sets(db, KIND_EU) == []
    with pytest.raises(ListingDataError, match="eu_annex"):
        import_listing_file(db, sample, expect_kind=KIND_EU)


@pytest.fixture(scope="module")
def full_index(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    index_file = _needs("index_of_cites_species_2017-04-21.csv.gz")
    reptiles = _needs("cites_listings_reptilia_2023-07.csv")
    database = sqlite_utils.Database(tmp_path_factory.mktemp("full") / "catalog.db")
    first = import_listing_file(database, index_file)
    assert first.listing_set.complete and first.listing_set.row_count == 38079
    import_listing_file(database, reptiles)
    return load_listing_index(database)


def test_full_export_overlaid_by_2023_reptiles(full_index) -> None:  # type: ignore[no-untyped-def]
    regius = full_index.lookup("Python regius")
    assert regius.entry.listing_set.snapshot_date == "2023-07-01"
    assert regius.entry.listed_under == "Pythonidae spp."
    lox = full_index.lookup("Loxodonta africana")
    assert lox.entry.listing_set.snapshot_date == "2017-04-21"
    naja = full_index.lookup("Naja sumatrana")
    assert naja.status == "listed" and naja.entry.appendices == ("II",)


def test_full_export_higher_taxon_and_synonyms(full_index) -> None:  # type: ignore[no-untyped-def]
    coral = full_index.lookup("Acropora madeupensis")
    assert coral.status == "listed" and coral.match_kind == "higher_taxon"
    assert coral.entry.appendices == ("II",)
    synonym = full_index.lookup("Python bellii")
    assert synonym.match_kind == "synonym" and synonym.entry.full_name == "Python regius"
    cat = full_index.lookup("Felis catus")
    assert cat.status == "not_listed"


def test_full_export_range_red_flag_for_the_grey_parrot(full_index) -> None:  # type: ignore[no-untyped-def]
    declaration = TradeDeclaration.from_values(origin_country="SE", source="W")
    g = guidance_for_taxon("Psittacus erithacus", declaration, full_index)
    assert g.cites.appendix == "I"
    assert (
        "declared origin SE is outside the recorded range of Psittacus erithacus: ask how a "
        "wild specimen comes from there"
    ) in g.officer_checks
    by_name = guidance_for_taxon("perroquet jaco", declaration, full_index)
    assert by_name.matched_name == "Psittacus erithacus" and by_name.match_kind == "common_name"
    cameroon = TradeDeclaration.from_values(origin_country="CM", source="W")
    assert not guidance_for_taxon("Psittacus erithacus", cameroon, full_index).range_check.check
