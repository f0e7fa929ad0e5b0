"""Choosing the language: per context, process default, the locale and the settings."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from idtool.config import load_settings
from idtool.errors import BadField
from idtool.i18n import (
    get_language,
    gettext,
    language_from_env,
    lazy_gettext,
    normalise_language,
    set_default_language,
    use_language,
)


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
