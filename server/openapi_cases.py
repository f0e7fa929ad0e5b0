"""The OpenAPI description of ``/api/v1/cases/{case_ref}`` (merged by :mod:`server.openapi`).

Every rule :mod:`idtool.evidence.case_facts` enforces on a field is in the schema (the
schema-driven test in ``tests/server/test_api_schema_fuzz.py`` checks it): code lists as
enums, text limits as patterns, dates as a pattern of real days from 1975 to this year.
(Lone surrogates, which are not text, are refused too; JSON Schema strings cannot hold
them, so the patterns do not name them.)
"""

from __future__ import annotations

from typing import Any

from idtool.cites.countries import countries
from idtool.cites.seizure_codes import (
    DETECTION_METHODS,
    DISPOSALS,
    SEIZURE_REASONS,
    TRADE_TERMS,
    TRANSPORT_MODES,
    UNITS,
)
from idtool.evidence.case_facts import (
    FIRST_SEIZURE_YEAR,
    MAX_COUNTRIES,
    MAX_QUANTITY,
    TEXT_LIMITS,
    last_seizure_year,
)
from idtool.evidence.records import MAX_TEXT

_CONTROLS = "\\x00-\\x1f\\x7f"
_BIDI = "\\u202a-\\u202e\\u2066-\\u2069"
_NOTES_CONTROLS = "\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f"
# at least one character that is not white space (a blank reference is refused)
CASE_REF_PATTERN = f"^[^{_CONTROLS}{_BIDI}]*[^\\s{_CONTROLS}{_BIDI}][^{_CONTROLS}{_BIDI}]*$"
TAXON_PATTERN = r"^[A-Z][a-z]+(?: [a-z][a-z-]*\.?)*$"
# Real calendar days; 29 February is also accepted in leap years.
_MONTH_DAYS = (
    "(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
    "|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
    "|02-(?:0[1-9]|1[0-9]|2[0-8]))"
)


def _years_pattern(first: int, last: int) -> str:
    return "(?:" + "|".join(str(y) for y in range(first, last + 1)) + ")"


def date_pattern() -> str:
    """``YYYY-MM-DD`` for the days a seizure date may have (1975 to this year)."""
    return f"^{_years_pattern(FIRST_SEIZURE_YEAR, last_seizure_year())}-{_MONTH_DAYS}$"


def _nullable(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}], "description": description}


def _enum(codes: Any, description: str) -> dict[str, Any]:
    return _nullable({"type": "string", "enum": list(codes)}, description)


def _text(name: str, description: str) -> dict[str, Any]:
    chars = _NOTES_CONTROLS if name == "notes" else _CONTROLS + _BIDI
    schema = {"type": "string", "maxLength": TEXT_LIMITS[name], "pattern": f"^[^{chars}]*$"}
    return _nullable(schema, description)


def facts_schema() -> dict[str, Any]:
    """The seizure facts: every field optional and nullable (null clears it)."""
    country_codes = sorted(countries())
    country_list = {
        "type": "array",
        "maxItems": MAX_COUNTRIES,
        "items": {"type": "string", "enum": country_codes},
    }
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "seizure_date": _nullable(
                {"type": "string", "pattern": date_pattern()},
                f"Date of the seizure, YYYY-MM-DD, from {FIRST_SEIZURE_YEAR} to this year.",
            ),
            "location": _text("location", "Where: port, airport, post office, border post..."),
            "quantity": _nullable(
                {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_QUANTITY},
                "How many or how much, in unit.",
            ),
            "unit": _enum(UNITS, "Unit: pieces (number of specimens), kg, g, l, m3..."),
            "specimen": _enum(TRADE_TERMS, "CITES trade term code (IVC ivory carvings...)."),
            "taxon": _nullable(
                {"type": "string", "maxLength": TEXT_LIMITS["taxon"], "pattern": TAXON_PATTERN},
                "Scientific name; unset: what the case's photos were identified as.",
            ),
            "country_origin": _enum(country_codes, "Country of origin (ISO 3166-1 alpha-2)."),
            "country_export": _enum(country_codes, "Country of export or re-export."),
            "countries_transit": _nullable(country_list, "Countries of transit, in order."),
            "country_destination": _enum(country_codes, "Country of destination."),
            "transport_mode": _enum(TRANSPORT_MODES, "Mode of transport."),
            "detection_method": _enum(DETECTION_METHODS, "Method of detection."),
            "reason": _enum(SEIZURE_REASONS, "Reason for seizure."),
            "offender_nationalities": _nullable(country_list, "Nationalities of offenders."),
            "disposal": _enum(DISPOSALS, "Disposal of the confiscated specimens."),
            "notes": _text("notes", "Additional information for the report."),
        },
    }


def case_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["case_ref", "version", "facts", "history", "records"],
        "properties": {
            "case_ref": {"type": "string"},
            "version": {"type": "integer", "description": "0: no facts entered yet."},
            "updated_at": {"type": ["string", "null"]},
            "facts": {"type": "object", "description": "Every field; unset ones are null."},
            "identified_taxa": {"type": "array", "items": {"type": "string"}},
            "history": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "version": {"type": "integer"},
                        "at": {"type": "string"},
                        "actor": {"type": "string"},
                        "changed": {"type": "array", "items": {"type": "string"}},
                        "custody_seq": {"type": "integer"},
                    },
                },
            },
            "records": {"type": "array", "items": {"$ref": "#/components/schemas/Record"}},
            "links": {"type": "object"},
        },
    }


def case_paths(errors: Any, json_response: Any) -> dict[str, Any]:
    """The ``/api/v1/cases/{case_ref}`` path item."""
    case = {"$ref": "#/components/schemas/Case"}
    param = {
        "name": "case_ref",
        "in": "path",
        "required": True,
        "schema": {
            "type": "string",
            "maxLength": MAX_TEXT["case_ref"],
            "pattern": CASE_REF_PATTERN,
        },
    }
    secured: list[dict[str, list[str]]] = [{"bearer": []}]
    return {
        "/api/v1/cases/{case_ref}": {
            "get": {
                "summary": "A case's seizure facts, their version history, and its records "
                "with their identifications (those the caller may read). Logged as a view.",
                "security": secured,
                "parameters": [param],
                "responses": {
                    "200": json_response(case, "The case (header ETag: its version)"),
                    **errors(400, 401, 404),
                },
            },
            "put": {
                "summary": "Set seizure facts of a case: a new version, logged in the custody "
                "chain.",
                "description": "A partial update: the fields sent change, the others stay; "
                "null clears a field. Send If-Match with the version you read (the ETag, 0 for "
                "a new case): if the case changed since, the answer is 409 and nothing is "
                "stored. Sending facts the case already holds stores nothing (a safe retry). "
                "201 when this creates the case's first version.",
                "security": secured,
                "parameters": [param],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": facts_schema()}},
                },
                "responses": {
                    "200": json_response(case, "The case after the change"),
                    "201": json_response(case, "The case's first version"),
                    **errors(400, 401, 409, 413, 415),
                },
            },
        }
    }
