"""``GET /openapi.json``: the OpenAPI 3.1 description of the real endpoints.

Written by hand next to the routes; ``tests/test_api_openapi.py`` checks that every
route is documented and every documented path exists.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from idtool import __version__

bp = Blueprint("openapi", __name__)

ERROR = {"$ref": "#/components/responses/Error"}
TRADE_FIELDS = {
    "origin_country": "Country of origin: ISO code (KE) or English name.",
    "export_country": "Country of (re-)export: ISO code or name.",
    "destination_country": "Country of import: ISO code or name.",
    "purpose": "CITES purpose code (T, P, Q, S, H, Z, G, E, B, L, M, N).",
    "source": "CITES source code (W, R, D, C, F, A, Y, I, O, U, X).",
}


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
                    "An error: code is stable (bad_field, unauthorized, not_found, "
                    "image_too_large, unsupported_media_type, invalid_image, rate_limited, "
                    "conflict, internal_error).",
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
                            "schema": {"type": "string", "maxLength": 200},
                            "description": "A retry with the same key returns the first record.",
                        }
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "multipart/form-data": {
                                "schema": {
                                    "type": "object",
                                    "required": ["image"],
                                    "properties": {
                                        "image": {"type": "string", "format": "binary"},
                                        **{
                                            name: {"type": "string", "description": text}
                                            for name, text in TRADE_FIELDS.items()
                                        },
                                        "case_ref": {"type": "string", "maxLength": 100},
                                        "notes": {"type": "string", "maxLength": 2000},
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "201": _json(record, "Created (or replayed for a known Idempotency-Key)"),
                        **_errors(400, 401, 409, 413, 415, 422, 429, 500),
                    },
                },
                "get": {
                    "summary": "Records of a case, or the latest ones.",
                    "security": secured,
                    "parameters": [
                        {"name": "case_ref", "in": "query", "schema": {"type": "string"}},
                        {
                            "name": "limit",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 200},
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
                    "summary": "One record (logged as a view in the custody log).",
                    "security": secured,
                    "parameters": [record_id],
                    "responses": {"200": _json(record, "The record"), **_errors(401, 404)},
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
                                            "point [x, y] in image pixels",
                                            "items": {"type": "array"},
                                        }
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": _json(record, "The updated record"),
                        **_errors(400, 401, 404),
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
            "/api/v1/vocabularies": {
                "get": {
                    "summary": "Countries, purpose and source codes with meanings.",
                    "security": secured,
                    "responses": {"200": _json({"type": "object"}, "Code lists"), **_errors(401)},
                }
            },
        },
    }


@bp.get("/openapi.json")
def openapi_json() -> Response:
    return jsonify(openapi_document())
