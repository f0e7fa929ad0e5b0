"""Which language to answer in: ``--lang`` or the POSIX locale (the server negotiates
``Accept-Language`` with Werkzeug, against :data:`LANGUAGES`)."""

from __future__ import annotations

import os
from collections.abc import Mapping

from idtool.errors import BadField
from idtool.i18n.catalogs import LANGUAGES, SOURCE_LANGUAGE

# POSIX order: LANGUAGE is a priority list, then LC_ALL, LC_MESSAGES, LANG.
_ENV_ORDER = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


def _primary(tag: str) -> str:
    """``fr_CA.UTF-8`` / ``es-419`` / ``FR`` -> ``fr`` / ``es`` / ``fr``."""
    return tag.strip().split(".")[0].split("@")[0].replace("-", "_").split("_")[0].lower()


def normalise_language(value: str) -> str:
    """Validate a language choice; regional tags are accepted (``fr_BE`` -> ``fr``).

    Raises:
        BadField: not English, French or Spanish.
    """
    lang = _primary(value)
    if lang not in LANGUAGES:
        raise BadField(
            f"unknown language {value!r}; use one of: {', '.join(LANGUAGES)} "
            "(see docs/cites.md: adding a language)"
        )
    return lang


def language_from_env(environ: Mapping[str, str] | None = None) -> str:
    """The first supported language of the POSIX locale settings, else English.

    ``C`` and ``POSIX`` mean English. Unsupported languages are skipped (``LANGUAGE=de:fr``
    gives ``fr``).
    """
    env = os.environ if environ is None else environ
    for name in _ENV_ORDER:
        value = env.get(name, "")
        if not value:
            continue
        for tag in value.split(":"):
            lang = _primary(tag)
            if lang in ("c", "posix"):
                return SOURCE_LANGUAGE
            if lang in LANGUAGES:
                return lang
        if name != "LANGUAGE":
            return SOURCE_LANGUAGE  # a set LC_ALL/LANG in another language: English
    return SOURCE_LANGUAGE
