"""``GET /openapi.json``: the OpenAPI 3.1 description of the real endpoints.

Written by hand next to the routes; ``tests/test_api_openapi.py`` checks that every
route is documented and every documented path exists.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from idtool import __version__
from idtool.cites.codes import PURPOSE_CODES, SOURCE_CODES
from idtool.cites.countries import countries
from idtool.evidence.confirmations import MAX_BY, MAX_REPORT_REF, METHODS
from idtool.evidence.records import MAX_TEXT, TEXT_PATTERNS
from server.api import MAX_ANGLES, MAX_LIST
from server.openapi_cases import case_paths, case_schema
from server.uploads import MAX_FIELD_BYTES, MAX_FORM_PARTS

bp = Blueprint("openapi", __name__)

ERROR = {"$ref": "#/components/responses/Error"}
TRADE_FIELDS = {
    "origin_country": "Country of origin: ISO 3166-1 alpha-2 code (the server also "
    "accepts lower case and English names).",
    "export_country": "Country of (re-)export: ISO 3166-1 alpha-2 code.",
    "destination_country": "Country of import: ISO 3166-1 alpha-2 code.",
    "purpose": "CITES purpose code.",
    "source": "CITES source code.",
}
ERROR_CODES = (
    "bad_field, field_too_large, unauthorized, forbidden, not_found, method_not_allowed, "
    "conflict, image_too_large, unsupported_media_type, invalid_image, rate_limited, "
    "custody_anchor_error, internal_error"
)


def _text(name: str) -> dict[str, Any]:
    """The schema of a free-text field: the limits ``check_text`` enforces."""
    return {"type": "string", "maxLength": MAX_TEXT[name], "pattern": TEXT_PATTERNS[name]}


def _trade_schema(name: str) -> dict[str, Any]:
    if name == "purpose":
        codes = sorted(PURPOSE_CODES)
    elif name == "source":
        codes = sorted(SOURCE_CODES)
    else:
        codes = sorted(countries())
    return {"type": "string", "enum": codes, "description": TRADE_FIELDS[name]}


def _image_part(description: str) -> dict[str, Any]:
    return {"type": "string", "format": "binary", "description": description}


UPLOAD_RULES = (
    " The whole body may be at most max_image_bytes (default 40 MiB) plus 64 KiB; the "
    f"photo part at most max_image_bytes (413 image_too_large); each text part at most "
    f"{MAX_FIELD_BYTES:,} bytes and the form at most {MAX_FORM_PARTS} parts "
    "(413 field_too_large). Any other Content-Type than multipart/form-data is 415."
)


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Any]:
    return {str(s): ERROR for s in statuses}


def openapi_document() -> dict[str, Any]:
    record = {"$ref": "#/components/schemas/Record"}
    record_id = {"name": "record_id", "in": "path", "required": True, "schema": {"type": "string"}}
    secured: list[dict[str, list[str]]] = [{"bearer": []}]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "idtool field server",
            "version": __version__,
            "description": (
                "Identify wildlife products in photos and get CITES guidance; every upload "
                "is kept as evidence with a custody log. Visual identification is probable "
                "cause, not proof. Texts come in English, French or Spanish: send "
                "Accept-Language (or ?lang=en|fr|es); Content-Language says which was used. "
                "JSON keys and codes are always English."
            ),
        },
        "servers": [{"url": "/"}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "responses": {
                "Error": _json(
                    {"$ref": "#/components/schemas/Error"},
                    f"An error: code is stable ({ERROR_CODES}).",
                )
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["code", "message"],
                            "properties": {
                                "code": {"type": "string"},
                                "message": {"type": "string"},
                            },
                        }
                    },
                },
                "Case": case_schema(),
                "Record": {
                    "type": "object",
                    "required": [
                        "id",
                        "created_at",
                        "officer",
                        "identification",
                        "guidance",
                        "evidence",
                        "versions",
                    ],
                    "properties": {
                        "id": {"type": "string"},
                        "created_at": {"type": "string", "format": "date-time"},
                        "officer": {"type": "string"},
                        "case_ref": {"type": ["string", "null"]},
                        "notes": {"type": ["string", "null"]},
                        "idempotency_key": {"type": ["string", "null"]},
                        "declaration": {"type": "object"},
                        "identification": {
                            "type": "object",
                            "description": "As printed by `idtool identify --format json`, "
                            "minus server file paths.",
                        },
                        "guidance": {
                            "type": "object",
                            "description": "As printed by `idtool guidance --format json`.",
                        },
                        "schreger": {"type": ["object", "null"]},
                        "confirmation": {
                            "type": ["object", "null"],
                            "description": "The current laboratory confirmation (label, "
                            "method, by, report_ref, at, supersedes) and, in history, the ones "
                            "it superseded; null when never confirmed.",
                        },
                        "evidence": {
                            "type": "object",
                            "required": ["sha256", "bytes", "exif", "stored"],
                            "properties": {
                                "sha256": {"type": "string"},
                                "bytes": {"type": "integer"},
                                "media_format": {"type": "string"},
                                "filename": {"type": ["string", "null"]},
                                "exif": {"type": "object"},
                                "stored": {"type": "boolean"},
                            },
                        },
                        "original": {
                            "type": "object",
                            "description": "The full original photo. pending: the photo "
                            "above is a working copy and the original is still to come "
                            "(PUT .../original); received: stored byte for byte.",
                            "required": ["status", "sha256"],
                            "properties": {
                                "status": {"type": "string", "enum": ["pending", "received"]},
                                "sha256": {"type": ["string", "null"]},
                                "bytes": {"type": ["integer", "null"]},
                                "media_format": {"type": ["string", "null"]},
                                "received_at": {"type": ["string", "null"]},
                                "exif": {"type": ["object", "null"]},
                                "working_copy": {
                                    "type": "boolean",
                                    "description": "true: the record's photo is a working "
                                    "copy and this is its original; false: the photo is "
                                    "the original.",
                                },
                            },
                        },
                        "versions": {
                            "type": "object",
                            "properties": {
                                "model_version": {"type": "string"},
                                "reference_version": {"type": ["string", "null"]},
                                "listing_set": {"type": ["string", "null"]},
                            },
                        },
                        "references": {"type": "array", "items": {"type": "object"}},
                        "forensics": {"type": "object"},
                        "links": {"type": "object"},
                    },
                },
            },
        },
        "paths": {
            "/healthz": {
                "get": {
                    "summary": "Liveness plus model, reference and listing-set versions.",
                    "security": [],
                    "responses": {"200": _json({"type": "object"}, "Versions")},
                }
            },
            "/i18n/{lang}.json": {
                "get": {
                    "summary": "The phone page's strings in one language (en, fr, es), "
                    "from the gettext catalogs: {lang, languages, messages}.",
                    "security": [],
                    "parameters": [
                        {
                            "name": "lang",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "enum": ["en", "fr", "es"]},
                        }
                    ],
                    "responses": {
                        "200": _json({"type": "object"}, "Page catalog"),
                        **_errors(404),
                    },
                }
            },
            "/openapi.json": {
                "get": {
                    "summary": "This document.",
                    "security": [],
                    "responses": {"200": _json({"type": "object"}, "OpenAPI document")},
                }
            },
            "/api/v1/identifications": {
                "post": {
                    "summary": "Upload a photo; get identification, guidance and evidence.",
                    "security": secured,
                    "parameters": [
                        {
                            "name": "Idempotency-Key",
                            "in": "header",
                            "required": False,
                            "schema": _text("idempotency_key"),
                            "description": "A retry with the same key and the same photo, "
                            "declaration, case_ref and notes returns the first record; "
                            "anything changed is 409.",
                        }
                    ],
                    "requestBody": {
                        "required": True,
                        "description": "The photo and the declaration." + UPLOAD_RULES,
                        "content": {
                            "multipart/form-data": {
                                "schema": {
                                    "type": "object",
                                    "required": ["image"],
                                    "additionalProperties": False,
                                    "properties": {
                                        "image": _image_part(
                                            "The photo: JPEG, PNG, HEIC, WebP, TIFF, BMP or "
                                            "GIF, stored byte for byte."
                                        ),
                                        **{name: _trade_schema(name) for name in TRADE_FIELDS},
                                        "case_ref": _text("case_ref"),
                                        "notes": _text("notes"),
                                        "original_pending": {
                                            "type": "string",
                                            "enum": ["0", "1", "true", "false"],
                                            "description": "1: the image is a working copy; "
                                            "the full original follows with PUT "
                                            "/api/v1/identifications/{record_id}/original.",
                                        },
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "201": _json(
                            record,
                            "Created (or replayed for a known Idempotency-Key: header "
                            "Idempotent-Replayed: true)",
                        ),
                        **_errors(400, 401, 409, 413, 415, 422, 429, 500),
                    },
                },
                "get": {
                    "summary": "Records of a case, or the latest ones: an officer's own, or "
                    "everyone's for a supervisor token. One view entry in the custody log "
                    "per request.",
                    "security": secured,
                    "parameters": [
                        {"name": "case_ref", "in": "query", "schema": _text("case_ref")},
                        {
                            "name": "limit",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIST},
                        },
                    ],
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "properties": {
                                    "case_ref": {"type": ["string", "null"]},
                                    "count": {"type": "integer"},
                                    "items": {"type": "array", "items": record},
                                },
                            },
                            "Records, newest first",
                        ),
                        **_errors(400, 401),
                    },
                },
            },
            "/api/v1/identifications/{record_id}": {
                "get": {
                    "summary": "One record (logged as a view in the custody log). Officers "
                    "get 404 for another officer's record; supervisors may read all.",
                    "security": secured,
                    "parameters": [record_id],
                    "responses": {"200": _json(record, "The record"), **_errors(401, 404)},
                }
            },
            "/api/v1/identifications/{record_id}/original": {
                "put": {
                    "summary": "Attach the full original photo to a record made from a "
                    "working copy (original_pending=1).",
                    "description": "Stored byte for byte; the record's original becomes "
                    "received and the custody log links the working copy's SHA-256 to the "
                    "original's. The same original again returns the same answer "
                    "(Idempotent-Replayed: true); a different one is 409. Only the officer "
                    "who made the record may attach it (403)." + UPLOAD_RULES,
                    "security": secured,
                    "parameters": [
                        record_id,
                        {
                            "name": "Idempotency-Key",
                            "in": "header",
                            "required": False,
                            "schema": _text("idempotency_key"),
                        },
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "multipart/form-data": {
                                "schema": {
                                    "type": "object",
                                    "required": ["image"],
                                    "additionalProperties": False,
                                    "properties": {
                                        "image": _image_part("The full original photo.")
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": _json(record, "The updated record"),
                        **_errors(400, 401, 403, 404, 409, 413, 415, 422, 500),
                    },
                }
            },
            "/api/v1/identifications/{record_id}/schreger": {
                "post": {
                    "summary": "Schreger angles from tapped points (ivory).",
                    "security": secured,
                    "parameters": [record_id],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["triples"],
                                    "properties": {
                                        "triples": {
                                            "type": "array",
                                            "description": "[vertex, a, b] per angle, each "
                                            "point [x, y] in pixels of the upright photo the "
                                            "server analysed, inside it; each arm at least "
                                            "1 px long, the two arm points apart and not on "
                                            "one line with the vertex (0 or 180 deg). Only "
                                            "the officer who made the record (403 for a "
                                            "supervisor).",
                                            "minItems": 1,
                                            "maxItems": MAX_ANGLES,
                                            "items": {
                                                "type": "array",
                                                "minItems": 3,
                                                "maxItems": 3,
                                                "items": {
                                                    "type": "array",
                                                    "minItems": 2,
                                                    "maxItems": 2,
                                                    "items": {"type": "number", "minimum": 0},
                                                },
                                            },
                                        }
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": _json(record, "The updated record"),
                        **_errors(400, 401, 403, 404, 415, 422),
                    },
                }
            },
            "/api/v1/identifications/{record_id}/photos": {
                "post": {
                    "summary": "Add another photo of the same item; every photo is identified "
                    "again and the answers fused (decision_source ...+item_fusion, item, "
                    "photos); the custody log names every photo.",
                    "security": secured,
                    "parameters": [record_id],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "multipart/form-data": {
                                "schema": {
                                    "type": "object",
                                    "required": ["image"],
                                    "properties": {"image": {"type": "string", "format": "binary"}},
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": _json(record, "The record with the fused identification"),
                        **_errors(400, 401, 403, 404, 413, 415, 422),
                    },
                }
            },
            "/api/v1/identifications/{record_id}/confirmation": {
                "post": {
                    "summary": "Record a laboratory confirmation of the item's identity "
                    "(supervisor tokens only). Append-only: a later confirmation supersedes "
                    "the current one (record.confirmation.history keeps it).",
                    "security": secured,
                    "parameters": [record_id],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["label", "method", "by"],
                                    "properties": {
                                        "label": {
                                            "type": "string",
                                            "description": "A taxon (scientific, synonym or "
                                            "common name) or a material (ivory, material_bone).",
                                        },
                                        "method": {"type": "string", "enum": list(METHODS)},
                                        "by": {"type": "string", "maxLength": MAX_BY},
                                        "report_ref": {
                                            "type": ["string", "null"],
                                            "maxLength": MAX_REPORT_REF,
                                        },
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": _json(record, "The record with its confirmation"),
                        **_errors(400, 401, 403, 404, 415),
                    },
                }
            },
            "/api/v1/references/{image_id}/thumbnail": {
                "get": {
                    "summary": "A small JPEG of a reference photo.",
                    "security": secured,
                    "parameters": [
                        {
                            "name": "image_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer"},
                        }
                    ],
                    "responses": {
                        "200": {
                            "description": "JPEG",
                            "content": {"image/jpeg": {"schema": {"type": "string"}}},
                        },
                        **_errors(401, 404),
                    },
                }
            },
            **case_paths(_errors, _json),
            "/api/v1/vocabularies": {
                "get": {
                    "summary": "Countries, purpose and source codes, and the seizure code lists "
                    "(units, trade_terms, transport_modes, detection_methods, reasons, "
                    "disposals), with meanings.",
                    "security": secured,
                    "responses": {"200": _json({"type": "object"}, "Code lists"), **_errors(401)},
                }
            },
        },
    }


@bp.get("/openapi.json")
def openapi_json() -> Response:
    return jsonify(openapi_document())
