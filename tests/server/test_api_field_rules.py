"""Schreger input on every record kind, one rule for who changes a record, HEIC orientation.

Issue 21: after a photo was added (the fused answer has no ``quality``) the in-photo
check was skipped and points at 1e308 were stored; five triples whose two arms were the
same point were stored as "mammoth"; a supervisor could store Schreger angles on another
officer's record although adding a photo or the original there was 403; a HEIC photo
whose EXIF says orientation 6 was recorded with 1.
"""

from __future__ import annotations

import pytest
from phone_photos import PHONE_SIZE_PX, PhonePhotos, working_copy
from server_support import multipart, phone_coral, phone_ivory, upload

from idtool.evidence.tokens import Role, create_token
from idtool.evidence.verify import verify_store

GOOD = [[[50, 50 + i], [60, 50 + i], [45, 58.66 + i]] for i in range(5)]  # ~120 degrees


def send_photo(client, auth, url: str, data: bytes, method: str = "POST"):  # type: ignore[no-untyped-def]
    body, content_type = multipart({}, {"image": (data, "IMG_0002.jpg")})
    return client.open(url, method=method, headers=auth, data=body, content_type=content_type)


def schreger(client, auth, record: dict, triples: list) -> object:  # type: ignore[type-arg]
    return client.post(
        record["forensics"]["schreger"]["url"], headers=auth, json={"triples": triples}
    )


def fused_record(client, auth) -> dict:  # type: ignore[type-arg]
    """A record with an added photo: its identification is the fused one, no ``quality``."""
    first = upload(client, auth, phone_ivory(1)).get_json()
    r = send_photo(client, auth, f"/api/v1/identifications/{first['id']}/photos", phone_coral())
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert not body["identification"].get("quality")  # the fused answer has none
    return body


def test_points_off_the_photo_are_refused_after_a_photo_was_added(client, auth, store):
    record = fused_record(client, auth)
    width, height = PHONE_SIZE_PX  # the record's own photo, orientation 1
    for far in ([1e308, 5], [-1e308, 5], [width + 1, 5], [5, height + 0.5], [-1, 5]):
        r = schreger(client, auth, record, [*GOOD[:4], [[60, 60], far, [60, 90]]])
        assert r.status_code == 400, (far, r.get_json())
        assert r.get_json()["error"]["code"] == "bad_field"
    assert store.get(record["id"]).schreger is None
    edge = [[[width - 10, 10], [width, 10], [width - 10, 0]]]  # on the photo's edge: kept
    r = schreger(client, auth, record, edge)
    assert r.status_code == 200, r.get_json()
    assert verify_store(store).ok


def test_five_triples_with_one_point_for_both_arms_store_no_mammoth(client, auth, store):
    record = upload(client, auth).get_json()
    same = [[[100 * i, 100], [100 * i + 50, 300], [100 * i + 50, 300]] for i in range(1, 6)]
    r = schreger(client, auth, record, same)
    assert r.status_code == 400
    assert "same point" in r.get_json()["error"]["message"]
    fused = fused_record(client, auth)
    assert schreger(client, auth, fused, same).status_code == 400
    line = [[[100 * i, 100], [100 * i + 50, 100], [100 * i + 90, 100]] for i in range(1, 6)]
    assert schreger(client, auth, record, line).status_code == 400
    for made in (record, fused):
        assert store.get(made["id"]).schreger is None
    assert "schreger" not in [e.action for e in store.custody()]


def test_working_copy_record_checks_points_against_the_working_copy(client, auth, store):
    small = working_copy(phone_ivory(6))  # upright, 1200 x 1600
    body, content_type = multipart({"original_pending": "1"}, {"image": (small, "wc.jpg")})
    record = client.post(
        "/api/v1/identifications", headers=auth, data=body, content_type=content_type
    ).get_json()
    inside = [[[1100, 1500], [1150, 1500], [1100, 1590]]]
    assert schreger(client, auth, record, inside).status_code == 200
    outside = [[[1100, 1700], [1150, 1700], [1100, 1750]]]  # below 1600 px
    assert schreger(client, auth, record, outside).status_code == 400


def test_only_the_officer_who_made_a_record_changes_it(client, auth, store):
    boss = {"Authorization": f"Bearer {create_token(store, 'sup.one', 't', Role.SUPERVISOR)}"}
    other = {"Authorization": f"Bearer {create_token(store, 'officer.two', 't')}"}
    small = working_copy(phone_ivory(6))
    body, content_type = multipart({"original_pending": "1"}, {"image": (small, "wc.jpg")})
    record = client.post(
        "/api/v1/identifications", headers=auth, data=body, content_type=content_type
    ).get_json()
    url = f"/api/v1/identifications/{record['id']}"
    changes = [
        lambda h: schreger(client, h, record, GOOD),
        lambda h: send_photo(client, h, f"{url}/photos", phone_coral()),
        lambda h: send_photo(client, h, f"{url}/original", phone_ivory(6), "PUT"),
    ]
    for change in changes:
        r = change(boss)
        assert r.status_code == 403, r.get_json()
        assert r.get_json()["error"]["code"] == "forbidden"
        assert "officer.one" in r.get_json()["error"]["message"]
        assert change(other).status_code == 404
    assert client.get(url, headers=boss).status_code == 200  # a supervisor still reads it
    stored = store.get(record["id"])
    assert stored.schreger is None and stored.original_or_photo().status.value == "pending"
    assert [change(auth).status_code for change in changes] == [200, 200, 200]
    assert verify_store(store).ok


def test_heic_orientation_6_is_recorded_as_6(client, auth, store, phone_photos: PhonePhotos):
    if phone_photos.heic is None:
        pytest.skip("pillow-heif has no HEIF encoder here")
    r = upload(client, auth, phone_photos.heic, "IMG_0001.HEIC")
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["evidence"]["media_format"] == "heic"
    assert body["evidence"]["exif"]["orientation"] == 6
    assert body["original"]["exif"]["orientation"] == 6
    quality = body["identification"]["quality"]
    assert (quality["width_px"], quality["height_px"]) == PHONE_SIZE_PX[::-1]  # upright
