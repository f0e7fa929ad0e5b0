"""The CITES listing set in an evaluation summary: only unreadable listing data is skipped.

The evaluation used to swallow ``ImportError``, every ``IdtoolError`` and
``AttributeError`` around this step, so a bug there left ``listing_set`` empty with no
word (issue 27). Now only ``ListingDataError`` is caught, and it is logged.
"""

from __future__ import annotations

import logging

import pytest
from curation_fixtures import reference_fixture

import idtool.cites
from idtool.catalog.store import Catalog
from idtool.curation.evaluation import evaluate
from idtool.errors import ListingDataError
from idtool.model.bundle import load_bundle
from idtool.model.runtime import load_engine


def run_evaluation(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    fixture = reference_fixture(tmp_path_factory)
    bundle = load_bundle(fixture.bundle_dir)
    catalog = Catalog.open(fixture.catalog_path)
    try:
        return evaluate(catalog, bundle, load_engine(bundle, "torch"), folds=2, seed=0)
    finally:
        catalog.close()


def test_unreadable_listing_data_is_logged_and_left_out(tmp_path_factory, monkeypatch, caplog):
    def unreadable(_db: object) -> object:
        raise ListingDataError("cites_taxa.csv: unknown layout")

    monkeypatch.setattr(idtool.cites, "load_listing_index", unreadable)
    caplog.set_level(logging.WARNING, logger="idtool.curation.evaluation")
    evaluation = run_evaluation(tmp_path_factory)
    assert evaluation.summary["listing_set"] is None
    assert any("cites_taxa.csv: unknown layout" in r.getMessage() for r in caplog.records)


def test_a_bug_in_the_listing_step_is_not_swallowed(tmp_path_factory, monkeypatch):
    def broken(_db: object) -> object:
        raise AttributeError("'NoneType' object has no attribute 'sets'")

    monkeypatch.setattr(idtool.cites, "load_listing_index", broken)
    with pytest.raises(AttributeError):
        run_evaluation(tmp_path_factory)
