"""Laboratory confirmations of a record's identity, kept in the custody log.

A confirmation says what an item really is (a taxon or a material), how it was
established (a short controlled list of methods) and by whom, with the laboratory's
report reference. It is one append-only ``confirmation`` custody entry; a later
confirmation of the same record *supersedes* the earlier one (its entry names the
sequence number it replaces) and never erases it, so the whole history stays readable
and every entry stays in the hash chain.

The typed label is read like a guidance name: an exact catalog label or class folder
name (``Panthera_tigris``, ``material_ivory``), a material's plain name (``ivory``,
``walrus ivory``), a scientific name, synonym or common name in English, French or
Spanish (:class:`idtool.cites.names.NameIndex`), or a close spelling when one taxon is
clearly meant.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from idtool.catalog.taxonomy import TaxonRecord
from idtool.cites.names import NameIndex
from idtool.errors import BadField
from idtool.evidence.custody import CustodyEntry, append_entry
from idtool.evidence.records import TEXT_PATTERNS
from idtool.evidence.store import EvidenceStore
from idtool.types import MATERIAL_PREFIX, is_material_label

ACTION = "confirmation"
METHODS = ("dna", "spectroscopy", "schreger_cross_section", "morphology_expert", "documents")
MAX_BY = 100
MAX_REPORT_REF = 200


@dataclass(frozen=True)
class ResolvedLabel:
    """How a typed label was read: the class label it names and why."""

    query: str
    label: str
    match_kind: str  # catalog, material, scientific, synonym, common_name, fuzzy
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "label": self.label,
            "match_kind": self.match_kind,
            "note": self.note,
        }


@dataclass(frozen=True)
class Confirmation:
    """One confirmation of a record (the current one, or one it superseded)."""

    record_id: str
    label: str
    method: str
    by: str
    report_ref: str | None
    query: str
    match_kind: str
    at: str
    actor: str
    seq: int
    entry_hash: str
    supersedes: int | None = None  # seq of the confirmation this one replaced

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "method": self.method,
            "by": self.by,
            "report_ref": self.report_ref,
            "query": self.query,
            "match_kind": self.match_kind,
            "at": self.at,
            "recorded_by": self.actor,
            "seq": self.seq,
            "entry_hash": self.entry_hash,
            "supersedes": self.supersedes,
        }

    @classmethod
    def from_entry(cls, entry: CustodyEntry) -> Confirmation:
        d = entry.details
        return cls(
            record_id=entry.record_id or "",
            label=str(d.get("label")),
            method=str(d.get("method")),
            by=str(d.get("by")),
            report_ref=d.get("report_ref"),
            query=str(d.get("query") or d.get("label")),
            match_kind=str(d.get("match_kind") or "catalog"),
            at=entry.at,
            actor=entry.actor,
            seq=entry.seq,
            entry_hash=entry.entry_hash,
            supersedes=d.get("supersedes"),
        )


def material_names(taxa: Mapping[str, TaxonRecord]) -> dict[str, str]:
    """Plain material names (``ivory``, ``walrus ivory``) -> material class labels."""
    out: dict[str, str] = {}
    for label, taxon in taxa.items():
        if taxon.is_material:
            out[label[len(MATERIAL_PREFIX) :].replace("_", " ").lower()] = label
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


def check_method(method: str) -> str:
    """Raises: BadField: not one of :data:`METHODS`."""
    value = (method or "").strip().lower()
    if value not in METHODS:
        raise BadField(f"method must be one of {', '.join(METHODS)} (got {method!r})")
    return value


def _check_short(name: str, value: str | None, limit: int, required: bool) -> str | None:
    # the same control-character rules as a case reference, with their own length limit
    text = (value or "").strip()
    if not text:
        if required:
            raise BadField(f"{name} is required")
        return None
    if len(text) > limit:
        raise BadField(f"{name} is longer than {limit} characters")
    if not re.fullmatch(TEXT_PATTERNS["case_ref"], text):
        raise BadField(f"{name} contains control or bidirectional override characters")
    return text


def confirmations_of(entries: Iterable[CustodyEntry]) -> list[Confirmation]:
    """Every confirmation among ``entries``, oldest first."""
    return [Confirmation.from_entry(e) for e in entries if e.action == ACTION]


def current_confirmation(store: EvidenceStore, record_id: str) -> Confirmation | None:
    """The newest confirmation of a record (None: never confirmed)."""
    found = confirmations_of(store.custody(record_id))
    return found[-1] if found else None


def confirmation_view(entries: Iterable[CustodyEntry]) -> dict[str, Any] | None:
    """The ``confirmation`` block of a record's JSON: the current one plus its history."""
    found = confirmations_of(entries)
    if not found:
        return None
    return {**found[-1].to_dict(), "history": [c.to_dict() for c in found[:-1]]}


def confirm_record(
    store: EvidenceStore,
    record_id: str,
    *,
    label: ResolvedLabel,
    method: str,
    by: str,
    report_ref: str | None,
    actor: str,
) -> Confirmation:
    """Append a ``confirmation`` custody entry to a record (superseding any earlier one).

    Raises:
        NotFound: no such record.
        BadField: unknown method, empty or too long ``by`` / ``report_ref``.
    """
    method = check_method(method)
    by_text = _check_short("by", by, MAX_BY, required=True)
    ref = _check_short("report_ref", report_ref, MAX_REPORT_REF, required=False)
    record = store.get(record_id)
    with store.transaction() as db:
        previous = [e for e in store.custody(record_id) if e.action == ACTION]
        entry = append_entry(
            db,
            actor=actor,
            action=ACTION,
            record_id=record.id,
            sha256=record.original_or_photo().sha256 or record.sha256,
            details={
                "label": label.label,
                "query": label.query,
                "match_kind": label.match_kind,
                "is_material": is_material_label(label.label),
                "method": method,
                "by": by_text,
                "report_ref": ref,
                "supersedes": previous[-1].seq if previous else None,
                "record_sha256": record.content_hash(),
            },
        )
    return Confirmation.from_entry(entry)


def known_taxa(catalog_taxa: Mapping[str, TaxonRecord]) -> dict[str, TaxonRecord]:
    """The catalog's classes plus every class of the shipped ``TAXONOMY.csv``."""
    from idtool.catalog.taxonomy import TAXONOMY_FILE, infer_taxon, read_taxonomy_csv
    from idtool.config import SHIPPED_REFERENCE_DIR

    taxa: dict[str, TaxonRecord] = {}
    for class_dir, row in read_taxonomy_csv(SHIPPED_REFERENCE_DIR / TAXONOMY_FILE).items():
        try:
            taxon = infer_taxon(class_dir, row)
        except BadField:
            continue
        taxa[taxon.label] = taxon
    taxa.update(catalog_taxa)
    return taxa
