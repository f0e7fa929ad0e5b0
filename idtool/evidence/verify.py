"""``idtool evidence verify``: re-hash every original, check every record, walk the chain.

Problems (``ok`` false) are what evidence must never show: an edited record, an original
that is missing or no longer matches its hash (with the records that share it), an
original found altered and kept aside, a broken or shortened custody chain, a custody
anchor (``custody_head.json``) that is missing, unreadable or disagrees with the log. Notes are
harmless findings: originals no record refers to, originals still pending, and
temporary files left by an upload in progress or by a crash.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from idtool.evidence.anchor import anchor_problem
from idtool.evidence.cases import check_case_facts
from idtool.evidence.custody import iter_entries, verify_chain
from idtool.evidence.records import EvidenceRecord, OriginalStatus, item_photo_hashes
from idtool.evidence.store import EvidenceStore
from idtool.hashing import sha256_file


@dataclass
class VerifyReport:
    """What ``idtool evidence verify`` found."""

    records: int = 0
    files: int = 0
    custody_entries: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # harmless findings (orphan files)
    leftovers: list[str] = field(default_factory=list)  # temporary files, relative paths

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
            "leftovers": self.leftovers,
        }


def _sharing(ids: list[str]) -> str:
    return f"records {', '.join(ids)}" if ids else "no record"


def _check_head(store: EvidenceStore, report: VerifyReport) -> None:
    problem = anchor_problem(store.root, store.db)
    if problem is not None:
        report.problems.append(problem)


def _check_record(
    store: EvidenceStore,
    record: EvidenceRecord,
    report: VerifyReport,
    logged: dict[str, set[str]],
    latest_hash: dict[str, str],
    sharing: dict[str, list[str]],
) -> None:
    """Check one record against the custody log and the stored originals."""
    report.records += 1
    sharing.setdefault(record.sha256, []).append(record.id)
    original = record.original_or_photo()
    if original.sha256 and original.sha256 != record.sha256:
        sharing.setdefault(original.sha256, []).append(record.id)
    if not {"upload", "identification"} <= logged.get(record.id, set()):
        report.problems.append(f"record {record.id}: no upload/identification in the log")
    if latest_hash.get(record.id) != record.content_hash():
        report.problems.append(f"record {record.id}: stored record differs from the one logged")
    for sha256 in item_photo_hashes(record):
        if sha256 != record.sha256:
            sharing.setdefault(sha256, []).append(record.id)
        if not store.original_path(sha256).is_file():
            report.problems.append(f"record {record.id}: photo {sha256} is missing")
    if original.status is OriginalStatus.PENDING:
        report.notes.append(f"record {record.id}: original still pending (working copy only)")
    elif original.sha256 and not store.original_path(original.sha256).is_file():
        report.problems.append(f"record {record.id}: original {original.sha256} is missing")


def verify_store(store: EvidenceStore) -> VerifyReport:
    """Check everything in ``store``; see the module docstring for what is reported."""
    report = VerifyReport()
    db = store.db
    count, problems = verify_chain(db)
    report.custody_entries = count
    report.problems.extend(problems)
    _check_head(store, report)
    latest_hash: dict[str, str] = {}
    logged: dict[str, set[str]] = {}
    for entry in iter_entries(db):
        if entry.action == "reanchor":
            report.notes.append(
                f"custody entry {entry.seq}: the anchor was re-written by {entry.actor} "
                f"({entry.details.get('reason')}; it was "
                f"{(entry.details.get('previous_anchor') or {}).get('state')})"
            )
        if entry.record_id:
            logged.setdefault(entry.record_id, set()).add(entry.action)
            if "record_sha256" in entry.details:
                latest_hash[entry.record_id] = entry.details["record_sha256"]
    sharing: dict[str, list[str]] = {}
    for record in store.all_records():
        _check_record(store, record, report, logged, latest_hash, sharing)
    for path in store.files.stored():
        report.files += 1
        actual = sha256_file(path)
        if actual != path.name:
            report.problems.append(
                f"original {path.name}: content hashes to {actual} (file was altered); "
                f"{_sharing(sharing.get(path.name, []))} share it"
            )
        elif path.name not in sharing:
            report.notes.append(f"original {path.name}: no record refers to it")
    for path in store.files.altered():
        sha256 = path.name.split(".")[0]
        report.problems.append(
            f"original {sha256} was found altered when the same photo was uploaded again; "
            f"the altered file is kept at {path.relative_to(store.root)}; "
            f"{_sharing(sharing.get(sha256, []))} share it"
        )
    report.problems.extend(check_case_facts(store))
    for path in store.files.leftovers():
        report.leftovers.append(str(path.relative_to(store.root)))
    return report
