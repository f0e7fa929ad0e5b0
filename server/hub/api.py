"""``/api/v1/hub``: the sync endpoints a post's ``idtool sync`` calls, and the analysts'.

Sync (post tokens only): ``GET sync/checkpoint`` (what the hub holds and needs),
``POST sync/custody`` (entries continuing the post's log), ``POST sync/records``
(record versions its log names), ``GET|PUT sync/originals/<sha256>`` (resumable chunks,
``Content-Range: bytes START-END/TOTAL``).

Reading (analysts: every post; a post token: its own): ``GET records``,
``GET cases/<post>/<case_ref>``, ``GET links``, ``GET posts``,
``GET originals/<sha256>/thumbnail``.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, g, jsonify, request

from idtool.errors import BadField, Forbidden
from idtool.hub.blobs import UploadOffsetMismatch, check_sha256
from idtool.hub.database import transaction
from idtool.hub.queries import (
    RecordFilter,
    get_case,
    list_links,
    list_records,
    post_summaries,
)
from idtool.hub.tokens import HubCaller
from server.errors import error_response
from server.hub.state import current_hub

bp = Blueprint("hub_api", __name__, url_prefix="/api/v1/hub")
_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")


def bearer_token() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


@bp.before_request
def require_token() -> None:
    g.caller = current_hub().authenticate(bearer_token())


def caller() -> HubCaller:
    found: HubCaller = g.caller
    return found


def json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadField("send a JSON object (Content-Type: application/json)")
    return body


@bp.get("/sync/checkpoint")
def checkpoint() -> Response:
    return jsonify(current_hub().checkpoint(caller()).to_dict())


@bp.post("/sync/custody")
def push_custody() -> Response:
    body = json_body()
    entries = body.get("entries")
    if not isinstance(entries, list):
        raise BadField("'entries' must be a list of custody entries")
    post_head = body.get("post_head")
    if post_head is not None and not isinstance(post_head, dict):
        raise BadField("'post_head' must be {'seq', 'entry_hash'}")
    return jsonify(current_hub().push_custody(caller(), entries, post_head).to_dict())


@bp.post("/sync/records")
def push_records() -> Response:
    records = json_body().get("records")
    if not isinstance(records, list):
        raise BadField("'records' must be a list of records")
    return jsonify(current_hub().push_records(caller(), records).to_dict())


@bp.get("/sync/originals/<sha256>")
def original_status(sha256: str) -> Response:
    result = current_hub().original_status(caller(), sha256)
    return jsonify({"sha256": sha256, "stored": result.stored, "offset": result.offset})


@bp.put("/sync/originals/<sha256>")
def upload_chunk(sha256: str) -> Any:
    match = _RANGE.match(request.headers.get("Content-Range", ""))
    if match is None:
        raise BadField("send the chunk with 'Content-Range: bytes START-END/TOTAL'")
    start, end, total = (int(x) for x in match.groups())
    chunk = request.get_data(cache=False)
    if end - start + 1 != len(chunk) and not (total == 0 and not chunk):
        raise BadField(f"Content-Range says {end - start + 1} bytes, the body has {len(chunk)}")
    try:
        result = current_hub().upload_chunk(caller(), check_sha256(sha256), start, total, chunk)
    except UploadOffsetMismatch as exc:
        response = error_response(exc.code, exc.message, 409, {"Upload-Offset": str(exc.offset)})
        return response
    return jsonify({"sha256": sha256, "stored": result.stored, "offset": result.offset})


def _int_arg(name: str, default: int) -> int:
    value = request.args.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise BadField(f"{name} must be a whole number, not {value!r}") from None


@bp.get("/records")
def records() -> Response:
    args = request.args
    flt = RecordFilter(
        post=caller().readable_post(args.get("post") or None),
        case_ref=args.get("case_ref") or None,
        taxon=args.get("taxon") or None,
        since=args.get("since") or None,
        until=args.get("until") or None,
        sha256=args.get("sha256") or None,
        limit=_int_arg("limit", 100),
        offset=_int_arg("offset", 0),
    )
    with transaction(current_hub().url) as conn:
        found = list_records(conn, flt)
    return jsonify({"records": found, "count": len(found)})


@bp.get("/cases/<post>/<path:case_ref>")
def case(post: str, case_ref: str) -> Response:
    if not caller().may_read(post):
        raise Forbidden(f"the token of post {caller().post!r} cannot read post {post!r}")
    with transaction(current_hub().url) as conn:
        found = get_case(conn, post, case_ref)
    if caller().post is not None:
        found["links"] = [_own_side(link) for link in found["links"]]
    return jsonify(found)


def _own_side(link: dict[str, Any]) -> dict[str, Any]:
    """A post sees that a link exists, not the other post's record."""
    me = caller().post
    out = dict(link)
    for side in ("a", "b"):
        if link[side]["post"] != me:
            out[side] = {"post": "another post", "record_id": None, "sha256": None}
    return out


@bp.get("/links")
def links() -> Response:
    post = caller().readable_post(request.args.get("post") or None)
    with transaction(current_hub().url) as conn:
        found = list_links(conn, post)
    if caller().post is not None:
        found = [_own_side(link) for link in found]
    return jsonify({"links": found, "count": len(found)})


@bp.get("/posts")
def posts() -> Response:
    post = caller().readable_post(None)
    with transaction(current_hub().url) as conn:
        found = post_summaries(conn, post)
    return jsonify({"posts": found})


@bp.get("/originals/<sha256>/thumbnail")
def thumbnail(sha256: str) -> Response:
    return thumbnail_response(caller(), sha256)


def thumbnail_response(who: HubCaller, sha256: str) -> Response:
    """A JPEG thumbnail of an original, for an analyst, or for a post that holds a record
    naming it (the API and the analyst page both serve them).

    Raises:
        BadField: not a SHA-256.
        Forbidden: a post token, and no record of that post names the file.
    """
    check_sha256(sha256)
    hub = current_hub()
    if who.post is not None:
        with transaction(hub.url) as conn:
            row = conn.execute(
                "SELECT 1 FROM record_photos WHERE post = %s AND sha256 = %s", [who.post, sha256]
            ).fetchone()
        if row is None:
            raise Forbidden(f"no record of post {who.post} names the file {sha256}")
    response = Response(hub.blobs.thumbnail(sha256), mimetype="image/jpeg")
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response
