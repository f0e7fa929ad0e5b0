"""Schreger-angle measurement for proboscidean ivory cross-sections.

Transverse sections of elephant and mammoth ivory show Schreger lines: two families of
curved lines crossing in a chequerboard. The angle between them near the outer
(cementum) edge, measured as the angle whose bisector runs along the radius of the tusk,
separates the two (Espinoza & Mann 1993): a mean outer angle under 90 degrees points to
mammoth, over 115 degrees to elephant, and between is indeterminate.

Two ways in: manual (the user marks vertex + one point on each line, see
:func:`angles_from_points` and :func:`read_points`) and automatic (:func:`measure_auto`,
implemented in :mod:`idtool.forensics.schreger_auto`). :func:`classify` applies the rule;
:func:`measure_schreger` is the one call a front end needs. The result is an indication
for a laboratory, never a verdict.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from idtool.atomic import write_atomic
from idtool.errors import BadField
from idtool.forensics.schreger_auto import analyse_auto, find_outline
from idtool.forensics.schreger_points import AngleMeasurement, angles_from_points
from idtool.forensics.schreger_points import read_points as read_points  # re-exported
from idtool.i18n import N_
from idtool.i18n import gettext as _

logger = logging.getLogger(__name__)

MIN_ANGLES = 5
MAMMOTH_BELOW_DEG = 90.0
ELEPHANT_ABOVE_DEG = 115.0
OUTER_FROM_FRAC = 0.6  # manual vertices inside this fraction of the radius are "inner"

# English, marked for translation; rule_text() / _(DISCLAIMER) give the active language.
RULE_TEMPLATE = N_(
    "mean outer Schreger angle < {mammoth} deg: mammoth; > {elephant} deg: elephant; "
    "otherwise indeterminate; at least {minimum} outer angles needed"
)


def rule_text() -> str:
    """The classification rule in the active language."""
    return _(RULE_TEMPLATE).format(
        mammoth=f"{MAMMOTH_BELOW_DEG:.0f}", elephant=f"{ELEPHANT_ABOVE_DEG:.0f}", minimum=MIN_ANGLES
    )


RULE = RULE_TEMPLATE.format(
    mammoth=f"{MAMMOTH_BELOW_DEG:.0f}", elephant=f"{ELEPHANT_ABOVE_DEG:.0f}", minimum=MIN_ANGLES
)
REFERENCE = (
    "Espinoza, E. O. & Mann, M.-J. (1993). The history and significance of the Schreger "
    "pattern in proboscidean ivory characterization. Journal of the American Institute "
    "for Conservation 32(3): 241-248. Published outer angles: modern elephant mean about "
    "124 deg (range about 95-163), mammoth mean about 74 deg (range about 35-115)."
)
DISCLAIMER = N_(
    "Indicative only: a Schreger angle is a screening measurement, not an identification. "
    "Only outer angles (near the cementum edge) are diagnostic, the elephant and mammoth "
    "ranges overlap, and other teeth (e.g. hippopotamus) and imitations can show similar "
    "patterns. Send the item to a wildlife forensic laboratory for confirmation."
)


@dataclass(frozen=True)
class SchregerResult:
    """Summary statistics and the Espinoza & Mann classification of a set of angles."""

    n: int
    mean_deg: float | None
    sd_deg: float | None
    min_deg: float | None
    max_deg: float | None
    classification: str  # elephant | mammoth | indeterminate | refused
    reason: str
    rule: str
    reference: str
    measurements: tuple[AngleMeasurement, ...]
    annotated_image_path: Path | None = None
    disclaimer: str = field(default_factory=lambda: _(DISCLAIMER))
    method: str = "manual"
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        def rnd(v: float | None) -> float | None:
            return None if v is None else round(v, 2)

        return {
            "n": self.n,
            "mean_deg": rnd(self.mean_deg),
            "sd_deg": rnd(self.sd_deg),
            "min_deg": rnd(self.min_deg),
            "max_deg": rnd(self.max_deg),
            "classification": self.classification,
            "reason": self.reason,
            "rule": self.rule,
            "reference": self.reference,
            "method": self.method,
            "warnings": list(self.warnings),
            "measurements": [m.to_dict() for m in self.measurements],
            "annotated_image_path": (
                None if self.annotated_image_path is None else str(self.annotated_image_path)
            ),
            "disclaimer": self.disclaimer,
        }


def measure_auto(rgb: np.ndarray) -> list[AngleMeasurement]:
    """Measure outer Schreger angles automatically (see :mod:`idtool.forensics.schreger_auto`).

    Args:
        rgb: the photo of the cross-section, uint8 HxWx3 RGB.

    Returns:
        One measurement per analysis window in the outer annulus where two line
        families were found; empty when there is no Schreger pattern.
    """
    return _auto_measurements(analyse_auto(rgb))


def _auto_measurements(analysis: Any) -> list[AngleMeasurement]:
    out = []
    for win in analysis.windows:
        arm_len = win.half_px * 0.7
        out_dir = math.radians(win.radial_deg + win.bisector_deg)
        arms = []
        for sign in (1.0, -1.0):
            ang = out_dir + sign * math.radians(win.angle_deg / 2)
            arms.append(
                (
                    win.center_xy[0] + arm_len * math.cos(ang),
                    win.center_xy[1] + arm_len * math.sin(ang),
                )
            )
        out.append(
            AngleMeasurement(
                angle_deg=win.angle_deg,
                vertex=win.center_xy,
                arms=(arms[0], arms[1]),
                source="auto",
                region="outer",
                radius_frac=win.radius_frac,
                strength=win.strength,
            )
        )
    return out


def classify(
    measurements: Sequence[AngleMeasurement],
    *,
    method: str = "manual",
    warnings: Sequence[str] = (),
    annotated_image_path: Path | None = None,
) -> SchregerResult:
    """Apply the Espinoza & Mann rule to the outer angles.

    Measurements with ``region == "inner"`` are reported but not used.

    Args:
        measurements: the angles.
        method: ``manual`` or ``auto``, copied into the result.
        warnings: notes from the measurement step, copied into the result.
        annotated_image_path: copied into the result.

    Returns:
        A :class:`SchregerResult`; ``classification`` is ``refused`` with a reason when
        fewer than :data:`MIN_ANGLES` outer angles are available.
    """
    used = [m.angle_deg for m in measurements if m.region != "inner"]
    n = len(used)
    common: dict[str, Any] = {
        "rule": rule_text(),
        "reference": REFERENCE,
        "measurements": tuple(measurements),
        "annotated_image_path": annotated_image_path,
        "method": method,
        "warnings": tuple(warnings),
    }
    if n == 0:
        reason = (
            _("no Schreger pattern found in the outer part of the section; nothing to classify")
            if method == "auto"
            else _("no outer angles were measured; nothing to classify")
        )
        return SchregerResult(0, None, None, None, None, "refused", reason, **common)
    arr = np.asarray(used, dtype=np.float64)
    mean = float(arr.mean())
    sd = float(arr.std(ddof=1)) if n > 1 else 0.0
    stats = (n, mean, sd, float(arr.min()), float(arr.max()))
    if n < MIN_ANGLES:
        reason = _(
            "only {count} outer angle(s) measured; at least {minimum} are needed before the "
            "rule can be applied"
        ).format(count=n, minimum=MIN_ANGLES)
        return SchregerResult(*stats, "refused", reason, **common)
    if mean < MAMMOTH_BELOW_DEG:
        cls = "mammoth"
        reason = _("mean outer angle {mean} deg is below {limit} deg").format(
            mean=f"{mean:.1f}", limit=f"{MAMMOTH_BELOW_DEG:.0f}"
        )
    elif mean > ELEPHANT_ABOVE_DEG:
        cls = "elephant"
        reason = _("mean outer angle {mean} deg is above {limit} deg").format(
            mean=f"{mean:.1f}", limit=f"{ELEPHANT_ABOVE_DEG:.0f}"
        )
    else:
        cls = "indeterminate"
        reason = _(
            "mean outer angle {mean} deg lies between {low} and {high} deg, where elephant and "
            "mammoth overlap"
        ).format(
            mean=f"{mean:.1f}", low=f"{MAMMOTH_BELOW_DEG:.0f}", high=f"{ELEPHANT_ABOVE_DEG:.0f}"
        )
    return SchregerResult(*stats, cls, reason, **common)


def _tag_regions(
    rgb: np.ndarray, measurements: list[AngleMeasurement]
) -> tuple[list[AngleMeasurement], list[str]]:
    """Mark manual measurements inner/outer when the section outline is visible."""
    gray = cv2.cvtColor(np.ascontiguousarray(rgb[..., :3]), cv2.COLOR_RGB2GRAY)
    scale = min(1.0, 900 / max(gray.shape[:2]))
    if scale < 1.0:
        gray = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    outline = find_outline(gray.astype(np.float32))
    if not outline.reliable:
        return measurements, [
            "section outline not found: cannot check that the marked angles are outer angles"
        ]
    cx, cy = outline.center_xy[0] / scale, outline.center_xy[1] / scale
    radius = outline.radius_px / scale
    tagged = []
    for m in measurements:
        frac = math.hypot(m.vertex[0] - cx, m.vertex[1] - cy) / radius
        region = "outer" if frac >= OUTER_FROM_FRAC else "inner"
        tagged.append(replace(m, region=region, radius_frac=frac))
    n_inner = sum(m.region == "inner" for m in tagged)
    notes = []
    if n_inner:
        notes.append(
            f"{n_inner} marked angle(s) lie inside {OUTER_FROM_FRAC:.0%} of the radius: "
            "inner angles are not diagnostic and were left out"
        )
    return tagged, notes


def measure_schreger(
    rgb: np.ndarray,
    *,
    triples: Sequence[Sequence[Any]] | None = None,
    annotated_path: Path | None = None,
) -> SchregerResult:
    """Measure and classify: the one call the CLI and the server's phone page make.

    Args:
        rgb: the photo, uint8 HxWx3 RGB (EXIF orientation applied), in the same pixel
            coordinates as ``triples``.
        triples: manual measurements (vertex, a, b) such as taps on the phone page;
            None runs the automatic mode.
        annotated_path: where to save the annotated PNG (None: no image).

    Returns:
        A :class:`SchregerResult`.

    Raises:
        BadField: malformed, degenerate or off-photo ``triples`` (see
            :func:`angles_from_points`), or an unwritable ``annotated_path``.
    """
    if triples is not None:
        size_px = (int(rgb.shape[1]), int(rgb.shape[0]))
        measurements, warnings = _tag_regions(rgb, angles_from_points(triples, size_px))
        method = "manual"
        outline = None
    else:
        analysis = analyse_auto(rgb)
        measurements = _auto_measurements(analysis)
        warnings = list(analysis.warnings)
        method = "auto"
        outline = analysis.outline
    result = classify(measurements, method=method, warnings=warnings)
    if annotated_path is not None:
        draw_annotations(rgb, measurements, annotated_path, result=result, outline=outline)
        result = replace(result, annotated_image_path=Path(annotated_path))
    return result


_COLOURS = ((255, 90, 40), (40, 170, 255))  # RGB of the two arms


def draw_annotations(
    rgb: np.ndarray,
    measurements: Sequence[AngleMeasurement],
    path: Path,
    *,
    result: SchregerResult | None = None,
    outline: Any = None,
) -> Path:
    """Save a PNG with the measured lines, angles and (optionally) the verdict drawn on.

    Args:
        rgb: the analysed photo, uint8 HxWx3 RGB.
        measurements: the angles to draw (arms as two coloured rays, value as text).
        path: the PNG to write (written to a temp file, then renamed).
        result: when given, a banner with n, mean and the classification.
        outline: when given (automatic mode), the section outline and the annulus.

    Returns:
        ``path``.

    Raises:
        BadField: the file cannot be written.
    """
    path = Path(path)
    img = np.ascontiguousarray(rgb[..., :3]).copy()
    h, w = img.shape[:2]
    thick = max(1, round(max(h, w) / 400))
    font_scale = max(0.35, max(h, w) / 1400)
    aa = cv2.LINE_AA
    if outline is not None:
        cx, cy = outline.center_xy
        r = outline.radius_px
        colour = (255, 255, 0) if outline.reliable else (255, 0, 255)
        cv2.circle(img, (round(cx), round(cy)), round(r), colour, thick, aa)
        for frac in (0.65, 0.91):
            cv2.circle(img, (round(cx), round(cy)), round(r * frac), (200, 200, 200), 1, aa)
        cv2.drawMarker(img, (round(cx), round(cy)), colour, cv2.MARKER_CROSS, 4 * thick + 8, thick)
    for m in measurements:
        v = (round(m.vertex[0]), round(m.vertex[1]))
        muted = m.region == "inner"
        for arm, colour in zip(m.arms, _COLOURS, strict=True):
            end = (round(arm[0]), round(arm[1]))
            if m.source == "auto":  # full lines through the vertex show the two families
                back = (round(2 * m.vertex[0] - arm[0]), round(2 * m.vertex[1] - arm[1]))
                cv2.line(img, back, end, (90, 90, 90) if muted else colour, thick, aa)
            else:
                cv2.line(img, v, end, (90, 90, 90) if muted else colour, thick + 1, aa)
        cv2.circle(img, v, thick + 1, (255, 255, 255), -1, aa)
        label = f"{m.angle_deg:.0f}"
        cv2.putText(
            img,
            label,
            (v[0] + 4, v[1] - 4),
            cv2.FONT_HERSHEY_SIMPLEX,
            font_scale,
            (0, 0, 0),
            thick + 2,
            aa,
        )
        cv2.putText(
            img,
            label,
            (v[0] + 4, v[1] - 4),
            cv2.FONT_HERSHEY_SIMPLEX,
            font_scale,
            (255, 255, 255),
            thick,
            aa,
        )
    if result is not None:
        if result.mean_deg is None:
            text = f"n={result.n}  {result.classification}"
        else:
            text = (
                f"n={result.n}  mean {result.mean_deg:.1f} deg  SD {result.sd_deg:.1f}  "
                f"-> {result.classification} (indicative)"
            )
        band = round(28 * font_scale / 0.5)
        cv2.rectangle(img, (0, 0), (w, band), (0, 0, 0), -1)
        cv2.putText(
            img,
            text,
            (6, round(band * 0.7)),
            cv2.FONT_HERSHEY_SIMPLEX,
            font_scale,
            (255, 255, 255),
            thick,
            aa,
        )
    ok, buf = cv2.imencode(".png", cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
    if not ok:
        raise BadField(f"cannot encode the annotated image for {path}")
    try:
        write_atomic(path, buf.tobytes())
    except OSError as exc:
        raise BadField(f"cannot write the annotated image {path}: {exc}") from exc
    return path
