"""Elephant ivory, walrus ivory and bone apart: which evidence wins, on grouped CV (issue 17).

Embeds every photo of ``../shared/data/met_ivory_bone`` with a bundle's backbone: the whole
photo (and its mirror) as ``idtool train`` does, plus up to ``count`` full-resolution surface
tiles from :func:`idtool.forensics.tiles.select_tiles`. Then, on stratified k-fold cross-validation
grouped by museum object (``met_object_id`` in SOURCES.csv) and by near-duplicates, so one
object's photos never straddle folds, it compares:

- ``prototype``: nearest class mean of the whole-photo embeddings (the issue's 0.735);
- ``head``: the logistic head over the whole photo, as ``idtool train`` fits it (0.743);
- ``head+tile_views``: one head trained on whole photos and tiles alike, logits averaged
  over the whole photo and the mean of its tiles;
- ``head+tile_head``: a second head on tiles, its mean tile logits added to the whole head's;
- ``concat``: one head over [whole, pooled tiles] (pooled = L2-normalised mean);
- ``*_balanced``: the same with class weights inversely proportional to class size.

Every method's out-of-fold logits are calibrated by one temperature (NLL), and the
confidence threshold is chosen on ``idtool train``'s grid as the lowest reaching the target
selective accuracy (0.95 by default): the figures are top-1, per-class recall, expected
calibration error and the coverage at that threshold. Each is repeated over ``--repeats``
fold seeds (min / median shown); the load average is printed with the figures.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_materials.py [--model models/idtool-lite0-1.2.0]
"""

from __future__ import annotations

import argparse
import csv
import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from idtool.config import PROJECT_ROOT, SHIPPED_MODELS_DIR
from idtool.curation.grouping import near_duplicate_group_ids
from idtool.curation.training import (
    CONFIDENCE_GRID,
    expected_calibration_error,
    fit_temperature,
    softmax,
)
from idtool.forensics.tiles import TileConfig, select_tiles, tile_inputs
from idtool.model.bundle import load_bundle
from idtool.model.discovery import SHIPPED_BUNDLE
from idtool.model.preprocess import decode_image, to_model_input
from idtool.model.runtime import TorchEngine, l2_normalise

DATA = PROJECT_ROOT.parent / "shared" / "data" / "met_ivory_bone"
CLASSES = ("material_bone", "material_ivory", "material_walrus_ivory")


def load_photos(folder: Path) -> tuple[list[Path], np.ndarray, np.ndarray]:
    """Photos, class indices and object ids (from SOURCES.csv; the file name otherwise)."""
    objects: dict[str, str] = {}
    sources = folder / "SOURCES.csv"
    if sources.is_file():
        with sources.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                objects[row["file"]] = row.get("met_object_id") or row["file"]
    paths, labels, groups = [], [], []
    for k, name in enumerate(CLASSES):
        for path in sorted((folder / name).glob("*.jpg")):
            paths.append(path)
            labels.append(k)
            groups.append(objects.get(f"{name}/{path.name}", path.name))
    _, group_ids = np.unique(groups, return_inverse=True)
    return paths, np.array(labels), group_ids


def embed_all(
    paths: list[Path], model: Path, tiles: TileConfig, cache: Path
) -> dict[str, np.ndarray]:
    """Whole, mirrored and tile embeddings of every photo (cached by model and tile settings)."""
    if cache.is_file():
        return dict(np.load(cache))
    bundle = load_bundle(model)
    engine = TorchEngine(bundle)
    whole, mirror, tile_vecs, tile_owner = [], [], [], []
    start = time.perf_counter()
    for i, path in enumerate(paths):
        rgb = decode_image(path).rgb
        batch = [
            to_model_input(rgb, bundle.preprocess),
            to_model_input(rgb[:, ::-1], bundle.preprocess),
        ]
        chosen = select_tiles(rgb, tiles)
        inputs = np.concatenate([np.stack(batch), tile_inputs(rgb, chosen, bundle.preprocess)])
        vectors = engine.embed(inputs)
        whole.append(vectors[0])
        mirror.append(vectors[1])
        tile_vecs.extend(vectors[2:])
        tile_owner.extend([i] * len(chosen))
    print(
        f"embedded {len(paths)} photos + {len(tile_vecs)} tiles in "
        f"{time.perf_counter() - start:.0f} s (load {os.getloadavg()[0]:.2f})"
    )
    arrays = {
        "whole": np.stack(whole),
        "mirror": np.stack(mirror),
        "tiles": np.stack(tile_vecs) if tile_vecs else np.zeros((0, whole[0].shape[0]), np.float32),
        "tile_owner": np.array(tile_owner, dtype=np.int64),
    }
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez(cache, **arrays)
    return arrays


