"""Ceramic look-alikes against elephant ivory, walrus ivory and bone (issue 25), held out.

Three parts, all on embeddings computed once and cached (``idtool.curation.embedding_cache``,
the cache ``idtool train`` uses), with the shipped backbone:

1. **The split** (``benchmarks/lookalike_split.json``, made once with ``--make-split``,
   seed 0): the 1,548 CC0 ceramic photos of ``../shared/data/met_ceramics`` are grouped by
   near-duplicates (embedding cosine >= 0.95 or difference hash <= 6/64, mirror included);
   whole groups are drawn at random until 150 photos are held out; the rest, in a seeded
   order, are the photos that may be shipped (``reference_images/material_ceramic`` holds
   the first ``ship`` of them). The held-out ceramics are never trained on. The elephant
   ivory, walrus ivory and bone photos of ``../shared/data/met_ivory_bone`` that are not
   in ``reference_images/`` (2 per class: the ``examples/`` photos) are held out too; no
   shipped bundle has seen them.
2. **Recipes on one hold-out** (``--recipes``): fold 0 of the grouped, stratified 5-fold
   split of the photos that 1.1.0 was trained on (seed 0) is held out as well; each recipe
   (number of shipped ceramics; class weights or not) is trained with ``idtool train``'s
   own ``train_head`` on the rest, and decided on fold 0 and the 150 ceramics, so every
   recipe is measured on the same unseen photos.
3. **Shipped bundles** (``--bundles``): each bundle in ``--bundle`` is applied, as
   ``idtool identify`` applies it (tile gate, open-set similarity to its own reference set,
   per-class thresholds; no photo-quality check), to the 150 held-out ceramics and the
   6 held-out ivory and bone photos; the reference set of a bundle is the set it was
   trained on (for 1.1.0, ``reference_images`` without the newly shipped ceramics).

    mkdir -p OLD && git archive 0a3a686 models/idtool-lite0-1.1.0 | tar x -C OLD --strip-components=1
    PYTHONPATH=. .venv/bin/python benchmarks/bench_lookalike.py --cv-base \\
        --recipes 0:none,300:balanced --base-bundle OLD/idtool-lite0-1.1.0 \\
        --bundle models/idtool-lite0-1.2.0 [--shared ../shared/data] [--out report.json]

(1.1.0 left ``models/`` with 1.2.0; ``git archive`` brings it back from the commit before.
``--make-split`` rewrites the split; the shipped ceramics were drawn from this one.)
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from idtool.catalog.taxonomy import TaxonRecord, infer_taxon, read_taxonomy_csv
from idtool.config import PROJECT_ROOT, SHIPPED_REFERENCE_DIR
from idtool.curation.cross_validation import fold_assignment
from idtool.curation.embedding_cache import CachedPhoto, EmbeddingCache, training_cache_root
from idtool.curation.grouping import near_duplicate_group_ids
from idtool.curation.training import embed_photos, train_head, training_set_of
from idtool.decide.decision import ClassScores, Decision, DecisionResult, decide
from idtool.decide.texture import (
    TILE_GATE_MASS,
    TextureView,
    choose_texture,
    pool_tiles,
    texture_classes,
    texture_features,
)
from idtool.model.bundle import Head, ModelBundle, Thresholds, load_bundle
from idtool.model.discovery import SHIPPED_BUNDLE
from idtool.model.runtime import load_engine

SHARED = PROJECT_ROOT.parent / "shared" / "data"
CERAMICS = SHARED / "met_ceramics" / "material_ceramic"
IVORY_BONE = SHARED / "met_ivory_bone"
SPLIT_FILE = Path(__file__).with_name("lookalike_split.json")
HELD_OUT_CERAMICS = 150
CERAMIC = "material_ceramic"
LISTED_LOOKING = ("material_ivory", "material_walrus_ivory", "material_bone")
MATERIAL_CLASSES = ("material_bone", "material_ivory", "material_walrus_ivory")


class Embedder:
    """Cached embeddings of photos by path, in the ``idtool train`` recipe."""

    def __init__(self, bundle: ModelBundle, cache_root: Path) -> None:
        self.bundle = bundle
        self.engine = load_engine(bundle, "auto", 1)
        self.texture = choose_texture(MATERIAL_CLASSES)
        self.cache = EmbeddingCache.for_recipe(
            cache_root, bundle.embedding_version, self.engine.name, 0, self.texture
        )

    def __call__(self, paths: Sequence[Path]) -> list[CachedPhoto]:
        return embed_photos(paths, self.bundle, self.engine, texture=self.texture, cache=self.cache)


def make_split(embed: Embedder, seed: int) -> dict[str, Any]:
    """Hold out whole near-duplicate groups of ceramics until 150 photos are out."""
    paths = sorted(CERAMICS.glob("*.jpg"))
    whole = np.stack([p.views[0] for p in embed(paths)])
    groups = near_duplicate_group_ids([str(p) for p in paths], whole)
    rng = np.random.default_rng(seed)
    held: list[int] = []
    for group in rng.permutation(np.unique(groups)):
        if len(held) >= HELD_OUT_CERAMICS:
            break
        held.extend(np.flatnonzero(groups == group).tolist())
    rest = [i for i in rng.permutation(len(paths)).tolist() if i not in set(held)]
    return {
        "seed": seed,
        "how": "met_ceramics grouped by near-duplicates (cosine >= 0.95 or dhash <= 6/64, "
        "mirror included); whole groups drawn at random until 150 photos are held out; the "
        "rest in a seeded order, shipped from the front",
        "held_out_ceramics": sorted(paths[i].name for i in held),
        "ship_order": [paths[i].name for i in rest],
        "held_out_ivory_bone": held_out_ivory_bone(),
    }


def held_out_ivory_bone() -> list[str]:
    """met_ivory_bone photos (``class/file``) that reference_images does not ship."""
    out = []
    for label in MATERIAL_CLASSES:
        shipped = {p.name for p in (SHIPPED_REFERENCE_DIR / label).glob("*.jpg")}
        out += [
            f"{label}/{p.name}"
            for p in sorted((IVORY_BONE / label).glob("*.jpg"))
            if p.name not in shipped
        ]
    return out


def load_taxa() -> dict[str, TaxonRecord]:
    rows = read_taxonomy_csv(SHIPPED_REFERENCE_DIR / "TAXONOMY.csv")
    labels = [p.name for p in SHIPPED_REFERENCE_DIR.iterdir() if p.is_dir()]
    return {label: infer_taxon(label, rows.get(label)) for label in labels}


def base_set(split: dict[str, Any]) -> list[tuple[Path, str]]:
    """(path, label) of the photos 1.1.0 was trained on: reference_images less the ceramics
    shipped from the split."""
    shipped = set(split["ship_order"])
    out = []
    for folder in sorted(p for p in SHIPPED_REFERENCE_DIR.iterdir() if p.is_dir()):
        for path in sorted(folder.glob("*.jpg")):
            if not (folder.name == CERAMIC and path.name in shipped):
                out.append((path, folder.name))
    return out


class Scorer:
    """A head applied as ``idtool identify`` applies it, on cached embeddings."""

    def __init__(
        self,
        head: Head,
        thresholds: Thresholds,
        texture: TextureView | None,
        reference: np.ndarray,
        taxa: dict[str, TaxonRecord],
    ) -> None:
        self.head, self.thresholds, self.texture = head, thresholds, texture
        self.reference, self.taxa = reference, taxa

    def decide(self, photos: Sequence[CachedPhoto]) -> tuple[list[DecisionResult], list[str]]:
        """Decisions and top-1 labels of these photos."""
        whole = np.stack([p.views[0] for p in photos])
        similarity = (whole @ self.reference.T).max(axis=1)
        if self.texture is None:
            probs = self.head.probabilities(whole)
        else:
            probs = self.head.probabilities(texture_features(whole, whole))
            material = np.isin(
                self.head.classes, sorted(texture_classes(self.head.classes, self.taxa))
            )
            for i, photo in enumerate(photos):
                if (
                    similarity[i] >= self.thresholds.min_similarity
                    and probs[i, material].sum() >= TILE_GATE_MASS
                ):
                    pooled = pool_tiles(photo.tiles, whole[i])
                    probs[i] = self.head.probabilities(
                        texture_features(whole[i : i + 1], pooled[None])
                    )[0]
        outcomes = [
            decide(ClassScores(self.head.classes, p, "head"), float(s), self.taxa, self.thresholds)
            for p, s in zip(probs.astype(np.float64), similarity, strict=True)
        ]
        return outcomes, [self.head.classes[int(k)] for k in probs.argmax(axis=1)]


def figures(
    outcomes: Sequence[DecisionResult], top1: Sequence[str], truths: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """Per true class: photos, top-1 right, identified, identified right, identified as
    each label, and the top-1 counts."""
    out: dict[str, dict[str, Any]] = {}
    for label in sorted(set(truths)):
        rows = [i for i, t in enumerate(truths) if t == label]
        called = [outcomes[i] for i in rows if outcomes[i].decision is Decision.IDENTIFIED]
        right = sum(o.label == label for o in called)
        tops: dict[str, int] = {}
        calls: dict[str, int] = {}
        for i in rows:
            tops[top1[i]] = tops.get(top1[i], 0) + 1
        for o in called:
            calls[str(o.label)] = calls.get(str(o.label), 0) + 1
        out[label] = {
            "photos": len(rows),
            "top1": round(sum(top1[i] == label for i in rows) / len(rows), 4),
            "identified": len(called),
            "selective_accuracy": round(right / len(called), 4) if called else None,
            "top1_counts": dict(sorted(tops.items())),
            "identified_as": dict(sorted(calls.items())),
        }
        if label == CERAMIC:
            out[label]["identified_as_ivory_or_bone"] = sum(calls.get(k, 0) for k in LISTED_LOOKING)
    return out


def run_recipes(
    embed: Embedder, split: dict[str, Any], taxa: dict[str, TaxonRecord], recipes: list[str]
) -> dict[str, Any]:
    """Each recipe trained on the base set less its fold 0 (plus its ceramics), decided on
    fold 0 and the held-out ceramics."""
    base = base_set(split)
    base_photos = embed([p for p, _ in base])
    labels = [label for _, label in base]
    classes = tuple(sorted(set(labels)))
    y = np.array([classes.index(label) for label in labels])
    whole = np.stack([p.views[0] for p in base_photos])
    groups = near_duplicate_group_ids([str(p) for p, _ in base], whole)
    fold = fold_assignment(y, groups, 5, split["seed"])
    train, test = np.flatnonzero(fold != 0), np.flatnonzero(fold == 0)
    held = embed([CERAMICS / name for name in split["held_out_ceramics"]])
    test_photos = [base_photos[i] for i in test] + held
    truths = [labels[i] for i in test] + [CERAMIC] * len(held)
    report: dict[str, Any] = {
        "fold0_held_out": {c: int((y[test] == k).sum()) for k, c in enumerate(classes)},
        "train_base_photos": len(train),
    }
    for recipe in recipes:
        count, _, weighting = recipe.partition(":")
        ship = embed([CERAMICS / name for name in split["ship_order"][: int(count)]])
        photos = [base_photos[i] for i in train] + ship
        names = [labels[i] for i in train] + [CERAMIC] * len(ship)
        data = training_set_of(
            photos,
            labels=tuple(names),
            image_ids=tuple(range(len(photos))),
            paths=tuple(str(base[i][0]) for i in train)
            + tuple(str(CERAMICS / n) for n in split["ship_order"][: int(count)]),
            reference_version=f"recipe-{recipe}",
            texture=embed.texture,
        )
        result = train_head(data, taxa, seed=split["seed"], balanced=weighting == "balanced")
        scorer = Scorer(result.head, result.thresholds, embed.texture, data.plain, taxa)
        outcomes, top1 = scorer.decide(test_photos)
        n = len(test)
        report[recipe] = {
            "cv_top1": result.metrics["top1_accuracy"],
            "abstain": list(result.thresholds.abstain),
            "per_class_thresholds": result.thresholds.per_class,
            "fold0": figures(outcomes[:n], top1[:n], truths[:n]),
            "held_out_ceramics": figures(outcomes[n:], top1[n:], truths[n:])[CERAMIC],
        }
        print(recipe, json.dumps(report[recipe]), flush=True)
    return report


def run_cv_base(
    embed: Embedder, split: dict[str, Any], taxa: dict[str, TaxonRecord]
) -> dict[str, Any]:
    """``idtool train``'s grouped CV of the 1.1.0 recipe (no class weights) on the set 1.1.0
    was trained on: per-class top-1 from its confusion matrix, to compare with the new
    bundle's ``metrics.confusion``."""
    base = base_set(split)
    data = training_set_of(
        embed([p for p, _ in base]),
        labels=tuple(label for _, label in base),
        image_ids=tuple(range(len(base))),
        paths=tuple(str(p) for p, _ in base),
        reference_version="base",
        texture=embed.texture,
    )
    result = train_head(data, taxa, seed=split["seed"])
    return cv_summary(result.metrics)


