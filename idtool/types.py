"""Dataclasses and vocabularies that cross module boundaries.

Each has ``to_dict()`` giving the JSON shape documented in docs/decisions.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Decision(StrEnum):
    """The open-set decision of an identification."""

    IDENTIFIED = "identified"
    UNCERTAIN = "uncertain"
    NOT_IN_REFERENCE = "not_in_reference"


MATERIAL_PREFIX = "material_"


def label_from_class_dir(name: str) -> str:
    """``Panthera_tigris`` -> ``Panthera tigris``; material folders keep their name."""
    if name.startswith(MATERIAL_PREFIX):
        return name
    return name.replace("_", " ")


def is_material_label(label: str) -> bool:
    return label.startswith(MATERIAL_PREFIX)


@dataclass(frozen=True)
class Candidate:
    """One possible answer with its calibrated probability."""

    label: str
    score: float
    rank: str
    is_material: bool = False
    common_name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "score": round(self.score, 4),
            "rank": self.rank,
            "is_material": self.is_material,
            "common_name": self.common_name,
        }


@dataclass(frozen=True)
class ItemError:
    """Why one item of a batch could not be processed."""

    code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True)
class ResultWarning:
    """Something the reader of a result must know, with the fix (e.g. ``run idtool train``)."""

    code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True)
class NearestReference:
    """A reference photo close to the query embedding (cosine ``similarity`` in -1..1)."""

    label: str
    similarity: float
    image_id: int
    path: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "similarity": self.similarity,
            "image_id": self.image_id,
            "path": self.path,
        }


@dataclass(frozen=True)
class ItemAgreement:
    """How the photos of one item voted: usable photos, those agreeing, unreadable ones."""

    photos: int
    agreeing: int
    unreadable: int

    def to_dict(self) -> dict[str, int]:
        return {"photos": self.photos, "agreeing": self.agreeing, "unreadable": self.unreadable}


@dataclass(frozen=True)
class Identification:
    """The answer for one image.

    ``decision`` is None only when ``error`` is set. ``label`` is None unless the
    decision is ``identified``; it may then be a higher rank than species when the top
    candidates were rolled up (see ``decision_source``).

    ``engine`` names the embedding runtime and ``nearest_references`` the closest reference
    photos (absent on errors); ``item`` and ``photos`` are set only on a result fused from
    several photos of one item. What an officer does next (CITES guidance, material checks)
    is added by :func:`idtool.decide.advice.with_advice`, outside this type.
    """

    image: str
    sha256: str | None
    decision: Decision | None
    label: str | None
    rank: str | None
    confidence: float | None
    candidates: tuple[Candidate, ...]
    decision_source: str
    model_version: str
    reference_version: str | None
    nearest_similarity: float | None = None
    quality: dict[str, Any] | None = None
    error: ItemError | None = None
    warnings: tuple[ResultWarning, ...] = ()
    engine: str | None = None
    nearest_references: tuple[NearestReference, ...] | None = None
    item: ItemAgreement | None = None
    photos: tuple[Identification, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "image": self.image,
            "sha256": self.sha256,
            "decision": self.decision.value if self.decision else None,
            "label": self.label,
            "rank": self.rank,
            "confidence": None if self.confidence is None else round(self.confidence, 4),
            "candidates": [c.to_dict() for c in self.candidates],
            "decision_source": self.decision_source,
            "model_version": self.model_version,
            "reference_version": self.reference_version,
            "nearest_similarity": (
                None if self.nearest_similarity is None else round(self.nearest_similarity, 4)
            ),
            "quality": self.quality,
            "error": self.error.to_dict() if self.error else None,
            "warnings": [w.to_dict() for w in self.warnings],
        }
        if self.engine is not None:
            out["engine"] = self.engine
        if self.nearest_references is not None:
            out["nearest_references"] = [r.to_dict() for r in self.nearest_references]
        if self.item is not None:
            out["item"] = self.item.to_dict()
        if self.photos is not None:
            out["photos"] = [p.to_dict() for p in self.photos]
        return out
