"""The listings idtool ships: the built table plus the amendments file.

* ``idtool/data/cites_bundled_listings.csv``: listing facts built by
  :mod:`idtool.cites.build_bundled` from the April 2017 Species+ index (after CoP17) and
  the July 2023 reptile export (after CoP19). Its ``source`` column says which; each
  source becomes one listing set, dated by its export.
* ``idtool/data/cites_amendments.csv``: later changes written by hand, each with the CoP,
  the date it took effect, where it comes from and a ``confidence``. Its rows replace the
  built rows of the same name.

Both are used only while no listing set has been imported into the catalog.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from idtool.cites.listing_import import idtool_listing_row
from idtool.cites.store import ListingSetInfo
from idtool.errors import ListingDataError
from idtool.hashing import sha256_file

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
BUNDLED_PATH = DATA_DIR / "cites_bundled_listings.csv"
AMENDMENTS_PATH = DATA_DIR / "cites_amendments.csv"
AMENDMENT_CONFIDENCE = ("high", "medium")
AMENDMENT_CHANGES = ("added", "transferred", "annotation", "party", "nomenclature", "not_listed")
AMENDMENT_CHANGES_ALL = (*AMENDMENT_CHANGES, "taxonomy")

AMENDMENT_PROVENANCE = (
    "listing from idtool's amendments file ({cop_and_date}; {source}; confidence {confidence})"
)


def _read(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ListingDataError(f"{path}: cannot read the shipped listings: {exc}") from None


def _source_date(source: str) -> str:
    """``index-2017-04-21`` -> ``2017-04-21``."""
    return "-".join(source.split("-")[-3:])


def _amendment_row(row: dict[str, str]) -> dict[str, Any]:
    confidence = (row.get("confidence") or "").strip()
    change = (row.get("change") or "").strip()
    if confidence not in AMENDMENT_CONFIDENCE or change not in AMENDMENT_CHANGES_ALL:
        raise ListingDataError(
            f"cites_amendments.csv: {row.get('full_name')!r} needs a confidence of "
            f"{' or '.join(AMENDMENT_CONFIDENCE)} and a change of {', '.join(AMENDMENT_CHANGES_ALL)}"
        )
    out = idtool_listing_row(row)
    if change != "taxonomy":
        cop = (row.get("cop") or "").strip()
        effective = (row.get("effective") or "").strip()
        cop_and_date = ", ".join(
            p for p in (cop, f"in effect {effective}" if effective else "") if p
        )
        out["provenance"] = AMENDMENT_PROVENANCE.format(
            cop_and_date=cop_and_date or change.replace("_", " "),
            source=row.get("source") or "",
            confidence=confidence,
        )
    return out


def read_amendments(path: Path = AMENDMENTS_PATH) -> list[dict[str, str]]:
    """The amendments file as written (for tests and documentation)."""
    return _read(path)


def load_bundled_rows(
    path: Path = BUNDLED_PATH, amendments: Path = AMENDMENTS_PATH
) -> tuple[list[tuple[dict[str, Any], ListingSetInfo]], list[ListingSetInfo]]:
    """Read the shipped table and the amendments, oldest source first.

    Returns:
        ``cites_taxa``-shaped rows with their set (later sets replace earlier rows of the
        same name in the index) and one listing set per source: the 2017 index part, the
        2023 reptile part, the amendments.

    Raises:
        ListingDataError: a shipped file is missing or malformed.
    """
    rows = _read(path)
    sha = sha256_file(path)
    by_source: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_source.setdefault(row.get("source") or "", []).append(row)
    entries: list[tuple[dict[str, Any], ListingSetInfo]] = []
    sets: list[ListingSetInfo] = []
    for source in sorted(by_source, key=_source_date):
        info = ListingSetInfo(
            name=path.name,
            sha256=sha,
            snapshot_date=_source_date(source),
            layout=f"idtool_listings:{source}",
            row_count=len(by_source[source]),
            bundled=True,
        )
        sets.append(info)
        entries += [(idtool_listing_row(r), info) for r in by_source[source]]
    amended = [_amendment_row(r) for r in _read(amendments)]
    dates = [r.get("effective") or "" for r in _read(amendments)]
    info = ListingSetInfo(
        name=amendments.name,
        sha256=sha256_file(amendments),
        snapshot_date=max(d for d in dates if d) if any(dates) else sets[-1].snapshot_date,
        layout="idtool_amendments",
        row_count=len(amended),
        bundled=True,
    )
    sets.append(info)
    entries += [(r, info) for r in amended]
    return entries, sets
