"""Typed taxon or material names read as class labels (for confirmations).

The typed label is read like a guidance name: an exact catalog label or class folder
name (``Panthera_tigris``, ``material_ivory``), a material's plain name (``ivory``,
``walrus ivory``), a common name the catalog's taxonomy knows, then a scientific name,
synonym or common name in English, French or Spanish (:class:`idtool.cites.names.NameIndex`),
or a close spelling when one taxon is clearly meant.
"""

from __future__ import annotations

from collections.abc import Mapping

from idtool.catalog.taxonomy import TAXONOMY_FILE, TaxonRecord, infer_taxon, read_taxonomy_csv
from idtool.cites.names import NameIndex
from idtool.config import SHIPPED_REFERENCE_DIR
from idtool.errors import BadField
from idtool.evidence.confirmations import ResolvedLabel
from idtool.i18n import LANGUAGES, gettext, use_language
from idtool.types import MATERIAL_PREFIX


def material_names(taxa: Mapping[str, TaxonRecord]) -> dict[str, str]:
    """Plain material names (``ivory``, ``walrus ivory``, and their French and Spanish
    words such as ``ivoire``, ``hueso``) -> material class labels."""
    out: dict[str, str] = {}
    for label, taxon in taxa.items():
        if taxon.is_material:
            plain = label[len(MATERIAL_PREFIX) :].replace("_", " ").lower()
            out[plain] = label
            for lang in LANGUAGES:
                with use_language(lang):
                    out.setdefault(gettext(plain).lower(), label)
    return out


def resolve_label(
    query: str, taxa: Mapping[str, TaxonRecord], names: NameIndex | None
) -> ResolvedLabel:
    """Read a typed taxon or material name as a class label.

    Args:
        query: what was typed (``tiger``, ``Panthera_tigris``, ``ivoire``, ``material_bone``).
        taxa: the catalog's classes (their labels and common names are tried first).
        names: the guidance name index (scientific, synonym and common names); None
            reads catalog names only.

    Returns:
        The resolved label.

    Raises:
        BadField: empty, or no taxon or material matches (the message lists suggestions).
    """
    text = " ".join(query.replace("_", " ").split())
    if not text:
        raise BadField("label is empty: give a taxon (scientific or common name) or a material")
    folded = text.lower()
    by_label = {label.replace("_", " ").lower(): label for label in taxa}
    if folded in by_label:
        return ResolvedLabel(text, by_label[folded], "catalog")
    if folded.startswith("material "):
        return ResolvedLabel(text, MATERIAL_PREFIX + folded[9:].replace(" ", "_"), "material")
    materials = material_names(taxa)
    if folded in materials:
        return ResolvedLabel(text, materials[folded], "material")
    for label, taxon in taxa.items():
        if folded in {n.lower() for n in taxon.common_names}:
            return ResolvedLabel(text, label, "common_name", f"{text} is a common name of {label}")
    if names is not None:
        match = names.resolve(text)
        if match.name is not None:
            return ResolvedLabel(text, match.name, match.match_kind, match.note)
        hints = ", ".join(c.name for c in match.candidates[:5])
        raise BadField(
            f"{text!r} is not a known taxon or material"
            + (f" (did you mean: {hints}?)" if hints else "")
            + ": give a scientific name, a common name or material_<name>"
        )
    raise BadField(f"{text!r} is not a class of the catalog: give its scientific name")


def known_taxa(catalog_taxa: Mapping[str, TaxonRecord]) -> dict[str, TaxonRecord]:
    """The catalog's classes plus every class of the shipped ``TAXONOMY.csv``."""
    taxa: dict[str, TaxonRecord] = {}
    for class_dir, row in read_taxonomy_csv(SHIPPED_REFERENCE_DIR / TAXONOMY_FILE).items():
        try:
            taxon = infer_taxon(class_dir, row)
        except BadField:
            continue
        taxa[taxon.label] = taxon
    taxa.update(catalog_taxa)
    return taxa
