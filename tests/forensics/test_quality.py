"""Photo quality checks on a demo photo and synthetic degradations of it."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from idtool.forensics.quality import THRESHOLDS, QualityThresholds, assess_decoded, assess_quality
from idtool.model.preprocess import PreprocessConfig, decode_image

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
DEMO = SHARED / "data" / "reference_demo"
PHOTOS = [
    DEMO / "material_ivory_or_bone" / "material_ivory_or_bone_009.jpg",
    DEMO / "Phelsuma_grandis" / "Phelsuma_grandis_005.jpg",
]
FIT = PreprocessConfig(
    input_size=224, interpolation="bicubic", crop_pct=0.875, mean=(0.5,) * 3, std=(0.5,) * 3
)


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


def _phone_jpeg(rgb: np.ndarray, blur_sigma: float = 0.0) -> bytes:
    """``rgb`` enlarged to a real-size 12 MP JPEG (4,032 x 3,024), optionally blurred."""
    big = cv2.resize(rgb, (4032, 3024), interpolation=cv2.INTER_CUBIC)
    big = cv2.addWeighted(big, 1.6, cv2.GaussianBlur(big, (0, 0), 2.0), -0.6, 0)
    if blur_sigma:
        big = cv2.GaussianBlur(big, (0, 0), blur_sigma)
    ok, data = cv2.imencode(".jpg", cv2.cvtColor(big, cv2.COLOR_RGB2BGR))
    assert ok
    return data.tobytes()


def test_working_image_of_a_phone_photo(photo: np.ndarray) -> None:
    """The checks on the reduced working image: original size reported, blur still caught."""
    sharp = decode_image(_phone_jpeg(photo), fit=FIT)
    assert min(sharp.rgb.shape[:2]) == FIT.resize_px
    report = assess_decoded(sharp)
    assert (report.width_px, report.height_px) == (4032, 3024)
    assert report.check("resolution").value == 3024
    assert report.check("resolution").verdict == "pass"
    assert report.check("sharpness").verdict == "pass"
    blurred = decode_image(_phone_jpeg(photo, blur_sigma=0.01 * 4032), fit=FIT)
    assert assess_decoded(blurred).check("sharpness").verdict == "warn"


def test_full_and_working_paths_measure_at_the_same_scale(photo: np.ndarray) -> None:
    data = _phone_jpeg(photo)
    full = assess_decoded(decode_image(data))
    working = assess_decoded(decode_image(data, fit=FIT))
    assert full.width_px == working.width_px == 4032
    for name in ("sharpness", "exposure_dark", "object_fills_frame"):
        a, b = full.check(name).value, working.check(name).value
        assert abs(a - b) <= 0.25 * max(abs(a), abs(b)), name
