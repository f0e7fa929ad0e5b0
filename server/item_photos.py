"""``POST /api/v1/identifications/<id>/photos``: add another photo of the same item.

The new photo is stored as an original; every photo of the item (the record's first
photo, the ones added before, the new one) is identified again and the answers fused
(:mod:`idtool.decide.items`); the record's identification and guidance become the fused
ones (``decision_source`` ``...+item_fusion``, ``item``, ``photos``) and the custody log
gets an ``add_photo`` entry naming every photo by SHA-256.
"""

from __future__ import annotations

import logging
from dataclasses import fields
from typing import Any

from flask import Blueprint, Response, g, jsonify, request
from werkzeug.utils import secure_filename

from idtool.cites.guidance import TradeDeclaration
from idtool.decide.advice import AdvisedIdentification, with_advice
from idtool.decide.items import identify_item_decoded
from idtool.decide.lookalike import ModelConfusion
from idtool.errors import BadField, IdtoolError
from idtool.evidence.store import check_text, item_photo_hashes
from idtool.model.preprocess import decode_image
from server.api import owned_record, public_identification, record_body
from server.auth import require_officer
from server.state import ServerState, current_state
from server.uploads import incoming_file

log = logging.getLogger(__name__)

bp = Blueprint("item_photos", __name__, url_prefix="/api/v1")
bp.before_request(require_officer)

MAX_ITEM_PHOTOS = 12
TRADE_KEYS = tuple(f.name for f in fields(TradeDeclaration))


@bp.post("/identifications/<record_id>/photos")
def add_photo(record_id: str) -> tuple[Response, int]:
    """Add a photo (multipart field ``image``) to a record; reply with the fused record."""
    state = current_state()
    officer: str = g.officer
    state.limiter.check(officer)
    record = owned_record(state, record_id, "add photos to it")
    upload = request.files.get("image")
    if upload is None:
        raise BadField("send the photo as multipart/form-data with the field 'image'")
    hashes = item_photo_hashes(record)
    if len(hashes) >= MAX_ITEM_PHOTOS:
        raise BadField(f"an item has at most {MAX_ITEM_PHOTOS} photos")
    incoming = incoming_file(upload)
    settings = state.settings
    data = incoming.read_all()
    new_photo = decode_image(
        data, max_bytes=settings.max_image_bytes, max_pixels=settings.max_image_pixels
    )
    filename = check_text("filename", secure_filename(upload.filename or "")) or "upload"
    if incoming.sha256 in hashes:
        raise BadField("this photo is already part of the item")
    state.store.adopt_original(incoming.hand_over(), incoming.sha256, officer)
    names = _photo_names(record.identification, hashes, record.filename or "upload")
    images, failed = [], []
    model = state.model
    for sha256 in hashes:
        try:
            images.append(
                decode_image(
                    state.store.read_original(sha256),
                    max_bytes=settings.max_image_bytes,
                    max_pixels=settings.max_image_pixels,
                )
            )
        except IdtoolError as exc:
            failed.append(model.identifier.failed(names[sha256], exc, sha256))
    images.append(new_photo)
    photo_names = [names[h] for h in hashes if h not in {f.sha256 for f in failed}] + [filename]
    with model.lock:
        fused = identify_item_decoded(
            model.identifier, images, photo_names, failed, name=record.filename or record.id
        )
    declaration = TradeDeclaration(**{k: record.declaration.get(k) for k in TRADE_KEYS})
    advised = with_advice(
        fused, declaration, model.listings, ModelConfusion.from_meta(model.identifier.bundle.meta)
    )
    updated = state.store.set_item_identification(
        record.id,
        _public(advised, state),
        advised.guidance_dict() or record.guidance,
        incoming.sha256,
        officer,
    )
    log.info("record %s: photo %s added, now %s", record.id, incoming.sha256[:12], fused.label)
    return jsonify(record_body(updated, state)), 200


def _photo_names(identification: dict[str, Any], hashes: list[str], first: str) -> dict[str, str]:
    names = {hashes[0]: first}
    for photo in identification.get("photos") or []:
        if isinstance(photo, dict) and photo.get("sha256"):
            names.setdefault(photo["sha256"], str(photo.get("image") or photo["sha256"][:12]))
    for sha256 in hashes:
        names.setdefault(sha256, sha256[:12])
    return names


def _public(fused: AdvisedIdentification, state: ServerState) -> dict[str, Any]:
    """The stored shape: no server paths, per-photo guidance left out (the item has one)."""
    body = public_identification(fused, state)
    body["photos"] = [
        {k: v for k, v in photo.items() if k not in ("guidance",)}
        | {
            "nearest_references": [
                {k: v for k, v in ref.items() if k != "path"}
                for ref in photo.get("nearest_references") or []
            ]
        }
        for photo in body.get("photos") or []
    ]
    return body
