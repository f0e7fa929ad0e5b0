"""The open-set decision: a pure function of class probabilities, the nearest reference
similarity, the taxonomy and the thresholds.

Decision, in order:

1. nearest reference similarity below ``min_similarity``: ``not_in_reference``;
2. top probability at least the top class's threshold (its per-class value, else the
   global ``min_confidence``; never, for a class listed in ``abstain``): ``identified``;
3. the summed probability of the classes sharing a genus (then family, then order) at
   least that group's threshold: ``identified`` at that rank (``+rollup_to_<rank>``);
4. otherwise ``uncertain``, with the candidates (``+class_threshold`` when only the
   class's own operating point held the call back).

A photo whose quality check says it lowers confidence cannot be ``identified``: it is
reported ``uncertain`` (``+quality_downgrade``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from idtool.catalog.taxonomy import ROLLUP_RANKS, TaxonRecord, rollup_groups
from idtool.model.bundle import Thresholds
from idtool.types import Candidate, Decision


@dataclass(frozen=True)
class ClassScores:
    classes: tuple[str, ...]
    probabilities: np.ndarray  # per class, sums to 1
    source: str  # "head" or "knn"


@dataclass(frozen=True)
class DecisionResult:
    decision: Decision
    label: str | None
    rank: str | None
    confidence: float
    candidates: tuple[Candidate, ...]
    decision_source: str


def _candidate(label: str, score: float, taxa: dict[str, TaxonRecord]) -> Candidate:
    taxon = taxa.get(label)
    return Candidate(
        label=label,
        score=float(score),
        rank=taxon.rank if taxon else "unknown",
        is_material=bool(taxon and taxon.is_material),
        common_name=taxon.common_names[0] if taxon and taxon.common_names else None,
    )


def decide(
    scores: ClassScores,
    nearest_similarity: float,
    taxa: dict[str, TaxonRecord],
    thresholds: Thresholds,
    top_k: int = 3,
    quality_ok: bool = True,
) -> DecisionResult:
    """Apply the open-set rules (see the module docstring). Pure."""
    order = np.argsort(-scores.probabilities)
    candidates = tuple(
        _candidate(scores.classes[i], scores.probabilities[i], taxa) for i in order[: max(top_k, 1)]
    )
    top = candidates[0]
    source = scores.source
    if nearest_similarity < thresholds.min_similarity:
        return DecisionResult(
            Decision.NOT_IN_REFERENCE, None, None, top.score, candidates, f"{source}+open_set"
        )
    decision, label, rank, confidence = Decision.UNCERTAIN, None, None, top.score
    needed = thresholds.threshold_for(top.label)
    if needed is not None and top.score >= needed:
        decision, label, rank = Decision.IDENTIFIED, top.label, top.rank
    else:
        prob = dict(zip(scores.classes, scores.probabilities.tolist(), strict=True))
        for level in ROLLUP_RANKS:
            groups = rollup_groups(list(scores.classes), taxa, level)
            best = max(
                (
                    (name, sum(prob[m] for m in members))
                    for name, members in groups.items()
                    if len(members) > 1
                ),
                key=lambda item: item[1],
                default=None,
            )
            if best is None:
                continue
            group_needed = thresholds.threshold_for(best[0])
            if group_needed is not None and best[1] >= group_needed:
                decision, label, rank, confidence = Decision.IDENTIFIED, best[0], level, best[1]
                source = f"{source}+rollup_to_{level}"
                break
        if decision is Decision.UNCERTAIN and top.score >= thresholds.min_confidence:
            # confident enough by the global rule, but this class's own operating point says no
            source = f"{source}+class_threshold"
    if decision is Decision.IDENTIFIED and not quality_ok:
        decision, label, rank = Decision.UNCERTAIN, None, None
        source = f"{source}+quality_downgrade"
    return DecisionResult(decision, label, rank, float(confidence), candidates, source)
