"""CITES and EU listing data: import, versioned storage, in-memory index, rules.

Public entry points: :func:`migrate`, :func:`load_listing_index`,
:func:`import_listing_file`, :class:`ListingIndex`.
"""

from __future__ import annotations

from idtool.cites.listing_import import ImportResult, import_listing_file
from idtool.cites.listing_index import ListingIndex, load_listing_index
from idtool.cites.store import ListingSetInfo, list_sets, migrate

__all__ = [
    "ImportResult",
    "ListingIndex",
    "ListingSetInfo",
    "import_listing_file",
    "list_sets",
    "load_listing_index",
    "migrate",
]
