"""Surface tiles: full-resolution patches of the object's surface, for texture evidence.

A whole-object photo resized to the model's input throws away the texture an examiner
looks at (Schreger lines and the dense polish of elephant ivory, the pits and canals of
bone, the marbled core of walrus ivory). :func:`select_tiles` finds the object with the
framing step of :mod:`idtool.forensics.quality` (:func:`~idtool.forensics.quality.object_box`), separates it
from the background by its colour distance to the photo's border, and picks up to
``count`` square tiles at the photo's own resolution that lie on the object, skipping
background and specular highlights. :func:`tile_inputs` turns them into model inputs.

The tile settings travel with the model (``model.json`` ``tiles``; see
:meth:`TileConfig.from_bundle`), like the preprocessing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from idtool.forensics.quality import object_box, work_luminance
from idtool.model.preprocess import PreprocessConfig, normalize

BORDER_FRACTION = 0.04  # outer strip of the frame taken as background
BACKGROUND_LAB_DISTANCE = 14.0  # Lab distance from the background colour to count as object
HIGHLIGHT_LUMINANCE = 250  # pixels at or above this (and nearly grey) are specular highlights
HIGHLIGHT_MAX_SATURATION = 40


@dataclass(frozen=True)
class TileConfig:
    """How many tiles, how large, and how much of each must be clean object surface."""

    count: int = 6
    side_fraction: float = 0.35  # tile side / short side of the object's box
    min_side_px: int = 48  # in the photo's own pixels
    min_object_fraction: float = 0.85  # share of the tile that must be object
    max_highlight_fraction: float = 0.02  # share of the tile that may be specular highlight
    max_overlap: float = 0.25  # intersection over union allowed between chosen tiles

    def to_dict(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "side_fraction": self.side_fraction,
            "min_side_px": self.min_side_px,
            "min_object_fraction": self.min_object_fraction,
            "max_highlight_fraction": self.max_highlight_fraction,
            "max_overlap": self.max_overlap,
        }

    @classmethod
    def from_bundle(cls, meta: dict[str, Any]) -> TileConfig | None:
        """The bundle's tile settings (``model.json`` ``tiles``), or None if it uses none."""
        entry = meta.get("tiles")
        if not entry:
            return None
        return cls(
            count=int(entry["count"]),
            side_fraction=float(entry["side_fraction"]),
            min_side_px=int(entry["min_side_px"]),
            min_object_fraction=float(entry["min_object_fraction"]),
            max_highlight_fraction=float(entry["max_highlight_fraction"]),
            max_overlap=float(entry["max_overlap"]),
        )


@dataclass(frozen=True)
class Tile:
    """One square tile in the photo's pixels (right/bottom exclusive)."""

    left: int
    top: int
    side_px: int
    object_fraction: float
    highlight_fraction: float
    texture: float  # standard deviation of the luminance detail inside the tile

    @property
    def box(self) -> tuple[int, int, int, int]:
        return self.left, self.top, self.left + self.side_px, self.top + self.side_px

    def to_dict(self) -> dict[str, Any]:
        return {
            "box": list(self.box),
            "object_fraction": round(self.object_fraction, 3),
            "highlight_fraction": round(self.highlight_fraction, 3),
        }


def object_mask(rgb: np.ndarray) -> np.ndarray:
    """Where the object is: pixels whose Lab colour is far from the border's median colour.

    Args:
        rgb: uint8 HxWx3 RGB.

    Returns:
        A bool HxW mask at the photo's resolution.
    """
    height, width = rgb.shape[:2]
    scale = min(1.0, 400 / max(height, width))
    small = (
        cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        if scale < 1
        else rgb
    )
    lab = cv2.cvtColor(np.ascontiguousarray(small), cv2.COLOR_RGB2LAB).astype(np.float32)
    h, w = lab.shape[:2]
    strip = max(2, round(BORDER_FRACTION * min(h, w)))
    border = np.concatenate(
        [
            lab[:strip].reshape(-1, 3),
            lab[-strip:].reshape(-1, 3),
            lab[:, :strip].reshape(-1, 3),
            lab[:, -strip:].reshape(-1, 3),
        ]
    )
    background = np.median(border, axis=0)
    distance = np.linalg.norm(lab - background, axis=2)
    mask = (distance > BACKGROUND_LAB_DISTANCE).astype(np.uint8)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, kernel)
    return cv2.resize(mask, (width, height), interpolation=cv2.INTER_NEAREST).astype(bool)


def highlight_mask(rgb: np.ndarray) -> np.ndarray:
    """Specular highlights: near-white, nearly unsaturated pixels (bool HxW)."""
    hsv = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2HSV)
    return (hsv[..., 2] >= HIGHLIGHT_LUMINANCE) & (hsv[..., 1] <= HIGHLIGHT_MAX_SATURATION)


def _overlap(a: Tile, b: Tile) -> float:
    ax0, ay0, ax1, ay1 = a.box
    bx0, by0, bx1, by1 = b.box
    iw = max(0, min(ax1, bx1) - max(ax0, bx0))
    ih = max(0, min(ay1, by1) - max(ay0, by0))
    inter = iw * ih
    return inter / float(a.side_px**2 + b.side_px**2 - inter)


