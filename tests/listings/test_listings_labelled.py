"""The listing rules measured on the labelled market listings (tests/listings/labelled/)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from idtool.catalog.store import Catalog
from idtool.cites import load_listing_index
from idtool.errors import BadField
from idtool.listings.labelled import LabelledScore, read_labelled, score_labelled
from idtool.listings.lexicon import load_lexicon
from idtool.listings.signals import TextSignalFinder

LABELLED = Path(__file__).resolve().parent / "labelled"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "listings.md"


@pytest.fixture(scope="module")
def scores(tmp_path_factory: pytest.TempPathFactory) -> dict[str, LabelledScore]:
    catalog = Catalog.open(tmp_path_factory.mktemp("cat") / "catalog.db")
    try:
        index = load_listing_index(catalog.db)
    finally:
        catalog.close()
    finder = TextSignalFinder(load_lexicon(), index)
    return {
        name: score_labelled(read_labelled(LABELLED / f"{name}.jsonl"), finder)
        for name in ("dev", "heldout")
    }


def test_the_set_is_big_varied_and_linked() -> None:
    rows = [
        json.loads(line)
        for name in ("dev", "heldout")
        for line in (LABELLED / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert len(rows) >= 150
    assert len({r["id"] for r in rows}) == len(rows)
    assert len({r["lang"] for r in rows}) >= 7
    assert {r["label"] for r in rows} == {"illicit", "benign"}
    photos = [p["id"] for r in rows for p in r["photos"]]
    assert len(photos) > len(set(photos))  # linked pairs share a photo
    assert sum("twin" in r["note"] or "same seller" in r["note"] for r in rows) >= 8


@pytest.mark.parametrize("name", ["dev", "heldout"])
def test_no_benign_listing_reaches_high(scores: dict[str, LabelledScore], name: str) -> None:
    assert scores[name].benign_high == []
    assert scores[name].illicit_low == []


def test_dev_precision_and_recall(scores: dict[str, LabelledScore]) -> None:
    dev = scores["dev"]
    assert dev.precision_high == 1.0
    assert dev.recall_high >= 0.9
    assert dev.recall_medium == 1.0


def test_docs_report_the_measured_figures(scores: dict[str, LabelledScore]) -> None:
    page = DOCS.read_text(encoding="utf-8")
    for name, score in scores.items():
        assert score.table_row(name) in page, score.table_row(name)


def test_a_bad_labelled_line_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "set.jsonl"
    bad.write_text('{"id": "a", "label": "illicit"}\n{"id": "b", "label": "maybe"}\n')
    with pytest.raises(BadField, match="line 2"):
        read_labelled(bad)
