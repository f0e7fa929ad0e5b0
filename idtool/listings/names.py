"""Taxon names to look for in listing text, from the CITES listing index.

Every current listing row gives its scientific name, its synonyms and its common names
(the ``common_names`` field: English in Species+ exports, more languages where the
listing set carries them). This module is the one seam between the listing index and the
text matcher: when the index learns more names (other languages, vernacular spellings),
:func:`listing_names` is the only place to extend.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from idtool.cites.listing_index import ListingEntry, ListingIndex

SCIENTIFIC = "scientific"
SYNONYM = "synonym"
COMMON = "common"
_SPLIT = re.compile(r"[,;/]")
_MIN_COMMON_CHARS = 4


@dataclass(frozen=True)
class TaxonName:
    """A name that points to a listed taxon."""

    name: str  # as written in the listing set
    taxon: str  # the listing row's scientific name
    rank: str
    kind: str  # scientific | synonym | common
    language: str  # "la" for scientific names and synonyms


def _common_names(entry: ListingEntry) -> list[str]:
    names = []
    for raw in _SPLIT.split(entry.common_names or ""):
        name = " ".join(raw.split()).strip(" .()")
        if len(name) >= _MIN_COMMON_CHARS and not any(ch.isdigit() for ch in name):
            names.append(name)
    return names


def listing_names(index: ListingIndex) -> Iterator[TaxonName]:
    """Every scientific name, synonym and common name of the index's listing rows."""
    for entry in index.entries():
        rank = entry.rank or "species"
        yield TaxonName(entry.full_name, entry.full_name, rank, SCIENTIFIC, "la")
        for synonym in entry.synonyms:
            yield TaxonName(synonym, entry.full_name, rank, SYNONYM, "la")
        for common in _common_names(entry):
            yield TaxonName(common, entry.full_name, rank, COMMON, "en")
