"""Schema of ``evidence.db``: the ``Migrations("idtool_evidence")`` set.

Applied by :meth:`idtool.evidence.store.EvidenceStore.open`; each migration runs in one
transaction with its record in ``_sqlite_migrations``. Never DROP: evidence is kept.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from idtool.evidence.custody import create_custody_table

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


@evidence_migrations(name="0003_case_facts")
def _case_facts(db: Database) -> None:
    """Seizure facts of a case, one row per version (issue 23); never updated or deleted.

    ``custody_seq`` is the ``case_facts`` custody entry that logged the version (its
    details hold the same facts, so the chain alone can rebuild every version).
    """
    db.execute(
        """
        CREATE TABLE case_facts (
            case_ref TEXT NOT NULL,
            version INTEGER NOT NULL,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            facts TEXT NOT NULL,
            changed TEXT NOT NULL,
            custody_seq INTEGER NOT NULL,
            PRIMARY KEY (case_ref, version)
        )
        """
    )
    for verb in ("UPDATE", "DELETE"):
        db.execute(
            f"""
            CREATE TRIGGER case_facts_no_{verb.lower()} BEFORE {verb} ON case_facts
            BEGIN SELECT RAISE(ABORT, 'case facts are versioned: add a version'); END
            """
        )
