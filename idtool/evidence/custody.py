"""The chain-of-custody log: append-only, each entry hashing the one before.

Every entry records who did what, when, to which record (``upload``, ``identification``,
``original`` (a full original attached to a working copy), ``original_altered`` (a stored
original found altered), ``reanchor`` (an operator re-wrote a lost custody anchor), ``view``, ``export``, ``export_failed``, ``schreger``,
``add_photo``, ``confirmation`` (a laboratory's confirmed identity), ``update_apply`` /
``update_rollback`` (a signed update installed or rolled back), ``token_create``,
``token_revoke``, ``case_facts`` (a new version of a case's seizure
facts: ``details`` = ``{case_ref, version, facts}``, the full facts after the change)). Its
``entry_hash`` is the SHA-256 of a canonical JSON of its fields *including*
``prev_hash``, the previous entry's hash, so editing, deleting or re-ordering any entry
breaks every hash after it. SQLite triggers refuse UPDATE and DELETE on the table; the
hashes catch whoever bypasses them (editing the file directly).

Callers append inside a write transaction (``BEGIN IMMEDIATE``) so two writers can never
chain onto the same previous entry.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

GENESIS_HASH = "0" * 64
HEAD_FILE = "custody_head.json"  # the newest entry, anchored outside the database
ACTIONS = frozenset(
    {
        "upload",
        "identification",
        "original",
        "original_altered",
        "view",
        "export",
        "export_failed",
        "schreger",
        "add_photo",
        "confirmation",
        "update_apply",
        "update_rollback",
        "token_create",
        "token_revoke",
        "case_facts",
        "reanchor",
    }
)


def now_iso() -> str:
    """UTC now with milliseconds, e.g. ``2025-05-01T13:45:10.123+00:00``."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


def canonical_json(obj: Any) -> str:
    """The one serialisation that hashes are computed over (sorted keys, no spaces)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class CustodyEntry:
    """One line of the custody log."""

    seq: int
    at: str
    actor: str
    action: str
    record_id: str | None
    sha256: str | None  # of the evidence file concerned, if any
    details: dict[str, Any]
    prev_hash: str
    entry_hash: str

    def hashed_fields(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at,
            "actor": self.actor,
            "action": self.action,
            "record_id": self.record_id,
            "sha256": self.sha256,
            "details": self.details,
            "prev_hash": self.prev_hash,
        }

    def computed_hash(self) -> str:
        return sha256_text(canonical_json(self.hashed_fields()))

    def to_dict(self) -> dict[str, Any]:
        return {**self.hashed_fields(), "entry_hash": self.entry_hash}

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> CustodyEntry:
        return cls(
            seq=row["seq"],
            at=row["at"],
            actor=row["actor"],
            action=row["action"],
            record_id=row["record_id"],
            sha256=row["sha256"],
            details=json.loads(row["details"]),
            prev_hash=row["prev_hash"],
            entry_hash=row["entry_hash"],
        )


def create_custody_table(db: Database) -> None:
    """Create the log table and the triggers that make it append-only (a migration step)."""
    db.execute(
        """
        CREATE TABLE custody (
            seq INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            record_id TEXT,
            sha256 TEXT,
            details TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            entry_hash TEXT NOT NULL UNIQUE
        )
        """
    )
    db.execute("CREATE INDEX custody_record ON custody(record_id)")
    for verb in ("UPDATE", "DELETE"):
        db.execute(
            f"""
            CREATE TRIGGER custody_no_{verb.lower()} BEFORE {verb} ON custody
            BEGIN SELECT RAISE(ABORT, 'the custody log is append-only'); END
            """
        )


def append_entry(
    db: Database,
    *,
    actor: str,
    action: str,
    record_id: str | None = None,
    sha256: str | None = None,
    details: dict[str, Any] | None = None,
) -> CustodyEntry:
    """Append one entry chained to the last one. Call inside ``BEGIN IMMEDIATE``.

    Raises:
        ValueError: unknown action (a programming error, not user input).
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown custody action {action!r}")
    last = db.execute("SELECT seq, entry_hash FROM custody ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
    draft = CustodyEntry(
        seq=seq,
        at=now_iso(),
        actor=actor,
        action=action,
        record_id=record_id,
        sha256=sha256,
        details=json.loads(canonical_json(details or {})),
        prev_hash=prev_hash,
        entry_hash="",
    )
    entry = CustodyEntry(**{**draft.hashed_fields(), "entry_hash": draft.computed_hash()})
    db.execute(
        "INSERT INTO custody (seq, at, actor, action, record_id, sha256, details, prev_hash,"
        " entry_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            entry.seq,
            entry.at,
            entry.actor,
            entry.action,
            entry.record_id,
            entry.sha256,
            canonical_json(entry.details),
            entry.prev_hash,
            entry.entry_hash,
        ],
    )
    return entry


def iter_entries(db: Database, record_id: str | None = None) -> Iterator[CustodyEntry]:
    """Entries in order, all or those of one record."""
    where, args = ("WHERE record_id = ?", [record_id]) if record_id else ("", [])
    cursor = db.execute(f"SELECT * FROM custody {where} ORDER BY seq", args)
    columns = [c[0] for c in cursor.description]
    for row in cursor:
        yield CustodyEntry.from_row(dict(zip(columns, row, strict=True)))


def verify_chain(db: Database) -> tuple[int, list[str]]:
    """Walk the whole log, re-computing every hash and link.

    Returns:
        ``(entries checked, problems)``; no problems means the chain is intact.
    """
    problems: list[str] = []
    prev_hash, expected_seq, count = GENESIS_HASH, 1, 0
    for entry in iter_entries(db):
        count += 1
        if entry.seq != expected_seq:
            problems.append(f"custody entry {entry.seq}: expected sequence {expected_seq} (gap)")
        if entry.prev_hash != prev_hash:
            problems.append(
                f"custody entry {entry.seq}: prev_hash does not match the entry before it"
            )
        if entry.computed_hash() != entry.entry_hash:
            problems.append(f"custody entry {entry.seq}: content does not match its hash")
        prev_hash, expected_seq = entry.entry_hash, entry.seq + 1
    return count, problems
