"""The evidence store: original uploads, identification records and their custody log.

Layout under ``settings.evidence_path``::

    evidence.db                 SQLite (WAL): records, custody log, tokens
    custody_head.json           the newest custody entry, anchored outside the database
    originals/ab/abcdef...      each upload byte for byte, named by its SHA-256
    incoming/                   uploads being received (see :mod:`idtool.evidence.originals`)
    altered/                    stored originals found altered, kept as found
    thumbnails/                 derived images (never evidence)

A record stamps the model, reference and listing-set versions it used; its canonical-JSON
hash goes into the custody log, so :mod:`idtool.evidence.verify` detects an edited
record, an edited or missing file and a broken chain; :mod:`idtool.evidence.export`
writes one case out.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from idtool.errors import Conflict, NotFound
from idtool.evidence.anchor import advance_anchor, check_anchor, read_anchor, reanchor
from idtool.evidence.custody import (
    CustodyEntry,
    append_entry,
    canonical_json,
    iter_entries,
)
from idtool.evidence.migrations import evidence_migrations
from idtool.evidence.originals import INCOMING, OriginalFiles
from idtool.evidence.records import (
    MAX_TEXT,
    EvidenceRecord,
    OriginalPhoto,
    OriginalStatus,
    check_text,
    item_photo_hashes,
)

__all__ = [
    "INCOMING",
    "MAX_TEXT",
    "EvidenceRecord",
    "EvidenceStore",
    "OriginalPhoto",
    "OriginalStatus",
    "check_text",
]

DB_NAME = "evidence.db"
THUMBNAILS = "thumbnails"
MAX_VIEW_IDS = 200

log = logging.getLogger(__name__)


class EvidenceStore:
    """Originals on disk plus ``evidence.db``; safe to share between threads."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.db_path = root / DB_NAME
        self.files = OriginalFiles(root)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    @classmethod
    def open(cls, root: Path) -> EvidenceStore:
        """Open (creating and migrating if needed) the store at ``root``."""
        root.mkdir(parents=True, exist_ok=True)
        store = cls(root)
        store.files.create_dirs()
        evidence_migrations.apply(store.db)
        return store

    @property
    def db(self) -> Database:
        """This thread's connection (WAL, 30 s busy timeout, explicit transactions)."""
        db = getattr(self._local, "db", None)
        if db is None:
            conn = sqlite3.connect(
                self.db_path, timeout=30, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            db = Database(conn)
            self._local.db = db
            with self._lock:
                self._connections.append(conn)
        return db

    def __enter__(self) -> EvidenceStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Database]:
        """One write transaction (``BEGIN IMMEDIATE``: writers queue, never interleave).

        Checks the custody anchor first and moves it forward after the commit (see
        :mod:`idtool.evidence.anchor`).

        Raises:
            CustodyAnchorError: the anchor is missing, unreadable or disagrees with the
                log; nothing is written until an operator re-anchors.
        """
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            check_anchor(self.root, db)
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        with self._lock:
            advance_anchor(self.root, db)

    def anchored_head(self) -> tuple[int, str] | None:
        """The (seq, entry_hash) in ``custody_head.json``; None when there is none.

        Raises:
            CustodyAnchorError: the file exists but cannot be read.
        """
        anchor = read_anchor(self.root)
        return None if anchor is None else (anchor.seq, anchor.entry_hash)

    def reanchor(self, actor: str, reason: str) -> CustodyEntry:
        """Re-write a missing or unreadable anchor after an operator's check (logged).

        Raises:
            BadField: no reason, or nothing to re-anchor.
            IntegrityError: the chain does not verify, or the anchor shows a shortened log.
        """
        with self._lock:
            return reanchor(self.root, self.db, actor, reason)

    # originals ----------------------------------------------------------------------
    @property
    def incoming_dir(self) -> Path:
        """Where uploads are streamed while they arrive (same file system as originals)."""
        return self.files.incoming_dir

    def original_path(self, sha256: str) -> Path:
        return self.files.path(sha256)

    def read_original(self, sha256: str) -> bytes:
        """Raises: NotFound: no stored original with this hash."""
        return self.files.read(sha256)

    def store_original(self, data: bytes, actor: str = "idtool") -> str:
        """Store the bytes unchanged under their SHA-256 (see :meth:`adopt_original`)."""
        fd, tmp = self.files.new_temp()
        with os.fdopen(fd, "wb") as handle:  # locked until adopted (see originals.py)
            try:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
            return self.adopt_original(tmp, hashlib.sha256(data).hexdigest(), actor)

    def adopt_original(self, path: Path, sha256: str, actor: str) -> str:
        """Take the synced file ``path`` (content ``sha256``) into ``originals/``.

        The store owns ``path`` from this call on: it is renamed into place, or deleted
        when the same original is already stored intact (a repeat upload) or when the
        adoption fails (see :meth:`OriginalFiles.adopt`).

        A stored file under this name that no longer hashes to it is never overwritten:
        it is kept in ``altered/`` as found, and an ``original_altered`` custody entry
        names both hashes, where it was kept and the records sharing the original.

        Returns:
            ``sha256``.
        """
        altered = self.files.adopt(path, sha256)
        if altered is not None:
            records = self.records_sharing(sha256)
            self.log(
                actor,
                "original_altered",
                details={
                    "expected_sha256": sha256,
                    "found_sha256": altered.found_sha256,
                    "kept_at": str(altered.kept_at.relative_to(self.root)),
                    "records": records,
                },
                sha256=sha256,
            )
            log.warning(
                "original %s was altered (records %s); kept aside at %s",
                sha256,
                ", ".join(records) or "none",
                altered.kept_at,
            )
        return sha256

    def records_sharing(self, sha256: str) -> list[str]:
        """Ids of the records whose photo or original is the file ``sha256``."""
        cursor = self.db.execute(
            "SELECT id FROM records WHERE sha256 = ? OR original_sha256 = ? ORDER BY created_at",
            [sha256, sha256],
        )
        return [row[0] for row in cursor]

    # records ------------------------------------------------------------------------
    def _rows(self, db: Database, where: str, args: list[Any]) -> list[EvidenceRecord]:
        cursor = db.execute(f"SELECT * FROM records WHERE {where}", args)
        columns = [c[0] for c in cursor.description]
        return [EvidenceRecord.from_row(dict(zip(columns, r, strict=True))) for r in cursor]

    def _row(self, db: Database, where: str, args: list[Any]) -> EvidenceRecord | None:
        rows = self._rows(db, where + " LIMIT 1", args)
        return rows[0] if rows else None

    def find_by_idempotency(self, officer: str, key: str) -> EvidenceRecord | None:
        return self._row(self.db, "officer = ? AND idempotency_key = ?", [officer, key])

    def new_record_id(self) -> str:
        return uuid.uuid4().hex

    @staticmethod
    def check_replay(existing: EvidenceRecord, submission: dict[str, Any]) -> None:
        """Check a retry against the record its Idempotency-Key made.

        Raises:
            Conflict: the retry sent a different photo, declaration, case reference or
                notes (see :func:`~idtool.evidence.records.submission_of`).
        """
        first = existing.submission()
        changed = [name for name in first if first[name] != submission.get(name)]
        if changed:
            raise Conflict(
                "this Idempotency-Key was already used for a different submission "
                f"({', '.join(changed)} changed); use a new key for each photo"
            )

    def add_record(self, record: EvidenceRecord) -> tuple[EvidenceRecord, bool]:
        """Insert a record with its ``upload`` and ``identification`` custody entries.

        The photo must already be stored (:meth:`adopt_original`). With an idempotency
        key already used by the same officer for the same submission, nothing is written
        and the first record is returned.

        Returns:
            ``(record, created)``; ``created`` is False for an idempotent replay.

        Raises:
            Conflict: the key was used before by this officer for a different photo,
                declaration, case reference or notes.
        """
        with self.transaction() as db:
            if record.idempotency_key:
                existing = self._row(
                    db,
                    "officer = ? AND idempotency_key = ?",
                    [record.officer, record.idempotency_key],
                )
                if existing is not None:
                    self.check_replay(existing, record.submission())
                    return existing, False
            db.table("records").insert(record.to_row())
            original = record.original_or_photo()
            append_entry(
                db,
                actor=record.officer,
                action="upload",
                record_id=record.id,
                sha256=record.sha256,
                details={
                    "bytes": record.byte_count,
                    "media_format": record.media_format,
                    "filename": record.filename,
                    "case_ref": record.case_ref,
                    "working_copy": original.status is OriginalStatus.PENDING,
                },
            )
            ident = record.identification
            append_entry(
                db,
                actor=record.officer,
                action="identification",
                record_id=record.id,
                sha256=record.sha256,
                details={
                    "decision": ident.get("decision"),
                    "label": ident.get("label"),
                    "model_version": record.model_version,
                    "reference_version": record.reference_version,
                    "listing_set": record.listing_set,
                    "record_sha256": record.content_hash(),
                },
            )
        return record, True

    def attach_original(
        self,
        record_id: str,
        original: OriginalPhoto,
        actor: str,
        idempotency_key: str | None = None,
    ) -> tuple[EvidenceRecord, bool]:
        """Attach the full original (already adopted) to a record's working copy.

        Logs an ``original`` custody entry that links the working copy's SHA-256 to the
        original's, with the record's new hash.

        Returns:
            ``(record, attached)``; ``attached`` is False when this same original was
            already attached (a retry).

        Raises:
            NotFound: no such record.
            Conflict: the record already has a different original.
        """
        with self.transaction() as db:
            current = self._row(db, "id = ?", [record_id])
            if current is None:
                raise NotFound(f"no identification record {record_id!r}")
            stored = current.original_or_photo()
            if stored.status is OriginalStatus.RECEIVED:
                if stored.sha256 == original.sha256:
                    return current, False
                raise Conflict(
                    f"record {record_id} already has its original (SHA-256 {stored.sha256}); "
                    "a different file cannot replace it"
                )
            updated = replace(current, original=original, original_idempotency_key=idempotency_key)
            row = updated.to_row()
            columns = [c for c in row if c.startswith("original_")]
            db.execute(
                f"UPDATE records SET {', '.join(f'{c} = ?' for c in columns)} WHERE id = ?",
                [*(row[c] for c in columns), record_id],
            )
            append_entry(
                db,
                actor=actor,
                action="original",
                record_id=record_id,
                sha256=original.sha256,
                details={
                    "working_copy_sha256": current.sha256,
                    "original_sha256": original.sha256,
                    "bytes": original.byte_count,
                    "media_format": original.media_format,
                    "idempotency_key": idempotency_key,
                    "record_sha256": updated.content_hash(),
                },
            )
        return updated, True

    def get(self, record_id: str) -> EvidenceRecord:
        """Raises: NotFound: no record with this id."""
        record = self._row(self.db, "id = ?", [record_id])
        if record is None:
            raise NotFound(f"no identification record {record_id!r}")
        return record

    def list_records(
        self, case_ref: str | None = None, limit: int = 50, officer: str | None = None
    ) -> list[EvidenceRecord]:
        """Newest first; all records of a case, or the latest ``limit`` ones.

        Args:
            case_ref: only this case.
            limit: at most this many.
            officer: only this officer's records (None: everyone's).
        """
        where, args = ["1 = 1"], []
        if case_ref:
            where.append("case_ref = ?")
            args.append(case_ref)
        if officer is not None:
            where.append("officer = ?")
            args.append(officer)
        return self._rows(
            self.db, f"{' AND '.join(where)} ORDER BY created_at DESC, id LIMIT ?", [*args, limit]
        )

    def log(
        self,
        actor: str,
        action: str,
        record: EvidenceRecord | None = None,
        details: dict[str, Any] | None = None,
        sha256: str | None = None,
    ) -> CustodyEntry:
        """Append one custody entry in its own transaction."""
        with self.transaction() as db:
            return append_entry(
                db,
                actor=actor,
                action=action,
                record_id=record.id if record else None,
                sha256=sha256 or (record.sha256 if record else None),
                details=details,
            )

    def log_view(
        self, actor: str, records: list[EvidenceRecord], details: dict[str, Any]
    ) -> CustodyEntry | None:
        """One ``view`` entry for one request, naming every record shown (none: no entry)."""
        if not records:
            return None
        single = records[0] if len(records) == 1 else None
        ids = [r.id for r in records]
        return self.log(actor, "view", single, {**details, "ids": ids, "count": len(ids)})

    def set_schreger(self, record_id: str, result: dict[str, Any], actor: str) -> EvidenceRecord:
        """Attach a Schreger-angle measurement to a record (logged with the new record hash).

        Raises:
            NotFound: no such record.
        """
        with self.transaction() as db:
            current = self._row(db, "id = ?", [record_id])
            if current is None:
                raise NotFound(f"no identification record {record_id!r}")
            updated = replace(current, schreger=result)
            db.execute(
                "UPDATE records SET schreger = ? WHERE id = ?",
                [canonical_json(result), record_id],
            )
            append_entry(
                db,
                actor=actor,
                action="schreger",
                record_id=record_id,
                sha256=current.sha256,
                details={
                    "classification": result.get("classification"),
                    "angles": len(result.get("measurements") or []),
                    "record_sha256": updated.content_hash(),
                },
            )
        return updated

    def set_item_identification(
        self,
        record_id: str,
        identification: dict[str, Any],
        guidance: dict[str, Any],
        added_sha256: str,
        actor: str,
    ) -> EvidenceRecord:
        """Replace a record's answer by the fused answer for the item after a photo is added.

        The custody entry ``add_photo`` names the added photo and every photo of the item
        (their SHA-256, in order), with the new record hash. The first photo stays the
        record's ``sha256``; the others are originals listed in ``identification.photos``.

        Raises:
            NotFound: no such record.
        """
        with self.transaction() as db:
            current = self._row(db, "id = ?", [record_id])
            if current is None:
                raise NotFound(f"no identification record {record_id!r}")
            updated = replace(current, identification=identification, guidance=guidance)
            db.execute(
                "UPDATE records SET identification = ?, guidance = ? WHERE id = ?",
                [canonical_json(identification), canonical_json(guidance), record_id],
            )
            append_entry(
                db,
                actor=actor,
                action="add_photo",
                record_id=record_id,
                sha256=added_sha256,
                details={
                    "photos": item_photo_hashes(updated),
                    "decision": identification.get("decision"),
                    "label": identification.get("label"),
                    "record_sha256": updated.content_hash(),
                },
            )
        return updated

    def custody(self, record_id: str | None = None) -> list[CustodyEntry]:
        return list(iter_entries(self.db, record_id))

    def all_records(self) -> list[EvidenceRecord]:
        """Every record, oldest first."""
        return self._rows(self.db, "1 = 1 ORDER BY created_at, id", [])
