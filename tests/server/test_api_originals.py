"""Working copy first, full original later: PUT /api/v1/identifications/<id>/original."""

from __future__ import annotations

import hashlib

from phone_photos import working_copy
from server_support import (
    multipart,
    phone_coral,
    phone_ivory,
    upload,
)

from idtool.evidence.tokens import Role, create_token
from idtool.evidence.verify import verify_store


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def put_original(client, headers, record_id: str, data: bytes, key: str | None = "orig-1"):  # type: ignore[no-untyped-def]
    body, content_type = multipart({}, {"image": (data, "IMG_20250614_091233.jpg")})
    extra = {"Idempotency-Key": key} if key else {}
    return client.put(
        f"/api/v1/identifications/{record_id}/original",
        headers={**headers, **extra},
        data=body,
        content_type=content_type,
    )


def send_working_copy(client, headers, original: bytes, **fields: str):  # type: ignore[no-untyped-def]
    small = working_copy(original)
    r = upload(client, headers, small, "working.jpg", original_pending="1", **fields)
    assert r.status_code == 201, r.get_json()
    return small, r.get_json()


def test_working_copy_then_original_links_both_in_record_and_custody(client, auth, store):
    original = phone_ivory()
    small, body = send_working_copy(client, auth, original, case_ref="CASE-WC")
    assert len(small) < len(original) // 4
    assert body["evidence"]["sha256"] == sha(small)
    assert body["original"]["status"] == "pending" and body["original"]["sha256"] is None
    assert verify_store(store).ok  # pending is a note, not a problem
    assert any("pending" in n for n in verify_store(store).notes)

    r = put_original(client, auth, body["id"], original)
    assert r.status_code == 200, r.get_json()
    updated = r.get_json()
    assert updated["id"] == body["id"]
    assert updated["evidence"]["sha256"] == sha(small)  # the working copy stays the photo
    assert updated["original"]["status"] == "received"
    assert updated["original"]["sha256"] == sha(original)
    assert updated["original"]["bytes"] == len(original)
    assert updated["original"]["exif"]["make"] == "Samsung"  # the working copy has none
    assert store.read_original(sha(original)) == original  # byte for byte
    entry = [e for e in store.custody(body["id"]) if e.action == "original"]
    assert len(entry) == 1
    assert entry[0].details["working_copy_sha256"] == sha(small)
    assert entry[0].details["original_sha256"] == sha(original)
    assert entry[0].sha256 == sha(original)
    got = client.get(f"/api/v1/identifications/{body['id']}", headers=auth).get_json()
    assert got["original"] == updated["original"]
    report = verify_store(store)
    assert report.ok, report.problems
    assert not any("pending" in n for n in report.notes)
    assert list(store.incoming_dir.iterdir()) == []


def test_retry_of_the_same_original_returns_the_same_answer(client, auth, store):
    original = phone_ivory()
    _, body = send_working_copy(client, auth, original)
    first = put_original(client, auth, body["id"], original, key="k-1")
    second = put_original(client, auth, body["id"], original, key="k-1")
    assert first.status_code == second.status_code == 200
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.get_json()["original"] == first.get_json()["original"]
    assert [e.action for e in store.custody(body["id"])].count("original") == 1


def test_a_different_second_original_is_409(client, auth, store):
    original = phone_ivory()
    _, body = send_working_copy(client, auth, original)
    assert put_original(client, auth, body["id"], original).status_code == 200
    r = put_original(client, auth, body["id"], phone_coral(), key="k-2")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "conflict"
    got = client.get(f"/api/v1/identifications/{body['id']}", headers=auth).get_json()
    assert got["original"]["sha256"] == sha(original)


def test_upload_without_working_copy_flag_is_its_own_original(client, auth):
    data = phone_ivory()
    body = upload(client, auth, data).get_json()
    assert body["original"]["status"] == "received"
    assert body["original"]["sha256"] == body["evidence"]["sha256"] == sha(data)
    assert put_original(client, auth, body["id"], data).status_code == 200  # same file: fine
    assert put_original(client, auth, body["id"], phone_coral()).status_code == 409


def test_original_of_another_officers_record_is_refused(client, auth, store):
    _, body = send_working_copy(client, auth, phone_ivory())
    other = {"Authorization": f"Bearer {create_token(store, 'officer.two', 't')}"}
    assert put_original(client, other, body["id"], phone_ivory()).status_code == 404
    boss = {"Authorization": f"Bearer {create_token(store, 'boss', 't', Role.SUPERVISOR)}"}
    r = put_original(client, boss, body["id"], phone_ivory())
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "forbidden"


def test_bad_original_is_refused_and_record_stays_pending(client, auth, store):
    original = phone_ivory()
    _, body = send_working_copy(client, auth, original)
    r = put_original(client, auth, body["id"], original[: len(original) // 2])
    assert r.status_code == 422
    assert put_original(client, auth, "no-such-record", original).status_code == 404
    got = client.get(f"/api/v1/identifications/{body['id']}", headers=auth).get_json()
    assert got["original"]["status"] == "pending"
    assert list(store.incoming_dir.iterdir()) == []


def test_original_pending_must_be_a_flag(client, auth):
    r = upload(client, auth, original_pending="maybe")
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "bad_field"
