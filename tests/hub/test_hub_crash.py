"""Two field servers with 12 MP phone photos sync to a hub through kill -9 of the sync
client and of the hub: every custody entry, record and original arrives exactly once,
the hub verifies every chain, and an analyst sees the links between the posts."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
import requests
from hub_support import (
    HubProcess,
    partial_uploads,
    run_sync,
    start_sync,
    wait_for,
)
from phone_photos import phone_jpeg_of, working_copy
from server_support import coral_photo, phone_coral, phone_ivory, upload

from idtool.evidence.store import EvidenceStore
from idtool.evidence.tokens import create_token
from idtool.hub.database import apply_migrations
from idtool.hub.tokens import HubRole, create_hub_token
from idtool.hub.verify import verify_hub

pytestmark = pytest.mark.slow


def field_post(make_app, photos: list[tuple[bytes, str]]) -> EvidenceStore:  # type: ignore[no-untyped-def]
    """A field server whose officer uploaded ``photos`` (bytes, case) through its API."""
    app = make_app()
    store: EvidenceStore = app.extensions["idtool"].store
    headers = {"Authorization": f"Bearer {create_token(store, 'officer.one', 'tester')}"}
    client = app.test_client()
    for data, case_ref in photos:
        response = upload(client, headers, data, "IMG_20250614_091233.jpg", case_ref=case_ref)
        assert response.status_code == 201, response.get_json()
    return store


def hub_counts(url: str, post: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM custody WHERE post = %s),"
            " (SELECT count(DISTINCT seq) FROM custody WHERE post = %s),"
            " (SELECT count(*) FROM records WHERE post = %s),"
            " (SELECT count(DISTINCT sha256) FROM record_photos WHERE post = %s)",
            [post, post, post, post],
        ).fetchone()
    assert row is not None
    return {"custody": row[0], "distinct_seq": row[1], "records": row[2], "files": row[3]}


def local_files(store: EvidenceStore) -> set[str]:
    from idtool.sync.outbox import record_files

    return {sha for record in store.all_records() for sha in record_files(record)}


def test_two_field_servers_sync_through_kill_9_exactly_once(
    make_app,
    hub_url: str,
    hub_store: Path,
) -> None:
    ivory = phone_ivory(6)
    coral = phone_coral()
    other = phone_jpeg_of(sorted((coral_photo().parent).glob("*.jpg"))[2], 3)
    a = field_post(make_app, [(ivory, "MBA-2026-7"), (coral, "MBA-2026-7"), (other, "MBA-2026-8")])
    third = phone_jpeg_of(sorted((coral_photo().parent).glob("*.jpg"))[3], 1)
    b = field_post(
        make_app,
        [(ivory, "NBO-2026-1"), (working_copy(coral), "NBO-2026-2"), (third, "NBO-2026-3")],
    )

    apply_migrations(hub_url)
    token_a = create_hub_token(hub_url, "mombasa-port", HubRole.POST)
    token_b = create_hub_token(hub_url, "nairobi-airport", HubRole.POST)
    analyst = create_hub_token(hub_url, "analyst", HubRole.ANALYST)
    hub = HubProcess(hub_url, hub_store).start()
    try:
        # kill -9 the sync client in the middle of an original.
        client = start_sync(a.root, hub.url, token_a)
        caught = wait_for(lambda: partial_uploads(hub_store) or client.poll() is not None)
        client.kill()
        client.wait(timeout=30)
        assert caught
        done = run_sync(a.root, hub.url, token_a)
        assert done.returncode == 0, done.stderr

        # kill -9 the hub in the middle of post B's push, then start it again.
        client = start_sync(b.root, hub.url, token_b)
        wait_for(lambda: partial_uploads(hub_store) or client.poll() is not None)
        hub.kill()
        client.wait(timeout=120)  # it gives up (hub unreachable) or had finished
        hub.start()
        done = run_sync(b.root, hub.url, token_b)
        assert done.returncode == 0, done.stderr

        for store, post in ((a, "mombasa-port"), (b, "nairobi-airport")):
            got = hub_counts(hub_url, post)
            assert got["custody"] == got["distinct_seq"] == len(store.custody())
            assert got["records"] == len(store.all_records())
            assert got["files"] == len(local_files(store))
            again = run_sync(store.root, hub.url, token_a if post == "mombasa-port" else token_b)
            assert '"custody_entries": 0, "records": 0, "files": 0' in again.stdout
        stored = {p.name for p in (hub_store / "originals").glob("*/*")}
        assert stored == local_files(a) | local_files(b)
        assert not list((hub_store / "incoming").glob("*.part"))

        report = verify_hub(hub_url, hub_store)
        assert report.ok, report.problems
        links = requests.get(
            hub.url + "/api/v1/hub/links",
            headers={"Authorization": f"Bearer {analyst}"},
            timeout=30,
        ).json()["links"]
        kinds = {(link["kind"], link["a"]["post"], link["b"]["post"]) for link in links}
        assert ("same_original", "mombasa-port", "nairobi-airport") in kinds
        assert ("near_duplicate", "mombasa-port", "nairobi-airport") in kinds
    finally:
        hub.kill()
        a.close()
        b.close()
