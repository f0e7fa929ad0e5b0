"""Find and read the market listings (adverts) of ``idtool listings INPUT...``.

An input is a file or a folder (walked recursively; hidden entries, the ``*_files``
folders of saved pages and the report folder are not searched). By suffix:
``.jsonl``/``.ndjson`` and ``.csv`` are exports (one listing a line), ``.html``/``.htm``
saved pages, ``.warc``/``.warc.gz`` web archives. Export columns are the
:data:`~idtool.listings.records.EXPORT_FIELDS`; image paths are relative to the export
file (``;``-separated in CSV, a list or a ``;``-separated string in JSON); unknown
columns are kept in ``extra``. A bad line, page or record becomes a listing with
``error`` set; reading goes on.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from idtool.errors import NotFound
from idtool.hashing import sha256_file
from idtool.listings.html_page import read_saved_page
from idtool.listings.records import (
    EXPORT_FIELDS,
    CapturedFile,
    ImageRef,
    MarketListing,
    market_listing_error,
)
from idtool.listings.warc import read_warc

log = logging.getLogger(__name__)

EXPORT_SUFFIXES = (".jsonl", ".ndjson", ".csv")
PAGE_SUFFIXES = (".html", ".htm")
WARC_SUFFIXES = (".warc", ".warc.gz")
MAX_CSV_FIELD = 1_000_000


def _kind(path: Path) -> str | None:
    name = path.name.lower()
    if name.endswith(WARC_SUFFIXES):
        return "warc"
    if name.endswith(EXPORT_SUFFIXES):
        return "csv" if name.endswith(".csv") else "jsonl"
    if name.endswith(PAGE_SUFFIXES):
        return "html"
    return None


def find_sources(inputs: list[Path], exclude: Path | None = None) -> list[tuple[Path, str, str]]:
    """``(path, source name, kind)`` of every listing file under ``inputs``, sorted.

    Raises:
        NotFound: an input does not exist.
    """
    found: list[tuple[Path, str, str]] = []
    skip = exclude.resolve() if exclude is not None else None
    for given in inputs:
        if not given.exists():
            raise NotFound(
                f"{given} does not exist: give export files, saved pages, WARC files or folders"
            )
        if given.is_file():
            kind = _kind(given)
            if kind is None:
                raise NotFound(
                    f"{given} is not a listing file (.jsonl .ndjson .csv .html .htm .warc .warc.gz)"
                )
            found.append((given, given.name, kind))
            continue
        root = given
        for dirpath, dirnames, filenames in os.walk(root):
            base = Path(dirpath)
            dirnames[:] = sorted(
                d
                for d in dirnames
                if not d.startswith(".")
                and not d.endswith("_files")
                and (skip is None or (base / d).resolve() != skip)
            )
            for name in sorted(filenames):
                path = base / name
                kind = _kind(path)
                if kind is not None and not name.startswith("."):
                    rel = path.relative_to(root).as_posix()
                    found.append((path, f"{root.name}/{rel}" if root.name else rel, kind))
    return found


def _image_refs(value: Any, base: Path) -> list[ImageRef]:
    if value is None or value == "":
        return []
    refs = value if isinstance(value, list) else str(value).split(";")
    images = []
    for raw in refs:
        ref = str(raw).strip()
        if not ref:
            continue
        if ref.startswith(("http://", "https://")):
            images.append(ImageRef(ref, None, error="remote address: not captured"))
            continue
        path = (base / ref).resolve()
        if path.is_file():
            images.append(ImageRef(ref, path))
        else:
            images.append(ImageRef(ref, None, error=f"missing: {ref} not found next to the export"))
    return images


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def listing_from_row(
    row: dict[str, Any], path: Path, source: str, kind: str, line: int
) -> MarketListing:
    """One export row (JSON object or CSV row) as a listing."""
    listing = MarketListing(
        id=_text(row.get("id")) or f"line-{line}",
        source=source,
        source_kind=kind,
        locator=str(line),
        url=_text(row.get("url")),
        platform=_text(row.get("platform")),
        title=_text(row.get("title")) or "",
        description=_text(row.get("description")) or "",
        price=_text(row.get("price")),
        currency=_text(row.get("currency")),
        seller=_text(row.get("seller")),
        posted_at=_text(row.get("posted_at")),
        captured_at=_text(row.get("captured_at")),
        images=_image_refs(row.get("images"), path.parent),
        extra={k: v for k, v in row.items() if k not in EXPORT_FIELDS and k is not None},
    )
    if not (listing.title or listing.description):
        listing.error = market_listing_error(
            "empty_listing", f"line {line}: no title and no description"
        )
    return listing


def read_export(path: Path, source: str, kind: str) -> Iterator[MarketListing]:
    """Listings of a JSON Lines or CSV export; a bad line is a listing with an error."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        bad = MarketListing(id=path.name, source=source, source_kind=kind, locator="file")
        bad.error = market_listing_error("unreadable", f"cannot read {path.name}: {exc.strerror}")
        yield bad
        return
    export = CapturedFile("export", path.resolve(), sha256_file(path), len(data))
    text = data.decode("utf-8-sig", errors="replace")
    if kind == "csv":
        csv.field_size_limit(MAX_CSV_FIELD)
        reader = csv.DictReader(io.StringIO(text, newline=""))
        try:
            for row in reader:
                listing = listing_from_row(row, path, source, kind, reader.line_num)
                listing.captured.append(export)
                yield listing
        except csv.Error as exc:
            bad = MarketListing(id=f"line-{reader.line_num}", source=source, source_kind=kind)
            bad.locator = str(reader.line_num)
            bad.error = market_listing_error("bad_csv", f"line {reader.line_num}: {exc}")
            bad.captured.append(export)
            yield bad
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if not isinstance(row, dict):
                raise ValueError("not a JSON object")
        except ValueError as exc:
            bad = MarketListing(id=f"line-{number}", source=source, source_kind=kind)
            bad.locator = str(number)
            bad.error = market_listing_error("bad_json", f"line {number}: {exc}")
            bad.captured.append(export)
            yield bad
            continue
        listing = listing_from_row(row, path, source, kind, number)
        listing.captured.append(export)
        yield listing


def read_listings(
    inputs: list[Path], capture_dir: Path, exclude: Path | None = None
) -> Iterator[MarketListing]:
    """Every listing of every input, in a stable order (sorted files, then file order).

    Raises:
        NotFound: an input does not exist or is not a listing file.
    """
    for path, source, kind in find_sources(inputs, exclude):
        if kind == "warc":
            yield from read_warc(path, source, capture_dir)
        elif kind == "html":
            yield read_saved_page(path, source)
        else:
            yield from read_export(path, source, kind)
