"""Automatic Schreger-angle measurement: section outline, outer annulus, two orientations.

Method (all OpenCV / NumPy):

1. Find the section: Otsu threshold of the blurred grey image (both polarities), largest
   blob, least-squares circle fit on its outline (points on the image border are ignored,
   so a section cut off by the frame still gives a centre). If no plausible round blob is
   found, the image centre is used and a warning says so.
2. Sample windows in the outer annulus (0.62..0.93 of the radius; the cementum edge and
   the inner angles are left out because only outer angles are diagnostic).
3. In each window, build a histogram of the local line orientation (gradient direction
   + 90 degrees, weighted by squared gradient magnitude) **relative to the local radial
   direction of each pixel**. A Schreger pattern gives two peaks at about +theta/2 and
   -theta/2; one family, plain texture or noise do not give two clear peaks and the
   window is rejected.
4. Of the two supplementary angles between the two orientations, keep the one whose
   bisector is the radial direction (the Espinoza & Mann outer angle). Windows whose
   bisector is far from radial are rejected (wrong centre, or not a Schreger pattern).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import cv2
import numpy as np

logger = logging.getLogger(__name__)

WORK_MAX_SIDE_PX = 900  # the image is downscaled to this long side before analysis
RING_FRAC = 0.78  # window centres, as a fraction of the radius
WINDOW_HALF_FRAC = 0.13  # window half-size as a fraction of the radius (0.65..0.91 R)
MIN_WINDOW_HALF_PX = 16
FFT_SIZE = 256  # zero-padded FFT: a finely sampled spectrum for sub-bin peak positions
MIN_CYCLES_PER_WINDOW = 2.5  # slower variations are shading, not lines
MAX_FREQ_CYCLES_PER_PX = 0.33  # faster ones are noise
MIN_PEAK_TO_FLOOR = 25.0  # a peak's power over the median power of the band
MIN_PEAK_SEPARATION_DEG = 12.0
MIN_SECOND_PEAK_RATIO = 0.04  # second peak's power / first peak's
CHEQUER_AXIS_TOL_DEG = 10.0
MAX_LINES_FREQ_RATIO = 1.8
MAX_BISECTOR_OFF_RADIAL_DEG = 15.0
OUTLIER_DEG = 25.0  # windows this far from the median angle are dropped
MIN_WINDOW_SHARE = 0.25  # fewer windows with a pattern than this share: no pattern


@dataclass(frozen=True)
class SectionOutline:
    """Where the cross-section is, in pixel coordinates of the input image."""

    center_xy: tuple[float, float]
    radius_px: float
    reliable: bool
    full_circle: bool
    note: str | None = None


@dataclass(frozen=True)
class WindowAngle:
    """The outer angle measured in one window (pixel coordinates of the input image)."""

    center_xy: tuple[float, float]
    radius_frac: float
    angle_deg: float
    bisector_deg: float  # bisector relative to the outward radial direction
    radial_deg: float  # direction of the outward radius at the window, image angle
    strength: float  # 0..1, how clear the two peaks are
    reading: str  # "lines" or "chequer", see _interpret
    half_px: float  # window half-size in input pixels


@dataclass(frozen=True)
class AutoAnalysis:
    """Everything the automatic mode found, before classification."""

    outline: SectionOutline
    windows: tuple[WindowAngle, ...]
    windows_tried: int
    warnings: tuple[str, ...]


def _to_gray(rgb: np.ndarray) -> tuple[np.ndarray, float]:
    if rgb.ndim == 2:
        gray = rgb
    elif rgb.ndim == 3 and rgb.shape[2] in (3, 4):
        gray = cv2.cvtColor(np.ascontiguousarray(rgb[..., :3]), cv2.COLOR_RGB2GRAY)
    else:
        raise ValueError(f"expected an HxW or HxWx3 image, got shape {rgb.shape}")
    scale = min(1.0, WORK_MAX_SIDE_PX / max(gray.shape[:2]))
    if scale < 1.0:
        gray = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return gray.astype(np.float32), scale


def _fit_circle(points: np.ndarray) -> tuple[float, float, float, float]:
    """Algebraic (Kasa) least-squares circle; returns cx, cy, r, rms residual."""
    x, y = points[:, 0].astype(np.float64), points[:, 1].astype(np.float64)
    a = np.column_stack([x, y, np.ones_like(x)])
    b = x * x + y * y
    sol, *_ = np.linalg.lstsq(a, b, rcond=None)
    cx, cy = sol[0] / 2, sol[1] / 2
    r = math.sqrt(max(sol[2] + cx * cx + cy * cy, 1e-9))
    rms = float(np.sqrt(np.mean((np.hypot(x - cx, y - cy) - r) ** 2)))
    return float(cx), float(cy), float(r), rms


def find_outline(gray: np.ndarray) -> SectionOutline:
    """Estimate the centre and radius of the section in a grey image (working scale)."""
    h, w = gray.shape
    fallback = SectionOutline(
        center_xy=(w / 2, h / 2),
        radius_px=min(h, w) / 2,
        reliable=False,
        full_circle=False,
        note="no round section outline found: the image centre is used as the tusk centre; "
        "crop the photo to the section on a plain background, or use manual mode",
    )
    small = cv2.GaussianBlur(gray, (0, 0), 3).astype(np.uint8)
    _, binary = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (9, 9))
    best: tuple[float, np.ndarray] | None = None
    for mask in (binary, 255 - binary):
        mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, kernel)
        mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel)
        contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
        if not contours:
            continue
        contour = max(contours, key=cv2.contourArea)
        area = cv2.contourArea(contour)
        if area < 0.04 * h * w:
            continue
        pts = contour.reshape(-1, 2)
        on_border = (
            (pts[:, 0] <= 1) | (pts[:, 1] <= 1) | (pts[:, 0] >= w - 2) | (pts[:, 1] >= h - 2)
        )
        score = area * (1.0 - on_border.mean())
        if best is None or score > best[0]:
            best = (score, pts[~on_border])
    if best is None or len(best[1]) < 30:
        return fallback
    cx, cy, r, rms = _fit_circle(best[1])
    if not (0.05 * min(h, w) < r < 2.0 * max(h, w)) or rms > 0.08 * r:
        return fallback
    full = cx - r >= -2 and cy - r >= -2 and cx + r <= w + 1 and cy + r <= h + 1
    note = None if full else "the section runs off the image: centre extrapolated from its edge"
    return SectionOutline((cx, cy), r, reliable=True, full_circle=full, note=note)


@dataclass(frozen=True)
class _Peak:
    fx: float  # cycles per pixel, image x
    fy: float  # cycles per pixel, image y (down)
    power: float


def _spectral_peaks(patch: np.ndarray, taper: np.ndarray, half: int) -> list[_Peak] | None:
    """The two strongest non-collinear peaks of the window's power spectrum.

    Returns None when the spectrum has no two clear peaks (no pattern, one family only).
    """
    weights = taper.sum()
    centred = (patch - float((patch * taper).sum() / weights)) * taper
    power = np.fft.fftshift(np.abs(np.fft.fft2(centred, s=(FFT_SIZE, FFT_SIZE))) ** 2)
    power = power.astype(np.float32)
    idx = np.arange(FFT_SIZE) - FFT_SIZE // 2
    fy, fx = np.meshgrid(idx / FFT_SIZE, idx / FFT_SIZE, indexing="ij")
    freq = np.hypot(fx, fy)
    f_min = MIN_CYCLES_PER_WINDOW / (2 * half + 1)
    band = (freq >= f_min) & (freq <= MAX_FREQ_CYCLES_PER_PX) & (fy >= 0)
    if not band.any():
        return None
    floor = float(np.median(power[band]))
    if floor <= 0:
        return None
    local_max = power >= cv2.dilate(power, np.ones((5, 5), np.uint8))
    ys, xs = np.nonzero(local_max & band)
    if len(ys) < 2:
        return None
    order = np.argsort(-power[ys, xs])[:16]
    candidates = [(int(ys[i]), int(xs[i])) for i in order]

    def refine(y: int, x: int) -> _Peak:
        def offset(lo: float, mid: float, hi: float) -> float:
            den = lo - 2 * mid + hi
            return 0.0 if den >= 0 else float(np.clip(0.5 * (lo - hi) / den, -0.5, 0.5))

        if not (0 < y < FFT_SIZE - 1 and 0 < x < FFT_SIZE - 1):
            return _Peak(fx[y, x], fy[y, x], float(power[y, x]))
        lp = np.log(power[y - 1 : y + 2, x - 1 : x + 2] + 1e-12)
        dy = offset(lp[0, 1], lp[1, 1], lp[2, 1])
        dx = offset(lp[1, 0], lp[1, 1], lp[1, 2])
        return _Peak(
            float((x - FFT_SIZE // 2 + dx) / FFT_SIZE),
            float((y - FFT_SIZE // 2 + dy) / FFT_SIZE),
            float(power[y, x]),
        )

    first = refine(*candidates[0])
    if first.power < MIN_PEAK_TO_FLOOR * floor:
        return None
    first_deg = math.degrees(math.atan2(first.fy, first.fx))
    for y, x in candidates[1:]:
        cand = refine(y, x)
        diff = abs(math.degrees(math.atan2(cand.fy, cand.fx)) - first_deg) % 180.0
        if min(diff, 180.0 - diff) < MIN_PEAK_SEPARATION_DEG:
            continue  # a harmonic or a side lobe of the first peak
        if cand.power < MIN_SECOND_PEAK_RATIO * first.power:
            return None
        if cand.power < MIN_PEAK_TO_FLOOR * floor:
            return None
        return [first, cand]
    return None


def _interpret(peaks: list[_Peak], radial_rad: float) -> tuple[float, float, str] | None:
    """Turn two spectral peaks into (outer angle, bisector offset, interpretation).

    Two readings of the same spectrum are possible and they exclude each other:

    * ``lines``: each peak is the wave vector of one family (families of bands or thin
      lines); the families run perpendicular to the peaks and must be bisected by the
      radius.
    * ``chequer``: a chequerboard of rhombs has its fundamental peaks along the rhombs'
      diagonals, which for a Schreger pattern are the radial and tangential directions;
      the families (the rhomb edges) then make +/- theta/2 with the radius, where
      tan(theta/2) = radial frequency / tangential frequency.
    """
    ur = (math.cos(radial_rad), math.sin(radial_rad))
    ut = (-ur[1], ur[0])
    comps = []
    for pk in peaks:
        along_r = pk.fx * ur[0] + pk.fy * ur[1]
        along_t = pk.fx * ut[0] + pk.fy * ut[1]
        comps.append((along_r, along_t, math.degrees(math.atan2(along_t, along_r))))
    # chequer reading: one peak radial, the other tangential
    rel = [((c[2] + 90.0) % 180.0) - 90.0 for c in comps]  # wave vector vs radial, -90..90
    radial_i = min(range(2), key=lambda i: abs(rel[i]))
    tangential_i = 1 - radial_i
    off_r = abs(rel[radial_i])
    off_t = 90.0 - abs(rel[tangential_i])
    if off_r <= CHEQUER_AXIS_TOL_DEG and off_t <= CHEQUER_AXIS_TOL_DEG:
        f_rad = math.hypot(*comps[radial_i][:2])
        f_tan = math.hypot(*comps[tangential_i][:2])
        angle = 2.0 * math.degrees(math.atan2(f_rad, f_tan))
        return angle, rel[radial_i], "chequer"
    # lines reading: families perpendicular to the wave vectors
    mags = [math.hypot(c[0], c[1]) for c in comps]
    if max(mags) > MAX_LINES_FREQ_RATIO * min(mags):
        return None
    angle, bisector = radial_angle(rel[0] + 90.0, rel[1] + 90.0)
    return angle, bisector, "lines"


def radial_angle(d1_deg: float, d2_deg: float) -> tuple[float, float]:
    """The angle between two line orientations that is bisected by the radius.

    Args:
        d1_deg: orientation of the first family relative to the radial direction (any
            value; lines are undirected, so it is taken modulo 180).
        d2_deg: orientation of the second family relative to the radial direction.

    Returns:
        ``(angle_deg, bisector_deg)``: the angle (0..180) whose bisector is closest to the
        radial direction, and that bisector's offset from radial in (-45, 45].
    """
    a = (d1_deg + 90.0) % 180.0 - 90.0
    b = (d2_deg + 90.0) % 180.0 - 90.0
    angle = abs(a - b)
    bisector = (a + b) / 2.0
    if abs(bisector) > 45.0:
        angle = 180.0 - angle
        bisector = bisector - math.copysign(90.0, bisector)
    return angle, bisector


def analyse_auto(
    rgb: np.ndarray,
    *,
    center_xy: tuple[float, float] | None = None,
    radius_px: float | None = None,
) -> AutoAnalysis:
    """Measure outer Schreger angles automatically.

    Args:
        rgb: the photo, uint8 HxWx3 (RGB) or HxW grey.
        center_xy: the tusk centre in input pixels, if known (skips outline finding).
        radius_px: the section radius in input pixels, if known (needs ``center_xy``).

    Returns:
        An :class:`AutoAnalysis`; its ``windows`` may be empty (no pattern found).

    Raises:
        ValueError: if the image array has the wrong shape.
    """
    gray, scale = _to_gray(rgb)
    h, w = gray.shape
    warnings: list[str] = []
    if center_xy is not None and radius_px is not None:
        outline = SectionOutline(
            (center_xy[0] * scale, center_xy[1] * scale), radius_px * scale, True, True, None
        )
    else:
        outline = find_outline(gray)
    if outline.note:
        warnings.append(outline.note)
        logger.warning("schreger: %s", outline.note)
    cx, cy = outline.center_xy
    radius = outline.radius_px

    half = max(MIN_WINDOW_HALF_PX, round(WINDOW_HALF_FRAC * radius))
    yy, xx = np.mgrid[-half : half + 1, -half : half + 1].astype(np.float64)
    rho = np.hypot(xx, yy) / half
    taper = np.where(rho < 1.0, np.cos(0.5 * np.pi * rho) ** 2, 0.0)
    rr = RING_FRAC * radius
    n_win = max(8, int(2 * math.pi * rr / half))  # windows overlap by about half
    windows: list[WindowAngle] = []
    tried = 0
    for i in range(n_win):
        theta = 2 * math.pi * i / n_win
        wx, wy = cx + rr * math.cos(theta), cy + rr * math.sin(theta)
        x0, y0 = round(wx) - half, round(wy) - half
        if x0 < 0 or y0 < 0 or x0 + 2 * half + 1 > w or y0 + 2 * half + 1 > h:
            continue
        tried += 1
        patch = gray[y0 : y0 + 2 * half + 1, x0 : x0 + 2 * half + 1].astype(np.float64)
        peaks = _spectral_peaks(patch, taper, half)
        if peaks is None:
            continue
        found = _interpret(peaks, theta)
        if found is None:
            continue
        angle, bisector, reading = found
        if abs(bisector) > MAX_BISECTOR_OFF_RADIAL_DEG:
            continue
        strength = min(1.0, peaks[1].power / peaks[0].power) ** 0.5
        windows.append(
            WindowAngle(
                center_xy=(wx / scale, wy / scale),
                radius_frac=RING_FRAC,
                angle_deg=angle,
                bisector_deg=bisector,
                radial_deg=math.degrees(theta),
                strength=strength,
                reading=reading,
                half_px=half / scale,
            )
        )
    if windows:
        median = float(np.median([win.angle_deg for win in windows]))
        kept = [win for win in windows if abs(win.angle_deg - median) <= OUTLIER_DEG]
        dropped = len(windows) - len(kept)
        if dropped:
            warnings.append(
                f"{dropped} window(s) more than {OUTLIER_DEG:.0f} deg from the median "
                "angle were left out"
            )
        windows = kept
    if tried and windows and len(windows) < MIN_WINDOW_SHARE * tried:
        warnings.append(
            f"a two-family pattern was found in only {len(windows)} of {tried} windows: "
            "not a consistent Schreger pattern"
        )
        windows = []
    return AutoAnalysis(
        outline=SectionOutline(
            (cx / scale, cy / scale),
            radius / scale,
            outline.reliable,
            outline.full_circle,
            outline.note,
        ),
        windows=tuple(windows),
        windows_tried=tried,
        warnings=tuple(warnings),
    )
