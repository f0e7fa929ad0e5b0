"""The evidence store: original uploads, identification records and their custody log.

Layout under ``settings.evidence_path``::

    evidence.db                 SQLite (WAL): records, custody log, tokens
    originals/ab/abcdef...      each upload byte-for-byte, named by its SHA-256
    thumbnails/                 derived images (never evidence)

Originals are written to a temporary file and renamed into place, never re-encoded. A
record stamps the model, reference and listing-set versions it used; its canonical-JSON
hash goes into the custody log, so :meth:`EvidenceStore.verify` detects an edited
record, an edited or missing file and a broken chain.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import sqlite3
import tempfile
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from idtool.errors import BadField, Conflict, IntegrityError, NotFound
from idtool.evidence.custody import (
    CustodyEntry,
    append_entry,
    canonical_json,
    create_custody_table,
    iter_entries,
    now_iso,
    sha256_text,
    verify_chain,
)
from idtool.hashing import sha256_file

HEAD_FILE = "custody_head.json"
DB_NAME = "evidence.db"
ORIGINALS = "originals"
INCOMING = "incoming"  # uploads being received (temporary files, adopted by rename)
ALTERED = "altered"  # stored originals found altered, kept aside as found
THUMBNAILS = "thumbnails"
EXTENSIONS = {"jpeg": "jpg", "png": "png", "webp": "webp", "heic": "heic", "bmp": "bmp"}
EXTENSIONS.update({"tiff": "tif", "gif": "gif"})
MAX_TEXT = {"case_ref": 100, "notes": 2000, "idempotency_key": 200, "filename": 255}
_SHA256 = re.compile(r"^[0-9a-f]{64}$")

log = logging.getLogger(__name__)

evidence_migrations = Migrations("idtool_evidence")


@evidence_migrations(name="0001_initial")
def _initial(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE records (
            id TEXT PRIMARY KEY,
            created_at TEXT NOT NULL,
            officer TEXT NOT NULL,
            case_ref TEXT,
            notes TEXT,
            idempotency_key TEXT,
            sha256 TEXT NOT NULL,
            bytes INTEGER NOT NULL,
            media_format TEXT NOT NULL,
            filename TEXT,
            exif TEXT NOT NULL,
            declaration TEXT NOT NULL,
            identification TEXT NOT NULL,
            guidance TEXT NOT NULL,
            schreger TEXT,
            model_version TEXT NOT NULL,
            reference_version TEXT,
            listing_set TEXT,
            UNIQUE (officer, idempotency_key)
        )
        """
    )
    db.execute("CREATE INDEX records_case_ref ON records(case_ref)")
    db.execute("CREATE INDEX records_sha256 ON records(sha256)")
    create_custody_table(db)
    db.execute(
        """
        CREATE TABLE tokens (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            token_sha256 TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL,
            revoked_at TEXT,
            revoked_by TEXT
        )
        """
    )
    db.execute("CREATE UNIQUE INDEX tokens_active_name ON tokens(name) WHERE revoked_at IS NULL")


@evidence_migrations(name="0002_originals_and_roles")
def _originals_and_roles(db: Database) -> None:
    """The full original of a working copy, and token roles (issue 11).

    Records made before this migration keep NULL ``original_status``: their photo is
    their original, and their logged hash was computed without an ``original`` field.
    """
    for column, kind in (
        ("original_status", "TEXT"),
        ("original_sha256", "TEXT"),
        ("original_bytes", "INTEGER"),
        ("original_media_format", "TEXT"),
        ("original_exif", "TEXT"),
        ("original_received_at", "TEXT"),
        ("original_idempotency_key", "TEXT"),
    ):
        db.execute(f"ALTER TABLE records ADD COLUMN {column} {kind}")
    db.execute("CREATE INDEX records_original_sha256 ON records(original_sha256)")
    db.execute("CREATE INDEX records_officer ON records(officer, created_at)")
    db.execute("ALTER TABLE tokens ADD COLUMN role TEXT NOT NULL DEFAULT 'officer'")


@dataclass(frozen=True)
class EvidenceRecord:
    """One upload and what idtool said about it. ``to_dict()`` is the stored/API shape."""

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
            "versions": {
                "model_version": self.model_version,
                "reference_version": self.reference_version,
                "listing_set": self.listing_set,
            },
        }

    def content_hash(self) -> str:
        """SHA-256 of the canonical JSON of :meth:`to_dict` (logged in the custody chain)."""
        return sha256_text(canonical_json(self.to_dict()))

    def to_row(self) -> dict[str, Any]:
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
        }

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> EvidenceRecord:
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
        )


