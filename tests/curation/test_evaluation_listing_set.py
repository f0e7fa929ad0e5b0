"""The CITES part of an evaluation: only unreadable listing data is skipped, and logged.

The evaluation used to swallow ``ImportError``, every ``IdtoolError`` and (for the
summary's listing set) ``AttributeError`` around the CITES steps, so a bug there left the
appendix categories or ``listing_set`` empty with no word (issue 27).
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

import idtool.cites
from idtool.catalog.store import Catalog
from idtool.catalog.taxonomy import TaxonRecord, infer_taxon
from idtool.curation.evaluation import newest_listing_set
from idtool.curation.evaluation_metrics import appendix_table
from idtool.errors import CatalogError, ListingDataError

TAXA: dict[str, TaxonRecord] = {
    label: infer_taxon(label) for label in ("Panthera tigris", "Loxodonta africana")
}


@pytest.fixture
def catalog(tmp_path: Path):  # type: ignore[no-untyped-def]
    opened = Catalog.open(tmp_path / "catalog.db")
    yield opened
    opened.close()


def unreadable(_db: object) -> object:
    raise ListingDataError("cites_taxa.csv: unknown layout")


def buggy(_db: object) -> object:
    raise CatalogError("a bug in the listing tables, not missing data")


def test_the_bundled_table_gives_appendices_and_a_listing_set(catalog) -> None:
    table = appendix_table(list(TAXA), TAXA, catalog.db)
    assert table["Panthera tigris"] == "I" and table["Loxodonta africana"] != "unknown"
    listing_set = newest_listing_set(catalog.db)
    assert listing_set is not None and listing_set["name"]


def test_unreadable_listing_data_is_logged_and_left_out(catalog, monkeypatch, caplog) -> None:
    monkeypatch.setattr(idtool.cites, "load_listing_index", unreadable)
    caplog.set_level(logging.WARNING, logger="idtool.curation")
    assert appendix_table(list(TAXA), TAXA, catalog.db) == dict.fromkeys(TAXA, "unknown")
    assert newest_listing_set(catalog.db) is None
    messages = [r.getMessage() for r in caplog.records]
    assert any("unknown layout" in m and "2 classes" in m for m in messages), messages
    assert any("without its CITES listing set" in m for m in messages), messages


@pytest.mark.parametrize("failure", [buggy, lambda _db: None.sets])  # type: ignore[attr-defined]
def test_other_errors_in_the_cites_part_are_not_swallowed(catalog, monkeypatch, failure) -> None:
    monkeypatch.setattr(idtool.cites, "load_listing_index", failure)
    with pytest.raises((CatalogError, AttributeError)):
        appendix_table(list(TAXA), TAXA, catalog.db)
    with pytest.raises((CatalogError, AttributeError)):
        newest_listing_set(catalog.db)
