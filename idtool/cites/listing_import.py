"""Import CITES / EU listing files into the catalog as versioned listing sets.

Layouts recognised from the header (CSV or CSV.gz; quoted fields may hold newlines, so a
real CSV reader is used):

* ``species_index``: Species+ "Index of CITES species" (``TaxonId, FullName, CurrentListing``...).
* ``species_listings``: Species+ "CITES listings" export (``Id, Scientific Name, Listing,
  Party, Listed under, Full note``...).
* ``idtool_listings``: idtool's own table (``full_name, rank, listing``...; the bundled file).
* ``sapi_quotas`` / ``sapi_reservations``: the SAPI quota and reservation tables.
* ``eu_annex``: EU Wildlife Trade Regulation annexes, see :mod:`idtool.cites.eu`.
"""

from __future__ import annotations

import csv
import gzip
import io
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from idtool.cites.annotations import clean_annotation
from idtool.cites.store import (
    KIND_EU,
    KIND_LISTINGS,
    KIND_QUOTAS,
    KIND_RESERVATIONS,
    TABLE_FOR_KIND,
    ListingSetInfo,
    find_set,
    migrate,
)
from idtool.errors import BadField, ListingDataError
from idtool.hashing import sha256_file

logger = logging.getLogger(__name__)

# A Species+ index with both kingdoms and at least this many rows is a full export: it
# hides every older listing set instead of overlaying them (the 2017 one has 38,079).
COMPLETE_MIN_ROWS = 20_000

_INCLUDED_IN = re.compile(r"Included in ([A-Z][A-Za-z]+(?: [a-z]+)? spp\.)", re.I)
_BRACKET = re.compile(r"\[(\w+) listing ([^\]]+)\]")


@dataclass(frozen=True)
class ImportResult:
    """What an import did: ``created`` is False when the same file was already there."""

    listing_set: ListingSetInfo
    created: bool
    elapsed_s: float


def snapshot_date_from_name(name: str) -> str | None:
    """Guess the export date from a Species+ file name.

    ``Index_of_CITES_Species_2017-04-21 17-27.csv`` -> ``2017-04-21``;
    ``..._2023-07.csv`` -> ``2023-07-01``; ``CITES_Listings_Rept_07-23.csv`` -> ``2023-07-01``.
    """
    if match := re.search(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)", name):
        return "-".join(match.groups())
    if match := re.search(r"(?<!\d)(\d{4})-(\d{2})(?![\d-])", name):
        return f"{match.group(1)}-{match.group(2)}-01"
    if match := re.search(r"(?<![\d-])(\d{2})-(\d{2})(?![\d-])", name):
        month, year = match.groups()
        if 1 <= int(month) <= 12:
            return f"20{year}-{month}-01"
    return None


def _validate_date(value: str) -> str:
    try:
        return datetime.strptime(value.strip(), "%Y-%m-%d").date().isoformat()
    except ValueError:
        raise BadField(f"snapshot date {value!r} is not a date like 2017-04-21") from None


def open_text(path: Path) -> io.TextIOBase:
    """Open CSV or CSV.gz as UTF-8 text with universal newlines left to the CSV reader."""
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8-sig", newline="")  # type: ignore[return-value]
    return path.open("r", encoding="utf-8-sig", newline="")


def _dialect_for(path: Path) -> str:
    name = path.name.lower().removesuffix(".gz")
    return "excel-tab" if name.endswith((".tsv", ".txt")) else "excel"


def detect_layout(header: list[str]) -> str:
    """Name the layout of a file from its header row.

    Raises:
        ListingDataError: the header matches no known layout.
    """
    cols = {h.strip().lower() for h in header}
    if {"taxonid", "fullname", "currentlisting"} <= cols:
        return "species_index"
    if {"id", "scientific name", "listing", "listed under"} <= cols:
        return "species_listings"
    if {"full_name", "rank", "listing"} <= cols:
        return "idtool_listings"
    if {"quota_type", "quota", "taxon_name", "iso_code2"} <= cols:
        return "sapi_quotas"
    if {"taxon_name", "iso_code2", "start_date", "end_date"} <= cols:
        return "sapi_reservations"
    if {"taxon", "annex"} <= cols:
        return "eu_annex"
    raise ListingDataError(
        "unrecognised listing file: expected a Species+ 'Index of CITES species' or "
        "'CITES listings' export, an idtool listings table, a SAPI quotas/reservations "
        f"table or an EU annex table; got columns {', '.join(header[:8])}..."
    )


