"""The seizure facts of a case: one typed dataclass and the rules every value must meet.

Fields are named after the columns of the CITES annual illegal trade report (see
:mod:`idtool.aitr`). Every value is checked here, whatever front end sent it (phone page,
API, CLI, a hub rebuilding a case from the custody log): ISO 3166-1 country codes, CITES
trade-term and unit codes, the seizure vocabularies of
:mod:`idtool.cites.seizure_codes`, dates, plain single-line text. A bad value raises
:class:`~idtool.errors.BadField` naming the field.

:meth:`CaseFacts.to_dict` is the JSON shape stored and logged in the custody chain
(dates as ``YYYY-MM-DD``, lists as lists, every field present, unset ones ``null``);
:meth:`CaseFacts.from_dict` reads it back, checking it again.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from idtool.cites.countries import normalise_country
from idtool.cites.seizure_codes import (
    DETECTION_METHODS,
    DISPOSALS,
    SEIZURE_REASONS,
    TRADE_TERMS,
    TRANSPORT_MODES,
    check_code,
    check_unit,
)
from idtool.errors import BadField

MAX_QUANTITY = 1e9
MAX_COUNTRIES = 20
FIRST_SEIZURE_YEAR = 1975  # CITES entered into force on 1 July 1975
TEXT_LIMITS = {"location": 200, "taxon": 200, "notes": 2000}
# C0 controls, DEL and lone surrogates (not text); single-line fields also refuse
# bidirectional overrides, which make a value display as something else.
_SINGLE_LINE_FORBIDDEN = re.compile(
    "[\\x00-\\x1f\\x7f\\ud800-\\udfff\\u202a-\\u202e\\u2066-\\u2069]"
)
_NOTES_FORBIDDEN = re.compile("[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f\\ud800-\\udfff]")
_TAXON = re.compile(r"^[A-Z][a-z]+(?: [a-z][a-z-]*\.?)*$")
_CODE_TABLES = {
    "specimen": TRADE_TERMS,
    "transport_mode": TRANSPORT_MODES,
    "detection_method": DETECTION_METHODS,
    "reason": SEIZURE_REASONS,
    "disposal": DISPOSALS,
}


@dataclass(frozen=True)
class CaseFacts:
    """What was seized, where, how it was found and where it was going.

    Every field may be unset (None, or an empty tuple for lists): facts are entered bit by
    bit as the case goes on. ``taxon`` unset means "what the photos were identified as".
    """

    seizure_date: dt.date | None = None
    location: str | None = None
    quantity: float | None = None
    unit: str | None = None
    specimen: str | None = None
    taxon: str | None = None
    country_origin: str | None = None
    country_export: str | None = None
    countries_transit: tuple[str, ...] = ()
    country_destination: str | None = None
    transport_mode: str | None = None
    detection_method: str | None = None
    reason: str | None = None
    offender_nationalities: tuple[str, ...] = ()
    disposal: str | None = None
    notes: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape: every field, dates ``YYYY-MM-DD``, lists as lists."""
        body: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, dt.date):
                value = value.isoformat()
            elif isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, float) and value.is_integer():
                value = int(value)
            body[f.name] = value
        return body

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CaseFacts:
        """Read the JSON shape back (checking every value again).

        Raises:
            BadField: an unknown field or a bad value.
        """
        return cls().merged(data)

    def merged(self, changes: Mapping[str, Any]) -> CaseFacts:
        """These facts with ``changes`` applied; a None or empty value clears a field.

        Raises:
            BadField: an unknown field or a bad value (the message names the field).
        """
        return replace(self, **check_changes(changes))

    def is_empty(self) -> bool:
        return self == CaseFacts()


FIELD_NAMES = tuple(f.name for f in fields(CaseFacts))
LIST_FIELDS = frozenset({"countries_transit", "offender_nationalities"})
COUNTRY_FIELDS = frozenset({"country_origin", "country_export", "country_destination"})


