"""The JSON API under ``/api/v1``: identifications, Schreger angles, reference thumbnails.

Every route needs ``Authorization: Bearer <token>`` (checked in ``before_request``).
Bodies follow :meth:`idtool.evidence.store.EvidenceRecord.to_dict` plus ``links`` and
``forensics``; errors are ``{"error": {"code", "message"}}`` (see ``server.errors``).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, g, jsonify, request, url_for
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

from idtool.cites.codes import PURPOSE_CODES, SOURCE_CODES, purpose_meaning, source_meaning
from idtool.cites.countries import countries, country_name
from idtool.cites.guidance import TradeDeclaration
from idtool.decide.advice import with_advice
from idtool.errors import BadField, Conflict
from idtool.evidence.custody import now_iso
from idtool.evidence.store import EvidenceRecord, check_text
from idtool.forensics.schreger import angles_from_points, classify
from idtool.i18n import get_language
from idtool.model.exif import extract_exif
from idtool.model.preprocess import decode_image
from idtool.types import Identification
from server.auth import require_officer
from server.state import ServerState, current_state
from server.uploads import incoming_file

log = logging.getLogger(__name__)

bp = Blueprint("api", __name__, url_prefix="/api/v1")
bp.before_request(require_officer)

TRADE_FIELDS = ("origin_country", "export_country", "destination_country", "purpose", "source")
IVORY_LABELS = frozenset({"material_ivory_or_bone"})
IVORY_TAXA = ("Loxodonta", "Elephas", "Mammuthus", "Elephantidae", "Proboscidea", "Elephantidea")
MAX_LIST = 200
MAX_ANGLES = 50


def declaration_from_form(form: Any) -> TradeDeclaration:
    """Raises: BadField: unknown country, purpose or source code."""
    values = {name: (form.get(name) or "").strip() or None for name in TRADE_FIELDS}
    return TradeDeclaration.from_values(**values)


def public_identification(identification: Identification, state: ServerState) -> dict[str, Any]:
    """``Identification.to_dict()`` with server file paths replaced by reference ids.

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
    body["forensics"] = {
        "schreger": {
            "applicable": is_ivory(ident),
            "url": url_for("api.measure_schreger", record_id=record.id),
        }
    }
    body["links"] = {"self": url_for("api.get_identification", record_id=record.id)}
    return body


def _image_upload() -> FileStorage:
    upload = request.files.get("image")
    if upload is None:
        if request.mimetype != "multipart/form-data":
            raise BadField(
                "send the photo as multipart/form-data with the field 'image' "
                f"(got Content-Type {request.mimetype or 'none'!r})"
            )
        raise BadField("the field 'image' (the photo) is required")
    return upload


@bp.post("/identifications")
def create_identification() -> tuple[Response, int, dict[str, str]]:
    """Upload a photo, identify it, attach guidance, store the evidence."""
    state = current_state()
    officer: str = g.officer
    state.limiter.check(officer)
    key = check_text("idempotency_key", request.headers.get("Idempotency-Key"))
    incoming = incoming_file(_image_upload())
    sha256 = incoming.sha256
    if key:
        existing = state.store.find_by_idempotency(officer, key)
        if existing is not None:
            if existing.sha256 != sha256:
                raise Conflict(
                    "this Idempotency-Key was already used for a different photo; "
                    "use a new key for each photo"
                )
            return jsonify(record_body(existing, state)), 201, {"Idempotent-Replayed": "true"}
    declaration = declaration_from_form(request.form)
    case_ref = check_text("case_ref", request.form.get("case_ref"))
    notes = check_text("notes", request.form.get("notes"))
    filename = check_text("filename", secure_filename(request.files["image"].filename or ""))
    filename = filename or "upload"
    settings = state.settings
    data = incoming.read_all()
    decoded = decode_image(
        data, max_bytes=settings.max_image_bytes, max_pixels=settings.max_image_pixels
    )
    model = state.model
    identification = with_advice(model.identify(decoded, filename), declaration, model.listings)
    guidance = identification.extra["guidance"]
    state.store.adopt_original(incoming.hand_over(), sha256, officer)
    record = EvidenceRecord(
        id=state.store.new_record_id(),
        created_at=now_iso(),
        officer=officer,
        sha256=sha256,
        byte_count=len(data),
        media_format=decoded.media_format,
        exif=extract_exif(data),
        declaration=declaration.to_dict(),
        identification=public_identification(identification, state),
        guidance=guidance,
        model_version=identification.model_version,
        reference_version=identification.reference_version,
        listing_set=model.listing_set,
        case_ref=case_ref,
        notes=notes,
        idempotency_key=key,
        filename=filename,
    )
    record, created = state.store.add_record(record)
    headers = {"Location": url_for("api.get_identification", record_id=record.id)}
    if not created:
        headers["Idempotent-Replayed"] = "true"
    log.info("record %s by %s: %s", record.id, officer, identification.decision)
    return jsonify(record_body(record, state)), 201, headers


@bp.get("/identifications/<record_id>")
def get_identification(record_id: str) -> Response:
    state = current_state()
    record = state.store.get(record_id)
    state.store.log(g.officer, "view", record)
    return jsonify(record_body(record, state))


@bp.get("/identifications")
def list_identifications() -> Response:
    """Records of one case (``?case_ref=``), else the latest ``limit`` (default 50)."""
    state = current_state()
    case_ref = check_text("case_ref", request.args.get("case_ref"))
    try:
        limit = int(request.args.get("limit", "50"))
    except ValueError:
        raise BadField("limit must be a whole number") from None
    if not 1 <= limit <= MAX_LIST:
        raise BadField(f"limit must be between 1 and {MAX_LIST}")
    records = state.store.list_records(case_ref, limit=limit)
    for record in records:
        state.store.log(g.officer, "view", record, {"via": "list", "case_ref": case_ref})
    items = [record_body(r, state) for r in records]
    return jsonify({"case_ref": case_ref, "count": len(items), "items": items})


@bp.post("/identifications/<record_id>/schreger")
def measure_schreger(record_id: str) -> Response:
    """Schreger angles from tapped points: ``{"triples": [[vertex, a, b], ...]}``."""
    state = current_state()
    record = state.store.get(record_id)
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or not isinstance(payload.get("triples"), list):
        raise BadField('send JSON {"triples": [[[x, y], [x, y], [x, y]], ...]} in image pixels')
    triples = payload["triples"]
    if not 1 <= len(triples) <= MAX_ANGLES:
        raise BadField(f"send between 1 and {MAX_ANGLES} angles")
    measurements = angles_from_points(triples)
    quality = record.identification.get("quality") or {}
    width, height = quality.get("width_px"), quality.get("height_px")
    if width and height:
        for i, m in enumerate(measurements, start=1):
            for x, y in (m.vertex, *m.arms):
                if not (0 <= x <= width and 0 <= y <= height):
                    raise BadField(
                        f"angle {i}: point ({x}, {y}) is outside the {width}x{height} photo"
                    )
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
    """Countries, purpose and source codes with their meanings (for the phone page).

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
        }
    )
