"""Listing sets as dated layers: which row of which set is in force for each taxon.

Every source of listings is a layer with an effective date: the shipped table (its 2017
index part and its 2023 reptile part), the genus -> family table, the amendments file
(each row with its own date), and every set imported into the catalog (a Species+ index or
listings export of any date, a national list in idtool's layout). For each taxon the row
with the newest effective date wins; on the same date an imported set wins over a shipped
one, and a later import over an earlier one. A *complete* Species+ index dated D replaces
every listing row dated on or before D (so a taxon deleted from the Appendices goes), but
never a newer one: importing an old file cannot undo a newer listing.

Descriptive columns that a newer row lacks (synonyms, common names, ranges) are kept from
the older row of the same name, so names that worked keep working.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import sqlite_utils

from idtool.cites.bundled import load_bundled_layers
from idtool.cites.coverage import listing_answer
from idtool.cites.listing_entry import ListingEntry
from idtool.cites.listing_index import ListingIndex
from idtool.cites.store import KIND_LISTINGS, ListingSetInfo, list_sets, migrate, rows_of_sets


@dataclass(frozen=True)
class Layer:
    """One source of listing rows, in the order it applies (oldest first)."""

    info: ListingSetInfo
    entries: tuple[ListingEntry, ...]
    complete: bool = False
    imported: bool = False

    @property
    def effective_date(self) -> str:
        """The date the layer is current to: an export's snapshot date, the date the
        amendments file was checked (a row of it may take effect later)."""
        return self.info.snapshot_date

    def to_dict(self) -> dict[str, Any]:
        out = self.info.to_dict()
        out.update(
            {
                "effective_date": self.effective_date,
                "complete": self.complete,
                "imported": self.imported,
                "listed_rows": sum(1 for e in self.entries if e.appendices or e.has_nc),
            }
        )
        return out


def imported_layers(db: sqlite_utils.Database) -> list[Layer]:
    """The listing sets imported into the catalog, as layers dated by their snapshot."""
    migrate(db)
    sets = [s for s in list_sets(db, KIND_LISTINGS) if s.set_id]
    rows = rows_of_sets(db, "cites_taxa", [s.set_id for s in sets if s.set_id])
    by_set: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        by_set.setdefault(row["set_id"], []).append(row)
    layers = []
    for info in sets:
        entries = tuple(
            ListingEntry.from_row(r, info, effective=info.snapshot_date)
            for r in by_set.get(info.set_id or 0, [])
        )
        layers.append(Layer(info, entries, complete=info.complete, imported=True))
    return layers


def all_layers(db: sqlite_utils.Database | None) -> list[Layer]:
    """The shipped layers and the imported ones."""
    shipped = [Layer(info, entries) for info, entries in load_bundled_layers()]
    return shipped + (imported_layers(db) if db is not None else [])


# amendment rows a Species+ index never carries: kept when a complete index replaces the rest
_NOT_IN_AN_INDEX = ("not_listed", "nomenclature")


def _survives_a_complete_index(entry: ListingEntry) -> bool:
    if not (entry.appendices or entry.has_nc):
        return True  # taxonomy links
    return entry.amendment is not None and entry.amendment.change in _NOT_IN_AN_INDEX


def _key(entry: ListingEntry, layer_rank: int, layer: Layer) -> tuple[str, int, int]:
    return (entry.effective or layer.info.snapshot_date, int(layer.imported), layer_rank)


def _keep_descriptions(new: ListingEntry, old: ListingEntry | None) -> ListingEntry:
    if old is None:
        return new
    changes: dict[str, Any] = {}
    for name in ("synonyms", "common_names", "common_names_fr", "common_names_es", "taxon_id"):
        if not getattr(new, name) and getattr(old, name):
            changes[name] = getattr(old, name)
    if not new.distribution_iso and old.distribution_iso:
        changes["distribution_iso"] = old.distribution_iso
    for name in ("kingdom", "class_name", "order_name", "family", "genus"):
        if not getattr(new, name) and getattr(old, name):
            changes[name] = getattr(old, name)
    return replace(new, **changes) if changes else new


def merge_layers(layers: Iterable[Layer], today: str | None = None) -> list[ListingEntry]:
    """One entry per name: the newest effective row of any layer.

    Args:
        layers: shipped and imported layers in any order.
        today: ISO date; an amendment row that takes effect after it (a delayed listing)
            is not in force yet and is left out. Defaults to the current date. An
            imported file's date is the date of its export, never in the future.

    Returns:
        The entries in force, in the order they were applied (oldest first).
    """
    today = today or date.today().isoformat()
    ordered = list(layers)
    rows: list[tuple[tuple[str, int, int], ListingEntry, Layer]] = []
    for rank, layer in enumerate(ordered):
        rows += [
            (_key(e, rank, layer), e, layer)
            for e in layer.entries
            if e.amendment is None or e.effective <= today  # a delayed listing waits
        ]
    rows.sort(key=lambda item: item[0])
    clears = sorted(
        (
            (layer.info.snapshot_date, int(layer.imported), rank)
            for rank, layer in enumerate(ordered)
            if layer.complete
        ),
    )
    merged: dict[str, ListingEntry] = {}
    history: dict[str, ListingEntry] = {}  # the last row seen per name, even if cleared
    for key, entry, _layer in rows:
        while clears and clears[0] <= key:
            # a complete index starts here: older listing rows it does not repeat go
            merged = {k: e for k, e in merged.items() if _survives_a_complete_index(e)}
            clears.pop(0)
        name = entry.full_name.casefold()
        new = _keep_descriptions(entry, history.get(name))
        if not (entry.appendices or entry.has_nc) and name in merged:
            # a taxonomy-only row never hides a listing of the same name
            kept = merged[name]
            if kept.appendices or kept.has_nc:
                history[name] = _keep_descriptions(kept, entry)
                merged[name] = history[name]
                continue
        merged[name] = new
        history[name] = new
    return _apply_newer_higher_listings(list(merged.values()))


_STRICT = {"I": 0, "II": 1, "III": 2}


def _apply_newer_higher_listings(entries: list[ListingEntry]) -> list[ListingEntry]:
    """A genus or family moved to a stricter appendix after a member's own row was written
    (e.g. *Manta* spp. to Appendix I, over the 2017 row of *Manta birostris* in II) covers
    that member: the member's older, less strict row gives way to the newer listing."""
    higher = [
        e
        for e in entries
        if e.rank in ("genus", "family") and len(e.appendices) == 1 and e.effective
    ]
    if not higher:
        return entries
    out = []
    for entry in entries:
        for parent in higher:
            member = entry.genus if parent.rank == "genus" else entry.family
            if (
                entry is not parent
                and member == parent.full_name
                and entry.appendices
                and (entry.effective or entry.listing_set.snapshot_date) < parent.effective
                and _STRICT[parent.appendices[0]] < min(_STRICT[a] for a in entry.appendices)
            ):
                entry = replace(
                    entry,
                    listing=parent.listing,
                    party=parent.party,
                    listed_under=parent.listed_under,
                    annotation=parent.annotation,
                    full_annotation=parent.full_annotation,
                    hash_symbol=parent.hash_symbol,
                    hash_annotation=parent.hash_annotation,
                    listing_set=parent.listing_set,
                    effective=parent.effective,
                    amendment=parent.amendment,
                )
        out.append(entry)
    return out


