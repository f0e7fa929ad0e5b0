"""Load the listing index of a catalog: every layer merged, quotas, reservations, EU.

:func:`load_listing_index` merges the shipped layers and the imported listing sets
(:mod:`idtool.cites.layers`: newest effective row per taxon) and adds the zero quotas the
annotations state to any imported quota table. With an imported set it reads the merged
tables from the cache file beside the catalog (:mod:`idtool.cites.index_cache`), writing
it first when missing or stale; :func:`refresh_index_cache` (called by
``idtool cites import``) writes it at once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import sqlite_utils

from idtool.cites.annotation_quotas import quota_facts
from idtool.cites.bundled import AMENDMENTS_PATH, BUNDLED_PATH, TAXONOMY_PATH, amendment_dates
from idtool.cites.eu import EuAnnexEntry, EuAnnexIndex
from idtool.cites.index_cache import (
    cache_key,
    cache_path,
    read_cache,
    set_fields,
    write_cache,
)
from idtool.cites.layers import (
    Layer,
    LayerChange,
    all_layers,
    compare_states,
    current_to,
    listing_state,
    merge_layers,
)
from idtool.cites.listing_entry import ListingEntry
from idtool.cites.listing_import import ImportResult, import_listing_file
from idtool.cites.listing_index import ListingIndex, Quota, Reservation
from idtool.cites.names import COMMON_NAMES_PATH, build_name_tables
from idtool.cites.store import (
    KIND_EU,
    KIND_LISTINGS,
    KIND_QUOTAS,
    KIND_RESERVATIONS,
    ListingSetInfo,
    list_sets,
    migrate,
    rows_of_sets,
)

logger = logging.getLogger(__name__)

_SHIPPED_FILES = [BUNDLED_PATH, TAXONOMY_PATH, AMENDMENTS_PATH, COMMON_NAMES_PATH]
_QUOTA_FIELDS = (
    "taxon_name",
    "country",
    "quota",
    "unit",
    "terms",
    "sources",
    "purposes",
    "start_date",
    "end_date",
    "quota_type",
)


def annotation_quotas(entries: list[ListingEntry]) -> list[Quota]:
    """The zero quotas stated in the annotations of the rows in force."""
    out = []
    for entry in entries:
        for fact in quota_facts(entry):
            out.append(
                Quota(
                    fact.taxon_name,
                    fact.country,
                    "0",
                    "",
                    fact.terms,
                    fact.sources,
                    fact.purposes,
                    entry.effective or entry.listing_set.snapshot_date,
                    "",
                    "annotation",
                    entry.listing_set,
                )
            )
    return out


def _imported_quotas(db: sqlite_utils.Database) -> list[Quota]:
    if not (quota_sets := list_sets(db, KIND_QUOTAS)):
        return []
    info = quota_sets[-1]
    return [
        Quota(**{f: r[f] for f in _QUOTA_FIELDS}, listing_set=info)
        for r in rows_of_sets(db, "cites_quotas", [info.set_id or 0])
    ]


def _reservations(db: sqlite_utils.Database) -> list[Reservation]:
    if not (res_sets := list_sets(db, KIND_RESERVATIONS)):
        return []
    info = res_sets[-1]
    return [
        Reservation(r["taxon_name"], r["country"], r["start_date"], r["end_date"], r["notes"], info)
        for r in rows_of_sets(db, "cites_reservations", [info.set_id or 0])
    ]


def _eu(db: sqlite_utils.Database) -> EuAnnexIndex:
    if not (eu_sets := list_sets(db, KIND_EU)):
        return EuAnnexIndex([], None)
    info = eu_sets[-1]
    rows = rows_of_sets(db, "eu_annex_taxa", [info.set_id or 0])
    return EuAnnexIndex(
        [
            EuAnnexEntry(r["full_name"], r["rank"], r["annex"], r["annotation"], r["regulation"])
            for r in rows
        ],
        info,
    )


def _ordered_sets(layers: list[Layer]) -> list[ListingSetInfo]:
    ordered = sorted(layers, key=lambda layer: (layer.effective_date, int(layer.imported)))
    return [layer.info for layer in ordered]


def _key(db: sqlite_utils.Database) -> str:
    # a delayed listing coming into force changes the merged tables: the dates already
    # reached are part of the key (the shipped amendments hold the only dated rows)
    reached = [d for d in amendment_dates() if d <= date.today().isoformat()]
    return cache_key(list_sets(db, KIND_LISTINGS), _SHIPPED_FILES, extra=reached)


def _build(db: sqlite_utils.Database) -> tuple[ListingIndex, list[Layer], dict[str, Any]]:
    layers = all_layers(db)
    entries = merge_layers(layers)
    quotas = annotation_quotas(entries)
    index = ListingIndex(
        entries,
        _ordered_sets(layers),
        quotas=quotas + _imported_quotas(db),
        reservations=_reservations(db),
        eu=_eu(db),
        current_to=current_to(layers),
    )
    extra = {
        "quotas": [[getattr(q, f) for f in _QUOTA_FIELDS] for q in quotas],
        "quota_sets": [q.listing_set for q in quotas],
    }
    return index, layers, extra


def refresh_index_cache(db: sqlite_utils.Database) -> ListingIndex:
    """Merge every layer and write the cache file beside the catalog.

    Returns:
        The freshly merged index.
    """
    index, _layers, extra = _build(db)
    path = cache_path(db)
    if path is not None:
        _write(db, path, index, extra)
    return index


def _write(
    db: sqlite_utils.Database,
    path: Path,
    index: ListingIndex,
    extra: dict[str, Any],
) -> None:
    tables = index.tables
    names = build_name_tables(list(tables.by_name.values()))
    sets = list(index.sets)
    sets += [s for s in dict.fromkeys(extra["quota_sets"]) if s not in sets]
    meta = {
        "current_to": index.current_to,
        "sets": [set_fields(s) for s in sets],
        "in_use": len(index.sets),
        "quotas": [
            [*q, sets.index(s)] for q, s in zip(extra["quotas"], extra["quota_sets"], strict=True)
        ],
    }
    names["index_meta"] = {"meta": meta}
    try:
        write_cache(path, _key(db), tables, names)
    except OSError as exc:
        logger.warning("cannot write the listing cache %s: %s", path, exc)


def _from_cache(db: sqlite_utils.Database) -> ListingIndex | None:
    path = cache_path(db)
    if path is None:
        return None
    found = read_cache(path, _key(db))
    if found is None:
        return None
    tables, stored = found
    meta = stored("index_meta", dict).get("meta")
    if not meta:
        return None
    sets = [ListingSetInfo(**s) for s in meta["sets"]]
    quotas = [
        Quota(**dict(zip(_QUOTA_FIELDS, q[:-1], strict=True)), listing_set=sets[q[-1]])
        for q in meta["quotas"]
    ]
    return ListingIndex(
        [],
        sets[: meta["in_use"]],
        quotas=quotas + _imported_quotas(db),
        reservations=_reservations(db),
        eu=_eu(db),
        tables=tables,
        name_tables=stored,
        current_to=meta["current_to"],
    )


def load_listing_index(db: sqlite_utils.Database) -> ListingIndex:
    """The merged index of the catalog's listing layers (shipped and imported).

    Args:
        db: the catalog database; migrated if needed.

    Returns:
        The merged index: for each taxon the newest effective listing of any layer.
    """
    migrate(db)
    if not list_sets(db, KIND_LISTINGS):
        return _build(db)[0]
    cached = _from_cache(db)
    if cached is not None:
        return cached
    index, _layers, extra = _build(db)
    path = cache_path(db)
    if path is not None:
        _write(db, path, index, extra)
    return index


def listing_layers(db: sqlite_utils.Database) -> list[Layer]:
    """Every layer (shipped and imported), in the order they apply."""
    layers = all_layers(db)
    return sorted(layers, key=lambda layer: (layer.effective_date, int(layer.imported)))


@dataclass(frozen=True)
class LayerImport:
    """An import and what it changed in the merged listings (None for other kinds)."""

    result: ImportResult
    changes: LayerChange | None


def import_layer(
    db: sqlite_utils.Database,
    path: Path,
    *,
    snapshot_date: str | None = None,
    expect_kind: str | None = None,
) -> LayerImport:
    """Import a file (:func:`~idtool.cites.listing_import.import_listing_file`); for a
    listings file, say which taxa it added, removed or moved against the merged set in
    force before, and rewrite the cache file.

    Raises:
        ListingDataError: see :func:`~idtool.cites.listing_import.import_listing_file`.
        BadField: see :func:`~idtool.cites.listing_import.import_listing_file`.
    """
    migrate(db)
    old = ListingIndex(merge_layers(all_layers(db)), [])
    result = import_listing_file(db, path, snapshot_date=snapshot_date, expect_kind=expect_kind)
    if result.listing_set.kind != KIND_LISTINGS:
        return LayerImport(result, None)
    new = refresh_index_cache(db)
    names = [e.full_name for e in old.entries()] + [e.full_name for e in new.entries()]
    names = list(dict.fromkeys(names))
    before, after = listing_state(old, names), listing_state(new, names)
    return LayerImport(result, compare_states(before, after))