KIND_FOR_LAYOUT = {
    "species_index": KIND_LISTINGS,
    "species_listings": KIND_LISTINGS,
    "idtool_listings": KIND_LISTINGS,
    "sapi_quotas": KIND_QUOTAS,
    "sapi_reservations": KIND_RESERVATIONS,
    "eu_annex": KIND_EU,
}


def _get(row: dict[str, Any], *names: str) -> str:
    for name in names:
        value = row.get(name)
        if value is not None:
            return str(value).strip()
    return ""


def _listed_under_2017(row: dict[str, str]) -> str:
    match = _INCLUDED_IN.search(clean_annotation(row.get("AnnotationEnglish")))
    return match.group(1) if match else row["FullName"].strip()


def _row_species_index(row: dict[str, str]) -> dict[str, Any]:
    accepted = (row.get("CitesAccepted") or "").strip().lower()
    return {
        "taxon_id": _get(row, "TaxonId"),
        "full_name": _get(row, "FullName"),
        "rank": _get(row, "RankName").upper(),
        "kingdom": _get(row, "Kingdom"),
        "phylum": _get(row, "Phylum"),
        "class_name": _get(row, "Class"),
        "order_name": _get(row, "Order"),
        "family": _get(row, "Family"),
        "genus": _get(row, "Genus"),
        "listing": _get(row, "CurrentListing"),
        "party": "",
        "listed_under": _listed_under_2017(row),
        "annotation": row.get("AnnotationEnglish") or "",
        "full_annotation": row.get("FullAnnotationEnglish") or "",
        "hash_symbol": _get(row, "#AnnotationSymbol"),
        "hash_annotation": row.get("#Annotation") or "",
        "synonyms": row.get("SynonymsWithAuthors") or "",
        "common_names": row.get("EnglishNames") or "",
        "common_names_fr": row.get("FrenchNames") or "",
        "common_names_es": row.get("SpanishNames") or "",
        "distribution_iso": _get(row, "All_DistributionISOCodes"),
        "cites_accepted": {"true": 1, "false": 0}.get(accepted),
    }


def _row_species_listings(row: dict[str, str]) -> dict[str, Any]:
    note = row.get("Full note") or ""
    return {
        "taxon_id": _get(row, "Id"),
        "full_name": _get(row, "Scientific Name"),
        "rank": _get(row, "Rank").upper(),
        "kingdom": _get(row, "Kingdom"),
        "phylum": _get(row, "Phylum"),
        "class_name": _get(row, "Class"),
        "order_name": _get(row, "Order"),
        "family": _get(row, "Family"),
        "genus": _get(row, "Genus"),
        "listing": _get(row, "Listing"),
        "party": _get(row, "Party").upper(),
        "listed_under": _get(row, "Listed under") or _get(row, "Scientific Name"),
        "annotation": note,
        "full_annotation": note,
        "hash_symbol": "",
        "hash_annotation": row.get("# Full note") or "",
        "synonyms": "",
        "common_names": "",
        "distribution_iso": ", ".join(
            c.strip() for c in _get(row, "All_DistributionISOCodes").split(",") if c.strip()
        ),
        "cites_accepted": None,
    }


