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

from typing import TYPE_CHECKING

from idtool.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from idtool.cites.codes import PURPOSE_CODES, SOURCE_CODES, purpose_meaning, source_meaning
    from idtool.cites.countries import country_name
    from idtool.cites.guidance import (
        CombinedGuidance,
        Guidance,
        TradeDeclaration,
        guidance_for_identification,
        guidance_for_label,
    )
    from idtool.cites.index_loader import load_listing_index, refresh_index_cache
    from idtool.cites.listing_import import ImportResult, import_listing_file
    from idtool.cites.listing_index import LATEST_COP, ListingIndex, stale_warning
    from idtool.cites.names import names_for, read_common_names
    from idtool.cites.store import KIND_EU, ListingSetInfo, list_sets, migrate

# the public names of this part, each imported from its module on first use
_EXPORTS: dict[str, str] = {
    "PURPOSE_CODES": "idtool.cites.codes",
    "SOURCE_CODES": "idtool.cites.codes",
    "purpose_meaning": "idtool.cites.codes",
    "source_meaning": "idtool.cites.codes",
    "country_name": "idtool.cites.countries",
    "CombinedGuidance": "idtool.cites.guidance",
    "Guidance": "idtool.cites.guidance",
    "TradeDeclaration": "idtool.cites.guidance",
    "guidance_for_identification": "idtool.cites.guidance",
    "guidance_for_label": "idtool.cites.guidance",
    "ImportResult": "idtool.cites.listing_import",
    "import_listing_file": "idtool.cites.listing_import",
    "LATEST_COP": "idtool.cites.listing_index",
    "ListingIndex": "idtool.cites.listing_index",
    "load_listing_index": "idtool.cites.index_loader",
    "refresh_index_cache": "idtool.cites.index_loader",
    "stale_warning": "idtool.cites.listing_index",
    "names_for": "idtool.cites.names",
    "read_common_names": "idtool.cites.names",
    "KIND_EU": "idtool.cites.store",
    "ListingSetInfo": "idtool.cites.store",
    "list_sets": "idtool.cites.store",
    "migrate": "idtool.cites.store",
}
__all__ = [
    "KIND_EU",
    "LATEST_COP",
    "PURPOSE_CODES",
    "SOURCE_CODES",
    "CombinedGuidance",
    "Guidance",
    "ImportResult",
    "ListingIndex",
    "ListingSetInfo",
    "TradeDeclaration",
    "country_name",
    "guidance_for_identification",
    "guidance_for_label",
    "import_listing_file",
    "list_sets",
    "load_listing_index",
    "migrate",
    "names_for",
    "purpose_meaning",
    "read_common_names",
    "refresh_index_cache",
    "source_meaning",
    "stale_warning",
]
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
