"""Provenance-aware evaluation: museum vs field photos per class, museum-only copy."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from idtool.catalog.store import Catalog
from idtool.catalog.taxonomy import infer_taxon
from idtool.curation.evaluation import Evaluation
from idtool.learn.field_evaluation import (
    has_field_photos,
    museum_only_catalog,
    provenance_breakdown,
    side_by_side,
)


def _catalog(path):  # type: ignore[no-untyped-def]
    catalog = Catalog.open(path)
    for label in ("Panthera_tigris", "material_ivory"):
        catalog.upsert_taxon(infer_taxon(label))
    rows = [
        ("/m/ivory1.jpg", "material_ivory", "met"),
        ("/m/ivory2.jpg", "material_ivory", "met"),
        ("/f/item-1/a.jpg", "material_ivory", "field:post/record/1"),
        ("/f/item-2/b.jpg", "Panthera tigris", "field:post/record/2"),
        ("/f/item-3/c.jpg", "Panthera tigris", "field:post/record/3"),
    ]
    catalog.upsert_taxon(infer_taxon("Panthera_tigris"))
    for i, (path_, label, source) in enumerate(rows):
        catalog.db.table("images").insert(
            {
                "label": label,
                "path": path_,
                "rel_path": path_,
                "sha256": f"{i:064x}",
                "source": source,
                "active": 1,
            }
        )
    return catalog, [r[0] for r in rows]


def test_breakdown_side_by_side_and_museum_only_copy(tmp_path):
    catalog, paths = _catalog(tmp_path / "catalog.db")
    try:
        mistakes = [{"path": "/m/ivory2.jpg"}, {"path": "/f/item-3/c.jpg"}]
        run = Evaluation(
            summary=SimpleNamespace(mistakes=mistakes),
            confusion=np.zeros((2, 2)),
            classes=(),
            paths=tuple(paths),
        )
        with_field = provenance_breakdown(catalog, run)
        assert with_field["material_ivory"]["museum"] == {"photos": 2, "top1": 0.5}
        assert with_field["material_ivory"]["field"] == {"photos": 1, "top1": 1.0}
        assert with_field["Panthera tigris"]["field"] == {"photos": 2, "top1": 0.5}
        assert has_field_photos(catalog)
    finally:
        catalog.close()
    museum = Catalog.open(museum_only_catalog(tmp_path / "catalog.db", tmp_path / "museum.db"))
    try:
        assert not has_field_photos(museum)
        only = Evaluation(
            summary=SimpleNamespace(mistakes=[]),
            confusion=np.zeros((1, 1)),
            classes=(),
            paths=tuple(paths[:2]),
        )
        rows = {r["class"]: r for r in side_by_side(provenance_breakdown(museum, only), with_field)}
    finally:
        museum.close()
    assert rows["material_ivory"]["museum_only_top1"] == 1.0
    assert rows["material_ivory"]["with_field_top1_museum"] == 0.5
    assert rows["Panthera tigris"]["museum_only_top1"] is None
    assert rows["Panthera tigris"]["with_field_top1_field"] == 0.5
    reopened = Catalog.open(tmp_path / "catalog.db")
    try:
        assert has_field_photos(reopened)  # the original catalog is untouched
    finally:
        reopened.close()
