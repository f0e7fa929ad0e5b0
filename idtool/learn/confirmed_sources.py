"""Where lab-confirmed field photos come from: readers of confirmed records.

A reader yields one :class:`ConfirmedPhoto` per confirmed record whose full original is
stored: the original's bytes (never a working copy), checked against its SHA-256, with the
current confirmation and the record's provenance. Two readers exist:

- :class:`CasePackageReader`: a folder written by ``idtool evidence export`` (its
  ``manifest.json``, one ``<id>.json`` per record with its custody entries, the originals);
- :class:`StateFolderReader`: a post's state folder (an ``IDTOOL_HOME`` or its
  ``evidence/`` folder), read without writing to it.

A hub reader (the newest confirmations of every post, fetched with an analyst token)
implements the same :class:`ConfirmedSource` protocol: ``post`` plus ``photos()``.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from idtool.errors import BadField, NotFound
from idtool.evidence.confirmations import Confirmation, confirmations_of
from idtool.evidence.custody import CustodyEntry
from idtool.evidence.records import EvidenceRecord, OriginalStatus

EVIDENCE_DB = "evidence.db"


@dataclass(frozen=True)
class ConfirmedPhoto:
    """The original photo of one confirmed record, and where it came from."""

    post: str
    record_id: str
    case_ref: str | None
    sha256: str  # of the original
    media_format: str
    confirmation: Confirmation
    read_bytes: Callable[[], bytes]

    @property
    def group_id(self) -> str:
        """One group per seized item (a record): its photos never straddle two folds."""
        return f"item-{self.record_id}"

    def checked_bytes(self) -> bytes:
        """The original's bytes. Raises: BadField: they no longer match its SHA-256."""
        data = self.read_bytes()
        found = hashlib.sha256(data).hexdigest()
        if found != self.sha256:
            raise BadField(
                f"original {self.sha256[:12]} of record {self.record_id} does not match its "
                f"SHA-256 (found {found[:12]})"
            )
        return data

    def provenance(self) -> dict[str, Any]:
        c = self.confirmation
        return {
            "post": self.post,
            "record_id": self.record_id,
            "case_ref": self.case_ref,
            "original_sha256": self.sha256,
            "group_id": self.group_id,
            "confirmation": {
                "label": c.label,
                "method": c.method,
                "by": c.by,
                "report_ref": c.report_ref,
                "at": c.at,
                "entry_hash": c.entry_hash,
            },
        }


@dataclass(frozen=True)
class SkippedRecord:
    record_id: str
    reason: str


class ConfirmedSource(Protocol):
    """What ``idtool reference import-confirmed`` reads from."""

    post: str
    skipped: list[SkippedRecord]

    def photos(self) -> Iterator[ConfirmedPhoto]: ...


def _file_reader(path: Path) -> Callable[[], bytes]:
    def read() -> bytes:
        try:
            return path.read_bytes()
        except OSError as exc:
            raise NotFound(f"{path} cannot be read: {exc}") from None

    return read


class CasePackageReader:
    """A case folder written by ``idtool evidence export``."""

    def __init__(self, root: Path, post: str | None = None) -> None:
        self.root = root
        try:
            self.manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise BadField(f"{root}/manifest.json is not a readable case manifest: {exc}") from None
        self.post = post or str(self.manifest.get("exported_by") or root.name)
        self.skipped: list[SkippedRecord] = []

    def photos(self) -> Iterator[ConfirmedPhoto]:
        for item in self.manifest.get("items") or []:
            record_id = str(item.get("id"))
            try:
                body = json.loads((self.root / item["record"]).read_text(encoding="utf-8"))
            except (OSError, ValueError, KeyError) as exc:
                self.skipped.append(SkippedRecord(record_id, f"record file unreadable: {exc}"))
                continue
            entries = [CustodyEntry(**e) for e in body.get("custody") or []]
            found = confirmations_of(entries)
            if not found:
                continue
            if item.get("full_original"):
                name, sha256 = item["full_original"], item["full_original_sha256"]
                media = (body.get("original") or {}).get("media_format") or "jpeg"
            elif item.get("full_original_status") == OriginalStatus.RECEIVED.value:
                name, sha256 = item["original"], item["sha256"]
                media = (body.get("evidence") or {}).get("media_format") or "jpeg"
            else:
                self.skipped.append(
                    SkippedRecord(record_id, "only a working copy: the original is pending")
                )
                continue
            yield ConfirmedPhoto(
                post=self.post,
                record_id=record_id,
                case_ref=body.get("case_ref"),
                sha256=sha256,
                media_format=media,
                confirmation=found[-1],
                read_bytes=_file_reader(self.root / name),
            )


