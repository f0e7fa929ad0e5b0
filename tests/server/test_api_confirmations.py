"""POST /api/v1/identifications/<id>/confirmation: supervisors only, append-only."""

from __future__ import annotations

from server_support import upload

from idtool.evidence.tokens import Role, create_token


def test_a_supervisor_confirms_and_the_record_shows_it(client, auth, store):
    boss = {"Authorization": f"Bearer {create_token(store, 'sup', 't', Role.SUPERVISOR)}"}
    record = upload(client, auth, case_ref="CASE-C").get_json()
    assert record["confirmation"] is None
    url = f"/api/v1/identifications/{record['id']}/confirmation"
    body = {"label": "Ivory", "method": "schreger_cross_section", "by": "Lab A"}
    assert client.post(url, headers=auth, json=body).status_code == 403
    reply = client.post(url, headers=boss, json=body)
    assert reply.status_code == 200, reply.get_json()
    assert reply.get_json()["confirmation"]["label"] == "material_ivory"
    later = {"label": "Loxodonta africana", "method": "dna", "by": "Lab B", "report_ref": "R-9"}
    reply = client.post(url, headers=boss, json=later).get_json()
    assert reply["confirmation"]["label"] == "Loxodonta africana"
    assert reply["confirmation"]["history"][0]["label"] == "material_ivory"
    mine = client.get(f"/api/v1/identifications/{record['id']}", headers=auth).get_json()
    assert mine["confirmation"]["report_ref"] == "R-9"
    bad = client.post(url, headers=boss, json={**later, "method": "guess"})
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "bad_field"
    missing = client.post(url.replace(record["id"], "nope"), headers=boss, json=later)
    assert missing.status_code == 404
