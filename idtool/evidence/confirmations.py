"""Laboratory confirmations of a record's identity, kept in the custody log.

A confirmation says what an item really is (a taxon or a material), how it was
established (a short controlled list of methods) and by whom, with the laboratory's
report reference. It is one append-only ``confirmation`` custody entry; a later
confirmation of the same record *supersedes* the earlier one (its entry names the
sequence number it replaces) and never erases it, so the whole history stays readable
and every entry stays in the hash chain.

The label comes already resolved (:func:`idtool.learn.labels.resolve_label` reads typed
names like guidance does).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from idtool.errors import BadField
from idtool.evidence.custody import CustodyEntry, append_entry
from idtool.evidence.records import TEXT_PATTERNS
from idtool.evidence.store import EvidenceStore
from idtool.types import is_material_label

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
