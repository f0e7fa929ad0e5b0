"""Every error code with a real malformed request; all errors are JSON."""

from __future__ import annotations

import io

import pytest
from server_support import (
    ivory_photo,
    phone_ivory,
    png_bomb,
    upload,
)


def error_of(response, status: int) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.data[:300]
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert "Traceback" not in body["error"]["message"]
    return body["error"]["code"]


def test_truncated_jpeg_is_422(client, auth, store):
    data = phone_ivory()
    assert error_of(upload(client, auth, data[: len(data) // 2]), 422) == "invalid_image"
    assert store.list_records() == []  # nothing stored for a refused upload


def test_text_file_renamed_jpg_is_415(client, auth):
    data = b"This is not a photo, just text that someone renamed.\n" * 20
    assert error_of(upload(client, auth, data, "photo.jpg"), 415) == "unsupported_media_type"


def test_png_pixel_bomb_is_413(client, auth):
    assert error_of(upload(client, auth, png_bomb(), "bomb.png"), 413) == "image_too_large"


def test_50_mb_body_is_413(client, auth):
    boundary = "idtoolboundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="big.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + b"\xff\xd8\xff\xe0"
        + b"\x00" * (50 * 1024 * 1024)
        + f"\r\n--{boundary}--\r\n".encode()
    )
    r = client.post(
        "/api/v1/identifications",
        headers=auth,
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert error_of(r, 413) == "image_too_large"


def test_too_many_bytes_under_the_body_limit_is_413(make_app, auth):
    app = make_app(max_image_bytes=50_000)
    from idtool.evidence.tokens import create_token

    headers = {"Authorization": f"Bearer {create_token(app.extensions['idtool'].store, 'o', 't')}"}
    r = upload(app.test_client(), headers, ivory_photo().read_bytes() + b"\x00" * 60_000)
    assert error_of(r, 413) == "image_too_large"


def test_missing_image_field_is_400(client, auth):
    r = client.post(
        "/api/v1/identifications",
        headers=auth,
        data={"case_ref": "X"},
        content_type="multipart/form-data",
    )
    assert error_of(r, 400) == "bad_field"
    assert "image" in r.get_json()["error"]["message"]


def test_json_instead_of_multipart_is_415(client, auth):
    r = client.post("/api/v1/identifications", headers=auth, json={"image": "x"})
    assert error_of(r, 415) == "unsupported_media_type"
    assert "multipart/form-data" in r.get_json()["error"]["message"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("purpose", "ZZ"),
        ("source", "Q9"),
        ("origin_country", "Atlantis"),
        ("case_ref", "x" * 101),
    ],
)
def test_bad_trade_field_is_400(client, auth, field, value):
    r = upload(client, auth, **{field: value})
    assert error_of(r, 400) == "bad_field"


def test_unknown_record_is_404(client, auth):
    assert error_of(client.get("/api/v1/identifications/nope", headers=auth), 404) == "not_found"


def test_unknown_route_and_wrong_method_are_json(client, auth):
    assert error_of(client.get("/api/v1/nothing-here", headers=auth), 404) == "not_found"
    assert error_of(client.get("/no/such/page"), 404) == "not_found"
    r = client.delete("/api/v1/identifications", headers=auth)
    assert error_of(r, 405) == "method_not_allowed"


def test_bad_limit_is_400(client, auth):
    r = client.get("/api/v1/identifications?limit=abc", headers=auth)
    assert error_of(r, 400) == "bad_field"


def test_unexpected_error_is_500_without_traceback(app, client, auth, monkeypatch, caplog):
    model = app.extensions["idtool"].model

    def boom(*args: object) -> None:
        raise RuntimeError("secret internal detail /etc/passwd")

    monkeypatch.setattr(model, "identify", boom)
    r = upload(client, auth)
    assert error_of(r, 500) == "internal_error"
    assert b"secret internal detail" not in r.data
    assert "secret internal detail" in caplog.text  # logged on the server only


def test_rate_limit_is_429_with_retry_after(make_app):
    from idtool.evidence.tokens import create_token

    app = make_app(rate_limit_per_minute=2)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {create_token(app.extensions['idtool'].store, 'o', 't')}"}
    bad = io.BytesIO(b"not an image")
    for _ in range(2):
        r = upload(client, headers, bad.getvalue())
        assert r.status_code == 415
    r = upload(client, headers, bad.getvalue())
    assert error_of(r, 429) == "rate_limited"
    assert int(r.headers["Retry-After"]) >= 1
