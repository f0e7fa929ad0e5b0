"""POST /api/v1/identifications/<id>/photos: several photos of one item, fused."""

from __future__ import annotations

from phone_photos import phone_jpeg_of
from server_support import (
    coral_photo,
    multipart,
    phone_coral,
    phone_ivory,
    upload,
)

from idtool.evidence.verify import verify_store


def add_photo(client, auth, record_id: str, data: bytes, filename: str = "back.jpg"):  # type: ignore[no-untyped-def]
    body, content_type = multipart({}, {"image": (data, filename)})
    return client.post(
        f"/api/v1/identifications/{record_id}/photos",
        headers=auth,
        data=body,
        content_type=content_type,
    )


def test_adding_photos_fuses_the_item_and_logs_every_photo(client, auth, store):
    first = upload(
        client, auth, phone_coral(), filename="front.jpg", origin_country="TH"
    ).get_json()
    second = phone_jpeg_of(coral_photo(), 3)  # the same coral, turned (EXIF orientation 3)
    r = add_photo(client, auth, first["id"], second)
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    ident = body["identification"]
    assert "+item_fusion" in ident["decision_source"]
    assert ident["item"]["photos"] == 2 and len(ident["photos"]) == 2
    assert ident["label"] == "Scleractinia" and ident["decision"] == "identified"
    assert all("path" not in ref for p in ident["photos"] for ref in p["nearest_references"])
    assert body["declaration"]["origin_country"] == "TH"
    assert body["guidance"]["disclaimer"]
    hashes = [p["sha256"] for p in ident["photos"]]
    assert hashes[0] == first["evidence"]["sha256"]
    entry = [e for e in store.custody(first["id"]) if e.action == "add_photo"][-1]
    assert entry.details["photos"] == hashes and entry.sha256 == hashes[1]
    third = add_photo(client, auth, first["id"], phone_ivory(1), "detail.jpg").get_json()
    assert third["identification"]["item"]["photos"] == 3
    assert [e.action for e in store.custody(first["id"])].count("add_photo") == 2
    report = verify_store(store)
    assert report.ok, report.problems
    assert not any("no record refers" in note for note in report.notes)
    got = client.get(f"/api/v1/identifications/{first['id']}", headers=auth).get_json()
    assert got["identification"] == third["identification"]


def test_adding_the_same_photo_twice_or_a_bad_file_is_refused(client, auth):
    photo = phone_coral()
    first = upload(client, auth, photo).get_json()
    again = add_photo(client, auth, first["id"], photo)
    assert again.status_code == 400 and again.get_json()["error"]["code"] == "bad_field"
    bad = add_photo(client, auth, first["id"], b"not a photo at all", "note.jpg")
    assert bad.status_code == 415
    missing = add_photo(client, auth, "no-such-record", photo)
    assert missing.status_code == 404
