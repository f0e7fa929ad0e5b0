"""What an officer reads for a material that may come from several taxa.

Elephant ivory identified at 99 % is not an uncertain answer: the material is known, but
it may come from African or Asian elephants (listed differently, the African one with a
split listing) or from mammoth (not listed). The next steps say which taxa, what
separates them and what to do; the strictest taxon stays the default until species and
origin are established.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from idtool.cites.guidance_model import CandidateGuidance, CombinedGuidance, Guidance
from idtool.cites.label_names import label_name, label_with_name
from idtool.cites.listing_index import ListingIndex
from idtool.cites.materials import MaterialSource
from idtool.i18n import gettext as _

Summary = Callable[[Guidance | CombinedGuidance], str]


def material_source_steps(
    material_class: str,
    candidates: Sequence[CandidateGuidance],
    sources: Sequence[MaterialSource],
    summary: Summary,
    listings: ListingIndex,
) -> list[str]:
    """Next steps for a material from ``candidates`` (its source taxa, strictest first).

    Args:
        material_class: the material label (``material_ivory``).
        candidates: guidance for each source taxon, strictest first.
        sources: the materials-table rows of those taxa (for their notes).
        summary: how one taxon's guidance is summed up (``Appendix I``, ``not listed``).
        listings: the listing index whose common names to use.

    Returns:
        Which taxa (with their listing), what separates each, and what to do until the
        species and origin are known. One taxon: what to do for it.
    """
    material = label_name(material_class, listings)
    notes = {s.taxon: _(s.note) for s in sources if s.note}
    best = candidates[0]
    best_name = label_with_name(best.label, listings)
    if len(candidates) == 1:
        return [
            _("{material} comes from {taxon}: {summary}").format(
                material=material, taxon=best_name, summary=summary(best.guidance)
            ),
            *([notes[best.label]] if best.label in notes else []),
        ]
    steps = [
        _("{material} may come from {count} animals, listed differently: {taxa}").format(
            material=material,
            count=len(candidates),
            taxa="; ".join(
                _("{taxon}: {summary}").format(
                    taxon=label_with_name(c.label, listings), summary=summary(c.guidance)
                )
                for c in candidates
            ),
        )
    ]
    for c in candidates:
        if not c.how_to_tell_apart and c.label not in notes:
            continue
        steps.append(
            _("how to recognise {taxon}: {how}").format(
                taxon=label_name(c.label, listings),
                how="; ".join(t for t in (c.how_to_tell_apart, notes.get(c.label)) if t),
            )
        )
    steps.append(
        _(
            "until species and origin are established, treat it as {taxon}, {summary}: ask "
            "for the documents this requires; without them, hold the item and have a "
            "laboratory settle species and origin (DNA, isotope analysis)"
        ).format(taxon=best_name, summary=summary(best.guidance))
    )
    return steps
