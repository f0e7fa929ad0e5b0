"""A schema-driven client finds no request the OpenAPI document accepts that the server
refuses (issue 11): every rule the server enforces on a field is in the document.

The photo itself cannot be described by a schema (any bytes are a "binary" string), so
each generated upload carries a real photo; every other field, header, query and path
parameter is generated from the document. Bounded: a few examples per operation.
"""

from __future__ import annotations

import pytest
from server_support import ivory_photo

from idtool.evidence.tokens import create_token

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis.checks import (  # noqa: E402
    not_a_server_error,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.generation import GenerationMode  # noqa: E402

EXAMPLES_PER_OPERATION = 12


@pytest.fixture
def fuzz_app(make_app):  # type: ignore[no-untyped-def]
    app = make_app(rate_limit_per_minute=0)
    token = create_token(app.extensions["idtool"].store, "fuzz.officer", "tester")
    return app, {"Authorization": f"Bearer {token}"}


@pytest.mark.slow
def test_requests_the_document_accepts_are_accepted(fuzz_app):  # type: ignore[no-untyped-def]
    app, auth = fuzz_app
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    photo = ivory_photo().read_bytes()
    checks = [
        not_a_server_error,
        positive_data_acceptance,
        status_code_conformance,
        response_schema_conformance,
    ]
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.label for op in operations} >= {
        "POST /api/v1/identifications",
        "GET /api/v1/identifications",
        "PUT /api/v1/identifications/{record_id}/original",
        "POST /api/v1/identifications/{record_id}/schreger",
        "PUT /api/v1/cases/{case_ref}",
        "GET /api/v1/cases/{case_ref}",
    }
    for operation in operations:

        @given(case=operation.as_strategy(GenerationMode.POSITIVE))
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
            derandomize=True,
        )
        def accepted(case):  # type: ignore[no-untyped-def]
            if isinstance(case.body, dict) and "image" in case.body:
                case.body["image"] = photo
            response = case.call(headers={**(case.headers or {}), **auth})
            case.validate_response(response, checks=checks)

        accepted()
