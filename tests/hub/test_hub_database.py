"""The hub schema: numbered migrations from an empty database, applied once, and tables
that refuse to change what was accepted."""

from __future__ import annotations

import psycopg
import pytest

from idtool.hub.database import HubDatabaseError, applied_migrations, apply_migrations, migrations


def test_migrations_apply_in_order_once_from_an_empty_database(hub_url: str) -> None:
    names = [m.name for m in migrations()]
    assert names == sorted(names) and names[0] == "0001_initial"
    assert applied_migrations(hub_url) == []
    assert apply_migrations(hub_url) == names
    assert apply_migrations(hub_url) == []
    assert applied_migrations(hub_url) == names


def test_no_migration_drops_anything() -> None:
    for migration in migrations():
        assert "DROP " not in migration.sql.upper(), migration.name


def test_accepted_rows_cannot_be_changed_or_deleted(hub_url: str) -> None:
    apply_migrations(hub_url)
    with psycopg.connect(hub_url, autocommit=True) as conn:
        conn.execute("INSERT INTO posts (name) VALUES ('p')")
        conn.execute(
            "INSERT INTO custody (post, seq, at, actor, action, details, prev_hash, entry_hash)"
            " VALUES ('p', 1, 'now', 'a', 'upload', '{}', 'x', 'y')"
        )
        for statement in (
            "UPDATE custody SET actor = 'b'",
            "DELETE FROM custody",
            "DELETE FROM posts",
        ):
            with pytest.raises(psycopg.errors.RaiseException):
                conn.execute(statement)


def test_unreachable_or_wrong_database_url_is_a_clear_error() -> None:
    with pytest.raises(HubDatabaseError, match="PostgreSQL URL"):
        apply_migrations("sqlite:///hub.db")
    with pytest.raises(HubDatabaseError, match="cannot connect"):
        apply_migrations("postgresql://nobody@127.0.0.1:1/none")
