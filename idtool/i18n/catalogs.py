"""Load the gettext catalogs: ``idtool/locale/<lang>/LC_MESSAGES/idtool.po``.

The ``.po`` files are the only thing committed; they are compiled in memory (Babel's
``write_mo``) the first time a language is used in a process, so a compiled ``.mo`` can
never be out of date. Fuzzy entries are left out, as ``msgfmt`` would.
"""

from __future__ import annotations

import gettext
import io
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from idtool.errors import IdtoolError

DOMAIN = "idtool"
SOURCE_LANGUAGE = "en"
LANGUAGES = ("en", "fr", "es")
LANGUAGE_NAMES = {"en": "English", "fr": "Français", "es": "Español"}
# Messages whose source is here are sent to the phone page (GET /api/v1/i18n/<lang>).
PAGE_SOURCES = ("server/static/",)


class TranslationCatalogError(IdtoolError):
    """A catalog that should ship with idtool is missing or unreadable."""

    code = "translation_catalog_error"
    http_status = 500


def po_path(lang: str) -> Traversable:
    """Where the ``.po`` file of ``lang`` lives inside the installed package."""
    return resources.files("idtool").joinpath(f"locale/{lang}/LC_MESSAGES/{DOMAIN}.po")


@lru_cache(maxsize=len(LANGUAGES))
def read_catalog(lang: str) -> Catalog:
    """The parsed ``.po`` catalog of ``lang`` (not for the source language).

    Raises:
        TranslationCatalogError: the file is missing or not a valid ``.po`` file.
    """
    path = po_path(lang)
    try:
        with path.open("rb") as handle:
            return read_po(handle, locale=lang, domain=DOMAIN, abort_invalid=True)
    except (OSError, ValueError) as exc:
        raise TranslationCatalogError(
            f"cannot read the {lang} translations at {path}: {exc}; reinstall idtool"
        ) from exc


@lru_cache(maxsize=len(LANGUAGES))
def translations(lang: str) -> gettext.NullTranslations:
    """The compiled translations of ``lang`` (``en`` is the source: no translation)."""
    if lang == SOURCE_LANGUAGE:
        return gettext.NullTranslations()
    buffer = io.BytesIO()
    write_mo(buffer, read_catalog(lang), use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def page_messages(lang: str) -> dict[str, str]:
    """The translated strings of the phone page, ``{english: translation}``.

    Only messages extracted from ``server/static`` are included, and only translated,
    non-fuzzy ones (the page shows the English text for anything else).
    """
    if lang == SOURCE_LANGUAGE:
        return {}
    out: dict[str, str] = {}
    for message in read_catalog(lang):
        if not message.id or message.fuzzy or not isinstance(message.id, str):
            continue
        if not any(str(f).startswith(PAGE_SOURCES) for f, _ in message.locations):
            continue
        if isinstance(message.string, str) and message.string:
            out[message.id] = message.string
    return out
