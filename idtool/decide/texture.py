"""Texture evidence: the whole photo plus full-resolution surface tiles, in one head.

A bundle whose ``model.json`` has a ``tiles`` section scores a photo from two views: its
whole-photo embedding and the pooled (L2-normalised mean) embedding of up to ``count``
full-resolution surface tiles (:func:`idtool.forensics.tiles.select_tiles`); the head is a
linear softmax over the two concatenated (``decision_source`` ``head+tiles``). A photo
where no tile is found uses its whole-photo embedding as the second view. Open-set
similarity and the nearest references stay on the whole-photo embedding.

``benchmarks/bench_materials.py`` measured this against the whole photo alone, averaged
tile logits and a second tile head on grouped CV (docs/decisions.md, "Materials"); the same
:func:`texture_features` builds the training rows, the out-of-fold rows that calibrate
the head and choose its thresholds, and the rows the identifier scores.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from idtool.catalog.taxonomy import TaxonRecord
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
# Short side of the working image a fitted decode keeps for a texture head: the tiles are
# cut from it, and the shipped reference photos (what the head was trained on, decoded
# whole) are at most 600 px on the short side, so they are never shrunk and a 12 MP phone
# photo is brought to the same scale.
TEXTURE_WORKING_PX = 640
# The classes the texture view was measured on (benchmarks/bench_materials.py): "auto"
# turns it on when a reference set has at least two of them.
TEXTURE_CLASSES = frozenset({"material_ivory", "material_walrus_ivory", "material_bone"})
MIN_TEXTURE_CLASSES = 2
# A texture head reads a photo's tiles only when the whole photo alone leaves at least this
# much probability on the texture classes (Identifier.score_batch): a photo of a python
# in a catalog that also holds ivory does not pay for six tile embeddings.
TILE_GATE_MASS = 0.01
# Most tiles embedded in one runtime call (measured: see embed_tiles_of_photos).
TILE_BATCH = 16


def decode_config(preprocess: PreprocessConfig, view: TextureView | None) -> PreprocessConfig:
    """What a fitted decode must keep for a bundle: a texture head needs a
    :data:`TEXTURE_WORKING_PX` working image to cut its tiles from."""
    return preprocess if view is None else replace(preprocess, working_px=TEXTURE_WORKING_PX)


def choose_texture(classes: Sequence[str], tiles: bool | None = None) -> TextureView | None:
    """The texture view a new head should use: ``tiles`` True/False forces it; None
    (auto) turns it on when the reference set has at least two of
    :data:`TEXTURE_CLASSES`, the materials whose surface it was measured to tell apart."""
    if tiles is None:
        tiles = len(TEXTURE_CLASSES.intersection(classes)) >= MIN_TEXTURE_CLASSES
    return TextureView(TileConfig()) if tiles else None


def texture_classes(classes: Sequence[str], taxa: Mapping[str, TaxonRecord]) -> set[str]:
    """The head's classes whose surface the tiles are read for: :data:`TEXTURE_CLASSES`
    and every other material class (``is_material`` in the catalog, e.g. ceramic, the
    usual look-alike of ivory)."""
    return {
        name
        for name in classes
        if name in TEXTURE_CLASSES or (name in taxa and taxa[name].is_material)
    }


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
    return embed_tiles_of_photos([rgb], view, preprocess, engine)[0]


def embed_tiles_of_photos(
    rgbs: Sequence[np.ndarray],
    view: TextureView,
    preprocess: PreprocessConfig,
    engine: EmbeddingEngine,
    max_batch: int = TILE_BATCH,
) -> list[np.ndarray]:
    """Each photo's tile embeddings, with the tiles of all photos embedded together.

    One runtime call per ``max_batch`` tiles instead of one per photo. :data:`TILE_BATCH`
    (16) was measured with ``benchmarks/bench_batch.py`` (48 shipped material photos,
    processing loop, 2 runs, load about 1.3): 2.90-3.05 s and 340-356 MB peak RSS at 8,
    2.80-2.82 s and 471 MB at 16, 2.96-3.02 s and 1,056 MB at 48 (ONNX Runtime's arena
    grows with the largest call). A photo without tiles gets a 0 x 0 array.
    """
    inputs, counts = [], []
    for rgb in rgbs:
        batch = tile_inputs(rgb, select_tiles(rgb, view.tiles), preprocess)
        inputs.append(batch)
        counts.append(len(batch))
    if not any(counts):
        return [np.zeros((0, 0), dtype=np.float32) for _ in rgbs]
    stacked = np.concatenate([batch for batch in inputs if len(batch)])
    vectors = np.concatenate(
        [engine.embed(stacked[i : i + max_batch]) for i in range(0, len(stacked), max_batch)]
    )
    out, start = [], 0
    for count in counts:
        out.append(vectors[start : start + count] if count else np.zeros((0, 0), np.float32))
        start += count
    return out
