"""In-memory index of the current CITES listings, for sub-millisecond lookups.

:func:`load_listing_index` merges the imported listing sets newest-per-taxon (a newer
*complete* Species+ index hides older sets entirely; partial sets such as a reptile-only
export overlay what is older) and falls back to the bundled table when nothing was
imported. :meth:`ListingIndex.lookup` resolves a name: exact, synonym, then the
species/genus/family/order/class above it, with close spellings for unknown names.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from idtool.cites.annotations import PopulationSplit, parse_population_split
from idtool.cites.eu import EuAnnexIndex
from idtool.cites.index_cache import IndexTables, build_tables
from idtool.cites.listing_entry import ListingEntry, normalise_name
from idtool.cites.store import ListingSetInfo
from idtool.i18n import N_
from idtool.i18n import gettext as _
from idtool.i18n.vocabulary import rank_name


@dataclass(frozen=True)
class CopMeeting:
    name: str
    place: str
    last_day: str


COP_MEETINGS = (
    CopMeeting("CoP17", "Johannesburg", "2016-10-05"),
    CopMeeting("CoP18", "Geneva", "2019-08-28"),
    CopMeeting("CoP19", "Panama City", "2022-11-25"),
    CopMeeting("CoP20", "Samarkand", "2025-12-05"),
)
LATEST_COP = COP_MEETINGS[-1]

# English, marked for translation; translated where used.
INHERITED = N_("{query} is not listed by name; it is covered by the listing of {taxon} ({rank})")
INHERITED_BUNDLED = N_(
    "{query} has no row of its own in the shipped table; the listing of {taxon} ({rank}) covers it"
)


@dataclass(frozen=True)
class Quota:
    """A quota from the SAPI quota table (export quota unless stated)."""

    taxon_name: str
    country: str
    quota: str
    unit: str
    terms: str
    sources: str
    purposes: str
    start_date: str
    end_date: str
    quota_type: str
    listing_set: ListingSetInfo

    @property
    def current(self) -> bool:
        return self.end_date.strip().lower() in ("", "present")

    def matches(self, countries: set[str], purpose: str | None, source: str | None) -> bool:
        if countries and self.country != "All" and self.country not in countries:
            return False
        sources = {s.strip() for s in self.sources.split(";")}
        purposes = {p.strip() for p in self.purposes.split(";")}
        if source and "All" not in sources and source not in sources:
            return False
        return not (purpose and "All" not in purposes and purpose not in purposes)

    def describe(self) -> str:
        where = _("all countries") if self.country == "All" else self.country
        terms = (
            _("all specimens")
            if self.terms == "All"
            else _("terms {terms}").format(terms=_(self.terms))
        )
        src = "" if self.sources == "All" else ", " + _("source {code}").format(code=self.sources)
        pur = (
            "" if self.purposes == "All" else ", " + _("purpose {code}").format(code=self.purposes)
        )
        if self.quota_type == "annotation":
            return _(
                "{taxon}: zero export quota stated in the annotation to the listing "
                "({where}; {terms}{sources}{purposes}; in effect since {date})"
            ).format(
                taxon=self.taxon_name,
                where=where,
                terms=terms if self.terms != "live" else _("live specimens"),
                sources=src,
                purposes=pur,
                date=self.start_date.strip(),
            )
        kind = (
            _("zero export quota")
            if self.quota == "0"
            else _("export quota {quota}").format(quota=self.quota)
        )
        return _(
            "{taxon}: {kind} ({where}; {terms}{sources}{purposes}; since {date}; {type})"
        ).format(
            taxon=self.taxon_name,
            kind=kind,
            where=where,
            terms=terms,
            sources=src,
            purposes=pur,
            date=self.start_date.strip(),
            type=self.quota_type.replace("_", " "),
        )


@dataclass(frozen=True)
class Reservation:
    """A Party's reservation: it is treated as a non-Party for trade in this taxon."""

    taxon_name: str
    country: str
    start_date: str
    end_date: str
    notes: str
    listing_set: ListingSetInfo

    @property
    def current(self) -> bool:
        return self.end_date.strip().lower() in ("", "present")


@dataclass(frozen=True)
class ListingMatch:
    """How a name was resolved against the listings.

    ``status``: ``listed`` (an appendix applies), ``not_listed`` (an NC row, e.g. a
    domesticated form), ``partial`` (a higher taxon not listed as a whole, some members
    are) or ``not_found``.
    """

    query: str
    status: str
    match_kind: str  # exact, synonym, species, higher_taxon, members, none
    entry: ListingEntry | None
    lineage: tuple[str, ...]
    note: str
    suggestions: tuple[str, ...] = ()
    members: tuple[ListingEntry, ...] = field(default=())

    @property
    def inherited(self) -> bool:
        return self.match_kind in ("higher_taxon", "species")


