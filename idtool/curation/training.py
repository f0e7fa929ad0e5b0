"""Training the classifier head and choosing thresholds, by grouped cross-validation.

The backbone stays frozen. Each reference photo is embedded in several views (the photo,
its mirror image, and seeded random crops); a multinomial logistic regression on the
L2-normalised embeddings is the head. Out-of-fold predictions, with folds grouped so that
near-duplicate photos never sit on both sides, give:

- the softmax temperature (calibration, fitted by minimising the negative log-likelihood);
- ``min_confidence``: the lowest confidence at which the selective accuracy of the full
  decision rule (roll-up included) reaches the target;
- ``min_similarity``: a low quantile of the held-out photos' similarity to their nearest
  reference, below which an input is called ``not_in_reference``.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from idtool.catalog.store import Catalog
from idtool.catalog.taxonomy import TaxonRecord
from idtool.curation.embedding_cache import CachedPhoto, EmbeddingCache
from idtool.curation.grouping import HASH_DISTANCE, NEAR_DUPLICATE_COSINE, near_duplicate_group_ids
from idtool.curation.lookalike_margin import apply_margin, fit_margin, lookalike_mask
from idtool.decide.calibration import fit_temperature, softmax
from idtool.decide.texture import TextureView, embed_tiles, pool_tiles, texture_features
from idtool.decide.thresholds import (
    CONFIDENCE_GRID,
    SIMILARITY_QUANTILE,
    class_operating_points,
    decide_all,
    fit_thresholds,
    is_correct,
    selective,
    worst_class,
)
from idtool.errors import CatalogError
from idtool.hashing import sha256_file
from idtool.model.bundle import TARGET_SELECTIVE_ACCURACY, Head, ModelBundle, Thresholds
from idtool.model.preprocess import PreprocessConfig, decode_image, to_model_input
from idtool.model.runtime import EmbeddingEngine

log = logging.getLogger(__name__)

DEFAULT_C = 10.0
DEFAULT_CROPS = 0
__all__ = ["SIMILARITY_QUANTILE", "fit_temperature", "is_correct", "softmax"]  # re-exported
MIN_IMAGES_PER_CLASS = 3


@dataclass(frozen=True)
class TrainingSet:
    """Embeddings of every reference photo in every view (view 0 is the plain photo)."""

    views: np.ndarray  # n_images x n_views x dim
    labels: tuple[str, ...]
    image_ids: tuple[int, ...]
    paths: tuple[str, ...]
    classes: tuple[str, ...]
    reference_version: str
    # surface tiles (texture view, see idtool.decide.texture): embeddings and owning photo
    texture: TextureView | None = None
    tiles: np.ndarray | None = None  # n_tiles x dim
    tile_owner: np.ndarray | None = None  # n_tiles, index into the photos

    @property
    def y(self) -> np.ndarray:
        index = {c: i for i, c in enumerate(self.classes)}
        return np.array([index[label] for label in self.labels])

    @property
    def plain(self) -> np.ndarray:
        return self.views[:, 0, :]

    @property
    def pooled(self) -> np.ndarray | None:
        """Per photo, the pooled tile embedding (texture view), or None without one."""
        if self.texture is None:
            return None
        owner = self.tile_owner if self.tile_owner is not None else np.zeros(0, np.int64)
        tiles = self.tiles if self.tiles is not None else np.zeros((0, self.plain.shape[1]))
        return np.stack([pool_tiles(tiles[owner == i], w) for i, w in enumerate(self.plain)])

    def samples(self, photos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Training rows for these photos: every view (beside the photo's pooled tiles)."""
        n_views, dim = self.views.shape[1], self.views.shape[2]
        x = self.views[photos].reshape(-1, dim)
        pooled = self.pooled
        if pooled is not None:
            x = texture_features(x, np.repeat(pooled[photos], n_views, axis=0))
        return x, np.repeat(self.y[photos], n_views)

    def features(self, photos: np.ndarray) -> np.ndarray:
        """The head's input for these photos, as the identifier builds it."""
        pooled = self.pooled
        if pooled is None:
            return self.plain[photos]
        return texture_features(self.plain[photos], pooled[photos])

    def logits(self, weight: np.ndarray, bias: np.ndarray, photos: np.ndarray) -> np.ndarray:
        return self.features(photos) @ weight.T + bias


@dataclass(frozen=True)
class OutOfFold:
    """Held-out predictions for every photo."""

    logits: np.ndarray  # n x classes
    nearest_similarity: np.ndarray  # n, to the nearest photo of the training folds
    groups: np.ndarray
    folds: int


