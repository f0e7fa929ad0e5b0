"""A damaged custody anchor stops the field server's writes with 503 (issue 27)."""

from __future__ import annotations

from server_support import phone_coral, upload

from idtool.evidence.custody import HEAD_FILE


def test_uploads_and_views_are_refused_until_an_operator_reanchors(client, auth, store):
    record = upload(client, auth).get_json()
    (store.root / HEAD_FILE).unlink()
    entries = len(store.custody())
    r = upload(client, auth, phone_coral())
    assert r.status_code == 503
    error = r.get_json()["error"]
    assert error["code"] == "custody_anchor_error" and "reanchor" in error["message"]
    assert client.get(f"/api/v1/identifications/{record['id']}", headers=auth).status_code == 503
    assert len(store.custody()) == entries and not (store.root / HEAD_FILE).exists()
    assert list(store.incoming_dir.iterdir()) == []
    store.reanchor("operator", "anchor deleted by a clean-up script; chain verified")
    assert client.get(f"/api/v1/identifications/{record['id']}", headers=auth).status_code == 200
    assert upload(client, auth, phone_coral()).status_code == 201
