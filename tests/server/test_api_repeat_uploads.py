"""Repeat uploads leave no temporary file; crash leftovers are cleaned at start-up (issue 21).

Every upload of a photo already stored (the same photo again, a retried PUT of an
original, an added photo stored before) used to leave a full copy in
``evidence/incoming/.upload-*``: the store left the duplicate "for the caller" and the
upload assumed the store deleted it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time

import pytest
from phone_photos import working_copy
from server_support import multipart, phone_coral, phone_ivory, upload

from idtool.evidence.leftovers import UNLOCKED_MIN_AGE_S, clean_leftovers
from idtool.evidence.tokens import create_token
from idtool.evidence.verify import verify_store
from server.uploads import IncomingFile

REPEATS = 200  # the figure (slow: about 2 s an upload); the quick run sends 8


@pytest.fixture
def app(make_app):  # type: ignore[no-untyped-def]
    return make_app(rate_limit_per_minute=10_000)


@pytest.fixture
def store(app):  # type: ignore[no-untyped-def]
    return app.extensions["idtool"].store


@pytest.fixture
def auth(store):  # type: ignore[no-untyped-def]
    return {"Authorization": f"Bearer {create_token(store, 'officer.one', 'tester')}"}


def send(client, method: str, url: str, auth, data: bytes, **fields: str):  # type: ignore[no-untyped-def]
    body, content_type = multipart(dict(fields), {"image": (data, "IMG_0001.jpg")})
    return client.open(url, method=method, headers=auth, data=body, content_type=content_type)


def incoming(store) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(p.name for p in store.incoming_dir.iterdir())


@pytest.mark.parametrize("repeats", [8, pytest.param(REPEATS, marks=pytest.mark.slow)])
def test_repeat_uploads_of_a_stored_photo_leave_no_temp_file(client, auth, store, repeats):
    photo = phone_ivory()  # one real-size 12 MP JPEG, the same bytes every time
    sha256 = hashlib.sha256(photo).hexdigest()
    small = working_copy(photo)
    other = upload(client, auth, phone_coral()).get_json()
    sent = {"POST": 0, "PUT": 0, "add_photo": 0}
    for i in range(repeats):
        kind = ("POST", "POST", "PUT", "add_photo")[i % 4]
        if kind == "POST":  # the same photo again
            r = send(client, "POST", "/api/v1/identifications", auth, photo, case_ref="REPEAT")
            assert r.status_code == 201, r.get_json()
        elif kind == "PUT":  # a working copy first, then its original (already stored)
            record = send(
                client, "POST", "/api/v1/identifications", auth, small, original_pending="1"
            ).get_json()
            url = f"/api/v1/identifications/{record['id']}/original"
            r = send(client, "PUT", url, auth, photo)
            assert r.status_code == 200, r.get_json()
            assert r.get_json()["original"]["sha256"] == sha256
        else:  # an added photo that is stored already (another record's photo)
            if i % 12 == 3:  # a fresh record of another item now and then (at most 12 photos)
                other = upload(client, auth, phone_coral()).get_json()
            url = f"/api/v1/identifications/{other['id']}/photos"
            r = send(client, "POST", url, auth, photo)
            assert r.status_code in (200, 400), r.get_json()  # 400: already in this item
        sent[kind] += 1
        assert incoming(store) == [], f"after {kind} #{sent[kind]}"
    assert sent == {"POST": repeats // 2, "PUT": repeats // 4, "add_photo": repeats // 4}
    report = verify_store(store)
    assert report.ok, report.problems
    assert report.leftovers == []
    assert store.read_original(sha256) == photo


def test_a_refused_upload_leaves_no_temp_file(client, auth, store):
    r = send(client, "POST", "/api/v1/identifications", auth, b"not a photo at all")
    assert r.status_code == 415
    r = send(client, "POST", "/api/v1/identifications", auth, phone_ivory()[:500_000])
    assert r.status_code == 422
    assert incoming(store) == []


def test_failed_adoption_deletes_the_handed_over_file(store, monkeypatch):
    upload = IncomingFile(store.incoming_dir, 10_000_000)
    upload.write(b"\xff\xd8 some bytes")
    path = upload.hand_over()

    def refuse(*_args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        store.adopt_original(path, upload.sha256, "officer.one")
    upload.close()
    assert incoming(store) == []


def test_crash_leftovers_are_cleaned_at_start_up_and_logged(make_app, caplog):
    app = make_app()
    store = app.extensions["idtool"].store
    token = {"Authorization": f"Bearer {create_token(store, 'officer.one', 't')}"}
    photo = phone_ivory()
    record = upload(app.test_client(), token, photo).get_json()
    # What kill -9 mid-upload leaves: full copies in incoming/, one of a stored original,
    # one of a photo no record has; plus a half-written custody anchor beside the database.
    duplicate = store.incoming_dir / ".upload-crash1"
    duplicate.write_bytes(photo)
    stray = store.incoming_dir / ".upload-crash2"
    stray.write_bytes(phone_coral())
    anchor_tmp = store.root / ".tmp-custody_head.json-crash"
    anchor_tmp.write_bytes(b'{"seq": 1')
    old = time.time() - 2 * UNLOCKED_MIN_AGE_S
    os.utime(anchor_tmp, (old, old))
    # An upload in progress right now (another worker) must be left alone.
    live = IncomingFile(store.incoming_dir, 10_000_000)
    live.write(b"\xff\xd8 arriving")
    expected_bytes = len(photo) + len(phone_coral()) + len(b'{"seq": 1')

    caplog.set_level(logging.INFO, logger="idtool.evidence.leftovers")
    result = clean_leftovers(store)  # what create_app runs when the server starts
    assert sorted(result.removed) == sorted(
        [
            "incoming/.upload-crash1",
            "incoming/.upload-crash2",
            ".tmp-custody_head.json-crash",
        ]
    )
    assert result.removed_bytes == expected_bytes
    assert result.in_use == [f"incoming/{live.path.name}"]
    assert live.path.is_file()
    message = next(r.getMessage() for r in caplog.records if "removed 3" in r.getMessage())
    assert f"({expected_bytes} bytes)" in message
    live.close()
    assert incoming(store) == []
    assert store.read_original(record["evidence"]["sha256"]) == photo
    assert verify_store(store).ok


def test_a_leftover_that_is_a_missing_original_is_put_back_not_deleted(make_app):
    app = make_app()
    store = app.extensions["idtool"].store
    token = {"Authorization": f"Bearer {create_token(store, 'officer.one', 't')}"}
    photo = phone_ivory()
    record = upload(app.test_client(), token, photo).get_json()
    sha256 = record["evidence"]["sha256"]
    store.original_path(sha256).unlink()  # lost; the only copy is a leftover
    (store.incoming_dir / ".upload-crash").write_bytes(photo)
    assert not verify_store(store).ok
    result = clean_leftovers(store)
    assert result.restored == [sha256] and result.removed == []
    assert store.read_original(sha256) == photo
    assert verify_store(store).ok


def test_create_app_cleans_leftovers(make_app, server_home, tmp_path):
    first = make_app()
    store = first.extensions["idtool"].store
    (store.incoming_dir / ".upload-crash").write_bytes(b"half a photo")
    store.close()
    from server_support import settings_for

    from server.app import create_app

    again = create_app(settings_for(server_home, store.root), runtime="torch")
    try:
        assert incoming(again.extensions["idtool"].store) == []
    finally:
        again.extensions["idtool"].store.close()
