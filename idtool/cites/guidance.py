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

from dataclasses import replace

from idtool.cites.annotations import (
    PopulationChoice,
    PopulationOption,
    choose_population,
    clean_annotation,
    strictest,
)
from idtool.cites.guidance_model import (
    DISCLAIMER,
    STRICTNESS,
    CandidateGuidance,
    CitesListing,
    CombinedGuidance,
    Guidance,
    TradeDeclaration,
)
from idtool.cites.listing_index import ListingEntry, ListingIndex, ListingMatch, stale_warning
from idtool.cites.materials import MaterialTable, load_materials
from idtool.cites.names import names_for
from idtool.cites.permits import FORENSICS, REFER, advise
from idtool.cites.range_check import check_range
from idtool.cites.store import ListingSetInfo
from idtool.types import Decision, Identification, is_material_label

__all__ = [
    "DISCLAIMER",
    "CandidateGuidance",
    "CitesListing",
    "CombinedGuidance",
    "Guidance",
    "TradeDeclaration",
    "guidance_for_identification",
    "guidance_for_label",
    "guidance_for_material",
    "guidance_for_taxon",
]


NOT_FOUND_BUNDLED = (
    "only the shipped listings are loaded (the CITES Appendices as of the 2017 Species+ index, "
    "reptiles as of 2023, and idtool's amendments); import a newer Species+ export with "
    "'idtool cites import FILE' to look up taxa listed since"
)


NEXT_STEP_NOT_COVERED = "{reason}: no CITES document is needed for this population"


def _primary_set(listings: ListingIndex) -> ListingSetInfo | None:
    return listings.sets[-1] if listings.sets else None


def _annotation(entry: ListingEntry) -> str | None:
    """The full annotation where the export has one (quotas, conditions), else the short."""
    return clean_annotation(entry.full_annotation or entry.annotation) or None


def _cites_for(entry: ListingEntry, choice: PopulationChoice, match: ListingMatch) -> CitesListing:
    listed_under = entry.listed_under
    if match.inherited and listed_under == entry.full_name and entry.rank != "species":
        listed_under = f"{entry.full_name} spp."
    return CitesListing(
        appendix=choice.appendix,
        population=choice.population,
        annotation=_annotation(entry),
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
    """Guidance for a name people use: scientific (any rank), synonym or common name.

    Args:
        name: ``"Loxodonta africana"``, ``"Scleractinia"``, ``"perroquet gris"``,
            ``"Cheetah"``; a misspelling is read as the one clearly closest name
            (``match_kind == "fuzzy"``) or gives ``status == "not_found"`` with ranked
            suggestions, never an error.
        declaration: the declared trade (validated).
        listings: the loaded listing index.

    Returns:
        The guidance answer; ``match_kind`` says how the name was read.
    """
    names = names_for(listings)
    name_match = names.resolve(name)
    suggestions = tuple(dict.fromkeys(c.name for c in name_match.candidates))
    if name_match.match_kind not in ("none", "fuzzy"):
        suggestions = ()
    guidance = _guidance_for_scientific(
        name_match.name or name_match.query, declaration, listings, suggestions
    )
    checks = guidance.officer_checks
    if name_match.match_kind == "fuzzy" or (
        name_match.match_kind == "common_name" and len(name_match.candidates) > 1
    ):
        checks = (name_match.note, *checks)
    return replace(
        guidance,
        taxon=name_match.query,
        match_kind=name_match.match_kind,
        name_match=name_match,
        common_names=names.common_names(name_match.name or guidance.matched_name or ""),
        officer_checks=checks,
        suggestions=suggestions or guidance.suggestions,
    )


def _guidance_for_scientific(
    name: str,
    declaration: TradeDeclaration,
    listings: ListingIndex,
    suggestions: tuple[str, ...] = (),
) -> Guidance:
    match = replace(listings.lookup(name, suggest=False), suggestions=suggestions)
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
            warnings.append(NOT_FOUND_BUNDLED)
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
            match_kind="scientific",
            listing_match=match.match_kind,
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
    if entry.provenance:  # a row of the amendments file: say where it comes from
        warnings.append(entry.provenance)
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
            match_kind="scientific",
            listing_match=match.match_kind,
            match_note=match.note,
            cites=CitesListing(
                None,
                "not covered",
                _annotation(entry),
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
    range_taxon = entry.full_name if match.match_kind in ("exact", "synonym") else match.query
    in_range = check_range(listings, range_taxon, declaration.origin_country, declaration.source)
    if in_range and in_range.check:
        checks.insert(0, in_range.check)
    if choice.appendix is None:
        next_steps.append(NEXT_STEP_NOT_COVERED.format(reason=choice.reason))
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
        match_kind="scientific",
        listing_match=match.match_kind,
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
        range_check=in_range,
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
        for a, names in sorted(by_appendix.items(), key=lambda kv: STRICTNESS[kv[0]])
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
        match_kind="scientific",
        listing_match=match.match_kind,
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
