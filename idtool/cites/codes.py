"""CITES purpose and source codes (Resolution Conf. 12.3 (Rev. CoP19)).

Written for idtool from the text of Res. Conf. 12.3. The citesdb code table in
``../shared/data/cites`` lacks source code ``Y`` (assisted production, added by CoP18 in
2019); it is included here.
"""

from __future__ import annotations

from dataclasses import dataclass

from idtool.errors import BadField
from idtool.i18n import N_
from idtool.i18n import gettext as _


@dataclass(frozen=True)
class TradeCode:
    """One purpose or source code and what it means at a border (English; the texts are
    marked for translation: read them through :func:`purpose_meaning` /
    :func:`source_meaning`)."""

    code: str
    meaning: str
    detail: str


PURPOSE_CODES: dict[str, TradeCode] = {
    c.code: c
    for c in (
        TradeCode("B", N_("breeding in captivity or artificial propagation"), ""),
        TradeCode("E", N_("educational"), ""),
        TradeCode("G", N_("botanical garden"), ""),
        TradeCode("H", N_("hunting trophy"), ""),
        TradeCode("L", N_("law enforcement / judicial / forensic"), ""),
        TradeCode("M", N_("medical (including biomedical research)"), ""),
        TradeCode("N", N_("reintroduction or introduction into the wild"), ""),
        TradeCode(
            "P", N_("personal"), N_("personal and household effects may be exempt (Art. VII(3))")
        ),
        TradeCode(
            "Q",
            N_("circus or travelling exhibition"),
            N_("Res. Conf. 12.3 travelling-exhibition certificate"),
        ),
        TradeCode("S", N_("scientific"), N_("scientific exchange may be exempt (Art. VII(6))")),
        TradeCode("T", N_("commercial"), N_("primarily commercial purposes")),
        TradeCode("Z", N_("zoo"), ""),
    )
}

SOURCE_CODES: dict[str, TradeCode] = {
    c.code: c
    for c in (
        TradeCode("W", N_("specimens taken from the wild"), ""),
        TradeCode(
            "C",
            N_("animals bred in captivity (Res. Conf. 10.16)"),
            N_("Art. VII(5) certificate of captive breeding"),
        ),
        TradeCode(
            "D",
            N_(
                "Appendix-I animals bred in captivity for commercial purposes in a registered "
                "operation, or Appendix-I plants artificially propagated for commercial purposes"
            ),
            N_("Art. VII(4): treated as Appendix II"),
        ),
        TradeCode(
            "F",
            N_(
                "animals born in captivity (F1 or later) that do not meet the definition of "
                "'bred in captivity'"
            ),
            "",
        ),
        TradeCode(
            "R", N_("ranched specimens"), N_("only for populations transferred under ranching")
        ),
        TradeCode(
            "A",
            N_("plants artificially propagated (Res. Conf. 11.11)"),
            N_("Art. VII(5) certificate of artificial propagation"),
        ),
        TradeCode("I", N_("confiscated or seized specimens"), ""),
        TradeCode(
            "O", N_("pre-Convention specimens"), N_("Art. VII(2) pre-Convention certificate")
        ),
        TradeCode("U", N_("source unknown"), N_("must be justified")),
        TradeCode(
            "X",
            N_("specimens taken in the marine environment not under the jurisdiction of any State"),
            N_("introduction from the sea certificate (Art. III(5), IV(6))"),
        ),
        TradeCode(
            "Y",
            N_(
                "assisted production: plants not fully meeting 'artificially propagated' "
                "(Res. Conf. 11.11 (Rev. CoP18), added 2019)"
            ),
            "",
        ),
    )
}

# Sources that are not wild-taken in the sense of Art. III(3)(c) and Art. VII(4)/(5).
CAPTIVE_SOURCES = frozenset({"C", "D", "A", "Y"})
WILD_LIKE_SOURCES = frozenset({"W", "U", "X", "R", "F"})
PLANT_ONLY_SOURCES = frozenset({"A", "Y"})
ANIMAL_ONLY_SOURCES = frozenset({"C", "F", "R"})


def _normalise(value: str, table: dict[str, TradeCode], what: str) -> str:
    code = value.strip().upper()
    if code in table:
        return code
    known = ", ".join(f"{c} ({t.meaning.split(' (')[0]})" for c, t in table.items())
    raise BadField(f"unknown {what} code {value!r}; use one of: {known}.")


def normalise_purpose(value: str) -> str:
    """Validate a purpose code (case-insensitive).

    Raises:
        BadField: not one of B, E, G, H, L, M, N, P, Q, S, T, Z.
    """
    return _normalise(value, PURPOSE_CODES, "purpose")


def normalise_source(value: str) -> str:
    """Validate a source code (case-insensitive).

    Raises:
        BadField: not one of W, C, D, F, R, A, I, O, U, X, Y.
    """
    return _normalise(value, SOURCE_CODES, "source")


def purpose_meaning(code: str) -> str:
    """What a purpose code means, in the active language."""
    return _(PURPOSE_CODES[code].meaning)


def source_meaning(code: str) -> str:
    """What a source code means, in the active language."""
    return _(SOURCE_CODES[code].meaning)


def describe_purpose(code: str) -> str:
    return _("purpose {code} ({meaning})").format(code=code, meaning=purpose_meaning(code))


def describe_source(code: str) -> str:
    return _("source {code} ({meaning})").format(code=code, meaning=source_meaning(code))
