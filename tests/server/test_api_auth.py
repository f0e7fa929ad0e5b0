"""Bearer-token authentication of the API."""

from __future__ import annotations

import pytest
from server_support import upload

from idtool.evidence.tokens import create_token, hash_token, list_tokens, revoke_token

PROTECTED = [
    ("post", "/api/v1/identifications"),
    ("get", "/api/v1/identifications"),
    ("get", "/api/v1/identifications/abc"),
    ("post", "/api/v1/identifications/abc/schreger"),
    ("get", "/api/v1/references/1/thumbnail"),
    ("get", "/api/v1/vocabularies"),
]


def _code(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    return response.get_json()["error"]["code"]


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_missing_token_is_401_everywhere(client, method, path):
    assert _code(getattr(client, method)(path)) == "unauthorized"


@pytest.mark.parametrize(
    "header", ["Bearer idt_unknown", "Basic dXNlcjpwYXNz", "Bearer", "idt_no_scheme"]
)
def test_unknown_or_malformed_token_is_401(client, header):
    assert _code(client.get("/api/v1/identifications", headers={"Authorization": header})) == (
        "unauthorized"
    )


def test_revoked_token_is_401_and_records_keep_their_officer(client, store, token, auth):
    record = upload(client, auth).get_json()
    revoke_token(store, "officer.one", "supervisor")
    r = client.get(f"/api/v1/identifications/{record['id']}", headers=auth)
    assert _code(r) == "unauthorized"
    assert "revoked" in r.get_json()["error"]["message"]
    assert store.get(record["id"]).officer == "officer.one"


def test_only_hashes_are_stored(store, token):
    rows = list(store.db.execute("SELECT * FROM tokens").fetchall())
    assert token not in repr(rows)
    assert hash_token(token) in repr(rows)
    assert [t.name for t in list_tokens(store)] == ["officer.one"]


def test_health_openapi_and_page_need_no_token(client):
    assert client.get("/healthz").status_code == 200
    assert client.get("/openapi.json").status_code == 200
    with client.get("/") as r:
        assert r.status_code == 200


def test_a_new_token_after_revoking(store, client):
    first = create_token(store, "j.mwangi", "sup")
    revoke_token(store, "j.mwangi", "sup")
    second = create_token(store, "j.mwangi", "sup")
    ok = client.get("/api/v1/identifications", headers={"Authorization": f"Bearer {second}"})
    assert ok.status_code == 200
    old = client.get("/api/v1/identifications", headers={"Authorization": f"Bearer {first}"})
    assert old.status_code == 401
