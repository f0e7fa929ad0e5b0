"""Identification records: the stored/API shape, its hash, and the free-text rules.

A record is one upload (the photo the server identified, maybe a phone's *working copy*)
plus what idtool said about it, and the status of the full *original* photo, which the
phone may send later. :meth:`EvidenceRecord.content_hash` is what the custody log
stores, so any later edit of a stored record is detected.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from idtool.errors import BadField
from idtool.evidence.custody import canonical_json, sha256_text

MAX_TEXT = {"case_ref": 100, "notes": 2000, "idempotency_key": 200, "filename": 255}
MULTILINE_FIELDS = frozenset({"notes"})
# C0 controls and DEL; notes may keep tab and line breaks.
CONTROL_CHARS = "\\x00-\\x1f\\x7f"
NOTES_CONTROL_CHARS = "\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f"
# Bidirectional embeddings, overrides and isolates: they make "CASE-42" display as
# something else (Trojan Source), so single-line fields refuse them.
BIDI_CONTROLS = "\\u202a-\\u202e\\u2066-\\u2069"
TEXT_PATTERNS = {
    name: f"^[^{NOTES_CONTROL_CHARS if name in MULTILINE_FIELDS else CONTROL_CHARS + BIDI_CONTROLS}]*$"
    for name in MAX_TEXT
}
_FORBIDDEN = {
    name: re.compile(f"[{NOTES_CONTROL_CHARS if name in MULTILINE_FIELDS else CONTROL_CHARS}]")
    for name in MAX_TEXT
}
_BIDI = re.compile(f"[{BIDI_CONTROLS}]")


def check_text(name: str, value: str | None) -> str | None:
    """Strip a free-text field; empty becomes None.

    Single-line fields (``case_ref``, ``idempotency_key``, ``filename``) refuse every
    control character and bidirectional override; ``notes`` may hold tabs and line breaks.
    The same rules are in the OpenAPI document (:data:`TEXT_PATTERNS`).

    Raises:
        BadField: longer than allowed, or contains a forbidden character.
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if len(value) > MAX_TEXT[name]:
        raise BadField(f"{name} is longer than {MAX_TEXT[name]} characters")
    if _FORBIDDEN[name].search(value):
        raise BadField(f"{name} contains control characters")
    if name not in MULTILINE_FIELDS and _BIDI.search(value):
        raise BadField(
            f"{name} contains bidirectional override characters (U+202A-U+202E, "
            "U+2066-U+2069), which can make it display as different text"
        )
    return value


def submission_of(
    sha256: str, declaration: dict[str, Any], case_ref: str | None, notes: str | None
) -> dict[str, Any]:
    """What an officer sent with a photo: a retry with the same Idempotency-Key must match."""
    return {"photo": sha256, "declaration": declaration, "case_ref": case_ref, "notes": notes}


class OriginalStatus(StrEnum):
    """Whether the full original of a record's photo is stored."""

    PENDING = "pending"  # the photo was a working copy; the original is still to come
    RECEIVED = "received"


@dataclass(frozen=True)
class OriginalPhoto:
    """The full original of a record's photo (the photo itself unless it was a working copy)."""

    status: OriginalStatus
    sha256: str | None = None
    byte_count: int | None = None
    media_format: str | None = None
    received_at: str | None = None
    exif: dict[str, Any] | None = None
    working_copy: bool = True  # False: the record's photo is itself the original

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "sha256": self.sha256,
            "bytes": self.byte_count,
            "media_format": self.media_format,
            "received_at": self.received_at,
            "exif": self.exif,
            "working_copy": self.working_copy,
        }


