"""Annotation texts of idtool's amendments file, marked for translation.

Annotations are data; marking their texts here puts them in the translation catalogs, so
that :func:`idtool.cites.listing_text.translate_annotation` gives them in French and
Spanish. ``tests/cites/test_cites_layers.py`` checks that every annotation of
``idtool/data/cites_amendments.csv`` is here.
"""

from __future__ import annotations

from idtool.i18n import N_

ANNOTATION_TEXTS = (
    N_("A zero export quota for wild specimens traded for commercial purposes."),
    N_("Logs, sawn wood, veneer sheets, plywood and transformed wood."),
    N_(
        "The forest elephant is treated by CITES standard nomenclature as part of "
        "Loxodonta africana; none of its range States is among the four Appendix-II "
        "populations (BW, NA, ZA, ZW), so its specimens fall under Appendix I."
    ),
    N_(
        "Not included in the CITES Appendices (extinct). Mammoth ivory is used to launder"
        " elephant ivory, and some countries regulate it."
    ),
    N_("Not included in the CITES Appendices."),
    N_("Not included in the CITES Appendices (domestic cattle)."),
    N_("All populations except those of Eswatini (SZ), Namibia (NA) and South Africa (ZA)."),
    N_(
        "Populations of Eswatini (SZ), Namibia (NA) and South Africa (ZA), for the "
        "exclusive purpose of allowing international trade in live animals to appropriate"
        " and acceptable destinations and hunting trophies; all other specimens are "
        "deemed to be specimens of species included in Appendix I."
    ),
    N_("Logs, sawn wood, veneer sheets and plywood."),
    N_(
        "Populations of Africa only. Pterocarpus erinaceus (no annotation) and P. "
        "tinctorius (#6) have rows of their own. Logs, sawn wood, veneer sheets, plywood "
        "and transformed wood."
    ),
    N_("Populations of Africa only. Logs, sawn wood, veneer sheets, plywood and transformed wood."),
    N_(
        "Populations of the Neotropics only (Central and North America, South America). "
        "Logs, sawn wood, veneer sheets, plywood and transformed wood."
    ),
    N_("Except the species included in Appendix I."),
)
