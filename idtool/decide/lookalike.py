"""Triage for "listed material or look-alike?" while an identification is uncertain.

When the candidates mix a listed hard material (elephant ivory, walrus ivory, coral...:
the ``listed`` labels of ``material_checks.json``'s ``lookalike_triage``) and a look-alike
that needs no CITES document (ceramic, resin) or is not listed as such (bone), the
strictest candidate stays the default, but the officer is told that a look-alike is
possible, how often this model confuses the two (measured by the grouped cross-validation
recorded in the bundle's ``model.json["metrics"]["confusion"]``; no figure without it),
and the quick checks that settle it on the spot, cheapest first.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from idtool.cites.guidance_model import CombinedGuidance, Guidance
from idtool.cites.label_names import label_name
from idtool.cites.listing_index import ListingIndex
from idtool.forensics.triage import (
    LookalikeCheck,
    lookalike_checks,
    lookalike_listed,
    lookalike_title,
)
from idtool.i18n import gettext as _
from idtool.types import Decision, Identification

log = logging.getLogger(__name__)

# A look-alike below this share of the probability is not worth a triage of its own.
MIN_LOOKALIKE_SCORE = 0.05
# "likely" rather than "possible": the look-alike has this share, or the model took at
# least this share of the look-alike's photos for the listed material.
LIKELY_SCORE = 0.2
LISTED_STATUSES = ("listed", "partial")
LOOKALIKE_STATUSES = ("not_wildlife", "not_listed_as_material")


@dataclass(frozen=True)
class ModelConfusion:
    """Top-1 confusion counts of a model: rows are the true class, columns the predicted."""

    labels: tuple[str, ...]
    matrix: tuple[tuple[int, ...], ...]

    @classmethod
    def from_meta(cls, meta: Mapping[str, Any] | None) -> ModelConfusion | None:
        """Read ``meta["metrics"]["confusion"]`` of a bundle's ``model.json``.

        Returns:
            None when the bundle has no confusion matrix, or a malformed one (logged):
            then no figure is given, never a guessed one.
        """
        raw = ((meta or {}).get("metrics") or {}).get("confusion")
        if raw is None:
            return None
        try:
            labels = tuple(str(label) for label in raw["labels"])
            matrix = tuple(tuple(int(n) for n in row) for row in raw["matrix"])
        except (KeyError, TypeError, ValueError):
            log.warning("model.json metrics.confusion is malformed; no confusion figures")
            return None
        if len(matrix) != len(labels) or any(len(row) != len(labels) for row in matrix):
            log.warning("model.json metrics.confusion is not square over its labels; ignored")
            return None
        if any(n < 0 for row in matrix for n in row):
            log.warning("model.json metrics.confusion has negative counts; ignored")
            return None
        return cls(labels, matrix)

    def taken_for(self, true: str, predicted: str) -> tuple[int, int] | None:
        """``(photos of true with predicted first, photos of true)``; None if unknown."""
        if true not in self.labels or predicted not in self.labels:
            return None
        row = self.matrix[self.labels.index(true)]
        total = sum(row)
        if total == 0:
            return None
        return row[self.labels.index(predicted)], total


@dataclass(frozen=True)
class ConfusionFigure:
    """How often photos of ``true`` had ``predicted`` as the top candidate."""

    true: str
    predicted: str
    count: int
    total: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "true": self.true,
            "predicted": self.predicted,
            "count": self.count,
            "total": self.total,
            "rate": round(self.count / self.total, 4),
        }


@dataclass(frozen=True)
class LookalikeTriage:
    """The look-alike triage of one uncertain answer."""

    listed: tuple[str, ...]
    lookalikes: tuple[str, ...]
    summary: str  # the next step an officer reads
    title: str
    checks: tuple[LookalikeCheck, ...]
    confusion: tuple[ConfusionFigure, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "listed": list(self.listed),
            "lookalikes": list(self.lookalikes),
            "summary": self.summary,
            "title": self.title,
            "checks": [c.to_dict() for c in self.checks],
            "confusion": [f.to_dict() for f in self.confusion],
            "confusion_source": "grouped cross-validation" if self.confusion else None,
        }


def _status(guidance: Guidance | CombinedGuidance) -> str:
    return (guidance.default if isinstance(guidance, CombinedGuidance) else guidance).status


def _percent(count: int, total: int) -> str:
    return f"{count / total:.0%}"


def lookalike_triage(
    identification: Identification,
    guidance: Guidance | CombinedGuidance,
    listings: ListingIndex,
    confusion: ModelConfusion | None = None,
) -> LookalikeTriage | None:
    """The triage when an uncertain answer mixes a listed material and a look-alike.

    Args:
        identification: the answer (only ``uncertain`` ones get a triage).
        guidance: its combined guidance (one entry per candidate).
        listings: for the names.
        confusion: the model's measured confusion counts, if its bundle has them.

    Returns:
        None unless a listed candidate and a look-alike with at least
        :data:`MIN_LOOKALIKE_SCORE` are both among the candidates.
    """
    if identification.decision != Decision.UNCERTAIN or not isinstance(guidance, CombinedGuidance):
        return None
    scores = {c.label: c.score for c in identification.candidates}
    materials = lookalike_listed()  # the checks are written for ivories, corals, shell
    listed = [
        c.label
        for c in guidance.candidates
        if c.label in materials and _status(c.guidance) in LISTED_STATUSES
    ]
    lookalikes = [
        c.label
        for c in guidance.candidates
        if _status(c.guidance) in LOOKALIKE_STATUSES
        and scores.get(c.label, 0.0) >= MIN_LOOKALIKE_SCORE
    ]
    if not listed or not lookalikes:
        return None
    figures = _figures(listed, lookalikes, confusion)
    checks = lookalike_checks([c.label for c in identification.candidates])
    summary = _summary(listed, lookalikes, scores, figures, checks, listings)
    return LookalikeTriage(
        tuple(listed), tuple(lookalikes), summary, lookalike_title(), checks, figures
    )


def _figures(
    listed: Sequence[str], lookalikes: Sequence[str], confusion: ModelConfusion | None
) -> tuple[ConfusionFigure, ...]:
    if confusion is None:
        return ()
    out = []
    for lookalike in lookalikes:
        for material in listed:
            for true, predicted in ((lookalike, material), (material, lookalike)):
                counts = confusion.taken_for(true, predicted)
                if counts is not None:
                    out.append(ConfusionFigure(true, predicted, *counts))
    return tuple(out)


def _summary(
    listed: Sequence[str],
    lookalikes: Sequence[str],
    scores: Mapping[str, float],
    figures: Sequence[ConfusionFigure],
    checks: Sequence[LookalikeCheck],
    listings: ListingIndex,
) -> str:
    def name(label: str) -> str:
        return label_name(label, listings)

    likely = any(scores.get(label, 0.0) >= LIKELY_SCORE for label in lookalikes) or any(
        f.true in lookalikes and f.count / f.total >= LIKELY_SCORE for f in figures
    )
    opening = (
        _(
            "a look-alike is likely: {lookalikes} is among the candidates beside {listed}; "
            "the strictest rule applies only until the quick checks settle it"
        )
        if likely
        else _(
            "a look-alike is possible: {lookalikes} is among the candidates beside {listed}; "
            "the strictest rule applies only until the quick checks settle it"
        )
    )
    parts = [
        opening.format(
            lookalikes=_(" or ").join(
                f"{name(label)} ({scores.get(label, 0.0):.0%})" for label in lookalikes
            ),
            listed=_(" or ").join(name(label) for label in listed),
        )
    ]
    for f in (f for f in figures if f.count):  # a zero count stays in the JSON figures
        parts.append(
            _(
                "in cross-validation this model put {predicted} first for {count} of "
                "{total} {true} photos ({percent})"
            ).format(
                predicted=name(f.predicted),
                count=f.count,
                total=f.total,
                true=name(f.true),
                percent=_percent(f.count, f.total),
            )
        )
    parts.append(
        _("settle it on the spot, cheapest first: {checks}").format(
            checks="; ".join(c.short for c in checks)
        )
    )
    return "; ".join(parts)
