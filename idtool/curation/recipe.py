"""The ``idtool train`` recipe: the settings that make a head, shared by train and evaluate."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from idtool.curation.training import DEFAULT_C
from idtool.model.bundle import TARGET_SELECTIVE_ACCURACY


@dataclass(frozen=True)
class TrainingRecipe:
    """How a head is fitted: cross-validation folds, regularisation ``c``, ``seed``, the
    selective accuracy the thresholds aim at, and class weighting (``balanced``).

    ``evaluate`` cross-validates exactly this recipe and fits its final head with it.
    """

    folds: int = 5
    c: float = DEFAULT_C
    seed: int = 0
    target_selective_accuracy: float = TARGET_SELECTIVE_ACCURACY
    balanced: bool = False

    def kwargs(self) -> dict[str, Any]:
        """The keyword arguments of :func:`train_head` and :func:`cross_validate`."""
        return asdict(self)
