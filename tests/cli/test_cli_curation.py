"""CLI: reference add/remove/show/provenance/history/rename-class/audit and evaluate --against."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from curation_fixtures import (
    CHEETAH_IN_CORAL,
    DEMO,
    TIGER_COPY,
    catalog_copy,
)

from idtool.catalog.store import Catalog
from idtool.cli import main
from idtool.cli.evaluation import GATE_FAILED_EXIT

NEW_COMMANDS = [
    ["reference", "add"],
    ["reference", "remove"],
    ["reference", "rename-class"],
    ["reference", "show"],
    ["reference", "provenance"],
    ["reference", "history"],
    ["reference", "audit"],
    ["evaluate"],
]


@pytest.fixture
def env(baseline, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    fixture = baseline[0]
    home = tmp_path / "home"
    monkeypatch.setenv("IDTOOL_HOME", str(home))
    monkeypatch.setenv("IDTOOL_MODEL", str(fixture.bundle_dir))
    monkeypatch.delenv("IDTOOL_CATALOG", raising=False)
    catalog_copy(fixture, home / "catalog.db")
    return {"home": home, "catalog": home / "catalog.db", "root": fixture.root}


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def _json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


@pytest.mark.parametrize("command", NEW_COMMANDS, ids=" ".join)
def test_help_has_an_example(command: list[str]) -> None:
    code, out, _ = _run(*command, "--help")
    assert code == 0
    assert "Example:" in out


def test_add_show_history_provenance_remove(env: dict[str, Path], tmp_path: Path) -> None:
    photo = tmp_path / "lion.jpg"
    shutil.copyfile(sorted((DEMO / "Panthera_leo").glob("*.jpg"))[0], photo)
    code, out, _ = _run(
        "reference",
        "add",
        "Panthera leo",
        str(photo),
        "--licence",
        "CC0-1.0",
        "--source",
        "test:lion",
        "--photographer",
        "Tester",
        "--format",
        "json",
    )
    assert code == 0, out
    report = json.loads(out)
    assert report["label"] == "Panthera leo" and len(report["added"]) == 1
    stored = Path(report["added"][0]["path"])
    assert stored.is_relative_to(env["home"] / "reference" / "Panthera_leo")
    assert report["reference_version"] != report["reference_version_before"]
    code, out, _ = _run("reference", "show", "Panthera_leo", "--format", "json")
    view = json.loads(out)
    assert view["taxon"]["lineage"]["family"] == "Felidae"  # from the shipped TAXONOMY.csv
    assert view["images"][0]["licence"] == "CC0-1.0"
    assert view["history"][-1]["action"] == "reference_add"
    code, out, _ = _run("reference", "show", "Panthera leo")
    assert code == 0 and "CC0-1.0" in out and "reference_add" in out
    code, out, _ = _run("reference", "provenance", "--format", "json")
    rows = _json_lines(out)
    assert {"label": "Panthera leo", "source": "test:lion", "licence": "CC0-1.0", "images": 1} in [
        {k: r[k] for k in ("label", "source", "licence", "images")} for r in rows
    ]
    # the same photo again, under another label: refused, exit 1
    code, out, _ = _run("reference", "add", "Panthera tigris", str(photo))
    assert code == 1 and "already in the reference set under Panthera leo" in out
    code, out, _ = _run(
        "reference", "remove", CHEETAH_IN_CORAL, "--reason", "a cheetah", "--format", "json"
    )
    assert code == 0 and json.loads(out)["removed"][0]["label"] == "Scleractinia"
    code, out, _ = _run("reference", "history", "--format", "json")
    actions = [r["action"] for r in _json_lines(out)]
    assert actions[-2:] == ["reference_add", "reference_remove"]
    assert photo.is_file()


def test_rename_class_and_errors(env: dict[str, Path]) -> None:
    code, out, _ = _run("reference", "rename-class", "Panthera tigris", "Acinonyx jubatus")
    assert code == 1
    code, _, err = _run("reference", "rename-class", "Panthera tigris", "Acinonyx jubatus")
    assert "error [conflict]" in err and "--merge" in err
    code, out, _ = _run(
        "reference",
        "rename-class",
        "Panthera tigris",
        "Panthera tigris altaica",
        "--format",
        "json",
    )
    assert code == 0 and json.loads(out)["new_label"] == "Panthera tigris altaica"
    code, _, err = _run("reference", "show", "Panthera tigris")
    assert code == 1 and "error [not_found]" in err
    code, _, err = _run("reference", "remove", "Scleractinia/nope.jpg", "--reason", "x")
    assert code == 1 and "error [not_found]" in err
    code, _, _ = _run("reference", "remove", CHEETAH_IN_CORAL)
    assert code == 2  # --reason is required


def test_audit_json_html_and_fail_on(
    env: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "250")  # rich wraps file names at 80 columns otherwise
    html = tmp_path / "audit.html"
    code, out, err = _run("reference", "audit", "--format", "json", "--html", str(html))
    assert code == 0
    findings = _json_lines(out)
    kinds = {f["kind"] for f in findings}
    assert {"exact_duplicate", "near_duplicate", "suspect_label", "missing_licence"} <= kinds
    duplicate = next(f for f in findings if f["kind"] == "exact_duplicate")
    assert TIGER_COPY in {f["rel_path"] for f in duplicate["files"]}
    assert html.is_file() and str(html) in err
    code, out, _ = _run("reference", "audit")
    assert code == 0 and "planted_cheetah.jpg" in out
    code, _, _ = _run("reference", "audit", "--fail-on", "error", "--html", str(html))
    assert code == 1


def test_evaluate_against_fails_on_a_planted_regression(
    baseline, env: dict[str, Path], tmp_path: Path
) -> None:
    _, _, previous_out = baseline
    # plant label noise: half of the tiger photos filed as cheetahs
    catalog = Catalog.open(env["catalog"])
    try:
        tigers = [img.id for img in catalog.active_images("Panthera tigris")][:3]
        for image_id in tigers:
            catalog.db["images"].update(image_id, {"label": "Acinonyx jubatus"})
    finally:
        catalog.close()
    out = tmp_path / "eval"
    code, stdout, _ = _run(
        "evaluate",
        "--folds",
        "3",
        "--out",
        str(out),
        "--against",
        str(previous_out / "summary.json"),
    )
    assert code == GATE_FAILED_EXIT, stdout
    assert "gate FAILED" in stdout
    assert "top1_accuracy" in stdout
    assert "classes that got worse:" in stdout
    worse = stdout.split("classes that got worse:")[1].split("note:")[0]
    assert "Panthera tigris" in worse or "Acinonyx jubatus" in worse
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert (
        summary["reference_version"]
        != json.loads((previous_out / "summary.json").read_text(encoding="utf-8"))[
            "reference_version"
        ]
    )
    catalog = Catalog.open(env["catalog"])
    try:
        assert catalog.db["evaluations"].count == 1
    finally:
        catalog.close()


def test_evaluate_against_a_missing_summary_fails_fast(
    env: dict[str, Path], tmp_path: Path
) -> None:
    code, _, err = _run("evaluate", "--against", str(tmp_path / "none.json"))
    assert code == 1 and "error [not_found]" in err
