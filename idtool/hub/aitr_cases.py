"""Every post's cases at the hub, as the AITR writer (:mod:`idtool.aitr`) reads them.

A case counts in the year of its seizure date; a case with no date counts in the year of
its first facts or record, so that it is listed as missing its date in that year's sheet
rather than dropped. Its taxa are those its records were identified as (decision
``identified``, not a material), used when the facts name no taxon.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import psycopg

from idtool.aitr.sheet import AitrReport, ReportCase, build_report
from idtool.evidence.case_facts import CaseFacts
from idtool.types import Decision, is_material_label


def _year_of(stamp: str | None) -> int | None:
    if not stamp:
        return None
    return dt.datetime.fromisoformat(stamp).year


def hub_report_cases(conn: psycopg.Connection[Any]) -> list[ReportCase]:
    """The latest facts of every case at every post, with the taxa of its records."""
    latest = conn.execute(
        "SELECT DISTINCT ON (post, case_ref) post, case_ref, facts"
        " FROM case_facts ORDER BY post, case_ref, version DESC"
    ).fetchall()
    first_seen: dict[tuple[str, str], str] = {}
    for post, case_ref, at in conn.execute(
        "SELECT post, case_ref, min(at) FROM case_facts GROUP BY post, case_ref"
    ).fetchall():
        first_seen[(post, case_ref)] = at
    taxa: dict[tuple[str, str], list[str]] = {}
    for post, case_ref, created_at, label, decision in conn.execute(
        "SELECT post, case_ref, created_at, label, decision FROM records"
        " WHERE case_ref IS NOT NULL ORDER BY created_at, id"
    ).fetchall():
        key = (post, case_ref)
        first_seen[key] = min(first_seen.get(key, created_at), created_at)
        found = taxa.setdefault(key, [])
        if (
            decision == Decision.IDENTIFIED.value
            and label
            and not is_material_label(label)
            and label not in found
        ):
            found.append(label)
    cases = []
    for post, case_ref, facts_json in latest:
        facts = CaseFacts.from_dict(json.loads(facts_json))
        key = (post, case_ref)
        year = facts.seizure_date.year if facts.seizure_date else _year_of(first_seen.get(key))
        cases.append(ReportCase(case_ref, facts, tuple(taxa.get(key, ())), post, year))
    return cases


def hub_aitr_report(conn: psycopg.Connection[Any], year: int, agency: str | None) -> AitrReport:
    """The seizure sheet of ``year`` over every post's cases (reference ``post/case_ref``)."""
    cases = [c for c in hub_report_cases(conn) if c.year == year]
    return build_report(cases, year, agency)
