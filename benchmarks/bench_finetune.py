"""Does fine-tuning the backbone's last stages pay for ivory / walrus ivory / bone? (issue 17)

Splits the bundle's EfficientNet at ``blocks[5]`` (:mod:`idtool.curation.finetune`): the
frozen front runs once over every photo of ``../shared/data/met_ivory_bone`` (plain,
mirrored and ``--whole-views`` augmented views) and over each of its surface tiles
(:func:`idtool.forensics.tiles.select_tiles`; plain and ``--tile-views`` augmented views,
labelled with the photo's class), and the 112 x 14 x 14 maps are cached under ``--cache``.
Then, on the grouped 5-fold CV of ``bench_materials.py`` (same groups, same folds for a
seed, same temperature calibration and coverage rule), for each fold the tail
(``blocks[5]``, ``blocks[6]``, ``conv_head``, ``bn2``) is fine-tuned on that fold's training
photos and tiles only, every photo and tile is re-embedded, and the heads of
``bench_materials.method_logits`` are fitted on the training photos and scored on the test
fold. Compared: the frozen backbone (``head``, ``concat``, ``concat_balanced``) against the
fine-tuned one (``ft_head``, ``ft_head_balanced``, ``ft_concat``, ``ft_concat_balanced``).

Last, the tail is fine-tuned on all met photos and both backbones embed
``../shared/data/reference_demo`` (whole photos): grouped 5-fold CV top-1 of a logistic
head and of nearest class prototypes says whether the shared backbone got worse for
other classes.

    PYTHONPATH=. taskset -c 1 .venv/bin/python benchmarks/bench_finetune.py --seeds 0,1 --epochs 4
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_materials import (
    CLASSES,
    DATA,
    figures,
    fit,
    load_photos,
    method_logits,
    print_table,
)

from idtool.config import PROJECT_ROOT, SHIPPED_MODELS_DIR
from idtool.curation.cross_validation import fold_assignment
from idtool.curation.finetune import (
    FineTuneConfig,
    augment_rgb,
    embed_maps,
    frozen_maps,
    split_backbone,
    train_tail,
)
from idtool.curation.grouping import near_duplicate_group_ids
from idtool.forensics.tiles import Tile, TileConfig, select_tiles, tile_inputs
from idtool.model.bundle import ModelBundle, load_bundle
from idtool.model.discovery import SHIPPED_BUNDLE
from idtool.model.preprocess import decode_image, to_model_input

DEMO = PROJECT_ROOT.parent / "shared" / "data" / "reference_demo"
# row kinds in the cache
PLAIN, MIRROR, WHOLE_AUG, TILE, TILE_AUG = range(5)
TILE_SHARE = 3.0  # an epoch draws a photo's tiles (all views) 3x as often as its whole views
FROZEN_METHODS = ("head", "concat", "concat_balanced")
TUNED_METHODS = ("head", "head_balanced", "concat", "concat_balanced")


def build_cache(
    paths: list[Path],
    bundle: ModelBundle,
    tiles: TileConfig,
    whole_views: int,
    tile_views: int,
    cache: Path,
) -> dict[str, np.ndarray]:
    """Front maps of every photo's views and its tiles' views, with each row's kind/owner."""
    if cache.is_file():
        return dict(np.load(cache))
    front, _ = split_backbone(bundle.create_model())
    maps, kind, owner = [], [], []
    start = time.perf_counter()
    for i, path in enumerate(paths):
        rgb = decode_image(path).rgb
        rng = np.random.default_rng([1789, i])  # views are the same on every run
        views = [rgb, rgb[:, ::-1]] + [augment_rgb(rgb, rng) for _ in range(whole_views)]
        inputs = [to_model_input(v, bundle.preprocess) for v in views]
        kinds = [PLAIN, MIRROR] + [WHOLE_AUG] * whole_views
        for tile in select_tiles(rgb, tiles):
            x0, y0, x1, y1 = tile.box
            patch = np.ascontiguousarray(rgb[y0:y1, x0:x1])
            for view in range(tile_views + 1):
                picture = patch if view == 0 else augment_rgb(patch, rng)
                side = min(picture.shape[:2])
                square = Tile(0, 0, side, 1.0, 0.0, 0.0)
                inputs.append(tile_inputs(picture, [square], bundle.preprocess)[0])
                kinds.append(TILE if view == 0 else TILE_AUG)
        maps.append(frozen_maps(front, np.stack(inputs)))
        kind += kinds
        owner += [i] * len(kinds)
        if (i + 1) % 50 == 0:
            print(f"  cached {i + 1}/{len(paths)} photos ({time.perf_counter() - start:.0f} s)")
    arrays = {"maps": np.concatenate(maps), "kind": np.array(kind), "owner": np.array(owner)}
    print(
        f"cached {len(arrays['kind'])} front maps in {time.perf_counter() - start:.0f} s "
        f"(load {os.getloadavg()[0]:.2f})"
    )
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez(cache, maps=arrays["maps"], kind=arrays["kind"], owner=arrays["owner"])
    return arrays


