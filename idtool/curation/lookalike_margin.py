"""The look-alike margin: make the head slower to call listed material a look-alike.

Errors cost unequally. A porcelain figure called ivory while uncertain costs a check at
the border; elephant ivory called "ceramic" lets a listed item through. With hundreds of
ceramic photos beside the ivories, the head puts some ivory photos' top candidate on
ceramic. Class weights barely move that boundary: the training rows are linearly
separable in the 2,560-dimension whole + tile features, so weighting mostly changes the
regularisation. The margin moves it directly: ``margin`` is subtracted from the logits
of every look-alike class (``is_lookalike`` in TAXONOMY.csv), so a look-alike must lead
by that much to be the top candidate. It is part of the head's bias, so ``identify``, the
ONNX export and the thresholds need nothing else.

It is fitted on out-of-fold logits: the smallest margin on :data:`MARGIN_GRID` at which
at most :data:`MAX_LISTED_AS_LOOKALIKE` of the other classes' photos have a look-alike
top candidate, but never so large that fewer than :data:`MIN_LOOKALIKE_TOP1` of the
look-alike photos keep theirs (then the largest margin that keeps it).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from idtool.catalog.taxonomy import TaxonRecord

MARGIN_GRID = tuple(round(0.25 * i, 2) for i in range(0, 17))  # 0 .. 4 logits
MAX_LISTED_AS_LOOKALIKE = 0.01
MIN_LOOKALIKE_TOP1 = 0.85


def lookalike_mask(classes: Sequence[str], taxa: dict[str, TaxonRecord]) -> np.ndarray:
    """True for the head's look-alike classes (``is_lookalike``)."""
    return np.array([bool(taxa.get(c) and taxa[c].is_lookalike) for c in classes], dtype=bool)


def apply_margin(logits: np.ndarray, mask: np.ndarray, margin: float) -> np.ndarray:
    """The logits with ``margin`` subtracted from the look-alike columns."""
    out = np.array(logits, dtype=np.float64, copy=True)
    out[:, mask] -= margin
    return out


def fit_margin(
    logits: np.ndarray,
    y: np.ndarray,
    mask: np.ndarray,
    *,
    max_listed_as_lookalike: float = MAX_LISTED_AS_LOOKALIKE,
    min_lookalike_top1: float = MIN_LOOKALIKE_TOP1,
) -> float:
    """The margin for these out-of-fold logits (0 without both kinds of class)."""
    is_lookalike = mask[y]
    if not is_lookalike.any() or is_lookalike.all():
        return 0.0
    best = 0.0
    for margin in MARGIN_GRID:
        top = apply_margin(logits, mask, margin).argmax(axis=1)
        kept = float((top[is_lookalike] == y[is_lookalike]).mean())
        if kept < min_lookalike_top1 and margin > 0:
            break
        best = margin
        if float(mask[top[~is_lookalike]].mean()) <= max_listed_as_lookalike:
            break
    return best
