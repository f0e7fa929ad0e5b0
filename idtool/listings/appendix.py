"""Which CITES appendix a taxon named in a market listing stands for: the guidance answer.

The text of an advert names a taxon ("ball python", "lion", "rosewood"); the appendix
shown in its reasons is the one :func:`idtool.cites.guidance.guidance_for_taxon` gives
for that name with no trade declared, never the strictest row of the genus or of a split
listing. Where the guidance cannot settle the appendix (a listing split by population or
between member taxa, and the advert does not say which), the advert counts at the least
strict of the appendices the guidance offers, and the guidance's caveat travels with it
(``note``) so the reasons say what would make it stricter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from idtool.cites.guidance import TradeDeclaration, guidance_for_taxon
from idtool.cites.listing_index import ListingIndex

APPENDIX_ORDER = {"I": 0, "II": 1, "III": 2}
EXACT_LISTING_MATCHES = ("exact", "synonym")


@dataclass(frozen=True)
class NamedAppendix:
    """The appendix a named taxon counts at, the rank of the name and the guidance caveat."""

    appendix: str | None  # None: not listed, not found
    rank: str
    note: str = ""  # empty when the guidance settles the appendix
    options: tuple[str, ...] = ()  # every appendix the guidance offers, strictest first


@dataclass
class AppendixGuide:
    """The guidance engine's appendix for names found in adverts, cached per name."""

    index: ListingIndex
    _declaration: TradeDeclaration = field(default_factory=TradeDeclaration.from_values)
    _cache: dict[str, NamedAppendix] = field(default_factory=dict)

    def for_name(self, name: str) -> NamedAppendix:
        """The appendix ``name`` counts at (see the module docstring)."""
        if name not in self._cache:
            self._cache[name] = self._answer(name)
        return self._cache[name]

    def _answer(self, name: str) -> NamedAppendix:
        guidance = guidance_for_taxon(name, self._declaration, self.index)
        if guidance.listing_match in EXACT_LISTING_MATCHES and guidance.matched_rank:
            rank = guidance.matched_rank
        else:
            rank = "species" if " " in name else "genus"
        cites = guidance.cites
        if guidance.status != "listed":
            return NamedAppendix(None, rank)
        appendix, note, options = settle_appendix(
            cites.appendix,
            cites.population_resolved,
            [(o.appendix, o.population) for o in cites.options],
            cites.population_note,
        )
        return NamedAppendix(appendix, rank, note, options)


def settle_appendix(
    appendix: str | None,
    resolved: bool,
    options: Sequence[tuple[str, str]],
    population_note: str,
) -> tuple[str | None, str, tuple[str, ...]]:
    """The appendix an advert counts at, the caveat, and every appendix offered.

    Args:
        appendix: the guidance's appendix (the strictest while unresolved).
        resolved: whether the guidance settled the population or member taxon.
        options: the guidance's ``(appendix, population)`` options.
        population_note: the guidance's caveat.

    Returns:
        The guidance's appendix when it is settled; else the least strict option, with
        the stricter options and the guidance's caveat as the note.
    """
    if appendix not in APPENDIX_ORDER:
        return None, "", ()
    offered = tuple(
        sorted(
            {a for a, _ in options if a in APPENDIX_ORDER} | {appendix},
            key=APPENDIX_ORDER.__getitem__,
        )
    )
    if resolved or len(offered) < 2:
        return appendix, "", offered
    stricter = "; ".join(f"Appendix {a} for {pop}" for a, pop in options if a != offered[-1])
    note = f"{stricter} ({population_note})" if stricter else population_note
    return offered[-1], note, offered
