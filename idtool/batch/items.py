"""The per-item work of a batch, shared by the local and the Ray engines.

:func:`prepare` runs in a decode worker (thread, process or Ray actor): it decodes one
file once, at the size the model needs (the working image of
:func:`idtool.model.preprocess.decode_image` with ``fit=``), and from that one image measures
its quality and makes its thumbnail, so the thread that runs the model only embeds. :func:`finish` runs where the model is: one batched
identification call, then the CITES guidance of each result (:func:`cites_guidance`,
the only glue to :mod:`idtool.cites.guidance`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import cv2
import numpy as np

from idtool.batch.walk import BatchItem
from idtool.cites import ListingIndex
from idtool.cites.guidance import TradeDeclaration
from idtool.decide.advice import with_advice
from idtool.decide.identify import Identifier
from idtool.decide.lookalike import ModelConfusion
from idtool.errors import IdtoolError, InvalidImage
from idtool.forensics.quality import QualityReport, assess_decoded
from idtool.i18n import default_language, use_language
from idtool.model.preprocess import DecodedImage, PreprocessConfig, decode_image
from idtool.types import Identification

log = logging.getLogger(__name__)

THUMBNAIL_PX = 112
THUMBNAIL_JPEG_QUALITY = 70


@dataclass(frozen=True)
class JobOptions:
    """What every worker needs to know about the job (picklable, sent to Ray actors)."""

    declaration: TradeDeclaration
    top_k: int
    max_bytes: int
    max_pixels: int
    thumbnail_px: int = THUMBNAIL_PX
    lang: str | None = None  # the texts' language; None: the worker process's default


@dataclass(frozen=True)
class Prepared:
    """A decoded file (or why it could not be decoded), ready for the model."""

    item: BatchItem
    decoded: DecodedImage | None
    error: IdtoolError | None
    thumbnail: bytes | None
    quality: QualityReport | None = None

    @property
    def footprint_bytes(self) -> int:
        """Memory this prepared file holds (pixels, model input, thumbnail, source bytes
        kept for a second decode), for decode-ahead."""
        held = len(self.thumbnail or b"")
        if self.decoded is not None:
            held += self.decoded.rgb.nbytes
            if self.decoded.model_input is not None:
                held += self.decoded.model_input.nbytes
            if isinstance(self.decoded.source, bytes):
                held += len(self.decoded.source)
        return held


@dataclass(frozen=True)
class ItemResult:
    """The outcome for one unique file: the per-image JSON plus what the report indexes."""

    rel_path: str
    sha256: str
    record: dict[str, Any]  # as `idtool identify --format json`, plus cites_appendix
    decision: str | None
    label: str | None
    confidence: float | None
    appendix: str | None
    guidance_status: str
    error_code: str | None
    engine: str
    thumbnail: bytes | None


def make_thumbnail(rgb: np.ndarray, size_px: int) -> bytes | None:
    """A small JPEG of the photo (long side ``size_px``) for the HTML report."""
    height, width = rgb.shape[:2]
    scale = size_px / max(height, width)
    if scale < 1.0:
        new_size = (max(1, round(width * scale)), max(1, round(height * scale)))
        rgb = cv2.resize(rgb, new_size, interpolation=cv2.INTER_AREA)
    ok, encoded = cv2.imencode(
        ".jpg",
        cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR),
        [cv2.IMWRITE_JPEG_QUALITY, THUMBNAIL_JPEG_QUALITY],
    )
    return encoded.tobytes() if ok else None


def prepare(
    item: BatchItem, options: JobOptions, fit: PreprocessConfig, data: bytes | None = None
) -> Prepared:
    """Decode one file (from ``data`` if given, else from its path) for the model ``fit``
    describes, measure its quality and thumbnail it.

    Never raises for a bad file: the error is returned in :attr:`Prepared.error`. A file
    decoded from ``data`` keeps its path, not its bytes, for a second decode
    (:meth:`idtool.decide.identify.Identifier.refit_for_tiles`) when the path is readable
    here; otherwise (a Ray worker on another machine) it keeps the bytes.
    """
    try:
        decoded = decode_image(
            item.path if data is None else data,
            max_bytes=options.max_bytes,
            max_pixels=options.max_pixels,
            fit=fit,
        )
    except IdtoolError as exc:
        return Prepared(item, None, exc, None)
    except Exception as exc:  # a decoder bug must not stop a job of thousands of files
        log.exception("unexpected error decoding %s", item.rel_path)
        error = InvalidImage(f"cannot decode ({type(exc).__name__}: {exc})")
        return Prepared(item, None, error, None)
    if data is not None and decoded.source is not None and item.path.is_file():
        decoded = replace(decoded, source=item.path)
    return Prepared(
        item,
        decoded,
        None,
        make_thumbnail(decoded.rgb, options.thumbnail_px),
        assess_decoded(decoded),
    )


def cites_guidance(
    identification: Identification,
    declaration: TradeDeclaration,
    listings: ListingIndex,
    confusion: ModelConfusion | None = None,
) -> tuple[dict[str, Any], str | None, str]:
    """The glue to the CITES guidance: the per-image JSON with guidance (as ``identify``
    gives it), the CITES appendix (the strictest over the candidates) and guidance status.
    """
    advised = with_advice(identification, declaration, listings, confusion)
    record = advised.to_dict()
    record["cites_appendix"] = advised.appendix
    return record, advised.appendix, advised.guidance_status


def _result(
    prepared: Prepared,
    identification: Identification,
    options: JobOptions,
    listings: ListingIndex,
    confusion: ModelConfusion | None = None,
) -> ItemResult:
    with use_language(options.lang or default_language()):  # Ray workers run elsewhere
        record, appendix, status = cites_guidance(
            identification, options.declaration, listings, confusion
        )
    return ItemResult(
        rel_path=prepared.item.rel_path,
        sha256=prepared.item.sha256,
        record=record,
        decision=identification.decision.value if identification.decision else None,
        label=identification.label,
        confidence=identification.confidence,
        appendix=appendix,
        guidance_status=status,
        error_code=identification.error.code if identification.error else None,
        engine=identification.engine or "",
        thumbnail=prepared.thumbnail,
    )


def finish(
    identifier: Identifier,
    batch: Sequence[Prepared],
    options: JobOptions,
    listings: ListingIndex,
) -> list[ItemResult]:
    """Identify a batch of prepared files (one embedding call) and add their guidance.

    Returns:
        One result per input, in input order; undecodable files get an ``error``.
    """
    good = [p for p in batch if p.decoded is not None]
    qualities = [p.quality for p in good if p.quality is not None]
    identified = identifier.identify_decoded(
        [p.decoded for p in good if p.decoded is not None],
        [p.item.rel_path for p in good],
        top_k=options.top_k,
        qualities=qualities if len(qualities) == len(good) else None,
    )
    by_sha = {p.item.sha256: r for p, r in zip(good, identified, strict=True)}
    confusion = ModelConfusion.from_meta(identifier.bundle.meta)
    results = []
    for prepared in batch:
        if prepared.error is not None:
            identification = identifier.failed(
                prepared.item.rel_path, prepared.error, sha256=prepared.item.sha256
            )
        else:
            identification = by_sha[prepared.item.sha256]
        results.append(_result(prepared, identification, options, listings, confusion))
    return results
