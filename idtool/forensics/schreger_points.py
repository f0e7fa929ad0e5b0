"""Manual Schreger input: tapped or typed (vertex, arm, arm) points, checked, as angles.

An angle is marked by three points: the vertex where two Schreger lines cross and one
point on each line. :func:`angles_from_points` refuses what measures nothing (an arm
shorter than :data:`MIN_ARM_PX`, both arm points the same, both arms on one line) and,
given the photo's size, any point off the photo; :func:`read_points` reads the same
triples from a JSON or CSV file. :mod:`idtool.forensics.schreger` classifies them.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from idtool.errors import BadField

MAX_POINTS = 500
MIN_ARM_PX = 1.0  # a shorter arm (or two arm points closer than this) gives no direction
MIN_SPREAD_DEG = 1.0  # an angle within this of 0 or 180 deg: both arms on one line


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


def angles_from_points(
    triples: Iterable[Sequence[Any]], size_px: tuple[int, int] | None = None
) -> list[AngleMeasurement]:
    """Compute angles from (vertex, point on line a, point on line b) triples.

    Args:
        triples: each item is ``(vertex, a, b)`` with points as ``(x, y)`` in image
            pixels. The angle is the one between the rays vertex->a and vertex->b, so the
            user picks the outer angle (bisected by the radius) by where they tap.
        size_px: ``(width, height)`` of the photo the points were marked on (upright);
            every point must lie on it. None: not checked (no photo known).

    Returns:
        One :class:`AngleMeasurement` per triple (``source="manual"``).

    Raises:
        BadField: a triple is malformed, a coordinate is not a finite number, a point is
            outside the photo, or the triple is degenerate: an arm shorter than
            :data:`MIN_ARM_PX`, both arm points the same point, or both arms on one line
            (within :data:`MIN_SPREAD_DEG` of 0 or 180 degrees). Such a triple measures
            nothing; five of them once gave a mean of 0 degrees, "mammoth".
    """
    out: list[AngleMeasurement] = []
    for i, triple in enumerate(triples, start=1):
        if not isinstance(triple, list | tuple) or len(triple) != 3:
            raise BadField(f"angle {i}: expected [vertex, a, b], got {triple!r}")
        v = _point(triple[0], f"angle {i} vertex")
        a = _point(triple[1], f"angle {i} point a")
        b = _point(triple[2], f"angle {i} point b")
        if size_px is not None:
            _check_on_photo(i, (v, a, b), size_px)
        out.append(AngleMeasurement(_angle_deg(i, v, a, b), v, (a, b), "manual"))
    return out


def _check_on_photo(i: int, points: Sequence[Point], size_px: tuple[int, int]) -> None:
    width, height = size_px
    for x, y in points:
        if not (0 <= x <= width and 0 <= y <= height):
            raise BadField(f"angle {i}: point ({x:g}, {y:g}) is outside the {width}x{height} photo")


def _angle_deg(i: int, v: Point, a: Point, b: Point) -> float:
    """The angle at ``v`` between the rays to ``a`` and ``b``. Raises: BadField: degenerate."""
    va = (a[0] - v[0], a[1] - v[1])
    vb = (b[0] - v[0], b[1] - v[1])
    na, nb = math.hypot(*va), math.hypot(*vb)
    if not (math.isfinite(na) and math.isfinite(nb)):
        raise BadField(f"angle {i}: the points are too far apart to measure")
    if na < MIN_ARM_PX or nb < MIN_ARM_PX:
        raise BadField(
            f"angle {i}: each arm point must differ from the vertex by at least {MIN_ARM_PX:g} px"
        )
    if math.hypot(a[0] - b[0], a[1] - b[1]) < MIN_ARM_PX:
        raise BadField(f"angle {i}: the two arm points are the same point; mark one on each line")
    cos = max(-1.0, min(1.0, (va[0] * vb[0] + va[1] * vb[1]) / (na * nb)))
    angle = math.degrees(math.acos(cos))
    if angle < MIN_SPREAD_DEG or angle > 180.0 - MIN_SPREAD_DEG:
        raise BadField(
            f"angle {i}: both arms lie on one line ({angle:.1f} deg); "
            "mark one point on each of the two crossing lines"
        )
    return angle


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
