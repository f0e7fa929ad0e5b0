"""The JSON API under ``/api/v1``: identifications, Schreger angles, reference thumbnails.

Every route needs ``Authorization: Bearer <token>`` (checked in ``before_request``).
Bodies follow :meth:`idtool.evidence.store.EvidenceRecord.to_dict` plus ``links`` and
``forensics``; errors are ``{"error": {"code", "message"}}`` (see ``server.errors``).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Blueprint, Response, g, jsonify, request, url_for
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

from idtool.cites.codes import PURPOSE_CODES, SOURCE_CODES, purpose_meaning, source_meaning
from idtool.cites.countries import countries, country_name
from idtool.cites.guidance import TradeDeclaration
from idtool.cites.seizure_codes import SEIZURE_VOCABULARIES
from idtool.decide.advice import AdvisedIdentification, with_advice
from idtool.decide.lookalike import ModelConfusion
from idtool.errors import BadField, Conflict, Forbidden, NotFound, UnsupportedMediaType
from idtool.evidence.confirmations import confirmation_view
from idtool.evidence.custody import now_iso
from idtool.evidence.records import OriginalPhoto, OriginalStatus, submission_of
from idtool.evidence.store import EvidenceRecord, check_text
from idtool.evidence.tokens import Caller, Role
from idtool.forensics.schreger import angles_from_points, classify
from idtool.i18n import get_language
from idtool.model.exif import extract_exif
from idtool.model.preprocess import decode_image
from server.auth import require_officer
from server.state import ServerState, current_state
from server.uploads import incoming_file

log = logging.getLogger(__name__)

bp = Blueprint("api", __name__, url_prefix="/api/v1")
bp.before_request(require_officer)

TRADE_FIELDS = ("origin_country", "export_country", "destination_country", "purpose", "source")
IVORY_LABELS = frozenset(
    {"material_ivory_or_bone", "material_ivory", "material_walrus_ivory", "material_bone"}
)  # labels whose triage card includes the Schreger check
IVORY_TAXA = ("Loxodonta", "Elephas", "Mammuthus", "Elephantidae", "Proboscidea", "Elephantidea")
MAX_LIST = 200
MAX_ANGLES = 50


def declaration_from_form(form: Any) -> TradeDeclaration:
    """Raises: BadField: unknown country, purpose or source code."""
    values = {name: (form.get(name) or "").strip() or None for name in TRADE_FIELDS}
    return TradeDeclaration.from_values(**values)


def public_identification(
    identification: AdvisedIdentification, state: ServerState
) -> dict[str, Any]:
    """``AdvisedIdentification.to_dict()`` with server file paths replaced by reference ids.

    The guidance is returned beside it (the record's ``guidance``), not inside it.
    """
    body = identification.to_dict()
    body.pop("guidance", None)
    nearest = []
    for ref in body.get("nearest_references") or []:
        nearest.append({k: v for k, v in ref.items() if k != "path"})
    body["nearest_references"] = nearest
    return body


def is_ivory(identification: dict[str, Any]) -> bool:
    labels = [identification.get("label") or ""]
    labels += [c.get("label") or "" for c in identification.get("candidates") or []]
    return any(
        label in IVORY_LABELS or label.split(" ")[0] in IVORY_TAXA for label in labels if label
    )


def record_body(record: EvidenceRecord, state: ServerState) -> dict[str, Any]:
    """The API shape of a record: the stored record plus links and reference thumbnails."""
    body = record.to_dict()
    ident = body["identification"]
    thumbs: dict[str, int] = {}
    for ref in ident.get("nearest_references") or []:
        thumbs.setdefault(ref["label"], ref["image_id"])
    references = []
    for cand in ident.get("candidates") or []:
        image_id = thumbs.get(cand["label"]) or state.representative_image(cand["label"])
        references.append(
            {
                "label": cand["label"],
                "image_id": image_id,
                "thumbnail_url": None
                if image_id is None
                else url_for("api.reference_thumbnail", image_id=image_id),
            }
        )
    body["references"] = references
    body["confirmation"] = confirmation_view(state.store.custody(record.id))
    body["forensics"] = {
        "schreger": {
            "applicable": is_ivory(ident),
            "url": url_for("api.measure_schreger", record_id=record.id),
        }
    }
    body["links"] = {"self": url_for("api.get_identification", record_id=record.id)}
    return body


def _image_upload() -> FileStorage:
    """The ``image`` part of a multipart form.

    Raises:
        UnsupportedMediaType: the body is not ``multipart/form-data`` (415).
        BadField: no ``image`` part.
    """
    if request.mimetype != "multipart/form-data":
        raise UnsupportedMediaType(
            "send the photo as multipart/form-data with the field 'image' "
            f"(got Content-Type {request.mimetype or 'none'!r})"
        )
    upload = request.files.get("image")
    if upload is None:
        raise BadField("the field 'image' (the photo) is required")
    return upload


def _json_body() -> Any:
    """The request body parsed as JSON.

    Raises:
        UnsupportedMediaType: not ``application/json`` (415).
        BadField: not valid JSON, or nested too deeply to parse.
    """
    if not request.is_json:
        raise UnsupportedMediaType(
            f"send JSON with Content-Type application/json (got {request.mimetype or 'none'!r})"
        )
    try:
        return json.loads(request.get_data(cache=False))
    except (ValueError, RecursionError):
        raise BadField("the body is not valid JSON (or is nested too deeply)") from None


def _flag(name: str) -> bool:
    """A form flag: ``1``/``true`` or ``0``/``false``/absent. Raises: BadField."""
    value = (request.form.get(name) or "").strip().lower()
    if value in {"", "0", "false"}:
        return False
    if value in {"1", "true"}:
        return True
    raise BadField(f"{name} must be 1 or 0")


def visible_record(state: ServerState, record_id: str) -> EvidenceRecord:
    """The record, if this caller may read it (officers: their own; supervisors: all).

    Raises:
        NotFound: no such record, or another officer's (not revealed to officers).
    """
    record = state.store.get(record_id)
    caller: Caller = g.caller
    if not caller.may_read(record.officer):
        raise NotFound(f"no identification record {record_id!r}")
    return record


def owned_record(state: ServerState, record_id: str, change: str) -> EvidenceRecord:
    """The record, if this caller made it: only its officer changes a record.

    One rule for every change (attach the original, add a photo, store a Schreger
    measurement): a supervisor reads every record but changes none.

    Args:
        change: what the caller tried, for the message (e.g. ``"add photos to it"``).

    Raises:
        NotFound: no such record, or another officer's (not revealed to officers).
        Forbidden: a supervisor's token on another officer's record (403).
    """
    record = visible_record(state, record_id)
    caller: Caller = g.caller
    if record.officer != caller.name:
        raise Forbidden(f"only {record.officer}, who made this record, can {change}")
    return record


def photo_size_px(state: ServerState, record: EvidenceRecord) -> tuple[int, int]:
    """(width, height) of the record's photo, upright: the one Schreger points are on.

    From the identification's ``quality`` where it has one, else (a fused item's answer
    has none) from the stored photo itself.

    Raises:
        NotFound: the record's photo is missing from the store.
        InvalidImage: the stored photo can no longer be read.
    """
    quality = record.identification.get("quality") or {}
    width, height = quality.get("width_px"), quality.get("height_px")
    if isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0:
        return width, height
    settings = state.settings
    decoded = decode_image(
        state.store.read_original(record.sha256),
        max_bytes=settings.max_image_bytes,
        max_pixels=settings.max_image_pixels,
    )
    return decoded.original_size_px


@bp.post("/identifications")
def create_identification() -> tuple[Response, int, dict[str, str]]:
    """Upload a photo, identify it, attach guidance, store the evidence.

    With ``original_pending=1`` the photo is a working copy (a smaller JPEG the phone
    sends first); the full original follows with ``PUT .../original``.
    """
    state = current_state()
    officer: str = g.officer
    state.limiter.check(officer)
    key = check_text("idempotency_key", request.headers.get("Idempotency-Key"))
    incoming = incoming_file(_image_upload())
    sha256 = incoming.sha256
    declaration = declaration_from_form(request.form)
    case_ref = check_text("case_ref", request.form.get("case_ref"))
    notes = check_text("notes", request.form.get("notes"))
    original_pending = _flag("original_pending")
    if key:
        existing = state.store.find_by_idempotency(officer, key)
        if existing is not None:
            submission = submission_of(sha256, declaration.to_dict(), case_ref, notes)
            state.store.check_replay(existing, submission)
            return jsonify(record_body(existing, state)), 201, {"Idempotent-Replayed": "true"}
    filename = check_text("filename", secure_filename(request.files["image"].filename or ""))
    filename = filename or "upload"
    settings = state.settings
    data = incoming.read_all()
    model = state.model
    decoded = decode_image(
        data,
        max_bytes=settings.max_image_bytes,
        max_pixels=settings.max_image_pixels,
        fit=model.identifier.decode_config,
    )
    identification = with_advice(
        model.identify(decoded, filename),
        declaration,
        model.listings,
        ModelConfusion.from_meta(model.identifier.bundle.meta),
    )
    guidance = identification.guidance_dict() or {}
    state.store.adopt_original(incoming.hand_over(), sha256, officer)
    created_at = now_iso()
    exif = extract_exif(data)
    original = (
        OriginalPhoto(OriginalStatus.PENDING)
        if original_pending
        else OriginalPhoto(
            OriginalStatus.RECEIVED,
            sha256,
            len(data),
            decoded.media_format,
            created_at,
            exif,
            working_copy=False,
        )
    )
    record = EvidenceRecord(
        id=state.store.new_record_id(),
        created_at=created_at,
        officer=officer,
        sha256=sha256,
        byte_count=len(data),
        media_format=decoded.media_format,
        exif=exif,
        declaration=declaration.to_dict(),
        identification=public_identification(identification, state),
        guidance=guidance,
        model_version=identification.identification.model_version,
        reference_version=identification.identification.reference_version,
        listing_set=model.listing_set,
        case_ref=case_ref,
        notes=notes,
        idempotency_key=key,
        filename=filename,
        original=original,
    )
    record, created = state.store.add_record(record)
    headers = {"Location": url_for("api.get_identification", record_id=record.id)}
    if not created:
        headers["Idempotent-Replayed"] = "true"
    else:
        log.info(
            "record %s created by %s: %s (%s, %d bytes%s)",
            record.id,
            officer,
            identification.identification.decision,
            decoded.media_format,
            len(data),
            ", working copy" if original_pending else "",
        )
    return jsonify(record_body(record, state)), 201, headers


@bp.put("/identifications/<record_id>/original")
def put_original(record_id: str) -> tuple[Response, int, dict[str, str]]:
    """Attach the full original photo to a record made from a working copy.

    Stored byte for byte; the custody log links the working copy's SHA-256 to the
    original's. The same original again (a retry) returns the same answer.
    """
    state = current_state()
    caller: Caller = g.caller
    key = check_text("idempotency_key", request.headers.get("Idempotency-Key"))
    record = owned_record(state, record_id, "attach its original")
    incoming = incoming_file(_image_upload())
    stored = record.original_or_photo()
    if stored.status is OriginalStatus.RECEIVED:
        if stored.sha256 == incoming.sha256:
            return jsonify(record_body(record, state)), 200, {"Idempotent-Replayed": "true"}
        raise Conflict(
            f"record {record_id} already has its original (SHA-256 {stored.sha256}); "
            "a different file cannot replace it"
        )
    settings = state.settings
    data = incoming.read_all()
    decoded = decode_image(
        data, max_bytes=settings.max_image_bytes, max_pixels=settings.max_image_pixels
    )
    sha256 = incoming.sha256
    state.store.adopt_original(incoming.hand_over(), sha256, caller.name)
    original = OriginalPhoto(
        OriginalStatus.RECEIVED,
        sha256,
        len(data),
        decoded.media_format,
        now_iso(),
        extract_exif(data),
    )
    updated, attached = state.store.attach_original(record_id, original, caller.name, key)
    headers = {} if attached else {"Idempotent-Replayed": "true"}
    if attached:
        log.info(
            "record %s: original received from %s (%s, %d bytes; working copy %s)",
            record_id,
            caller.name,
            sha256[:12],
            len(data),
            record.sha256[:12],
        )
    return jsonify(record_body(updated, state)), 200, headers


@bp.get("/identifications/<record_id>")
def get_identification(record_id: str) -> Response:
    state = current_state()
    record = visible_record(state, record_id)
    state.store.log_view(g.officer, [record], {"via": "get"})
    return jsonify(record_body(record, state))


@bp.get("/identifications")
def list_identifications() -> Response:
    """Records of one case (``?case_ref=``), else the latest ``limit`` (default 50).

    Officers see their own records; a supervisor token sees every officer's. One
    ``view`` custody entry per request names the records shown.
    """
    state = current_state()
    caller: Caller = g.caller
    case_ref = check_text("case_ref", request.args.get("case_ref"))
    try:
        limit = int(request.args.get("limit", "50"))
    except ValueError:
        raise BadField("limit must be a whole number") from None
    if not 1 <= limit <= MAX_LIST:
        raise BadField(f"limit must be between 1 and {MAX_LIST}")
    only = None if caller.role is Role.SUPERVISOR else caller.name
    records = state.store.list_records(case_ref, limit=limit, officer=only)
    state.store.log_view(caller.name, records, {"via": "list", "case_ref": case_ref})
    items = [record_body(r, state) for r in records]
    return jsonify({"case_ref": case_ref, "count": len(items), "items": items})


@bp.post("/identifications/<record_id>/schreger")
def measure_schreger(record_id: str) -> Response:
    """Schreger angles from tapped points: ``{"triples": [[vertex, a, b], ...]}``."""
    state = current_state()
    record = owned_record(state, record_id, "store a Schreger measurement on it")
    payload = _json_body()
    if not isinstance(payload, dict) or not isinstance(payload.get("triples"), list):
        raise BadField('send JSON {"triples": [[[x, y], [x, y], [x, y]], ...]} in image pixels')
    triples = payload["triples"]
    if not 1 <= len(triples) <= MAX_ANGLES:
        raise BadField(f"send between 1 and {MAX_ANGLES} angles")
    measurements = angles_from_points(triples, photo_size_px(state, record))
    result = classify(measurements, method="manual").to_dict()
    updated = state.store.set_schreger(record.id, result, g.officer)
    return jsonify(record_body(updated, state))


@bp.get("/references/<int:image_id>/thumbnail")
def reference_thumbnail(image_id: int) -> Response:
    data, photo = current_state().thumbnail(image_id)
    response = Response(data, mimetype="image/jpeg")
    response.headers["Cache-Control"] = "private, max-age=86400"
    response.headers["X-Reference-Label"] = photo.label
    if photo.licence:
        response.headers["X-Reference-Licence"] = photo.licence
    return response


@bp.get("/vocabularies")
def vocabularies() -> Response:
    """Countries, purpose and source codes, and the seizure code lists (for the phone page).

    Names and meanings are in the request's language; ``lang`` says which.
    """
    return jsonify(
        {
            "lang": get_language(),
            "countries": [
                {"code": c.code, "name": country_name(c.code)} for c in countries().values()
            ],
            "purposes": [{"code": c, "meaning": purpose_meaning(c)} for c in PURPOSE_CODES],
            "sources": [{"code": c, "meaning": source_meaning(c)} for c in SOURCE_CODES],
            "seizure": {
                name: [code.to_dict() for code in table.values()]
                for name, table in SEIZURE_VOCABULARIES.items()
            },
        }
    )
