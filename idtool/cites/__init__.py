"""CITES and EU listing data: import, versioned storage, in-memory index, rules.

Also the CITES side of guidance (:mod:`idtool.cites.guidance`): permits, checks and
next steps for a taxon or material and a trade declaration. The listing tables share the
catalog's SQLite file, but this package owns their migrations and applies them itself
(every entry point that opens the tables calls :func:`migrate`).

May import: the foundation modules and ``idtool.catalog`` (taxonomy).

Public entry points: :func:`migrate`, :func:`load_listing_index`,
:func:`import_listing_file`, :func:`refresh_index_cache`, :class:`ListingIndex`.
"""

from __future__ import annotations

from idtool.cites.index_loader import load_listing_index, refresh_index_cache
from idtool.cites.listing_import import ImportResult, import_listing_file
from idtool.cites.listing_index import ListingIndex
from idtool.cites.store import ListingSetInfo, list_sets, migrate

__all__ = [
    "ImportResult",
    "ListingIndex",
    "ListingSetInfo",
    "import_listing_file",
    "list_sets",
    "load_listing_index",
    "migrate",
    "refresh_index_cache",
]
