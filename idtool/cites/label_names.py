"""Name a label for an officer: materials from the translated table, taxa by common name.

The door every front end uses (through :func:`label_name`): the API's ``common_name``, the
guidance texts, the CLI table and the batch and listings reports. Taxa take their common
names from the listing index (the shipped ``common_names.csv`` plus an imported Species+
export) or, without one, from the shipped table alone.
"""

from __future__ import annotations

from functools import cache

from idtool.cites.listing_index import ListingIndex
from idtool.cites.names import names_for, read_common_names
from idtool.i18n.names import MATERIAL_PREFIX, known_name, material_name, name_for_label


@cache
def _shipped_common_names() -> dict[str, dict[str, list[str]]]:
    table: dict[str, dict[str, list[str]]] = {}
    for taxon, language, name in read_common_names():
        table.setdefault(taxon, {}).setdefault(language, []).append(name)
    return table


def _names(label: str, listings: ListingIndex | None) -> dict[str, list[str]]:
    if listings is not None:
        return names_for(listings).common_names(label)
    return _shipped_common_names().get(label, {})


def label_name(
    label: str, listings: ListingIndex | None = None, catalog_name: str | None = None
) -> str:
    """The name of ``label`` in the active language (see :func:`name_for_label`).

    Args:
        label: a material label (``material_ivory``) or a scientific name.
        listings: the listing index whose common names to use; None: the shipped table.
        catalog_name: the reference set's own name for the class, if known.
    """
    if material_name(label) is not None:
        return name_for_label(label)
    return name_for_label(label, _names(label, listings), catalog_name)


def common_name(
    label: str, listings: ListingIndex | None = None, catalog_name: str | None = None
) -> str | None:
    """Like :func:`label_name`, but None when no name is known (the API's ``common_name``)."""
    return known_name(label, _names(label, listings), catalog_name)


def label_with_name(label: str, listings: ListingIndex | None = None) -> str:
    """``African elephant (Loxodonta africana)``; a material or a nameless taxon: its name."""
    name = label_name(label, listings)
    if name == label or label.startswith(MATERIAL_PREFIX):
        return name
    return f"{name} ({label})"
