"""The seizure sheet of the CITES annual illegal trade report: columns, codes, rows.

Source followed: the *Guidelines for the preparation and submission of the CITES annual
illegal trade report* (CITES Secretariat; approved by the Standing Committee at SC71,
2019), whose standard format ends the document, with the Excel version on the CITES page
"Annual illegal trade report" (cites.org/eng/resources/reports/Annual_Illegal_trade_report).
The report covers 1 January to 31 December and is due by 31 October of the next year.
Codes as those guidelines ask: the specimen as a CITES trade-term code and the quantity
in the units of the *Guidelines for the preparation and submission of CITES annual
reports* (a count is "number of specimens"), countries as ISO 3166-1 alpha-2 codes
(several in one cell separated by ", "), the date of seizure as a date. Columns the post
does not record (method of concealment, estimated value, law under which charges were
brought) stay empty but keep their place, so the sheet pastes into the Secretariat's.

One row per seizure and taxon. A case whose facts lack a required column (date,
species, specimen, quantity, unit) is not written: it is returned in
:attr:`AitrReport.missing` with what is missing, never silently dropped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from idtool.cites.seizure_codes import (
    DETECTION_METHODS,
    DISPOSALS,
    SEIZURE_REASONS,
    TRANSPORT_MODES,
)
from idtool.evidence.case_facts import CaseFacts
from idtool.evidence.cases import CaseFile, case_year, cases_of_year
from idtool.evidence.store import EvidenceStore


@dataclass(frozen=True)
class Column:
    """One column of the seizure sheet: its key, its header in the report, required or not."""

    key: str
    header: str
    required: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("seizure_ref", "Seizure reference (national)"),
    Column("seizure_date", "Date of seizure", required=True),
    Column("agency", "Detecting agency"),
    Column("taxon", "Species (scientific name)", required=True),
    Column("specimen", "Description of specimen (CITES trade term code)", required=True),
    Column("quantity", "Quantity", required=True),
    Column("unit", "Unit", required=True),
    Column("location", "Location of incident"),
    Column("detection_method", "Method of detection"),
    Column("transport_mode", "Mode of transport"),
    Column("concealment", "Method of concealment"),
    Column("reason", "Reason for seizure"),
    Column("country_origin", "Alleged country of origin"),
    Column("country_export", "Country of export/re-export"),
    Column("countries_transit", "Country(ies) of transit"),
    Column("country_destination", "Alleged final destination"),
    Column("offender_nationalities", "Nationality of offenders"),
    Column("value", "Estimated value in country (amount and currency)"),
    Column("law", "Law under which charges were brought"),
    Column("disposal", "Disposal of confiscated specimens"),
    Column("notes", "Additional information"),
)
REQUIRED = tuple(c.key for c in COLUMNS if c.required)
# What the Unit column says for each stored unit (the rest are written as stored: kg, g...).
UNIT_TEXT = {"pieces": "number of specimens"}
_MEANINGS = {
    "detection_method": DETECTION_METHODS,
    "transport_mode": TRANSPORT_MODES,
    "reason": SEIZURE_REASONS,
    "disposal": DISPOSALS,
}


@dataclass(frozen=True)
class ReportCase:
    """A case as the report needs it: its facts and the taxa its photos were identified as.

    ``year`` is the year a case without a seizure date counts in (when it was opened), so
    that it is listed as missing its date in that year's report.
    """

    case_ref: str
    facts: CaseFacts
    identified_taxa: tuple[str, ...] = ()
    post: str | None = None
    year: int | None = None

    @property
    def reference(self) -> str:
        return f"{self.post}/{self.case_ref}" if self.post else self.case_ref

    @classmethod
    def from_case_file(cls, case: CaseFile, post: str | None = None) -> ReportCase:
        return cls(case.case_ref, case.facts, case.identified_taxa(), post, case_year(case))


@dataclass(frozen=True)
class MissingCase:
    """A case left out of the sheet, and why."""

    reference: str
    missing: tuple[str, ...]
    note: str = ""

    def message(self) -> str:
        text = f"{self.reference}: missing {', '.join(self.missing)}"
        return f"{text} ({self.note})" if self.note else text

    def to_dict(self) -> dict[str, Any]:
        return {"case": self.reference, "missing": list(self.missing), "note": self.note}


@dataclass(frozen=True)
class AitrReport:
    """The rows of one year's seizure sheet and the cases that could not go in."""

    year: int
    rows: tuple[dict[str, Any], ...]
    missing: tuple[MissingCase, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "rows": len(self.rows),
            "seizures": len({r["seizure_ref"] for r in self.rows}),
            "missing": [m.to_dict() for m in self.missing],
        }


