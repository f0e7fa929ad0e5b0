"""``idtool hub token|migrate|verify`` and ``idtool sync`` from the command line."""

from __future__ import annotations

from pathlib import Path

import psycopg
from click.testing import CliRunner
from hub_support import add_record, small_jpeg, threaded_hub

from idtool.cli import main
from idtool.evidence.store import EvidenceStore


def invoke(*args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_tokens_sync_and_verify_from_the_cli(hub_url: str, hub_store: Path, tmp_path: Path) -> None:
    assert "applied: 0001_initial" in invoke("hub", "migrate", "--database", hub_url).output
    created = invoke("hub", "token", "create", "post-x", "--role", "post", "--database", hub_url)
    assert created.exit_code == 0
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("idh_")
    again = invoke("hub", "token", "create", "post-x", "--role", "post", "--database", hub_url)
    assert again.exit_code == 1 and "error [conflict]" in again.stderr
    listed = invoke("hub", "token", "list", "--database", hub_url)
    assert "post-x\tpost\tpost-x\tactive" in listed.output and token not in listed.output
    with psycopg.connect(hub_url) as conn:
        stored = conn.execute("SELECT token_sha256 FROM tokens").fetchone()
    assert stored is not None and token not in stored[0]

    evidence = tmp_path / "post"
    store = EvidenceStore.open(evidence)
    add_record(store, small_jpeg(41), case_ref="X-1")
    store.close()
    env = {"IDTOOL_EVIDENCE_DIR": str(evidence)}
    with threaded_hub(hub_url, hub_store) as hub:
        status = invoke("sync", "--hub", hub.url, "--status", env=env)
        assert "last sync: never" in status.output and "1 records, 1 files" in status.output
        refused = invoke("sync", "--hub", "http://hub.example.org", "--token", token, env=env)
        assert refused.exit_code == 1 and "plain HTTP" in refused.stderr
        dry = invoke("sync", "--hub", hub.url, "--token", token, "--dry-run", env=env)
        assert "would push 2 custody entries, 1 records, 1 files" in dry.output
        done = invoke("sync", "--hub", hub.url, "--token", token, env=env)
        assert done.exit_code == 0 and "pushed 2 custody entries, 1 records, 1 files" in done.output
        status = invoke("sync", "--hub", hub.url, "--status", env=env)
        assert "pending: 0 custody entries, 0 records, 0 files" in status.output

    ok = invoke("hub", "verify", "--database", hub_url, "--store", str(hub_store))
    assert ok.exit_code == 0 and "all verified" in ok.output

    # Tamper with the hub behind its back: a custody entry and an original file.
    with psycopg.connect(hub_url, autocommit=True) as conn:
        conn.execute("ALTER TABLE custody DISABLE TRIGGER custody_append_only")
        conn.execute("UPDATE custody SET actor = 'mallory' WHERE seq = 1")
        sha = conn.execute("SELECT sha256 FROM originals").fetchone()[0]  # type: ignore[index]
    (hub_store / "originals" / sha[:2] / sha).write_bytes(b"not the photo")
    bad = invoke("hub", "verify", "--database", hub_url, "--store", str(hub_store))
    assert bad.exit_code == 1
    assert "FAILED: post post-x: custody entry 1: content does not match its hash" in bad.output
    assert f"FAILED: original {sha}: the stored file hashes to" in bad.output

    revoked = invoke("hub", "token", "revoke", "post-x", "--database", hub_url)
    assert revoked.exit_code == 0
    with threaded_hub(hub_url, hub_store) as hub:
        denied = invoke("sync", "--hub", hub.url, "--token", token, env=env)
        assert denied.exit_code == 1 and "revoked" in denied.stderr
