"""A private PostgreSQL cluster for the hub tests and benchmark (not a test module).

Debian's PostgreSQL binaries (``pg_config --bindir``, else ``/usr/lib/postgresql/*/bin``)
start a throw-away cluster in a fresh directory on a free loopback port, with its socket
in that directory; :meth:`PgCluster.stop` stops it and removes everything. PostgreSQL
refuses to run as root, so as root the cluster belongs to the ``postgres`` user.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import psycopg

SUPERUSER = "postgres"
_counter = itertools.count(1)


def pg_bindir() -> Path | None:
    """Where initdb, pg_ctl and postgres are, or None when PostgreSQL is not installed."""
    candidates: list[str] = []
    if shutil.which("pg_config"):
        with contextlib.suppress(OSError, subprocess.CalledProcessError):
            out = subprocess.run(
                ["pg_config", "--bindir"], capture_output=True, text=True, check=True
            )
            candidates.append(out.stdout.strip())
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for candidate in candidates:
        path = Path(candidate)
        if (path / "initdb").is_file() and (path / "pg_ctl").is_file():
            return path
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PgCluster:
    bindir: Path
    root: Path
    port: int
    as_user: str | None  # run the server as this user (when we are root)

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(a) for a in args]
        if self.as_user:
            command = ["runuser", "-u", self.as_user, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=False)

    @classmethod
    def start(cls, bindir: Path) -> PgCluster:
        """initdb + pg_ctl start on a free loopback port (trust auth, loopback only)."""
        root = Path(tempfile.mkdtemp(prefix="idtool-pg-"))
        as_user = None
        if os.geteuid() == 0:
            as_user = SUPERUSER
            entry = pwd.getpwnam(as_user)
            os.chown(root, entry.pw_uid, entry.pw_gid)
        cluster = cls(bindir, root, free_port(), as_user)
        init = cluster._run(
            bindir / "initdb",
            "-D",
            str(cluster.data_dir),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C",
        )
        if init.returncode != 0:
            shutil.rmtree(root, ignore_errors=True)
            raise RuntimeError(f"initdb failed: {init.stderr or init.stdout}")
        options = (
            f"-p {cluster.port} -k {root} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c max_connections=200"
        )
        started = cluster._run(
            bindir / "pg_ctl",
            "-D",
            str(cluster.data_dir),
            "-l",
            str(root / "server.log"),
            "-o",
            options,
            "-w",
            "start",
        )
        if started.returncode != 0:
            log = (root / "server.log").read_text(errors="replace") if root.exists() else ""
            cluster.stop()
            raise RuntimeError(f"pg_ctl start failed: {started.stderr}\n{log}")
        return cluster

    @property
    def admin_url(self) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/postgres"

    def new_database(self, prefix: str = "hub") -> str:
        """A fresh empty database; returns its URL."""
        name = f"{prefix}_{os.getpid()}_{next(_counter)}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        """Stop the server (immediately) and remove its directory."""
        if self.data_dir.exists():
            self._run(self.bindir / "pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "stop")
        shutil.rmtree(self.root, ignore_errors=True)
