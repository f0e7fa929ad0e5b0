"""Which scorer a curator gets right after `reference import`: measured on grouped CV.

Compares, on the same grouped, stratified 5-fold split of ``../shared/data/reference_demo``
(near-duplicates by embedding cosine or difference hash kept in one fold):

- ``knn (as shipped)``: the old fallback, a softmax at temperature 0.05 over each class's
  best cosine, with the generic thresholds (0.7 / 0.45);
- ``prototype``: class means, temperature and thresholds (global, then per class) fitted
  on the other folds (:mod:`idtool.decide.prototypes`);
- ``head``: the ``idtool train`` recipe (logistic regression on photo + mirror views),
  same calibration and threshold discipline.

For each: top-1, coverage and selective accuracy at the cross-fitted operating point, the
worst class, and what it costs to fit on the whole set (prototype: from the stored
embeddings; head: re-embedding the mirror views plus the CV fits of ``idtool train``).
Timings are repeated (``--repeat``) and reported min/median with the load average.

    .venv/bin/python benchmarks/bench_fallback.py [--reference DIR] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from idtool.catalog.reference_import import import_reference_dir
from idtool.catalog.store import ReferenceEmbeddings
from idtool.config import PROJECT_ROOT, load_settings
from idtool.curation.cross_validation import cross_validate, fold_assignment
from idtool.curation.grouping import near_duplicate_group_ids
from idtool.curation.training import embed_training_set, train_head
from idtool.decide.identify import knn_scores
from idtool.decide.prototypes import fit_prototypes
from idtool.decide.service import IdentificationService
from idtool.decide.thresholds import class_operating_points, decide_all, selective, worst_class
from idtool.model.bundle import TARGET_SELECTIVE_ACCURACY, Thresholds


def _figures(outcomes, truths, classes, taxa, top1) -> dict[str, object]:
    identified, correct = selective(outcomes, truths, taxa)
    points = class_operating_points(outcomes, truths, classes, taxa)
    return {
        "top1": round(float(np.mean([t == g for t, g in zip(truths, top1, strict=True)])), 4),
        "coverage": round(identified / len(truths), 4),
        "selective_accuracy": round(correct / identified, 4) if identified else None,
        "wrong_identified": identified - correct,
        "worst_class": worst_class(points),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--reference", type=Path, default=PROJECT_ROOT.parent / "shared" / "data" / "reference_demo"
    )
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        settings = load_settings(home=Path(home))
        service = IdentificationService.open(settings)
        import_reference_dir(
            service.catalog,
            service.embedder(),
            args.reference,
            max_bytes=settings.max_image_bytes,
            max_pixels=settings.max_image_pixels,
        )
        taxa = service.catalog.taxa()
        embed_times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            data = embed_training_set(service.catalog, service.bundle, service.engine)
            embed_times.append(time.perf_counter() - start)
        groups = near_duplicate_group_ids(data.paths, data.plain)
        results: dict[str, dict[str, object]] = {}
        # the old k-NN fallback, as it ran: fixed temperature, generic thresholds
        fold = fold_assignment(data.y, groups, args.folds, args.seed)
        outcomes, top1 = [None] * len(data.labels), [""] * len(data.labels)
        labels = np.asarray(data.labels)
        for f in range(int(fold.max()) + 1):
            train, test = np.flatnonzero(fold != f), np.flatnonzero(fold == f)
            reference = ReferenceEmbeddings(
                data.plain[train], tuple(labels[train]), (), (), "cv", "cv"
            )
            for i in test:
                scores = knn_scores(data.plain[i], reference)
                nearest = float((data.plain[train] @ data.plain[i]).max())
                outcomes[i] = decide_all(
                    scores.probabilities[None, :],
                    np.array([nearest]),
                    scores.classes,
                    taxa,
                    Thresholds(),
                    "knn",
                )[0]
                top1[i] = scores.classes[int(np.argmax(scores.probabilities))]
        results["knn (as shipped)"] = _figures(outcomes, data.labels, data.classes, taxa, top1)
        for method in ("prototype", "head"):
            for per_class in (False, True):
                cv = cross_validate(
                    data,
                    taxa,
                    folds=args.folds,
                    seed=args.seed,
                    groups=groups,
                    method=method,
                    per_class_thresholds=per_class,
                )
                top1 = [data.classes[i] for i in cv.logits.argmax(axis=1)]
                name = f"{method} ({'per-class' if per_class else 'global'} thresholds)"
                results[name] = _figures(cv.outcomes, data.labels, data.classes, taxa, top1)
        fit_times: dict[str, list[float]] = {"prototype": [], "head": []}
        loads = []
        reference = service.catalog.load_embeddings(service.bundle.embedding_version)
        for _ in range(args.repeat):
            loads.append(os.getloadavg()[0])
            start = time.perf_counter()
            fit_prototypes(reference, taxa, target_selective_accuracy=TARGET_SELECTIVE_ACCURACY)
            fit_times["prototype"].append(time.perf_counter() - start)
            start = time.perf_counter()
            train_head(data, taxa, folds=args.folds, seed=args.seed)
            fit_times["head"].append(time.perf_counter() - start)
        service.close()
    timing = {
        "embed_views_s": {"min": min(embed_times), "median": statistics.median(embed_times)},
        "prototype_fit_s": {
            "min": min(fit_times["prototype"]),
            "median": statistics.median(fit_times["prototype"]),
        },
        "head_fit_s (after embedding)": {
            "min": min(fit_times["head"]),
            "median": statistics.median(fit_times["head"]),
        },
        "loadavg_1min": loads,
    }
    print(json.dumps({"images": len(data.labels), "results": results, "timing": timing}, indent=2))
    print(f"{'scorer':40} {'top1':>6} {'cover':>6} {'select':>6} {'wrong':>5}  worst class")
    for name, r in results.items():
        worst = r["worst_class"] or {}
        print(
            f"{name:40} {r['top1']:6.3f} {r['coverage']:6.3f} {r['selective_accuracy']!s:>6} "
            f"{r['wrong_identified']:5}  {worst.get('class')} {worst.get('selective_accuracy')} "
            f"@ {worst.get('coverage')}"
        )


if __name__ == "__main__":
    main()
