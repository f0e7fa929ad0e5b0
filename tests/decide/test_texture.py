"""The texture view: whole photo beside pooled surface tiles, the same in training and identify."""

from __future__ import annotations

import numpy as np

from idtool.curation.training import TrainingSet
from idtool.decide.texture import (
    TextureView,
    choose_texture,
    pool_tiles,
    texture_features,
)
from idtool.forensics.tiles import TileConfig


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def test_pool_tiles_is_a_normalised_mean_or_the_whole_photo() -> None:
    rng = np.random.default_rng(0)
    tiles = _unit(rng.normal(size=(5, 16)))
    whole = _unit(rng.normal(size=(1, 16)))[0]
    pooled = pool_tiles(tiles, whole)
    assert np.isclose(np.linalg.norm(pooled), 1.0, atol=1e-5)
    assert np.allclose(pooled, _unit(tiles.mean(axis=0, keepdims=True))[0], atol=1e-6)
    assert np.array_equal(pool_tiles(np.zeros((0, 0), np.float32), whole), whole)
    features = texture_features(whole, pooled)
    assert features.shape == (1, 32)
    assert np.array_equal(features[0, :16], whole)


def test_auto_turns_tiles_on_for_the_measured_material_classes() -> None:
    assert choose_texture(["material_ivory", "material_bone", "Scleractinia"]) is not None
    assert choose_texture(["material_ivory_or_bone", "Panthera tigris"]) is None
    # the demo set's two materials were not measured with tiles: left as they were
    assert choose_texture(["material_ivory_or_bone", "material_ceramic"]) is None
    assert choose_texture(["Panthera tigris", "Panthera leo"], tiles=True) is not None
    assert choose_texture(["material_ivory", "material_bone"], tiles=False) is None


def test_view_round_trips_through_model_json() -> None:
    view = TextureView(TileConfig(count=4))
    assert TextureView.from_bundle({"tiles": view.to_dict()}) == view
    assert TextureView.from_bundle({"tiles": None}) is None


def test_training_rows_and_held_out_rows_use_the_same_features() -> None:
    rng = np.random.default_rng(1)
    n, views, dim = 4, 2, 8
    data = TrainingSet(
        views=_unit(rng.normal(size=(n * views, dim))).reshape(n, views, dim),
        labels=("material_bone", "material_ivory", "material_bone", "material_ivory"),
        image_ids=(1, 2, 3, 4),
        paths=("a", "b", "c", "d"),
        classes=("material_bone", "material_ivory"),
        reference_version="ref-test",
        texture=TextureView(TileConfig()),
        tiles=_unit(rng.normal(size=(5, dim))),
        tile_owner=np.array([0, 0, 1, 2, 2]),  # photo 3 has no tile
    )
    x, y = data.samples(np.array([0, 3]))
    assert x.shape == (2 * views, 2 * dim)
    assert y.tolist() == [0, 0, 1, 1]
    # each view of a photo sits beside that photo's pooled tiles
    assert np.allclose(x[0, dim:], pool_tiles(data.tiles[:2], data.plain[0]))
    assert np.array_equal(x[2, dim:], data.plain[3])  # no tile: the whole photo stands in
    features = data.features(np.arange(n))
    weight, bias = rng.normal(size=(2, 2 * dim)), np.zeros(2)
    assert np.allclose(data.logits(weight, bias, np.arange(n)), features @ weight.T)
    whole_only = TrainingSet(
        views=data.views,
        labels=data.labels,
        image_ids=data.image_ids,
        paths=data.paths,
        classes=data.classes,
        reference_version="ref-test",
    )
    assert whole_only.samples(np.arange(n))[0].shape == (n * views, dim)
