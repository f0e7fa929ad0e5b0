"""Who sees which records, how reading is logged, and idempotent retries that changed."""

from __future__ import annotations

from server_support import phone_coral, upload

from idtool.evidence.tokens import Role, create_token


def bearer(store, name: str, role: Role = Role.OFFICER) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"Authorization": f"Bearer {create_token(store, name, 't', role)}"}


def test_officers_see_their_own_records_and_a_supervisor_sees_all(client, auth, store):
    other = bearer(store, "officer.two")
    boss = bearer(store, "supervisor.one", Role.SUPERVISOR)
    mine = upload(client, auth, case_ref="CASE-A").get_json()
    theirs = upload(client, other, phone_coral(), case_ref="CASE-A").get_json()

    listed = client.get("/api/v1/identifications?case_ref=CASE-A", headers=auth).get_json()
    assert [i["id"] for i in listed["items"]] == [mine["id"]]
    listed = client.get("/api/v1/identifications", headers=other).get_json()
    assert [i["id"] for i in listed["items"]] == [theirs["id"]]
    assert client.get(f"/api/v1/identifications/{theirs['id']}", headers=auth).status_code == 404

    everyone = client.get("/api/v1/identifications?case_ref=CASE-A", headers=boss).get_json()
    assert {i["id"] for i in everyone["items"]} == {mine["id"], theirs["id"]}
    got = client.get(f"/api/v1/identifications/{theirs['id']}", headers=boss)
    assert got.status_code == 200 and got.get_json()["officer"] == "officer.two"


def test_one_view_entry_per_request_naming_the_records(client, auth, store):
    ids = {upload(client, auth, case_ref="CASE-V").get_json()["id"] for _ in range(3)}
    before = len(store.custody())
    r = client.get("/api/v1/identifications?case_ref=CASE-V", headers=auth)
    assert r.get_json()["count"] == 3
    new = store.custody()[before:]
    assert [e.action for e in new] == ["view"]
    assert set(new[0].details["ids"]) == ids and new[0].details["via"] == "list"
    assert new[0].actor == "officer.one"
    one = next(iter(ids))
    client.get(f"/api/v1/identifications/{one}", headers=auth)
    last = store.custody()[-1]
    assert last.action == "view" and last.record_id == one and last.details["ids"] == [one]
    before = len(store.custody())
    client.get("/api/v1/identifications?case_ref=NOTHING", headers=auth)
    assert len(store.custody()) == before  # nothing shown, nothing logged


def test_retry_with_changed_case_ref_or_declaration_is_409(client, auth, store):
    headers = {**auth, "Idempotency-Key": "phone-77"}
    first = upload(client, headers, case_ref="CASE-1", purpose="T")
    assert first.status_code == 201
    same = upload(client, headers, case_ref="CASE-1", purpose="T")
    assert same.status_code == 201 and same.headers["Idempotent-Replayed"] == "true"
    for changed in ({"case_ref": "CASE-2", "purpose": "T"}, {"case_ref": "CASE-1", "purpose": "P"}):
        r = upload(client, headers, **changed)
        assert r.status_code == 409, r.get_json()
        error = r.get_json()["error"]
        assert error["code"] == "conflict"
        assert ("case_ref" if changed["case_ref"] != "CASE-1" else "declaration") in error[
            "message"
        ]
    assert len(store.list_records()) == 1
