"""CLI: idtool schreger and idtool quality."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner

from idtool.cli import main
from idtool.forensics.synthetic_schreger import generate_section

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
DEMO_PHOTO = SHARED / "data" / "reference_demo" / "material_ceramic" / "material_ceramic_009.jpg"


def _write(path: Path, rgb: np.ndarray) -> Path:
    assert cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    return path


@pytest.fixture
def section_png(tmp_path: Path) -> Path:
    return _write(tmp_path / "section.png", generate_section(128.0, noise_sigma=6, seed=9).rgb)


def test_schreger_auto_json(cli: CliRunner, section_png: Path) -> None:
    result = cli.invoke(main, ["schreger", str(section_png), "--auto", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout.strip())
    assert data["schreger"]["classification"] == "elephant"
    assert abs(data["schreger"]["mean_deg"] - 128.0) < 5
    out = section_png.with_name("section.schreger.png")
    assert data["schreger"]["annotated_image_path"] == str(out)
    assert out.is_file()


def test_schreger_table_and_out(cli: CliRunner, section_png: Path, tmp_path: Path) -> None:
    out = tmp_path / "ann" / "x.png"
    result = cli.invoke(main, ["schreger", str(section_png), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "elephant (indicative)" in result.stdout
    assert "Espinoza" in result.stdout
    assert out.is_file()


def test_schreger_manual_points(cli: CliRunner, section_png: Path, tmp_path: Path) -> None:
    points = tmp_path / "taps.csv"
    rows = ["vx,vy,ax,ay,bx,by"]
    for k in range(6):  # vertices near the outer edge, 80-degree angles
        t = 2 * np.pi * k / 6
        vx, vy = 256 + 180 * np.cos(t), 256 + 180 * np.sin(t)
        a = (vx + 20 * np.cos(t + np.radians(40)), vy + 20 * np.sin(t + np.radians(40)))
        b = (vx + 20 * np.cos(t - np.radians(40)), vy + 20 * np.sin(t - np.radians(40)))
        rows.append(f"{vx},{vy},{a[0]},{a[1]},{b[0]},{b[1]}")
    points.write_text("\n".join(rows) + "\n")
    result = cli.invoke(
        main, ["schreger", str(section_png), "--points", str(points), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)["schreger"]
    assert data["method"] == "manual"
    assert data["n"] == 6
    assert data["mean_deg"] == pytest.approx(80.0, abs=0.01)
    assert data["classification"] == "mammoth"


def test_schreger_refuses_plain_image(cli: CliRunner, tmp_path: Path) -> None:
    img = _write(tmp_path / "plain.png", np.full((200, 200, 3), 90, np.uint8))
    result = cli.invoke(main, ["schreger", str(img), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["schreger"]["classification"] == "refused"


def test_schreger_bad_points_file(cli: CliRunner, section_png: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("[{")
    result = cli.invoke(main, ["schreger", str(section_png), "--points", str(bad)])
    assert result.exit_code == 1
    assert "error [bad_field]" in result.stderr


def test_schreger_points_and_auto_conflict(
    cli: CliRunner, section_png: Path, tmp_path: Path
) -> None:
    pts = tmp_path / "p.json"
    pts.write_text('[{"vertex": [0, 0], "a": [1, 0], "b": [0, 1]}]')
    result = cli.invoke(main, ["schreger", str(section_png), "--points", str(pts), "--auto"])
    assert result.exit_code == 1
    assert "either --points" in result.stderr


def test_schreger_truncated_jpeg(cli: CliRunner, tmp_path: Path) -> None:
    ok, buf = cv2.imencode(".jpg", generate_section(100.0, size_px=256).rgb)
    assert ok
    bad = tmp_path / "cut.jpg"
    bad.write_bytes(buf.tobytes()[: len(buf) // 2])
    result = cli.invoke(main, ["schreger", str(bad)])
    assert result.exit_code == 1
    assert "error [invalid_image]" in result.stderr


def test_quality_batch_continues_after_bad_item(cli: CliRunner, tmp_path: Path) -> None:
    good = _write(tmp_path / "good.png", generate_section(100.0, size_px=400, noise_sigma=4).rgb)
    text = tmp_path / "notes.jpg"
    text.write_text("not an image")
    result = cli.invoke(main, ["quality", str(good), str(text), "--format", "json"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[0]["quality"]["verdict"] in {"pass", "warn"}
    assert lines[1]["error"]["code"] == "unsupported_media_type"


def test_quality_all_bad_exits_1(cli: CliRunner, tmp_path: Path) -> None:
    result = cli.invoke(main, ["quality", str(tmp_path / "missing.jpg")])
    assert result.exit_code == 1
    assert "error [not_found]" in result.stderr


def test_quality_table_on_demo_photo(cli: CliRunner) -> None:
    if not DEMO_PHOTO.is_file():
        pytest.skip(f"demo photo {DEMO_PHOTO} not present (needs ../shared)")
    result = cli.invoke(main, ["quality", str(DEMO_PHOTO)])
    assert result.exit_code == 0, result.output
    assert ": pass" in result.stdout
    assert "sharpness" in result.stdout


def test_help_has_examples(cli: CliRunner) -> None:
    for cmd in ("schreger", "quality"):
        result = cli.invoke(main, [cmd, "--help"])
        assert result.exit_code == 0
        assert "Example:" in result.stdout
