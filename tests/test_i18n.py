"""Translations: catalogs complete for every officer-facing string, and used everywhere.

The catalog test extracts the messages exactly as ``pybabel extract -F babel.cfg`` does and
fails on any message without a French or Spanish translation, on fuzzy entries, and on
translations whose ``{placeholders}`` differ from the English.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
import sqlite_utils
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from idtool.cites import load_listing_index
from idtool.cites.countries import country_name
from idtool.cites.listing_index import ListingIndex
from idtool.config import PROJECT_ROOT, load_settings
from idtool.errors import BadField
from idtool.guidance import (
    CombinedGuidance,
    TradeDeclaration,
    guidance_for_label,
    guidance_for_taxon,
)
from idtool.i18n import (
    get_language,
    gettext,
    language_from_env,
    lazy_gettext,
    normalise_language,
    set_default_language,
    use_language,
)
from idtool.i18n.catalogs import po_path
from idtool.triage import checks_for_material

TRANSLATED = ("fr", "es")
PLACEHOLDER = re.compile(r"\{(\w*)[^}]*\}")


def extracted_messages() -> dict[str, set[str]]:
    """msgid -> the files it comes from, as `pybabel extract -F babel.cfg .` sees them."""
    with (PROJECT_ROOT / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    out: dict[str, set[str]] = {}
    for filename, _lineno, message, _comments, _context in extract_from_dir(
        str(PROJECT_ROOT), method_map, options_map
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            out.setdefault(msgid, set()).add(filename)
    return out


@pytest.fixture(scope="module")
def extracted() -> dict[str, set[str]]:
    return extracted_messages()


@pytest.fixture(scope="module")
def bundled() -> ListingIndex:
    return load_listing_index(sqlite_utils.Database(memory=True))


def test_extraction_sees_every_kind_of_source(extracted: dict[str, set[str]]) -> None:
    files = {f for where in extracted.values() for f in where}
    for expected in (
        "idtool/cites/permits.py",
        "idtool/data/material_checks.json",
        "reference_images/MATERIALS.csv",
        "idtool/cli/cites.py",
    ):
        assert expected in files, f"babel.cfg no longer extracts {expected}"
    assert len(extracted) > 300


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_officer_facing_string_is_translated(
    lang: str, extracted: dict[str, set[str]]
) -> None:
    with po_path(lang).open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    problems = []
    for msgid, files in sorted(extracted.items()):
        message = catalog.get(msgid)
        where = ", ".join(sorted(files))
        if message is None:
            problems.append(f"missing from {lang}.po: {msgid!r} ({where})")
        elif message.fuzzy:
            problems.append(f"fuzzy in {lang}.po: {msgid!r} ({where})")
        elif not (isinstance(message.string, str) and message.string.strip()):
            problems.append(f"untranslated in {lang}.po: {msgid!r} ({where})")
    assert not problems, (
        f"{len(problems)} message(s) need a translation; run the commands in README "
        "'Translations' and fill them in:\n" + "\n".join(problems[:40])
    )


@pytest.mark.parametrize("lang", TRANSLATED)
def test_translations_keep_the_placeholders(lang: str) -> None:
    with po_path(lang).open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    wrong = []
    for message in catalog:
        if not message.id or not isinstance(message.string, str) or not message.string:
            continue
        assert isinstance(message.id, str)
        if sorted(PLACEHOLDER.findall(message.id)) != sorted(PLACEHOLDER.findall(message.string)):
            wrong.append(f"{message.id!r} -> {message.string!r}")
    assert not wrong, "placeholders differ:\n" + "\n".join(wrong)


def test_french_guidance_for_an_appendix_i_taxon(bundled: ListingIndex) -> None:
    declaration = TradeDeclaration.from_values(
        origin_country="KE", export_country="TZ", destination_country="FR", purpose="T", source="W"
    )
    english = guidance_for_taxon("Loxodonta africana", declaration, bundled)
    with use_language("fr"):
        french = guidance_for_taxon("Loxodonta africana", declaration, bundled)
    assert french.cites.appendix == english.cites.appendix == "I"
    assert french.status == english.status == "listed"  # codes stay English
    text = " ".join([*french.permits, *french.prohibitions, *french.officer_checks])
    assert "certificat de réexportation CITES" in text
    assert "Kenya (KE)" in text and "Tanzanie (TZ)" in text
    assert "permis d'importation CITES" in text and "France (FR)" in text
    assert "Annexe I, fins commerciales, source sauvage : commerce interdit" in text
    assert "organe de gestion" in text
    assert french.cites.population == "population d'origine : Kenya (KE)"
    assert french.disclaimer.startswith("Aide à la décision uniquement")
    # every sentence differs from its English version: nothing left untranslated
    for fr_list, en_list in (
        (french.permits, english.permits),
        (french.prohibitions, english.prohibitions),
        (french.officer_checks, english.officer_checks),
        (french.next_steps, english.next_steps),
    ):
        assert len(fr_list) == len(en_list) > 0
        for fr_text, en_text in zip(fr_list, en_list, strict=True):
            assert fr_text != en_text


def test_spanish_guidance_for_an_appendix_ii_taxon(bundled: ListingIndex) -> None:
    declaration = TradeDeclaration.from_values(export_country="CM", purpose="P")
    with use_language("es"):
        spanish = guidance_for_label("Python regius", declaration, bundled)
    english = guidance_for_label("Python regius", declaration, bundled)
    text = " ".join(spanish.to_dict()["permits"] + spanish.to_dict()["officer_checks"])
    assert "permiso de exportación CITES" in text
    assert "Autoridad Administrativa de Camerún (CM)" in text
    assert "Apéndice II" in text
    assert "efectos personales o enseres domésticos" in text
    assert spanish.to_dict().keys() == english.to_dict().keys()
    assert spanish.disclaimer.startswith("Solo es una ayuda a la decisión")
    assert all(s != e for s, e in zip(spanish.next_steps, english.next_steps, strict=True))


def test_material_guidance_and_triage_in_french(bundled: ListingIndex) -> None:
    with use_language("fr"):
        combined = guidance_for_label("material_ivory_or_bone", TradeDeclaration(), bundled)
        card = checks_for_material("material_ivory_or_bone")
    assert card is not None
    assert card.title == "Ivoire ou os"
    assert card.checks[0].name == "Section transversale à la loupe x10"
    assert "défense d'éléphant ou de mammouth" not in card.checks[0].how
    assert card.disclaimer.startswith("Chaque contrôle ci-dessous est indicatif")
    assert card.references[0].startswith("Baker, B. W.")  # bibliography stays as published
    assert isinstance(combined, CombinedGuidance)
    parts = {c.label: c.part for c in combined.candidates}
    assert parts["Loxodonta africana"] == "ivoire de défense"


def test_country_names_follow_the_language() -> None:
    assert country_name("CI") == "Côte d'Ivoire"
    with use_language("fr"):
        assert country_name("CD") == "République démocratique du Congo"
        assert country_name("ZA") == "Afrique du Sud"
    with use_language("es"):
        assert country_name("CM") == "Camerún"
    assert country_name("ZZ") == "ZZ"


def test_language_is_per_context() -> None:
    seen: dict[str, str] = {}

    def worker() -> None:
        seen["thread"] = gettext("permits")

    with use_language("es"):
        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
        assert gettext("permits") == "permisos"
    assert seen["thread"] == "permits"  # a new thread starts from the process default
    set_default_language("fr")
    assert get_language() == "fr" and gettext("permits") == "permis"


def test_lazy_strings_translate_when_used() -> None:
    word = lazy_gettext("warnings")
    assert str(word) == "warnings"
    with use_language("fr"):
        assert f"{word}" == "avertissements"
    with use_language("es"):
        assert word + "!" == "advertencias!"


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, "en"),
        ({"LANG": "fr_FR.UTF-8"}, "fr"),
        ({"LANG": "es_MX.UTF-8"}, "es"),
        ({"LANG": "fr_FR.UTF-8", "LC_ALL": "C"}, "en"),
        ({"LANG": "de_DE.UTF-8"}, "en"),
        ({"LANGUAGE": "de:es", "LANG": "de_DE.UTF-8"}, "es"),
        ({"LC_MESSAGES": "es_ES@euro", "LANG": "fr_FR"}, "es"),
    ],
)
def test_language_from_the_locale(environ: dict[str, str], expected: str) -> None:
    assert language_from_env(environ) == expected


def test_language_setting_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("IDTOOL_LANG")
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "es_ES.UTF-8")
    assert load_settings(home=tmp_path).language == "es"
    (tmp_path / "config.toml").write_text('lang = "fr"\n', encoding="utf-8")
    assert load_settings(home=tmp_path).language == "fr"
    monkeypatch.setenv("IDTOOL_LANG", "en_GB")
    assert load_settings(home=tmp_path).language == "en"
    assert load_settings(home=tmp_path, lang="es").language == "es"
    with pytest.raises(BadField, match="unknown language 'de'"):
        load_settings(home=tmp_path, lang="de")
    assert normalise_language("FR-be") == "fr"
