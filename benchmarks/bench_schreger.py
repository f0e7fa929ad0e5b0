"""Benchmark the automatic Schreger-angle measurement on generated sections.

For N random synthetic sections (idtool.forensics.synthetic_schreger.random_section:
angle 35..160 deg, section 400..2000 px, line spacing 10..40 px at the outer edge, chequer
or line style, random rotation, centre offset, blur, noise, waviness and a different inner
angle) it reports the mean absolute error of the mean outer angle, the classification rate
against the class of the true angle (refusals count as wrong), the refusal rate and the
time per image, overall and per range of size, spacing and angle. ``--compare`` also runs
the single-scale analysis (default windows and working size only, as before issue 13) on
the same sections, side by side.

Usage:
    .venv/bin/python benchmarks/bench_schreger.py [--n 100] [--size PX] [--compare]
"""

from __future__ import annotations

import argparse
import itertools
import os
import time
from collections.abc import Callable
from unittest import mock

import numpy as np

from idtool.forensics import schreger_auto
from idtool.forensics.schreger import measure_schreger
from idtool.forensics.synthetic_schreger import SyntheticSection, random_section

BINS: dict[str, tuple[Callable[[SyntheticSection], float], tuple[float, ...]]] = {
    "size_px": (lambda s: float(s.rgb.shape[0]), (400, 900, 1500, 2001)),
    "spacing_px": (lambda s: s.spacing_px, (10, 20, 30, 40.01)),
    "angle_deg": (lambda s: s.angle_deg, (35, 90, 115, 160.01)),
}


def _run(sections: list[SyntheticSection]) -> list[dict[str, object]]:
    rows = []
    for section in sections:
        t0 = time.perf_counter()
        result = measure_schreger(section.rgb)
        elapsed_ms = (time.perf_counter() - t0) * 1000
        refused = result.mean_deg is None or result.classification == "refused"
        rows.append(
            {
                "error": None if refused else abs(float(result.mean_deg or 0) - section.angle_deg),
                "correct": (not refused) and result.classification == section.expected_class,
                "refused": refused,
                "ms": elapsed_ms,
            }
        )
    return rows


def _line(name: str, rows: list[dict[str, object]]) -> str:
    errors = np.array([r["error"] for r in rows if r["error"] is not None], dtype=float)
    correct = sum(bool(r["correct"]) for r in rows)
    refused = sum(bool(r["refused"]) for r in rows)
    mae = f"{errors.mean():5.2f}" if len(errors) else "  n/a"
    p95 = f"{np.percentile(errors, 95):5.2f}" if len(errors) else "  n/a"
    return (
        f"{name:24} n {len(rows):3}  MAE {mae}  p95 {p95}  classified right "
        f"{correct / len(rows):6.1%}  refused {refused / len(rows):6.1%}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Schreger auto-mode benchmark")
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--size", type=int, default=None, help="fixed image side in pixels")
    parser.add_argument("--compare", action="store_true", help="also run the single-scale mode")
    args = parser.parse_args(argv)
    sections = [random_section(seed, size_px=args.size) for seed in range(args.n)]
    runs = {"multi-scale": _run(sections)}
    if args.compare:
        with mock.patch.object(schreger_auto, "SCALES", schreger_auto.SCALES[:1]):
            runs["single-scale (before)"] = _run(sections)
    print(f"{args.n} sections, load average {os.getloadavg()[0]:.1f}")
    for name, rows in runs.items():
        print(f"== {name}: median {np.median([r['ms'] for r in rows]):.0f} ms per image")
        print(_line("all", rows))
        for key, (value, edges) in BINS.items():
            for low, high in itertools.pairwise(edges):
                picked = [r for s, r in zip(sections, rows, strict=True) if low <= value(s) < high]
                if picked:
                    print(_line(f"{key} {low:g}-{high:.0f}", picked))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