def idtool_listing_row(row: dict[str, str]) -> dict[str, Any]:
    """One row of idtool's own listings layout as a ``cites_taxa`` row (literal ``\\n``
    in annotations become newlines; ``full_annotation`` defaults to ``annotation``)."""
    name = _get(row, "full_name")
    annotation = (row.get("annotation") or "").replace("\\n", "\n")
    full = (row.get("full_annotation") or "").replace("\\n", "\n")
    return {
        "taxon_id": _get(row, "taxon_id"),
        "full_name": name,
        "rank": _get(row, "rank").upper(),
        "kingdom": _get(row, "kingdom"),
        "phylum": _get(row, "phylum"),
        "class_name": _get(row, "class"),
        "order_name": _get(row, "order"),
        "family": _get(row, "family"),
        "genus": _get(row, "genus"),
        "listing": _get(row, "listing"),
        "party": _get(row, "party").upper(),
        "listed_under": _get(row, "listed_under") or name,
        "annotation": annotation,
        "full_annotation": full or annotation,
        "hash_symbol": _get(row, "hash_symbol"),
        "hash_annotation": (row.get("hash_annotation") or "").replace("\\n", "\n"),
        "synonyms": row.get("synonyms") or "",
        "common_names": row.get("common_names") or "",
        "distribution_iso": _get(row, "distribution_iso"),
        "cites_accepted": None,
    }


def _row_quotas(row: dict[str, str]) -> dict[str, Any]:
    return {
        "quota_type": _get(row, "quota_type"),
        "start_date": _get(row, "start_date"),
        "end_date": _get(row, "end_date"),
        "taxon_name": _get(row, "taxon_name"),
        "taxon_id": _get(row, "taxon_concept_id"),
        "rank": _get(row, "rank").upper(),
        "country": _get(row, "iso_code2"),
        "quota": _get(row, "quota"),
        "unit": _get(row, "unit"),
        "terms": _get(row, "term"),
        "sources": _get(row, "source"),
        "purposes": _get(row, "purpose"),
        "notes": _get(row, "notes"),
    }


def _row_reservations(row: dict[str, str]) -> dict[str, Any]:
    return {
        "start_date": _get(row, "start_date"),
        "end_date": _get(row, "end_date"),
        "taxon_name": _get(row, "taxon_name"),
        "taxon_id": _get(row, "taxon_concept_id"),
        "rank": _get(row, "rank").upper(),
        "country": _get(row, "iso_code2"),
        "notes": _get(row, "notes"),
    }


def _row_eu(row: dict[str, str]) -> dict[str, Any]:
    annex = _get(row, "annex").upper()
    if annex not in ("A", "B", "C", "D"):
        raise ListingDataError(
            f"EU annex table: annex must be A, B, C or D, got {annex!r} for {_get(row, 'taxon')!r}"
        )
    return {
        "full_name": _get(row, "taxon"),
        "rank": _get(row, "rank").upper(),
        "annex": annex,
        "annotation": row.get("annotation") or "",
        "regulation": _get(row, "regulation"),
    }


_CONVERTERS: dict[str, Callable[[dict[str, str]], dict[str, Any]]] = {
    "species_index": _row_species_index,
    "species_listings": _row_species_listings,
    "idtool_listings": idtool_listing_row,
    "sapi_quotas": _row_quotas,
    "sapi_reservations": _row_reservations,
    "eu_annex": _row_eu,
}


def read_header(path: Path) -> list[str]:
    """The header row of a CSV / CSV.gz file.

    Raises:
        ListingDataError: unreadable or empty file.
    """
    try:
        with open_text(path) as handle:
            header = next(csv.reader(handle, dialect=_dialect_for(path)), None)
    except (OSError, UnicodeDecodeError, csv.Error, EOFError) as exc:
        raise ListingDataError(f"{path}: cannot read as CSV: {exc}") from None
    if not header:
        raise ListingDataError(f"{path}: empty file")
    return [h.strip() for h in header]


def _iter_rows(path: Path, layout: str) -> Iterator[dict[str, Any]]:
    convert = _CONVERTERS[layout]
    with open_text(path) as handle:
        reader = csv.DictReader(handle, dialect=_dialect_for(path))
        try:
            reader.fieldnames = [h.strip() for h in reader.fieldnames or []]
            for row in reader:
                converted = convert(row)
                if converted.get("full_name") or converted.get("taxon_name"):
                    yield converted
        except (UnicodeDecodeError, csv.Error, EOFError, OSError) as exc:
            raise ListingDataError(
                f"{path}: broken CSV near line {reader.line_num}: {exc}"
            ) from None


