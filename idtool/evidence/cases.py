"""Cases at the post: versioned seizure facts beside the records that share a ``case_ref``.

Each change of a case's facts is a new version (table ``case_facts``, never updated or
deleted) and a ``case_facts`` custody entry in the same transaction, with ``record_id``
None and ``details = {"case_ref", "version", "facts"}``: ``facts`` is the whole of
:meth:`~idtool.evidence.case_facts.CaseFacts.to_dict` after the change, so whoever holds
the custody chain (a hub) can rebuild every case and its history from it alone.

Lost updates are refused: a writer names the version it read (``expected_version``); if
another change came first it gets :class:`~idtool.errors.Conflict`, unless what it sends
is already what the case holds (a retry of a change that went through).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from idtool.errors import BadField, Conflict, NotFound
from idtool.evidence.case_facts import FIELD_NAMES, CaseFacts, check_changes
from idtool.evidence.custody import append_entry, canonical_json, iter_entries
from idtool.evidence.records import EvidenceRecord, check_text
from idtool.evidence.store import EvidenceStore
from idtool.types import Decision, is_material_label


@dataclass(frozen=True)
class CaseVersion:
    """One version of a case's facts: who changed which fields, when."""

    version: int
    at: str
    actor: str
    changed: tuple[str, ...]
    custody_seq: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "at": self.at,
            "actor": self.actor,
            "changed": list(self.changed),
            "custody_seq": self.custody_seq,
        }


@dataclass(frozen=True)
class CaseFile:
    """A case: its latest facts (version 0: none entered yet), history and records."""

    case_ref: str
    version: int
    facts: CaseFacts
    history: tuple[CaseVersion, ...] = ()
    records: tuple[EvidenceRecord, ...] = field(default=())

    @property
    def updated_at(self) -> str | None:
        return self.history[-1].at if self.history else None

    def identified_taxa(self) -> tuple[str, ...]:
        """The taxa its photos were identified as (decision ``identified``, not a material)."""
        return identified_taxa(self.records)

    def to_dict(self) -> dict[str, Any]:
        return {
            "case_ref": self.case_ref,
            "version": self.version,
            "updated_at": self.updated_at,
            "facts": self.facts.to_dict(),
            "identified_taxa": list(self.identified_taxa()),
            "history": [v.to_dict() for v in self.history],
        }


def identified_taxa(records: tuple[EvidenceRecord, ...] | list[EvidenceRecord]) -> tuple[str, ...]:
    """Distinct taxa the records were identified as, oldest record first."""
    taxa: list[str] = []
    for record in sorted(records, key=lambda r: (r.created_at, r.id)):
        ident = record.identification
        label = ident.get("label")
        if (
            ident.get("decision") == Decision.IDENTIFIED.value
            and isinstance(label, str)
            and label
            and not is_material_label(label)
            and label not in taxa
        ):
            taxa.append(label)
    return tuple(taxa)


def check_case_ref(case_ref: str) -> str:
    """Raises: BadField: empty, too long or with control characters."""
    value = check_text("case_ref", case_ref)
    if not value:
        raise BadField("case_ref is required (e.g. JKIA-2026-0042)")
    return value


def _versions(store: EvidenceStore, case_ref: str) -> list[tuple[CaseVersion, str]]:
    cursor = store.db.execute(
        "SELECT version, at, actor, changed, custody_seq, facts FROM case_facts"
        " WHERE case_ref = ? ORDER BY version",
        [case_ref],
    )
    return [
        (CaseVersion(row[0], row[1], row[2], tuple(json.loads(row[3])), row[4]), row[5])
        for row in cursor
    ]


def _latest(db: Any, case_ref: str) -> tuple[int, CaseFacts]:
    row = db.execute(
        "SELECT version, facts FROM case_facts WHERE case_ref = ? ORDER BY version DESC LIMIT 1",
        [case_ref],
    ).fetchone()
    if row is None:
        return 0, CaseFacts()
    return int(row[0]), CaseFacts.from_dict(json.loads(row[1]))


def get_case(store: EvidenceStore, case_ref: str, *, with_records: bool = True) -> CaseFile:
    """The case's latest facts, its version history and (by default) its records.

    Raises:
        BadField: a bad ``case_ref``.
        NotFound: no facts and no records under this reference.
    """
    case_ref = check_case_ref(case_ref)
    versions = _versions(store, case_ref)
    records = tuple(store.list_records(case_ref, limit=10_000)) if with_records else ()
    if not versions and not (records or _has_records(store, case_ref)):
        raise NotFound(f"no case {case_ref!r}: no seizure facts and no records under it")
    facts = CaseFacts.from_dict(json.loads(versions[-1][1])) if versions else CaseFacts()
    return CaseFile(
        case_ref=case_ref,
        version=versions[-1][0].version if versions else 0,
        facts=facts,
        history=tuple(v for v, _ in versions),
        records=records,
    )