def pooled_tiles(arrays: dict[str, np.ndarray]) -> np.ndarray:
    """Mean tile embedding per photo (the whole photo's own where it has no tile)."""
    pooled = arrays["whole"].copy()
    owner = arrays["tile_owner"]
    for i in np.unique(owner):
        pooled[i] = arrays["tiles"][owner == i].mean(axis=0)
    return l2_normalise(pooled)


def fit(
    x: np.ndarray, y: np.ndarray, balanced: bool, c: float = 10.0
) -> Callable[[np.ndarray], np.ndarray]:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(
        C=c, max_iter=5000, random_state=0, class_weight="balanced" if balanced else None
    )
    model.fit(x, y)
    return model.decision_function  # type: ignore[no-any-return]


def method_logits(
    name: str, arrays: dict[str, np.ndarray], y: np.ndarray, train: np.ndarray, test: np.ndarray
) -> np.ndarray:
    """Held-out logits of one method for the ``test`` photos, fitted on ``train`` only."""
    balanced = name.endswith("_balanced")
    base = name.removesuffix("_balanced")
    whole, mirror = arrays["whole"], arrays["mirror"]
    owner, tiles = arrays["tile_owner"], arrays["tiles"]
    in_train = np.isin(owner, train)
    if base == "prototype":
        protos = l2_normalise(
            np.stack([whole[train][y[train] == k].mean(axis=0) for k in range(len(CLASSES))])
        )
        return whole[test] @ protos.T / 0.05
    if base == "head":
        score = fit(np.concatenate([whole[train], mirror[train]]), np.tile(y[train], 2), balanced)
        return score(whole[test])
    if base == "concat":
        pooled = pooled_tiles(arrays)
        x_train = np.concatenate(
            [np.hstack([whole[train], pooled[train]]), np.hstack([mirror[train], pooled[train]])]
        )
        score = fit(x_train, np.tile(y[train], 2), balanced)
        return score(np.hstack([whole[test], pooled[test]]))
    tile_mean = np.zeros((len(whole), len(CLASSES)))
    if base == "head+tile_views":
        x_train = np.concatenate([whole[train], mirror[train], tiles[in_train]])
        y_train = np.concatenate([y[train], y[train], y[owner[in_train]]])
        score = fit(x_train, y_train, balanced)
        whole_logits = score(whole)
        tile_logits = score(tiles)
    elif base == "head+tile_head":
        whole_logits = fit(
            np.concatenate([whole[train], mirror[train]]), np.tile(y[train], 2), balanced
        )(whole)
        tile_logits = fit(tiles[in_train], y[owner[in_train]], balanced)(tiles)
    else:
        raise ValueError(name)
    tile_mean[:] = whole_logits  # photos without tiles fall back to the whole photo
    for i in np.unique(owner):
        tile_mean[i] = tile_logits[owner == i].mean(axis=0)
    return (0.5 * (whole_logits + tile_mean))[test]