class ListingIndex:
    """Listings, quotas, reservations and the EU layer, indexed in memory."""

    def __init__(
        self,
        entries: list[ListingEntry],
        sets: list[ListingSetInfo],
        *,
        quotas: list[Quota] | None = None,
        reservations: list[Reservation] | None = None,
        eu: EuAnnexIndex | None = None,
        tables: IndexTables | None = None,
        name_tables: Callable[[str, Callable[[Any], Any]], Mapping[str, Any]] | None = None,
        current_to: str = "",
    ) -> None:
        """Index ``entries`` (one per name, as merged), or use prebuilt ``tables``.

        Args:
            entries: the rows in force; ignored when ``tables`` is given.
            sets: every layer the rows come from, oldest first.
            quotas: quotas in force (annotation quotas and imported quota tables).
            reservations: reservations in force.
            eu: the EU annex layer.
            tables: lookup tables read from the cache file.
            name_tables: the cache file's name tables (see :mod:`idtool.cites.names`).
            current_to: the date the merged listings are current to.
        """
        self.sets = sets
        self.current_to = current_to
        self.eu = eu or EuAnnexIndex([], None)
        self.name_tables = name_tables
        built = tables or build_tables(entries)
        self.tables = built
        self._by_name = built.by_name
        self._synonyms = built.synonyms
        self._ranges = built.ranges
        self._parents = built.parents
        self._members = built.members
        self._quotas: dict[str, list[Quota]] = {}
        for quota in quotas or []:
            self._quotas.setdefault(quota.taxon_name.casefold(), []).append(quota)
        self._reservations: dict[str, list[Reservation]] = {}
        for res in reservations or []:
            self._reservations.setdefault(res.taxon_name.casefold(), []).append(res)
        self._splits: dict[str, PopulationSplit] = {}
        self._sorted: list[str] | None = None

    @property
    def _names_sorted(self) -> list[str]:
        if self._sorted is None:
            self._sorted = sorted(e.full_name for e in self._by_name.values())
        return self._sorted

    def __len__(self) -> int:
        return len(self._by_name)

    @property
    def bundled(self) -> bool:
        """True when only the shipped layers are loaded (nothing imported)."""
        return all(s.bundled for s in self.sets)

    def recorded_range(self, name: str) -> tuple[tuple[str, ...], ListingSetInfo] | None:
        """ISO codes of the range states an imported export records for ``name``, and
        the set that records them; None when no set does (the shipped table never does)."""
        return self._ranges.get(normalise_name(name).casefold())

    def entries(self) -> list[ListingEntry]:
        """Every row in force (one per name)."""
        return list(self._by_name.values())

    def entry(self, name: str) -> ListingEntry | None:
        return self._by_name.get(normalise_name(name).casefold())

    def split_for(self, entry: ListingEntry) -> PopulationSplit:
        """The parsed population split of a row (cached)."""
        key = entry.full_name.casefold()
        split = self._splits.get(key)
        if split is None:
            children = entry.rank in ("species", "subspecies") and any(
                n.startswith(entry.full_name + " ") for n in self._members.get(key, [])
            )
            split = parse_population_split(
                entry.listing,
                entry.annotation,
                rank=entry.rank.upper(),
                full_annotation=entry.full_annotation,
                has_listed_children=children or key in self._members,
            )
            self._splits[key] = split
        return split

    def _lineage_of(self, name: str) -> list[str]:
        words = name.split()
        lineage = [name]
        if len(words) >= 3:
            lineage.append(" ".join(words[:2]))
        if len(words) >= 2:
            lineage.append(words[0])
        for candidate in list(lineage[1:]) or [name]:
            parents = self._parents.get(candidate.casefold())
            if parents:
                lineage += list(parents)
                break
        return list(dict.fromkeys(lineage))

    def lookup(self, name: str, *, suggest: bool = True) -> ListingMatch:
        """Resolve a scientific name of any rank to the listing that applies.

        Args:
            name: e.g. ``"Python regius"``, ``"Scleractinia"``, ``"Manis spp."``.
            suggest: look for close spellings when not found (slow on a full export;
                guidance passes False and uses :mod:`idtool.cites.names` instead).

        Returns:
            The match; never raises for unknown names (``status == "not_found"``).
        """
        query = normalise_name(name)
        key = query.casefold()
        entry = self._by_name.get(key)
        kind = "exact"
        if entry is None and key in self._synonyms:
            entry = self._by_name[self._synonyms[key].casefold()]
            kind = "synonym"
        if entry is not None:
            lineage = tuple(entry.lineage)
            if entry.appendices:
                note = (
                    ""
                    if kind == "exact"
                    else _("{name} is a synonym of {taxon}").format(
                        name=query, taxon=entry.full_name
                    )
                )
                return ListingMatch(query, "listed", kind, entry, lineage, note)
            if entry.has_nc:
                note = _("{taxon} is listed as not covered (NC) by the Convention").format(
                    taxon=entry.full_name
                )
                return ListingMatch(query, "not_listed", kind, entry, lineage, note)
            return self._walk_up(query, list(lineage), 1, suggest)
        return self._walk_up(query, self._lineage_of(query), 1, suggest)

    def _walk_up(self, query: str, lineage: list[str], start: int, suggest: bool) -> ListingMatch:
        for i, parent in enumerate(lineage[start:], start=start):
            entry = self._by_name.get(parent.casefold())
            if entry is None or not (entry.appendices or entry.has_nc):
                continue
            words = len(query.split())
            kind = (
                "species"
                if (i == 1 and words >= 3 and len(parent.split()) == 2)
                else ("higher_taxon")
            )
            if not entry.appendices:
                note = _("{name} falls under {taxon}, which is not covered (NC)").format(
                    name=query, taxon=entry.full_name
                )
                return ListingMatch(query, "not_listed", kind, entry, tuple(lineage), note)
            template = INHERITED_BUNDLED if entry.listing_set.bundled else INHERITED
            note = _(template).format(
                query=query, taxon=entry.full_name, rank=rank_name(entry.rank)
            )
            return ListingMatch(query, "listed", kind, entry, tuple(lineage), note)
        members = [self._by_name[n.casefold()] for n in self._members.get(query.casefold(), [])]
        if members:
            note = _(
                "{name} is not listed as a whole; {count} taxa in it are listed by name, "
                "so the specimen must be identified further"
            ).format(name=query, count=len(members))
            return ListingMatch(
                query, "partial", "members", None, tuple(lineage), note, members=tuple(members)
            )
        suggestions = tuple(self.suggest(query)) if suggest else ()
        note = _(
            "{name} was not found in the listing set: it is not listed under CITES by this "
            "name nor through a genus, family or order listing known here, or the name is "
            "misspelt"
        ).format(name=query)
        return ListingMatch(query, "not_found", "none", None, tuple(lineage), note, suggestions)

    def suggest(self, name: str, limit: int = 5) -> list[str]:
        """Close spellings of ``name`` among listed names and synonyms."""
        target = normalise_name(name)
        pool = [n for n in self._names_sorted if abs(len(n) - len(target)) <= 4]
        pool += [
            self._synonyms[s]
            for s in self._synonyms
            if abs(len(s) - len(target)) <= 4 and s[:1] == target[:1].casefold()
        ]
        lowered = {n.casefold(): n for n in pool}
        hits = difflib.get_close_matches(target.casefold(), list(lowered), n=limit, cutoff=0.75)
        return list(dict.fromkeys(lowered[h] for h in hits))

    def quotas_for(
        self, names: list[str], countries: set[str], purpose: str | None, source: str | None
    ) -> list[Quota]:
        """Current quotas for any of ``names`` that match the declared trade."""
        out: list[Quota] = []
        for name in names:
            for quota in self._quotas.get(name.casefold(), []):
                if quota.current and quota.matches(countries, purpose, source):
                    out.append(quota)
        return out

    def reservations_for(self, names: list[str]) -> list[Reservation]:
        """Current reservations entered by Parties for any of ``names``."""
        return [r for n in names for r in self._reservations.get(n.casefold(), []) if r.current]


def stale_warning(listing_set: ListingSetInfo) -> str | None:
    """A warning when the set predates the latest CoP idtool knows of."""
    if listing_set.snapshot_date < LATEST_COP.last_day:
        later = [c.name for c in COP_MEETINGS if c.last_day > listing_set.snapshot_date]
        return _(
            "listing set {name} is dated {date}, before {meetings} (latest known: {cop}, "
            "{place}, ended {end}); listings may have changed: check the CITES Checklist or "
            "Species+ before deciding"
        ).format(
            name=listing_set.name,
            date=listing_set.snapshot_date,
            meetings=", ".join(later),
            cop=LATEST_COP.name,
            place=LATEST_COP.place,
            end=LATEST_COP.last_day,
        )
    return None
