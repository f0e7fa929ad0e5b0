"""Texture evidence: the whole photo plus full-resolution surface tiles, in one head.

A bundle whose ``model.json`` has a ``tiles`` section scores a photo from two views: its
whole-photo embedding and the pooled (L2-normalised mean) embedding of up to ``count``
full-resolution surface tiles (:func:`idtool.forensics.tiles.select_tiles`); the head is a
linear softmax over the two concatenated (``decision_source`` ``head+tiles``). A photo
where no tile is found uses its whole-photo embedding as the second view. Open-set
similarity and the nearest references stay on the whole-photo embedding.

``benchmarks/bench_materials.py`` measured this against the whole photo alone, averaged
tile logits and a second tile head on grouped CV (README "Materials"); the same
:func:`texture_features` builds the training rows, the out-of-fold rows that calibrate
the head and choose its thresholds, and the rows the identifier scores.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from idtool.forensics.tiles import TileConfig, select_tiles, tile_inputs
from idtool.model.preprocess import PreprocessConfig
from idtool.model.runtime import EmbeddingEngine


@dataclass(frozen=True)
class TextureView:
    """The ``tiles`` section of ``model.json`` (tile geometry; the combination is fixed)."""

    tiles: TileConfig

    def to_dict(self) -> dict[str, Any]:
        return {**self.tiles.to_dict(), "combine": COMBINE}

    @classmethod
    def from_bundle(cls, meta: dict[str, Any]) -> TextureView | None:
        """The bundle's texture view, or None for a whole-photo-only bundle."""
        tiles = TileConfig.from_bundle(meta)
        return None if tiles is None else cls(tiles)


COMBINE = "concat(whole, mean of tiles)"
# The classes the texture view was measured on (benchmarks/bench_materials.py): "auto"
# turns it on when a reference set has at least two of them.
TEXTURE_CLASSES = frozenset({"material_ivory", "material_walrus_ivory", "material_bone"})
MIN_TEXTURE_CLASSES = 2


def choose_texture(classes: Sequence[str], tiles: bool | None = None) -> TextureView | None:
    """The texture view a new head should use: ``tiles`` True/False forces it; None
    (auto) turns it on when the reference set has at least two of
    :data:`TEXTURE_CLASSES`, the materials whose surface it was measured to tell apart."""
    if tiles is None:
        tiles = len(TEXTURE_CLASSES.intersection(classes)) >= MIN_TEXTURE_CLASSES
    return TextureView(TileConfig()) if tiles else None


def pool_tiles(tiles: np.ndarray, whole: np.ndarray) -> np.ndarray:
    """The L2-normalised mean tile embedding (the whole photo's own if there is no tile)."""
    if len(tiles) == 0:
        return whole
    mean = tiles.mean(axis=0)
    return (mean / max(float(np.linalg.norm(mean)), 1e-12)).astype(np.float32)


def texture_features(whole: np.ndarray, pooled: np.ndarray) -> np.ndarray:
    """The head's input: whole-photo and pooled-tile embeddings side by side (rows)."""
    return np.hstack([np.atleast_2d(whole), np.atleast_2d(pooled)]).astype(np.float32)


def embed_tiles(
    rgb: np.ndarray, view: TextureView, preprocess: PreprocessConfig, engine: EmbeddingEngine
) -> np.ndarray:
    """Embeddings of a photo's surface tiles (tiles x dim; no rows if none was found)."""
    tiles = select_tiles(rgb, view.tiles)
    if not tiles:
        return np.zeros((0, 0), dtype=np.float32)
    return engine.embed(tile_inputs(rgb, tiles, preprocess))
