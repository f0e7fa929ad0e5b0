"""Benchmark the automatic Schreger-angle measurement on generated sections.

For N random synthetic sections (idtool.forensics.synthetic_schreger.random_section: angle 35..160
deg, chequer or line style, random rotation, centre offset, blur, noise, waviness and a
different inner angle) it reports the mean absolute error of the mean outer angle, the
classification accuracy against the class of the true angle, the refusal rate and the
time per image.

Usage:
    .venv/bin/python benchmarks/bench_schreger.py [--n 100] [--size 512]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from idtool.forensics.schreger import measure_schreger
from idtool.forensics.synthetic_schreger import random_section


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Schreger auto-mode benchmark")
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--size", type=int, default=512, help="image side in pixels")
    args = parser.parse_args(argv)
    errors: list[float] = []
    elapsed_ms: list[float] = []
    rows: list[tuple[int, float, float | None, str]] = []
    correct = refused = 0
    for seed in range(args.n):
        section = random_section(seed, size_px=args.size)
        t0 = time.perf_counter()
        result = measure_schreger(section.rgb)
        elapsed_ms.append((time.perf_counter() - t0) * 1000)
        if result.mean_deg is None or result.classification == "refused":
            refused += 1
            rows.append((seed, section.angle_deg, None, result.classification))
            continue
        errors.append(abs(result.mean_deg - section.angle_deg))
        correct += result.classification == section.expected_class
        rows.append((seed, section.angle_deg, result.mean_deg, result.classification))
    err = np.asarray(errors)
    print(f"images: {args.n} ({args.size} px), measured: {len(err)}, refused: {refused}")
    if len(err):
        print(
            f"angle error: MAE {err.mean():.2f} deg, median {np.median(err):.2f}, "
            f"p95 {np.percentile(err, 95):.2f}, max {err.max():.2f}, "
            f"within 5 deg: {np.mean(err <= 5):.1%}"
        )
    print(
        f"classification accuracy: {correct}/{args.n} = {correct / args.n:.1%} (refusals count as wrong)"
    )
    print(
        f"time: median {np.median(elapsed_ms):.0f} ms, mean {np.mean(elapsed_ms):.0f} ms per image"
    )
    measured = [(s, t, g, c) for s, t, g, c in rows if g is not None]
    worst = sorted(measured, key=lambda r: -abs(r[2] - r[1]))[:5]
    for seed, true, got, cls in worst:
        print(f"  worst: seed {seed} true {true:.1f} measured {got:.1f} -> {cls}")
    for seed, true, _, cls in (r for r in rows if r[2] is None):
        print(f"  refused: seed {seed} true {true:.1f} ({cls})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
