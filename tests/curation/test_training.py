"""Fitting the head: class weights for a small class beside a large one; the confusion
matrix kept in ``model.json``; the embedding cache."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
from support import EXAMPLES

from idtool.curation.embedding_cache import EmbeddingCache
from idtool.curation.lookalike_margin import apply_margin, fit_margin
from idtool.curation.training import confusion_counts, embed_photos, fit_linear
from idtool.decide.texture import choose_texture
from idtool.model.preprocess import PreprocessConfig


def _overlapping(rng: np.random.Generator, large: int, small: int) -> tuple[np.ndarray, np.ndarray]:
    """Two classes whose clouds overlap, ``large`` photos against ``small``."""
    shift = np.zeros(8)
    shift[0] = 1.2
    x = np.vstack([rng.normal(0.0, 1.0, (large, 8)), rng.normal(0.0, 1.0, (small, 8)) + shift])
    return x.astype(np.float32), np.array([0] * large + [1] * small)


def test_balanced_class_weights_raise_the_small_class_recall() -> None:
    rng = np.random.default_rng(0)
    x, y = _overlapping(rng, 400, 40)
    x_test, y_test = _overlapping(rng, 400, 400)

    def recall_of_small(balanced: bool) -> float:
        weight, bias = fit_linear(x, y, 2, c=1.0, seed=0, balanced=balanced)
        predicted = (x_test @ weight.T + bias).argmax(axis=1)
        return float((predicted[y_test == 1] == 1).mean())

    plain, balanced = recall_of_small(False), recall_of_small(True)
    assert balanced > plain + 0.2  # outvoted without weights, mostly found with them
    assert balanced > 0.5


def test_balanced_fit_is_reproducible() -> None:
    rng = np.random.default_rng(1)
    x, y = _overlapping(rng, 100, 10)
    first = fit_linear(x, y, 2, c=1.0, seed=3, balanced=True)
    second = fit_linear(x, y, 2, c=1.0, seed=3, balanced=True)
    assert all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))


def test_a_two_class_head_tells_the_classes_apart() -> None:
    # scikit-learn returns one row of coefficients for two classes; both softmax rows
    # must not end up equal (a curator's two-class catalog got 50/50 for every photo)
    rng = np.random.default_rng(2)
    x, y = _overlapping(rng, 50, 50)
    x[y == 1, 0] += 4.0  # well apart
    weight, bias = fit_linear(x, y, 2, c=1.0, seed=0)
    predicted = (x @ weight.T + bias).argmax(axis=1)
    assert (predicted == y).mean() > 0.95
    # three classes, of which the fold saw two: the third can never win
    weight3, bias3 = fit_linear(x, y, 3, c=1.0, seed=0)
    assert ((x @ weight3.T + bias3).argmax(axis=1) == y).mean() > 0.95


def test_confusion_counts_rows_are_true_classes_and_columns_top1() -> None:
    y = np.array([0, 0, 0, 1, 1, 2])
    predicted = np.array([0, 2, 2, 1, 0, 2])
    confusion = confusion_counts(y, predicted, ("bone", "ceramic", "ivory"))
    assert confusion == {
        "labels": ["bone", "ceramic", "ivory"],
        "matrix": [[1, 0, 2], [1, 1, 0], [0, 0, 1]],
    }
    assert json.loads(json.dumps(confusion)) == confusion  # plain ints: model.json-ready


class CountingEngine:
    """A stand-in runtime: a deterministic embedding of each input, counting inputs."""

    name = "counting"

    def __init__(self) -> None:
        self.inputs = 0

    def embed(self, batch: np.ndarray) -> np.ndarray:
        self.inputs += len(batch)
        flat = batch.reshape(len(batch), -1)[:, :64].astype(np.float32)
        return flat / np.linalg.norm(flat, axis=1, keepdims=True).clip(1e-6)


def test_embedding_cache_embeds_each_photo_once_per_recipe(tmp_path: Path) -> None:
    photos = [tmp_path / f"{i}.jpg" for i in range(3)]
    for photo, source in zip(photos, sorted(EXAMPLES.glob("*.jpg")), strict=False):
        shutil.copy(source, photo)
    bundle = SimpleNamespace(
        preprocess=PreprocessConfig(224, "bicubic", 0.875, (0.5, 0.5, 0.5), (0.5, 0.5, 0.5))
    )
    texture = choose_texture(["material_ivory", "material_bone"])
    engine = CountingEngine()
    cache = EmbeddingCache.for_recipe(tmp_path / "cache", "emb-1", engine.name, 0, texture)
    assert cache is not None
    first = embed_photos(photos, bundle, engine, texture=texture, cache=cache)  # type: ignore[arg-type]
    embedded = engine.inputs
    assert embedded >= 2 * len(photos)  # photo + mirror, and the tiles
    again = embed_photos(photos, bundle, engine, texture=texture, cache=cache)  # type: ignore[arg-type]
    assert engine.inputs == embedded  # nothing embedded the second time
    for a, b in zip(first, again, strict=True):
        assert np.array_equal(a.views, b.views) and np.array_equal(a.tiles, b.tiles)
    # a changed file is embedded again; another recipe has its own folder; crops are not cached
    shutil.copy(EXAMPLES / "coral_1.jpg", photos[0])
    embed_photos(photos, bundle, engine, texture=texture, cache=cache)  # type: ignore[arg-type]
    assert engine.inputs > embedded
    other = EmbeddingCache.for_recipe(tmp_path / "cache", "emb-1", engine.name, 0, None)
    assert other is not None and other.folder != cache.folder
    assert EmbeddingCache.for_recipe(tmp_path / "cache", "emb-1", engine.name, 2, None) is None
    # a damaged entry is ignored and rewritten, not fatal
    entry = next(cache.folder.rglob("*.npz"))
    entry.write_bytes(b"not an npz")
    assert cache.get(entry.stem) is None


def test_lookalike_margin_stops_listed_photos_going_to_the_lookalike() -> None:
    # 3 classes: ivory (0), bone (1), ceramic look-alike (2); ivory photos whose ceramic
    # logit is a little higher than their ivory logit
    mask = np.array([False, False, True])
    rng = np.random.default_rng(0)
    y = np.array([0] * 100 + [1] * 100 + [2] * 100)
    logits = np.eye(3)[y] * 3.0 + rng.normal(0, 0.1, (300, 3))
    logits[:10, 2] += 3.5  # 10 % of the ivory photos lead on ceramic by about 0.5
    assert fit_margin(logits, y, mask) == 0.75  # the first grid step that recovers them
    top = apply_margin(logits, mask, 0.75).argmax(axis=1)
    assert (top[:100] == 0).all() and (top[200:] == 2).all()
    # never so far that the look-alike loses its own photos
    logits[200:290, 0] += 3.0  # most ceramics lead by a hair only
    assert fit_margin(logits, y, mask) == 0.0
    # no look-alike class: no margin
    assert fit_margin(logits, y, np.zeros(3, dtype=bool)) == 0.0
