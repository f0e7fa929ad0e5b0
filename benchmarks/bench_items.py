"""Several photos of one item: single photo vs 2- and 3-photo items, both fusion rules.

Uses a catalog where ``reference_demo`` is already imported (``--home``; imported into a
temporary one otherwise) and its stored plain embeddings: the head is fitted per fold on
the plain photos only (no mirror views, so nothing is re-embedded; ``idtool evaluate``
runs the full recipe and prints the same table). For the head and the prototype scorer:
grouped 5-fold CV, then :func:`idtool.curation.item_evaluation.evaluate_items`.

    .venv/bin/python benchmarks/bench_items.py [--home DIR] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from idtool.catalog.reference_import import import_reference_dir
from idtool.config import PROJECT_ROOT, load_settings
from idtool.curation.cross_validation import cross_validate
from idtool.curation.grouping import near_duplicate_group_ids
from idtool.curation.item_evaluation import evaluate_items
from idtool.curation.training import TrainingSet
from idtool.decide.service import IdentificationService


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=None)
    parser.add_argument(
        "--reference", type=Path, default=PROJECT_ROOT.parent / "shared" / "data" / "reference_demo"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(home=args.home or Path(tmp))
        service = IdentificationService.open(settings)
        if args.home is None:
            import_reference_dir(service.catalog, service.embedder(), args.reference)
        reference = service.catalog.load_embeddings(service.bundle.embedding_version)
        taxa = service.catalog.taxa()
        service.close()
    data = TrainingSet(
        views=reference.vectors[:, None, :],
        labels=reference.labels,
        image_ids=reference.image_ids,
        paths=reference.paths,
        classes=reference.classes,
        reference_version=reference.reference_version,
    )
    groups = near_duplicate_group_ids(data.paths, data.plain)
    report = {"images": len(data.labels), "loadavg_1min": os.getloadavg()[0]}
    for method in ("head", "prototype"):
        start = time.perf_counter()
        cv = cross_validate(data, taxa, seed=args.seed, groups=groups, method=method)
        items = evaluate_items(data, cv, taxa, args.seed)
        report[method] = {"elapsed_s": round(time.perf_counter() - start, 1), **items}
        print(f"== {method}: alpha per fold {items['alpha_per_fold']}")
        for size, rules in items["sizes"].items():
            for rule, row in rules.items():
                worst = row["worst_class"] or {}
                print(
                    f"{size} photo(s) {rule:13} items {row['items']:4} top1 {row['top1_accuracy']:.3f}"
                    f" coverage {row['coverage']:.3f} selective {row['selective_accuracy']}"
                    f" wrong {row['wrong_identifications']}  worst {worst.get('class')}"
                    f" {worst.get('selective_accuracy')} @ {worst.get('coverage')}"
                )
    for method in ("head", "prototype"):
        for rules in report[method]["sizes"].values():
            for row in rules.values():
                row.pop("operating_points", None)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