def check_changes(changes: Mapping[str, Any]) -> dict[str, Any]:
    """Check and normalise each named field; unknown names are refused.

    Args:
        changes: field name -> value as JSON or a form gives it (strings, numbers,
            lists, or a comma-separated string for a list field). None or "" clears.

    Returns:
        field name -> normalised value (as :class:`CaseFacts` holds it).

    Raises:
        BadField: an unknown field, or a bad value (the message names the field).
    """
    unknown = sorted(str(k) for k in changes if k not in FIELD_NAMES)
    if unknown:
        raise BadField(
            f"unknown seizure field(s) {', '.join(unknown)}; the fields are {', '.join(FIELD_NAMES)}"
        )
    return {name: check_field(name, value) for name, value in changes.items()}


def check_field(name: str, value: Any) -> Any:
    """One field's normalised value (None / () when cleared).

    Raises:
        BadField: a value this field cannot hold.
    """
    if name in LIST_FIELDS:
        return _country_list(name, value)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if name == "seizure_date":
        return _date(value)
    if name == "quantity":
        return _quantity(value)
    if not isinstance(value, str):
        raise BadField(f"{name} must be text, not {type(value).__name__}")
    if name in COUNTRY_FIELDS:
        return normalise_country(value, name)
    if name == "unit":
        return check_unit(value)
    if name in _CODE_TABLES:
        return check_code(name, value, _CODE_TABLES[name])
    return _text(name, value)


def last_seizure_year() -> int:
    """The latest year a seizure date may have: this year (UTC)."""
    return dt.datetime.now(dt.UTC).year


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = value.isoformat()
    if not isinstance(value, str):
        raise BadField(f"seizure_date must be a date written YYYY-MM-DD, not {value!r}")
    try:
        day = dt.date.fromisoformat(value.strip())
    except ValueError:
        raise BadField(
            f"seizure_date {value!r} is not a date written YYYY-MM-DD (e.g. 2026-03-14)"
        ) from None
    if not FIRST_SEIZURE_YEAR <= day.year <= last_seizure_year():
        raise BadField(
            f"seizure_date {day.isoformat()} is not between {FIRST_SEIZURE_YEAR} and this "
            f"year ({last_seizure_year()})"
        )
    return day


def _quantity(value: Any) -> float:
    if isinstance(value, bool):
        raise BadField("quantity must be a number, not true/false")
    if isinstance(value, str):
        try:
            value = float(value.strip().replace(",", "."))
        except ValueError:
            raise BadField(f"quantity {value!r} is not a number (e.g. 12 or 3.5)") from None
    if not isinstance(value, int | float):
        raise BadField(f"quantity must be a number, not {type(value).__name__}")
    number = float(value)
    if not math.isfinite(number) or number <= 0 or number > MAX_QUANTITY:
        raise BadField(f"quantity must be more than 0 and at most {MAX_QUANTITY:,.0f}")
    return number


def _country_list(name: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
        raise BadField(f'{name} must be a list of country codes (e.g. ["NG", "FR"])')
    codes: list[str] = []
    for item in items:
        if item.strip():
            code = normalise_country(item, name)
            if code not in codes:
                codes.append(code)
    if len(codes) > MAX_COUNTRIES:
        raise BadField(f"{name} has more than {MAX_COUNTRIES} countries")
    return tuple(codes)


def _text(name: str, value: str) -> str:
    text = value.strip()
    limit = TEXT_LIMITS[name]
    if len(text) > limit:
        raise BadField(f"{name} is longer than {limit} characters")
    forbidden = _NOTES_FORBIDDEN if name == "notes" else _SINGLE_LINE_FORBIDDEN
    if forbidden.search(text):
        raise BadField(f"{name} contains control or bidirectional override characters")
    if name == "taxon":
        text = " ".join(text.split())
        text = text[:1].upper() + text[1:]
        if not _TAXON.match(text):
            raise BadField(
                f"taxon {value!r} is not a scientific name (e.g. Loxodonta africana, "
                "Manis spp., Elephantidae)"
            )
    return text
