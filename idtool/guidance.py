"""CITES guidance: from a taxon (or an Identification) and a declared trade to what the
law requires.

Pure functions over a loaded :class:`~idtool.cites.ListingIndex`:

* :func:`guidance_for_taxon` — one scientific name of any rank -> :class:`Guidance`.
* :func:`guidance_for_label` — a taxon or a material label (``material_ivory_or_bone``).
* :func:`guidance_for_identification` — an :class:`~idtool.types.Identification`;
  ``uncertain`` decisions and material labels give a :class:`CombinedGuidance` whose
  default is the strictest candidate.

Every answer names its listing set and carries :data:`DISCLAIMER`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from idtool.cites.annotations import (
    PopulationChoice,
    PopulationOption,
    choose_population,
    clean_annotation,
    strictest,
)
from idtool.cites.codes import (
    describe_purpose,
    describe_source,
    normalise_purpose,
    normalise_source,
)
from idtool.cites.countries import normalise_country
from idtool.cites.eu import EuStatus
from idtool.cites.listing_index import ListingEntry, ListingIndex, ListingMatch, stale_warning
from idtool.cites.materials import MaterialTable, load_materials
from idtool.cites.permits import FORENSICS, REFER, TradeFacts, advise
from idtool.cites.store import ListingSetInfo
from idtool.types import Decision, Identification, is_material_label

DISCLAIMER = (
    "Decision support only, not a legal determination. Visual identification is probable "
    "cause, not proof. Listings change at every Conference of the Parties: confirm with the "
    "current CITES Appendices (checklist.cites.org, speciesplus.net), national law and the "
    "CITES Management Authority before seizing or releasing goods."
)

_STRICTNESS = {"prohibited": 0, "I": 1, "II": 2, "III": 3, "unknown": 4, "none": 5}


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
            out.append(f"declared {describe_purpose(self.purpose)}")
        if self.source:
            out.append(f"declared {describe_source(self.source)}")
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

    def to_dict(self) -> dict[str, Any]:
        return {
            "appendix": self.appendix,
            "population": self.population,
            "annotation": self.annotation,
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
    disclaimer: str = DISCLAIMER

    @property
    def strictness(self) -> int:
        """0 = prohibited, 1..3 = Appendix I..III, 4 = unknown, 5 = no CITES requirement."""
        if self.prohibitions:
            return _STRICTNESS["prohibited"]
        if self.cites.appendix:
            return _STRICTNESS[self.cites.appendix]
        if self.status in ("not_listed", "not_wildlife"):
            return _STRICTNESS["none"]
        return _STRICTNESS["unknown"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "single",
            "taxon": self.taxon,
            "status": self.status,
            "matched_name": self.matched_name,
            "matched_rank": self.matched_rank,
            "match_kind": self.match_kind,
            "match_note": self.match_note,
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
            "listing_set": _set_dict(self.listing_set),
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


def _set_dict(info: ListingSetInfo | None) -> dict[str, Any] | None:
    return info.to_dict() if info else None


def _primary_set(listings: ListingIndex) -> ListingSetInfo | None:
    return listings.sets[-1] if listings.sets else None


def _cites_for(entry: ListingEntry, choice: PopulationChoice, match: ListingMatch) -> CitesListing:
    listed_under = entry.listed_under
    if match.inherited and listed_under == entry.full_name and entry.rank != "species":
        listed_under = f"{entry.full_name} spp."
    return CitesListing(
        appendix=choice.appendix,
        population=choice.population,
        annotation=clean_annotation(entry.annotation) or None,
        listing_id=entry.taxon_id or f"{entry.listing_set.name}:{entry.full_name}",
        listed_under=listed_under,
        listing=entry.listing,
        party=entry.party or None,
        population_resolved=choice.resolved,
        population_note=choice.reason,
        options=choice.options,
    )


def _empty_cites(population: str = "", note: str = "") -> CitesListing:
    return CitesListing(None, population, None, None, None, population_note=note)


def _quota_and_reservation_notes(
    listings: ListingIndex, entry: ListingEntry, query: str, decl: TradeDeclaration
) -> tuple[list[str], list[str], list[str]]:
    names = list(dict.fromkeys([entry.full_name, query]))
    countries = {c for c in (decl.origin_country, decl.export_country) if c}
    quotas = listings.quotas_for(names, countries, decl.purpose, decl.source)
    quota_lines = [q.describe() for q in quotas]
    prohibitions = []
    for quota in quotas:
        exact = decl.source and decl.purpose and (quota.country == "All" or countries)
        if quota.quota == "0" and exact and quota.terms == "All":
            prohibitions.append(
                f"zero export quota applies to this trade ({quota.describe()}) — {REFER}"
            )
    reservation_lines = []
    involved = {decl.export_country, decl.destination_country} - {None}
    for res in listings.reservations_for(names):
        line = (
            f"{res.country} has a reservation on {res.taxon_name} (since {res.start_date}): "
            "it is treated as a non-Party for this taxon"
        )
        if res.country in involved:
            line += "; trade with it needs comparable documentation (Art. X)"
        reservation_lines.append(line)
    return quota_lines, reservation_lines, prohibitions


def guidance_for_taxon(
    name: str, declaration: TradeDeclaration, listings: ListingIndex
) -> Guidance:
    """Guidance for one scientific name of any rank.

    Args:
        name: ``"Loxodonta africana"``, ``"Scleractinia"``, ``"Naja"``; misspellings give
            ``status == "not_found"`` with suggestions, never an error.
        declaration: the declared trade (validated).
        listings: the loaded listing index.

    Returns:
        The guidance answer.
    """
    match = listings.lookup(name)
    entry = match.entry
    warnings: list[str] = []
    next_steps: list[str] = []
    if match.status == "partial":
        return _partial_guidance(match, declaration, listings)
    if entry is None:
        info = _primary_set(listings)
        if info and (warning := stale_warning(info)):
            warnings.append(warning)
        if listings.bundled:
            warnings.append(
                "only the bundled table of reference taxa is loaded; import a Species+ export "
                "('idtool cites import FILE') to look up other taxa"
            )
        hint = f" Did you mean: {', '.join(match.suggestions)}?" if match.suggestions else ""
        next_steps.append(
            "check the spelling and the name against the CITES Checklist; until the taxon is "
            f"confirmed, treat the item as possibly listed.{hint}"
        )
        next_steps.append(FORENSICS)
        return Guidance(
            taxon=match.query,
            status="not_found",
            matched_name=None,
            matched_rank=None,
            match_kind=match.match_kind,
            match_note=match.note,
            cites=_empty_cites(),
            eu=listings.eu.status_for(
                list(match.lineage),
                export_country=declaration.export_country,
                destination_country=declaration.destination_country,
            ),
            permits=(),
            prohibitions=(),
            officer_checks=tuple(declaration.describe()),
            next_steps=tuple(next_steps),
            listing_set=info,
            declaration=declaration,
            warnings=tuple(warnings),
            suggestions=match.suggestions,
        )
    info = entry.listing_set
    if warning := stale_warning(info):
        warnings.append(warning)
    eu = listings.eu.status_for(
        list(match.lineage),
        export_country=declaration.export_country,
        destination_country=declaration.destination_country,
    )
    if match.status == "not_listed":
        next_steps.append(
            "no CITES document is required for this taxon; national law may still apply"
        )
        next_steps.append(FORENSICS)
        return Guidance(
            taxon=match.query,
            status="not_listed",
            matched_name=entry.full_name,
            matched_rank=entry.rank,
            match_kind=match.match_kind,
            match_note=match.note,
            cites=CitesListing(
                None,
                "not covered",
                clean_annotation(entry.annotation) or None,
                entry.taxon_id or None,
                entry.listed_under,
                entry.listing,
            ),
            eu=eu,
            permits=(),
            prohibitions=(),
            officer_checks=tuple(declaration.describe()),
            next_steps=tuple(next_steps),
            listing_set=info,
            declaration=declaration,
            warnings=tuple(warnings),
        )
    split = listings.split_for(entry)
    choice = choose_population(split, declaration.origin_country, inherited=match.inherited)
    cites = _cites_for(entry, choice, match)
    advice = advise(
        choice.appendix, declaration.facts(), kingdom=entry.kingdom, party=entry.party or None
    )
    quotas, reservations, quota_prohibitions = _quota_and_reservation_notes(
        listings, entry, match.query, declaration
    )
    prohibitions = advice.prohibitions + quota_prohibitions
    checks = [*declaration.describe(), *advice.officer_checks]
    if not choice.resolved:
        checks.insert(0, choice.reason)
    if choice.appendix is None:
        next_steps.append(f"{choice.population}: {choice.reason}; no CITES document is needed")
    elif prohibitions:
        next_steps.append(prohibitions[0])
    else:
        next_steps.append(
            f"Appendix {choice.appendix}: ask for the original documents listed under permits "
            "and check species, quantity, source and purpose codes against the shipment; if "
            f"they are missing or do not match, {REFER}"
        )
    if entry.hash_symbol:
        checks.append(
            f"annotation {entry.hash_symbol} limits which parts and derivatives are covered: "
            "check whether this product is one of them"
        )
    if quotas:
        checks.append("quotas apply to this taxon: see quotas; check the permit is within them")
    if eu.status == "unknown":
        checks.append(eu.note)
    next_steps.append(FORENSICS)
    return Guidance(
        taxon=match.query,
        status="listed",
        matched_name=entry.full_name,
        matched_rank=entry.rank,
        match_kind=match.match_kind,
        match_note=match.note,
        cites=cites,
        eu=eu,
        permits=tuple(advice.permits),
        prohibitions=tuple(prohibitions),
        officer_checks=tuple(dict.fromkeys(checks)),
        next_steps=tuple(next_steps),
        listing_set=info,
        declaration=declaration,
        quotas=tuple(quotas),
        reservations=tuple(reservations),
        warnings=tuple(warnings),
    )


def _partial_guidance(
    match: ListingMatch, declaration: TradeDeclaration, listings: ListingIndex
) -> Guidance:
    members = match.members
    appendix = strictest({a for m in members for a in m.appendices})
    by_appendix: dict[str, list[str]] = {}
    for member in members:
        for a in member.appendices:
            by_appendix.setdefault(a, []).append(member.full_name)
    options = tuple(
        PopulationOption(a, "listed members: " + ", ".join(sorted(names)[:12]))
        for a, names in sorted(by_appendix.items(), key=lambda kv: _STRICTNESS[kv[0]])
    )
    kingdom = members[0].kingdom if members else ""
    advice = advise(appendix, declaration.facts(), kingdom=kingdom)
    info = members[0].listing_set if members else _primary_set(listings)
    warnings = [w for w in [stale_warning(info)] if w] if info else []
    checks = [
        f"{match.query} is not listed as a whole: identify the specimen to species; until "
        f"then the strictest listed member (Appendix {appendix}) is assumed",
        *declaration.describe(),
        *advice.officer_checks,
    ]
    return Guidance(
        taxon=match.query,
        status="partial",
        matched_name=match.query,
        matched_rank=None,
        match_kind=match.match_kind,
        match_note=match.note,
        cites=CitesListing(
            appendix,
            "undetermined: depends on the species",
            None,
            None,
            None,
            population_resolved=False,
            population_note="some members are listed, others are not",
            options=options,
        ),
        eu=listings.eu.status_for(
            list(match.lineage),
            export_country=declaration.export_country,
            destination_country=declaration.destination_country,
        ),
        permits=tuple(advice.permits),
        prohibitions=tuple(advice.prohibitions),
        officer_checks=tuple(checks),
        next_steps=(
            "identify the specimen to species (morphology key or DNA) to know whether it is listed",
            FORENSICS,
        ),
        listing_set=info,
        declaration=declaration,
        warnings=tuple(warnings),
    )


def _no_guidance(
    label: str,
    status: str,
    note: str,
    steps: list[str],
    declaration: TradeDeclaration,
    listings: ListingIndex,
) -> Guidance:
    return Guidance(
        taxon=label,
        status=status,
        matched_name=None,
        matched_rank=None,
        match_kind="none",
        match_note=note,
        cites=_empty_cites(note=note),
        eu=None,
        permits=(),
        prohibitions=(),
        officer_checks=tuple(declaration.describe()),
        next_steps=tuple(steps),
        listing_set=_primary_set(listings),
        declaration=declaration,
    )


def _combine(
    basis: str, label: str | None, candidates: list[CandidateGuidance], extra_steps: list[str]
) -> CombinedGuidance:
    best = min(candidates, key=lambda c: c.guidance.strictness)
    default = (
        best.guidance.default if isinstance(best.guidance, CombinedGuidance) else (best.guidance)
    )
    steps = [
        f"the candidates differ; the strictest ({best.label}: "
        f"{_summary(best.guidance)}) applies until the item is identified",
        *extra_steps,
        FORENSICS,
    ]
    return CombinedGuidance(
        basis, label, best.label, default, tuple(candidates), tuple(dict.fromkeys(steps))
    )


def _summary(guidance: Guidance | CombinedGuidance) -> str:
    g = guidance.default if isinstance(guidance, CombinedGuidance) else guidance
    if g.prohibitions:
        return f"Appendix {g.cites.appendix}, trade as declared prohibited"
    if g.cites.appendix:
        return f"Appendix {g.cites.appendix}"
    return g.status.replace("_", " ")


def guidance_for_material(
    material_class: str,
    declaration: TradeDeclaration,
    listings: ListingIndex,
    materials: MaterialTable | None = None,
) -> Guidance | CombinedGuidance:
    """Guidance for a material class through the materials table, strictest first."""
    table = materials or load_materials()
    sources = table.sources(material_class)
    if sources is None:
        return _no_guidance(
            material_class,
            "no_guidance",
            f"material class {material_class} is not in the materials table",
            ["examine the item and identify its material; " + FORENSICS],
            declaration,
            listings,
        )
    if not sources:
        note = table.notes.get(material_class) or "non-wildlife lookalike"
        return _no_guidance(
            material_class,
            "not_wildlife",
            note,
            [
                "no CITES document is required if the item is indeed not of animal or plant "
                "origin; if in doubt test it (hot needle, UV, density) or send it to a laboratory"
            ],
            declaration,
            listings,
        )
    candidates = [
        CandidateGuidance(
            s.taxon,
            None,
            guidance_for_taxon(s.taxon, declaration, listings),
            s.part,
            s.how_to_tell_apart,
        )
        for s in sources
    ]
    candidates.sort(key=lambda c: c.guidance.strictness)
    return _combine(
        "material",
        material_class,
        candidates,
        [
            f"{material_class} may come from {len(candidates)} taxa; the how_to_tell_apart notes "
            "say what separates them"
        ],
    )


def guidance_for_label(
    label: str,
    declaration: TradeDeclaration,
    listings: ListingIndex,
    materials: MaterialTable | None = None,
) -> Guidance | CombinedGuidance:
    """Guidance for a label: a material class goes through the materials table."""
    if is_material_label(label):
        return guidance_for_material(label, declaration, listings, materials)
    return guidance_for_taxon(label, declaration, listings)


def guidance_for_identification(
    identification: Identification,
    declaration: TradeDeclaration,
    listings: ListingIndex,
    materials: MaterialTable | None = None,
) -> Guidance | CombinedGuidance:
    """Guidance for the answer of ``idtool identify``.

    ``identified``: guidance for the label. ``uncertain``: guidance for each candidate,
    combined with the strictest as the default. ``not_in_reference`` (or an error): no
    guidance applies to the item as identified, with what to do instead.
    """
    decision = identification.decision
    if decision == Decision.IDENTIFIED and identification.label:
        return guidance_for_label(identification.label, declaration, listings, materials)
    if decision == Decision.UNCERTAIN and identification.candidates:
        candidates = [
            CandidateGuidance(
                c.label, c.score, guidance_for_label(c.label, declaration, listings, materials)
            )
            for c in identification.candidates
        ]
        return _combine(
            "uncertain",
            None,
            candidates,
            [
                "identification is uncertain between "
                + ", ".join(f"{c.label} ({c.score:.2f})" for c in identification.candidates)
            ],
        )
    reason = (
        f"identification failed ({identification.error.code})"
        if identification.error
        else "the item does not match anything in the reference set"
    )
    return _no_guidance(
        identification.image,
        "no_guidance",
        f"{reason}: no CITES guidance applies to the item as identified",
        [
            "examine the item by hand (identification manuals, a specialist) and run guidance "
            "for the taxon once known; if it may be wildlife, treat it as possibly listed",
            FORENSICS,
        ],
        declaration,
        listings,
    )