@dataclass
class VerifyReport:
    """What ``idtool evidence verify`` found."""

    records: int = 0
    files: int = 0
    custody_entries: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # harmless findings (orphan files)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "records": self.records,
            "files": self.files,
            "custody_entries": self.custody_entries,
            "problems": self.problems,
            "notes": self.notes,
        }


@dataclass(frozen=True)
class ExportReport:
    case_ref: str
    directory: Path
    items: int
    manifest: Path

    def to_dict(self) -> dict[str, Any]:
        return {
            "case_ref": self.case_ref,
            "directory": str(self.directory),
            "items": self.items,
            "manifest": str(self.manifest),
        }


def check_text(name: str, value: str | None) -> str | None:
    """Strip a free-text field; empty becomes None.

    Raises:
        BadField: longer than allowed or contains control characters.
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if len(value) > MAX_TEXT[name]:
        raise BadField(f"{name} is longer than {MAX_TEXT[name]} characters")
    if any(ord(ch) < 32 and ch not in "\n\t" for ch in value):
        raise BadField(f"{name} contains control characters")
    return value


def _fsync_dir(directory: Path) -> None:
    """Make a rename in ``directory`` durable (no-op where directories cannot be opened)."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same directory + rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


class EvidenceStore:
    """Originals on disk plus ``evidence.db``; safe to share between threads."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.db_path = root / DB_NAME
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    @classmethod
    def open(cls, root: Path) -> EvidenceStore:
        """Open (creating and migrating if needed) the store at ``root``."""
        root.mkdir(parents=True, exist_ok=True)
        (root / ORIGINALS).mkdir(exist_ok=True)
        (root / INCOMING).mkdir(exist_ok=True)
        store = cls(root)
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

    def close(self) -> None:
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Database]:
        """One write transaction (``BEGIN IMMEDIATE``: writers queue, never interleave)."""
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        self._anchor_head(db)

    # custody head anchor --------------------------------------------------------------
    def _anchor_head(self, db: Database) -> None:
        """Record the newest custody entry outside the database (``custody_head.json``).

        The hash chain shows edits, gaps and re-ordering, but not entries cut from the end
        of the log; comparing with this anchor does. It only ever moves forward: a log
        longer than its anchor (a crash between commit and anchor) is fine, a shorter one
        is not.
        """
        row = db.execute("SELECT seq, entry_hash FROM custody ORDER BY seq DESC LIMIT 1").fetchone()
        if row is None:
            return
        with self._lock:
            anchored = self.anchored_head()
            if anchored is not None and anchored[0] >= row[0]:
                return
            body = json.dumps({"seq": row[0], "entry_hash": row[1]}).encode()
            write_atomic(self.root / HEAD_FILE, body)

    def anchored_head(self) -> tuple[int, str] | None:
        """The (seq, entry_hash) last written to ``custody_head.json``, if any."""
        try:
            data = json.loads((self.root / HEAD_FILE).read_text(encoding="utf-8"))
            return int(data["seq"]), str(data["entry_hash"])
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            return (-1, "unreadable")

    # originals ----------------------------------------------------------------------
    def original_path(self, sha256: str) -> Path:
        if not _SHA256.match(sha256):
            raise BadField(f"not a SHA-256 digest: {sha256!r}")
        return self.root / ORIGINALS / sha256[:2] / sha256

    @property
    def incoming_dir(self) -> Path:
        """Where uploads are streamed while they arrive (same file system as originals)."""
        return self.root / INCOMING

    def store_original(self, data: bytes, actor: str = "idtool") -> str:
        """Store the bytes unchanged under their SHA-256 (see :meth:`adopt_original`)."""
        self.incoming_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.incoming_dir, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            return self.adopt_original(Path(tmp), hashlib.sha256(data).hexdigest(), actor)
        finally:
            Path(tmp).unlink(missing_ok=True)

    def adopt_original(self, path: Path, sha256: str, actor: str) -> str:
        """Move the fully written, synced file ``path`` (content ``sha256``) into place.

        If the original is already stored intact, ``path`` is left for the caller to
        delete. If a stored file under this name no longer hashes to it (it was
        altered), it is never overwritten: it is moved to ``altered/`` as found, the new
        bytes take its place, and an ``original_altered`` custody entry names the hashes,
        where the altered file was kept and the records that share the original;
        :meth:`verify` keeps reporting it.

        Returns:
            ``sha256``.
        """
        target = self.original_path(sha256)
        if target.is_file():
            found = sha256_file(target)
            if found == sha256:
                return sha256
            kept = self._keep_altered(target, found)
            os.replace(path, target)
            self.log(
                actor,
                "original_altered",
                details={
                    "expected_sha256": sha256,
                    "found_sha256": found,
                    "kept_at": str(kept.relative_to(self.root)),
                    "records": self.records_sharing(sha256),
                },
                sha256=sha256,
            )
            log.warning("original %s was altered; kept aside at %s", sha256, kept)
            return sha256
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)
        _fsync_dir(target.parent)
        return sha256

    def _keep_altered(self, path: Path, found_sha256: str) -> Path:
        stamp = now_iso().replace(":", "").replace("+0000", "Z")
        kept = self.root / ALTERED / f"{path.name}.{stamp}.{found_sha256[:12]}"
        kept.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, kept)
        return kept

    def records_sharing(self, sha256: str) -> list[str]:
        """Ids of the records whose photo or original is the file ``sha256``."""
        cursor = self.db.execute(
            "SELECT id FROM records WHERE sha256 = ? OR original_sha256 = ? ORDER BY created_at",
            [sha256, sha256],
        )
        return [row[0] for row in cursor]

    def read_original(self, sha256: str) -> bytes:
        path = self.original_path(sha256)
        if not path.is_file():
            raise NotFound(f"original {sha256} is missing from {self.root / ORIGINALS}")
        return path.read_bytes()

    # records ------------------------------------------------------------------------
    def _row(self, db: Database, where: str, args: list[Any]) -> EvidenceRecord | None:
        cursor = db.execute(f"SELECT * FROM records WHERE {where}", args)
        row = cursor.fetchone()
        if row is None:
            return None
        columns = [c[0] for c in cursor.description]
        return EvidenceRecord.from_row(dict(zip(columns, row, strict=True)))

    def find_by_idempotency(self, officer: str, key: str) -> EvidenceRecord | None:
        return self._row(self.db, "officer = ? AND idempotency_key = ?", [officer, key])

    def new_record_id(self) -> str:
        return uuid.uuid4().hex

    def add_record(self, record: EvidenceRecord) -> tuple[EvidenceRecord, bool]:
        """Insert a record with its ``upload`` and ``identification`` custody entries.

        The original must already be stored (:meth:`store_original`). With an
        idempotency key already used by the same officer, nothing is written and the
        first record is returned.

        Returns:
            ``(record, created)``; ``created`` is False for an idempotent replay.

        Raises:
            Conflict: the key was used before by this officer for a different photo.
        """
        with self.transaction() as db:
            if record.idempotency_key:
                existing = self._row(
                    db,
                    "officer = ? AND idempotency_key = ?",
                    [record.officer, record.idempotency_key],
                )
                if existing is not None:
                    if existing.sha256 != record.sha256:
                        raise Conflict(
                            "this Idempotency-Key was already used for a different photo; "
                            "use a new key for each photo"
                        )
                    return existing, False
            db.table("records").insert(record.to_row())
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

    def get(self, record_id: str) -> EvidenceRecord:
        """Raises: NotFound: no record with this id."""
        record = self._row(self.db, "id = ?", [record_id])
        if record is None:
            raise NotFound(f"no identification record {record_id!r}")
        return record

    def list_records(self, case_ref: str | None = None, limit: int = 50) -> list[EvidenceRecord]:
        """Newest first; all records of a case, or the latest ``limit`` ones."""
        where, args = ("case_ref = ?", [case_ref]) if case_ref else ("1 = 1", [])
        cursor = self.db.execute(
            f"SELECT * FROM records WHERE {where} ORDER BY created_at DESC, id LIMIT ?",
            [*args, limit],
        )
        columns = [c[0] for c in cursor.description]
        return [EvidenceRecord.from_row(dict(zip(columns, r, strict=True))) for r in cursor]

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

    def custody(self, record_id: str | None = None) -> list[CustodyEntry]:
        return list(iter_entries(self.db, record_id))

    # integrity ----------------------------------------------------------------------
    def verify(self) -> VerifyReport:
        """Re-hash every original, check every record against the log, walk the chain."""
        report = VerifyReport()
        db = self.db
        count, problems = verify_chain(db)
        report.custody_entries = count
        report.problems.extend(problems)
        anchored = self.anchored_head()
        if anchored is not None:
            seq, entry_hash = anchored
            row = db.execute("SELECT entry_hash FROM custody WHERE seq = ?", [seq]).fetchone()
            if seq < 0:
                report.problems.append(f"{HEAD_FILE} is unreadable")
            elif row is None:
                report.problems.append(
                    f"custody log ends before entry {seq} recorded in {HEAD_FILE}: "
                    "entries were removed from the end"
                )
            elif row[0] != entry_hash:
                report.problems.append(f"custody entry {seq} differs from {HEAD_FILE}")
        latest_hash: dict[str, str] = {}
        logged: dict[str, set[str]] = {}
        for entry in iter_entries(db):
            if entry.record_id:
                logged.setdefault(entry.record_id, set()).add(entry.action)
                if "record_sha256" in entry.details:
                    latest_hash[entry.record_id] = entry.details["record_sha256"]
        cursor = db.execute("SELECT * FROM records ORDER BY created_at")
        columns = [c[0] for c in cursor.description]
        referenced: set[str] = set()
        for row in cursor.fetchall():
            record = EvidenceRecord.from_row(dict(zip(columns, row, strict=True)))
            report.records += 1
            referenced.add(record.sha256)
            if not {"upload", "identification"} <= logged.get(record.id, set()):
                report.problems.append(f"record {record.id}: no upload/identification in the log")
            if latest_hash.get(record.id) != record.content_hash():
                report.problems.append(
                    f"record {record.id}: stored record differs from the one logged"
                )
            path = self.original_path(record.sha256)
            if not path.is_file():
                report.problems.append(f"record {record.id}: original {record.sha256} is missing")
        originals = self.root / ORIGINALS
        for path in sorted(originals.glob("*/*")):
            if path.name.startswith(".tmp-"):
                continue
            report.files += 1
            actual = sha256_file(path)
            if actual != path.name:
                report.problems.append(
                    f"original {path.name}: content hashes to {actual} (file was altered)"
                )
            elif path.name not in referenced:
                report.notes.append(f"original {path.name}: no record refers to it")
        return report

    def export_case(self, case_ref: str, directory: Path, actor: str) -> ExportReport:
        """Write the originals, one JSON per record, the custody entries and a manifest.

        Raises:
            NotFound: no record has this case reference.
            BadField: ``directory`` exists and is not empty.
            IntegrityError: an original no longer matches its hash.
        """
        records = sorted(self.list_records(case_ref, limit=1_000_000), key=lambda r: r.created_at)
        if not records:
            raise NotFound(f"no records with case_ref {case_ref!r}")
        if directory.exists() and any(directory.iterdir()):
            raise BadField(f"{directory} is not empty: export into a new directory")
        directory.mkdir(parents=True, exist_ok=True)
        items = []
        for record in records:
            data = self.read_original(record.sha256)
            if hashlib.sha256(data).hexdigest() != record.sha256:
                raise IntegrityError(
                    f"original of record {record.id} does not match its SHA-256: "
                    "run `idtool evidence verify`"
                )
            ext = EXTENSIONS.get(record.media_format, "bin")
            original_name = f"{record.id}.{ext}"
            write_atomic(directory / original_name, data)
            self.log(actor, "export", record, {"case_ref": case_ref, "directory": str(directory)})
            body = record.to_dict()
            body["custody"] = [e.to_dict() for e in self.custody(record.id)]
            record_text = json.dumps(body, indent=2, ensure_ascii=False) + "\n"
            record_name = f"{record.id}.json"
            write_atomic(directory / record_name, record_text.encode("utf-8"))
            items.append(
                {
                    "id": record.id,
                    "original": original_name,
                    "sha256": record.sha256,
                    "bytes": record.byte_count,
                    "record": record_name,
                    "record_file_sha256": sha256_text(record_text),
                    "record_sha256": record.content_hash(),
                }
            )
        manifest = {
            "case_ref": case_ref,
            "exported_at": now_iso(),
            "exported_by": actor,
            "items": items,
            "hash_algorithm": "sha256",
            "custody_head": self.custody()[-1].entry_hash,
        }
        manifest_path = directory / "manifest.json"
        write_atomic(
            manifest_path,
            (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8"),
        )
        return ExportReport(case_ref, directory, len(items), manifest_path)
