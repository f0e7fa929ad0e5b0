"""The server answers in the officer's language: Accept-Language, ?lang=, page catalog."""

from __future__ import annotations

from server_support import coral_photo, upload

from idtool.config import PROJECT_ROOT
from idtool.i18n.extract import marked_html_texts


def test_page_catalog_is_public_and_complete(client):
    french = client.get("/i18n/fr.json")
    assert french.status_code == 200
    body = french.get_json()
    assert body["lang"] == "fr" and french.headers["Content-Language"] == "fr"
    assert {lang["code"] for lang in body["languages"]} == {"en", "fr", "es"}
    html = (PROJECT_ROOT / "server" / "static" / "index.html").read_text(encoding="utf-8")
    marked = {text for _, text in marked_html_texts(html)}
    assert marked and marked <= set(body["messages"])
    assert body["messages"]["Identify"] == "Identifier"
    assert "permits" not in body["messages"]  # only the page's own strings are sent
    assert client.get("/i18n/en.json").get_json()["messages"] == {}
    missing = client.get("/i18n/de.json")
    assert missing.status_code == 404
    assert missing.get_json()["error"]["code"] == "not_found"


def test_vocabularies_follow_accept_language(client, auth):
    spanish = client.get(
        "/api/v1/vocabularies", headers={**auth, "Accept-Language": "es-MX,es;q=0.9,en;q=0.5"}
    )
    body = spanish.get_json()
    assert body["lang"] == "es" and spanish.headers["Content-Language"] == "es"
    assert "Accept-Language" in spanish.headers["Vary"]
    assert {"code": "CM", "name": "Camerún"} in body["countries"]
    assert {"code": "T", "meaning": "comercial"} in body["purposes"]
    french = client.get("/api/v1/vocabularies?lang=fr", headers=auth).get_json()
    assert {"code": "W", "meaning": "spécimens prélevés dans la nature"} in french["sources"]
    default = client.get("/api/v1/vocabularies", headers={**auth, "Accept-Language": "de"})
    assert default.get_json()["lang"] == "en"
    bad = client.get("/api/v1/vocabularies?lang=xx", headers=auth)
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "bad_field"


def test_identification_in_french_keeps_english_keys(client, auth):
    response = upload(
        client,
        {**auth, "Accept-Language": "fr-FR,fr;q=0.9"},
        coral_photo().read_bytes(),
        export_country="ID",
        purpose="T",
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    guidance = body["guidance"]
    assert guidance["lang"] == "fr"
    assert guidance["disclaimer"].startswith("Aide à la décision uniquement")
    assert body["identification"]["decision"] in ("identified", "uncertain", "not_in_reference")
    assert set(guidance) >= {"permits", "officer_checks", "next_steps", "cites"}
    # a later read in another language shows the record as it was given (evidence)
    again = client.get(body["links"]["self"], headers={**auth, "Accept-Language": "es"})
    assert again.get_json()["guidance"]["disclaimer"] == guidance["disclaimer"]
