from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from support import EXAMPLES

from idtool.cli import main

REQUIRED_KEYS = {
    "image",
    "sha256",
    "decision",
    "label",
    "rank",
    "confidence",
    "candidates",
    "decision_source",
    "model_version",
    "reference_version",
    "error",
    "quality",
    "guidance",
}


def test_identify_json_schema_and_bad_images(core_home_copy: Path, tmp_path: Path) -> None:
    text = tmp_path / "note.jpg"
    text.write_text("not an image")
    result = CliRunner().invoke(
        main,
        [
            "identify",
            "--format",
            "json",
            "--runtime",
            "torch",
            str(EXAMPLES / "coral_1.jpg"),
            str(text),
            "--origin",
            "TH",
            "--purpose",
            "T",
            "--source",
            "W",
        ],
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 2
    good, bad = lines
    assert set(good) >= REQUIRED_KEYS
    assert good["decision"] == "identified" and good["label"] == "Scleractinia"
    assert good["rank"] == "order" and 0.0 <= good["confidence"] <= 1.0
    assert good["error"] is None and good["model_version"] == "idtool-lite0-1.2.0"
    assert all(set(c) >= {"label", "score"} for c in good["candidates"])
    assert good["guidance"]["cites"]["appendix"] == "II"
    assert good["guidance"]["disclaimer"]
    assert bad["error"]["code"] == "unsupported_media_type" and bad["decision"] is None


def test_identify_exit_status_when_nothing_works(core_home_copy: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["identify", str(tmp_path / "missing.jpg")])
    assert result.exit_code == 1
    assert "invalid_image" in result.stdout


def test_bad_trade_flag_is_one_line_error(core_home_copy: Path) -> None:
    result = CliRunner().invoke(main, ["identify", "--purpose", "K", str(EXAMPLES / "coral_1.jpg")])
    assert result.exit_code == 1
    assert result.stderr.startswith("error [bad_field]:")
    assert len(result.stderr.strip().splitlines()) == 1


def test_identify_without_reference_explains(home: Path) -> None:
    result = CliRunner().invoke(main, ["identify", str(EXAMPLES / "coral_1.jpg")])
    assert result.exit_code == 1
    assert "error [empty_reference]" in result.stderr and "reference import" in result.stderr


def test_reference_list_and_model_info(core_home_copy: Path) -> None:
    result = CliRunner().invoke(main, ["reference", "list", "--format", "json"])
    assert result.exit_code == 0
    rows = {json.loads(line)["label"]: json.loads(line) for line in result.stdout.splitlines()}
    assert rows["Scleractinia"]["images"] == 10 and rows["material_walrus_ivory"]["images"] == 10
    info = CliRunner().invoke(main, ["model", "info"])
    assert info.exit_code == 0 and '"embedding_version"' in info.stdout


class _OpenCalled(Exception):
    """Raised by the stand-in model loader: the test only checks what it was asked for."""


def _record_runtime(monkeypatch, seen: list[str]) -> None:
    import idtool.cli.commands_core as core

    def fake_open(settings, runtime="auto"):
        seen.append(runtime)
        raise _OpenCalled

    monkeypatch.setattr(core.IdentificationService, "open", staticmethod(fake_open))


def test_identify_runtime_flag_and_deprecated_engine_alias(monkeypatch, tmp_path) -> None:
    """--runtime picks onnx/torch; the old --engine still works (hidden) with a warning."""
    monkeypatch.setenv("IDTOOL_HOME", str(tmp_path / "home"))
    seen: list[str] = []
    _record_runtime(monkeypatch, seen)
    photo = str(EXAMPLES / "coral_1.jpg")
    runner = CliRunner()

    result = runner.invoke(main, ["identify", "--runtime", "torch", photo])
    assert isinstance(result.exception, _OpenCalled) and seen == ["torch"]
    assert "deprecated" not in result.stderr

    result = runner.invoke(main, ["identify", "--engine", "onnx", photo])
    assert isinstance(result.exception, _OpenCalled) and seen[-1] == "onnx"
    assert "--engine" in result.stderr and "deprecated" in result.stderr
    assert "--runtime" in result.stderr

    # an explicit --runtime wins over the alias
    runner.invoke(main, ["identify", "--engine", "onnx", "--runtime", "torch", photo])
    assert seen[-1] == "torch"

    help_text = runner.invoke(main, ["identify", "--help"]).output
    assert "--runtime" in help_text and "--engine" not in help_text


def test_serve_runtime_flag_and_hidden_engine_alias(monkeypatch, tmp_path) -> None:
    import server.app

    monkeypatch.setenv("IDTOOL_HOME", str(tmp_path / "home"))
    seen: list[str] = []

    def fake_create_app(settings, *, runtime="auto"):
        seen.append(runtime)
        raise _OpenCalled

    monkeypatch.setattr(server.app, "create_app", fake_create_app)
    runner = CliRunner()
    result = runner.invoke(main, ["serve", "--runtime", "torch"])
    assert isinstance(result.exception, _OpenCalled) and seen == ["torch"]
    result = runner.invoke(main, ["serve", "--engine", "onnx"])
    assert seen[-1] == "onnx" and "deprecated" in result.stderr
    help_text = runner.invoke(main, ["serve", "--help"]).output
    assert "--runtime" in help_text and "--engine" not in help_text
    for command in ("batch", "listings"):
        help_text = runner.invoke(main, [command, "--help"]).output
        assert "--runtime" in help_text and "local|ray" in help_text
