"""The guidance answer types: :class:`TradeDeclaration` in, :class:`Guidance` /
:class:`CombinedGuidance` out. Their ``to_dict()`` is the documented JSON shape.

Re-exported by :mod:`idtool.cites.guidance`; import them from there.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from idtool.cites.annotations import PopulationOption
from idtool.cites.codes import (
    normalise_purpose,
    normalise_source,
    purpose_meaning,
    source_meaning,
)
from idtool.cites.countries import normalise_country
from idtool.cites.eu import EuStatus
from idtool.cites.names import NameMatch
from idtool.cites.permits import TradeFacts
from idtool.cites.range_check import RangeCheck
from idtool.cites.store import ListingSetInfo
from idtool.i18n import N_
from idtool.i18n import gettext as _

# English; marked for translation (``disclaimer_text()`` gives it in the active language).
DISCLAIMER = N_(
    "Decision support only, not a legal determination. Visual identification is probable "
    "cause, not proof. Listings change at every Conference of the Parties: confirm with the "
    "current CITES Appendices (checklist.cites.org, speciesplus.net), national law and the "
    "CITES Management Authority before seizing or releasing goods."
)


def disclaimer_text() -> str:
    """The guidance disclaimer in the active language."""
    return _(DISCLAIMER)


STRICTNESS = {"prohibited": 0, "I": 1, "II": 2, "III": 3, "unknown": 4, "none": 5}


@dataclass(frozen=True)
class TradeDeclaration:
    """The declared circumstances of a shipment; every field is optional.

    Build it with :meth:`from_values`, which validates and normalises.
    """

    origin_country: str | None = None
    export_country: str | None = None
    destination_country: str | None = None
    purpose: str | None = None
    source: str | None = None

    @classmethod
    def from_values(
        cls,
        *,
        origin_country: str | None = None,
        export_country: str | None = None,
        destination_country: str | None = None,
        purpose: str | None = None,
        source: str | None = None,
    ) -> TradeDeclaration:
        """Validate and normalise (``ke`` -> ``KE``, ``Swaziland`` -> ``SZ``, ``t`` -> ``T``).

        Raises:
            BadField: unknown country, purpose code or source code; the message lists
                the valid codes.
        """

        def blank(value: str | None) -> bool:
            return value is None or not value.strip()

        return cls(
            origin_country=None
            if blank(origin_country)
            else normalise_country(origin_country or "", "origin"),
            export_country=None
            if blank(export_country)
            else normalise_country(export_country or "", "export country"),
            destination_country=None
            if blank(destination_country)
            else normalise_country(destination_country or "", "destination"),
            purpose=None if blank(purpose) else normalise_purpose(purpose or ""),
            source=None if blank(source) else normalise_source(source or ""),
        )

    def to_dict(self) -> dict[str, str | None]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def describe(self) -> list[str]:
        """Plain sentences saying how each declared code was read."""
        out = []
        if self.purpose:
            out.append(
                _("declared purpose {code} ({meaning})").format(
                    code=self.purpose, meaning=purpose_meaning(self.purpose)
                )
            )
        if self.source:
            out.append(
                _("declared source {code} ({meaning})").format(
                    code=self.source, meaning=source_meaning(self.source)
                )
            )
        return out

    def facts(self) -> TradeFacts:
        return TradeFacts(**self.to_dict())


@dataclass(frozen=True)
class CitesListing:
    """The ``cites`` block of a guidance answer."""

    appendix: str | None
    population: str
    annotation: str | None
    listing_id: str | None
    listed_under: str | None
    listing: str | None = None
    party: str | None = None
    population_resolved: bool = True
    population_note: str = ""
    options: tuple[PopulationOption, ...] = ()
    annotation_en: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "appendix": self.appendix,
            "population": self.population,
            "annotation": self.annotation,
            "annotation_en": self.annotation_en,
            "listing_id": self.listing_id,
            "listed_under": self.listed_under,
            "listing": self.listing,
            "party": self.party,
            "population_resolved": self.population_resolved,
            "population_note": self.population_note,
            "options": [{"appendix": o.appendix, "population": o.population} for o in self.options],
        }


@dataclass(frozen=True)
class Guidance:
    """Guidance for one taxon and one declared trade. ``to_dict()`` is the JSON shape.

    ``status``: ``listed``, ``partial`` (higher taxon with some members listed),
    ``not_listed``, ``not_found``, ``not_wildlife`` or ``no_guidance``.
    ``match_kind`` says how the typed name was read (``scientific``, ``synonym``,
    ``common_name``, ``fuzzy`` or ``none``); ``listing_match`` how the listing was found
    (``exact``, ``synonym``, ``species``, ``higher_taxon``, ``members`` or ``none``).
    """

    taxon: str
    status: str
    matched_name: str | None
    matched_rank: str | None
    match_kind: str
    match_note: str
    cites: CitesListing
    eu: EuStatus | None
    permits: tuple[str, ...]
    prohibitions: tuple[str, ...]
    officer_checks: tuple[str, ...]
    next_steps: tuple[str, ...]
    listing_set: ListingSetInfo | None
    declaration: TradeDeclaration
    quotas: tuple[str, ...] = ()
    reservations: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    suggestions: tuple[str, ...] = ()
    disclaimer: str = field(default_factory=disclaimer_text)
    listing_match: str = "none"
    name_match: NameMatch | None = None
    common_names: dict[str, list[str]] = field(default_factory=dict)
    range_check: RangeCheck | None = None
    listing_source: dict[str, Any] | None = None

    @property
    def strictness(self) -> int:
        """0 = prohibited, 1..3 = Appendix I..III, 4 = unknown, 5 = no CITES requirement."""
        if self.prohibitions:
            return STRICTNESS["prohibited"]
        if self.cites.appendix:
            return STRICTNESS[self.cites.appendix]
        if self.status in ("not_listed", "not_wildlife", "not_listed_as_material"):
            return STRICTNESS["none"]
        return STRICTNESS["unknown"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "single",
            "taxon": self.taxon,
            "status": self.status,
            "matched_name": self.matched_name,
            "matched_rank": self.matched_rank,
            "match_kind": self.match_kind,
            "match_note": self.match_note,
            "listing_match": self.listing_match,
            "name_match": self.name_match.to_dict() if self.name_match else None,
            "name_note": self.name_match.note if self.name_match else "",
            "common_names": self.common_names,
            "range_check": self.range_check.to_dict() if self.range_check else None,
            "cites": self.cites.to_dict(),
            "eu": self.eu.to_dict() if self.eu else None,
            "permits": list(self.permits),
            "prohibitions": list(self.prohibitions),
            "officer_checks": list(self.officer_checks),
            "next_steps": list(self.next_steps),
            "quotas": list(self.quotas),
            "reservations": list(self.reservations),
            "warnings": list(self.warnings),
            "suggestions": list(self.suggestions),
            "declaration": self.declaration.to_dict(),
            "listing_set": set_dict(self.listing_set),
            "listing_source": self.listing_source,
            "disclaimer": self.disclaimer,
        }


@dataclass(frozen=True)
class CandidateGuidance:
    """Guidance for one candidate of an uncertain identification or one material source."""

    label: str
    score: float | None
    guidance: Guidance | CombinedGuidance
    part: str = ""
    how_to_tell_apart: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "score": None if self.score is None else round(self.score, 4),
            "part": self.part or None,
            "how_to_tell_apart": self.how_to_tell_apart or None,
            "guidance": self.guidance.to_dict(),
        }


@dataclass(frozen=True)
class CombinedGuidance:
    """Guidance over several candidates; ``default`` is the strictest.

    ``to_dict()`` is the default's shape (so callers can read ``cites``, ``permits`` ...
    as for a single answer) plus ``kind: "combined"``, ``basis`` (``uncertain`` or
    ``material``), ``label``, ``default_label`` and ``candidates``.
    """

    basis: str
    label: str | None
    default_label: str
    default: Guidance
    candidates: tuple[CandidateGuidance, ...]
    next_steps: tuple[str, ...] = field(default=())

    @property
    def strictness(self) -> int:
        return self.default.strictness

    @property
    def listing_set(self) -> ListingSetInfo | None:
        return self.default.listing_set

    def to_dict(self) -> dict[str, Any]:
        out = self.default.to_dict()
        out.update(
            {
                "kind": "combined",
                "basis": self.basis,
                "label": self.label,
                "default_label": self.default_label,
                "next_steps": list(self.next_steps),
                "candidates": [c.to_dict() for c in self.candidates],
            }
        )
        return out


def set_dict(info: ListingSetInfo | None) -> dict[str, Any] | None:
    return info.to_dict() if info else None
