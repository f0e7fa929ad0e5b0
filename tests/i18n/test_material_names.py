"""One translated source for the names an officer reads (materials and taxa)."""

from __future__ import annotations

import csv

import pytest

from idtool.cites.label_names import common_name, label_name, label_with_name
from idtool.config import SHIPPED_REFERENCE_DIR
from idtool.i18n import use_language
from idtool.i18n.names import MATERIAL_NAMES, known_name, name_for_label


def _shipped_materials() -> set[str]:
    with (SHIPPED_REFERENCE_DIR / "MATERIALS.csv").open(encoding="utf-8") as handle:
        table = {row["material_class"] for row in csv.DictReader(handle)}
    folders = {p.name for p in SHIPPED_REFERENCE_DIR.iterdir() if p.name.startswith("material_")}
    return table | folders


def test_every_shipped_material_has_a_name_in_every_language() -> None:
    assert _shipped_materials() <= set(MATERIAL_NAMES)
    for label, english in MATERIAL_NAMES.items():
        assert label_name(label) == english
        for lang in ("fr", "es"):
            with use_language(lang):
                assert label_name(label) != english, (lang, label)


@pytest.mark.parametrize(
    ("lang", "ivory", "walrus", "bone"),
    [
        ("en", "elephant ivory", "walrus ivory", "bone (carved)"),
        ("fr", "ivoire d'éléphant", "ivoire de morse", "os (sculpté)"),
        ("es", "marfil de elefante", "marfil de morsa", "hueso (tallado)"),
    ],
)
def test_material_names(lang: str, ivory: str, walrus: str, bone: str) -> None:
    with use_language(lang):
        assert label_name("material_ivory") == ivory
        assert label_name("material_walrus_ivory") == walrus
        assert label_name("material_bone") == bone


def test_taxa_by_common_name_never_english_under_french_or_spanish() -> None:
    assert label_name("Scleractinia") == "stony corals"
    assert label_with_name("Loxodonta africana") == "African elephant (Loxodonta africana)"
    with use_language("fr"):
        assert label_name("Scleractinia") == "coraux durs"
        assert label_with_name("Loxodonta africana") == "éléphant d'Afrique (Loxodonta africana)"
        # a taxon the name table does not know: its scientific name, not the catalog's English
        assert label_name("Genus unknownii", catalog_name="mystery beast") == "Genus unknownii"
        assert common_name("Genus unknownii", catalog_name="mystery beast") is None
    with use_language("es"):
        assert label_name("Scleractinia") == "corales duros"
    assert label_name("Genus unknownii", catalog_name="mystery beast") == "mystery beast"


def test_a_reference_sets_own_material_falls_back_to_its_catalog_name() -> None:
    assert name_for_label("material_amber", {}, "amber") == "amber"
    assert name_for_label("material_amber") == "amber"  # the label as words
    with use_language("fr"):
        assert known_name("material_amber", {}, "amber") is None  # no English under fr
        assert name_for_label("material_amber", {}, "ceramic") == "céramique"  # translated
