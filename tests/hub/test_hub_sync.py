"""Posts sync to a hub on a real PostgreSQL: exactly once, verified, linked, refused
when a post's history was rewritten, readable only by who may read it."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import psycopg
import pytest
import requests
from hub_support import add_record, set_case_facts, sha, small_jpeg, threaded_hub
from PIL import Image

from idtool.errors import BadField
from idtool.evidence.store import EvidenceStore
from idtool.hub.database import apply_migrations
from idtool.hub.tokens import HubRole, create_hub_token
from idtool.hub.verify import verify_hub
from idtool.sync.client import HubRefused, check_hub_url, sync_status, sync_to_hub


@pytest.fixture
def hub_setup(hub_url: str, hub_store: Path):  # type: ignore[no-untyped-def]
    apply_migrations(hub_url)
    tokens = {
        "post-a": create_hub_token(hub_url, "post-a", HubRole.POST),
        "post-b": create_hub_token(hub_url, "post-b", HubRole.POST),
        "analyst": create_hub_token(hub_url, "analyst", HubRole.ANALYST),
    }
    with threaded_hub(hub_url, hub_store) as hub:
        yield hub, tokens


def open_post(tmp_path: Path, name: str) -> EvidenceStore:
    return EvidenceStore.open(tmp_path / name)


def counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        return {
            table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # type: ignore[index]
            for table in ("custody", "records", "record_versions", "originals", "case_facts")
        }


def get(hub, token: str, path: str, **params: str) -> requests.Response:  # type: ignore[no-untyped-def]
    return requests.get(
        hub.url + path, headers={"Authorization": f"Bearer {token}"}, params=params, timeout=30
    )


def test_two_posts_sync_exactly_once_with_case_facts_and_links(
    hub_setup, hub_url: str, hub_store: Path, tmp_path: Path
) -> None:
    hub, tokens = hub_setup
    a, b = open_post(tmp_path, "a"), open_post(tmp_path, "b")
    shared = small_jpeg(1)
    ra = add_record(a, shared, case_ref="MBA-7")
    add_record(a, small_jpeg(2), case_ref="MBA-7", original=small_jpeg(3, (1280, 960)))
    rb = add_record(b, shared, case_ref="NBO-1", officer="officer.two")
    facts = {"seizure_date": "2026-03-02", "taxon": "Loxodonta africana", "quantity": 3}
    set_case_facts(a, "MBA-7", 1, facts, "officer.one")
    set_case_facts(a, "MBA-7", 2, {**facts, "quantity": 4, "country_origin": "TZ"}, "s.one")

    first_a = sync_to_hub(a, hub.url, tokens["post-a"])
    first_b = sync_to_hub(b, hub.url, tokens["post-b"])
    assert first_a.post == "post-a" and first_a.ok
    assert first_a.custody_entries == len(a.custody()) and first_a.records == 2
    assert first_a.files == 3  # the shared photo, a working copy and its original
    assert first_b.records == 1 and first_b.files == 0  # the hub holds the shared photo
    before = counts(hub_url)
    assert before["custody"] == len(a.custody()) + len(b.custody())
    assert before["records"] == 3 and before["originals"] == 3 and before["case_facts"] == 2

    again = sync_to_hub(a, hub.url, tokens["post-a"])
    assert (again.custody_entries, again.records, again.files) == (0, 0, 0)
    assert counts(hub_url) == before
    assert sync_status(a, hub.url)["pending"]["custody_entries"] == 0

    # Analysts: the case with its latest facts and history, the records with their post.
    case = get(hub, tokens["analyst"], "/api/v1/hub/cases/post-a/MBA-7").json()
    assert case["facts"]["quantity"] == 4 and case["facts_version"] == 2
    assert [v["version"] for v in case["facts_history"]] == [1, 2]
    assert {r["post"] for r in case["records"]} == {"post-a"} and len(case["records"]) == 2
    found = get(hub, tokens["analyst"], "/api/v1/hub/records", sha256=sha(shared)).json()
    assert sorted(r["post"] for r in found["records"]) == ["post-a", "post-b"]

    links = get(hub, tokens["analyst"], "/api/v1/hub/links").json()["links"]
    same = [link for link in links if link["kind"] == "same_original"]
    assert len(same) == 1
    ends = {
        (same[0]["a"]["post"], same[0]["a"]["record_id"]),
        (same[0]["b"]["post"], same[0]["b"]["record_id"]),
    }
    assert ends == {("post-a", ra.id), ("post-b", rb.id)}
    assert "MBA-7" in same[0]["reason"] and "NBO-1" in same[0]["reason"]

    report = verify_hub(hub_url, hub_store)
    assert report.ok, report.problems
    assert report.originals == 3


def test_post_token_reads_only_its_own_post(hub_setup, tmp_path: Path) -> None:
    hub, tokens = hub_setup
    a, b = open_post(tmp_path, "a"), open_post(tmp_path, "b")
    add_record(a, small_jpeg(5), case_ref="A-1")
    rb = add_record(b, small_jpeg(6), case_ref="B-1", officer="officer.two")
    sync_to_hub(a, hub.url, tokens["post-a"])
    sync_to_hub(b, hub.url, tokens["post-b"])

    mine = get(hub, tokens["post-a"], "/api/v1/hub/records").json()["records"]
    assert {r["post"] for r in mine} == {"post-a"}
    assert get(hub, tokens["post-a"], "/api/v1/hub/records", post="post-b").status_code == 403
    assert get(hub, tokens["post-a"], "/api/v1/hub/cases/post-b/B-1").status_code == 403
    thumb = f"/api/v1/hub/originals/{rb.sha256}/thumbnail"
    assert get(hub, tokens["post-a"], thumb).status_code == 403
    assert get(hub, tokens["analyst"], thumb).headers["Content-Type"] == "image/jpeg"
    assert get(hub, tokens["analyst"], "/api/v1/hub/cases/post-b/B-1").status_code == 200
    # Analysts read; they cannot push.
    push = requests.post(
        hub.url + "/api/v1/hub/sync/custody",
        headers={"Authorization": f"Bearer {tokens['analyst']}"},
        json={"entries": []},
        timeout=30,
    )
    assert push.status_code == 403
    assert get(hub, "idh_not-a-token", "/api/v1/hub/records").status_code == 401


def test_rewritten_post_history_is_refused_logged_and_nothing_changes(
    hub_setup, hub_url: str, hub_store: Path, tmp_path: Path
) -> None:
    hub, tokens = hub_setup
    a = open_post(tmp_path, "a")
    add_record(a, small_jpeg(7), case_ref="A-1")
    sync_to_hub(a, hub.url, tokens["post-a"])
    before = counts(hub_url)

    # Someone rewrites the post's log: drop the triggers, edit an entry, re-hash the chain.
    db = a.db
    db.execute("DROP TRIGGER custody_no_update")
    db.execute("UPDATE custody SET actor = 'someone.else' WHERE seq = 1")
    entries = a.custody()
    from idtool.evidence.custody import CustodyEntry

    prev = "0" * 64
    for entry in entries:
        fixed = CustodyEntry(**{**entry.hashed_fields(), "prev_hash": prev, "entry_hash": ""})
        new_hash = fixed.computed_hash()
        db.execute(
            "UPDATE custody SET prev_hash = ?, entry_hash = ? WHERE seq = ?",
            [prev, new_hash, entry.seq],
        )
        prev = new_hash
    # ... and the anchor outside the database too (the post's own check would refuse it)
    from idtool.evidence.anchor import write_anchor

    write_anchor(tmp_path / "a", entries[-1].seq, prev)
    add_record(a, small_jpeg(8), case_ref="A-2")

    with pytest.raises(HubRefused, match="rewritten"):
        sync_to_hub(a, hub.url, tokens["post-a"])
    assert counts(hub_url) == before
    with psycopg.connect(hub_url) as conn:
        refusals = conn.execute("SELECT post, code, message FROM refusals").fetchall()
    assert refusals and refusals[0][:2] == ("post-a", "chain_refused")
    assert verify_hub(hub_url, hub_store).ok


def test_dropped_entries_at_the_post_are_refused(hub_setup, hub_url: str, tmp_path: Path) -> None:
    hub, tokens = hub_setup
    a = open_post(tmp_path, "a")
    add_record(a, small_jpeg(9), case_ref="A-1")
    add_record(a, small_jpeg(10), case_ref="A-1")
    sync_to_hub(a, hub.url, tokens["post-a"])
    a.db.execute("DROP TRIGGER custody_no_delete")
    last = a.custody()[-1].seq
    a.db.execute("DELETE FROM custody WHERE seq = ?", [last])
    with pytest.raises(HubRefused, match="dropped"):
        sync_to_hub(a, hub.url, tokens["post-a"])


def test_edited_record_is_rejected_by_its_hash(hub_setup, hub_url: str, tmp_path: Path) -> None:
    hub, tokens = hub_setup
    a = open_post(tmp_path, "a")
    record = add_record(a, small_jpeg(11), case_ref="A-1")
    a.db.execute("UPDATE records SET notes = 'edited by hand' WHERE id = ?", [record.id])
    report = sync_to_hub(a, hub.url, tokens["post-a"])
    assert not report.ok
    assert report.rejected[0]["id"] == record.id
    assert report.rejected[0]["code"] == "record_hash_unknown"
    assert counts(hub_url)["records"] == 0


def test_corrupt_chunk_is_refused_and_resumed_upload_completes(
    hub_setup, hub_store: Path, tmp_path: Path
) -> None:
    hub, tokens = hub_setup
    a = open_post(tmp_path, "a")
    photo = small_jpeg(12, (2000, 1500))
    record = add_record(a, photo, case_ref="A-1")
    auth = {"Authorization": f"Bearer {tokens['post-a']}"}
    # Records first (so the hub knows the post names this file), no files yet.
    from idtool.sync.client import HubClient, PostSync, SyncReport

    client = HubClient(hub.url, tokens["post-a"])
    run = PostSync(a, client)
    report = SyncReport(hub.url)
    run.push_custody(0, report)
    run.push_records([record.id], report)
    url = f"{hub.url}/api/v1/hub/sync/originals/{record.sha256}"
    half = len(photo) // 2
    bad = bytes(b ^ 0xFF for b in photo[half:])
    r = requests.put(
        url,
        data=photo[:half],
        headers={**auth, "Content-Range": f"bytes 0-{half - 1}/{len(photo)}"},
        timeout=30,
    )
    assert r.json() == {"sha256": record.sha256, "stored": False, "offset": half}
    wrong_offset = requests.put(
        url,
        data=photo[:10],
        headers={**auth, "Content-Range": f"bytes 0-9/{len(photo)}"},
        timeout=30,
    )
    assert wrong_offset.status_code == 409 and wrong_offset.headers["Upload-Offset"] == str(half)
    corrupt = requests.put(
        url,
        data=bad,
        headers={**auth, "Content-Range": f"bytes {half}-{len(photo) - 1}/{len(photo)}"},
        timeout=30,
    )
    assert corrupt.status_code == 422 and corrupt.json()["error"]["code"] == "upload_corrupt"
    assert not (hub_store / "originals" / record.sha256[:2] / record.sha256).exists()
    # The client resends: the hub had discarded the bad copy, so it starts from 0.
    final = sync_to_hub(a, hub.url, tokens["post-a"])
    assert final.files == 1 and final.file_bytes == len(photo)
    assert (hub_store / "originals" / record.sha256[:2] / record.sha256).read_bytes() == photo
    client.close()


def test_plain_http_to_a_remote_hub_is_refused_without_insecure() -> None:
    with pytest.raises(BadField, match="plain HTTP"):
        check_hub_url("http://hub.example.org:8100", insecure=False)
    assert (
        check_hub_url("http://hub.example.org:8100/", insecure=True)
        == "http://hub.example.org:8100"
    )
    assert check_hub_url("http://127.0.0.1:8100", insecure=False)
    assert check_hub_url("http://[::1]:8100", insecure=False)
    with pytest.raises(BadField):
        check_hub_url("ftp://hub.example.org", insecure=True)


def test_dry_run_pushes_nothing(hub_setup, hub_url: str, tmp_path: Path) -> None:
    hub, tokens = hub_setup
    a = open_post(tmp_path, "a")
    add_record(a, small_jpeg(13), case_ref="A-1")
    report = sync_to_hub(a, hub.url, tokens["post-a"], dry_run=True)
    assert report.dry_run and report.custody_entries == len(a.custody()) and report.files == 1
    assert counts(hub_url)["custody"] == 0
    status = sync_status(a, hub.url)
    assert status["checkpoint"]["at"] is None and status["pending"]["records"] == 1
    json.dumps(status)


def test_analyst_page_plots_links_and_case_view_with_thumbnails(hub_setup, tmp_path: Path) -> None:
    hub, tokens = hub_setup
    a, b = open_post(tmp_path, "a"), open_post(tmp_path, "b")
    shared = small_jpeg(21)
    add_record(a, shared, case_ref="MBA-9")
    add_record(b, shared, case_ref="NBO-9", officer="officer.two")
    facts = {
        "seizure_date": "2026-02-11",
        "taxon": "Loxodonta africana",
        "country_origin": "TZ",
        "country_destination": "VN",
    }
    set_case_facts(a, "MBA-9", 1, facts, "officer.one")
    sync_to_hub(a, hub.url, tokens["post-a"])
    sync_to_hub(b, hub.url, tokens["post-b"])

    page = requests.Session()
    assert "Hub token" in page.get(hub.url + "/hub/", timeout=30).text
    bad = page.post(hub.url + "/hub/login", data={"token": "idh_wrong"}, timeout=30)
    assert bad.status_code == 401
    page.post(hub.url + "/hub/login", data={"token": tokens["analyst"]}, timeout=30)
    overview = page.get(hub.url + "/hub/", timeout=30).text
    assert overview.count("data:image/png;base64,") == 4  # month, taxon, post, route
    assert "TZ → VN" in overview  # the route of the case, from its facts
    assert "same_original" in overview and "MBA-9" in overview and "NBO-9" in overview
    case = page.get(hub.url + "/hub/cases/post-a/MBA-9", timeout=30)
    assert "Loxodonta africana" in case.text and "2026-02-11" in case.text
    thumb = re.search(r'src="(/hub/thumbnails/[0-9a-f]{64})"', case.text)
    assert thumb is not None
    image = page.get(hub.url + thumb.group(1), timeout=30)
    assert image.headers["Content-Type"] == "image/jpeg"
    assert max(Image.open(io.BytesIO(image.content)).size) <= 320
    # A post's token on the page sees its own post only.
    post_page = requests.Session()
    post_page.post(hub.url + "/hub/login", data={"token": tokens["post-b"]}, timeout=30)
    assert post_page.get(hub.url + "/hub/cases/post-a/MBA-9", timeout=30).status_code == 403
    page.close()
    post_page.close()


def test_near_duplicate_and_listing_photo_links(hub_setup, tmp_path: Path) -> None:
    hub, tokens = hub_setup
    a, b = open_post(tmp_path, "a"), open_post(tmp_path, "b")
    photo = small_jpeg(31, (1200, 900))
    smaller = io.BytesIO()
    Image.open(io.BytesIO(photo)).resize((400, 300)).save(smaller, "JPEG", quality=70)
    add_record(a, photo, case_ref="A-1")
    add_record(b, smaller.getvalue(), case_ref="B-1", officer="officer.two")
    listing_photo = small_jpeg(32)
    add_record(
        a, listing_photo, case_ref="A-2", idempotency_key=f"listing:abc:{sha(listing_photo)}"
    )
    add_record(b, listing_photo, case_ref="B-2", officer="officer.two")
    unrelated = small_jpeg(33)
    add_record(b, unrelated, case_ref="B-3", officer="officer.two")
    sync_to_hub(a, hub.url, tokens["post-a"])
    sync_to_hub(b, hub.url, tokens["post-b"])

    links = get(hub, tokens["analyst"], "/api/v1/hub/links").json()["links"]
    by_kind = {link["kind"]: link for link in links}
    assert set(by_kind) == {"near_duplicate", "same_listing_photo"}
    near = by_kind["near_duplicate"]
    assert {near["a"]["case_ref"], near["b"]["case_ref"]} == {"A-1", "B-1"}
    assert near["distance"] <= 6 and "difference hash" in near["reason"]
    listing = by_kind["same_listing_photo"]
    assert {listing["a"]["case_ref"], listing["b"]["case_ref"]} == {"A-2", "B-2"}
    # A post sees that a link exists, not the other post's record.
    mine = get(hub, tokens["post-b"], "/api/v1/hub/links").json()["links"]
    assert len(mine) == 2
    assert all("another post" in (x["a"]["post"], x["b"]["post"]) for x in mine)


def test_malformed_pushes_get_clear_400s(hub_setup) -> None:
    hub, tokens = hub_setup
    auth = {"Authorization": f"Bearer {tokens['post-a']}"}
    base = hub.url + "/api/v1/hub/sync"

    def post(path: str, **kw):  # type: ignore[no-untyped-def]
        headers = {**auth, **kw.pop("headers", {})}
        return requests.post(base + path, headers=headers, timeout=30, **kw)

    not_json = post("/custody", data=b"entries", headers={"Content-Type": "text/plain"})
    assert not_json.status_code == 400 and not_json.json()["error"]["code"] == "bad_field"
    bad_entry = post("/custody", json={"entries": [{"seq": "one"}]})
    assert bad_entry.status_code == 400 and "custody entry" in bad_entry.json()["error"]["message"]
    assert post("/records", json={"records": [{"no": "id"}]}).status_code == 400
    sha_bad = requests.put(base + "/originals/not-a-sha", headers=auth, data=b"x", timeout=30)
    assert sha_bad.status_code == 400
    no_range = requests.put(base + "/originals/" + "a" * 64, headers=auth, data=b"x", timeout=30)
    assert no_range.status_code == 400 and "Content-Range" in no_range.json()["error"]["message"]
    unnamed = requests.put(
        base + "/originals/" + "a" * 64,
        headers={**auth, "Content-Range": "bytes 0-0/1"},
        data=b"x",
        timeout=30,
    )
    assert unnamed.status_code == 403  # no record of this post names the file
    bad_date = get(hub, tokens["analyst"], "/api/v1/hub/records", since="last week")
    assert bad_date.status_code == 400 and "YYYY-MM-DD" in bad_date.json()["error"]["message"]
