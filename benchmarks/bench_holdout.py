"""Held-out figures for the README: a seeded, grouped 80/20 split of reference_demo.

The demo set is split once (seed 0): near-duplicate groups (embedding cosine or
difference hash) are kept on one side and every class is stratified; fold 0 of the
grouped 5-fold assignment (about 20 %) is held out and never used to fit anything. On the
other 80 %:

- ``prototype``: what a curator gets right after ``idtool reference import`` (no
  ``idtool train``): class means, temperature and thresholds fitted on that 80 %;
- ``head``: ``idtool train``'s recipe (grouped CV calibration, global and per-class
  thresholds), on the stored plain-photo embeddings (no mirror views, to avoid
  re-embedding; cross-validation shows the mirror views add about 0.005 top-1).

Then the held-out photos are decided one by one, and as items of 2 and 3 photos of one
class (seeded draws within the held-out part, fused by ``idtool.decide.fusion``).

    .venv/bin/python benchmarks/bench_holdout.py --home DIR   # reference_demo imported
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import numpy as np

from idtool.catalog.store import ReferenceEmbeddings
from idtool.config import load_settings
from idtool.curation.cross_validation import fold_assignment
from idtool.curation.grouping import near_duplicate_group_ids
from idtool.curation.item_evaluation import draw_items
from idtool.curation.training import TrainingSet, train_head
from idtool.decide.decision import ClassScores, decide
from idtool.decide.fusion import DEFAULT_ALPHA, fuse_probabilities
from idtool.decide.prototypes import fit_prototypes
from idtool.decide.service import IdentificationService
from idtool.decide.thresholds import class_operating_points, selective, worst_class


def figures(outcomes, truths, classes, taxa, top1):  # type: ignore[no-untyped-def]
    identified, correct = selective(outcomes, truths, taxa)
    points = class_operating_points(outcomes, truths, classes, taxa)
    return {
        "n": len(truths),
        "top1": round(float(np.mean([a == b for a, b in zip(top1, truths, strict=True)])), 4),
        "coverage": round(identified / len(truths), 4),
        "selective_accuracy": round(correct / identified, 4) if identified else None,
        "wrong_identified": identified - correct,
        "worst_class": worst_class(points),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    service = IdentificationService.open(load_settings(home=args.home))
    reference = service.catalog.load_embeddings(service.bundle.embedding_version)
    taxa = service.catalog.taxa()
    service.close()
    classes = reference.classes
    y = np.array([classes.index(label) for label in reference.labels])
    groups = near_duplicate_group_ids(reference.paths, reference.vectors)
    fold = fold_assignment(y, groups, 5, args.seed)
    train, test = np.flatnonzero(fold != 0), np.flatnonzero(fold == 0)
    labels = np.asarray(reference.labels)
    sub = ReferenceEmbeddings(
        reference.vectors[train],
        tuple(labels[train]),
        tuple(np.asarray(reference.image_ids)[train]),
        tuple(np.asarray(reference.paths)[train]),
        "holdout-train",
        reference.embedding_version,
    )
    proto = fit_prototypes(sub, taxa)
    data = TrainingSet(
        views=sub.vectors[:, None, :],
        labels=sub.labels,
        image_ids=sub.image_ids,
        paths=sub.paths,
        classes=classes,
        reference_version="holdout-train",
    )
    trained = train_head(data, taxa, seed=args.seed)
    x = reference.vectors[test]
    nearest = (x @ sub.vectors.T).max(axis=1)
    truths = labels[test].tolist()
    scorers = {
        "prototype (no train)": (proto.probabilities(x), proto.thresholds),
        "head (idtool train)": (trained.head.probabilities(x), trained.thresholds),
    }
    report: dict[str, object] = {
        "split": f"seed {args.seed}: fold 0 of a grouped stratified 5-fold split held out",
        "train_photos": len(train),
        "held_out_photos": len(test),
        "loadavg_1min": os.getloadavg()[0],
    }
    local_fold = np.zeros(len(test), dtype=int)
    for name, (probs, rule) in scorers.items():
        outcomes = [
            decide(ClassScores(classes, probs[i], "x"), float(nearest[i]), taxa, rule)
            for i in range(len(test))
        ]
        top1 = [classes[int(k)] for k in probs.argmax(axis=1)]
        rows: dict[str, object] = {"1 photo": figures(outcomes, truths, classes, taxa, top1)}
        for size in (2, 3):
            items = draw_items(local_fold, y[test], size, args.seed)
            outs, tops, item_truths = [], [], []
            for _, rows_ in items:
                fused = fuse_probabilities(probs[rows_], DEFAULT_ALPHA)
                outs.append(
                    decide(
                        ClassScores(classes, fused, "x"), float(nearest[rows_].max()), taxa, rule
                    )
                )
                tops.append(classes[int(np.argmax(fused))])
                item_truths.append(truths[rows_[0]])
            rows[f"{size} photos"] = figures(outs, item_truths, classes, taxa, tops)
        report[name] = rows
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