def _box_in_photo(rgb: np.ndarray) -> tuple[int, int, int, int]:
    gray = work_luminance(rgb)
    box = object_box(gray)
    height, width = rgb.shape[:2]
    if box is None:
        return 0, 0, width, height
    sx, sy = width / gray.shape[1], height / gray.shape[0]
    left, top, right, bottom = box
    return int(left * sx), int(top * sy), int(np.ceil(right * sx)), int(np.ceil(bottom * sy))


def _detail_energy(
    rgb: np.ndarray, box: tuple[int, int, int, int], side: int
) -> tuple[np.ndarray, tuple[int, int]]:
    """Squared luminance detail (luminance minus its Gaussian blur at ``side / 32``) where a
    tile can lie, and the offset of that region in the photo.

    Candidate tiles lie within ``side`` of the object's box, so only that region (plus the
    blur kernel's reach, so the values equal a whole-photo blur's) is filtered.
    """
    height, width = rgb.shape[:2]
    sigma = max(1.0, side / 32)
    reach = side + int(np.ceil(4 * sigma)) + 1
    left, top, right, bottom = box
    x0, y0 = max(0, left - reach), max(0, top - reach)
    x1, y1 = min(width, right + reach), min(height, bottom + reach)
    gray = cv2.cvtColor(np.ascontiguousarray(rgb[y0:y1, x0:x1]), cv2.COLOR_RGB2GRAY)
    gray = gray.astype(np.float32)
    detail = gray - cv2.GaussianBlur(gray, (0, 0), sigma)
    return detail * detail, (x0, y0)


def select_tiles(rgb: np.ndarray, config: TileConfig) -> list[Tile]:
    """Up to ``config.count`` clean surface tiles of the object, most textured first.

    Candidates lie on a half-overlapping grid over the object's box; a candidate is kept
    when at least ``min_object_fraction`` of it is object and at most
    ``max_highlight_fraction`` is specular highlight; the most textured ones are chosen,
    at most ``max_overlap`` apart.

    Args:
        rgb: the photo, uint8 HxWx3 RGB at its own resolution (EXIF orientation applied).
        config: the bundle's :class:`TileConfig`.

    Returns:
        The chosen tiles (possibly none, e.g. for a photo of a plain background).
    """
    height, width = rgb.shape[:2]
    left, top, right, bottom = _box_in_photo(rgb)
    side = round(config.side_fraction * min(right - left, bottom - top))
    side = min(max(side, config.min_side_px), height, width)
    if side < config.min_side_px:
        return []
    obj = object_mask(rgb)
    shine = highlight_mask(rgb)
    detail_sq, (dx, dy) = _detail_energy(rgb, (left, top, right, bottom), side)
    area = float(side * side)

    stride = max(1, side // 2)

    def positions(start: int, stop: int, limit: int) -> list[int]:
        first, last = max(0, start), min(stop, limit) - side
        if last <= first:  # box narrower than a tile: centre one on it
            return [min(max(0, (start + stop - side) // 2), limit - side)]
        return sorted({*range(first, last + 1, stride), last})

    xs = positions(left, right, width)
    ys = positions(top, bottom, height)
    grid = []
    for y in ys:
        for x in xs:
            if x + side <= width and y + side <= height:
                fraction = np.count_nonzero(obj[y : y + side, x : x + side]) / area
                shiny = np.count_nonzero(shine[y : y + side, x : x + side]) / area
                patch = detail_sq[y - dy : y - dy + side, x - dx : x - dx + side]
                texture = float(np.sqrt(float(patch.sum(dtype=np.float64)) / area))
                grid.append(Tile(x, y, side, fraction, shiny, texture))
    candidates = [
        t
        for t in grid
        if t.object_fraction >= config.min_object_fraction
        and t.highlight_fraction <= config.max_highlight_fraction
    ]
    if not candidates:
        # The border is the object itself (a close-up filling the frame) or the object
        # matches its background: the framing box alone says where the object is.
        candidates = [t for t in grid if t.highlight_fraction <= config.max_highlight_fraction]
    if not candidates:
        # a bright white object under strong light: the least-clipped tiles
        candidates = sorted(grid, key=lambda t: t.highlight_fraction)[: config.count]
    candidates.sort(key=lambda t: -t.texture)
    chosen: list[Tile] = []
    for tile in candidates:
        if all(_overlap(tile, other) <= config.max_overlap for other in chosen):
            chosen.append(tile)
            if len(chosen) == config.count:
                break
    return chosen


def tile_inputs(rgb: np.ndarray, tiles: list[Tile], config: PreprocessConfig) -> np.ndarray:
    """The tiles as model inputs (float32 N x 3 x S x S), each resized whole to the input size."""
    size = config.input_size
    out = []
    for tile in tiles:
        x0, y0, x1, y1 = tile.box
        patch = np.ascontiguousarray(rgb[y0:y1, x0:x1])
        method = cv2.INTER_AREA if tile.side_px > size else cv2.INTER_CUBIC
        out.append(normalize(cv2.resize(patch, (size, size), interpolation=method), config))
    if not out:
        return np.zeros((0, 3, size, size), dtype=np.float32)
    return np.stack(out)
