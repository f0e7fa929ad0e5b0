"""Photo quality checks on a demo photo and synthetic degradations of it."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from idtool.forensics.quality import THRESHOLDS, QualityThresholds, assess_quality

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
DEMO = SHARED / "data" / "reference_demo"
PHOTOS = [
    DEMO / "material_ivory_or_bone" / "material_ivory_or_bone_009.jpg",
    DEMO / "Phelsuma_grandis" / "Phelsuma_grandis_005.jpg",
]


def _load(path: Path) -> np.ndarray:
    if not path.is_file():
        pytest.skip(f"demo photo {path} not present (needs ../shared)")
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert bgr is not None
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


@pytest.fixture(params=PHOTOS, ids=lambda p: p.stem)
def photo(request: pytest.FixtureRequest) -> np.ndarray:
    return _load(request.param)


def _warned(rgb: np.ndarray) -> set[str]:
    return {c.name for c in assess_quality(rgb).checks if c.verdict == "warn"}


def test_demo_photo_passes(photo: np.ndarray) -> None:
    report = assess_quality(photo)
    assert report.verdict == "pass", report.to_dict()
    assert not report.lowers_confidence
    assert report.advice == ()


def test_blurred_photo_warns_hold_steady(photo: np.ndarray) -> None:
    blurred = cv2.GaussianBlur(photo, (0, 0), 0.01 * max(photo.shape[:2]))
    report = assess_quality(blurred)
    assert "sharpness" in _warned(blurred)
    assert report.lowers_confidence
    assert any("hold steady" in a for a in report.advice)


def test_dark_photo_warns_add_light(photo: np.ndarray) -> None:
    dark = (photo.astype(np.float32) * 0.15).astype(np.uint8)
    report = assess_quality(dark)
    assert report.check("exposure_dark").verdict == "warn"
    assert any("add light" in a for a in report.advice)


def test_overexposed_photo_warns(photo: np.ndarray) -> None:
    bright = np.clip(photo.astype(np.float32) * 2.5 + 60, 0, 255).astype(np.uint8)
    report = assess_quality(bright)
    assert report.check("exposure_bright").verdict == "warn"


def test_small_object_warns_move_closer(photo: np.ndarray) -> None:
    h, w = photo.shape[:2]
    canvas = np.full_like(photo, 235)
    small = cv2.resize(photo, (w // 4, h // 4), interpolation=cv2.INTER_AREA)
    canvas[h // 3 : h // 3 + small.shape[0], w // 3 : w // 3 + small.shape[1]] = small
    report = assess_quality(canvas)
    assert report.check("object_fills_frame").verdict == "warn"
    assert any("move closer" in a for a in report.advice)


def test_thumbnail_warns_resolution(photo: np.ndarray) -> None:
    thumb = cv2.resize(photo, (120, 90), interpolation=cv2.INTER_AREA)
    report = assess_quality(thumb)
    assert report.check("resolution").verdict == "warn"
    assert report.check("resolution").value == 90


def test_report_shape_and_custom_thresholds(photo: np.ndarray) -> None:
    report = assess_quality(photo)
    data = json.loads(json.dumps(report.to_dict()))
    assert {c["name"] for c in data["checks"]} == {
        "sharpness",
        "exposure_dark",
        "exposure_bright",
        "resolution",
        "object_fills_frame",
    }
    for c in data["checks"]:
        assert c["verdict"] in {"pass", "warn"}
        assert (c["advice"] is None) == (c["verdict"] == "pass")
    strict = QualityThresholds(min_short_side_px=10_000)
    assert assess_quality(photo, strict).check("resolution").verdict == "warn"
    assert THRESHOLDS.min_short_side_px < 10_000


def test_grey_and_bad_shapes() -> None:
    grey = np.full((300, 400), 128, np.uint8)
    report = assess_quality(grey)
    assert report.check("sharpness").verdict == "warn"  # nothing in focus
    with pytest.raises(ValueError, match="expected"):
        assess_quality(np.zeros((10, 10, 2), np.uint8))
