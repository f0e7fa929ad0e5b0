"""What a listing index answers for a name, reduced to comparable facts.

Used by the bundled-table builder (:mod:`idtool.cites.build_bundled`) to drop species rows
that higher-taxon inheritance already resolves, and by the tests that check the shipped
table against the Species+ index it was built from.
"""

from __future__ import annotations

from dataclasses import dataclass

from idtool.cites.annotations import choose_population
from idtool.cites.listing_index import ListingIndex


@dataclass(frozen=True)
class ListingAnswer:
    """The appendices a name resolves to (``("I", "II")`` for a split), whether the
    answer is "not covered", the plant annotation symbol and the row that gave it."""

    appendices: tuple[str, ...]
    not_covered: bool
    hash_symbol: str
    via: str | None

    @property
    def listing(self) -> str:
        """Species+ notation: ``"I/II"``, ``"NC"`` or ``""`` when nothing resolved."""
        return "/".join(self.appendices) or ("NC" if self.not_covered else "")


def listing_answer(index: ListingIndex, name: str) -> ListingAnswer:
    """Resolve ``name`` as guidance would, without a declared origin.

    A species covered by a higher-taxon listing that is split between member taxa gets the
    appendix of members not listed by name (e.g. a parrot under Psittaciformes: II); one
    covered by a listing split by population gets every appendix of that listing.

    Args:
        index: the listing index.
        name: a scientific name.

    Returns:
        The answer; empty appendices when the name is not found or only partly listed.
    """
    match = index.lookup(name)
    entry = match.entry
    if entry is None:
        return ListingAnswer((), False, "", None)
    if match.status == "not_listed":
        return ListingAnswer((), True, entry.hash_symbol, entry.full_name)
    appendices = entry.appendices
    if match.inherited:
        split = index.split_for(entry)
        if split.kind == "taxonomic":
            choice = choose_population(split, None, inherited=True)
            appendices = (choice.appendix,) if choice.appendix else ()
    return ListingAnswer(appendices, False, entry.hash_symbol, entry.full_name)
