"""From an embedding to an answer: scoring and calibrated confidence, then the decision.

:class:`Identifier` wires an embedding engine and the reference catalog to the pure
open-set rule of :mod:`idtool.decide.decision` (re-exported here: :func:`decide`,
:class:`ClassScores`, :class:`DecisionResult`).

Scoring: when the bundle has a trained head whose classes are exactly the catalog's, the
head's temperature-calibrated softmax gives the probabilities (``head``). Otherwise the
class-mean prototype classifier of :mod:`idtool.decide.prototypes`, calibrated and
thresholded on the catalog's own embeddings by grouped cross-validation, is used
(``prototype``), and every result carries a warning naming the fix (``idtool train``); see
:func:`scorer_warnings`. (:func:`knn_scores`, the old fallback, is kept for comparison.)
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from idtool.catalog.store import ReferenceEmbeddings
from idtool.catalog.taxonomy import TaxonRecord
from idtool.decide.decision import ClassScores, DecisionResult, decide
from idtool.decide.prototypes import PROTOTYPE_SOURCE, PrototypeClassifier, fit_prototypes
from idtool.decide.texture import (
    TILE_BATCH,
    TILE_GATE_MASS,
    TextureView,
    decode_config,
    embed_tiles_of_photos,
    pool_tiles,
    texture_classes,
    texture_features,
)
from idtool.errors import IdtoolError
from idtool.forensics.quality import QualityReport, assess_decoded
from idtool.model.bundle import Head, ModelBundle, Thresholds
from idtool.model.knn_index import KnnIndex
from idtool.model.preprocess import DecodedImage, decode_image, redecode
from idtool.model.runtime import EmbeddingEngine, embed_decoded
from idtool.types import Identification, ItemError, NearestReference, ResultWarning

log = logging.getLogger(__name__)

KNN_TEMPERATURE = 0.05
# Photos are first decoded at the model's size; those that may read their tiles are decoded
# again at the tile working size (Identifier.refit_for_tiles). The first look is a little
# different from the second (another decode of the same photo), so it sends a photo for the
# second decode with slack: from this fraction of TILE_GATE_MASS and from this far below
# the open-set similarity threshold. The answer is then decided exactly as for a photo
# decoded at the tile size in the first place (benchmarks/bench_batch.py --parity checks it).
REFIT_GATE_FRACTION = 0.25
REFIT_SIMILARITY_SLACK = 0.05
NEAREST_REFERENCES = 3
__all__ = ["ClassScores", "DecisionResult", "Identifier", "decide", "knn_scores"]


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


def _listed(labels: Iterable[str], limit: int = 5) -> str:
    names = sorted(labels)
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def scorer_warnings(
    bundle: ModelBundle, reference: ReferenceEmbeddings
) -> tuple[ResultWarning, ...]:
    """Why the bundle's head is not (or no longer) fitted to the catalog, with the fix.

    ``head_missing``: the bundle has no head; ``head_mismatch``: its classes differ from
    the catalog's active classes (an import, add, remove or rename since ``idtool train``);
    both mean answers come from the prototype classifier. ``head_stale``: same classes, but
    the head was fitted on another reference version (photos added or removed).
    """
    fix = "run `idtool train` to fit a head to this catalog"
    head = bundle.head
    if head is None:
        return (
            ResultWarning(
                "head_missing",
                f"model {bundle.version} has no classifier head: answers come from class-mean "
                f"prototypes of reference {reference.reference_version}, which are less "
                f"accurate; {fix}",
            ),
        )
    missing = set(reference.classes) - set(head.classes)
    extra = set(head.classes) - set(reference.classes)
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"not in the head: {_listed(missing)}")
        if extra:
            parts.append(f"no longer in the catalog: {_listed(extra)}")
        return (
            ResultWarning(
                "head_mismatch",
                f"the classifier head of model {bundle.version} does not cover the catalog's "
                f"classes ({'; '.join(parts)}): answers come from class-mean prototypes of "
                f"reference {reference.reference_version}, which are less accurate; {fix}",
            ),
        )
    if head.fit_on != reference.reference_version:
        return (
            ResultWarning(
                "head_stale",
                f"the classifier head was fitted on reference {head.fit_on}, the catalog is now "
                f"{reference.reference_version} (photos added or removed); {fix}",
            ),
        )
    return ()


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
        self.warnings = scorer_warnings(bundle, reference)
        self.index = KnnIndex(reference.vectors, reference.labels)  # built once, see knn_index
        self.texture = TextureView.from_bundle(bundle.meta)
        # Photos are decoded for the model's input first (decode_config); a texture head
        # decodes again, with more detail, only the photos whose tiles it may read
        # (tile_decode_config, see refit_for_tiles).
        self.decode_config = bundle.preprocess
        self.tile_decode_config = decode_config(bundle.preprocess, self.texture)
        self._prototypes: PrototypeClassifier | None = None

    @property
    def prototypes(self) -> PrototypeClassifier:
        """The prototype classifier over the reference set, fitted on first use."""
        if self._prototypes is None:
            target = self.bundle.thresholds.target_selective_accuracy
            self._prototypes = fit_prototypes(
                self.reference, self.taxa, target_selective_accuracy=target
            )
        return self._prototypes

    @property
    def thresholds(self) -> Thresholds:
        """A head's thresholds were fitted with it; prototypes carry their own."""
        return self.bundle.thresholds if self.use_head else self.prototypes.thresholds

    @property
    def model_version(self) -> str:
        return self.bundle.version

    def embed(self, images: Sequence[DecodedImage]) -> np.ndarray:
        return embed_decoded(self.bundle, self.engine, images)

    def score_batch(
        self,
        embeddings: np.ndarray,
        images: Sequence[DecodedImage | None],
        similarities: Sequence[float],
    ) -> list[ClassScores]:
        """Class probabilities: the bundle's head if it fits the reference set, else the
        calibrated prototypes.

        A head with a texture view (``model.json`` ``tiles``) also reads the pooled
        embedding of each photo's surface tiles (``head+tiles``), all photos' tiles embedded
        together. Tiles are skipped (``head+whole_only``: the head reads the whole photo in
        both views, as for a photo where no tile is found) where they cannot matter or
        cannot help: no decoded image, or one decoded without the tile working image
        (:meth:`refit_for_tiles` decodes it again where needed); a nearest-reference
        similarity (``similarities``) below the open-set threshold, so the answer is
        ``not_in_reference`` whatever the scores; or, from the whole photo alone, less
        than :data:`TILE_GATE_MASS` of the probability on the materials the tiles were
        measured on (:func:`texture_classes`).
        """
        head = self.bundle.head
        if not (self.use_head and head is not None):
            probs = self.prototypes.probabilities(embeddings)
            return [
                ClassScores(self.prototypes.classes, p.astype(np.float64), PROTOTYPE_SOURCE)
                for p in probs
            ]
        if self.texture is None:
            return [
                ClassScores(head.classes, p.astype(np.float64), "head")
                for p in head.probabilities(embeddings)
            ]
        probs = head.probabilities(texture_features(embeddings, embeddings))
        tile_px = self.tile_decode_config.working_short_px
        need, photos = [], []
        for i in self._tile_gate(head.classes, probs, images, similarities):
            image = images[i]
            if image is not None and image.keeps_working_px(tile_px):
                need.append(i)
                photos.append(image.rgb)
        sources = ["head+whole_only"] * len(probs)
        if need:
            tiles = embed_tiles_of_photos(
                photos,
                self.texture,
                self.bundle.preprocess,
                self.engine,
                max(TILE_BATCH, getattr(self.engine, "batch_size", 0)),  # larger on a GPU
            )
            pooled = np.stack(
                [pool_tiles(found, embeddings[i]) for i, found in zip(need, tiles, strict=True)]
            )
            probs[need] = head.probabilities(texture_features(embeddings[need], pooled))
            for i in need:
                sources[i] = "head+tiles"
        return [
            ClassScores(head.classes, p.astype(np.float64), source)
            for p, source in zip(probs, sources, strict=True)
        ]

    def _tile_gate(
        self,
        classes: Sequence[str],
        probs: np.ndarray,
        images: Sequence[DecodedImage | None],
        similarities: Sequence[float],
        mass_fraction: float = 1.0,
        similarity_slack: float = 0.0,
    ) -> list[int]:
        """The photos whose tiles can change the answer (see :meth:`score_batch`), from
        the whole-photo probabilities ``probs`` (texture head only)."""
        material = np.isin(classes, sorted(texture_classes(classes, self.taxa)))
        min_similarity = self.thresholds.min_similarity - similarity_slack
        min_mass = TILE_GATE_MASS * mass_fraction
        return [
            i
            for i, (image, similarity) in enumerate(zip(images, similarities, strict=True))
            if image is not None
            and similarity >= min_similarity
            and float(probs[i, material].sum()) >= min_mass
        ]

    def refit_for_tiles(
        self, images: Sequence[DecodedImage], embeddings: np.ndarray, similarities: Sequence[float]
    ) -> dict[int, DecodedImage]:
        """Decode again, at the tile working size, the photos whose tiles may be read.

        Photos are decoded for the model's input first (:attr:`decode_config`). A texture
        head reads tiles cut from a larger working image (:attr:`tile_decode_config`), so
        a photo that may pass the tile gate (with slack: :data:`REFIT_GATE_FRACTION`,
        :data:`REFIT_SIMILARITY_SLACK`) is decoded again from its source. The caller
        replaces those photos, and their embeddings, similarities and quality, by the new
        decode's, so each is answered exactly as if it had been decoded at that size
        first. A photo that cannot be decoded again keeps its first decode and its tiles
        are not read (logged).

        Returns:
            The new decodes, by index in ``images``.
        """
        head = self.bundle.head
        if self.texture is None or not self.use_head or head is None:
            return {}
        tile_px = self.tile_decode_config.working_short_px
        todo = [i for i, image in enumerate(images) if not image.keeps_working_px(tile_px)]
        if not todo:
            return {}
        probs = head.probabilities(texture_features(embeddings[todo], embeddings[todo]))
        gate = self._tile_gate(
            head.classes,
            probs,
            [images[i] for i in todo],
            [similarities[i] for i in todo],
            REFIT_GATE_FRACTION,
            REFIT_SIMILARITY_SLACK,
        )
        done = {}
        for j in gate:
            try:
                done[todo[j]] = redecode(images[todo[j]], self.tile_decode_config)
            except IdtoolError as exc:
                log.warning("tiles not read: cannot decode the photo again (%s)", exc.message)
        return done

    def nearest(
        self, embedding: np.ndarray, count: int = NEAREST_REFERENCES
    ) -> list[NearestReference]:
        top, sims = self.index.search(embedding, count)
        return [
            NearestReference(
                label=self.reference.labels[i],
                similarity=round(float(sim), 4),
                image_id=self.reference.image_ids[i],
                path=self.reference.paths[i],
            )
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
        return [result for result, _ in self.score_decoded(images, names, top_k, qualities)]

    def score_decoded(
        self,
        images: Sequence[DecodedImage],
        names: Sequence[str],
        top_k: int = 3,
        qualities: Sequence[QualityReport] | None = None,
    ) -> list[tuple[Identification, ClassScores]]:
        """Each image's result with the class scores it was decided from (for item fusion)."""
        if not images:
            return []
        images = list(images)
        embeddings = self.embed(images)
        nearest_of = [self.nearest(embedding) for embedding in embeddings]
        refitted = self.refit_for_tiles(
            images, embeddings, [nearest[0].similarity for nearest in nearest_of]
        )
        if refitted:
            at = sorted(refitted)
            embeddings[at] = self.embed([refitted[i] for i in at])
            qualities = None if qualities is None else list(qualities)
            for i in at:
                images[i] = refitted[i]
                nearest_of[i] = self.nearest(embeddings[i])
                if qualities is not None:
                    qualities[i] = assess_decoded(images[i])
        scored = self.score_batch(
            embeddings, images, [nearest[0].similarity for nearest in nearest_of]
        )
        results = []
        for i, (image, name, nearest, scores) in enumerate(
            zip(images, names, nearest_of, scored, strict=True)
        ):
            quality = qualities[i] if qualities is not None else assess_decoded(image)
            outcome = decide(
                scores,
                nearest[0].similarity,
                self.taxa,
                self.thresholds,
                top_k=top_k,
                quality_ok=not quality.lowers_confidence,
            )
            results.append(
                (
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
                        nearest_similarity=nearest[0].similarity,
                        quality=quality.to_dict(),
                        warnings=self.warnings,
                        engine=self.engine.name,
                        nearest_references=tuple(nearest),
                    ),
                    scores,
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
            warnings=self.warnings,
        )

    def identify_paths(
        self, paths: Iterable[Path], *, max_bytes: int, max_pixels: int, top_k: int = 3
    ) -> list[Identification]:
        """Identify files; a bad file yields a result with ``error`` set, never an exception."""
        results = []
        for path in paths:
            try:
                decoded = decode_image(
                    path, max_bytes=max_bytes, max_pixels=max_pixels, fit=self.decode_config
                )
            except IdtoolError as exc:
                results.append(self.failed(str(path), exc))
                continue
            results.extend(self.identify_decoded([decoded], [str(path)], top_k=top_k))
        return results