def figures(logits: np.ndarray, y: np.ndarray, target: float) -> dict[str, float]:
    temperature = fit_temperature(logits, y)
    probs = softmax(logits, temperature)
    predicted = probs.argmax(axis=1)
    confidence = probs.max(axis=1)
    correct = predicted == y
    coverage, threshold = 0.0, float("nan")
    for t in CONFIDENCE_GRID:
        kept = confidence >= t
        if kept.any() and correct[kept].mean() >= target:
            coverage, threshold = float(kept.mean()), t
            break
    out = {
        "top1": float(correct.mean()),
        "ece": expected_calibration_error(probs, y),
        "coverage": coverage,
        "threshold": threshold,
    }
    for k, name in enumerate(CLASSES):
        out[f"recall_{name.removeprefix('material_')}"] = float(correct[y == k].mean())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--model", type=Path, default=SHIPPED_MODELS_DIR / SHIPPED_BUNDLE)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--target", type=float, default=0.95, help="selective accuracy to reach")
    parser.add_argument("--tile-count", type=int, default=TileConfig.count)
    parser.add_argument("--tile-fraction", type=float, default=TileConfig.side_fraction)
    parser.add_argument("--cache", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")))
    parser.add_argument(
        "--methods",
        default="prototype,head,head_balanced,head+tile_views,head+tile_views_balanced,"
        "head+tile_head,head+tile_head_balanced,concat,concat_balanced",
    )
    args = parser.parse_args()
    from sklearn.model_selection import StratifiedGroupKFold

    if not args.data.is_dir():
        raise SystemExit(f"{args.data} is missing: the shared met_ivory_bone set is needed")
    paths, y, objects = load_photos(args.data)
    tiles = TileConfig(count=args.tile_count, side_fraction=args.tile_fraction)
    tag = f"{args.model.name}-t{tiles.count}-f{tiles.side_fraction}"
    arrays = embed_all(paths, args.model, tiles, args.cache / f"idtool-materials-{tag}.npz")
    duplicates = near_duplicate_group_ids([str(p) for p in paths], arrays["whole"])
    # one group per museum object, merged with near-duplicate groups
    groups = np.unique(np.stack([objects, duplicates], axis=1), axis=0, return_inverse=True)[1]
    groups = np.asarray(groups).ravel()
    print(
        f"{len(y)} photos ({', '.join(f'{c}: {(y == k).sum()}' for k, c in enumerate(CLASSES))}), "
        f"{len(np.unique(groups))} groups, {len(arrays['tiles'])} tiles "
        f"({(np.bincount(arrays['tile_owner'], minlength=len(y)) == 0).sum()} photos without)"
    )
    methods = args.methods.split(",")
    results: dict[str, list[dict[str, float]]] = {m: [] for m in methods}
    for repeat in range(args.repeats):
        splitter = StratifiedGroupKFold(n_splits=args.folds, shuffle=True, random_state=repeat)
        splits = list(splitter.split(arrays["whole"], y, groups))
        for method in methods:
            logits = np.zeros((len(y), len(CLASSES)))
            for train, test in splits:
                logits[test] = method_logits(method, arrays, y, train, test)
            results[method].append(figures(logits, y, args.target))
    print_table(
        results,
        f"{args.folds}-fold grouped CV x {args.repeats} seeds, coverage at selective accuracy "
        f">= {args.target}",
    )


def print_table(results: dict[str, list[dict[str, float]]], title: str) -> None:
    """Each method's figures, min / median over its runs (seeds), with the load average."""
    keys = ["top1", "recall_ivory", "recall_walrus_ivory", "recall_bone", "coverage", "ece"]
    runs = len(next(iter(results.values())))
    print(f"\n{title}: {runs} seed(s), min / median; load average {os.getloadavg()[0]:.2f}")
    print(f"{'method':28s} " + " ".join(f"{k:>19s}" for k in keys))
    for method, figs in results.items():
        cells = []
        for key in keys:
            values = np.array([f[key] for f in figs])
            cells.append(f"{values.min():.3f} / {np.median(values):.3f}")
        print(f"{method:28s} " + " ".join(f"{c:>19s}" for c in cells), flush=True)


if __name__ == "__main__":
    main()