def random_crop(rgb: np.ndarray, rng: np.random.Generator, min_scale: float = 0.55) -> np.ndarray:
    """A random square-ish crop keeping ``min_scale``..1 of each side, maybe mirrored."""
    height, width = rgb.shape[:2]
    scale = rng.uniform(min_scale, 1.0)
    crop_h, crop_w = max(8, int(height * scale)), max(8, int(width * scale))
    top = int(rng.integers(0, height - crop_h + 1))
    left = int(rng.integers(0, width - crop_w + 1))
    crop = rgb[top : top + crop_h, left : left + crop_w]
    return crop[:, ::-1] if rng.random() < 0.5 else crop


def view_inputs(
    rgb: np.ndarray, config: PreprocessConfig, rng: np.random.Generator, crops: int
) -> np.ndarray:
    """Model inputs for the plain photo, its mirror, and ``crops`` random crops."""
    views = [rgb, rgb[:, ::-1]] + [random_crop(rgb, rng) for _ in range(crops)]
    return np.stack([to_model_input(np.ascontiguousarray(v), config) for v in views])


def embed_photos(
    paths: Sequence[Path],
    bundle: ModelBundle,
    engine: EmbeddingEngine,
    *,
    crops: int = DEFAULT_CROPS,
    seed: int = 0,
    texture: TextureView | None = None,
    cache: EmbeddingCache | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[CachedPhoto]:
    """Each photo's view embeddings (plain, mirror, ``crops`` seeded random crops) and,
    with a ``texture`` view, its surface-tile embeddings; read from and written to
    ``cache`` when one is given (a photo is then embedded once per model and recipe)."""
    rng = np.random.default_rng(seed)
    out: list[CachedPhoto] = []
    hits = 0
    for i, path in enumerate(paths):
        digest = sha256_file(path) if cache is not None else ""
        found = cache.get(digest) if cache is not None else None
        if found is None:
            rgb = decode_image(path).rgb
            views = engine.embed(view_inputs(rgb, bundle.preprocess, rng, crops))
            tiles = (
                embed_tiles(rgb, texture, bundle.preprocess, engine)
                if texture is not None
                else np.zeros((0, views.shape[1]), dtype=np.float32)
            )
            found = CachedPhoto(views=views, tiles=tiles.reshape(-1, views.shape[1]))
            if cache is not None:
                cache.put(digest, found)
        else:
            hits += 1
        out.append(found)
        if progress:
            progress(i + 1, len(paths))
    if cache is not None:
        log.info("embedding cache %s: %d of %d photos cached", cache.folder, hits, len(paths))
    return out


def embed_training_set(
    catalog: Catalog,
    bundle: ModelBundle,
    engine: EmbeddingEngine,
    *,
    crops: int = DEFAULT_CROPS,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
    texture: TextureView | None = None,
    cache_root: Path | None = None,
) -> TrainingSet:
    """Embed every active reference photo in several views (seeded), and its surface
    tiles when a ``texture`` view is given. With ``cache_root`` the embeddings are kept
    in an :class:`EmbeddingCache` there, so an unchanged photo is not embedded again.

    Raises:
        CatalogError: fewer than two classes, or a class with too few photos.
    """
    images = catalog.active_images()
    counts: dict[str, int] = {}
    for img in images:
        counts[img.label] = counts.get(img.label, 0) + 1
    if len(counts) < 2:
        raise CatalogError("training needs at least two classes in the catalog")
    small = sorted(label for label, n in counts.items() if n < MIN_IMAGES_PER_CLASS)
    if small:
        raise CatalogError(
            f"classes with fewer than {MIN_IMAGES_PER_CLASS} photos cannot be trained: {', '.join(small)}"
        )
    cache = (
        EmbeddingCache.for_recipe(cache_root, bundle.embedding_version, engine.name, crops, texture)
        if cache_root is not None
        else None
    )
    photos = embed_photos(
        [Path(img.path) for img in images],
        bundle,
        engine,
        crops=crops,
        seed=seed,
        texture=texture,
        cache=cache,
        progress=progress,
    )
    return training_set_of(
        photos,
        labels=tuple(img.label for img in images),
        image_ids=tuple(img.id for img in images),
        paths=tuple(img.path for img in images),
        reference_version=catalog.reference_version(),
        texture=texture,
    )


def training_set_of(
    photos: Sequence[CachedPhoto],
    *,
    labels: tuple[str, ...],
    image_ids: tuple[int, ...],
    paths: tuple[str, ...],
    reference_version: str,
    texture: TextureView | None,
    classes: tuple[str, ...] | None = None,
) -> TrainingSet:
    """A :class:`TrainingSet` from embedded photos (classes: the sorted labels by default)."""
    owner = [i for i, photo in enumerate(photos) for _ in range(len(photo.tiles))]
    tiles = [photo.tiles for photo in photos if len(photo.tiles)]
    return TrainingSet(
        views=np.stack([photo.views for photo in photos]),
        labels=labels,
        image_ids=image_ids,
        paths=paths,
        classes=classes or tuple(sorted(set(labels))),
        reference_version=reference_version,
        texture=texture,
        tiles=np.concatenate(tiles) if texture is not None and tiles else None,
        tile_owner=np.array(owner, dtype=np.int64) if texture is not None and owner else None,
    )


def fit_linear(
    x: np.ndarray, y: np.ndarray, n_classes: int, c: float, seed: int, balanced: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression; returns (weight n_classes x dim, bias n_classes).

    ``balanced`` weighs each class inversely to its number of samples, so a small class
    (41 walrus ivory photos beside 209 of elephant ivory) is not outvoted.
    """
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(
        C=c, max_iter=5000, random_state=seed, class_weight="balanced" if balanced else None
    )
    model.fit(x, y)
    weight = np.zeros((n_classes, x.shape[1]), dtype=np.float32)
    bias = np.full(n_classes, -1e4, dtype=np.float32)
    if len(model.classes_) == 2:
        # Two classes: scikit-learn keeps one row, the log-odds of the second class; as
        # softmax logits that is [0, row] (broadcasting it to both rows made them equal).
        first, second = model.classes_
        weight[first], bias[first] = 0.0, 0.0
        weight[second] = model.coef_[0].astype(np.float32)
        bias[second] = np.float32(model.intercept_[0])
        return weight, bias
    weight[model.classes_] = model.coef_.astype(np.float32)
    bias[model.classes_] = model.intercept_.astype(np.float32)
    return weight, bias


def _fold_count(y: np.ndarray, groups: np.ndarray, wanted: int) -> int:
    smallest = min(len(set(groups[y == k])) for k in np.unique(y))
    return max(2, min(wanted, smallest))


def out_of_fold(
    data: TrainingSet,
    *,
    folds: int = 5,
    c: float = DEFAULT_C,
    seed: int = 0,
    balanced: bool = False,
) -> OutOfFold:
    """Grouped, stratified k-fold predictions for every photo (plain view held out)."""
    from sklearn.model_selection import StratifiedGroupKFold

    y = data.y
    groups = near_duplicate_group_ids(data.paths, data.plain)
    k = _fold_count(y, groups, folds)
    splitter = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
    logits = np.zeros((len(y), len(data.classes)), dtype=np.float32)
    nearest = np.zeros(len(y), dtype=np.float32)
    for train_idx, test_idx in splitter.split(data.plain, y, groups):
        x_train, y_train = data.samples(train_idx)
        weight, bias = fit_linear(x_train, y_train, len(data.classes), c, seed, balanced)
        logits[test_idx] = data.logits(weight, bias, test_idx)
        nearest[test_idx] = (data.plain[test_idx] @ data.plain[train_idx].T).max(axis=1)
    return OutOfFold(logits=logits, nearest_similarity=nearest, groups=groups, folds=k)


def expected_calibration_error(probs: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == y
    edges = np.linspace(0, 1, bins + 1)
    ece = 0.0
    for low, high in itertools.pairwise(edges):
        mask = (confidence > low) & (confidence <= high)
        if mask.any():
            ece += mask.mean() * abs(correct[mask].mean() - confidence[mask].mean())
    return float(ece)


def selective_curve(
    probs: np.ndarray,
    nearest: np.ndarray,
    data: TrainingSet,
    taxa: dict[str, TaxonRecord],
    min_similarity: float,
) -> list[dict[str, float]]:
    """Coverage and selective accuracy of the global decision rule per confidence threshold."""
    curve = []
    for threshold in CONFIDENCE_GRID:
        rule = Thresholds(min_confidence=threshold, min_similarity=min_similarity)
        identified, correct = selective(
            decide_all(probs, nearest, data.classes, taxa, rule), data.labels, taxa
        )
        curve.append(
            {
                "min_confidence": threshold,
                "coverage": identified / len(data.labels),
                "selective_accuracy": correct / identified if identified else 1.0,
            }
        )
    return curve


def confusion_counts(
    y: np.ndarray, predicted: np.ndarray, classes: Sequence[str]
) -> dict[str, Any]:
    """The out-of-fold confusion matrix as ``model.json`` keeps it: ``labels`` in head order,
    ``matrix[i][j]`` = photos of class ``labels[i]`` whose top-1 is ``labels[j]``."""
    matrix = np.zeros((len(classes), len(classes)), dtype=np.int64)
    np.add.at(matrix, (y, predicted), 1)
    return {"labels": list(classes), "matrix": matrix.tolist()}


@dataclass(frozen=True)
class TrainResult:
    head: Head
    thresholds: Thresholds
    metrics: dict[str, Any]
    curve: list[dict[str, float]]


def train_head(
    data: TrainingSet,
    taxa: dict[str, TaxonRecord],
    *,
    folds: int = 5,
    c: float = DEFAULT_C,
    seed: int = 0,
    target_selective_accuracy: float = TARGET_SELECTIVE_ACCURACY,
    balanced: bool = False,
) -> TrainResult:
    """Cross-validate, calibrate, choose thresholds, and fit the final head on everything
    (``balanced``: class weights inversely proportional to class size, see :func:`fit_linear`).

    With look-alike classes beside others, the out-of-fold logits also fit the look-alike
    margin (:mod:`idtool.curation.lookalike_margin`), subtracted from the look-alike
    classes' bias before calibration; ``metrics["lookalike_margin"]`` records it."""
    oof = out_of_fold(data, folds=folds, c=c, seed=seed, balanced=balanced)
    y = data.y
    mask = lookalike_mask(data.classes, taxa)
    margin = fit_margin(oof.logits, y, mask)
    logits = apply_margin(oof.logits, mask, margin)
    temperature = fit_temperature(logits, y)
    probs = softmax(logits, temperature)
    thresholds = fit_thresholds(
        probs,
        oof.nearest_similarity,
        data.labels,
        data.classes,
        taxa,
        target_selective_accuracy,
        data.reference_version,
    )
    curve = selective_curve(probs, oof.nearest_similarity, data, taxa, thresholds.min_similarity)
    meeting = [p for p in curve if p["selective_accuracy"] >= target_selective_accuracy]
    chosen = next((p for p in curve if p["min_confidence"] == thresholds.min_confidence), curve[-1])
    held = decide_all(probs, oof.nearest_similarity, data.classes, taxa, thresholds)
    points = class_operating_points(held, data.labels, data.classes, taxa)
    identified, correct = selective(held, data.labels, taxa)
    top = np.argsort(-probs, axis=1)
    metrics = {
        "folds": oof.folds,
        "grouping": f"near-duplicates (cosine >= {NEAR_DUPLICATE_COSINE} or difference-hash "
        f"distance <= {HASH_DISTANCE}/64, mirror included) kept in one fold",
        "images": len(y),
        "classes": len(data.classes),
        "top1_accuracy": round(float((top[:, 0] == y).mean()), 4),
        "top3_accuracy": round(float((top[:, :3] == y[:, None]).any(axis=1).mean()), 4),
        "ece": round(expected_calibration_error(probs, y), 4),
        "ece_uncalibrated": round(expected_calibration_error(softmax(logits, 1.0), y), 4),
        "coverage_global_rule": round(chosen["coverage"], 4),
        "selective_accuracy_global_rule": round(chosen["selective_accuracy"], 4),
        "coverage": round(identified / len(y), 4),
        "selective_accuracy": round(correct / identified, 4) if identified else None,
        "worst_class": worst_class(points),
        "per_class": points,
        "target_met": bool(meeting),
        "seed": seed,
        "c": c,
        "class_weight": "balanced" if balanced else "none",
        "confusion": confusion_counts(y, top[:, 0], data.classes),
        "lookalike_margin": margin,
    }
    x_all, y_all = data.samples(np.arange(len(y)))
    weight, bias = fit_linear(x_all, y_all, len(data.classes), c, seed, balanced)
    bias = (bias - np.float32(margin) * mask).astype(np.float32)
    head = Head(
        classes=data.classes,
        weight=weight,
        bias=bias,
        temperature=round(temperature, 4),
        fit_on=data.reference_version,
    )
    return TrainResult(head=head, thresholds=thresholds, metrics=metrics, curve=curve)
