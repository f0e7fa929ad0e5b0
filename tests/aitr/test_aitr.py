"""The AITR seizure sheet: columns, one row per seizure and taxon, missing cases, xlsx/CSV."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from idtool.aitr import COLUMNS, ReportCase, build_report, write_csv, write_xlsx
from idtool.aitr.sheet import report_from_store
from idtool.evidence.case_facts import CaseFacts
from idtool.evidence.cases import set_case_facts
from idtool.evidence.store import EvidenceRecord, EvidenceStore

openpyxl = pytest.importorskip("openpyxl")

COMPLETE = {
    "seizure_date": "2026-03-14",
    "location": "JKIA cargo",
    "quantity": 12,
    "unit": "pieces",
    "specimen": "IVC",
    "taxon": "Loxodonta africana",
    "country_origin": "CM",
    "country_export": "NG",
    "countries_transit": ["NG", "FR"],
    "country_destination": "CN",
    "transport_mode": "air",
    "detection_method": "x_ray",
    "reason": "false_declaration",
    "offender_nationalities": ["CM", "CN"],
    "disposal": "held_as_evidence",
    "notes": '=HYPERLINK("http://x")',
}


def _case(ref: str, **changes: object) -> ReportCase:
    return ReportCase(ref, CaseFacts().merged({**COMPLETE, **changes}))


def test_columns_in_report_order():
    headers = [c.header for c in COLUMNS]
    assert headers[:7] == [
        "Seizure reference (national)",
        "Date of seizure",
        "Detecting agency",
        "Species (scientific name)",
        "Description of specimen (CITES trade term code)",
        "Quantity",
        "Unit",
    ]
    assert headers[-2:] == ["Disposal of confiscated specimens", "Additional information"]
    assert len({c.key for c in COLUMNS}) == len(COLUMNS)


def test_rows_use_the_codes_the_guidelines_ask_for():
    report = build_report([_case("C-1")], 2026, agency="Customs JKIA")
    (row,) = report.rows
    assert row["seizure_date"] == dt.date(2026, 3, 14)
    assert row["specimen"] == "IVC"
    assert row["unit"] == "number of specimens"
    assert row["quantity"] == 12
    assert row["countries_transit"] == "NG, FR"
    assert row["offender_nationalities"] == "CM, CN"
    assert row["country_origin"] == "CM"
    assert row["detection_method"] == "X-ray or scanner"
    assert row["transport_mode"] == "air"
    assert row["agency"] == "Customs JKIA"
    assert report.missing == ()


def test_missing_fields_are_listed_not_dropped():
    cases = [
        _case("OK-1"),
        ReportCase("EMPTY", CaseFacts(), year=2026),
        _case("NO-QTY", quantity=None, unit=None),
        _case("TWO-TAXA", taxon=None),
        _case("OTHER-YEAR", seizure_date="2025-06-01"),
    ]
    cases[3] = ReportCase(
        "TWO-TAXA", cases[3].facts, identified_taxa=("Loxodonta africana", "Manis spp.")
    )
    report = build_report(cases, 2026)
    assert [r["seizure_ref"] for r in report.rows] == ["OK-1"]
    missing = {m.reference: m for m in report.missing}
    assert set(missing) == {"EMPTY", "NO-QTY", "TWO-TAXA"}  # 2025 is another report
    assert missing["NO-QTY"].missing == ("quantity", "unit")
    assert "seizure_date" in missing["EMPTY"].missing
    assert "Manis spp." in missing["TWO-TAXA"].message()


def test_taxon_defaults_to_the_identification():
    case = ReportCase(
        "C-2", CaseFacts().merged({**COMPLETE, "taxon": None}), ("Manis spp.",), post="port"
    )
    (row,) = build_report([case], 2026).rows
    assert row["taxon"] == "Manis spp."
    assert row["seizure_ref"] == "port/C-2"


def test_xlsx_opens_with_every_seizure_of_the_year(tmp_path: Path):
    cases = [_case(f"C-{i}", seizure_date=f"2026-0{1 + i % 9}-1{i % 10}") for i in range(25)]
    cases.append(_case("OLD", seizure_date="2025-01-01"))
    report = build_report(cases, 2026)
    path = write_xlsx(report, tmp_path / "out" / "aitr-2026.xlsx")
    book = openpyxl.load_workbook(path)
    sheet = book["Seizures 2026"]
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == [c.header for c in COLUMNS]
    refs = {row[0] for row in values[1:]}
    assert refs == {f"C-{i}" for i in range(25)}
    first = values[1]
    assert isinstance(first[1], dt.datetime)  # a real date cell
    assert first[5] == 12
    notes = sheet.cell(row=2, column=len(COLUMNS))
    assert notes.data_type == "s" and notes.value.startswith("=HYPERLINK")  # text, not formula
    assert not list((tmp_path / "out").glob(".*.tmp"))


def test_csv(tmp_path: Path):
    report = build_report([_case("C-1"), _case("C-2", seizure_date="2026-01-02")], 2026)
    path = write_csv(report, tmp_path / "aitr.csv")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == [c.header for c in COLUMNS]
    assert [r[0] for r in rows[1:]] == ["C-2", "C-1"]  # by date
    assert rows[1][1] == "2026-01-02"
    assert rows[1][-1].startswith("'=")  # not a formula in a spreadsheet


def test_report_from_a_post_store(tmp_path: Path):
    store = EvidenceStore.open(tmp_path / "evidence")
    try:
        data = b"photo"
        sha = store.store_original(data)
        store.add_record(
            EvidenceRecord(
                id="r1",
                created_at="2026-02-01T10:00:00.000+00:00",
                officer="o1",
                sha256=sha,
                byte_count=len(data),
                media_format="jpeg",
                exif={},
                declaration={},
                identification={"decision": "identified", "label": "Loxodonta africana"},
                guidance={},
                model_version="m",
                reference_version=None,
                listing_set=None,
                case_ref="K-1",
            )
        )
        set_case_facts(store, "K-1", {**COMPLETE, "taxon": None}, "o1")
        set_case_facts(store, "K-2", {"seizure_date": "2026-05-01"}, "o1")
        report = report_from_store(store, 2026)
    finally:
        store.close()
    assert [r["taxon"] for r in report.rows] == ["Loxodonta africana"]
    assert [m.reference for m in report.missing] == ["K-2"]
