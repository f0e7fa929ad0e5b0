"""What CITES requires for one appendix and one declared trade (Articles III-VII).

Pure rules: no I/O. :func:`advise` returns the permits, prohibitions, checks for the
officer and next steps; guidance (:mod:`idtool.cites.guidance`) wraps them with the listing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from idtool.cites.codes import PLANT_ONLY_SOURCES, describe_source
from idtool.cites.countries import country_name
from idtool.i18n import N_
from idtool.i18n import gettext as _

# English constants, marked for translation: use them as _(REFER), _(FORENSICS).
REFER = N_("detain and refer to the CITES Management Authority")
FORENSICS = N_(
    "visual identification is probable cause only; send a sample to a forensic laboratory "
    "for confirmation"
)


@dataclass(frozen=True)
class TradeFacts:
    """The declared trade, already validated (ISO codes, purpose and source codes)."""

    origin_country: str | None = None
    export_country: str | None = None
    destination_country: str | None = None
    purpose: str | None = None
    source: str | None = None


@dataclass
class PermitAdvice:
    """Lists of plain sentences, in the order an officer needs them."""

    permits: list[str] = field(default_factory=list)
    prohibitions: list[str] = field(default_factory=list)
    officer_checks: list[str] = field(default_factory=list)
    next_steps: list[str] = field(default_factory=list)


def _country(code: str) -> str:
    return _("{country} ({code})").format(country=country_name(code), code=code)


def _is_reexport(facts: TradeFacts) -> bool:
    return bool(
        facts.origin_country
        and facts.export_country
        and facts.origin_country != facts.export_country
    )


def _articles(facts: TradeFacts, export: str, reexport: str) -> str:
    """The article for the document of the exporting country: export or re-export."""
    return reexport if _is_reexport(facts) else export


def _export_document(facts: TradeFacts, articles: str) -> str:
    # Whole sentences per case (country known or not), so that translations can agree
    # ("du pays d'exportation", "del país de exportación").
    if facts.origin_country and facts.export_country and _is_reexport(facts):
        return _(
            "CITES re-export certificate from the Management Authority of {exporter} "
            "(specimen originates in {origin}; {articles})"
        ).format(
            exporter=_country(facts.export_country),
            origin=_country(facts.origin_country),
            articles=articles,
        )
    if facts.export_country:
        return _(
            "CITES export permit from the Management Authority of {exporter} ({articles})"
        ).format(exporter=_country(facts.export_country), articles=articles)
    return _(
        "CITES export permit from the Management Authority of the exporting country ({articles})"
    ).format(articles=articles)


def _source_checks(advice: PermitAdvice, facts: TradeFacts, kingdom: str) -> None:
    source = facts.source
    if source is None:
        advice.officer_checks.append(
            _(
                "source not declared: read the source code on the CITES document (W wild, "
                "C captive-bred, D registered operation, A artificially propagated, O "
                "pre-Convention...) and check it matches the specimen"
            )
        )
        return
    is_plant = kingdom.lower() == "plantae"
    if source in PLANT_ONLY_SOURCES and kingdom and not is_plant:
        advice.officer_checks.append(
            _(
                "{source} applies to plants only; for animals the document "
                "should say C, D or F: the declaration is inconsistent"
            ).format(source=describe_source(source))
        )
    if source in ("C", "F", "R") and is_plant:
        advice.officer_checks.append(
            _(
                "{source} applies to animals only; plants use A or Y: the "
                "declaration is inconsistent"
            ).format(source=describe_source(source))
        )
    if source == "O":
        advice.officer_checks.append(
            _(
                "pre-Convention exemption (Art. VII(2)): a pre-Convention certificate must show "
                "the specimen was acquired before the Convention applied to it; check its date"
            )
        )
    if source in ("C", "A"):
        advice.officer_checks.append(
            _(
                "captive-bred / artificially propagated exemption (Art. VII(5)): check the "
                "certificate of captive breeding or artificial propagation, or a permit with "
                "source {code}, and that the specimen is consistent with it (marking, age)"
            ).format(code=source)
        )
    if source == "D":
        advice.officer_checks.append(
            _(
                "Art. VII(4): source D needs an operation registered with the CITES Secretariat "
                "(Res. Conf. 12.10); check the registration number on the permit"
            )
        )
    if source in ("U", "I"):
        advice.officer_checks.append(
            _(
                "{source}: the exporting Management Authority must justify it; "
                "such specimens need particular scrutiny (Res. Conf. 12.3, 17.8)"
            ).format(source=describe_source(source))
        )


def _purpose_checks(advice: PermitAdvice, facts: TradeFacts, appendix: str) -> None:
    purpose = facts.purpose
    if purpose is None:
        if appendix == "I":
            advice.officer_checks.append(
                _(
                    "purpose not declared: Appendix-I specimens may not be imported for "
                    "primarily commercial purposes (Art. III(3)(c)); establish the purpose"
                )
            )
        return
    if purpose == "P":
        if appendix == "I":
            advice.officer_checks.append(
                _(
                    "personal and household effects (Art. VII(3)): the exemption does not cover "
                    "Appendix-I specimens bought outside the owner's country of usual residence "
                    "and brought into it; permits are then still required"
                )
            )
        else:
            advice.officer_checks.append(
                _(
                    "personal and household effects (Art. VII(3), Res. Conf. 13.7): may be "
                    "exempt if worn, carried or in personal baggage, legally acquired and not "
                    "for sale; some countries still require export permits (e.g. hunting "
                    "trophies, caviar over the limit)"
                )
            )
    elif purpose == "S":
        advice.officer_checks.append(
            _(
                "scientific exchange (Art. VII(6)): non-commercial loans, donations and "
                "exchanges between registered scientists or institutions need only a CITES "
                "label; check the registration codes of both institutions"
            )
        )
    elif purpose == "Q":
        advice.officer_checks.append(
            _(
                "travelling exhibition (Art. VII(7), Res. Conf. 12.3): check the travelling "
                "exhibition certificate and that the specimen matches its description"
            )
        )
    elif purpose == "H":
        advice.officer_checks.append(
            _(
                "hunting trophy: check the trophy is within the exporting country's quota and "
                "that the permit covers the exact parts (skin, skull, tusks...)"
            )
        )
    elif purpose == "L":
        advice.officer_checks.append(
            _(
                "law enforcement / forensic purpose: check the accompanying request from the "
                "judicial or enforcement authority"
            )
        )


def _import_permit_one(facts: TradeFacts) -> str:
    """The Appendix-I import permit: before the export permit (Art. III(2)(d)); in a
    re-export the re-export certificate needs it only for a live specimen (III(4)(c))."""
    if _is_reexport(facts) and facts.destination_country:
        return _(
            "CITES import permit from the Management Authority of {importer} (Art. III(3)); "
            "for a live specimen the re-export certificate may only be granted once the "
            "import permit has been (Art. III(4)(c))"
        ).format(importer=_country(facts.destination_country))
    if _is_reexport(facts):
        return _(
            "CITES import permit from the Management Authority of the importing country "
            "(Art. III(3)); for a live specimen the re-export certificate may only be granted "
            "once the import permit has been (Art. III(4)(c))"
        )
    if facts.destination_country:
        return _(
            "CITES import permit from the Management Authority of {importer}, issued before "
            "the export permit (Art. III(3))"
        ).format(importer=_country(facts.destination_country))
    return _(
        "CITES import permit from the Management Authority of the importing country, "
        "issued before the export permit (Art. III(3))"
    )


def _from_the_sea(advice: PermitAdvice, facts: TradeFacts, appendix: str) -> None:
    """Source X: a certificate of the State of introduction replaces the permits
    (Art. III(5) for Appendix I, IV(6) for Appendix II; Art. V has no such case)."""
    if appendix == "I":
        advice.permits.append(
            _(
                "certificate of introduction from the sea from the Management Authority of "
                "the State of introduction (Art. III(5)), in lieu of export and import permits"
            )
        )
        if facts.purpose == "T":
            advice.prohibitions.append(
                _(
                    "Appendix I, introduction from the sea for commercial purposes: the "
                    "certificate may not be granted (Art. III(5)(d)) — {refer}"
                ).format(refer=_(REFER))
            )
    elif appendix == "II":
        advice.permits.append(
            _(
                "certificate of introduction from the sea from the Management Authority of "
                "the State of introduction (Art. IV(6)), in lieu of an export permit"
            )
        )
    else:
        advice.officer_checks.append(
            _(
                "Appendix III: Article V provides no certificate for introduction from the sea "
                "(it covers export, import and re-export); check what national law requires"
            )
        )


def _appendix_one(advice: PermitAdvice, facts: TradeFacts, kingdom: str) -> None:
    commercial = facts.purpose == "T"
    source = facts.source
    import_permit = _import_permit_one(facts)
    if source == "D" or (source == "A" and kingdom.lower() == "plantae"):
        advice.permits.append(
            _export_document(facts, _("Art. VII(4): treated as Appendix II, no import permit"))
        )
        return
    if source == "O":
        advice.permits.append(
            _(
                "pre-Convention certificate from the Management Authority of {exporter} "
                "(Art. VII(2)), in lieu of export and import permits"
            ).format(exporter=_country(facts.export_country))
            if facts.export_country
            else _(
                "pre-Convention certificate from the Management Authority of the exporting "
                "country (Art. VII(2)), in lieu of export and import permits"
            )
        )
        return
    if source in ("C", "A") and not commercial:
        advice.permits.append(
            _(
                "certificate of captive breeding or artificial propagation (Art. VII(5)) in "
                "lieu of export and import permits, or export and import permits with source "
                "{code}"
            ).format(code=source)
        )
        return
    advice.permits.append(_export_document(facts, _articles(facts, "Art. III(2)", "Art. III(4)")))
    advice.permits.append(import_permit)
    if commercial and source in ("C", "A"):
        advice.prohibitions.append(
            _(
                "Appendix I, commercial purpose, {source}: commercial trade in captive-bred "
                "Appendix-I animals is only allowed from operations registered with the "
                "Secretariat (source D, Res. Conf. 12.10) — {refer}"
            ).format(source=describe_source(source), refer=_(REFER))
        )
    elif commercial and source is not None:
        label = _("wild source") if source == "W" else describe_source(source)
        advice.prohibitions.append(
            _(
                "Appendix I, commercial purpose, {source}: trade prohibited (Art. III(3)(c)) "
                "— {refer}"
            ).format(source=label, refer=_(REFER))
        )
    elif commercial:
        advice.officer_checks.append(
            _(
                "Appendix I for commercial purposes: only lawful for source D (registered "
                "operation, Art. VII(4)) or O (pre-Convention certificate); with any other "
                "source it is prohibited (Art. III(3)(c)) — establish the source or {refer}"
            ).format(refer=_(REFER))
        )
    if source == "R":
        advice.officer_checks.append(
            _(
                "source R (ranched) applies only to populations transferred to Appendix II "
                "for ranching (Res. Conf. 11.16); with Appendix I it is inconsistent"
            )
        )


def _appendix_three(advice: PermitAdvice, facts: TradeFacts, party: str | None) -> None:
    if _is_reexport(facts):
        advice.permits.append(_export_document(facts, "Art. V(4)"))
        return
    if not party:
        advice.permits.append(
            _(
                "CITES export permit if the specimen originates in the country that listed it "
                "in Appendix III, otherwise a certificate of origin (Art. V(2), V(3))"
            )
        )
        advice.officer_checks.append(
            _(
                "this listing set does not record which Party listed the taxon in Appendix "
                "III; look it up in the CITES Appendices before deciding which document is "
                "needed"
            )
        )
        return
    listing = _country(party)
    if facts.origin_country is None:
        advice.permits.append(
            _(
                "CITES export permit from {party} if the specimen originates there (the "
                "listing Party, Art. V(2)); from anywhere else a certificate of origin "
                "(Art. V(3))"
            ).format(party=listing)
        )
        advice.officer_checks.append(_("declare the country of origin to settle which document"))
    elif facts.origin_country == party:
        advice.permits.append(
            _(
                "CITES export permit from the Management Authority of {party}, the Party that "
                "listed it in Appendix III (Art. V(2))"
            ).format(party=listing)
        )
    else:
        # the origin is declared here, so one of the two countries is known
        exporter = _country(facts.export_country or facts.origin_country)
        advice.permits.append(
            _(
                "certificate of origin from the Management Authority of {exporter} "
                "(Art. V(3)); the listing Party is {party}"
            ).format(exporter=exporter, party=listing)
        )


def advise(
    appendix: str | None,
    facts: TradeFacts,
    *,
    kingdom: str = "",
    party: str | None = None,
) -> PermitAdvice:
    """Permits, prohibitions and checks for one appendix and one declared trade.

    Args:
        appendix: ``"I"``, ``"II"``, ``"III"``, or None when no appendix applies.
        facts: the validated declaration.
        kingdom: ``Animalia`` or ``Plantae`` (for source-code consistency checks).
        party: for Appendix III, the ISO code of the listing Party if known.

    Returns:
        The advice; ``prohibitions`` is non-empty when the trade as declared is not allowed.
    """
    advice = PermitAdvice()
    if appendix is None:
        return advice
    if facts.source == "X":
        _from_the_sea(advice, facts, appendix)
    elif appendix == "I":
        _appendix_one(advice, facts, kingdom)
    elif appendix == "II":
        _appendix_two(advice, facts)
    elif appendix == "III":
        _appendix_three(advice, facts, party)
    _source_checks(advice, facts, kingdom)
    _purpose_checks(advice, facts, appendix)
    return advice


def _appendix_two(advice: PermitAdvice, facts: TradeFacts) -> None:
    if facts.source == "O":
        advice.permits.append(_("pre-Convention certificate (Art. VII(2)) in lieu of permits"))
    elif facts.source in ("C", "A"):
        advice.permits.append(
            _(
                "certificate of captive breeding or artificial propagation (Art. VII(5)), "
                "or an export permit with source {code}"
            ).format(code=facts.source)
        )
    else:
        advice.permits.append(_export_document(facts, _articles(facts, "Art. IV(2)", "Art. IV(5)")))
    advice.permits.append(
        _(
            "no CITES import permit is required for Appendix II; the export permit or "
            "re-export certificate must be presented on import (Art. IV(4)); the importing "
            "country may require more (the EU does, for Annex B)"
        )
    )
    if facts.source in (None, "W") and facts.purpose == "T":
        advice.officer_checks.append(
            _(
                "wild specimens for commercial trade: the export permit must rest on a "
                "non-detriment finding and legal acquisition (Art. IV(2)); check quotas"
            )
        )
