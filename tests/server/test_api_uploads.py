"""Real-size phone photos through POST /api/v1/identifications (issue 11).

A 12 MP JPEG of 3-4 MB straight from a phone used to get ``413 image_too_large``; every
test here sends real-size photos and checks the stored original byte for byte.
"""

from __future__ import annotations

import hashlib

import pytest
from phone_photos import PHONE_SIZE_PX, PhonePhotos
from server_support import phone_ivory, upload

from idtool.evidence.tokens import create_token
from idtool.evidence.verify import verify_store

MIB = 1024 * 1024


def error_code(response, status: int) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.data[:300]
    return response.get_json()["error"]["code"]


def assert_stored_byte_for_byte(store, body, data: bytes) -> None:  # type: ignore[no-untyped-def]
    sha = hashlib.sha256(data).hexdigest()
    assert body["evidence"]["sha256"] == sha
    assert body["evidence"]["bytes"] == len(data)
    stored = store.original_path(sha)
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == sha
    assert store.read_original(sha) == data


def assert_no_leftovers(store) -> None:  # type: ignore[no-untyped-def]
    assert list(store.incoming_dir.iterdir()) == []


@pytest.mark.parametrize("orientation", [1, 3, 6, 8])
def test_12_mp_phone_jpeg_is_accepted_stored_and_identified(
    client, auth, store, phone_photos: PhonePhotos, orientation
):
    data = phone_photos.jpeg[orientation]
    assert 3 * MIB <= len(data) <= 6 * MIB
    r = upload(client, auth, data, "IMG_20250614_091233.jpg", case_ref="CASE-12MP")
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert_stored_byte_for_byte(store, body, data)
    assert body["evidence"]["media_format"] == "jpeg"
    exif = body["evidence"]["exif"]
    assert exif["make"] == "Samsung" and exif["orientation"] == orientation
    assert abs(exif["gps_latitude"] + 1.2921) < 1e-4
    quality = body["identification"]["quality"]
    width, height = PHONE_SIZE_PX if orientation in (1, 3) else PHONE_SIZE_PX[::-1]
    assert (quality["width_px"], quality["height_px"]) == (width, height)
    assert body["identification"]["decision"] in {"identified", "uncertain", "not_in_reference"}
    assert_no_leftovers(store)
    assert verify_store(store).ok


def test_12_mp_png_is_accepted_byte_for_byte(client, auth, store, phone_photos: PhonePhotos):
    data = phone_photos.png
    r = upload(client, auth, data, "scan.png")
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert_stored_byte_for_byte(store, body, data)
    assert body["evidence"]["media_format"] == "png"
    assert_no_leftovers(store)


def test_heic_is_accepted_byte_for_byte(client, auth, store, phone_photos: PhonePhotos):
    if phone_photos.heic is None:
        pytest.skip("pillow-heif has no HEIF encoder here")
    data = phone_photos.heic
    r = upload(client, auth, data, "IMG_0001.HEIC")
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert_stored_byte_for_byte(store, body, data)
    assert body["evidence"]["media_format"] == "heic"
    assert body["evidence"]["exif"]["make"] == "Samsung"


def padded(data: bytes, size: int) -> bytes:
    """``data`` plus a trailer after the JPEG end marker (as phone motion photos carry)."""
    return data + bytes(size - len(data))


def test_photo_of_exactly_the_byte_limit_is_accepted(client, auth, store):
    limit = store_limit(client)
    data = padded(phone_ivory(), limit)
    r = upload(client, auth, data, "motion.jpg")
    assert r.status_code == 201, r.get_json()
    assert_stored_byte_for_byte(store, r.get_json(), data)
    assert_no_leftovers(store)


def test_photo_one_byte_over_the_limit_is_413_and_leaves_nothing(client, auth, store):
    limit = store_limit(client)
    r = upload(client, auth, padded(phone_ivory(), limit + 1), "motion.jpg")
    assert error_code(r, 413) == "image_too_large"
    assert f"{limit:,}" in r.get_json()["error"]["message"]
    assert store.list_records() == []
    assert_no_leftovers(store)
    assert list((store.root / "originals").rglob("*")) == []


def test_body_far_over_the_limit_is_413_before_parsing(client, auth, store):
    r = upload(client, auth, padded(phone_ivory(), store_limit(client) + 2 * MIB))
    assert error_code(r, 413) == "image_too_large"
    assert_no_leftovers(store)


def store_limit(client) -> int:  # type: ignore[no-untyped-def]
    limit = int(client.application.config["IDTOOL_MAX_IMAGE_BYTES"])
    assert limit == 40 * MIB  # the documented default
    return limit


def test_long_text_field_has_its_own_error_code(client, auth, store):
    r = upload(client, auth, notes="n" * (20 * 1024))
    assert error_code(r, 413) == "field_too_large"
    assert "notes" in r.get_json()["error"]["message"]
    assert_no_leftovers(store)
    # under the form limit but over the notes limit: the field's own rule
    assert error_code(upload(client, auth, notes="n" * 2001), 400) == "bad_field"


def test_too_many_form_parts_is_413_field_too_large(client, auth):
    fields = {f"extra{i}": "x" for i in range(40)}
    assert error_code(upload(client, auth, **fields), 413) == "field_too_large"


def test_refused_photo_leaves_no_temporary_file(client, auth, store):
    data = phone_ivory()
    assert error_code(upload(client, auth, data[: len(data) // 2]), 422) == "invalid_image"
    assert error_code(upload(client, auth, b"plain text " * 50_000), 415)
    assert_no_leftovers(store)
    assert store.list_records() == []


def test_smaller_configured_limit_is_enforced_while_streaming(make_app):
    app = make_app(max_image_bytes=2 * MIB)
    headers = {"Authorization": f"Bearer {create_token(app.extensions['idtool'].store, 'o', 't')}"}
    r = upload(app.test_client(), headers, phone_ivory())
    assert error_code(r, 413) == "image_too_large"
    assert "2,097,152" in r.get_json()["error"]["message"]
