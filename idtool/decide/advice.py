"""Attach what an officer needs next to an identification: CITES guidance and material checks."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from idtool.cites.guidance import TradeDeclaration, guidance_for_identification
from idtool.cites.guidance_model import CombinedGuidance, Guidance
from idtool.cites.label_names import common_name
from idtool.cites.listing_index import ListingIndex
from idtool.decide.lookalike import LookalikeTriage, ModelConfusion, lookalike_triage
from idtool.forensics.triage import MaterialTriage, checks_for_material
from idtool.i18n import get_language, use_language
from idtool.types import Candidate, Identification


@dataclass(frozen=True)
class AdvisedIdentification:
    """An identification with what an officer needs next.

    ``guidance`` is the CITES guidance for the declared trade (None when the photo could not
    be processed), written in ``lang``; ``material_checks`` are the triage cards for the
    material labels; ``lookalike`` says when an uncertain answer mixes a listed material and
    a look-alike (its summary is also the guidance's second next step). ``to_dict()`` is the
    documented ``identify`` JSON: the identification's fields, then ``lookalike_triage``,
    ``guidance`` (with its ``lang``) and ``material_checks``.
    """

    identification: Identification
    lang: str
    guidance: Guidance | CombinedGuidance | None = None
    material_checks: tuple[MaterialTriage, ...] = ()
    lookalike: LookalikeTriage | None = None

    @property
    def next_steps(self) -> tuple[str, ...]:
        return self.guidance.next_steps if self.guidance is not None else ()

    @property
    def appendix(self) -> str | None:
        """The CITES appendix the guidance applies (the strictest candidate's when combined)."""
        if self.guidance is None:
            return None
        single = (
            self.guidance.default if isinstance(self.guidance, CombinedGuidance) else self.guidance
        )
        return single.cites.appendix

    @property
    def guidance_status(self) -> str:
        """``listed``, ``not_listed``... (``no_guidance`` when there is none)."""
        if self.guidance is None:
            return "no_guidance"
        single = (
            self.guidance.default if isinstance(self.guidance, CombinedGuidance) else self.guidance
        )
        return single.status or "no_guidance"

    def guidance_dict(self) -> dict[str, Any] | None:
        """The ``guidance`` JSON object (its texts in ``lang``), or None."""
        if self.guidance is None:
            return None
        with use_language(self.lang):
            return {**self.guidance.to_dict(), "lang": self.lang}

    def to_dict(self) -> dict[str, Any]:
        out = self.identification.to_dict()
        if self.lookalike is not None:
            out["lookalike_triage"] = self.lookalike.to_dict()
        guidance = self.guidance_dict()
        if guidance is not None:
            out["guidance"] = guidance
        if self.material_checks:
            out["material_checks"] = [t.to_dict() for t in self.material_checks]
        return out


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
) -> AdvisedIdentification:
    """Return ``identification`` with ``guidance`` and, for material results, ``material_checks``.

    Material checks are given for the identified material, or for every material among
    the candidates when the answer is uncertain. When an uncertain answer mixes a listed
    material and a look-alike, ``lookalike`` says so, with the quick checks and (given
    ``confusion``, the model's measured counts) how often the model mixes them up; its
    summary is also the second next step. Texts are in the active language, and so are
    the candidates' names (``common_name``).
    """
    lang = get_language()  # the language of the guidance texts
    if identification.error is not None:
        return AdvisedIdentification(identification, lang)
    guidance = guidance_for_identification(identification, declaration, listings)
    triage = lookalike_triage(identification, guidance, listings, confusion)
    if triage is not None:
        steps = guidance.next_steps
        guidance = dataclasses.replace(
            guidance, next_steps=(*steps[:1], triage.summary, *steps[1:])
        )
    labels = (
        [identification.label]
        if identification.label
        else [c.label for c in identification.candidates]
    )
    checks = tuple(t for t in (checks_for_material(label) for label in labels if label) if t)
    candidates = _local_common_names(identification.candidates, listings)
    return AdvisedIdentification(
        dataclasses.replace(identification, candidates=candidates), lang, guidance, checks, triage
    )