def pending_dates(layers: Iterable[Layer], today: str | None = None) -> list[str]:
    """The effective dates still to come (delayed listings not in force yet)."""
    today = today or date.today().isoformat()
    return sorted(
        {
            e.effective
            for layer in layers
            for e in layer.entries
            if e.amendment is not None and e.effective > today
        }
    )


def current_to(layers: Iterable[Layer]) -> str:
    """The date the merged law is current to: the newest date any listing layer is
    current to (a taxonomy-only layer does not count)."""
    dates = [
        layer.effective_date
        for layer in layers
        if any(e.appendices or e.has_nc for e in layer.entries)
    ]
    return max(dates) if dates else ""


@dataclass(frozen=True)
class LayerChange:
    """What an import changed in the merged listings."""

    added: tuple[str, ...]
    removed: tuple[str, ...]
    moved: tuple[tuple[str, str, str], ...]  # name, listing before, listing after

    def to_dict(self) -> dict[str, Any]:
        return {
            "added": list(self.added),
            "removed": list(self.removed),
            "moved": [{"name": n, "before": b, "after": a} for n, b, a in self.moved],
        }


def listing_state(index: ListingIndex, names: Iterable[str]) -> dict[str, tuple[str, str]]:
    """name -> (appendices as resolved, listing Party) for each of ``names`` that the index
    lists or marks NC, resolved as guidance would (a species covered by its genus counts)."""
    state = {}
    for name in names:
        answer = listing_answer(index, name)
        if answer.listing:
            entry = index.entry(answer.via or "")
            state[name] = (answer.listing, entry.party if entry else "")
    return state


def compare_states(
    before: dict[str, tuple[str, str]], after: dict[str, tuple[str, str]]
) -> LayerChange:
    """Taxa added, removed and moved between appendices (or Parties) from ``before``."""
    added = tuple(sorted(n for n in after if n not in before))
    removed = tuple(sorted(n for n in before if n not in after))

    def show(listing: tuple[str, str]) -> str:
        return f"{listing[0]} ({listing[1]})" if listing[1] else listing[0]

    moved = tuple(
        (n, show(before[n]), show(after[n]))
        for n in sorted(after)
        if n in before and before[n] != after[n]
    )
    return LayerChange(added, removed, moved)
