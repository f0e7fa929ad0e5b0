"""What a schema fuzzer and an abuse run found (issue 11): nesting, 405, headers, logs."""

from __future__ import annotations

import logging

import pytest
from server_support import settings_for, upload


def code_of(response, status: int) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.data[:300]
    assert response.mimetype == "application/json"
    return response.get_json()["error"]["code"]


def test_deeply_nested_json_to_schreger_is_400_not_500(client, auth):
    record = upload(client, auth).get_json()
    url = record["forensics"]["schreger"]["url"]
    body = "[" * 100_000 + "]" * 100_000
    r = client.post(url, headers=auth, data=body, content_type="application/json")
    assert code_of(r, 400) == "bad_field"
    r = client.post(url, headers=auth, data="{not json", content_type="application/json")
    assert code_of(r, 400) == "bad_field"
    r = client.post(url, headers=auth, data="triples=1", content_type="text/plain")
    assert code_of(r, 415) == "unsupported_media_type"


def test_405_carries_an_allow_header(client, auth):
    r = client.delete("/api/v1/identifications", headers=auth)
    assert code_of(r, 405) == "method_not_allowed"
    assert set(r.headers["Allow"].split(", ")) >= {"GET", "POST"}
    r = client.post("/healthz")
    assert code_of(r, 405) == "method_not_allowed" and "GET" in r.headers["Allow"]


@pytest.mark.parametrize("value", ["CASE\u202e24-ESAC", "CASE-\u20661\u2069", "A\x1bB"])
def test_case_ref_with_bidi_or_control_characters_is_400(client, auth, value):
    r = upload(client, auth, case_ref=value)
    assert code_of(r, 400) == "bad_field"


def test_page_sends_security_headers_and_favicon_exists(client):
    with client.get("/") as r:
        csp = r.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
        assert r.headers["X-Frame-Options"] == "DENY"
        assert r.headers["X-Content-Type-Options"] == "nosniff"
    with client.get("/favicon.ico") as r:
        assert r.status_code == 200 and r.data[:4] == b"\x00\x00\x01\x00"  # ICO header
        assert r.mimetype == "image/vnd.microsoft.icon"


def test_page_has_no_inline_script_or_style_the_policy_would_block(client):
    with client.get("/") as r:
        html = r.get_data(as_text=True)
    assert "<style" not in html and " style=" not in html and " on" + "click=" not in html
    for tag in html.split("<script")[1:]:
        assert "src=" in tag.split(">")[0]


def test_record_creation_is_logged_with_officer_and_id(client, auth, caplog):
    caplog.set_level(logging.INFO, logger="server")
    body = upload(client, auth).get_json()
    lines = [r.getMessage() for r in caplog.records if r.name == "server.api"]
    assert any(body["id"] in line and "officer.one" in line for line in lines)


def test_startup_says_when_the_newest_bundle_has_no_onnx_export(server_home, tmp_path, caplog):
    from server.app import create_app

    caplog.set_level(logging.INFO, logger="server")
    app = create_app(settings_for(server_home, tmp_path / "ev"), runtime="auto")
    try:
        messages = [r.getMessage() for r in caplog.records if r.name == "server.state"]
        engine = app.extensions["idtool"].model.identifier.engine.name
        assert any(f"with engine {engine}" in m for m in messages)
        if engine == "torch":
            assert any("no valid ONNX export" in m and "idtool export onnx" in m for m in messages)
    finally:
        app.extensions["idtool"].store.close()
