"""Schreger angles: synthetic ground truth, degenerate images, manual points files."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from idtool.errors import BadField
from idtool.forensics.schreger import (
    MIN_ANGLES,
    AngleMeasurement,
    angles_from_points,
    classify,
    draw_annotations,
    measure_auto,
    measure_schreger,
    read_points,
)
from idtool.forensics.schreger_auto import radial_angle
from idtool.forensics.synthetic_schreger import generate_section

TOLERANCE_DEG = 5.0


@pytest.mark.parametrize(
    ("angle", "expected"), [(60.0, "mammoth"), (100.0, "indeterminate"), (130.0, "elephant")]
)
@pytest.mark.parametrize(
    ("style", "rotation", "blur", "noise", "seed"),
    [("chequer", 0.0, 0.0, 0.0, 1), ("chequer", 37.0, 1.5, 12.0, 2), ("lines", 211.0, 1.0, 8.0, 3)],
)
def test_auto_recovers_known_angle(
    angle: float, expected: str, style: str, rotation: float, blur: float, noise: float, seed: int
) -> None:
    # the inner angle differs on purpose: only the outer angle may be measured
    section = generate_section(
        angle,
        style=style,  # type: ignore[arg-type]
        rotation_deg=rotation,
        blur_sigma_px=blur,
        noise_sigma=noise,
        inner_angle_deg=180.0 - angle,
        waviness_rad=0.8,
        center_offset_frac=(0.03, -0.02),
        seed=seed,
    )
    result = measure_schreger(section.rgb)
    assert result.method == "auto"
    assert result.n >= MIN_ANGLES
    assert result.mean_deg is not None
    assert abs(result.mean_deg - angle) <= TOLERANCE_DEG, result.mean_deg
    assert result.classification == expected == section.expected_class


def test_supplementary_angle_is_not_confused() -> None:
    """60 and 120 degrees use the same two line orientations, swapped radial/tangential."""
    acute = measure_auto(generate_section(60.0, seed=5).rgb)
    obtuse = measure_auto(generate_section(120.0, seed=5).rgb)
    assert abs(np.mean([m.angle_deg for m in acute]) - 60.0) <= TOLERANCE_DEG
    assert abs(np.mean([m.angle_deg for m in obtuse]) - 120.0) <= TOLERANCE_DEG


def test_radial_angle_picks_the_angle_bisected_by_the_radius() -> None:
    assert radial_angle(65.0, -65.0) == pytest.approx((130.0, 0.0))
    assert radial_angle(30.0, 150.0) == pytest.approx((60.0, 0.0))  # 150 == -30 mod 180
    angle, bisector = radial_angle(85.0, 89.0)  # both near the tangent
    assert angle == pytest.approx(176.0)
    assert abs(bisector) < 5.0


@pytest.mark.parametrize("style", ["none", "one_family"])
def test_degenerate_sections_are_refused(style: str) -> None:
    section = generate_section(110.0, style=style, noise_sigma=10.0, seed=7)  # type: ignore[arg-type]
    result = measure_schreger(section.rgb)
    assert result.classification == "refused"
    assert "no Schreger pattern" in result.reason


def test_noise_image_is_refused() -> None:
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 256, (400, 500, 3), dtype=np.uint8)
    result = measure_schreger(noise)
    assert result.classification == "refused"


def test_plain_grey_image_is_refused_with_fallback_warning() -> None:
    result = measure_schreger(np.full((300, 300, 3), 128, np.uint8))
    assert result.classification == "refused"
    assert any("image centre" in w for w in result.warnings)


def test_annotated_image_is_written(tmp_path: Path) -> None:
    section = generate_section(124.0, seed=11)
    out = tmp_path / "sub" / "a.png"
    result = measure_schreger(section.rgb, annotated_path=out)
    assert result.annotated_image_path == out
    img = cv2.imread(str(out))
    assert img is not None and img.shape[:2] == section.rgb.shape[:2]
    assert not np.array_equal(cv2.cvtColor(img, cv2.COLOR_BGR2RGB), section.rgb)


def test_angles_from_points_geometry() -> None:
    triples = [
        ((0, 0), (10, 0), (0, 10)),  # 90
        ((5, 5), (15, 5), (5 + 10 * np.cos(np.radians(124)), 5 + 10 * np.sin(np.radians(124)))),
        ((0, 0), (10, 0), (-10, 10)),  # 135
    ]
    angles = [m.angle_deg for m in angles_from_points(triples)]
    assert angles == pytest.approx([90.0, 124.0, 135.0])


def test_angles_from_points_rejects_degenerate_arm() -> None:
    with pytest.raises(BadField, match="differ from the vertex"):
        angles_from_points([((1, 1), (1, 1), (2, 2))])


def _measurements(angles: list[float]) -> list[AngleMeasurement]:
    return [AngleMeasurement(a, (0.0, 0.0), ((1.0, 0.0), (0.0, 1.0)), "manual") for a in angles]


@pytest.mark.parametrize(
    ("angles", "expected"),
    [
        ([70, 75, 80, 72, 68], "mammoth"),
        ([120, 130, 125, 118, 128], "elephant"),
        ([100, 105, 110, 95, 98], "indeterminate"),
        ([89.0] * 5, "mammoth"),
        ([115.0] * 5, "indeterminate"),
        ([120, 130, 125, 118], "refused"),
    ],
)
def test_classify_rule(angles: list[float], expected: str) -> None:
    result = classify(_measurements(angles))
    assert result.classification == expected
    assert result.n == len(angles)
    assert "Espinoza" in result.reference
    if expected == "refused":
        assert f"at least {MIN_ANGLES}" in result.reason


def test_classify_ignores_inner_angles() -> None:
    ms = _measurements([125, 126, 127, 128, 129])
    inner = AngleMeasurement(40.0, (0.0, 0.0), ((1.0, 0.0), (0.0, 1.0)), "manual", region="inner")
    result = classify([*ms, inner])
    assert result.n == 5
    assert result.classification == "elephant"
    assert len(result.measurements) == 6


def test_result_to_dict_is_json_serialisable(tmp_path: Path) -> None:
    result = classify(_measurements([120, 130, 125, 118, 128]))
    data = json.loads(json.dumps(result.to_dict()))
    assert data["classification"] == "elephant"
    assert data["mean_deg"] == pytest.approx(124.2)
    assert len(data["measurements"]) == 5
    draw_annotations(np.zeros((50, 60, 3), np.uint8), result.measurements, tmp_path / "x.png")
    assert (tmp_path / "x.png").is_file()


def _section_triples(angle: float, n: int, radius_frac: float) -> tuple[np.ndarray, list]:
    section = generate_section(angle, seed=3)
    cx, cy = section.center_xy
    triples = []
    for k in range(n):
        t = 2 * np.pi * k / n
        vx, vy = (
            cx + radius_frac * section.radius_px * np.cos(t),
            cy + radius_frac * section.radius_px * np.sin(t),
        )
        arms = [
            (
                vx + 20 * np.cos(t + s * np.radians(angle / 2)),
                vy + 20 * np.sin(t + s * np.radians(angle / 2)),
            )
            for s in (1, -1)
        ]
        triples.append(((vx, vy), arms[0], arms[1]))
    return section.rgb, triples


def test_manual_mode_on_section_tags_outer_angles() -> None:
    rgb, triples = _section_triples(74.0, 6, 0.85)
    result = measure_schreger(rgb, triples=triples)
    assert result.method == "manual"
    assert result.mean_deg == pytest.approx(74.0, abs=0.01)
    assert result.classification == "mammoth"
    assert all(m.region == "outer" for m in result.measurements)


def test_manual_mode_leaves_out_inner_angles() -> None:
    rgb, outer = _section_triples(124.0, 5, 0.85)
    _, inner = _section_triples(60.0, 3, 0.3)
    result = measure_schreger(rgb, triples=outer + inner)
    assert result.n == 5
    assert result.classification == "elephant"
    assert any("inner angles" in w for w in result.warnings)


def test_load_points_json_and_csv(tmp_path: Path) -> None:
    js = tmp_path / "p.json"
    js.write_text(json.dumps([{"vertex": [0, 0], "a": [10, 0], "b": [0, 10]}]))
    assert read_points(js) == [((0.0, 0.0), (10.0, 0.0), (0.0, 10.0))]
    wrapped = tmp_path / "w.json"
    wrapped.write_text(json.dumps({"angles": [{"vertex": [1, 2], "a": [3, 4], "b": [5, 6]}]}))
    assert len(read_points(wrapped)) == 1
    cs = tmp_path / "p.csv"
    cs.write_text("vx,vy,ax,ay,bx,by\n0,0,10,0,0,10\n1,1,2,1,1,2\n")
    assert len(read_points(cs)) == 2


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.json", "", "is empty"),
        ("bad.json", "[{", "not valid JSON"),
        ("obj.json", '{"x": 1}', "list of"),
        ("keys.json", '[{"vertex": [0, 0], "a": [1, 0]}]', "keys vertex, a, b"),
        ("point.json", '[{"vertex": [0], "a": [1, 0], "b": [0, 1]}]', "pair of numbers"),
        ("text.json", '[{"vertex": ["x", 0], "a": [1, 0], "b": [0, 1]}]', "pair of numbers"),
        ("none.json", "[]", "no angle measurements"),
        ("header.csv", "x,y\n1,2\n", "header columns"),
        ("value.csv", "vx,vy,ax,ay,bx,by\n0,0,a,0,0,1\n", "line 2"),
        ("nan.csv", "vx,vy,ax,ay,bx,by\n0,0,nan,0,0,1\n", "finite"),
    ],
)
def test_load_points_bad_files(tmp_path: Path, name: str, content: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(BadField, match=message):
        read_points(path)


def test_load_points_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x80\x81")
    with pytest.raises(BadField, match="cannot read"):
        read_points(path)


def test_load_points_missing_file(tmp_path: Path) -> None:
    with pytest.raises(BadField, match="cannot read"):
        read_points(tmp_path / "missing.json")


@pytest.mark.parametrize("angle", [136.0, 148.0])
@pytest.mark.parametrize("spacing", [26.0, 29.0, 32.0])
def test_clear_wide_angle_patterns_are_not_refused(angle: float, spacing: float) -> None:
    """Issue 13: chequer sections with elephant-range angles and coarse lines were refused."""
    section = generate_section(
        angle, size_px=640, spacing_px=spacing, blur_sigma_px=2.0, noise_sigma=0.1, seed=1
    )
    result = measure_schreger(section.rgb)
    assert result.classification == "elephant", result.to_dict()
    assert result.mean_deg is not None and abs(result.mean_deg - angle) <= 6.0


@pytest.mark.parametrize(
    ("size", "spacing", "angle"),
    [
        (400, 10.0, 40.0),
        (400, 40.0, 150.0),
        (2000, 10.0, 125.0),
        (2000, 40.0, 60.0),
        (1200, 22.0, 155.0),
    ],
)
def test_the_widened_range_of_sizes_and_spacings_is_measured(
    size: int, spacing: float, angle: float
) -> None:
    section = generate_section(
        angle, size_px=size, spacing_px=spacing, blur_sigma_px=1.0, noise_sigma=5.0, seed=4
    )
    result = measure_schreger(section.rgb)
    assert result.mean_deg is not None, result.to_dict()
    assert abs(result.mean_deg - angle) <= 8.0, result.mean_deg
    assert result.classification == section.expected_class


@pytest.mark.parametrize("size", [200, 640, 1500])
def test_flat_and_shaded_images_are_refused_at_every_scale(size: int) -> None:
    """The retries at larger windows and higher resolution must not find lines in nothing."""
    flat = np.full((size, size, 3), 90, np.uint8)
    ramp = np.linspace(40, 200, size, dtype=np.float32)
    shaded = np.repeat(np.add.outer(ramp, ramp)[..., None] / 2, 3, axis=2).astype(np.uint8)
    for image in (flat, shaded):
        assert measure_schreger(image).classification == "refused"
