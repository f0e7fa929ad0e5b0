"""``idtool hub verify``: re-check everything the hub holds.

Per post: the custody chain (sequence, links, every entry's hash), every stored record
version against its hash and its custody log, the case facts against their custody
entries. Then every original in the database against its file under ``--store``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from idtool.evidence.custody import GENESIS_HASH, CustodyEntry, canonical_json, sha256_text
from idtool.hub.blobs import BlobStore
from idtool.hub.database import transaction


@dataclass
class HubVerifyReport:
    posts: int = 0
    custody_entries: int = 0
    record_versions: int = 0
    originals: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "posts": self.posts,
            "custody_entries": self.custody_entries,
            "record_versions": self.record_versions,
            "originals": self.originals,
            "problems": self.problems,
        }


def _check_chain(rows: list[tuple[Any, ...]], post: str, report: HubVerifyReport) -> None:
    prev_hash, expected = GENESIS_HASH, 1
    for seq, at, actor, action, record_id, sha256, details, prev, entry_hash in rows:
        entry = CustodyEntry(
            seq, at, actor, action, record_id, sha256, json.loads(details), prev, entry_hash
        )
        report.custody_entries += 1
        if seq != expected:
            report.problems.append(f"post {post}: custody entry {seq}: expected {expected} (gap)")
        if prev != prev_hash:
            report.problems.append(
                f"post {post}: custody entry {seq}: does not name the previous entry's hash"
            )
        if entry.computed_hash() != entry_hash:
            report.problems.append(
                f"post {post}: custody entry {seq}: content does not match its hash"
            )
        prev_hash, expected = entry_hash, seq + 1


def verify_hub(url: str, store_dir: Path) -> HubVerifyReport:
    """Check every post's chain, records and case facts, and every original file."""
    report = HubVerifyReport()
    blobs = BlobStore(store_dir)
    with transaction(url) as conn:
        posts = [r[0] for r in conn.execute("SELECT name FROM posts ORDER BY name")]
        for post in posts:
            report.posts += 1
            rows = conn.execute(
                "SELECT seq, at, actor, action, record_id, sha256, details, prev_hash,"
                " entry_hash FROM custody WHERE post = %s ORDER BY seq",
                [post],
            ).fetchall()
            _check_chain(rows, post, report)
            logged: dict[str, set[str]] = {}
            for record_id, record_sha256 in conn.execute(
                "SELECT record_id, record_sha256 FROM custody WHERE post = %s"
                " AND record_sha256 IS NOT NULL",
                [post],
            ):
                logged.setdefault(record_id, set()).add(record_sha256)
            for record_id, content_hash, body in conn.execute(
                "SELECT id, content_hash, body FROM record_versions WHERE post = %s ORDER BY id",
                [post],
            ):
                report.record_versions += 1
                actual = sha256_text(canonical_json(json.loads(body)))
                if actual != content_hash:
                    report.problems.append(
                        f"post {post}: record {record_id}: stored version does not match its hash"
                    )
                if content_hash not in logged.get(record_id, set()):
                    report.problems.append(
                        f"post {post}: record {record_id}: version {content_hash[:12]} is "
                        "not named by its custody log"
                    )
            for record_id, content_hash, body in conn.execute(
                "SELECT id, content_hash, body FROM records WHERE post = %s", [post]
            ):
                if sha256_text(canonical_json(json.loads(body))) != content_hash:
                    report.problems.append(
                        f"post {post}: record {record_id}: current version does not match its hash"
                    )
            for case_ref, version, facts, seq in conn.execute(
                "SELECT f.case_ref, f.version, f.facts, f.seq FROM case_facts f"
                " WHERE f.post = %s ORDER BY f.case_ref, f.version",
                [post],
            ):
                row = conn.execute(
                    "SELECT details FROM custody WHERE post = %s AND seq = %s", [post, seq]
                ).fetchone()
                details = json.loads(row[0]) if row else {}
                if (
                    details.get("case_ref") != case_ref
                    or details.get("version") != version
                    or canonical_json(details.get("facts")) != facts
                ):
                    report.problems.append(
                        f"post {post}: case {case_ref} facts version {version} differ from "
                        f"custody entry {seq}"
                    )
        originals = [r[0] for r in conn.execute("SELECT sha256 FROM originals ORDER BY sha256")]
    for sha256 in originals:
        report.originals += 1
        problem = blobs.verify(sha256)
        if problem:
            report.problems.append(problem)
    return report
