"""``/api/v1/cases/<case_ref>``: the seizure facts of a case, its records and their answers.

``PUT`` takes a JSON object of facts (a partial update: the fields sent change, the
others stay; ``null`` or ``""`` clears one) and stores a new version, logged in the
custody chain (:mod:`idtool.evidence.cases`). Send ``If-Match: <version>`` (the
``version`` or ``ETag`` of the last read; ``0`` for a new case) so a change made by
someone else in between is answered 409 instead of being overwritten. Any officer of the
post may read and write a case's facts; the records listed are those the caller may read
(officers their own, supervisors everyone's).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, g, jsonify, request, url_for

from idtool.errors import BadField, FieldTooLarge, UnsupportedMediaType
from idtool.evidence.cases import CaseFile, get_case, set_case_facts
from idtool.evidence.tokens import Caller
from server.api import record_body
from server.auth import require_officer
from server.state import current_state

bp = Blueprint("cases", __name__, url_prefix="/api/v1")
bp.before_request(require_officer)

MAX_BODY_BYTES = 64 * 1024


def _facts_body() -> dict[str, Any]:
    """The JSON object sent.

    Raises:
        UnsupportedMediaType: not ``application/json`` (415).
        FieldTooLarge: more than 64 KiB (413).
        BadField: not JSON, or not an object.
    """
    if not request.is_json:
        raise UnsupportedMediaType(
            f"send JSON with Content-Type application/json (got {request.mimetype or 'none'!r})"
        )
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise FieldTooLarge(f"the seizure facts may be at most {MAX_BODY_BYTES:,} bytes")
    data = request.stream.read(MAX_BODY_BYTES + 1)
    if len(data) > MAX_BODY_BYTES:
        raise FieldTooLarge(f"the seizure facts may be at most {MAX_BODY_BYTES:,} bytes")
    try:
        body = json.loads(data)
    except (ValueError, RecursionError):
        raise BadField("the body is not valid JSON (or is nested too deeply)") from None
    if not isinstance(body, dict):
        raise BadField('send a JSON object of seizure facts, e.g. {"quantity": 12, "unit": "kg"}')
    return body


def _if_match() -> int | None:
    """The version named by ``If-Match`` (``3`` or ``"3"``), or None.

    Raises:
        BadField: not a whole number.
    """
    value = request.headers.get("If-Match")
    if value is None or not value.strip():
        return None
    text = value.strip().removeprefix("W/").strip('"')
    if not text.isdigit() or len(text) > 9:
        raise BadField('If-Match must be the case version you read, e.g. If-Match: "3"')
    return int(text)


def case_body(case: CaseFile) -> dict[str, Any]:
    """The API shape: the case, and the records the caller may read, with their answers."""
    caller: Caller = g.caller
    state = current_state()
    body = case.to_dict()
    body["records"] = [record_body(r, state) for r in case.records if caller.may_read(r.officer)]
    body["links"] = {"self": url_for("cases.get_case_facts", case_ref=case.case_ref)}
    return body


def _answer(case: CaseFile, status: int) -> tuple[Response, int, dict[str, str]]:
    return jsonify(case_body(case)), status, {"ETag": f'"{case.version}"'}


@bp.get("/cases/<path:case_ref>")
def get_case_facts(case_ref: str) -> tuple[Response, int, dict[str, str]]:
    """The case's facts, version history and records (one ``view`` custody entry)."""
    state = current_state()
    caller: Caller = g.caller
    case = get_case(state.store, case_ref)
    shown = [r for r in case.records if caller.may_read(r.officer)]
    state.store.log_view(caller.name, shown, {"via": "case", "case_ref": case.case_ref})
    return _answer(case, 200)


@bp.put("/cases/<path:case_ref>")
def put_case_facts(case_ref: str) -> tuple[Response, int, dict[str, str]]:
    """Change some facts of a case (a new version); 201 when it creates the case's facts."""
    state = current_state()
    caller: Caller = g.caller
    expected = _if_match()
    changes = _facts_body()
    case, changed = set_case_facts(state.store, case_ref, changes, caller.name, expected)
    headers_status = 201 if changed and case.version == 1 else 200
    return _answer(case, headers_status)
