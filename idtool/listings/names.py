"""Taxon names to look for in market listings (adverts), from the CITES listing index.

The boundary between the two meanings of "listing": the input here is the CITES side
(:class:`idtool.cites.listing_index.ListingIndex`, one row per taxon listed in an
appendix, and :mod:`idtool.cites.names`); the output (:class:`TaxonName`) is what the
advert-side text matcher looks for. Nothing else in :mod:`idtool.listings` reads CITES
rows directly: which appendix applies to a named taxon comes from the guidance engine
(:mod:`idtool.listings.appendix`).

Every current listing row gives its scientific name and its synonyms; common names in
English, French and Spanish come from :mod:`idtool.cites.names` (the shipped
``common_names.csv`` plus the names an imported Species+ index carries), the same names
``idtool guidance`` understands. This module is the one seam between the CITES names and
the text matcher: when they learn more names, :func:`cites_taxon_names` picks them up.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from idtool.cites.listing_index import ListingIndex
from idtool.cites.names import names_for, read_common_names

SCIENTIFIC = "scientific"
SYNONYM = "synonym"
COMMON = "common"
_MIN_COMMON_CHARS = 4
# common names that are everyday words in another language the adverts are written in:
# "once" (French for snow leopard; English "once", Spanish "eleven"), "morse" (walrus; Morse code)
ORDINARY_WORDS = frozenset({"once", "morse", "mara"})


@dataclass(frozen=True)
class TaxonName:
    """A name that points to a listed taxon."""

    name: str  # as written in the listing set
    taxon: str  # the scientific name of its CITES listing row (appendix entry)
    rank: str
    kind: str  # scientific | synonym | common
    language: str  # "la" for scientific names and synonyms


def _usable(name: str) -> bool:
    return (
        len(name) >= _MIN_COMMON_CHARS
        and not any(ch.isdigit() for ch in name)
        and name.casefold() not in ORDINARY_WORDS
    )


def cites_taxon_names(index: ListingIndex) -> Iterator[TaxonName]:
    """Every scientific name, synonym and common name (en, fr, es) of the CITES-listed taxa."""
    ranks: dict[str, str] = {}
    for entry in index.entries():
        rank = entry.rank or "species"
        ranks[entry.full_name] = rank
        yield TaxonName(entry.full_name, entry.full_name, rank, SCIENTIFIC, "la")
        for synonym in entry.synonyms:
            yield TaxonName(synonym, entry.full_name, rank, SYNONYM, "la")
    names = names_for(index)
    taxa = list(ranks) + sorted({taxon for taxon, _, _ in read_common_names()} - set(ranks))
    for taxon in taxa:
        rank = ranks.get(taxon) or ("species" if " " in taxon else "genus")
        for language, common in names.common_names(taxon).items():
            for name in common:
                if _usable(name):
                    yield TaxonName(name, taxon, rank, COMMON, language)
