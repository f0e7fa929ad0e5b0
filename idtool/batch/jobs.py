"""The batch job table: ``REPORT_DIR/job.db`` (sqlite-utils, ``Migrations("idtool_batch")``).

Results are keyed by the file's SHA-256 and written one transaction per inference batch,
as they are produced: a job interrupted (Ctrl-C, kill, power cut) loses at most the batch
in flight, and the next run skips every SHA-256 already stored. A file whose bytes
changed has a new SHA-256 and is processed again. A lock file keeps two runs from
working on the same folder at once.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import logging
import os
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from idtool import __version__
from idtool.batch.items import ItemResult
from idtool.batch.walk import Discovery, FileFacts
from idtool.errors import Conflict

log = logging.getLogger(__name__)

JOB_DB = "job.db"
LOCK_FILE = "job.lock"

batch_migrations = Migrations("idtool_batch")


@batch_migrations(name="0001_initial")
def _initial(db: Database) -> None:
    db.table("batch_job").create(
        {
            "id": int,
            "input_dir": str,
            "model_version": str,
            "embedding_version": str,
            "reference_version": str,
            "listing_set": str,
            "declaration": str,  # JSON
            "top_k": int,
            "idtool_version": str,
            "created_at": str,
        },
        pk="id",
    )
    db.table("batch_runs").create(
        {
            "id": int,
            "started_at": str,
            "finished_at": str,
            "status": str,  # running, complete, interrupted (a killed run: at the next open)
            "engine": str,
            "runtime": str,
            "workers": int,
            "batch_size": int,
            "to_process": int,
            "processed": int,
        },
        pk="id",
    )
    db.table("batch_files").create(
        {
            "rel_path": str,
            "sha256": str,
            "byte_count": int,
            "mtime_ns": int,
            "status": str,  # image, duplicate, skipped
            "reason": str,
            "duplicate_of": str,
            "run_id": int,
        },
        pk="rel_path",
    )
    db.table("batch_files").create_index(["sha256"])
    db.table("batch_results").create(
        {
            "sha256": str,
            "rel_path": str,
            "decision": str,
            "label": str,
            "confidence": float,
            "appendix": str,
            "guidance_status": str,
            "error_code": str,
            "engine": str,
            "record": str,  # the per-image JSON
            "thumbnail": bytes,
            "run_id": int,
            "processed_at": str,
        },
        pk="sha256",
    )


@dataclass(frozen=True)
class JobConfig:
    """What results depend on; a job folder cannot mix results of two configurations."""

    input_dir: str
    model_version: str
    embedding_version: str
    reference_version: str
    listing_set: str
    declaration: dict[str, Any]
    top_k: int


@dataclass(frozen=True)
class StoredResult:
    """One row of the results table, as the report reads it."""

    sha256: str
    rel_path: str
    record: dict[str, Any]
    decision: str | None
    label: str | None
    confidence: float | None
    appendix: str | None
    guidance_status: str | None
    error_code: str | None
    thumbnail: bytes | None


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class JobStore:
    """The job database of one report folder; use as a context manager."""

    def __init__(self, report_dir: Path) -> None:
        report_dir.mkdir(parents=True, exist_ok=True)
        self.report_dir = report_dir
        self._lock: IO[str] | None = open(report_dir / LOCK_FILE, "w")  # noqa: SIM115
        try:
            fcntl.flock(self._lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._lock.close()
            self._lock = None
            raise Conflict(
                f"another idtool batch is running on {report_dir}: wait for it to finish"
            ) from None
        self._lock.write(str(os.getpid()))
        self._lock.flush()
        self.db = Database(report_dir / JOB_DB)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA busy_timeout=10000")
        batch_migrations.apply(self.db)
        self.run_id: int | None = None
        self._mark_stale_runs()

    def _mark_stale_runs(self) -> None:
        """Runs still marked running were killed or crashed (this process holds the lock,
        so none of them is alive): mark them interrupted."""
        stale = [
            r["id"] for r in self.db.query("select id from batch_runs where status = 'running'")
        ]
        if not stale:
            return
        with self.db.conn:
            self.db.execute(
                "update batch_runs set status = 'interrupted', finished_at = ? "
                "where status = 'running'",
                [_now()],
            )
        log.warning(
            "run(s) %s of %s stopped without finishing (killed or crashed): marked "
            "interrupted; this run resumes them",
            ", ".join(map(str, stale)),
            self.report_dir,
        )

    def _run(self) -> int:
        if self.run_id is None:
            raise RuntimeError("start_run() first")
        return self.run_id

    def __enter__(self) -> JobStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()
        if self._lock is not None:
            fcntl.flock(self._lock.fileno(), fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None

    def check_config(self, config: JobConfig) -> None:
        """Record the job's configuration, or check that it is the stored one.

        Raises:
            Conflict: the folder holds results of another input, model, reference set,
                listing set or trade declaration.
        """
        wanted = {**config.__dict__, "declaration": json.dumps(config.declaration, sort_keys=True)}
        rows = list(self.db.table("batch_job").rows)
        if not rows:
            with self.db.conn:
                self.db.table("batch_job").insert(
                    {"id": 1, **wanted, "idtool_version": __version__, "created_at": _now()}
                )
            return
        stored = rows[0]
        differ = [key for key, value in wanted.items() if stored.get(key) != value]
        if differ:
            detail = ", ".join(f"{k} was {stored.get(k)!r}, now {wanted[k]!r}" for k in differ)
            raise Conflict(
                f"{self.report_dir} holds a job with other settings ({detail}): "
                "use a new --out folder, or delete its job.db to start over"
            )

    def hash_cache(self) -> dict[str, FileFacts]:
        """Known size, mtime and SHA-256 per relative path (to skip re-hashing)."""
        return {
            r["rel_path"]: FileFacts(r["byte_count"], r["mtime_ns"], r["sha256"])
            for r in self.db.query(
                "select rel_path, byte_count, mtime_ns, sha256 from batch_files "
                "where sha256 is not null"
            )
        }

    def start_run(self, *, engine: str, runtime: str, workers: int, batch_size: int) -> int:
        with self.db.conn:
            row = self.db.table("batch_runs").insert(
                {
                    "started_at": _now(),
                    "status": "running",
                    "engine": engine,
                    "runtime": runtime,
                    "workers": workers,
                    "batch_size": batch_size,
                    "processed": 0,
                }
            )
        self.run_id = int(str(row.last_pk))
        return self.run_id

    def record_files(self, found: Discovery) -> None:
        """Replace the file list with this walk's (one transaction)."""
        rows: list[dict[str, Any]] = []
        for item in found.items:
            rows.append(
                {
                    "rel_path": item.rel_path,
                    "sha256": item.sha256,
                    "byte_count": item.byte_count,
                    "mtime_ns": item.mtime_ns,
                    "status": "image",
                    "reason": None,
                    "duplicate_of": None,
                }
            )
        for dup in found.duplicates:
            rows.append(
                {
                    "rel_path": dup.rel_path,
                    "sha256": dup.sha256,
                    "byte_count": dup.byte_count,
                    "mtime_ns": dup.mtime_ns,
                    "status": "duplicate",
                    "reason": f"same bytes as {dup.duplicate_of}",
                    "duplicate_of": dup.duplicate_of,
                }
            )
        for skip in found.skipped:
            rows.append(
                {
                    "rel_path": skip.rel_path,
                    "sha256": None,
                    "byte_count": None,
                    "mtime_ns": None,
                    "status": "skipped",
                    "reason": skip.reason,
                    "duplicate_of": None,
                }
            )
        for row in rows:
            row["run_id"] = self.run_id
        with self.db.conn:
            self.db.execute("delete from batch_files")
            if rows:
                self.db.table("batch_files").insert_all(rows, batch_size=1000)

    def done_hashes(self) -> set[str]:
        return {r[0] for r in self.db.execute("select sha256 from batch_results").fetchall()}

    def set_to_process(self, count: int) -> None:
        with self.db.conn:
            self.db.table("batch_runs").update(self._run(), {"to_process": count})

    def record_results(self, results: Iterable[ItemResult]) -> int:
        """Store a batch of results in one transaction; returns how many were new."""
        rows = [
            {
                "sha256": r.sha256,
                "rel_path": r.rel_path,
                "decision": r.decision,
                "label": r.label,
                "confidence": r.confidence,
                "appendix": r.appendix,
                "guidance_status": r.guidance_status,
                "error_code": r.error_code,
                "engine": r.engine,
                "record": json.dumps(r.record, ensure_ascii=False, default=str),
                "thumbnail": r.thumbnail,
                "run_id": self.run_id,
                "processed_at": _now(),
            }
            for r in results
        ]
        if not rows:
            return 0
        conn = self.db.conn
        with conn:
            before = conn.total_changes
            conn.executemany(
                "insert or ignore into batch_results ("
                + ", ".join(rows[0])
                + ") values ("
                + ", ".join(f":{k}" for k in rows[0])
                + ")",
                rows,
            )
            added = conn.total_changes - before
            conn.execute(
                "update batch_runs set processed = processed + ? where id = ?",
                (added, self.run_id),
            )
        return added

    def finish_run(self, status: str) -> None:
        try:
            with self.db.conn:
                self.db.table("batch_runs").update(
                    self._run(), {"status": status, "finished_at": _now()}
                )
        except sqlite3.Error as exc:  # closing after a failure: the run stays "running"
            log.warning("could not mark run %s %s: %s", self.run_id, status, exc)

    def runs(self) -> list[dict[str, Any]]:
        return list(self.db.table("batch_runs").rows_where(order_by="id"))

    def files(self, status: str) -> list[dict[str, Any]]:
        return list(
            self.db.table("batch_files").rows_where("status = ?", [status], order_by="rel_path")
        )

    def results(self) -> Iterator[StoredResult]:
        """Results of the files found by the last walk, in path order (one per SHA-256)."""
        for row in self.db.query(
            "select r.*, f.rel_path as current_path from batch_results r join batch_files f "
            "on f.sha256 = r.sha256 and f.status = 'image' order by f.rel_path"
        ):
            record = json.loads(row["record"])
            record["image"] = row["current_path"]  # the file may have been renamed
            yield StoredResult(
                sha256=row["sha256"],
                rel_path=row["current_path"],
                record=record,
                decision=row["decision"],
                label=row["label"],
                confidence=row["confidence"],
                appendix=row["appendix"],
                guidance_status=row["guidance_status"],
                error_code=row["error_code"],
                thumbnail=row["thumbnail"],
            )
