"""Identify one item from several photos: per-photo results, then one fused answer.

The item's result has the keys of a photo result (``decision``, ``label``, ``rank``,
``confidence``, ``candidates``, ``decision_source`` with ``+item_fusion``, versions,
warnings) plus ``item: {photos, agreeing, unreadable}`` and ``photos``: the per-photo
results, unreadable photos included with their error. Unreadable photos are left out of
the fusion; an item none of whose photos can be read is an error result.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from pathlib import Path

from idtool.decide.decision import ClassScores, decide
from idtool.decide.fusion import DEFAULT_ALPHA, fuse_scores
from idtool.decide.identify import Identifier
from idtool.errors import IdtoolError, InvalidImage
from idtool.model.preprocess import DecodedImage, decode_image
from idtool.types import Decision, Identification, ItemAgreement


def item_name(photos: Sequence[str]) -> str:
    """A readable name for an item: its folder when all photos share one, else the first."""
    parents = {str(Path(p).parent) for p in photos}
    if len(parents) == 1 and len(photos) > 1:
        return next(iter(parents))
    return photos[0] if photos else "item"


def fuse_item(
    identifier: Identifier,
    name: str,
    scored: Sequence[tuple[Identification, ClassScores]],
    failed: Sequence[Identification] = (),
    *,
    top_k: int = 3,
    alpha: float = DEFAULT_ALPHA,
) -> Identification:
    """One result for the item from its photos' results and scores (see the module doc)."""
    photos = [result for result, _ in scored] + list(failed)
    usable = [(r, s) for r, s in scored if r.error is None and r.decision is not None]
    if not usable:
        reason = failed[0].error if failed and failed[0].error else None
        error = InvalidImage(
            f"none of the item's {len(photos)} photo(s) could be read"
            + (f" ({reason.code}: {reason.message})" if reason else "")
        )
        result = identifier.failed(name, error)
        return _with_item(result, len(photos), 0, len(failed), photos)
    fused = fuse_scores([s for _, s in usable], alpha)
    nearest = max(float(r.nearest_similarity or 0.0) for r, _ in usable)
    quality_ok = any(not (r.quality or {}).get("lowers_confidence", False) for r, _ in usable)
    outcome = decide(
        fused.scores, nearest, identifier.taxa, identifier.thresholds, top_k, quality_ok
    )
    agreeing = fused.agreeing
    if outcome.decision is Decision.IDENTIFIED and outcome.rank and outcome.label:
        # a roll-up: photos agree when their top class falls under the called label
        agreeing = sum(
            1
            for r, _ in usable
            if r.candidates
            and _under(r.candidates[0].label, outcome.label, outcome.rank, identifier)
        )
    result = Identification(
        image=name,
        sha256=None,
        decision=outcome.decision,
        label=outcome.label,
        rank=outcome.rank,
        confidence=outcome.confidence,
        candidates=outcome.candidates,
        decision_source=outcome.decision_source,
        model_version=identifier.model_version,
        reference_version=identifier.reference.reference_version,
        nearest_similarity=nearest,
        quality=None,
        warnings=identifier.warnings,
        engine=identifier.engine.name,
    )
    return _with_item(result, len(usable), agreeing, len(failed), photos)


def _under(label: str, called: str, rank: str, identifier: Identifier) -> bool:
    if label == called:
        return True
    taxon = identifier.taxa.get(label)
    return bool(taxon and taxon.ancestor(rank) == called)


def _with_item(
    result: Identification, used: int, agreeing: int, unreadable: int, photos: list[Identification]
) -> Identification:
    return dataclasses.replace(
        result,
        item=ItemAgreement(photos=used, agreeing=agreeing, unreadable=unreadable),
        photos=tuple(photos),
    )


def identify_item_decoded(
    identifier: Identifier,
    images: Sequence[DecodedImage],
    names: Sequence[str],
    failed: Sequence[Identification] = (),
    *,
    name: str | None = None,
    top_k: int = 3,
) -> Identification:
    """Identify already-decoded photos of one item (``failed``: photos that could not be read)."""
    scored = identifier.score_decoded(images, names, top_k)
    all_names = list(names) + [f.image for f in failed]
    return fuse_item(identifier, name or item_name(all_names), scored, failed, top_k=top_k)


def identify_item_paths(
    identifier: Identifier,
    paths: Iterable[Path],
    *,
    max_bytes: int,
    max_pixels: int,
    top_k: int = 3,
    name: str | None = None,
) -> Identification:
    """Identify the photo files of one item; an unreadable file is listed, not fatal."""
    images, names, failed = [], [], []
    for path in paths:
        try:
            images.append(
                decode_image(
                    path,
                    max_bytes=max_bytes,
                    max_pixels=max_pixels,
                    fit=identifier.decode_config,
                )
            )
            names.append(str(path))
        except IdtoolError as exc:
            failed.append(identifier.failed(str(path), exc))
    return identify_item_decoded(identifier, images, names, failed, name=name, top_k=top_k)
