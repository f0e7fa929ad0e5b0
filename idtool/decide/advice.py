"""Attach what an officer needs next to an identification: CITES guidance and material checks."""

from __future__ import annotations

import dataclasses

from idtool.cites.guidance import TradeDeclaration, guidance_for_identification
from idtool.cites.listing_index import ListingIndex
from idtool.cites.names import names_for
from idtool.forensics.triage import checks_for_material
from idtool.i18n import get_language
from idtool.types import Candidate, Identification


def _local_common_names(
    candidates: tuple[Candidate, ...], listings: ListingIndex
) -> tuple[Candidate, ...]:
    """Candidates with their common name in the active language where one is known.

    The shipped common-name table (and an imported index's names) gives French and Spanish
    names; without one the catalog's own name is kept.
    """
    lang = get_language()
    names = names_for(listings)
    out = []
    for candidate in candidates:
        local = names.common_names(candidate.label).get(lang)
        if local and lang != "en":
            candidate = dataclasses.replace(candidate, common_name=local[0])
        out.append(candidate)
    return tuple(out)


def with_advice(
    identification: Identification, declaration: TradeDeclaration, listings: ListingIndex
) -> Identification:
    """Return ``identification`` with ``guidance`` and, for material results, ``material_checks``.

    Material checks are given for the identified material, or for every material among
    the candidates when the answer is uncertain. Texts are in the active language, and so
    are the candidates' common names where the common-name table knows one.
    """
    if identification.error is not None:
        return identification
    extra = dict(identification.extra)
    guidance = guidance_for_identification(identification, declaration, listings).to_dict()
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
