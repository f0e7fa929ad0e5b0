"""Photo quality checks: sharpness, exposure, resolution, object size in the frame.

Every identification carries the :class:`QualityReport` of its photo. A photo that fails
a check lowers the decision to ``uncertain`` (``lowers_confidence``) instead of letting the
model give a confident answer on a blurry, dark or distant shot.

Thresholds live in :data:`THRESHOLDS`. They were calibrated with
``benchmarks/calibrate_quality.py`` on the 242 demo photos in
``shared/data/reference_demo`` (all accepted as good photos) and on synthetic degradations
of them: Gaussian blur (sigma = 1 % of the long side), darkening (x0.25, gamma 1.6),
over-exposure (x2.2 + 40) and the object shrunk to a quarter of the width on a plain
background. Each threshold sits between the demo distribution and the degraded one; the
script prints the pass/warn rates it gives (see docs/forensics.md for the figures).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from idtool.i18n import gettext as _
from idtool.model.preprocess import DecodedImage

# Photos are measured at one scale: short side 256 px (long side at most 768 px). That is
# the working image identify and batch decode for the shipped model (see
# idtool.model.preprocess), so there the checks cost no extra resize; full-size photos are
# area-downscaled to the same scale, so the thresholds mean the same on both paths.
WORK_SHORT_SIDE_PX = 256
WORK_MAX_LONG_SIDE_PX = 768


@dataclass(frozen=True)
class QualityThresholds:
    """Where each check switches from pass to warn (see the module docstring)."""

    min_sharpness: float = 0.012  # Laplacian energy / gradient energy, see _sharpness
    max_dark_fraction: float = 0.55  # share of pixels at luminance <= 12
    min_mean_luminance: float = 45.0  # 0..255
    max_bright_fraction: float = 0.20  # share of pixels at luminance >= 250
    min_short_side_px: int = 200
    min_fill_fraction: float = 0.45  # larger side of the object's box / frame side


THRESHOLDS = QualityThresholds()


@dataclass(frozen=True)
class QualityCheck:
    """One check: its measured value, the threshold, the verdict and what to do."""

    name: str
    value: float
    threshold: float
    verdict: str  # "pass" or "warn"
    advice: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": round(self.value, 4),
            "threshold": self.threshold,
            "verdict": self.verdict,
            "advice": self.advice,
        }


@dataclass(frozen=True)
class QualityReport:
    """The quality block of an identification."""

    checks: tuple[QualityCheck, ...]
    verdict: str  # "pass" if every check passes, else "warn"
    lowers_confidence: bool
    width_px: int
    height_px: int

    @property
    def advice(self) -> tuple[str, ...]:
        return tuple(c.advice for c in self.checks if c.verdict == "warn" and c.advice)

    def check(self, name: str) -> QualityCheck:
        for c in self.checks:
            if c.name == name:
                return c
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "lowers_confidence": self.lowers_confidence,
            "width_px": self.width_px,
            "height_px": self.height_px,
            "checks": [c.to_dict() for c in self.checks],
            "advice": list(self.advice),
        }


@dataclass(frozen=True)
class QualityMetrics:
    """The raw measurements, before thresholds (used by the calibration script)."""

    sharpness: float
    dark_fraction: float
    bright_fraction: float
    mean_luminance: float
    short_side_px: int
    fill_fraction: float


def work_luminance(rgb: np.ndarray) -> np.ndarray:
    """Luminance as uint8, downscaled to :data:`WORK_LONG_SIDE_PX` on the long side."""
    if rgb.ndim == 2:
        gray = rgb
    elif rgb.ndim == 3 and rgb.shape[2] in (3, 4):
        gray = cv2.cvtColor(np.ascontiguousarray(rgb[..., :3]), cv2.COLOR_RGB2GRAY)
    else:
        raise ValueError(f"expected an HxW or HxWx3 image, got shape {rgb.shape}")
    if gray.dtype != np.uint8:
        gray = np.clip(gray, 0, 255).astype(np.uint8)
    scale = min(
        WORK_SHORT_SIDE_PX / min(gray.shape[:2]), WORK_MAX_LONG_SIDE_PX / max(gray.shape[:2])
    )
    if scale < 1.0:
        gray = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return gray


def _sharpness(gray: np.ndarray) -> float:
    """Laplacian energy over gradient energy, on the textured part of the image.

    The plain variance of the Laplacian also grows with contrast and texture; dividing by
    the gradient energy leaves a number that mostly depends on how sharp edges are (blur
    removes high frequencies faster than mid ones), so one threshold suits a tiger and an
    ivory carving alike.
    """
    g = gray.astype(np.float32)
    lap = cv2.Laplacian(g, cv2.CV_32F, ksize=1)
    gx = cv2.Sobel(g, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(g, cv2.CV_32F, 0, 1, ksize=3)
    grad2 = gx * gx + gy * gy
    # the strongest-gradient 20 % of pixels: the edges, not the flat background
    cut = float(np.percentile(grad2, 80))
    mask = grad2 >= max(cut, 1e-6)
    if not mask.any():
        return 0.0
    return float((lap[mask] ** 2).sum() / (grad2[mask].sum() + 1e-6))


def object_box(gray: np.ndarray) -> tuple[int, int, int, int] | None:
    """The framing step: the box holding the central 90 % of the edge energy.

    Args:
        gray: uint8 HxW luminance (any size; :func:`work_luminance` gives the usual one).

    Returns:
        ``(left, top, right, bottom)`` in ``gray``'s pixels (right/bottom exclusive), or
        None for a photo with no edges at all.
    """
    g = cv2.GaussianBlur(gray, (0, 0), 1.0).astype(np.float32)
    gx = cv2.Sobel(g, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(g, cv2.CV_32F, 0, 1, ksize=3)
    energy = np.sqrt(gx * gx + gy * gy)
    energy[energy < 0.1 * float(energy.max()) + 1e-6] = 0.0  # ignore sensor noise
    total = float(energy.sum())
    if total <= 0:
        return None

    def span(profile: np.ndarray) -> tuple[int, int]:
        cdf = np.cumsum(profile) / total
        return int(np.searchsorted(cdf, 0.05)), int(np.searchsorted(cdf, 0.95)) + 1

    left, right = span(energy.sum(axis=0))
    top, bottom = span(energy.sum(axis=1))
    return left, top, min(right, gray.shape[1]), min(bottom, gray.shape[0])


def _fill_fraction(gray: np.ndarray) -> float:
    """How far the object extends across the frame: the larger of the width and height
    shares of :func:`object_box` (0..1).

    The larger side, not the area, so a tall thin carving that spans the frame's height
    is not sent back as "too small".
    """
    box = object_box(gray)
    if box is None:
        return 0.0
    left, top, right, bottom = box
    return max((right - left) / gray.shape[1], (bottom - top) / gray.shape[0])


def measure_metrics(
    rgb: np.ndarray, original_size_px: tuple[int, int] | None = None
) -> QualityMetrics:
    """Compute the raw quality measurements of a photo (no thresholds).

    Args:
        rgb: uint8 HxWx3 RGB (or HxW grey), full size or a downscaled working image.
        original_size_px: (width, height) of the original photo when ``rgb`` is a
            downscaled copy; the resolution check uses it.

    Returns:
        A :class:`QualityMetrics`.

    Raises:
        ValueError: if the array has the wrong shape.
    """
    gray = work_luminance(rgb)
    n = gray.size
    hist = np.bincount(gray.ravel(), minlength=256)
    return QualityMetrics(
        sharpness=_sharpness(gray),
        dark_fraction=float(hist[:13].sum() / n),
        bright_fraction=float(hist[250:].sum() / n),
        mean_luminance=float(gray.mean()),
        short_side_px=int(min(original_size_px) if original_size_px else min(rgb.shape[:2])),
        fill_fraction=_fill_fraction(gray),
    )


def _check(name: str, value: float, threshold: float, ok: bool, advice: str) -> QualityCheck:
    return QualityCheck(name, value, threshold, "pass" if ok else "warn", None if ok else advice)


def assess_quality(
    rgb: np.ndarray,
    thresholds: QualityThresholds = THRESHOLDS,
    *,
    original_size_px: tuple[int, int] | None = None,
) -> QualityReport:
    """Check a photo's sharpness, exposure, resolution and how much the object fills it.

    Args:
        rgb: the photo, uint8 HxWx3 RGB with EXIF orientation applied (full size, or the
            working image of :func:`idtool.model.preprocess.decode_image` with ``fit=``).
        thresholds: the pass/warn limits (default :data:`THRESHOLDS`).
        original_size_px: (width, height) of the original photo when ``rgb`` is a
            downscaled copy: the resolution check and the reported size use it.

    Returns:
        A :class:`QualityReport`. ``lowers_confidence`` is True when any check warns:
        the caller should then report ``uncertain`` rather than ``identified``.

    Raises:
        ValueError: if the array has the wrong shape.
    """
    m = measure_metrics(rgb, original_size_px)
    t = thresholds
    underexposed = m.mean_luminance < t.min_mean_luminance or (
        m.dark_fraction > t.max_dark_fraction and m.mean_luminance < 2 * t.min_mean_luminance
    )
    checks = (
        _check(
            "sharpness",
            m.sharpness,
            t.min_sharpness,
            m.sharpness >= t.min_sharpness,
            _("the photo is blurred: hold steady, tap to focus on the object, and retake"),
        ),
        _check(
            "exposure_dark",
            m.mean_luminance,
            t.min_mean_luminance,
            not underexposed,
            _("the photo is too dark: add light or move to a brighter place (avoid flash glare)"),
        ),
        _check(
            "exposure_bright",
            m.bright_fraction,
            t.max_bright_fraction,
            m.bright_fraction <= t.max_bright_fraction,
            _(
                "highlights are blown out: reduce the light, avoid direct flash or glare, or "
                "tap on the object to expose for it"
            ),
        ),
        _check(
            "resolution",
            float(m.short_side_px),
            float(t.min_short_side_px),
            m.short_side_px >= t.min_short_side_px,
            _("the photo is too small: send the original photo, not a thumbnail or screenshot"),
        ),
        _check(
            "object_fills_frame",
            m.fill_fraction,
            t.min_fill_fraction,
            m.fill_fraction >= t.min_fill_fraction,
            _("the object is small in the frame: move closer so it fills most of the photo"),
        ),
    )
    warn = any(c.verdict == "warn" for c in checks)
    return QualityReport(
        checks=checks,
        verdict="warn" if warn else "pass",
        lowers_confidence=warn,
        width_px=int(original_size_px[0] if original_size_px else rgb.shape[1]),
        height_px=int(original_size_px[1] if original_size_px else rgb.shape[0]),
    )


def assess_decoded(
    image: DecodedImage, thresholds: QualityThresholds = THRESHOLDS
) -> QualityReport:
    """:func:`assess_quality` of a decoded photo, full size or working image alike."""
    return assess_quality(image.rgb, thresholds, original_size_px=image.original_size_px)
