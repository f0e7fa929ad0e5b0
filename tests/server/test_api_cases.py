"""PUT/GET /api/v1/cases/<case_ref>: seizure facts, versions, If-Match, records, roles."""

from __future__ import annotations

from server_support import phone_coral, upload

from idtool.evidence.cases import version_facts
from idtool.evidence.tokens import Role, create_token


def bearer(store, name: str, role: Role = Role.OFFICER) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"Authorization": f"Bearer {create_token(store, name, 't', role)}"}


FACTS = {
    "seizure_date": "2026-03-14",
    "quantity": 12,
    "unit": "pieces",
    "specimen": "IVC",
    "country_origin": "CM",
    "countries_transit": ["NG", "FR"],
    "transport_mode": "air",
}


def test_put_then_partial_update_then_get(client, auth, store):
    created = client.put(
        "/api/v1/cases/JKIA-2026-0042", json=FACTS, headers={**auth, "If-Match": "0"}
    )
    assert created.status_code == 201, created.get_json()
    assert created.headers["ETag"] == '"1"'
    body = created.get_json()
    assert body["version"] == 1 and body["facts"]["countries_transit"] == ["NG", "FR"]
    changed = client.put(
        "/api/v1/cases/JKIA-2026-0042",
        json={"country_destination": "cn", "quantity": None},
        headers={**auth, "If-Match": '"1"'},
    )
    assert changed.status_code == 200
    facts = changed.get_json()["facts"]
    assert facts["country_destination"] == "CN" and facts["quantity"] is None
    assert facts["specimen"] == "IVC"  # kept: a partial update merges
    got = client.get("/api/v1/cases/JKIA-2026-0042", headers=auth)
    assert got.status_code == 200 and got.headers["ETag"] == '"2"'
    history = got.get_json()["history"]
    assert [h["version"] for h in history] == [1, 2]
    assert history[1]["changed"] == ["quantity", "country_destination"]
    assert history[1]["actor"] == "officer.one"
    assert version_facts(store, "JKIA-2026-0042", 1).quantity == 12  # nothing overwritten
    entries = [e for e in store.custody() if e.action == "case_facts"]
    assert [e.details["version"] for e in entries] == [1, 2]
    assert entries[-1].details["facts"] == got.get_json()["facts"]


def test_stale_if_match_is_409_and_nothing_is_stored(client, auth, store):
    other = bearer(store, "officer.two")
    client.put("/api/v1/cases/C-1", json={"quantity": 3}, headers=auth)
    client.put("/api/v1/cases/C-1", json={"unit": "kg"}, headers={**other, "If-Match": "1"})
    stale = client.put("/api/v1/cases/C-1", json={"unit": "g"}, headers={**auth, "If-Match": "1"})
    assert stale.status_code == 409
    assert stale.get_json()["error"]["code"] == "conflict"
    assert client.get("/api/v1/cases/C-1", headers=auth).get_json()["facts"]["unit"] == "kg"
    # a retry of the change that went through is not a conflict
    again = client.put("/api/v1/cases/C-1", json={"unit": "kg"}, headers={**other, "If-Match": "1"})
    assert again.status_code == 200 and again.get_json()["version"] == 2


def test_bad_fields_are_400_naming_the_field(client, auth):
    for body, named in (
        ({"country_origin": "Atlantis"}, "country_origin"),
        ({"specimen": "IVORY"}, "specimen"),
        ({"weight_kg": 3}, "weight_kg"),
        ({"countries_transit": "NG,XX"}, "countries_transit"),
        ({"seizure_date": "14/03/2026"}, "seizure_date"),
    ):
        r = client.put("/api/v1/cases/C-2", json=body, headers=auth)
        assert r.status_code == 400, body
        assert r.get_json()["error"]["code"] == "bad_field"
        assert named in r.get_json()["error"]["message"]
    assert client.put("/api/v1/cases/C-2", json=[1], headers=auth).status_code == 400
    r = client.put("/api/v1/cases/C-2", data="x=1", headers=auth)
    assert r.status_code == 415
    r = client.put("/api/v1/cases/C-2", json={"quantity": 1}, headers={**auth, "If-Match": "abc"})
    assert r.status_code == 400
    lone = client.put(
        "/api/v1/cases/C-2",
        data='{"notes": "\\ud800"}',
        headers={**auth, "Content-Type": "application/json"},
    )
    assert lone.status_code == 400  # a lone surrogate is not text (and not a 500)
    big = client.put("/api/v1/cases/C-2", json={"notes": "x" * 70_000}, headers=auth)
    assert big.status_code == 413
    assert client.put("/api/v1/cases/C-2", json={"quantity": 1}).status_code == 401
    assert client.get("/api/v1/cases/NOPE", headers=auth).status_code == 404


def test_records_and_identifications_by_role(client, auth, store):
    other = bearer(store, "officer.two")
    boss = bearer(store, "supervisor.one", Role.SUPERVISOR)
    mine = upload(client, auth, case_ref="CASE-R").get_json()
    theirs = upload(client, other, phone_coral(), case_ref="CASE-R").get_json()
    # a case with records and no facts yet: version 0
    first = client.get("/api/v1/cases/CASE-R", headers=auth).get_json()
    assert first["version"] == 0 and first["facts"]["quantity"] is None
    assert [r["id"] for r in first["records"]] == [mine["id"]]
    assert "decision" in first["records"][0]["identification"]
    seen = client.get("/api/v1/cases/CASE-R", headers=boss).get_json()
    assert {r["id"] for r in seen["records"]} == {mine["id"], theirs["id"]}
    # any officer of the post may write the facts
    r = client.put("/api/v1/cases/CASE-R", json={"quantity": 2, "unit": "kg"}, headers=other)
    assert r.status_code == 201
    view = [e for e in store.custody() if e.action == "view"][-1]
    assert view.details["via"] == "case" and view.details["case_ref"] == "CASE-R"


def test_case_ref_with_a_slash(client, auth):
    r = client.put("/api/v1/cases/JKIA/2026/7", json={"quantity": 1}, headers=auth)
    assert r.status_code == 201 and r.get_json()["case_ref"] == "JKIA/2026/7"
    assert client.get("/api/v1/cases/JKIA/2026/7", headers=auth).status_code == 200


def test_vocabularies_carry_the_seizure_code_lists(client, auth):
    vocab = client.get("/api/v1/vocabularies?lang=fr", headers=auth).get_json()["seizure"]
    assert {"units", "trade_terms", "transport_modes", "detection_methods", "reasons",
            "disposals"} <= set(vocab)  # fmt: skip
    ivc = next(t for t in vocab["trade_terms"] if t["code"] == "IVC")
    assert ivc["meaning"]
