"""The names an officer reads for a label, in the active language.

One source for every front end (phone page, CLI table, batch and listings reports, the
API's ``common_name``): a material label (``material_ivory``) is named from
:data:`MATERIAL_NAMES`, whose texts are in the gettext catalogs; a taxon is named by its
common name in the active language when the caller knows one (the common-name table,
see :func:`idtool.cites.label_names.label_name`), otherwise by its scientific name under
French or Spanish (never an English common name there) and by the catalog's name under
English. JSON keeps the labels; only the names shown change with the language.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from idtool.i18n import N_, get_language
from idtool.i18n import gettext as _

MATERIAL_PREFIX = "material_"

# Material classes idtool knows (the shipped set and the materials table), as an officer
# says them. A reference set's own material classes fall back to the catalog's name.
MATERIAL_NAMES: dict[str, str] = {
    "material_ivory": N_("elephant ivory"),
    "material_walrus_ivory": N_("walrus ivory"),
    "material_bone": N_("bone (carved)"),
    "material_ceramic": N_("ceramic"),
    "material_ivory_or_bone": N_("ivory or bone (carved)"),
    "material_resin_or_plastic": N_("resin or plastic imitation"),
    "material_coral_worked": N_("worked coral"),
    "material_reptile_leather": N_("reptile leather"),
    "material_tortoiseshell": N_("tortoiseshell"),
    "material_antler": N_("antler"),
    "material_horn": N_("horn"),
    "material_tooth": N_("tooth"),
    "material_wood": N_("wood"),
}


def material_name(label: str) -> str | None:
    """``material_ivory`` -> ``ivoire d'éléphant`` in French; None for other labels."""
    english = MATERIAL_NAMES.get(label)
    return _(english) if english else None


def _plain(label: str) -> str:
    """A material label as words when nothing better is known (``material_x_y`` -> ``x y``)."""
    if label.startswith(MATERIAL_PREFIX):
        return label[len(MATERIAL_PREFIX) :].replace("_", " ")
    return label


def known_name(
    label: str,
    common_names: Mapping[str, Sequence[str]] | None = None,
    catalog_name: str | None = None,
) -> str | None:
    """The name of ``label`` in the active language, or None when none is known.

    Args:
        label: a material label or a scientific name.
        common_names: the taxon's common names by language (``{"fr": [...]}``), if known.
        catalog_name: the reference set's own (English) name for the class, if any.

    Returns:
        The material's translated name; under English, the catalog's name, else the
        first English common name; under French or Spanish, the first common name in
        that language, else the catalog's name where the catalogs translate it, else None
        (an English name is never given there).
    """
    known = material_name(label)
    if known:
        return known
    lang = get_language()
    names = common_names or {}
    if lang == "en" and catalog_name:
        return catalog_name  # the reference set's own name, as its curator wrote it
    if names.get(lang):
        return str(names[lang][0])
    if catalog_name and _(catalog_name) != catalog_name:
        return _(catalog_name)  # a catalog name the catalogs happen to translate
    return None


def name_for_label(
    label: str,
    common_names: Mapping[str, Sequence[str]] | None = None,
    catalog_name: str | None = None,
) -> str:
    """The name shown for ``label``: :func:`known_name`, else the label itself (a
    scientific name, or a material label as words)."""
    return known_name(label, common_names, catalog_name) or _plain(label)
