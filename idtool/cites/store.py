"""SQLite tables for versioned CITES / EU listing sets (``Migrations("idtool_cites")``).

Every imported file becomes a row of ``listing_sets`` (kind, layout, file name, SHA-256,
snapshot date, imported_at); its rows go to ``cites_taxa``, ``cites_quotas``,
``cites_reservations`` or ``eu_annex_taxa`` keyed by ``set_id``. Sets are never deleted:
a newer export becomes current and the old one stays for the record.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlite_utils
from sqlite_utils.migrations import Migrations

cites_migrations = Migrations("idtool_cites")

KIND_LISTINGS = "cites_listings"
KIND_QUOTAS = "cites_quotas"
KIND_RESERVATIONS = "cites_reservations"
KIND_EU = "eu_annex"
KINDS = (KIND_LISTINGS, KIND_QUOTAS, KIND_RESERVATIONS, KIND_EU)


@cites_migrations()
def m001_listing_sets(db: sqlite_utils.Database) -> None:
    db.table("listing_sets").create(
        {
            "id": int,
            "kind": str,
            "layout": str,
            "name": str,
            "sha256": str,
            "snapshot_date": str,
            "imported_at": str,
            "row_count": int,
            "complete": int,
        },
        pk="id",
        not_null={"kind", "layout", "name", "sha256", "snapshot_date", "imported_at"},
    )
    db.table("listing_sets").create_index(["kind", "sha256"], unique=True)
    db.table("cites_taxa").create(
        {
            "set_id": int,
            "taxon_id": str,
            "full_name": str,
            "rank": str,
            "kingdom": str,
            "phylum": str,
            "class_name": str,
            "order_name": str,
            "family": str,
            "genus": str,
            "listing": str,
            "party": str,
            "listed_under": str,
            "annotation": str,
            "full_annotation": str,
            "hash_symbol": str,
            "hash_annotation": str,
            "synonyms": str,
            "common_names": str,
            "distribution_iso": str,
            "cites_accepted": int,
        },
        foreign_keys=[("set_id", "listing_sets", "id")],
    )
    db.table("cites_taxa").create_index(["set_id"])
    db.table("cites_taxa").create_index(["full_name"])
    db.table("cites_quotas").create(
        {
            "set_id": int,
            "quota_type": str,
            "start_date": str,
            "end_date": str,
            "taxon_name": str,
            "taxon_id": str,
            "rank": str,
            "country": str,
            "quota": str,
            "unit": str,
            "terms": str,
            "sources": str,
            "purposes": str,
            "notes": str,
        },
        foreign_keys=[("set_id", "listing_sets", "id")],
    )
    db.table("cites_quotas").create_index(["set_id"])
    db.table("cites_reservations").create(
        {
            "set_id": int,
            "start_date": str,
            "end_date": str,
            "taxon_name": str,
            "taxon_id": str,
            "rank": str,
            "country": str,
            "notes": str,
        },
        foreign_keys=[("set_id", "listing_sets", "id")],
    )
    db.table("cites_reservations").create_index(["set_id"])
    db.table("eu_annex_taxa").create(
        {
            "set_id": int,
            "full_name": str,
            "rank": str,
            "annex": str,
            "annotation": str,
            "regulation": str,
        },
        foreign_keys=[("set_id", "listing_sets", "id")],
    )
    db.table("eu_annex_taxa").create_index(["set_id"])


@cites_migrations()
def m002_common_names_fr_es(db: sqlite_utils.Database) -> None:
    """French and Spanish common names of imported Species+ index rows."""
    db.table("cites_taxa").add_column("common_names_fr", str)
    db.table("cites_taxa").add_column("common_names_es", str)


def migrate(db: sqlite_utils.Database) -> None:
    """Apply the ``idtool_cites`` migrations (idempotent)."""
    cites_migrations.apply(db)


@dataclass(frozen=True)
class ListingSetInfo:
    """Which data a guidance answer came from."""

    name: str
    sha256: str
    snapshot_date: str
    kind: str = KIND_LISTINGS
    layout: str = ""
    imported_at: str | None = None
    row_count: int = 0
    set_id: int | None = None
    complete: bool = False
    bundled: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "sha256": self.sha256,
            "snapshot_date": self.snapshot_date,
            "kind": self.kind,
            "layout": self.layout,
            "imported_at": self.imported_at,
            "row_count": self.row_count,
            "bundled": self.bundled,
        }


def _info(row: dict[str, Any]) -> ListingSetInfo:
    return ListingSetInfo(
        name=row["name"],
        sha256=row["sha256"],
        snapshot_date=row["snapshot_date"],
        kind=row["kind"],
        layout=row["layout"],
        imported_at=row["imported_at"],
        row_count=row["row_count"] or 0,
        set_id=row["id"],
        complete=bool(row["complete"]),
    )


def list_sets(db: sqlite_utils.Database, kind: str | None = None) -> list[ListingSetInfo]:
    """All imported sets, oldest snapshot first (ties: oldest import first)."""
    if not db.table("listing_sets").exists():
        return []
    where, args = ("kind = ?", [kind]) if kind else (None, [])
    rows = db.table("listing_sets").rows_where(
        where, args, order_by="snapshot_date, imported_at, id"
    )
    return [_info(r) for r in rows]


def find_set(db: sqlite_utils.Database, kind: str, sha256: str) -> ListingSetInfo | None:
    rows = list(db.table("listing_sets").rows_where("kind = ? and sha256 = ?", [kind, sha256]))
    return _info(rows[0]) if rows else None


TABLE_FOR_KIND = {
    KIND_LISTINGS: "cites_taxa",
    KIND_QUOTAS: "cites_quotas",
    KIND_RESERVATIONS: "cites_reservations",
    KIND_EU: "eu_annex_taxa",
}


def rows_of_sets(db: sqlite_utils.Database, table: str, set_ids: list[int]) -> list[dict[str, Any]]:
    """All rows of ``table`` that belong to the given sets."""
    if not set_ids:
        return []
    marks = ", ".join("?" for _ in set_ids)
    cursor = db.execute(f"select * from [{table}] where set_id in ({marks})", set_ids)
    columns = [c[0] for c in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
