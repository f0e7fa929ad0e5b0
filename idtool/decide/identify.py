"""From an embedding to an answer: scoring, calibrated confidence, open-set decision, roll-up.

:func:`decide` is a pure function of the class probabilities, the similarity to the
nearest reference image, the taxonomy and the thresholds; :class:`Identifier` wires it to
an embedding engine and the reference catalog.

Scoring: when the bundle has a trained head whose classes are exactly the catalog's, the
head's temperature-calibrated softmax gives the probabilities (``head``). Otherwise a
k-NN softmax over per-class best cosine similarities is used (``knn``).

Decision, in order:

1. nearest reference similarity below ``min_similarity``: ``not_in_reference``;
2. top probability at least ``min_confidence``: ``identified`` at the class's rank;
3. the summed probability of the classes sharing a genus (then family, then order) at
   least ``min_confidence``: ``identified`` at that rank (``+rollup_to_<rank>``);
4. otherwise ``uncertain``, with the candidates.

A photo whose quality check says it lowers confidence cannot be ``identified``: it is
reported ``uncertain`` (``+quality_downgrade``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from idtool.catalog.store import ReferenceEmbeddings
from idtool.catalog.taxonomy import ROLLUP_RANKS, TaxonRecord, rollup_groups
from idtool.decide.texture import TextureView, embed_tiles, pool_tiles, texture_features
from idtool.errors import IdtoolError
from idtool.forensics.quality import QualityReport, assess_decoded
from idtool.model.bundle import Head, ModelBundle, Thresholds
from idtool.model.knn_index import KnnIndex
from idtool.model.preprocess import DecodedImage, decode_image
from idtool.model.runtime import EmbeddingEngine, embed_decoded
from idtool.types import Candidate, Decision, Identification, ItemError

KNN_TEMPERATURE = 0.05
NEAREST_REFERENCES = 3


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


def knn_scores(
    embedding: np.ndarray, reference: ReferenceEmbeddings, index: KnnIndex | None = None
) -> ClassScores:
    """Softmax over each class's best cosine similarity (no trained head needed).

    Args:
        embedding: the query embedding (L2-normalised).
        reference: the reference set the classes come from.
        index: a :class:`KnnIndex` over ``reference`` built with its labels (as
            :class:`Identifier` keeps); without one, an exact index is built for this call.
    """
    if index is None:
        index = KnnIndex(reference.vectors, reference.labels, exact_max_rows=len(reference.labels))
    classes = index.classes
    best = index.best_per_class(embedding)
    logits = (best - best.max()) / KNN_TEMPERATURE
    probs = np.exp(logits)
    return ClassScores(classes, probs / probs.sum(), "knn")


def head_matches(head: Head | None, reference: ReferenceEmbeddings) -> bool:
    return head is not None and set(head.classes) == set(reference.classes)


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
    if top.score >= thresholds.min_confidence:
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
            if best is not None and best[1] >= thresholds.min_confidence:
                decision, label, rank, confidence = Decision.IDENTIFIED, best[0], level, best[1]
                source = f"{source}+rollup_to_{level}"
                break
    if decision is Decision.IDENTIFIED and not quality_ok:
        decision, label, rank = Decision.UNCERTAIN, None, None
        source = f"{source}+quality_downgrade"
    return DecisionResult(decision, label, rank, float(confidence), candidates, source)


class Identifier:
    """Identify photos against a reference set with one model bundle."""

    def __init__(
        self,
        bundle: ModelBundle,
        engine: EmbeddingEngine,
        reference: ReferenceEmbeddings,
        taxa: dict[str, TaxonRecord],
    ) -> None:
        self.bundle = bundle
        self.engine = engine
        self.reference = reference
        self.taxa = taxa
        self.use_head = head_matches(bundle.head, reference)
        # A head's thresholds were fitted with it; k-NN scores get the generic defaults.
        self.thresholds = bundle.thresholds if self.use_head else Thresholds()
        self.index = KnnIndex(reference.vectors, reference.labels)  # built once, see knn_index
        self.texture = TextureView.from_bundle(bundle.meta)

    @property
    def model_version(self) -> str:
        return self.bundle.version

    def embed(self, images: Sequence[DecodedImage]) -> np.ndarray:
        return embed_decoded(self.bundle, self.engine, images)

    def scores(self, embedding: np.ndarray, image: DecodedImage | None = None) -> ClassScores:
        """Class probabilities: the bundle's head if it fits the reference set, else k-NN.

        A head with a texture view (``model.json`` ``tiles``) also reads the pooled
        embedding of the photo's surface tiles, so it needs the decoded ``image``.
        """
        if self.use_head and self.bundle.head is not None:
            head = self.bundle.head
            source = "head"
            features = embedding[None, :]
            if self.texture is not None:
                tiles = (
                    embed_tiles(image.rgb, self.texture, self.bundle.preprocess, self.engine)
                    if image is not None
                    else np.zeros((0, 0), dtype=np.float32)
                )
                features = texture_features(embedding, pool_tiles(tiles, embedding))
                source = "head+tiles"
            probs = head.probabilities(features)[0]
            return ClassScores(head.classes, probs.astype(np.float64), source)
        return knn_scores(embedding, self.reference, self.index)

    def nearest(
        self, embedding: np.ndarray, count: int = NEAREST_REFERENCES
    ) -> list[dict[str, Any]]:
        top, sims = self.index.search(embedding, count)
        return [
            {
                "label": self.reference.labels[i],
                "similarity": round(float(sim), 4),
                "image_id": self.reference.image_ids[i],
                "path": self.reference.paths[i],
            }
            for i, sim in zip(top.tolist(), sims.tolist(), strict=True)
        ]

    def identify_decoded(
        self,
        images: Sequence[DecodedImage],
        names: Sequence[str],
        top_k: int = 3,
        qualities: Sequence[QualityReport] | None = None,
    ) -> list[Identification]:
        """Identify already-decoded images (one batched embedding call).

        ``qualities`` are the images' quality reports when a decode thread already
        measured them (batch); otherwise they are measured here.
        """
        if not images:
            return []
        embeddings = self.embed(images)
        results = []
        for i, (image, name, embedding) in enumerate(zip(images, names, embeddings, strict=True)):
            quality = qualities[i] if qualities is not None else assess_decoded(image)
            nearest = self.nearest(embedding)
            scores = self.scores(embedding, image)
            outcome = decide(
                scores,
                nearest[0]["similarity"],
                self.taxa,
                self.thresholds,
                top_k=top_k,
                quality_ok=not quality.lowers_confidence,
            )
            results.append(
                Identification(
                    image=name,
                    sha256=image.sha256,
                    decision=outcome.decision,
                    label=outcome.label,
                    rank=outcome.rank,
                    confidence=outcome.confidence,
                    candidates=outcome.candidates,
                    decision_source=outcome.decision_source,
                    model_version=self.model_version,
                    reference_version=self.reference.reference_version,
                    nearest_similarity=nearest[0]["similarity"],
                    quality=quality.to_dict(),
                    extra={
                        "engine": self.engine.name,
                        "nearest_references": nearest,
                    },
                )
            )
        return results

    def failed(self, name: str, error: IdtoolError, sha256: str | None = None) -> Identification:
        """The result for an input that could not be processed."""
        return Identification(
            image=name,
            sha256=sha256,
            decision=None,
            label=None,
            rank=None,
            confidence=None,
            candidates=(),
            decision_source="error",
            model_version=self.model_version,
            reference_version=self.reference.reference_version,
            error=ItemError(error.code, error.message),
        )

    def identify_paths(
        self, paths: Iterable[Path], *, max_bytes: int, max_pixels: int, top_k: int = 3
    ) -> list[Identification]:
        """Identify files; a bad file yields a result with ``error`` set, never an exception."""
        results = []
        for path in paths:
            try:
                decoded = decode_image(
                    path, max_bytes=max_bytes, max_pixels=max_pixels, fit=self.bundle.preprocess
                )
            except IdtoolError as exc:
                results.append(self.failed(str(path), exc))
                continue
            results.extend(self.identify_decoded([decoded], [str(path)], top_k=top_k))
        return results