def cv_summary(metrics: dict[str, Any]) -> dict[str, Any]:
    """Top-1, per-class top-1 (confusion diagonal) and operating points of a CV run."""
    confusion = metrics["confusion"]
    matrix = np.array(confusion["matrix"])
    return {
        "top1": metrics["top1_accuracy"],
        "coverage": metrics["coverage"],
        "selective_accuracy": metrics["selective_accuracy"],
        "class_top1": {
            label: round(float(matrix[i, i] / matrix[i].sum()), 4)
            for i, label in enumerate(confusion["labels"])
        },
        "confusion": confusion,
        "per_class": metrics["per_class"],
        "lookalike_margin": metrics.get("lookalike_margin"),
    }


def shipped_set() -> list[tuple[Path, str]]:
    """(path, label) of every photo in reference_images."""
    return [
        (path, folder.name)
        for folder in sorted(p for p in SHIPPED_REFERENCE_DIR.iterdir() if p.is_dir())
        for path in sorted(folder.glob("*.jpg"))
    ]


def run_bundles(
    embed: Embedder,
    split: dict[str, Any],
    taxa: dict[str, TaxonRecord],
    bundles: list[tuple[Path, bool]],
) -> dict[str, Any]:
    """Each bundle on the held-out ceramics and ivory/bone photos (``True`` beside a
    bundle: it was trained on the base set, see :func:`base_set`)."""
    held = [CERAMICS / name for name in split["held_out_ceramics"]]
    held += [IVORY_BONE / name for name in split["held_out_ivory_bone"]]
    truths = [CERAMIC] * len(split["held_out_ceramics"])
    truths += [name.split("/")[0] for name in split["held_out_ivory_bone"]]
    photos = embed(held)
    report: dict[str, Any] = {}
    for path, on_base in bundles:
        bundle = load_bundle(path)
        if bundle.head is None:
            raise SystemExit(f"{path} has no head")
        # its reference set: what it was trained on
        reference = base_set(split) if on_base else shipped_set()
        vectors = np.stack([p.views[0] for p in embed([p for p, _ in reference])])
        scorer = Scorer(
            bundle.head, bundle.thresholds, TextureView.from_bundle(bundle.meta), vectors, taxa
        )
        outcomes, top1 = scorer.decide(photos)
        report[bundle.version] = {
            "reference_photos": len(reference),
            "held_out": figures(outcomes, top1, truths),
            "uncertain_ceramics_with_ivory_or_bone_candidate": sum(
                o.decision is Decision.UNCERTAIN
                and any(c.label in LISTED_LOOKING for c in o.candidates)
                for o, t in zip(outcomes, truths, strict=True)
                if t == CERAMIC
            ),
        }
        print(path.name, json.dumps(report[bundle.version]), flush=True)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=None, help="embedding cache root")
    parser.add_argument("--make-split", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--cv-base", action="store_true", help="grouped CV of the 1.1.0 recipe on its set"
    )
    parser.add_argument("--recipes", default="", help="e.g. 0:none,300:balanced")
    parser.add_argument(
        "--bundle", type=Path, action="append", default=[], help="trained on reference_images"
    )
    parser.add_argument(
        "--base-bundle",
        type=Path,
        action="append",
        default=[],
        help="trained on reference_images less the split's shipped ceramics (1.1.0)",
    )
    parser.add_argument("--out", type=Path, default=None, help="write the JSON report here")
    parser.add_argument("--shared", type=Path, default=SHARED, help="the shared data folder")
    args = parser.parse_args()
    global CERAMICS, IVORY_BONE  # the data folders, set once here
    CERAMICS = args.shared / "met_ceramics" / "material_ceramic"
    IVORY_BONE = args.shared / "met_ivory_bone"
    if not CERAMICS.is_dir():
        raise SystemExit(f"{CERAMICS} is absent: these figures need ../shared")
    base = load_bundle(PROJECT_ROOT / "models" / SHIPPED_BUNDLE)
    cache_root = args.cache or training_cache_root(Path(os.environ.get("IDTOOL_HOME", "/tmp")))
    embed = Embedder(base, cache_root)
    if args.make_split:
        SPLIT_FILE.write_text(json.dumps(make_split(embed, args.seed), indent=1) + "\n")
    split = json.loads(SPLIT_FILE.read_text())
    taxa = load_taxa()
    report: dict[str, Any] = {"split": split["how"], "loadavg_1min": os.getloadavg()[0]}
    if args.recipes:
        report["recipes"] = run_recipes(embed, split, taxa, args.recipes.split(","))
    if args.cv_base:
        report["cv_base_recipe_1.1.0"] = run_cv_base(embed, split, taxa)
    for path in args.bundle:
        meta = json.loads((path / "model.json").read_text())
        report[f"cv_{path.name}"] = cv_summary(meta["metrics"])
    bundles = [(p, True) for p in args.base_bundle] + [(p, False) for p in args.bundle]
    if bundles:
        report["bundles"] = run_bundles(embed, split, taxa, bundles)
    text = json.dumps(report, indent=1)
    if args.out:
        args.out.write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
