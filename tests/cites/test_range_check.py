"""Range red flags from the distribution an imported export records."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import sqlite_utils

from idtool.cites import import_listing_file, load_listing_index
from idtool.cites.guidance import (
    TradeDeclaration,
    guidance_for_identification,
    guidance_for_taxon,
)
from idtool.cites.listing_index import ListingIndex
from idtool.cites.range_check import check_range
from idtool.types import Candidate, Decision, Identification

CITES_DATA = (
    Path(
        os.environ.get("IDTOOL_SHARED_DIR") or Path(__file__).resolve().parents[2].parent / "shared"
    )
    / "data"
    / "cites"
)


def decl(**values: str | None) -> TradeDeclaration:
    return TradeDeclaration.from_values(**values)


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> ListingIndex:
    source = CITES_DATA / "SAMPLE.csv"
    if not source.is_file():
        pytest.skip(f"{source} not available (shared CITES data absent)")
    target = tmp_path_factory.mktemp("range") / "Index_of_CITES_Species_2017-04-21.csv"
    shutil.copy(source, target)
    db = sqlite_utils.Database(target.parent / "catalog.db")
    import_listing_file(db, target)
    stored = db.execute(
        "select distribution_iso from cites_taxa where full_name = 'Python regius'"
    ).fetchone()
    assert stored and "GH" in stored[0]  # the imported range is kept in the catalog
    return load_listing_index(db)


def test_wild_specimen_from_outside_the_range_gets_an_officer_check(sample: ListingIndex) -> None:
    g = guidance_for_taxon("Python regius", decl(origin_country="SE", source="W"), sample)
    assert g.officer_checks[0] == (
        "declared origin SE is outside the recorded range of Python regius: ask how a wild "
        "specimen comes from there"
    )
    out = g.to_dict()["range_check"]
    assert out["in_recorded_range"] is False and "GH" in out["recorded_range"]
    assert out["listing_set"] == "Index_of_CITES_Species_2017-04-21.csv"


def test_no_flag_inside_the_range_or_for_captive_bred(sample: ListingIndex) -> None:
    ghana = guidance_for_taxon("Python regius", decl(origin_country="GH", source="W"), sample)
    assert ghana.range_check is not None and ghana.range_check.in_range
    assert not any("recorded range" in c for c in ghana.officer_checks)
    captive = guidance_for_taxon("Python regius", decl(origin_country="SE", source="C"), sample)
    assert captive.range_check is not None and not captive.range_check.in_range
    assert not any("recorded range" in c for c in captive.officer_checks)
    undeclared = guidance_for_taxon("Python regius", decl(origin_country="SE"), sample)
    assert "a wild specimen cannot come from there" in undeclared.officer_checks[0]


def test_the_flag_never_changes_the_appendix(sample: ListingIndex) -> None:
    inside = guidance_for_taxon("Manis javanica", decl(origin_country="VN", source="W"), sample)
    outside = guidance_for_taxon("Manis javanica", decl(origin_country="NG", source="W"), sample)
    assert any("outside the recorded range" in c for c in outside.officer_checks)
    assert outside.cites.appendix == inside.cites.appendix == "I"
    assert outside.permits == inside.permits and outside.prohibitions == inside.prohibitions
    ident = Identification(
        image="item.jpg",
        sha256=None,
        decision=Decision.IDENTIFIED,
        label="Manis javanica",
        rank="species",
        confidence=0.9,
        candidates=(Candidate("Manis javanica", 0.9, "species", False),),
        decision_source="knn",
        model_version="test",
        reference_version="test",
    )
    from_photo = guidance_for_identification(ident, decl(origin_country="NG", source="W"), sample)
    assert from_photo.to_dict()["cites"] == outside.to_dict()["cites"]
    assert from_photo.to_dict()["matched_name"] == "Manis javanica"


def test_shipped_listings_carry_no_range() -> None:
    bundled = load_listing_index(sqlite_utils.Database(memory=True))
    assert check_range(bundled, "Python regius", "SE", "W") is None
    g = guidance_for_taxon("Psittacus erithacus", decl(origin_country="SE", source="W"), bundled)
    assert g.range_check is None and not any("recorded range" in c for c in g.officer_checks)
    assert check_range(bundled, "Python regius", None, "W") is None