def _has_records(store: EvidenceStore, case_ref: str) -> bool:
    row = store.db.execute("SELECT 1 FROM records WHERE case_ref = ? LIMIT 1", [case_ref])
    return row.fetchone() is not None


def set_case_facts(
    store: EvidenceStore,
    case_ref: str,
    changes: Mapping[str, Any],
    actor: str,
    expected_version: int | None = None,
) -> tuple[CaseFile, bool]:
    """Apply ``changes`` to the case's facts as a new version, logged in the custody chain.

    Args:
        store: the evidence store.
        case_ref: the case (created by its first facts if it has none).
        changes: field -> value (a partial update; None or "" clears a field).
        actor: who made the change (token name, or the CLI user).
        expected_version: the version the writer read (0: none yet); None skips the check.

    Returns:
        ``(case, changed)``; ``changed`` is False when the facts already were these (no
        new version: a retry, or a change that changes nothing).

    Raises:
        BadField: a bad case reference, field name or value.
        Conflict: ``expected_version`` is not the latest and the change is not already in.
    """
    case_ref = check_case_ref(case_ref)
    checked = check_changes(changes)
    with store.transaction() as db:
        version, current = _latest(db, case_ref)
        merged = replace(current, **checked)
        if merged == current:
            changed = False
        elif expected_version is not None and expected_version != version:
            raise Conflict(
                f"case {case_ref} is at version {version}, not {expected_version}: someone "
                "changed it since you read it; reload it and make your change again"
            )
        else:
            changed = True
            version += 1
            entry = append_entry(
                db,
                actor=actor,
                action="case_facts",
                details={"case_ref": case_ref, "version": version, "facts": merged.to_dict()},
            )
            fields_changed = [n for n in FIELD_NAMES if getattr(merged, n) != getattr(current, n)]
            db.execute(
                "INSERT INTO case_facts (case_ref, version, at, actor, facts, changed,"
                " custody_seq) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    case_ref,
                    version,
                    entry.at,
                    actor,
                    canonical_json(merged.to_dict()),
                    json.dumps(fields_changed),
                    entry.seq,
                ],
            )
    try:
        return get_case(store, case_ref), changed
    except NotFound:  # nothing set on a case that has nothing yet
        return CaseFile(case_ref, 0, CaseFacts()), False


def list_case_refs(store: EvidenceStore) -> list[str]:
    """Every case reference with facts or records, sorted."""
    cursor = store.db.execute(
        "SELECT case_ref FROM case_facts UNION SELECT case_ref FROM records"
        " WHERE case_ref IS NOT NULL ORDER BY 1"
    )
    return [row[0] for row in cursor]


def case_year(case: CaseFile) -> int | None:
    """The year a case counts in: its seizure date's, else its first fact or record's."""
    if case.facts.seizure_date is not None:
        return case.facts.seizure_date.year
    stamps = [v.at for v in case.history[:1]] + [r.created_at for r in case.records]
    if not stamps:
        return None
    return dt.datetime.fromisoformat(min(stamps)).year


def cases_of_year(store: EvidenceStore, year: int) -> list[CaseFile]:
    """The cases that count in ``year`` (see :func:`case_year`), by case reference."""
    found = []
    for case_ref in list_case_refs(store):
        case = get_case(store, case_ref)
        if case_year(case) == year:
            found.append(case)
    return found


def version_facts(store: EvidenceStore, case_ref: str, version: int) -> CaseFacts:
    """The facts as they were at ``version``.

    Raises:
        NotFound: no such version.
    """
    row = store.db.execute(
        "SELECT facts FROM case_facts WHERE case_ref = ? AND version = ?", [case_ref, version]
    ).fetchone()
    if row is None:
        raise NotFound(f"case {case_ref!r} has no version {version}")
    return CaseFacts.from_dict(json.loads(row[0]))


def check_case_facts(store: EvidenceStore) -> list[str]:
    """Compare every stored version of every case with its ``case_facts`` custody entry.

    Returns:
        Problems: a version edited in the database, one missing, or one never logged.
    """
    logged: dict[tuple[str, int], dict[str, Any]] = {}
    for entry in iter_entries(store.db):
        if entry.action == "case_facts":
            d = entry.details
            logged[(str(d.get("case_ref")), int(d.get("version") or 0))] = d.get("facts") or {}
    stored: set[tuple[str, int]] = set()
    problems = []
    for case_ref, version, facts in store.db.execute(
        "SELECT case_ref, version, facts FROM case_facts ORDER BY case_ref, version"
    ):
        stored.add((case_ref, version))
        if (case_ref, version) not in logged:
            problems.append(f"case {case_ref} version {version}: not in the custody log")
        elif json.loads(facts) != logged[(case_ref, version)]:
            problems.append(f"case {case_ref} version {version}: differs from the one logged")
    for case_ref, version in sorted(set(logged) - stored):
        problems.append(f"case {case_ref} version {version}: logged but missing from the store")
    return problems
