"""The listings report names taxa as the phone does, in the report's language."""

from __future__ import annotations

from idtool.i18n import use_language
from idtool.listings.report_html import _taxon_html


def test_taxa_and_materials_are_named_in_the_reports_language() -> None:
    assert _taxon_html("Loxodonta africana") == "<i>Loxodonta africana</i> (African elephant)"
    assert _taxon_html("material_ivory") == "elephant ivory"
    with use_language("fr"):
        assert _taxon_html("Loxodonta africana") == (
            "<i>Loxodonta africana</i> (éléphant d&#x27;Afrique)"
        )
        assert _taxon_html("material_walrus_ivory") == "ivoire de morse"
    with use_language("es"):
        assert _taxon_html("Genus unknownii") == "<i>Genus unknownii</i>"  # no name: none made up
