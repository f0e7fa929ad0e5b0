"""idtool case set|show|export aitr."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from idtool.cli import main


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("IDTOOL_HOME", str(tmp_path))
    for name in ("IDTOOL_EVIDENCE_DIR", "IDTOOL_CATALOG", "IDTOOL_MODEL"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args))


def test_set_show_versions(env):
    first = run(
        "case", "set", "JKIA-1", "--quantity", "12", "--unit", "pieces", "--specimen", "ivc",
        "--country-origin", "Cameroon", "--countries-transit", "NG,FR", "--format", "json",
    )  # fmt: skip
    assert first.exit_code == 0, first.output
    body = json.loads(first.stdout)
    assert body["version"] == 1 and body["changed"] is True
    assert body["facts"]["specimen"] == "IVC"
    assert body["facts"]["country_origin"] == "CM"
    assert body["facts"]["countries_transit"] == ["NG", "FR"]
    second = run("case", "set", "JKIA-1", "--clear", "quantity", "--transport-mode", "air")
    assert second.exit_code == 0, second.output
    shown = run("case", "show", "JKIA-1", "--format", "json")
    facts = json.loads(shown.stdout)
    assert facts["version"] == 2
    assert facts["facts"]["quantity"] is None and facts["facts"]["transport_mode"] == "air"
    assert [v["changed"] for v in facts["history"]] == [
        ["quantity", "unit", "specimen", "country_origin", "countries_transit"],
        ["quantity", "transport_mode"],
    ]
    text = run("case", "show", "JKIA-1")
    assert "version 2" in text.stdout and "countries_transit: NG, FR" in text.stdout


def test_errors_are_one_line(env):
    bad = run("case", "set", "C-1", "--country-origin", "XX")
    assert bad.exit_code == 1
    assert bad.stderr.strip().count("\n") == 0
    assert bad.stderr.startswith("error [bad_field]: country_origin")
    assert run("case", "set", "C-1", "--unit", "kg").exit_code == 0
    stale = run("case", "set", "C-1", "--expect-version", "0", "--unit", "g")
    assert stale.exit_code == 1 and stale.stderr.startswith("error [conflict]")
    missing = run("case", "show", "NOPE")
    assert missing.exit_code == 1 and missing.stderr.startswith("error [not_found]")
    nothing = run("case", "set", "C-1")
    assert nothing.exit_code == 2  # usage: no field given


def test_export_aitr_lists_incomplete_cases_on_stderr(env):
    openpyxl = pytest.importorskip("openpyxl")
    ok = run(
        "case", "set", "A-1", "--seizure-date", "2026-03-14", "--taxon", "Manis spp.",
        "--specimen", "SCA", "--quantity", "3.5", "--unit", "kg",
    )  # fmt: skip
    assert ok.exit_code == 0, ok.output
    assert run("case", "set", "A-2", "--seizure-date", "2026-04-01").exit_code == 0
    out = env / "aitr.xlsx"
    result = run("case", "export", "aitr", "--year", "2026", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "not reported: A-2: missing taxon, specimen, quantity, unit" in result.stderr
    assert "wrote 1 row(s), 1 seizure(s) of 2026" in result.stdout
    rows = list(openpyxl.load_workbook(out).active.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][0] == "A-1" and rows[1][5] == 3.5
    as_csv = run("case", "export", "aitr", "--year", "2026", "--out", str(env / "a.txt"),
                 "--format", "csv")  # fmt: skip
    assert as_csv.exit_code == 0
    assert (env / "a.txt").read_text(encoding="utf-8-sig").startswith("Seizure reference")