def embeddings(tail: torch.nn.Module, cache: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The arrays ``bench_materials.method_logits`` reads, from the plain rows of the cache."""
    kind, owner = cache["kind"], cache["owner"]
    rows = np.flatnonzero(np.isin(kind, (PLAIN, MIRROR, TILE)))
    vectors = embed_maps(tail, cache["maps"][rows])
    tile = kind[rows] == TILE
    return {
        "whole": vectors[kind[rows] == PLAIN],
        "mirror": vectors[kind[rows] == MIRROR],
        "tiles": vectors[tile],
        "tile_owner": owner[rows][tile],
    }


def fine_tune(
    bundle: ModelBundle,
    cache: dict[str, np.ndarray],
    y: np.ndarray,
    photos: np.ndarray,
    config: FineTuneConfig,
) -> torch.nn.Module:
    """A fresh tail fine-tuned on the views and tiles of ``photos`` only."""
    _, tail = split_backbone(bundle.create_model())
    kind, owner = cache["kind"], cache["owner"]
    rows = np.flatnonzero(np.isin(owner, photos))
    is_tile = np.isin(kind[rows], (TILE, TILE_AUG))
    whole_per_photo = np.bincount(owner[rows][~is_tile], minlength=len(y))
    tile_per_photo = np.bincount(owner[rows][is_tile], minlength=len(y))
    per_photo = np.where(is_tile, tile_per_photo[owner[rows]], whole_per_photo[owner[rows]])
    weights = np.where(is_tile, TILE_SHARE, 1.0) / per_photo
    train_tail(tail, cache["maps"][rows], y[owner[rows]], weights, config)
    return tail


def demo_figures(
    groups: np.ndarray, whole: np.ndarray, mirror: np.ndarray, y: np.ndarray, seed: int
) -> list[float]:
    """Grouped 5-fold top-1 of a logistic head and of nearest class prototypes."""
    fold = fold_assignment(y, groups, 5, seed)
    head, proto = np.zeros(len(y), int), np.zeros(len(y), int)
    for k in np.unique(fold):
        train, test = fold != k, fold == k
        score = fit(np.concatenate([whole[train], mirror[train]]), np.tile(y[train], 2), False)
        head[test] = score(whole[test]).argmax(axis=1)
        means = np.stack([whole[train][y[train] == c].mean(axis=0) for c in np.unique(y)])
        proto[test] = (whole[test] @ means.T).argmax(axis=1)
    return [float((head == y).mean()), float((proto == y).mean())]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--demo", type=Path, default=DEMO)
    parser.add_argument("--model", type=Path, default=SHIPPED_MODELS_DIR / SHIPPED_BUNDLE)
    parser.add_argument("--seeds", default="0", help="fold seeds, comma-separated")
    parser.add_argument("--epochs", type=int, default=FineTuneConfig.epochs)
    parser.add_argument("--lr", type=float, default=FineTuneConfig.lr_tail)
    parser.add_argument("--whole-views", type=int, default=3, help="augmented views per photo")
    parser.add_argument("--tile-views", type=int, default=1, help="augmented views per tile")
    parser.add_argument("--draws", type=int, default=4, help="maps drawn per photo per epoch")
    parser.add_argument("--target", type=float, default=0.95, help="selective accuracy to reach")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/idtool-finetune"))
    parser.add_argument("--skip-demo", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if not args.data.is_dir():
        raise SystemExit(f"{args.data} is missing: the shared met_ivory_bone set is needed")
    started = time.perf_counter()
    bundle = load_bundle(args.model)
    tiles = TileConfig()
    paths, y, objects = load_photos(args.data)
    tag = f"{args.model.name}-w{args.whole_views}-t{args.tile_views}"
    cache = build_cache(
        paths, bundle, tiles, args.whole_views, args.tile_views, args.cache / f"{tag}.npz"
    )
    frozen = embeddings(split_backbone(bundle.create_model())[1], cache)
    duplicates = near_duplicate_group_ids([str(p) for p in paths], frozen["whole"])
    groups = np.unique(np.stack([objects, duplicates], axis=1), axis=0, return_inverse=True)[1]
    groups = np.asarray(groups).ravel()

    def recipe(n_photos: int) -> FineTuneConfig:
        return FineTuneConfig(
            epochs=args.epochs, samples_per_epoch=args.draws * n_photos, lr_tail=args.lr
        )

    results: dict[str, list[dict[str, float]]] = {}
    for seed in [int(s) for s in args.seeds.split(",") if s]:  # "": the demo check only
        fold = fold_assignment(y, groups, 5, seed)
        logits = {m: np.zeros((len(y), len(CLASSES))) for m in FROZEN_METHODS}
        tuned_logits = {m: np.zeros((len(y), len(CLASSES))) for m in TUNED_METHODS}
        for k in range(fold.max() + 1):
            t0 = time.perf_counter()
            train, test = np.flatnonzero(fold != k), np.flatnonzero(fold == k)
            tuned = embeddings(fine_tune(bundle, cache, y, train, recipe(len(train))), cache)
            for m in FROZEN_METHODS:
                logits[m][test] = method_logits(m, frozen, y, train, test)
            for m in TUNED_METHODS:
                tuned_logits[m][test] = method_logits(m, tuned, y, train, test)
            print(
                f"seed {seed} fold {k}: fine-tuned and scored in "
                f"{time.perf_counter() - t0:.0f} s (load {os.getloadavg()[0]:.2f})",
                flush=True,
            )
        for m in FROZEN_METHODS:
            results.setdefault(m, []).append(figures(logits[m], y, args.target))
        for m in TUNED_METHODS:
            results.setdefault(f"ft_{m}", []).append(figures(tuned_logits[m], y, args.target))
        print_table(results, f"after seed {seed}")

    if not args.skip_demo and args.demo.is_dir():
        print_demo(bundle, cache, y, recipe(len(y)), args.demo)
    print(
        f"\nepochs {args.epochs}, lr {args.lr}, views whole {args.whole_views} + plain + mirror, "
        f"tile {args.tile_views} + plain, {args.draws} draws/photo/epoch; "
        f"wall {time.perf_counter() - started:.0f} s, load average {os.getloadavg()}"
    )


def print_demo(
    bundle: ModelBundle,
    cache: dict[str, np.ndarray],
    y: np.ndarray,
    config: FineTuneConfig,
    demo: Path,
) -> None:
    """Frozen vs fine-tuned-on-all-met backbone on reference_demo (whole photos)."""
    t0 = time.perf_counter()
    tuned_tail = fine_tune(bundle, cache, y, np.arange(len(y)), config)
    front, frozen_tail = split_backbone(bundle.create_model())
    classes = sorted(p.name for p in demo.iterdir() if p.is_dir())
    labels, maps, paths = [], [], []
    for k, name in enumerate(classes):
        for path in sorted((demo / name).glob("*.jpg")):
            paths.append(str(path))
            rgb = decode_image(path).rgb
            batch = np.stack([to_model_input(v, bundle.preprocess) for v in (rgb, rgb[:, ::-1])])
            maps.append(frozen_maps(front, batch))
            labels.append(k)
    stacked = np.stack(maps)  # photos x 2 x C x H x W
    demo_y = np.array(labels)
    print(f"\nreference_demo: {len(demo_y)} photos, {len(classes)} classes, grouped 5-fold top-1")
    print(f"{'backbone':22s} {'head seed0':>10s} {'proto seed0':>11s} {'head seed1':>10s}")
    # groups from the frozen embeddings for both backbones: the same folds for each
    groups = near_duplicate_group_ids(paths, embed_maps(frozen_tail, stacked[:, 0]))
    for name, tail in (("frozen", frozen_tail), ("fine-tuned on met", tuned_tail)):
        whole = embed_maps(tail, stacked[:, 0])
        mirror = embed_maps(tail, stacked[:, 1])
        head0, proto0 = demo_figures(groups, whole, mirror, demo_y, 0)
        head1, _ = demo_figures(groups, whole, mirror, demo_y, 1)
        print(f"{name:22s} {head0:10.3f} {proto0:11.3f} {head1:10.3f}")
    print(f"(demo check {time.perf_counter() - t0:.0f} s, load {os.getloadavg()[0]:.2f})")


if __name__ == "__main__":
    main()
