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

from idtool.cites.guidance_model import (
    DISCLAIMER,
    CandidateGuidance,
    CitesListing,
    CombinedGuidance,
    Guidance,
    TradeDeclaration,
)
from idtool.cites.guidance_taxon import empty_cites, guidance_for_taxon, primary_set
from idtool.cites.label_names import label_name, label_with_name
from idtool.cites.listing_index import ListingIndex
from idtool.cites.material_wording import material_source_steps
from idtool.cites.materials import MaterialTable, load_materials
from idtool.cites.permits import FORENSICS
from idtool.i18n import N_
from idtool.i18n import gettext as _
from idtool.i18n.vocabulary import status_text
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
        cites=empty_cites(note=note),
        eu=None,
        permits=(),
        prohibitions=(),
        officer_checks=tuple(declaration.describe()),
        next_steps=tuple(steps),
        listing_set=primary_set(listings),
        declaration=declaration,
    )


def _combine(
    basis: str,
    label: str | None,
    candidates: list[CandidateGuidance],
    extra_steps: list[str],
    listings: ListingIndex,
    lead_steps: list[str] | None = None,
) -> CombinedGuidance:
    """Combine candidates, strictest as the default; ``lead_steps`` replace the
    uncertain-case opening (a material's own wording)."""
    best = min(candidates, key=lambda c: c.guidance.strictness)
    default = (
        best.guidance.default if isinstance(best.guidance, CombinedGuidance) else (best.guidance)
    )
    lead = lead_steps or [
        _(
            "the candidates differ; the strictest ({label}: {summary}) applies until the item "
            "is identified"
        ).format(label=label_name(best.label, listings), summary=_summary(best.guidance))
    ]
    steps = [*lead, *extra_steps, _(FORENSICS)]
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
    if not table.listed_as_material(material_class):
        # e.g. bone: not listed as a material; the listed taxa are checks, not the default
        note = _(table.notes[material_class]) if table.notes.get(material_class) else ""
        note = note or _("{material} is not CITES-listed as such").format(
            material=label_name(material_class, listings)
        )
        steps = [
            _("check whether the item is of {taxon} ({part}): {how}").format(
                taxon=label_with_name(c.label, listings), part=c.part, how=c.how_to_tell_apart
            )
            for c in candidates
        ]
        default = _no_guidance(
            material_class, "not_listed_as_material", note, steps, declaration, listings
        )
        return CombinedGuidance(
            "material",
            material_class,
            material_class,
            default,
            tuple(candidates),
            (*steps, _(FORENSICS)),
        )
    return _combine(
        "material",
        material_class,
        candidates,
        [],
        listings,
        lead_steps=material_source_steps(material_class, candidates, sources, _summary, listings),
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
                        f"{label_name(c.label, listings, c.common_name)} ({c.score:.0%})"
                        for c in identification.candidates
                    )
                )
            ],
            listings,
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