def read_rows(path: Path) -> tuple[str, Iterator[dict[str, Any]]]:
    """Detect the layout of ``path`` and return it with a lazy iterator of table rows
    (the file is opened on the first row and closed at the end).

    Raises:
        ListingDataError: unreadable file or unknown layout.
    """
    layout = detect_layout(read_header(path))
    return layout, _iter_rows(path, layout)


def import_listing_file(
    db: sqlite_utils.Database,
    path: Path,
    *,
    snapshot_date: str | None = None,
    expect_kind: str | None = None,
    now: datetime | None = None,
) -> ImportResult:
    """Import one file as a new listing set, or do nothing if it is already imported.

    Args:
        db: the catalog database (migrated here if needed).
        path: CSV or CSV.gz in one of the known layouts.
        snapshot_date: ISO date of the export; guessed from the file name when None.
        expect_kind: refuse files of another kind (e.g. ``eu_annex`` for ``eu-import``).
        now: the import time (tests pass a fixed one).

    Returns:
        The set and whether it was created.

    Raises:
        ListingDataError: unknown layout, wrong kind, broken CSV or no rows.
        BadField: the file does not exist, or no snapshot date can be found or it is
            malformed.
    """
    started = datetime.now(UTC)
    path = Path(path)
    if not path.is_file():
        raise BadField(f"{path}: no such file")
    migrate(db)
    layout, rows = read_rows(path)
    kind = KIND_FOR_LAYOUT[layout]
    if expect_kind and kind != expect_kind:
        raise ListingDataError(
            f"{path.name} is a {layout} file ({kind}); this command imports {expect_kind} files"
        )
    sha256 = sha256_file(path)
    existing = find_set(db, kind, sha256)
    if existing is not None:
        logger.info("%s already imported as listing set %s", path.name, existing.set_id)
        return ImportResult(existing, False, 0.0)
    date = snapshot_date or snapshot_date_from_name(path.name)
    if not date:
        raise BadField(
            f"cannot tell the snapshot date of {path.name} from its name; pass "
            "--snapshot-date YYYY-MM-DD (the date the export was made)"
        )
    date = _validate_date(date)
    imported_at = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    table = TABLE_FOR_KIND[kind]
    with db.atomic():
        new_id = (
            db.table("listing_sets")
            .insert(
                {
                    "kind": kind,
                    "layout": layout,
                    "name": path.name,
                    "sha256": sha256,
                    "snapshot_date": date,
                    "imported_at": imported_at,
                    "row_count": 0,
                    "complete": 0,
                }
            )
            .last_pk
        )
        set_id = int(new_id) if new_id is not None else 0
        count = 0
        kingdoms: set[str] = set()
        columns = [c.name for c in db.table(table).columns]
        sql = (
            f"insert into [{table}] ({', '.join(f'[{c}]' for c in columns)}) "
            f"values ({', '.join('?' for _ in columns)})"
        )
        batch: list[tuple[Any, ...]] = []
        for row in rows:
            count += 1
            if row.get("kingdom"):
                kingdoms.add(row["kingdom"])
            row["set_id"] = set_id
            batch.append(tuple(row.get(c) for c in columns))
            if len(batch) >= 5000:
                db.conn.executemany(sql, batch)
                batch.clear()
        if batch:
            db.conn.executemany(sql, batch)
        if count == 0:
            raise ListingDataError(f"{path.name}: no rows to import")
        complete = (
            layout == "species_index"
            and {"Animalia", "Plantae"} <= kingdoms
            and count >= COMPLETE_MIN_ROWS
        )
        db.table("listing_sets").update(set_id, {"row_count": count, "complete": int(complete)})
    info = find_set(db, kind, sha256)
    if info is None:  # pragma: no cover - written just above
        raise ListingDataError(f"{path.name}: import did not persist")
    elapsed = (datetime.now(UTC) - started).total_seconds()
    logger.info("imported %s rows of %s in %.1fs", count, path.name, elapsed)
    return ImportResult(info, True, elapsed)
