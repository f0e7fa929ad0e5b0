"""The listings idtool ships, as dated layers (see :mod:`idtool.cites.layers`).

* ``idtool/data/cites_bundled_listings.csv``: listing facts built by
  :mod:`idtool.cites.build_bundled` from the April 2017 Species+ index (after CoP17) and
  the July 2023 reptile export (after CoP19). Its ``source`` column says which; each
  source becomes one layer, dated by its export.
* ``idtool/data/cites_taxonomy.csv``: genus -> family -> order links for the families
  listed as a whole, so that genera the 2017 index never names reach their family.
* ``idtool/data/cites_amendments.csv``: later changes written by hand, each with the CoP,
  the date it took effect, the document it rests on and a ``confidence``; each row is
  dated by its own ``effective`` date (undated corrections by :data:`AMENDMENTS_CURRENT_TO`).

These layers stay under every imported set: an import overrides them only where it is
newer.
"""

from __future__ import annotations

import csv
import functools
from pathlib import Path

from idtool.cites.listing_entry import AmendmentSource, ListingEntry
from idtool.cites.listing_import import idtool_listing_row
from idtool.cites.store import ListingSetInfo
from idtool.errors import ListingDataError
from idtool.hashing import sha256_file

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
BUNDLED_PATH = DATA_DIR / "cites_bundled_listings.csv"
AMENDMENTS_PATH = DATA_DIR / "cites_amendments.csv"
TAXONOMY_PATH = DATA_DIR / "cites_taxonomy.csv"
AMENDMENT_CONFIDENCE = ("high", "medium", "low")
AMENDMENT_CHANGES = ("added", "transferred", "annotation", "party", "nomenclature", "not_listed")
AMENDMENT_CHANGES_ALL = (*AMENDMENT_CHANGES, "taxonomy", "deleted")
# The date the amendments file was last checked against the CITES documents: the date of
# its undated corrections (Appendix III Parties, nomenclature, not-listed lookalikes).
AMENDMENTS_CURRENT_TO = "2025-12-05"
TAXONOMY_COLUMNS = ("genus", "family", "order", "class", "phylum", "kingdom", "source")


def _read(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ListingDataError(f"{path}: cannot read the shipped listings: {exc}") from None


def _source_date(source: str) -> str:
    """``index-2017-04-21`` -> ``2017-04-21``."""
    return "-".join(source.split("-")[-3:])


def _amendment_entry(row: dict[str, str], info: ListingSetInfo) -> ListingEntry:
    confidence = (row.get("confidence") or "").strip()
    change = (row.get("change") or "").strip()
    if confidence not in AMENDMENT_CONFIDENCE or change not in AMENDMENT_CHANGES_ALL:
        raise ListingDataError(
            f"cites_amendments.csv: {row.get('full_name')!r} needs a confidence of "
            f"{', '.join(AMENDMENT_CONFIDENCE)} and a change of {', '.join(AMENDMENT_CHANGES_ALL)}"
        )
    out = idtool_listing_row(row)
    if change == "deleted":
        out["listing"] = "NC"
    effective = (row.get("effective") or "").strip()
    source = AmendmentSource(
        change=change,
        cop=(row.get("cop") or "").strip(),
        effective=effective,
        source=(row.get("source") or "").strip(),
        confidence=confidence,
    )
    return ListingEntry.from_row(
        out,
        info,
        effective=effective or AMENDMENTS_CURRENT_TO,
        amendment=None if change == "taxonomy" else source,
    )


def read_amendments(path: Path = AMENDMENTS_PATH) -> list[dict[str, str]]:
    """The amendments file as written (for tests and documentation)."""
    return _read(path)


def amendment_dates(path: Path = AMENDMENTS_PATH) -> list[str]:
    """The effective dates written in the amendments file (cheap: no parsing of rows)."""
    return sorted({(r.get("effective") or "").strip() for r in _read(path)} - {""})


def read_taxonomy(path: Path = TAXONOMY_PATH) -> list[dict[str, str]]:
    """The genus -> family table as written.

    Raises:
        ListingDataError: missing file or columns.
    """
    rows = _read(path)
    if rows and not set(TAXONOMY_COLUMNS) <= set(rows[0]):
        raise ListingDataError(f"{path}: needs the columns {', '.join(TAXONOMY_COLUMNS)}")
    return rows


def _taxonomy_entry(row: dict[str, str], info: ListingSetInfo) -> ListingEntry:
    out = idtool_listing_row(
        {
            "full_name": row["genus"],
            "rank": "GENUS",
            "kingdom": row["kingdom"],
            "phylum": row["phylum"],
            "class": row["class"],
            "order": row["order"],
            "family": row["family"],
            "genus": row["genus"],
        }
    )
    return ListingEntry.from_row(out, info, effective=info.snapshot_date)


@functools.cache
def load_bundled_layers(
    path: Path = BUNDLED_PATH,
    amendments: Path = AMENDMENTS_PATH,
    taxonomy: Path = TAXONOMY_PATH,
) -> tuple[tuple[ListingSetInfo, tuple[ListingEntry, ...]], ...]:
    """Read the shipped files, parsed once per process (package data).

    Returns:
        ``(set, entries)`` per layer: the 2017 index part, the 2023 reptile part, the
        genus -> family table, the amendments.

    Raises:
        ListingDataError: a shipped file is missing or malformed.
    """
    rows = _read(path)
    sha = sha256_file(path)
    by_source: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_source.setdefault(row.get("source") or "", []).append(row)
    layers: list[tuple[ListingSetInfo, tuple[ListingEntry, ...]]] = []
    for source in sorted(by_source, key=_source_date):
        info = ListingSetInfo(
            name=path.name,
            sha256=sha,
            snapshot_date=_source_date(source),
            layout=f"idtool_listings:{source}",
            row_count=len(by_source[source]),
            bundled=True,
        )
        entries = tuple(
            ListingEntry.from_row(idtool_listing_row(r), info, effective=info.snapshot_date)
            for r in by_source[source]
        )
        layers.append((info, entries))
    taxa = read_taxonomy(taxonomy)
    tax_info = ListingSetInfo(
        name=taxonomy.name,
        sha256=sha256_file(taxonomy),
        snapshot_date=layers[0][0].snapshot_date,
        layout="idtool_taxonomy",
        row_count=len(taxa),
        bundled=True,
    )
    layers.insert(1, (tax_info, tuple(_taxonomy_entry(r, tax_info) for r in taxa)))
    written = _read(amendments)
    info = ListingSetInfo(
        name=amendments.name,
        sha256=sha256_file(amendments),
        # the date the file was checked: a row may take effect later (a delayed listing)
        snapshot_date=AMENDMENTS_CURRENT_TO,
        layout="idtool_amendments",
        row_count=len(written),
        bundled=True,
    )
    layers.append((info, tuple(_amendment_entry(r, info) for r in written)))
    return tuple(layers)
