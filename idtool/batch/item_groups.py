"""``idtool batch DIR --items-by folder``: each leaf folder is one item.

After the per-photo batch (``results.jsonl`` etc., one row per photo, unchanged), every
leaf folder's photos are identified together (:mod:`idtool.decide.items`) and written as
one row per item to ``items.jsonl`` and ``items.csv`` in the report folder. A folder
that holds photos and sub-folders is an item of its own photos. The item pass embeds the
photos again (it needs every class probability, which the per-photo rows do not store),
so it costs about as much as the per-photo pass.
"""

from __future__ import annotations

import csv
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from idtool.atomic import write_atomic_text
from idtool.batch.items import JobOptions
from idtool.catalog.reference_import import IMAGE_SUFFIXES
from idtool.config import Settings
from idtool.decide.advice import with_advice
from idtool.decide.items import identify_item_paths
from idtool.decide.lookalike import ModelConfusion
from idtool.decide.service import IdentificationService
from idtool.errors import BadField, NotFound

log = logging.getLogger(__name__)

ITEMS_BY = ("folder",)
ITEMS_JSONL = "items.jsonl"
ITEMS_CSV = "items.csv"
CSV_COLUMNS = (
    "item",
    "photos",
    "agreeing",
    "unreadable",
    "decision",
    "label",
    "rank",
    "confidence",
    "decision_source",
    "appendix",
    "warnings",
    "error",
)


@dataclass(frozen=True)
class ItemsSummary:
    items: int
    identified: int
    jsonl: Path
    csv: Path

    def to_dict(self) -> dict[str, Any]:
        return {
            "items": self.items,
            "identified": self.identified,
            "items_jsonl": str(self.jsonl),
            "items_csv": str(self.csv),
        }


def folder_items(input_dir: Path, exclude: Path | None = None) -> list[tuple[str, list[Path]]]:
    """(folder relative to ``input_dir``, its image files) per folder holding images.

    Raises:
        NotFound: ``input_dir`` does not exist.
    """
    if not input_dir.is_dir():
        raise NotFound(f"input folder {input_dir} does not exist")
    skip = exclude.resolve() if exclude is not None else None
    out = []
    for root, dirs, files in os.walk(input_dir):
        here = Path(root)
        dirs[:] = sorted(
            d
            for d in dirs
            if not d.startswith(".") and (skip is None or (here / d).resolve() != skip)
        )
        photos = sorted(
            here / f
            for f in files
            if not f.startswith(".") and Path(f).suffix.lower() in IMAGE_SUFFIXES
        )
        if photos:
            out.append((here.relative_to(input_dir).as_posix() or ".", photos))
    return out


def identify_items(
    settings: Settings,
    input_dir: Path,
    report_dir: Path,
    options: JobOptions,
    *,
    items_by: str = "folder",
    runtime: str = "auto",
    progress: Callable[[str], None] | None = None,
) -> ItemsSummary:
    """Identify each item under ``input_dir`` and write ``items.jsonl`` / ``items.csv``.

    Raises:
        BadField: ``items_by`` is not a known grouping.
        NotFound: the input folder does not exist.
        EmptyReference: the catalog has no reference embeddings for the model.
    """
    if items_by not in ITEMS_BY:
        raise BadField(f"--items-by {items_by!r}: use {' or '.join(ITEMS_BY)}")
    groups = folder_items(input_dir, exclude=report_dir)
    service = IdentificationService.open(settings, runtime)
    rows: list[dict[str, Any]] = []
    try:
        identifier = service.identifier()
        listings = service.listings()
        for number, (folder, photos) in enumerate(groups, start=1):
            result = identify_item_paths(
                identifier,
                photos,
                max_bytes=options.max_bytes,
                max_pixels=options.max_pixels,
                top_k=options.top_k,
                name=folder,
            )
            advised = with_advice(
                result, options.declaration, listings, ModelConfusion.from_meta(service.bundle.meta)
            )
            rows.append(advised.to_dict())
            if progress:
                progress(
                    f"item {number}/{len(groups)}: {folder}: {result.label or result.decision}"
                )
    finally:
        service.close()
    report_dir.mkdir(parents=True, exist_ok=True)
    jsonl, table = report_dir / ITEMS_JSONL, report_dir / ITEMS_CSV

    def write_jsonl(handle: IO[str]) -> None:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")

    def write_csv(handle: IO[str]) -> None:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow(_csv_row(row))

    write_atomic_text(jsonl, write_jsonl)
    write_atomic_text(table, write_csv)
    identified = sum(1 for row in rows if row.get("decision") == "identified")
    log.info("%d items, %d identified", len(rows), identified)
    return ItemsSummary(len(rows), identified, jsonl, table)


def _csv_row(row: dict[str, Any]) -> dict[str, Any]:
    item = row.get("item") or {}
    cites = (row.get("guidance") or {}).get("cites") or {}
    error = row.get("error") or {}
    values = {
        "item": row["image"],
        "photos": item.get("photos"),
        "agreeing": item.get("agreeing"),
        "unreadable": item.get("unreadable"),
        "decision": row.get("decision"),
        "label": row.get("label"),
        "rank": row.get("rank"),
        "confidence": row.get("confidence"),
        "decision_source": row.get("decision_source"),
        "appendix": cites.get("appendix"),
        "warnings": "; ".join(w["code"] for w in row.get("warnings") or []),
        "error": error.get("code"),
    }
    # a cell starting with = + - @ is a formula in spreadsheets: quote it
    return {
        k: f"'{v}" if isinstance(v, str) and v[:1] in ("=", "+", "-", "@") else v
        for k, v in values.items()
    }
