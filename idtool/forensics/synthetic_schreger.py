"""Synthetic ivory cross-sections with a known Schreger angle (ground truth for tests).

Geometry. The section is a disc (centre C, radius R). Each family of Schreger lines is a
set of level curves of a phase

    psi_pm(r, phi) = N * (phi -/+ F(r)),   F(r) = integral of tan(theta(r) / 2) / r dr

so at every point the lines of family "+" make the angle +theta/2 with the local radial
direction and those of family "-" make -theta/2 (for a constant theta these are
logarithmic spirals). The angle between the two families that opens along the radius
(bisected by the radial direction) is therefore exactly ``theta`` at every point; the
supplementary angle ``180 - theta`` is the one bisected by the tangent.

``N`` is chosen so the spacing between neighbouring lines at the outer edge is
``spacing_px``. The angle may differ between the inner part (``inner_angle_deg``) and the
outer part of the section, as in real tusks, where only outer angles are diagnostic.

Styles: ``"chequer"`` (soft chequerboard of light and dark rhombs, the usual look of a
polished section), ``"lines"`` (two families of thin dark lines), ``"one_family"`` (only
the "+" family: a degenerate case that must be refused) and ``"none"`` (no pattern).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np

Style = Literal["chequer", "lines", "one_family", "none"]


@dataclass(frozen=True)
class SyntheticSection:
    """A generated image and its ground truth (pixel coordinates of the returned image)."""

    rgb: np.ndarray
    angle_deg: float
    center_xy: tuple[float, float]
    radius_px: float
    style: str
    seed: int

    @property
    def expected_class(self) -> str:
        """The class the Espinoza & Mann rule gives for the true angle."""
        if self.angle_deg < 90.0:
            return "mammoth"
        if self.angle_deg > 115.0:
            return "elephant"
        return "indeterminate"


def _phase_offset(
    r: np.ndarray, radius_px: float, angle_deg: float, inner_angle_deg: float
) -> np.ndarray:
    """F(r) = integral of tan(theta(r)/2)/r dr, theta going from inner to outer angle."""
    grid = np.linspace(0.02 * radius_px, 1.05 * radius_px, 2048)
    frac = grid / radius_px
    # smooth transition between 0.35 R and 0.6 R; constant outer angle beyond 0.6 R
    w = np.clip((frac - 0.35) / 0.25, 0.0, 1.0)
    w = w * w * (3 - 2 * w)
    theta = np.deg2rad(inner_angle_deg + (angle_deg - inner_angle_deg) * w)
    integrand = np.tan(theta / 2) / grid
    cumulative = np.concatenate(
        [[0.0], np.cumsum(0.5 * (integrand[1:] + integrand[:-1]) * np.diff(grid))]
    )
    return np.interp(r, grid, cumulative)


def generate_section(
    angle_deg: float,
    *,
    size_px: int = 512,
    radius_frac: float = 0.42,
    spacing_px: float = 14.0,
    inner_angle_deg: float | None = None,
    style: Style = "chequer",
    rotation_deg: float = 0.0,
    center_offset_frac: tuple[float, float] = (0.0, 0.0),
    blur_sigma_px: float = 0.0,
    noise_sigma: float = 0.0,
    contrast: float = 0.25,
    waviness_rad: float = 0.0,
    seed: int = 0,
) -> SyntheticSection:
    """Render a tusk cross-section whose outer Schreger angle is ``angle_deg``.

    Args:
        angle_deg: the true outer angle (opening along the radius), 10..170 degrees.
        size_px: the image is square, ``size_px`` on a side.
        radius_frac: disc radius as a fraction of ``size_px``.
        spacing_px: distance between neighbouring lines of one family at the outer edge.
        inner_angle_deg: angle inside 0.35 R (default: the same as ``angle_deg``).
        style: ``chequer``, ``lines``, ``one_family`` or ``none``.
        rotation_deg: the finished image is rotated by this much about its centre.
        center_offset_frac: shift of the disc centre as a fraction of ``size_px``.
        blur_sigma_px: Gaussian blur applied after rendering (0: none).
        noise_sigma: standard deviation of additive Gaussian noise, in 0..255 grey levels.
        contrast: amplitude of the pattern relative to the ivory colour.
        waviness_rad: amplitude of a smooth random phase field added to each family, so
            the lines wander as real ones do (0: perfect spirals). The mean angle is kept.
        seed: seeds the random phase, the texture and the noise.

    Returns:
        A :class:`SyntheticSection` with an RGB uint8 image and its ground truth.

    Raises:
        ValueError: if ``angle_deg`` is outside 10..170.
    """
    if not 10.0 <= angle_deg <= 170.0:
        raise ValueError(f"angle_deg must be within 10..170, got {angle_deg}")
    rng = np.random.default_rng(seed)
    inner = angle_deg if inner_angle_deg is None else inner_angle_deg
    radius = radius_frac * size_px
    cx = size_px / 2 + center_offset_frac[0] * size_px
    cy = size_px / 2 + center_offset_frac[1] * size_px

    yy, xx = np.mgrid[0:size_px, 0:size_px].astype(np.float64)
    dx, dy = xx + 0.5 - cx, yy + 0.5 - cy
    r = np.hypot(dx, dy)
    phi = np.arctan2(dy, dx)
    frac = r / radius

    n_lines = max(
        8, round(2 * math.pi * radius * math.cos(math.radians(angle_deg / 2)) / spacing_px)
    )
    offset = _phase_offset(np.maximum(r, 1e-3), radius, angle_deg, inner)
    phase0 = rng.uniform(0, 2 * math.pi, size=2)
    psi_plus = n_lines * (phi - offset) + phase0[0]
    psi_minus = n_lines * (phi + offset) + phase0[1]
    if waviness_rad > 0:
        for psi in (psi_plus, psi_minus):
            field = cv2.GaussianBlur(rng.normal(0, 1, (size_px, size_px)), (0, 0), size_px / 25)
            psi += waviness_rad * field / max(float(field.std()), 1e-9)

    if style == "chequer":
        gain = 2.5
        pattern = np.tanh(gain * np.cos(psi_plus)) * np.tanh(gain * np.cos(psi_minus))
        pattern /= math.tanh(gain) ** 2
    elif style == "lines":
        pattern = -(((1 + np.cos(psi_plus)) / 2) ** 6 + ((1 + np.cos(psi_minus)) / 2) ** 6) + 0.3
    elif style == "one_family":
        pattern = np.tanh(2.5 * np.cos(psi_plus)) / math.tanh(2.5)
    elif style == "none":
        pattern = np.zeros_like(r)
    else:
        raise ValueError(f"unknown style {style!r}")

    # the pattern fades out towards the pulp cavity (lines crowd there) and is absent in
    # the thin cementum layer at the edge, as in real sections
    fade = np.clip((frac - 0.2) / 0.15, 0.0, 1.0) * np.clip((0.965 - frac) / 0.015, 0.0, 1.0)
    texture = cv2.GaussianBlur(rng.normal(0, 1, (size_px, size_px)), (0, 0), 6) * 8.0

    ivory = np.array([228.0, 214.0, 182.0])  # cream
    cementum = np.array([196.0, 178.0, 140.0])
    background = np.array([38.0, 40.0, 44.0])
    base = 1.0 + contrast * pattern * fade + texture / 255.0
    disc = ivory[None, None, :] * base[..., None]
    ring = (frac > 0.965)[..., None]
    disc = np.where(ring, cementum[None, None, :] * (1 + texture[..., None] / 255.0), disc)
    # anti-aliased disc edge
    alpha = np.clip(radius - r + 0.5, 0.0, 1.0)[..., None]
    img = alpha * disc + (1 - alpha) * background[None, None, :]

    if rotation_deg:
        matrix = cv2.getRotationMatrix2D((size_px / 2, size_px / 2), rotation_deg, 1.0)
        img = cv2.warpAffine(
            img,
            matrix,
            (size_px, size_px),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=tuple(float(v) for v in background),
        )
        cx, cy = (matrix @ np.array([cx, cy, 1.0])).tolist()
    if blur_sigma_px > 0:
        img = cv2.GaussianBlur(img, (0, 0), blur_sigma_px)
    if noise_sigma > 0:
        img = img + rng.normal(0, noise_sigma, img.shape)
    rgb = np.clip(np.rint(img), 0, 255).astype(np.uint8)
    return SyntheticSection(
        rgb=rgb,
        angle_deg=float(angle_deg),
        center_xy=(float(cx), float(cy)),
        radius_px=float(radius),
        style=style,
        seed=seed,
    )


def random_section(seed: int, *, size_px: int = 512) -> SyntheticSection:
    """One section with random angle (20..165 deg), style, rotation, blur and noise.

    Used by the benchmark: the angle is drawn from the union of the published mammoth
    and elephant ranges, the other parameters from what a phone photo of a polished
    section plausibly shows.
    """
    rng = np.random.default_rng(10_000 + seed)
    return generate_section(
        float(rng.uniform(35.0, 160.0)),
        size_px=size_px,
        radius_frac=float(rng.uniform(0.34, 0.46)),
        spacing_px=float(rng.uniform(10.0, 20.0)),
        inner_angle_deg=float(rng.uniform(60.0, 140.0)),
        style="chequer" if rng.random() < 0.7 else "lines",
        rotation_deg=float(rng.uniform(0, 360)),
        center_offset_frac=(float(rng.uniform(-0.04, 0.04)), float(rng.uniform(-0.04, 0.04))),
        blur_sigma_px=float(rng.uniform(0.0, 2.0)),
        noise_sigma=float(rng.uniform(0.0, 15.0)),
        contrast=float(rng.uniform(0.12, 0.3)),
        waviness_rad=float(rng.uniform(0.0, 1.5)),
        seed=seed,
    )
