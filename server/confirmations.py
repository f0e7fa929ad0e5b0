"""``POST /api/v1/identifications/<id>/confirmation``: a laboratory's confirmed identity.

Supervisor tokens only. The confirmation is an append-only ``confirmation`` custody entry
(:mod:`idtool.evidence.confirmations`); a later one supersedes it, never erases it. The
reply is the record, whose ``confirmation`` block shows the current one and its history.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, g, jsonify

from idtool.cites.names import names_for
from idtool.errors import BadField, Forbidden
from idtool.evidence.confirmations import confirm_record
from idtool.evidence.tokens import Caller, Role
from idtool.learn.labels import known_taxa, resolve_label
from server.api import _json_body, record_body, visible_record
from server.auth import require_officer
from server.state import current_state

log = logging.getLogger(__name__)

bp = Blueprint("confirmations", __name__, url_prefix="/api/v1")
bp.before_request(require_officer)


def _field(payload: dict[str, object], name: str, required: bool) -> str | None:
    value = payload.get(name)
    if value is None:
        if required:
            raise BadField(f"{name} is required")
        return None
    if not isinstance(value, str):
        raise BadField(f"{name} must be a string")
    return value


@bp.post("/identifications/<record_id>/confirmation")
def confirm(record_id: str) -> Response:
    """Body ``{"label", "method", "by", "report_ref"?}``; reply: the confirmed record."""
    state = current_state()
    caller: Caller = g.caller
    if caller.role is not Role.SUPERVISOR:
        raise Forbidden("only a supervisor token can record a laboratory confirmation")
    record = visible_record(state, record_id)
    payload = _json_body()
    if not isinstance(payload, dict):
        raise BadField('send JSON {"label": ..., "method": ..., "by": ..., "report_ref": ...}')
    label = _field(payload, "label", True) or ""
    method = _field(payload, "method", True) or ""
    by = _field(payload, "by", True) or ""
    report_ref = _field(payload, "report_ref", False)
    model = state.model
    resolved = resolve_label(label, known_taxa(model.identifier.taxa), names_for(model.listings))
    confirmation = confirm_record(
        state.store,
        record.id,
        label=resolved,
        method=method,
        by=by,
        report_ref=report_ref,
        actor=caller.name,
    )
    log.info(
        "record %s confirmed as %s (%s) by %s",
        record.id,
        confirmation.label,
        confirmation.method,
        caller.name,
    )
    return jsonify(record_body(state.store.get(record.id), state))
