"""Translations of everything an officer reads: English, French and Spanish.

gettext catalogs kept with Babel (``babel.cfg``, ``idtool/locale/<lang>/LC_MESSAGES/
idtool.po``). Library code marks its texts and translates them in the language that is
active when the answer is built::

    from idtool.i18n import gettext as _

    steps.append(_("detain and refer to the CITES Management Authority"))
    _("CITES export permit from the Management Authority of {exporter}").format(exporter=...)

Module-level constants are marked with :func:`N_` (extracted, not translated) and
translated where they are used: ``_(FORENSICS)``.

The active language is per context: a front end picks it once per command (the CLI's
``--lang``) or per request (the server's ``Accept-Language``) with
:func:`use_language` / :func:`set_language`. Without one, :func:`default_language`
applies (set by the CLI for the whole process, ``en`` otherwise). JSON keys, codes and
enum values never change with the language; only the texts do.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

from idtool.i18n.catalogs import LANGUAGES, SOURCE_LANGUAGE, translations
from idtool.i18n.negotiate import language_from_env, normalise_language

__all__ = [
    "LANGUAGES",
    "N_",
    "SOURCE_LANGUAGE",
    "LazyString",
    "default_language",
    "get_language",
    "gettext",
    "language_from_env",
    "lazy_gettext",
    "ngettext",
    "normalise_language",
    "pgettext",
    "reset_language",
    "set_default_language",
    "set_language",
    "use_language",
]

_active: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "idtool_language", default=None
)
_process_default = [SOURCE_LANGUAGE]


def default_language() -> str:
    """The language used where no context chose one (worker threads, library callers)."""
    return _process_default[0]


def set_default_language(lang: str) -> None:
    """Set the process-wide default (the CLI does, from ``--lang`` or the locale).

    Raises:
        BadField: not one of ``en``, ``fr``, ``es``.
    """
    _process_default[0] = normalise_language(lang)


def get_language() -> str:
    """The language texts are translated into right now."""
    return _active.get() or _process_default[0]


def set_language(lang: str) -> contextvars.Token[str | None]:
    """Make ``lang`` active in this context; give the token to :func:`reset_language`.

    Raises:
        BadField: not one of ``en``, ``fr``, ``es``.
    """
    return _active.set(normalise_language(lang))


def reset_language(token: contextvars.Token[str | None]) -> None:
    """Undo :func:`set_language`."""
    _active.reset(token)


@contextmanager
def use_language(lang: str) -> Iterator[str]:
    """``with use_language("fr"): ...`` translates into French inside the block."""
    token = set_language(lang)
    try:
        yield get_language()
    finally:
        reset_language(token)


def gettext(message: str) -> str:
    """``message`` in the active language (itself when no translation is known)."""
    return translations(get_language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for ``n`` in the active language."""
    return translations(get_language()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """``message`` translated in ``context`` (for short words that differ by use)."""
    return translations(get_language()).pgettext(context, message)


def N_(message: str) -> str:
    """Mark a constant for extraction without translating it; translate it where used."""
    return message


class LazyString:
    """A text translated each time it is turned into ``str`` (in the active language).

    For values built once and read under several languages, such as a table of labels.
    Call ``str()`` on it before it goes into a dataclass or JSON.
    """

    __slots__ = ("_message",)

    def __init__(self, message: str) -> None:
        self._message = message

    @property
    def message(self) -> str:
        return self._message

    def __str__(self) -> str:
        return gettext(self._message)

    def __repr__(self) -> str:
        return f"lazy_gettext({self._message!r})"

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LazyString):
            return self._message == other._message
        return str(self) == other

    def __hash__(self) -> int:
        return hash(self._message)

    def __add__(self, other: str) -> str:
        return str(self) + other

    def __radd__(self, other: str) -> str:
        return other + str(self)


def lazy_gettext(message: str) -> LazyString:
    """``message``, translated when it is used rather than now."""
    return LazyString(message)
