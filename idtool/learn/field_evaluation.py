"""Evaluation aware of where the photos came from: museum objects or confirmed seizures.

- :func:`provenance_breakdown`: per class, top-1 (held out, grouped cross-validation) of
  the museum photos and of the field photos (imported by ``idtool reference
  import-confirmed``, image ``source`` ``field:...``) of one evaluation;
- :func:`museum_only_catalog`: a temporary copy of the catalog with the field photos
  taken out, to evaluate the museum-only set the same way;
- :func:`side_by_side`: the two runs per class, for ``idtool evaluate --field-comparison``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from idtool.catalog.store import Catalog
from idtool.curation.evaluation import Evaluation
from idtool.learn.field_import import FIELD_SOURCE_PREFIX, is_field_image

MUSEUM, FIELD = "museum", "field"


def image_origins(catalog: Catalog, paths: Sequence[str]) -> dict[str, tuple[str, str]]:
    """``path -> (label, museum|field)`` for the given catalog images."""
    out: dict[str, tuple[str, str]] = {}
    for row in catalog.db.query("select path, label, source from images where active = 1"):
        out[row["path"]] = (row["label"], FIELD if is_field_image(row["source"]) else MUSEUM)
    return {p: out[p] for p in paths if p in out}


def provenance_breakdown(catalog: Catalog, evaluation: Evaluation) -> dict[str, dict[str, Any]]:
    """Per class: photos and held-out top-1 of museum and of field photos."""
    wrong = {m["path"] for m in evaluation.summary.mistakes or []}
    counts: dict[str, dict[str, list[int]]] = {}
    for path, (label, origin) in image_origins(catalog, evaluation.paths).items():
        n_right = counts.setdefault(label, {MUSEUM: [0, 0], FIELD: [0, 0]})[origin]
        n_right[0] += 1
        n_right[1] += path not in wrong
    return {
        label: {
            origin: {"photos": n, "top1": round(right / n, 4) if n else None}
            for origin, (n, right) in by_origin.items()
        }
        for label, by_origin in sorted(counts.items())
    }


def has_field_photos(catalog: Catalog) -> bool:
    return bool(
        catalog.db.execute(
            "select count(*) from images where active = 1 and source like ?",
            [FIELD_SOURCE_PREFIX + "%"],
        ).fetchone()[0]
    )


def museum_only_catalog(catalog_path: Path, target: Path) -> Path:
    """Copy the catalog to ``target`` with every field photo inactive (the original is
    not touched)."""
    src = sqlite3.connect(catalog_path)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
        dst.execute("update images set active = 0 where source like ?", [FIELD_SOURCE_PREFIX + "%"])
        dst.commit()
    finally:
        dst.close()
        src.close()
    return target


def side_by_side(
    museum_only: dict[str, dict[str, Any]], with_field: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """One row per class: museum-only top-1 next to top-1 with the field photos added
    (on the museum photos and on the field photos)."""
    rows = []
    for label in sorted(set(museum_only) | set(with_field)):
        before = (museum_only.get(label) or {}).get(MUSEUM) or {}
        after = with_field.get(label) or {}
        rows.append(
            {
                "class": label,
                "museum_photos": (after.get(MUSEUM) or before).get("photos", 0),
                "field_photos": (after.get(FIELD) or {}).get("photos", 0),
                "museum_only_top1": before.get("top1"),
                "with_field_top1_museum": (after.get(MUSEUM) or {}).get("top1"),
                "with_field_top1_field": (after.get(FIELD) or {}).get("top1"),
            }
        )
    return rows
