"""Attach what an officer needs next to an identification: CITES guidance and material checks."""

from __future__ import annotations

import dataclasses

from idtool.cites.guidance import TradeDeclaration, guidance_for_identification
from idtool.cites.label_names import common_name
from idtool.cites.listing_index import ListingIndex
from idtool.decide.lookalike import ModelConfusion, lookalike_triage
from idtool.forensics.triage import checks_for_material
from idtool.i18n import get_language
from idtool.types import Candidate, Identification


def _local_common_names(
    candidates: tuple[Candidate, ...], listings: ListingIndex
) -> tuple[Candidate, ...]:
    """Candidates named in the active language (``common_name``), materials included.

    Names come from one source (:func:`idtool.cites.label_names.label_name`): the
    translated material names, and the common-name table (plus an imported index's names)
    for taxa; under French or Spanish a taxon without a name there gets None (the front
    ends show its scientific name), never an English one.
    """
    return tuple(
        dataclasses.replace(c, common_name=common_name(c.label, listings, c.common_name))
        for c in candidates
    )


def with_advice(
    identification: Identification,
    declaration: TradeDeclaration,
    listings: ListingIndex,
    confusion: ModelConfusion | None = None,
) -> Identification:
    """Return ``identification`` with ``guidance`` and, for material results, ``material_checks``.

    Material checks are given for the identified material, or for every material among
    the candidates when the answer is uncertain. When an uncertain answer mixes a listed
    material and a look-alike, ``lookalike_triage`` says so, with the quick checks and
    (given ``confusion``, the model's measured counts) how often the model mixes them up;
    its summary is also the second next step. Texts are in the active language, and so
    are the candidates' names (``common_name``).
    """
    if identification.error is not None:
        return identification
    extra = dict(identification.extra)
    combined = guidance_for_identification(identification, declaration, listings)
    guidance = combined.to_dict()
    triage = lookalike_triage(identification, combined, listings, confusion)
    if triage is not None:
        steps = list(guidance.get("next_steps") or [])
        guidance["next_steps"] = [*steps[:1], triage.summary, *steps[1:]]
        extra["lookalike_triage"] = triage.to_dict()
    extra["guidance"] = {**guidance, "lang": get_language()}  # the language of its texts
    labels = (
        [identification.label]
        if identification.label
        else [c.label for c in identification.candidates]
    )
    checks = [t.to_dict() for t in (checks_for_material(label) for label in labels if label) if t]
    if checks:
        extra["material_checks"] = checks
    candidates = _local_common_names(identification.candidates, listings)
    return dataclasses.replace(identification, extra=extra, candidates=candidates)
