"""Surface tiles: on the object, off the background and the highlights, at full resolution."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from idtool.forensics.tiles import (
    TileConfig,
    highlight_mask,
    object_mask,
    select_tiles,
    tile_inputs,
)
from idtool.model.preprocess import PreprocessConfig, decode_image

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
MET = SHARED / "data" / "met_ivory_bone"
PREPROCESS = PreprocessConfig(224, "bicubic", 0.875, (0.5, 0.5, 0.5), (0.5, 0.5, 0.5))


def carving_photo(tmp_path: Path) -> tuple[Path, np.ndarray, np.ndarray]:
    """A 12 MP JPEG: a textured ivory-coloured ellipse on a grey studio background, with a
    specular highlight on it. Returns the file, the object mask and the highlight mask."""
    height, width = 3000, 4000
    rng = np.random.default_rng(3)
    image = np.full((height, width, 3), (118, 120, 124), np.uint8)
    image = np.clip(image + rng.normal(0, 2, image.shape), 0, 255).astype(np.uint8)
    obj = np.zeros((height, width), np.uint8)
    cv2.ellipse(obj, (2000, 1500), (1300, 900), 15, 0, 360, 1, -1)
    # fine grain (like growth lines) plus pits, at the photo's own resolution
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    grain = 12 * np.sin((xx * 0.9 + yy * 0.4) / 9.0) + rng.normal(0, 6, (height, width))
    ivory = np.stack([225 + grain, 210 + grain, 175 + grain], axis=2)
    image[obj == 1] = np.clip(ivory[obj == 1], 0, 255).astype(np.uint8)
    shine = np.zeros((height, width), np.uint8)
    cv2.circle(shine, (1500, 1300), 260, 1, -1)
    image[shine == 1] = 255
    path = tmp_path / "carving.jpg"
    cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 92])
    return path, obj.astype(bool), shine.astype(bool)


def test_tiles_lie_on_the_object_and_avoid_highlights(tmp_path: Path) -> None:
    path, obj, shine = carving_photo(tmp_path)
    rgb = decode_image(path).rgb
    config = TileConfig()
    tiles = select_tiles(rgb, config)
    assert len(tiles) == config.count
    for tile in tiles:
        x0, y0, x1, y1 = tile.box
        assert obj[y0:y1, x0:x1].mean() >= 0.8
        assert shine[y0:y1, x0:x1].mean() <= config.max_highlight_fraction
        # full resolution: a third of the object's short side, far above the 224 px input
        assert 400 <= tile.side_px <= 1000
    for a in tiles:
        for b in tiles:
            if a is not b:
                ax0, ay0, ax1, ay1 = a.box
                bx0, by0, bx1, by1 = b.box
                inter = max(0, min(ax1, bx1) - max(ax0, bx0)) * max(
                    0, min(ay1, by1) - max(ay0, by0)
                )
                assert inter / (2 * a.side_px**2 - inter) <= config.max_overlap + 1e-9


def test_masks_find_object_and_highlight(tmp_path: Path) -> None:
    path, obj, shine = carving_photo(tmp_path)
    rgb = decode_image(path).rgb
    found = object_mask(rgb)
    assert (found == obj).mean() > 0.97
    assert highlight_mask(rgb)[shine].mean() > 0.9


def test_tile_inputs_are_model_sized() -> None:
    rgb = np.full((900, 1200, 3), 128, np.uint8)
    rgb[200:700, 300:900] = (220, 200, 170)
    rgb[200:700, 300:900] += np.random.default_rng(0).integers(0, 30, (500, 600, 3), dtype=np.uint8)
    tiles = select_tiles(rgb, TileConfig(count=3))
    batch = tile_inputs(rgb, tiles, PREPROCESS)
    assert batch.shape == (len(tiles), 3, 224, 224)
    assert batch.dtype == np.float32
    assert tile_inputs(rgb, [], PREPROCESS).shape == (0, 3, 224, 224)


def test_close_up_filling_the_frame_still_gets_tiles() -> None:
    """No background border: the framing box alone places the tiles."""
    rng = np.random.default_rng(1)
    rgb = np.clip(rng.normal(200, 25, (800, 800, 3)), 0, 255).astype(np.uint8)
    assert len(select_tiles(rgb, TileConfig(count=4))) == 4


def test_config_travels_in_model_json() -> None:
    config = TileConfig(count=4, side_fraction=0.3)
    assert TileConfig.from_bundle({"tiles": config.to_dict()}) == config
    assert TileConfig.from_bundle({"tiles": None}) is None
    assert TileConfig.from_bundle({}) is None


def test_real_museum_photos_get_surface_tiles() -> None:
    photos = sorted(MET.glob("material_*/*.jpg"))[::40]
    if not photos:
        pytest.skip(f"{MET} not present (needs ../shared)")
    on_object = []
    for path in photos:
        rgb = decode_image(path).rgb
        tiles = select_tiles(rgb, TileConfig())
        assert tiles, path.name
        mask = object_mask(rgb)
        shares = [
            mask[t.top : t.top + t.side_px, t.left : t.left + t.side_px].mean() for t in tiles
        ]
        on_object.append(np.median(shares))
    # thin objects (pins, combs) may be narrower than the smallest tile; most photos are not
    assert np.mean(np.array(on_object) >= 0.8) >= 0.8
