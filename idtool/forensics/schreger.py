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

import csv
import json
import logging
import math
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from idtool.errors import BadField
from idtool.forensics.schreger_auto import analyse_auto, find_outline
from idtool.i18n import N_
from idtool.i18n import gettext as _

logger = logging.getLogger(__name__)

MIN_ANGLES = 5
MAMMOTH_BELOW_DEG = 90.0
ELEPHANT_ABOVE_DEG = 115.0
OUTER_FROM_FRAC = 0.6  # manual vertices inside this fraction of the radius are "inner"
MAX_POINTS = 500

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
class AngleMeasurement:
    """One Schreger angle, in pixel coordinates of the analysed image.

    ``arms`` are one point on each of the two lines; the angle is the one between the
    rays vertex->arms[0] and vertex->arms[1]. ``source`` is ``manual`` or ``auto``;
    ``region`` is ``outer``, ``inner`` or ``unknown`` (manual points on a photo whose
    section outline could not be found).
    """

    angle_deg: float
    vertex: tuple[float, float]
    arms: tuple[tuple[float, float], tuple[float, float]]
    source: str
    region: str = "unknown"
    radius_frac: float | None = None
    strength: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "angle_deg": round(self.angle_deg, 2),
            "vertex": [round(v, 1) for v in self.vertex],
            "arms": [[round(v, 1) for v in arm] for arm in self.arms],
            "source": self.source,
            "region": self.region,
            "radius_frac": None if self.radius_frac is None else round(self.radius_frac, 3),
            "strength": None if self.strength is None else round(self.strength, 3),
        }


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


Point = tuple[float, float]
Triple = tuple[Point, Point, Point]


def _point(value: Any, what: str) -> Point:
    if (
        not isinstance(value, list | tuple)
        or len(value) != 2
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
        or not all(math.isfinite(float(v)) for v in value)
    ):
        raise BadField(f"{what} must be a pair of numbers [x, y], got {value!r}")
    return float(value[0]), float(value[1])


def angles_from_points(triples: Iterable[Sequence[Any]]) -> list[AngleMeasurement]:
    """Compute angles from (vertex, point on line a, point on line b) triples.

    Args:
        triples: each item is ``(vertex, a, b)`` with points as ``(x, y)`` in image
            pixels. The angle is the one between the rays vertex->a and vertex->b, so the
            user picks the outer angle (bisected by the radius) by where they tap.

    Returns:
        One :class:`AngleMeasurement` per triple (``source="manual"``).

    Raises:
        BadField: a triple is malformed or an arm point coincides with the vertex.
    """
    out: list[AngleMeasurement] = []
    for i, triple in enumerate(triples, start=1):
        if not isinstance(triple, list | tuple) or len(triple) != 3:
            raise BadField(f"angle {i}: expected [vertex, a, b], got {triple!r}")
        v = _point(triple[0], f"angle {i} vertex")
        a = _point(triple[1], f"angle {i} point a")
        b = _point(triple[2], f"angle {i} point b")
        va = (a[0] - v[0], a[1] - v[1])
        vb = (b[0] - v[0], b[1] - v[1])
        na, nb = math.hypot(*va), math.hypot(*vb)
        if na < 1e-6 or nb < 1e-6:
            raise BadField(f"angle {i}: each arm point must differ from the vertex")
        cos = max(-1.0, min(1.0, (va[0] * vb[0] + va[1] * vb[1]) / (na * nb)))
        out.append(AngleMeasurement(math.degrees(math.acos(cos)), v, (a, b), "manual"))
    return out


def _triples_from_json(data: Any) -> list[Triple]:
    if isinstance(data, dict) and "angles" in data:
        data = data["angles"]
    if not isinstance(data, list):
        raise BadField("a points JSON file must be a list of {vertex, a, b} objects")
    triples: list[Triple] = []
    for i, item in enumerate(data, start=1):
        if not isinstance(item, dict) or not {"vertex", "a", "b"} <= item.keys():
            raise BadField(f"angle {i}: expected an object with keys vertex, a, b")
        triples.append(
            (
                _point(item["vertex"], f"angle {i} vertex"),
                _point(item["a"], f"angle {i} point a"),
                _point(item["b"], f"angle {i} point b"),
            )
        )
    return triples


def _triples_from_csv(text: str) -> list[Triple]:
    columns = ("vx", "vy", "ax", "ay", "bx", "by")
    reader = csv.DictReader(text.splitlines())
    if reader.fieldnames is None or not set(columns) <= {c.strip() for c in reader.fieldnames}:
        raise BadField(f"a points CSV file needs the header columns {','.join(columns)}")
    triples: list[Triple] = []
    for line, row in enumerate(reader, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
        try:
            vals = [float(row[c]) for c in columns]
        except ValueError as exc:
            raise BadField(
                f"line {line}: every one of {','.join(columns)} must be a number"
            ) from exc
        if not all(math.isfinite(v) for v in vals):
            raise BadField(f"line {line}: coordinates must be finite numbers")
        triples.append(((vals[0], vals[1]), (vals[2], vals[3]), (vals[4], vals[5])))
    return triples


def read_points(path: Path) -> list[Triple]:
    """Read manual angle measurements from a JSON or CSV file.

    JSON: ``[{"vertex": [x, y], "a": [x, y], "b": [x, y]}, ...]`` (or that list under
    ``"angles"``). CSV: header ``vx,vy,ax,ay,bx,by`` and one angle per row.

    Args:
        path: a ``.json`` or ``.csv`` file (other names are sniffed from the content).

    Returns:
        The (vertex, a, b) triples, in file order.

    Raises:
        BadField: the file is missing, unreadable, empty, malformed or too long.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadField(f"cannot read points file {path}: {exc}") from exc
    if not text.strip():
        raise BadField(f"points file {path} is empty")
    is_json = path.suffix.lower() == ".json" or (
        path.suffix.lower() != ".csv" and text.lstrip()[:1] in "[{"
    )
    if is_json:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise BadField(f"points file {path} is not valid JSON: {exc}") from exc
        triples = _triples_from_json(data)
    else:
        triples = _triples_from_csv(text)
    if not triples:
        raise BadField(f"points file {path} holds no angle measurements")
    if len(triples) > MAX_POINTS:
        raise BadField(f"points file {path} holds {len(triples)} angles; at most {MAX_POINTS}")
    return triples


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
        BadField: malformed ``triples`` or an unwritable ``annotated_path``.
    """
    if triples is not None:
        measurements, warnings = _tag_regions(rgb, angles_from_points(triples))
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
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".schreger-", suffix=".png", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(buf.tobytes())
        os.chmod(tmp, 0o644)  # mkstemp makes it private; this is a shareable output
        os.replace(tmp, path)
    except OSError as exc:
        raise BadField(f"cannot write the annotated image {path}: {exc}") from exc
    return path
