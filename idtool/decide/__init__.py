"""Decisions: from an embedding to an answer an officer can act on.

Owns the identification decision (calibrated head or k-NN fallback, open set, roll-up,
quality downgrade), the advice attached to each result (CITES guidance, material checks)
and the identification service that ties a bundle, a catalog and a listing index together.

May import: the foundation modules, ``idtool.model``, ``idtool.catalog``, ``idtool.cites``
and ``idtool.forensics``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from idtool.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from idtool.decide.advice import AdvisedIdentification, with_advice
    from idtool.decide.calibration import fit_temperature, softmax
    from idtool.decide.decision import ClassScores, DecisionResult, decide
    from idtool.decide.fusion import EMBEDDING_RULE, LOGPROB_RULE, fit_alpha, fuse_probabilities
    from idtool.decide.identify import Identifier
    from idtool.decide.items import identify_item_decoded, identify_item_paths
    from idtool.decide.prototypes import PROTOTYPE_SOURCE, class_means, prototype_logits
    from idtool.decide.service import IdentificationService
    from idtool.decide.texture import (
        TextureView,
        choose_texture,
        embed_tiles,
        pool_tiles,
        texture_features,
    )
    from idtool.decide.thresholds import (
        CONFIDENCE_GRID,
        SIMILARITY_QUANTILE,
        class_operating_points,
        decide_all,
        fit_thresholds,
        is_correct,
        selective,
        worst_class,
    )

# the public names of this part, each imported from its module on first use
_EXPORTS: dict[str, str] = {
    "AdvisedIdentification": "idtool.decide.advice",
    "with_advice": "idtool.decide.advice",
    "fit_temperature": "idtool.decide.calibration",
    "softmax": "idtool.decide.calibration",
    "ClassScores": "idtool.decide.decision",
    "DecisionResult": "idtool.decide.decision",
    "decide": "idtool.decide.decision",
    "EMBEDDING_RULE": "idtool.decide.fusion",
    "LOGPROB_RULE": "idtool.decide.fusion",
    "fit_alpha": "idtool.decide.fusion",
    "fuse_probabilities": "idtool.decide.fusion",
    "Identifier": "idtool.decide.identify",
    "identify_item_decoded": "idtool.decide.items",
    "identify_item_paths": "idtool.decide.items",
    "PROTOTYPE_SOURCE": "idtool.decide.prototypes",
    "class_means": "idtool.decide.prototypes",
    "prototype_logits": "idtool.decide.prototypes",
    "IdentificationService": "idtool.decide.service",
    "TextureView": "idtool.decide.texture",
    "choose_texture": "idtool.decide.texture",
    "embed_tiles": "idtool.decide.texture",
    "pool_tiles": "idtool.decide.texture",
    "texture_features": "idtool.decide.texture",
    "CONFIDENCE_GRID": "idtool.decide.thresholds",
    "SIMILARITY_QUANTILE": "idtool.decide.thresholds",
    "class_operating_points": "idtool.decide.thresholds",
    "decide_all": "idtool.decide.thresholds",
    "fit_thresholds": "idtool.decide.thresholds",
    "is_correct": "idtool.decide.thresholds",
    "selective": "idtool.decide.thresholds",
    "worst_class": "idtool.decide.thresholds",
}
__all__ = [
    "CONFIDENCE_GRID",
    "EMBEDDING_RULE",
    "LOGPROB_RULE",
    "PROTOTYPE_SOURCE",
    "SIMILARITY_QUANTILE",
    "AdvisedIdentification",
    "ClassScores",
    "DecisionResult",
    "IdentificationService",
    "Identifier",
    "TextureView",
    "choose_texture",
    "class_means",
    "class_operating_points",
    "decide",
    "decide_all",
    "embed_tiles",
    "fit_alpha",
    "fit_temperature",
    "fit_thresholds",
    "fuse_probabilities",
    "identify_item_decoded",
    "identify_item_paths",
    "is_correct",
    "pool_tiles",
    "prototype_logits",
    "selective",
    "softmax",
    "texture_features",
    "with_advice",
    "worst_class",
]
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