class StateFolderReader:
    """A post's evidence folder (``$IDTOOL_HOME`` or ``$IDTOOL_HOME/evidence``), read-only."""

    def __init__(self, root: Path, post: str | None = None) -> None:
        evidence = root if (root / EVIDENCE_DB).is_file() else root / "evidence"
        if not (evidence / EVIDENCE_DB).is_file():
            raise NotFound(f"no {EVIDENCE_DB} in {root} or {root / 'evidence'}")
        self.evidence = evidence
        self.post = post or (root.name if evidence == root / "evidence" else root.parent.name)
        self.skipped: list[SkippedRecord] = []

    def photos(self) -> Iterator[ConfirmedPhoto]:
        uri = f"file:{self.evidence / EVIDENCE_DB}?mode=ro"
        conn = sqlite3.connect(uri, uri=True)
        try:
            cursor = conn.execute(
                "SELECT * FROM custody WHERE action = 'confirmation' ORDER BY seq"
            )
            columns = [c[0] for c in cursor.description]
            entries = [CustodyEntry.from_row(dict(zip(columns, r, strict=True))) for r in cursor]
            latest: dict[str, Confirmation] = {}
            for confirmation in confirmations_of(entries):
                latest[confirmation.record_id] = confirmation
            records: dict[str, EvidenceRecord] = {}
            for record_id in latest:
                cursor = conn.execute("SELECT * FROM records WHERE id = ?", [record_id])
                columns = [c[0] for c in cursor.description]
                row = cursor.fetchone()
                if row is not None:
                    records[record_id] = EvidenceRecord.from_row(
                        dict(zip(columns, row, strict=True))
                    )
        finally:
            conn.close()
        for record_id, confirmation in latest.items():
            record = records.get(record_id)
            if record is None:
                self.skipped.append(SkippedRecord(record_id, "confirmed record not found"))
                continue
            original = record.original_or_photo()
            if original.status is not OriginalStatus.RECEIVED or original.sha256 is None:
                self.skipped.append(
                    SkippedRecord(record_id, "only a working copy: the original is pending")
                )
                continue
            path = self.evidence / "originals" / original.sha256[:2] / original.sha256
            yield ConfirmedPhoto(
                post=self.post,
                record_id=record_id,
                case_ref=record.case_ref,
                sha256=original.sha256,
                media_format=original.media_format or record.media_format,
                confirmation=confirmation,
                read_bytes=_file_reader(path),
            )


def open_confirmed_source(source: str, post: str | None = None) -> ConfirmedSource:
    """A reader for SOURCE: a case package folder, or a post's state folder.

    Raises:
        BadField: a URL (hub sources are not readable yet), or a folder of neither kind.
        NotFound: the folder does not exist.
    """
    if "://" in source:
        raise BadField(
            f"{source}: reading confirmations from a hub is not available in this version; "
            "export the case (`idtool evidence export`) or copy the post's state folder"
        )
    root = Path(source).expanduser()
    if not root.is_dir():
        raise NotFound(f"{root} is not a folder")
    if (root / "manifest.json").is_file():
        return CasePackageReader(root, post)
    if (root / EVIDENCE_DB).is_file() or (root / "evidence" / EVIDENCE_DB).is_file():
        return StateFolderReader(root, post)
    raise BadField(
        f"{root} is neither a case package (manifest.json from `idtool evidence export`) "
        "nor a post's state folder (evidence/evidence.db)"
    )
