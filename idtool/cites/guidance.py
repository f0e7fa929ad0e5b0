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
from idtool.cites.permits import FORENSICS, REFER, advise
from idtool.cites.store import ListingSetInfo
from idtool.i18n import N_
from idtool.i18n import gettext as _
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


def _primary_set(listings: ListingIndex) -> ListingSetInfo | None:
    return listings.sets[-1] if listings.sets else None


def _cites_for(entry: ListingEntry, choice: PopulationChoice, match: ListingMatch) -> CitesListing:
    listed_under = entry.listed_under
    if match.inherited and listed_under == entry.full_name and entry.rank != "species":
        listed_under = f"{entry.full_name} spp."  # a scientific name: not translated
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
                _("zero export quota applies to this trade ({quota}) — {refer}").format(
                    quota=quota.describe(), refer=_(REFER)
                )
            )
    reservation_lines = []
    involved = {decl.export_country, decl.destination_country} - {None}
    for res in listings.reservations_for(names):
        line = _(
            "{country} has a reservation on {taxon} (since {date}): it is treated as a "
            "non-Party for this taxon"
        ).format(country=res.country, taxon=res.taxon_name, date=res.start_date)
        if res.country in involved:
            line = _("{reservation}; trade with it needs comparable documentation (Art. X)").format(
                reservation=line
            )
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
                _(
                    "only the bundled table of reference taxa is loaded; import a Species+ "
                    "export ('idtool cites import FILE') to look up other taxa"
                )
            )
        step = _(
            "check the spelling and the name against the CITES Checklist; until the taxon is "
            "confirmed, treat the item as possibly listed."
        )
        if match.suggestions:
            step += " " + _("Did you mean: {names}?").format(names=", ".join(match.suggestions))
        next_steps.append(step)
        next_steps.append(_(FORENSICS))
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
            _("no CITES document is required for this taxon; national law may still apply")
        )
        next_steps.append(_(FORENSICS))
        return Guidance(
            taxon=match.query,
            status="not_listed",
            matched_name=entry.full_name,
            matched_rank=entry.rank,
            match_kind=match.match_kind,
            match_note=match.note,
            cites=CitesListing(
                None,
                _("not covered"),
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
        next_steps.append(
            _("{population}: {reason}; no CITES document is needed").format(
                population=choice.population, reason=choice.reason
            )
        )
    elif prohibitions:
        next_steps.append(prohibitions[0])
    else:
        next_steps.append(
            _(
                "Appendix {appendix}: ask for the original documents listed under permits and "
                "check species, quantity, source and purpose codes against the shipment; if "
                "they are missing or do not match, {refer}"
            ).format(appendix=choice.appendix, refer=_(REFER))
        )
    if entry.hash_symbol:
        checks.append(
            _(
                "annotation {symbol} limits which parts and derivatives are covered: check "
                "whether this product is one of them"
            ).format(symbol=entry.hash_symbol)
        )
    if quotas:
        checks.append(_("quotas apply to this taxon: see quotas; check the permit is within them"))
    if eu.status == "unknown":
        checks.append(eu.note)
    next_steps.append(_(FORENSICS))
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
        PopulationOption(
            a, _("listed members: {names}").format(names=", ".join(sorted(names)[:12]))
        )
        for a, names in sorted(by_appendix.items(), key=lambda kv: STRICTNESS[kv[0]])
    )
    kingdom = members[0].kingdom if members else ""
    advice = advise(appendix, declaration.facts(), kingdom=kingdom)
    info = members[0].listing_set if members else _primary_set(listings)
    warnings = [w for w in [stale_warning(info)] if w] if info else []
    checks = [
        _(
            "{taxon} is not listed as a whole: identify the specimen to species; until then "
            "the strictest listed member (Appendix {appendix}) is assumed"
        ).format(taxon=match.query, appendix=appendix),
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
            _("undetermined: depends on the species"),
            None,
            None,
            None,
            population_resolved=False,
            population_note=_("some members are listed, others are not"),
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
            _(
                "identify the specimen to species (morphology key or DNA) to know whether it "
                "is listed"
            ),
            _(FORENSICS),
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
        _(
            "the candidates differ; the strictest ({label}: {summary}) applies until the item "
            "is identified"
        ).format(label=best.label, summary=_summary(best.guidance)),
        *extra_steps,
        _(FORENSICS),
    ]
    return CombinedGuidance(
        basis, label, best.label, default, tuple(candidates), tuple(dict.fromkeys(steps))
    )


def _summary(guidance: Guidance | CombinedGuidance) -> str:
    g = guidance.default if isinstance(guidance, CombinedGuidance) else guidance
    if g.prohibitions:
        return _("Appendix {appendix}, trade as declared prohibited").format(
            appendix=g.cites.appendix
        )
    if g.cites.appendix:
        return _("Appendix {appendix}").format(appendix=g.cites.appendix)
    return status_text(g.status)


def status_text(status: str) -> str:
    """A guidance ``status`` (``not_listed``...) as words in the active language."""
    words = {
        "listed": _("listed"),
        "partial": _("partly listed"),
        "not_listed": _("not listed"),
        "not_found": _("not found"),
        "not_wildlife": _("not wildlife"),
        "no_guidance": _("no guidance"),
    }
    return words.get(status, status.replace("_", " "))


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
            _("material class {label} is not in the materials table").format(label=material_class),
            [
                _("examine the item and identify its material; {forensics}").format(
                    forensics=_(FORENSICS)
                )
            ],
            declaration,
            listings,
        )
    if not sources:
        note = table.notes.get(material_class) or N_("non-wildlife lookalike")
        return _no_guidance(
            material_class,
            "not_wildlife",
            _(note),  # the materials table's texts are in the catalogs (babel.cfg)
            [
                _(
                    "no CITES document is required if the item is indeed not of animal or "
                    "plant origin; if in doubt test it (hot needle, UV, density) or send it to "
                    "a laboratory"
                )
            ],
            declaration,
            listings,
        )
    candidates = [
        CandidateGuidance(
            s.taxon,
            None,
            guidance_for_taxon(s.taxon, declaration, listings),
            _(s.part) if s.part else "",
            _(s.how_to_tell_apart) if s.how_to_tell_apart else "",
        )
        for s in sources
    ]
    candidates.sort(key=lambda c: c.guidance.strictness)
    return _combine(
        "material",
        material_class,
        candidates,
        [
            _(
                "{label} may come from {count} taxa; the how_to_tell_apart notes say what "
                "separates them"
            ).format(label=material_class, count=len(candidates))
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
                _("identification is uncertain between {candidates}").format(
                    candidates=", ".join(
                        f"{c.label} ({c.score:.2f})" for c in identification.candidates
                    )
                )
            ],
        )
    reason = (
        _("identification failed ({code})").format(code=identification.error.code)
        if identification.error
        else _("the item does not match anything in the reference set")
    )
    return _no_guidance(
        identification.image,
        "no_guidance",
        _("{reason}: no CITES guidance applies to the item as identified").format(reason=reason),
        [
            _(
                "examine the item by hand (identification manuals, a specialist) and run "
                "guidance for the taxon once known; if it may be wildlife, treat it as possibly "
                "listed"
            ),
            _(FORENSICS),
        ],
        declaration,
        listings,
    )
