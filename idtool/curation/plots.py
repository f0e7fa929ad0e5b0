"""Evaluation plots (matplotlib, Agg canvas; no pyplot, no global backend switch)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


def _save(figure: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    FigureCanvasAgg(figure)
    tmp = path.with_name(f".{path.stem}.tmp.png")
    figure.savefig(tmp, dpi=110, bbox_inches="tight")
    tmp.replace(path)
    return path


def plot_confusion(matrix: np.ndarray, labels: Sequence[str], path: Path, title: str) -> Path:
    """Row-normalised confusion matrix (true rows, predicted columns) with counts."""
    counts = np.asarray(matrix, dtype=float)
    totals = counts.sum(axis=1, keepdims=True)
    share = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
    size = 1.6 + 0.55 * len(labels)
    figure = Figure(figsize=(size + 1.5, size))
    ax = figure.add_subplot()
    image = ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)), labels=labels, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(len(labels)), labels=labels, fontsize=8)
    ax.set_xlabel("predicted (top-1)")
    ax.set_ylabel("true label")
    ax.set_title(title, fontsize=10)
    for i in range(len(labels)):
        for j in range(len(labels)):
            if counts[i, j]:
                colour = "white" if share[i, j] > 0.55 else "black"
                ax.text(
                    j, i, str(int(counts[i, j])), ha="center", va="center", fontsize=7, color=colour
                )
    figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="share of the true class")
    return _save(figure, path)


def plot_reliability(bins: Sequence[dict[str, Any]], ece: float, path: Path, title: str) -> Path:
    """Reliability diagram: accuracy per confidence bin against the diagonal, and counts."""
    figure = Figure(figsize=(5.5, 6))
    top, bottom = figure.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    lows = np.array([b["low"] for b in bins])
    widths = np.array([b["high"] - b["low"] for b in bins])
    filled = [b for b in bins if b["count"]]
    top.bar(
        [b["low"] for b in filled],
        [b["accuracy"] for b in filled],
        width=[b["high"] - b["low"] for b in filled],
        align="edge",
        color="#4c72b0",
        edgecolor="black",
        label="accuracy in bin",
    )
    top.plot(
        [b["confidence"] for b in filled],
        [b["confidence"] for b in filled],
        "o",
        color="#dd8452",
        label="mean confidence in bin",
    )
    top.plot([0, 1], [0, 1], "--", color="grey", label="perfect calibration")
    top.set_ylim(0, 1)
    top.set_ylabel("top-1 accuracy")
    top.set_title(f"{title}\nexpected calibration error {ece:.3f}", fontsize=10)
    top.legend(loc="upper left", fontsize=8)
    bottom.bar(lows, [b["count"] for b in bins], width=widths, align="edge", color="#8c8c8c")
    bottom.set_xlabel("top-1 confidence (calibrated, held-out)")
    bottom.set_ylabel("photos")
    bottom.set_xlim(0, 1)
    return _save(figure, path)


def plot_coverage_risk(
    curve: Sequence[dict[str, Any]], operating: dict[str, Any], path: Path, title: str
) -> Path:
    """Risk (wrong share among identified) against coverage (identified share)."""
    figure = Figure(figsize=(6, 4.5))
    ax = figure.add_subplot()
    ordered = sorted(curve, key=lambda p: p["coverage"])
    ax.plot(
        [p["coverage"] for p in ordered],
        [p["risk"] for p in ordered],
        "-",
        color="#4c72b0",
        label="min_confidence swept 0..0.99",
    )
    for p in curve:
        if round(p["min_confidence"], 2) in (0.5, 0.7, 0.9):
            ax.annotate(
                f"{p['min_confidence']:.1f}",
                (p["coverage"], p["risk"]),
                textcoords="offset points",
                xytext=(4, 4),
                fontsize=7,
            )
    ax.plot(
        [operating["coverage"]],
        [1 - operating["selective_accuracy"]],
        "o",
        color="#c44e52",
        label="operating point (thresholds picked on the other folds)",
    )
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, max(0.05, max(p["risk"] for p in curve) * 1.15))
    ax.set_xlabel("coverage (share of photos identified)")
    ax.set_ylabel("risk (share of identified photos that are wrong)")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    return _save(figure, path)