def _taxa(case: ReportCase) -> tuple[tuple[str, ...], str]:
    """The taxa to report, and a note when they cannot be decided."""
    if case.facts.taxon:
        return (case.facts.taxon,), ""
    if len(case.identified_taxa) == 1:
        return case.identified_taxa, ""
    if case.identified_taxa:
        return (), (
            f"the photos were identified as {', '.join(case.identified_taxa)}: set taxon "
            "to the one seized, or enter each taxon as its own case"
        )
    return (), "no taxon set and no photo identified to a taxon"


def _row(case: ReportCase, taxon: str, agency: str | None) -> dict[str, Any]:
    facts = case.facts
    quantity = facts.quantity
    row: dict[str, Any] = {
        "seizure_ref": case.reference,
        "seizure_date": facts.seizure_date,
        "agency": agency or "",
        "taxon": taxon,
        "specimen": facts.specimen,
        "quantity": int(quantity) if quantity is not None and quantity.is_integer() else quantity,
        "unit": UNIT_TEXT.get(facts.unit or "", facts.unit),
        "location": facts.location or "",
        "concealment": "",
        "country_origin": facts.country_origin or "",
        "country_export": facts.country_export or "",
        "countries_transit": ", ".join(facts.countries_transit),
        "country_destination": facts.country_destination or "",
        "offender_nationalities": ", ".join(facts.offender_nationalities),
        "value": "",
        "law": "",
        "notes": facts.notes or "",
    }
    for key, table in _MEANINGS.items():
        code = getattr(facts, key)
        row[key] = table[code].meaning if code else ""
    return row


def build_report(cases: Iterable[ReportCase], year: int, agency: str | None = None) -> AitrReport:
    """The sheet for ``year``: one row per seizure and taxon, sorted by date and reference.

    Args:
        cases: the cases to consider; those of other years are left out.
        year: the calendar year reported.
        agency: the "Detecting agency" column (e.g. "Customs, JKIA cargo"), if given.

    Returns:
        The rows and the cases of the year that lack a required column.
    """
    rows: list[dict[str, Any]] = []
    missing: list[MissingCase] = []
    for case in cases:
        date = case.facts.seizure_date
        if (date.year if date else case.year) != year:
            continue
        taxa, note = _taxa(case)
        lacking = [
            key
            for key in REQUIRED
            if (not taxa if key == "taxon" else getattr(case.facts, key) is None)
        ]
        if lacking:
            missing.append(MissingCase(case.reference, tuple(lacking), note))
            continue
        rows.extend(_row(case, taxon, agency) for taxon in taxa)
    rows.sort(key=lambda r: (r["seizure_date"] or dt.date.min, r["seizure_ref"], r["taxon"]))
    missing.sort(key=lambda m: m.reference)
    return AitrReport(year, tuple(rows), tuple(missing))


def report_from_store(
    store: EvidenceStore, year: int, agency: str | None = None, post: str | None = None
) -> AitrReport:
    """The sheet for ``year`` from a post's own cases (its evidence store)."""
    cases = [ReportCase.from_case_file(c, post) for c in cases_of_year(store, year)]
    return build_report(cases, year, agency)
