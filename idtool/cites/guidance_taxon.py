"""CITES guidance for one taxon: from a name people use and a declared trade to what the
law requires (permits, prohibitions, checks, next steps).

:func:`guidance_for_taxon` is re-exported by :mod:`idtool.cites.guidance`, which adds
materials, uncertain identifications and the strictest-candidate rule; import it from there.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from idtool.cites.annotations import (
    PopulationChoice,
    PopulationOption,
    choose_population,
    clean_annotation,
    strictest,
)
from idtool.cites.eu import EuStatus
from idtool.cites.guidance_model import (
    STRICTNESS,
    CitesListing,
    Guidance,
    TradeDeclaration,
)
from idtool.cites.listing_index import ListingEntry, ListingIndex, ListingMatch, stale_warning
from idtool.cites.listing_text import amendment_note, listing_source, translate_annotation
from idtool.cites.names import names_for
from idtool.cites.permits import FORENSICS, REFER, advise
from idtool.cites.range_check import RangeCheck, check_range
from idtool.cites.store import ListingSetInfo
from idtool.i18n import N_
from idtool.i18n import gettext as _

# English, marked for translation; translated where used.
NOT_FOUND_BUNDLED = N_(
    "only the shipped listings are loaded (the CITES Appendices as of the 2017 Species+ index, "
    "reptiles as of 2023, and idtool's amendments, current to {date} for the groups they "
    "cover); import a newer Species+ export with 'idtool cites import FILE' to look up taxa "
    "listed since"
)


NEXT_STEP_NOT_COVERED = N_("{reason}: no CITES document is needed for this population")


def primary_set(listings: ListingIndex) -> ListingSetInfo | None:
    return listings.sets[-1] if listings.sets else None


def _annotation(entry: ListingEntry) -> str | None:
    """The full annotation where the export has one (quotas, conditions), else the short."""
    return clean_annotation(entry.full_annotation or entry.annotation) or None


def _cites_for(entry: ListingEntry, choice: PopulationChoice, match: ListingMatch) -> CitesListing:
    listed_under = entry.listed_under
    if match.inherited and listed_under == entry.full_name and entry.rank != "species":
        listed_under = f"{entry.full_name} spp."  # a scientific name: not translated
    annotation = _annotation(entry)
    return CitesListing(
        appendix=choice.appendix,
        population=choice.population,
        annotation=translate_annotation(annotation),
        annotation_en=annotation,
        listing_id=entry.taxon_id or f"{entry.listing_set.name}:{entry.full_name}",
        listed_under=listed_under,
        listing=entry.listing,
        party=entry.party or None,
        population_resolved=choice.resolved,
        population_note=choice.reason,
        options=choice.options,
    )


def empty_cites(population: str = "", note: str = "") -> CitesListing:
    return CitesListing(None, population, None, None, None, population_note=note)


def _quota_and_reservation_notes(
    listings: ListingIndex, entry: ListingEntry, match: ListingMatch, decl: TradeDeclaration
) -> tuple[list[str], list[str], list[str]]:
    names = list(dict.fromkeys([entry.full_name, match.query, *match.lineage[:2]]))
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
    """Guidance for a scientific name: one builder per outcome of the listing lookup."""
    match = replace(listings.lookup(name, suggest=False), suggestions=suggestions)
    if match.status == "partial":
        return _partial_guidance(match, declaration, listings)
    if match.entry is None:
        return _not_found_guidance(match, declaration, listings)
    if match.status == "not_listed":
        return _not_listed_guidance(match, match.entry, declaration, listings)
    return _listed_guidance(match, match.entry, declaration, listings)


def _eu_for(match: ListingMatch, declaration: TradeDeclaration, listings: ListingIndex) -> EuStatus:
    return listings.eu.status_for(
        list(match.lineage),
        export_country=declaration.export_country,
        destination_country=declaration.destination_country,
    )


def _build(
    match: ListingMatch,
    declaration: TradeDeclaration,
    *,
    status: str,
    cites: CitesListing,
    eu: EuStatus | None,
    listing_set: ListingSetInfo | None,
    entry: ListingEntry | None = None,
    checks: list[str] | None = None,
    next_steps: list[str] | None = None,
    warnings: list[str] | None = None,
    **extra: Any,
) -> Guidance:
    """The one place a :class:`Guidance` for a scientific name is assembled."""
    return Guidance(
        taxon=match.query,
        status=status,
        matched_name=entry.full_name if entry else None,
        matched_rank=entry.rank if entry else None,
        match_kind="scientific",
        listing_match=match.match_kind,
        match_note=match.note,
        cites=cites,
        eu=eu,
        officer_checks=tuple(dict.fromkeys(checks or declaration.describe())),
        next_steps=tuple(next_steps or ()),
        listing_set=listing_set,
        declaration=declaration,
        warnings=tuple(warnings or ()),
        listing_source=listing_source(entry) if entry else None,
        **extra,
    )


def _not_found_guidance(
    match: ListingMatch, declaration: TradeDeclaration, listings: ListingIndex
) -> Guidance:
    info = primary_set(listings)
    warnings = [w for w in [stale_warning(info)] if w] if info else []
    if listings.bundled:
        warnings.append(_(NOT_FOUND_BUNDLED).format(date=listings.current_to))
    step = _(
        "check the spelling and the name against the CITES Checklist; until the taxon is "
        "confirmed, treat the item as possibly listed."
    )
    if match.suggestions:
        step += " " + _("Did you mean: {names}?").format(names=", ".join(match.suggestions))
    return _build(
        match,
        declaration,
        status="not_found",
        cites=empty_cites(),
        eu=_eu_for(match, declaration, listings),
        listing_set=info,
        next_steps=[step, _(FORENSICS)],
        warnings=warnings,
        permits=(),
        prohibitions=(),
        suggestions=match.suggestions,
    )


def _entry_warnings(entry: ListingEntry) -> list[str]:
    warnings = []
    if warning := stale_warning(entry.listing_set):
        warnings.append(warning)
    if entry.amendment is not None:  # a row of the amendments file: say where it comes from
        warnings.append(amendment_note(entry.amendment))
    return warnings


def _not_listed_guidance(
    match: ListingMatch, entry: ListingEntry, declaration: TradeDeclaration, listings: ListingIndex
) -> Guidance:
    annotation = _annotation(entry)
    return _build(
        match,
        declaration,
        status="not_listed",
        entry=entry,
        cites=CitesListing(
            None,
            _("not covered"),
            translate_annotation(annotation),
            entry.taxon_id or None,
            entry.listed_under,
            entry.listing,
            annotation_en=annotation,
        ),
        eu=_eu_for(match, declaration, listings),
        listing_set=entry.listing_set,
        next_steps=[
            _("no CITES document is required for this taxon; national law may still apply"),
            _(FORENSICS),
        ],
        warnings=_entry_warnings(entry),
        permits=(),
        prohibitions=(),
    )


def _listed_checks(
    match: ListingMatch,
    entry: ListingEntry,
    choice: PopulationChoice,
    declaration: TradeDeclaration,
    listings: ListingIndex,
) -> tuple[list[str], RangeCheck | None]:
    checks = list(declaration.describe())
    if not choice.resolved:
        checks.insert(0, choice.reason)
    range_taxon = entry.full_name if match.match_kind in ("exact", "synonym") else match.query
    in_range = check_range(listings, range_taxon, declaration.origin_country, declaration.source)
    if in_range and in_range.check:
        checks.insert(0, in_range.check)
    return checks, in_range


def _first_step(choice: PopulationChoice, prohibitions: list[str]) -> str:
    if choice.appendix is None:
        return _(NEXT_STEP_NOT_COVERED).format(reason=choice.reason)
    if prohibitions:
        return prohibitions[0]
    return _(
        "Appendix {appendix}: ask for the original documents listed under permits and "
        "check species, quantity, source and purpose codes against the shipment; if "
        "they are missing or do not match, {refer}"
    ).format(appendix=choice.appendix, refer=_(REFER))


def _listed_guidance(
    match: ListingMatch, entry: ListingEntry, declaration: TradeDeclaration, listings: ListingIndex
) -> Guidance:
    choice = choose_population(
        listings.split_for(entry), declaration.origin_country, inherited=match.inherited
    )
    advice = advise(
        choice.appendix, declaration.facts(), kingdom=entry.kingdom, party=entry.party or None
    )
    quotas, reservations, quota_prohibitions = _quota_and_reservation_notes(
        listings, entry, match, declaration
    )
    prohibitions = advice.prohibitions + quota_prohibitions
    checks, in_range = _listed_checks(match, entry, choice, declaration, listings)
    checks += advice.officer_checks
    if entry.hash_symbol:
        checks.append(
            _(
                "annotation {symbol} limits which parts and derivatives are covered: check "
                "whether this product is one of them"
            ).format(symbol=entry.hash_symbol)
        )
    if quotas:
        checks.append(_("quotas apply to this taxon: see quotas; check the permit is within them"))
    eu = _eu_for(match, declaration, listings)
    if eu.status == "unknown":
        checks.append(eu.note)
    return _build(
        match,
        declaration,
        status="listed",
        entry=entry,
        cites=_cites_for(entry, choice, match),
        eu=eu,
        listing_set=entry.listing_set,
        checks=checks,
        next_steps=[_first_step(choice, prohibitions), _(FORENSICS)],
        warnings=_entry_warnings(entry),
        permits=tuple(advice.permits),
        prohibitions=tuple(prohibitions),
        quotas=tuple(quotas),
        reservations=tuple(reservations),
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
        PopulationOption(
            a, _("listed members: {names}").format(names=", ".join(sorted(names)[:12]))
        )
        for a, names in sorted(by_appendix.items(), key=lambda kv: STRICTNESS[kv[0]])
    )
    kingdom = members[0].kingdom if members else ""
    advice = advise(appendix, declaration.facts(), kingdom=kingdom)
    info = members[0].listing_set if members else primary_set(listings)
    warnings = [w for w in [stale_warning(info)] if w] if info else []
    checks = [
        _(
            "{taxon} is not listed as a whole: identify the specimen to species; until then "
            "the strictest listed member (Appendix {appendix}) is assumed"
        ).format(taxon=match.query, appendix=appendix),
        *declaration.describe(),
        *advice.officer_checks,
    ]
    guidance = _build(
        match,
        declaration,
        status="partial",
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
        eu=_eu_for(match, declaration, listings),
        listing_set=info,
        checks=checks,
        next_steps=[
            _(
                "identify the specimen to species (morphology key or DNA) to know whether it "
                "is listed"
            ),
            _(FORENSICS),
        ],
        warnings=warnings,
        permits=tuple(advice.permits),
        prohibitions=tuple(advice.prohibitions),
    )
    return replace(guidance, matched_name=match.query)
