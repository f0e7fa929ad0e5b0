"""Cross-validated identification figures on the shared demo set (issue 3's targets).

Imports ``../shared/data/reference_demo`` (or --reference DIR) into a temporary catalog
with the shipped backbone, runs ``idtool evaluate``'s grouped 5-fold cross-validation
(head refitted per fold; calibration and thresholds fitted on the other folds only), and
checks photos that are not in the set (photos shipped inside installed packages: a
temple, a flower, a portrait). Prints top-1, selective accuracy at the chosen thresholds,
the share identified / abstained, and whether the targets are met.

    .venv/bin/python benchmarks/bench_identification.py [--out docs/evaluation]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import matplotlib
import sklearn

from idtool.catalog.reference_import import import_reference_dir
from idtool.config import PROJECT_ROOT, load_settings
from idtool.curation.evaluation import evaluate
from idtool.curation.evaluation_report import write_evaluation
from idtool.decide.service import IdentificationService
from idtool.model.bundle import TARGET_SELECTIVE_ACCURACY

TARGETS = {"top1_accuracy": 0.90, "selective_accuracy": 0.97, "coverage": 0.80}


def not_in_set_photos(folder: Path) -> Path:
    """Copy real photos that ship inside installed packages into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    sources = [
        Path(sklearn.__file__).parent / "datasets" / "images" / "china.jpg",
        Path(sklearn.__file__).parent / "datasets" / "images" / "flower.jpg",
        Path(matplotlib.__file__).parent / "mpl-data" / "sample_data" / "grace_hopper.jpg",
    ]
    for source in sources:
        if source.is_file():
            shutil.copy(source, folder / source.name)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--reference", type=Path, default=PROJECT_ROOT.parent / "shared" / "data" / "reference_demo"
    )
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--runtime", default="auto")
    parser.add_argument(
        "--target",
        type=float,
        default=TARGET_SELECTIVE_ACCURACY,
        help="selective accuracy the thresholds aim at",
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="also write the plots and summary here"
    )
    args = parser.parse_args()
    if not args.reference.is_dir():
        raise SystemExit(f"no reference set at {args.reference}")
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(home=Path(tmp) / "home")
        service = IdentificationService.open(settings, args.runtime)
        try:
            started = time.perf_counter()
            report = import_reference_dir(service.catalog, service.embedder(), args.reference)
            print(
                f"imported {report.added} photos in {len(report.classes)} classes "
                f"({time.perf_counter() - started:.1f} s, engine {service.engine.name})"
            )
            started = time.perf_counter()
            evaluation = evaluate(
                service.catalog,
                service.bundle,
                service.engine,
                folds=args.folds,
                seed=args.seed,
                target_selective_accuracy=args.target,
                unknown_dir=not_in_set_photos(Path(tmp) / "unknown"),
            )
            print(f"cross-validation took {time.perf_counter() - started:.1f} s")
        finally:
            service.close()
    summary = evaluation.summary.to_dict()
    m = summary["metrics"]
    unknown = summary["unknown"] or {}
    n = summary["images"]
    print(
        f"\n{n} photos, {len(summary['classes'])} classes, {summary['folds']} folds; {summary['grouping']}"
    )
    rows = [
        ("top-1 accuracy", m["top1_accuracy"], TARGETS["top1_accuracy"]),
        ("top-3 accuracy", m["top3_accuracy"], None),
        ("expected calibration error", m["ece"], None),
        ("identified share (coverage)", m["coverage"], TARGETS["coverage"]),
        (
            "selective accuracy of identified",
            m["selective_accuracy"],
            TARGETS["selective_accuracy"],
        ),
        ("abstained share (uncertain + not_in_reference)", round(m["abstained"] / n, 4), None),
        ("wrong identifications", m["wrong_identifications"], None),
        ("listed photos called not-wildlife", m["called_not_wildlife"], None),
    ]
    print(f"\n{'figure':<48} {'value':>8}  target")
    for name, value, target in rows:
        verdict = (
            "" if target is None else ("met" if value >= target else "NOT met") + f" (>= {target})"
        )
        print(f"{name:<48} {value:>8}  {verdict}")
    if unknown:
        print(
            f"not-in-set photos wrongly identified: {unknown['false_identifications']} of "
            f"{unknown['processed']} ({unknown['decisions']})"
        )
    if args.out:
        files = write_evaluation(evaluation, args.out)
        print("wrote " + ", ".join(sorted(files.values())))


if __name__ == "__main__":
    main()
