"""``idtool guidance`` and ``idtool cites import|eu-import|status`` through click."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from idtool.cli import main

CITES_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "cites"


def _json_lines(output: str) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_guidance_json_on_a_fresh_home_uses_the_bundled_table(cli: CliRunner) -> None:
    result = cli.invoke(main, ["guidance", "Python regius", "--format", "json"])
    assert result.exit_code == 0, result.output
    (out,) = _json_lines(result.stdout)
    assert out["cites"]["appendix"] == "II"
    assert out["listing_set"]["name"] == "cites_bundled_listings.csv"
    assert out["listing_set"]["bundled"] is True
    assert out["disclaimer"]


def test_guidance_table_shows_prohibition(cli: CliRunner) -> None:
    result = cli.invoke(
        main,
        ["guidance", "Loxodonta africana", "--origin", "KE", "--purpose", "T", "--source", "W"],
    )
    assert result.exit_code == 0, result.output
    assert "Appendix I" in result.stdout
    assert "trade prohibited" in result.stdout
    assert "cites_bundled_listings.csv" in result.stdout


def test_guidance_material_and_misspelling(cli: CliRunner) -> None:
    ivory = cli.invoke(main, ["guidance", "material_ivory_or_bone", "--format", "json"])
    (out,) = _json_lines(ivory.stdout)
    assert out["kind"] == "combined" and out["default_label"]
    typo = cli.invoke(main, ["guidance", "Pyton", "regius", "--format", "json"])
    (miss,) = _json_lines(typo.stdout)
    assert miss["match_kind"] == "fuzzy" and miss["name_match"]["matched"] == "Python regius"
    assert miss["suggestions"][0] == "Python regius" and miss["cites"]["appendix"] == "II"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--purpose", "K"], "error [bad_field]: unknown purpose code 'K'"),
        (["--source", "Q"], "error [bad_field]: unknown source code 'Q'"),
        (["--origin", "ZZ"], "error [bad_field]: origin: 'ZZ'"),
    ],
)
def test_guidance_rejects_bad_codes(cli: CliRunner, args: list[str], message: str) -> None:
    result = cli.invoke(main, ["guidance", "Python regius", *args])
    assert result.exit_code == 1
    assert message in result.stderr


def test_import_status_and_reimport(cli: CliRunner, tmp_path: Path) -> None:
    source = CITES_DATA / "SAMPLE.csv"
    if not source.is_file():
        pytest.skip(f"{source} not available (shared CITES data absent)")
    sample = tmp_path / "SAMPLE.csv"
    shutil.copy(source, sample)
    missing_date = cli.invoke(main, ["cites", "import", str(sample)])
    assert missing_date.exit_code == 1 and "--snapshot-date" in missing_date.stderr
    args = ["cites", "import", str(sample), "--snapshot-date", "2017-04-21"]
    first = cli.invoke(main, [*args, "--format", "json"])
    assert first.exit_code == 0, first.output
    assert _json_lines(first.stdout)[0]["created"] is True
    again = cli.invoke(main, args)
    assert "already imported" in again.stdout
    status = cli.invoke(main, ["cites", "status", "--format", "json"])
    (row,) = _json_lines(status.stdout)
    assert row["name"] == "SAMPLE.csv" and row["in_use"] is True and row["stale_warning"]
    guidance = cli.invoke(main, ["guidance", "Python regius", "--format", "json"])
    assert _json_lines(guidance.stdout)[0]["listing_set"]["name"] == "SAMPLE.csv"


def test_eu_import_and_status_table(cli: CliRunner, tmp_path: Path) -> None:
    annex = tmp_path / "eu_annexes_2023-05-05.csv"
    annex.write_text("taxon,annex\nPanthera tigris,A\n", encoding="utf-8")
    result = cli.invoke(main, ["cites", "eu-import", str(annex)])
    assert result.exit_code == 0, result.output
    status = cli.invoke(main, ["cites", "status"])
    assert "eu_annex" in status.stdout and "EU annex: unknown" not in status.stdout
    g = cli.invoke(main, ["guidance", "Panthera tigris", "--destination", "FR", "--format", "json"])
    assert _json_lines(g.stdout)[0]["eu"]["annex"] == "A"


@pytest.mark.parametrize(
    "command",
    [["guidance"], ["cites"], ["cites", "import"], ["cites", "eu-import"], ["cites", "status"]],
)
def test_help_text_ends_with_an_example(cli: CliRunner, command: list[str]) -> None:
    result = cli.invoke(main, [*command, "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.stdout
