"""Fixtures of the hub tests: a real PostgreSQL cluster for the session, a fresh database
and store per test. Skipped (with the reason) only where PostgreSQL is not installed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pg_cluster import PgCluster, pg_bindir


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    bindir = pg_bindir()
    if bindir is None:
        pytest.skip(
            "PostgreSQL is not installed (Debian: apt-get install postgresql; setup.sh does it)"
        )
    cluster = PgCluster.start(bindir)
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def hub_url(pg_cluster: PgCluster) -> str:
    """A fresh, empty hub database (not migrated)."""
    return pg_cluster.new_database()


@pytest.fixture
def hub_store(tmp_path: Path) -> Path:
    return tmp_path / "hub-store"
