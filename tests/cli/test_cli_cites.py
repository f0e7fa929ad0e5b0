"""``idtool guidance`` and ``idtool cites import|eu-import|status`` through click."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from idtool.cli import main

CITES_DATA = (
    Path(
        os.environ.get("IDTOOL_SHARED_DIR") or Path(__file__).resolve().parents[2].parent / "shared"
    )
    / "data"
    / "cites"
)


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
    rows = _json_lines(status.stdout)
    (row,) = [r for r in rows if r["name"] == "SAMPLE.csv"]
    assert row["in_use"] is True and row["stale_warning"] and row["imported"] is True
    shipped = [r for r in rows if r["bundled"]]
    assert {r["name"] for r in shipped} >= {"cites_bundled_listings.csv", "cites_amendments.csv"}
    assert all(r["current_to"] == rows[0]["current_to"] >= "2023-11-25" for r in rows)
    guidance = cli.invoke(main, ["guidance", "Python regius", "--format", "json"])
    out = _json_lines(guidance.stdout)[0]
    assert out["listing_set"]["name"] == "SAMPLE.csv"
    assert out["listing_source"]["effective_date"] == "2017-04-21"


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


def test_import_prints_what_changed_and_status_shows_the_layers(
    cli: CliRunner, tmp_path: Path
) -> None:
    national = tmp_path / "national_list.csv"
    national.write_text(
        "full_name,rank,class,family,genus,listing\n"
        "Gadus morhua,SPECIES,Actinopteri,Gadidae,Gadus,III\n"
        "Lutrogale perspicillata,SPECIES,Mammalia,Mustelidae,Lutrogale,II\n",
        encoding="utf-8",
    )
    old = cli.invoke(main, ["cites", "import", str(national), "--snapshot-date", "2018-01-01"])
    assert old.exit_code == 0, old.output
    # the 2018 otter row is older than the CoP18 amendment (2019): nothing moves
    assert "1 taxa added, 0 removed, 0 moved" in old.stdout
    assert "added: Gadus morhua" in old.stdout
    status = cli.invoke(main, ["cites", "status"])
    assert "law current to: 2025-12-05" in status.stdout
    assert "national_list.csv" in status.stdout and "imported" in status.stdout
    guidance = cli.invoke(main, ["guidance", "Lutrogale", "perspicillata", "--format", "json"])
    out = _json_lines(guidance.stdout)[0]
    assert out["cites"]["appendix"] == "I"
    assert out["listing_source"]["name"] == "cites_amendments.csv"
    newer = tmp_path / "national_list_v2.csv"
    newer.write_text(  # another file (another sha256): the same rows, dated 2027
        national.read_text(encoding="utf-8") + "Gadus macrocephalus,SPECIES,,Gadidae,Gadus,\n",
        encoding="utf-8",
    )
    new = cli.invoke(
        main,
        ["cites", "import", str(newer), "--snapshot-date", "2027-01-01", "--format", "json"],
    )
    (row,) = _json_lines(new.stdout)
    assert row["changes"]["moved"] == [
        {"name": "Lutrogale perspicillata", "before": "I", "after": "II"}
    ]
