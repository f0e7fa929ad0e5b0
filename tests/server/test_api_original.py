# ruff: noqa: F811
"""Working copy first, original after: ``original_pending=1`` and PUT .../original."""

from __future__ import annotations

import hashlib
import io

from phone_photos import phone_jpeg, phone_jpeg_of, phone_pixels
from server_support import (  # noqa: F401
    app,
    auth,
    client,
    ivory_photo,
    make_app,
    server_home,
    store,
    token,
)
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from idtool.evidence.tokens import create_token


def working_copy(data: bytes, longest_px: int = 1600) -> bytes:
    """What the phone page sends first: upright, longest side 1600 px, JPEG 0.85, no EXIF."""
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(data)) as img:
        upright = ImageOps.exif_transpose(img)
        upright.thumbnail((longest_px, longest_px), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        upright.convert("RGB").save(out, "JPEG", quality=85)
    return out.getvalue()


def multipart(client, method, path, headers, data, **fields):  # type: ignore[no-untyped-def]
    """The body is encoded here, in memory: the test client would spool a photo over
    500 KB to a temporary file that it never closes (a ResourceWarning)."""
    image = FileStorage(io.BytesIO(data), filename="IMG_0042.jpg", content_type="image/jpeg")
    values = {**fields, "image": image}
    boundary, body = encode_multipart(values)
    return client.open(
        path,
        method=method,
        headers=headers,
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def upload(client, headers, data, **fields):  # type: ignore[no-untyped-def]
    return multipart(client, "POST", "/api/v1/identifications", headers, data, **fields)


def put_original(client, headers, record_id, data, key="orig-1"):  # type: ignore[no-untyped-def]
    path = f"/api/v1/identifications/{record_id}/original"
    return multipart(client, "PUT", path, {**headers, "Idempotency-Key": key}, data)


def test_working_copy_first_then_the_original_is_attached_byte_for_byte(client, auth, store):
    original = phone_jpeg_of(ivory_photo(), 6)
    assert 3_000_000 <= len(original) <= 6_000_000
    copy = working_copy(original)
    r = upload(client, {**auth, "Idempotency-Key": "k-1"}, copy, original_pending="1")
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["original"] == {
        "status": "pending",
        "sha256": None,
        "bytes": None,
        "media_format": None,
        "working_copy": True,
    }
    assert body["evidence"]["sha256"] == hashlib.sha256(copy).hexdigest()
    assert body["identification"]["quality"]["width_px"] == 1200  # upright: 3024x4032 -> 1200x1600
    assert body["evidence"]["exif"].get("make") is None

    r = put_original(client, auth, body["id"], original)
    assert r.status_code == 200, r.get_json()
    attached = r.get_json()
    sha = hashlib.sha256(original).hexdigest()
    assert attached["original"]["status"] == "received"
    assert attached["original"]["sha256"] == sha
    assert attached["original"]["bytes"] == len(original)
    assert attached["evidence"]["exif"]["make"] == "Samsung"  # taken from the original
    assert store.read_original(sha) == original
    assert (
        client.get(f"/api/v1/identifications/{body['id']}", headers=auth).get_json()["original"]
        == attached["original"]
    )
    entries = [e for e in store.custody(body["id"]) if e.action == "original"]
    assert len(entries) == 1
    assert entries[0].sha256 == sha
    assert entries[0].details["working_copy_sha256"] == body["evidence"]["sha256"]

    # a retry of the same original is harmless; another file is refused
    again = put_original(client, auth, body["id"], original, key="orig-1")
    assert again.status_code == 200 and again.get_json()["original"]["sha256"] == sha
    assert len([e for e in store.custody(body["id"]) if e.action == "original"]) == 1
    other = put_original(
        client, auth, body["id"], phone_jpeg(phone_pixels(ivory_photo(), seed=1), 6)
    )
    assert other.status_code == 409
    assert other.get_json()["error"]["code"] == "conflict"
    assert store.verify().ok, store.verify().problems


def test_an_upload_without_original_pending_is_its_own_original(client, auth, store):
    original = phone_jpeg_of(ivory_photo(), 6)
    r = upload(client, auth, original)
    assert r.status_code == 201, r.get_json()  # a 3-6 MB photo is accepted (was 413)
    body = r.get_json()
    sha = hashlib.sha256(original).hexdigest()
    assert body["original"]["status"] == "received"
    assert body["original"]["sha256"] == sha == body["evidence"]["sha256"]
    assert body["original"]["working_copy"] is False
    r = put_original(client, auth, body["id"], phone_jpeg(phone_pixels(ivory_photo(), seed=2), 6))
    assert r.status_code == 409
    assert store.verify().ok


def test_original_refusals(client, auth, store):
    copy = working_copy(phone_jpeg_of(ivory_photo(), 6))
    record_id = upload(client, auth, copy, original_pending="1").get_json()["id"]
    r = put_original(client, auth, record_id, b"this is a text file, not a photo\n")
    assert r.status_code == 415, r.get_json()
    r = put_original(client, auth, record_id, phone_jpeg_of(ivory_photo(), 6)[:200_000])
    assert r.status_code == 422, r.get_json()
    other = {"Authorization": f"Bearer {create_token(store, 'officer.two', 'tester')}"}
    r = put_original(client, other, record_id, phone_jpeg_of(ivory_photo(), 6))
    assert r.status_code == 404
    assert put_original(client, auth, "nope", phone_jpeg_of(ivory_photo(), 6)).status_code == 404
    r = upload(client, auth, copy, original_pending="maybe")
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "bad_field"
    assert store.get(record_id).original_status == "pending"
    assert store.verify().ok
