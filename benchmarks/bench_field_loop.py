"""The field loop, end to end, on real photos of classes the shipped set lacks.

For the live big cats and reptiles of ``../shared/data/reference_demo`` (classes the
shipped museum set does not have), each class's photos are split once (seed 0) into a
held-out part (at least ``--held-out`` photos per class, whole difference-hash groups, so
no near-copy of a held-out photo is ever learnt) and a pool. Then, for each N:

1. post A uploads N pool photos per class (stored as the field server stores them);
2. a laboratory confirms each (``dna``);
3. the case is exported; the curator runs ``idtool reference import-confirmed`` on it,
   ``idtool train`` (grouped cross-validation, ONNX export) and ``idtool update publish``;
4. post B, a fresh post with the shipped bundle and reference set, runs ``idtool update
   apply`` with the curator's public key;
5. post B identifies the held-out photos, never seen by anyone.

Before any update, post B answers the same held-out photos with the shipped bundle. The
figures: top-1 (the best candidate is the true class), coverage (the share answered
``identified``), and the accuracy of those identified. Accuracy figures do not depend on
the machine's load; no timing is reported.

    .venv/bin/python benchmarks/bench_field_loop.py --out /tmp/field-loop --n 5 10 20
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
from pathlib import Path
from typing import Any

import numpy as np
from click.testing import CliRunner

from idtool.cli import main as cli_main
from idtool.config import PROJECT_ROOT, SHIPPED_REFERENCE_DIR, load_settings
from idtool.curation.grouping import near_duplicate_group_ids
from idtool.decide.service import IdentificationService
from idtool.evidence.confirmations import confirm_record
from idtool.evidence.export import export_case
from idtool.evidence.records import EvidenceRecord
from idtool.evidence.store import EvidenceStore
from idtool.learn.labels import known_taxa, resolve_label
from idtool.model.preprocess import decode_image
from idtool.types import Decision, label_from_class_dir

DEMO = PROJECT_ROOT.parent / "shared" / "data" / "reference_demo"
NEW_CLASSES = (
    "Acinonyx_jubatus",
    "Panthera_leo",
    "Panthera_tigris",
    "Naja_philippinensis",
    "Naja_samarensis",
    "Naja_sumatrana",
    "Phelsuma_grandis",
    "Phelsuma_laticauda",
)


def split(
    demo: Path, classes: tuple[str, ...], held_out: int, seed: int
) -> tuple[dict[str, list[Path]], dict[str, list[Path]]]:
    """Per class: (pool, held-out), whole difference-hash groups on one side."""
    rng = random.Random(seed)
    pools, tests = {}, {}
    for class_dir in classes:
        photos = sorted((demo / class_dir).glob("*.jpg"))
        groups = near_duplicate_group_ids([str(p) for p in photos], np.eye(len(photos)))
        ids = sorted(set(groups.tolist()))
        rng.shuffle(ids)
        test: list[Path] = []
        for gid in ids:
            if len(test) >= held_out:
                break
            test += [p for p, g in zip(photos, groups, strict=True) if g == gid]
        tests[class_dir] = test
        pools[class_dir] = [p for p in photos if p not in test]
        rng.shuffle(pools[class_dir])
    return pools, tests


def cli(home: Path, *args: str) -> str:
    result = CliRunner().invoke(cli_main, list(args), env={"IDTOOL_HOME": str(home)})
    if result.exit_code != 0:
        raise SystemExit(f"idtool {' '.join(args)} failed:\n{result.output}")
    return result.stdout


def upload_and_confirm(post: Path, photos: dict[str, list[Path]], case_ref: str) -> int:
    """Post A stores each photo as an original record; the lab confirms each."""
    store = EvidenceStore.open(post / "evidence")
    taxa = known_taxa({})
    count = 0
    try:
        for class_dir, files in photos.items():
            label = resolve_label(class_dir, taxa, None)
            for photo in files:
                data = photo.read_bytes()
                sha = store.store_original(data)
                record, _ = store.add_record(
                    EvidenceRecord(
                        id=store.new_record_id(),
                        created_at="2026-12-01T10:00:00.000+00:00",
                        officer="officer.a",
                        sha256=sha,
                        byte_count=len(data),
                        media_format=decode_image(data).media_format,
                        exif={},
                        declaration={},
                        identification={},
                        guidance={},
                        model_version="shipped",
                        reference_version=None,
                        listing_set=None,
                        case_ref=case_ref,
                        filename=photo.name,
                    )
                )
                confirm_record(
                    store,
                    record.id,
                    label=label,
                    method="dna",
                    by="forensic laboratory",
                    report_ref=f"LAB-{count}",
                    actor="supervisor.a",
                )
                count += 1
    finally:
        store.close()
    return count


def identify(home: Path, tests: dict[str, list[Path]]) -> dict[str, Any]:
    """Post B's answers on the held-out photos: per class and overall.

    An identification counts as right when its label is the true species or, rolled up,
    one of its ancestors (genus, family); ``identified_species`` counts species-level ones.
    """
    runtime = IdentificationService.open(load_settings(home=home))
    try:
        identifier = runtime.identifier()
        taxa = known_taxa(runtime.catalog.taxa())
        per_class: dict[str, dict[str, Any]] = {}
        keys = ("n", "top1", "identified", "identified_correct", "identified_species")
        keys += ("uncertain", "not_in_reference")
        totals = dict.fromkeys(keys, 0)
        for class_dir, photos in tests.items():
            truth = label_from_class_dir(class_dir)
            taxon = taxa.get(truth)
            right = {truth, *(taxon.lineage.values() if taxon else ())}
            results = identifier.identify_decoded(
                [decode_image(p, fit=identifier.decode_config) for p in photos],
                [p.name for p in photos],
            )
            ident = [r for r in results if r.decision == Decision.IDENTIFIED]
            row = {
                "n": len(results),
                "top1": sum(1 for r in results if r.candidates and r.candidates[0].label == truth),
                "identified": len(ident),
                "identified_correct": sum(1 for r in ident if r.label in right),
                "identified_species": sum(1 for r in ident if r.label == truth),
                "uncertain": sum(1 for r in results if r.decision == Decision.UNCERTAIN),
                "not_in_reference": sum(
                    1 for r in results if r.decision == Decision.NOT_IN_REFERENCE
                ),
                "labels": sorted({str(r.label) for r in ident}),
            }
            per_class[class_dir] = row
            for key in totals:
                totals[key] += row[key]
        n = totals["n"]
        return {
            "model": runtime.bundle.version,
            "reference_version": identifier.reference.reference_version,
            "thresholds": identifier.thresholds.to_dict(),
            "top1": round(totals["top1"] / n, 3),
            "coverage": round(totals["identified"] / n, 3),
            "coverage_species": round(totals["identified_species"] / n, 3),
            "selective_accuracy": round(totals["identified_correct"] / totals["identified"], 3)
            if totals["identified"]
            else None,
            "uncertain": round(totals["uncertain"] / n, 3),
            "not_in_reference": round(totals["not_in_reference"] / n, 3),
            "n": n,
            "per_class": per_class,
        }
    finally:
        runtime.close()


def base_home(path: Path) -> Path:
    """A post as set up: the shipped bundle and the shipped reference set imported."""
    if not (path / "catalog.db").is_file():
        cli(path, "reference", "import", str(SHIPPED_REFERENCE_DIR))
    return path


def one_round(
    work: Path,
    base: Path,
    keys: Path,
    n: int,
    pools: dict[str, list[Path]],
    tests: dict,
    target_accuracy: float | None = None,
) -> dict[str, Any]:
    root = work / f"n{n}"
    post_a, curator, post_b = root / "post_a", root / "curator", root / "post_b"
    chosen = {c: photos[:n] for c, photos in pools.items()}
    version = f"2.0.{n}"
    trained = sorted((curator / "models").glob(f"*-{version}/model.json"))
    if trained and (root / "case" / "manifest.json").is_file():  # resume after training
        confirmed = sum(len(p) for p in chosen.values())
        train = json.loads(trained[0].read_text()).get("metrics") or {}
        imported = {"added": None}
    else:
        shutil.rmtree(root, ignore_errors=True)
        shutil.copytree(base, curator)
        confirmed = upload_and_confirm(post_a, chosen, f"CASE-N{n}")
        store = EvidenceStore.open(post_a / "evidence")
        try:
            export_case(store, f"CASE-N{n}", root / "case", "supervisor.a")
        finally:
            store.close()
        imported = json.loads(
            cli(curator, "reference", "import-confirmed", str(root / "case"), "--format", "json")
        )
        options = ["--target-accuracy", str(target_accuracy)] if target_accuracy else []
        train = json.loads(
            cli(curator, "train", "--version", version, *options, "--format", "json")
        )
    shutil.rmtree(post_b, ignore_errors=True)
    (root / "update.pkg").unlink(missing_ok=True)
    shutil.copytree(base, post_b)
    package = root / "update.pkg"
    cli(
        curator,
        "update",
        "publish",
        "--out",
        str(package),
        "--key",
        str(keys / "idtool-update.key"),
        "--version",
        f"2026.12.{n}",
    )
    cli(post_b, "update", "apply", str(package), "--trust", str(keys / "idtool-update.pub"))
    after = identify(post_b, tests)
    return {
        "n_requested": n,
        "photos_per_class": {c: len(p) for c, p in chosen.items()},
        "confirmed": confirmed,
        "imported": imported["added"],
        "train_cv": {k: train.get(k) for k in ("top1_accuracy", "top3_accuracy", "ece")},
        "after": after,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo", type=Path, default=DEMO)
    parser.add_argument("--out", type=Path, required=True, help="Work folder (kept).")
    parser.add_argument("--n", type=int, nargs="+", default=[5, 10, 20])
    parser.add_argument("--held-out", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--target-accuracy",
        type=float,
        default=None,
        help="idtool train --target-accuracy (default: the bundle's, 0.98)",
    )
    args = parser.parse_args()
    if not args.demo.is_dir():
        sys.exit(f"{args.demo} is absent: this benchmark needs the shared demo photos")
    args.out.mkdir(parents=True, exist_ok=True)
    pools, tests = split(args.demo, NEW_CLASSES, args.held_out, args.seed)
    base = base_home(args.out / "base")
    keys = args.out / "keys"
    if not keys.is_dir():
        cli(args.out, "update", "keygen", "--out", str(keys))
    before = identify(base, tests)
    rounds = [
        one_round(args.out, base, keys, n, pools, tests, args.target_accuracy) for n in args.n
    ]
    result = {
        "classes": list(NEW_CLASSES),
        "held_out_photos": {c: len(p) for c, p in tests.items()},
        "pool_photos": {c: len(p) for c, p in pools.items()},
        "target_accuracy": args.target_accuracy,
        "before": before,
        "rounds": rounds,
    }
    (args.out / "field_loop.json").write_text(json.dumps(result, indent=2))
    header = ("N/class", "photos", "top-1", "not-in-ref", "uncertain", "identified")
    print(" ".join(f"{h:>10}" for h in (*header, "of which right", "species")))
    for name, count, a in [("before", 0, before)] + [
        (str(r["n_requested"]), r["confirmed"], r["after"]) for r in rounds
    ]:
        cells = (name, count, a["top1"], a["not_in_reference"], a["uncertain"], a["coverage"])
        cells += (a["selective_accuracy"], a["coverage_species"])
        print(" ".join(f"{'-' if c is None else c:>10}" for c in cells))


if __name__ == "__main__":
    main()