@dataclass(frozen=True)
class EvidenceRecord:
    """One upload and what idtool said about it. ``to_dict()`` is the stored/API shape.

    ``original`` is None only for records stored before originals were tracked
    (migration ``0002``): their photo is their original.
    """

    id: str
    created_at: str
    officer: str
    sha256: str
    byte_count: int
    media_format: str
    exif: dict[str, Any]
    declaration: dict[str, Any]
    identification: dict[str, Any]
    guidance: dict[str, Any]
    model_version: str
    reference_version: str | None
    listing_set: str | None
    case_ref: str | None = None
    notes: str | None = None
    idempotency_key: str | None = None
    filename: str | None = None
    schreger: dict[str, Any] | None = None
    original: OriginalPhoto | None = None
    original_idempotency_key: str | None = None

    def original_or_photo(self) -> OriginalPhoto:
        """The original; for a record from before originals were tracked, its photo."""
        if self.original is not None:
            return self.original
        return OriginalPhoto(
            OriginalStatus.RECEIVED,
            self.sha256,
            self.byte_count,
            self.media_format,
            self.created_at,
            self.exif,
            working_copy=False,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "created_at": self.created_at,
            "officer": self.officer,
            "case_ref": self.case_ref,
            "notes": self.notes,
            "idempotency_key": self.idempotency_key,
            "declaration": self.declaration,
            "identification": self.identification,
            "guidance": self.guidance,
            "schreger": self.schreger,
            "evidence": {
                "sha256": self.sha256,
                "bytes": self.byte_count,
                "media_format": self.media_format,
                "filename": self.filename,
                "exif": self.exif,
                "stored": True,
            },
            "original": self.original_or_photo().to_dict(),
            "versions": {
                "model_version": self.model_version,
                "reference_version": self.reference_version,
                "listing_set": self.listing_set,
            },
        }

    def content_hash(self) -> str:
        """SHA-256 of the canonical JSON of :meth:`to_dict` (logged in the custody chain).

        Records from before migration ``0002`` were logged without ``original``.
        """
        body = self.to_dict()
        if self.original is None:
            del body["original"]
        return sha256_text(canonical_json(body))

    def submission(self) -> dict[str, Any]:
        """What the officer sent (a retry with the same Idempotency-Key must match)."""
        return submission_of(self.sha256, self.declaration, self.case_ref, self.notes)

    def to_row(self) -> dict[str, Any]:
        original = self.original
        return {
            "id": self.id,
            "created_at": self.created_at,
            "officer": self.officer,
            "case_ref": self.case_ref,
            "notes": self.notes,
            "idempotency_key": self.idempotency_key,
            "sha256": self.sha256,
            "bytes": self.byte_count,
            "media_format": self.media_format,
            "filename": self.filename,
            "exif": canonical_json(self.exif),
            "declaration": canonical_json(self.declaration),
            "identification": canonical_json(self.identification),
            "guidance": canonical_json(self.guidance),
            "schreger": None if self.schreger is None else canonical_json(self.schreger),
            "model_version": self.model_version,
            "reference_version": self.reference_version,
            "listing_set": self.listing_set,
            "original_status": None if original is None else original.status.value,
            "original_sha256": None if original is None else original.sha256,
            "original_bytes": None if original is None else original.byte_count,
            "original_media_format": None if original is None else original.media_format,
            "original_exif": None
            if original is None or original.exif is None
            else canonical_json(original.exif),
            "original_received_at": None if original is None else original.received_at,
            "original_idempotency_key": self.original_idempotency_key,
        }

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> EvidenceRecord:
        original = None
        if row.get("original_status"):
            original = OriginalPhoto(
                OriginalStatus(row["original_status"]),
                row["original_sha256"],
                row["original_bytes"],
                row["original_media_format"],
                row["original_received_at"],
                None if row["original_exif"] is None else json.loads(row["original_exif"]),
                working_copy=row["original_sha256"] != row["sha256"],
            )
        return cls(
            id=row["id"],
            created_at=row["created_at"],
            officer=row["officer"],
            sha256=row["sha256"],
            byte_count=row["bytes"],
            media_format=row["media_format"],
            exif=json.loads(row["exif"]),
            declaration=json.loads(row["declaration"]),
            identification=json.loads(row["identification"]),
            guidance=json.loads(row["guidance"]),
            model_version=row["model_version"],
            reference_version=row["reference_version"],
            listing_set=row["listing_set"],
            case_ref=row["case_ref"],
            notes=row["notes"],
            idempotency_key=row["idempotency_key"],
            filename=row["filename"],
            schreger=None if row["schreger"] is None else json.loads(row["schreger"]),
            original=original,
            original_idempotency_key=row.get("original_idempotency_key"),
        )
