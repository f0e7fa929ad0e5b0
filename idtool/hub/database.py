"""Connections to the hub's PostgreSQL and its schema migrations.

The schema lives in numbered SQL files (``migrations/0001_initial.sql``, ...), applied
in order, each in one transaction with its name recorded in ``hub_migrations``. A
PostgreSQL advisory lock keeps two hub processes from migrating at once. Migrations only
add: nothing is ever dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from idtool.errors import IdtoolError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
MIGRATION_LOCK = 7_023_017  # pg_advisory_xact_lock key of the hub's migrations
CONNECT_TIMEOUT_S = 10

log = logging.getLogger(__name__)


class HubDatabaseError(IdtoolError):
    """The hub's PostgreSQL cannot be reached or used."""

    code = "hub_database_error"
    http_status = 503


@dataclass(frozen=True)
class Migration:
    name: str
    sql: str


def migrations() -> list[Migration]:
    """The numbered SQL files, in order."""
    return [
        Migration(path.stem, path.read_text(encoding="utf-8"))
        for path in sorted(MIGRATIONS_DIR.glob("[0-9][0-9][0-9][0-9]_*.sql"))
    ]


def connect(url: str) -> psycopg.Connection[Any]:
    """Open one connection to the hub database (``postgresql://...``).

    Raises:
        HubDatabaseError: PostgreSQL cannot be reached or refuses the connection.
    """
    if not url.startswith(("postgresql://", "postgres://")):
        raise HubDatabaseError(
            f"the hub database must be a PostgreSQL URL (postgresql://USER@HOST:PORT/DB), "
            f"not {url.split('://')[0]!r}"
        )
    try:
        return psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT_S)
    except psycopg.OperationalError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise HubDatabaseError(f"cannot connect to the hub database: {first}") from None


@contextmanager
def transaction(url: str) -> Iterator[psycopg.Connection[Any]]:
    """A connection inside one transaction: committed on success, rolled back on error."""
    conn = connect(url)
    try:
        with conn.transaction():
            yield conn
    finally:
        conn.close()


def apply_migrations(url: str) -> list[str]:
    """Bring the schema up to date.

    Returns:
        The names of the migrations applied now (empty when already current).
    """
    applied: list[str] = []
    with transaction(url) as conn:
        conn.execute("SELECT pg_advisory_xact_lock(%s)", [MIGRATION_LOCK])
        conn.execute(
            "CREATE TABLE IF NOT EXISTS hub_migrations ("
            " name TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        done = {row[0] for row in conn.execute("SELECT name FROM hub_migrations")}
        for migration in migrations():
            if migration.name in done:
                continue
            with conn.transaction():
                conn.execute(migration.sql.encode("utf-8"))
                conn.execute("INSERT INTO hub_migrations (name) VALUES (%s)", [migration.name])
            log.info("hub database: applied migration %s", migration.name)
            applied.append(migration.name)
    return applied


def applied_migrations(url: str) -> list[str]:
    """Names of the migrations recorded in the database, in order."""
    with transaction(url) as conn:
        exists = conn.execute("SELECT to_regclass('hub_migrations')").fetchone()
        if exists is None or exists[0] is None:
            return []
        return [r[0] for r in conn.execute("SELECT name FROM hub_migrations ORDER BY name")]
