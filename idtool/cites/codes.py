"""CITES purpose and source codes (Resolution Conf. 12.3 (Rev. CoP19)).

Written for idtool from the text of Res. Conf. 12.3. The citesdb code table in
``../shared/data/cites`` lacks source code ``Y`` (assisted production, added by CoP18 in
2019); it is included here.
"""

from __future__ import annotations

from dataclasses import dataclass

from idtool.errors import BadField


@dataclass(frozen=True)
class TradeCode:
    """One purpose or source code and what it means at a border."""

    code: str
    meaning: str
    detail: str


PURPOSE_CODES: dict[str, TradeCode] = {
    c.code: c
    for c in (
        TradeCode("B", "breeding in captivity or artificial propagation", ""),
        TradeCode("E", "educational", ""),
        TradeCode("G", "botanical garden", ""),
        TradeCode("H", "hunting trophy", ""),
        TradeCode("L", "law enforcement / judicial / forensic", ""),
        TradeCode("M", "medical (including biomedical research)", ""),
        TradeCode("N", "reintroduction or introduction into the wild", ""),
        TradeCode("P", "personal", "personal and household effects may be exempt (Art. VII(3))"),
        TradeCode(
            "Q",
            "circus or travelling exhibition",
            "Res. Conf. 12.3 travelling-exhibition certificate",
        ),
        TradeCode("S", "scientific", "scientific exchange may be exempt (Art. VII(6))"),
        TradeCode("T", "commercial", "primarily commercial purposes"),
        TradeCode("Z", "zoo", ""),
    )
}

SOURCE_CODES: dict[str, TradeCode] = {
    c.code: c
    for c in (
        TradeCode("W", "specimens taken from the wild", ""),
        TradeCode(
            "C",
            "animals bred in captivity (Res. Conf. 10.16)",
            "Art. VII(5) certificate of captive breeding",
        ),
        TradeCode(
            "D",
            "Appendix-I animals bred in captivity for commercial purposes in a registered "
            "operation, or Appendix-I plants artificially propagated for commercial purposes",
            "Art. VII(4): treated as Appendix II",
        ),
        TradeCode(
            "F",
            "animals born in captivity (F1 or later) that do not meet the definition of "
            "'bred in captivity'",
            "",
        ),
        TradeCode("R", "ranched specimens", "only for populations transferred under ranching"),
        TradeCode(
            "A",
            "plants artificially propagated (Res. Conf. 11.11)",
            "Art. VII(5) certificate of artificial propagation",
        ),
        TradeCode("I", "confiscated or seized specimens", ""),
        TradeCode("O", "pre-Convention specimens", "Art. VII(2) pre-Convention certificate"),
        TradeCode("U", "source unknown", "must be justified"),
        TradeCode(
            "X",
            "specimens taken in the marine environment not under the jurisdiction of any State",
            "introduction from the sea certificate (Art. III(5), IV(6))",
        ),
        TradeCode(
            "Y",
            "assisted production: plants not fully meeting 'artificially propagated' "
            "(Res. Conf. 11.11 (Rev. CoP18), added 2019)",
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


def describe_purpose(code: str) -> str:
    return f"purpose {code} ({PURPOSE_CODES[code].meaning})"


def describe_source(code: str) -> str:
    return f"source {code} ({SOURCE_CODES[code].meaning})"
