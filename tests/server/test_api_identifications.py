"""POST/GET /api/v1/identifications, idempotency, Schreger, thumbnails."""

from __future__ import annotations

import threading

from server_support import (
    jpeg_with_exif,
    phone_coral,
    phone_ivory,
    upload,
)

from idtool.evidence.verify import verify_store


def test_upload_returns_201_with_identification_guidance_and_evidence(client, auth, store):
    data = phone_ivory()
    r = upload(client, auth, data, origin_country="kenya", purpose="t", case_ref="CASE-1")
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert set(body) >= {"id", "created_at", "officer", "identification", "guidance", "evidence"}
    assert body["officer"] == "officer.one"
    assert body["case_ref"] == "CASE-1"
    assert body["declaration"]["origin_country"] == "KE"
    assert body["declaration"]["purpose"] == "T"
    ident = body["identification"]
    assert ident["decision"] in {"identified", "uncertain", "not_in_reference"}
    assert ident["candidates"] and ident["quality"]["verdict"]
    assert ident["model_version"] == body["versions"]["model_version"]
    assert all("path" not in ref for ref in ident["nearest_references"])
    assert "disclaimer" in body["guidance"] and "listing_set" in body["guidance"]
    assert body["versions"]["listing_set"]
    ev = body["evidence"]
    assert ev["stored"] is True and ev["bytes"] == len(data)
    assert store.read_original(ev["sha256"]) == data  # byte for byte
    assert r.headers["Location"] == f"/api/v1/identifications/{body['id']}"
    assert body["forensics"]["schreger"]["applicable"] is True


def test_get_by_id_and_list_by_case_ref(client, auth, store):
    first = upload(client, auth, case_ref="CASE-7").get_json()
    upload(client, auth, phone_coral(), case_ref="CASE-7")
    upload(client, auth, case_ref="OTHER")
    got = client.get(f"/api/v1/identifications/{first['id']}", headers=auth)
    assert got.status_code == 200
    assert got.get_json()["id"] == first["id"]
    assert got.get_json()["identification"] == first["identification"]
    listed = client.get("/api/v1/identifications?case_ref=CASE-7", headers=auth).get_json()
    assert listed["count"] == 2
    assert {item["case_ref"] for item in listed["items"]} == {"CASE-7"}
    actions = [e.action for e in store.custody(first["id"])]
    assert actions[:2] == ["upload", "identification"] and "view" in actions


def test_exif_is_extracted_and_returned(client, auth):
    body = upload(client, auth, jpeg_with_exif()).get_json()
    exif = body["evidence"]["exif"]
    assert exif["datetime_original"] == "2025-05-01T13:45:10"
    assert exif["make"] == "TestPhone"
    assert abs(exif["gps_latitude"] + 1.2921) < 1e-4
    assert abs(exif["gps_longitude"] - 36.8219) < 1e-4


def test_idempotent_retry_returns_the_first_record(client, auth, store):
    headers = {**auth, "Idempotency-Key": "phone-42"}
    first = upload(client, headers, case_ref="C")
    second = upload(client, headers, case_ref="C")
    assert first.status_code == second.status_code == 201
    assert second.get_json()["id"] == first.get_json()["id"]
    assert second.headers["Idempotent-Replayed"] == "true"
    assert len(store.list_records()) == 1


def test_same_key_different_photo_is_a_conflict(client, auth):
    headers = {**auth, "Idempotency-Key": "phone-43"}
    assert upload(client, headers).status_code == 201
    r = upload(client, headers, phone_coral())
    assert r.status_code == 409
    assert r.get_json()["error"]["code"] == "conflict"


def test_same_key_from_two_officers_gives_two_records(app, client, auth, store):
    from idtool.evidence.tokens import create_token

    other = {"Authorization": f"Bearer {create_token(store, 'officer.two', 't')}"}
    a = upload(client, {**auth, "Idempotency-Key": "k"}).get_json()
    b = upload(client, {**other, "Idempotency-Key": "k"}).get_json()
    assert a["id"] != b["id"] and b["officer"] == "officer.two"


def test_concurrent_retries_with_one_key_create_one_record(app, auth, store):
    headers = {**auth, "Idempotency-Key": "concurrent-1"}
    barrier = threading.Barrier(4)
    results: list[tuple[int, str]] = []

    def send() -> None:
        barrier.wait()
        r = upload(app.test_client(), headers, case_ref="RACE")
        results.append((r.status_code, r.get_json()["id"]))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [status for status, _ in results] == [201] * 4
    assert len({record_id for _, record_id in results}) == 1
    assert len(store.list_records("RACE")) == 1
    uploads = [e for e in store.custody() if e.action == "upload"]
    assert len(uploads) == 1
    assert verify_store(store).ok


def test_schreger_measurement_is_stored_and_logged(client, auth, store):
    body = upload(client, auth).get_json()
    # 12 angles of about 120 degrees around vertices inside the photo
    triples = [[[50, 50 + i], [60, 50 + i], [45, 58.66 + i]] for i in range(12)]
    r = client.post(body["forensics"]["schreger"]["url"], headers=auth, json={"triples": triples})
    assert r.status_code == 200, r.get_json()
    result = r.get_json()["schreger"]
    assert result["n"] == 12 and abs(result["mean_deg"] - 120) < 0.5
    assert result["classification"] in {"elephant", "mammoth", "indeterminate"}
    again = client.get(f"/api/v1/identifications/{body['id']}", headers=auth).get_json()
    assert again["schreger"]["n"] == 12
    assert "schreger" in [e.action for e in store.custody(body["id"])]
    assert verify_store(store).ok


def test_schreger_rejects_bad_points(client, auth):
    body = upload(client, auth).get_json()
    url = body["forensics"]["schreger"]["url"]
    for payload in ({"triples": [[[1, 1], [1, 1], [2, 2]]]}, {"triples": "x"}, [1, 2]):
        r = client.post(url, headers=auth, json=payload)
        assert r.status_code == 400
        assert r.get_json()["error"]["code"] == "bad_field"
    far = {"triples": [[[1, 1], [99999, 1], [1, 5]]]}
    assert client.post(url, headers=auth, json=far).status_code == 400


def test_reference_thumbnail_needs_auth_and_known_id(client, auth):
    body = upload(client, auth).get_json()
    url = body["references"][0]["thumbnail_url"]
    r = client.get(url, headers=auth)
    assert r.status_code == 200 and r.mimetype == "image/jpeg"
    assert r.data[:2] == b"\xff\xd8"
    assert client.get(url).status_code == 401
    missing = client.get("/api/v1/references/999999/thumbnail", headers=auth)
    assert missing.status_code == 404
    assert missing.get_json()["error"]["code"] == "not_found"


def test_vocabularies_and_healthz(client, auth):
    vocab = client.get("/api/v1/vocabularies", headers=auth).get_json()
    assert {"code": "KE", "name": "Kenya"} in vocab["countries"]
    assert any(p["code"] == "T" for p in vocab["purposes"])
    health = client.get("/healthz").get_json()
    assert health["status"] == "ok"
    assert health["model_version"] and health["reference_version"] and health["listing_set"]


def test_phone_page_is_served(client):
    with client.get("/") as r:
        assert r.status_code == 200 and b"capture" in r.data
    with client.get("/static/app.js") as r:
        assert r.status_code == 200
