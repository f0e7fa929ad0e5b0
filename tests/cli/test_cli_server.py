"""idtool token create|list|revoke, evidence verify|export, serve --help."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from idtool.cli import main
from idtool.evidence.store import EvidenceRecord, EvidenceStore
from idtool.evidence.tokens import Caller, Role, authenticate


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("IDTOOL_HOME", str(tmp_path))
    for name in ("IDTOOL_EVIDENCE_DIR", "IDTOOL_CATALOG", "IDTOOL_MODEL"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def run(*args: str) -> object:
    return CliRunner().invoke(main, list(args))


def test_token_create_list_revoke(env):
    created = run("token", "create", "j.mwangi")
    assert created.exit_code == 0, created.output
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("idt_")
    store = EvidenceStore.open(env / "evidence")
    try:
        assert authenticate(store, token) == Caller("j.mwangi", Role.OFFICER)
    finally:
        store.close()
    again = run("token", "create", "j.mwangi")
    assert again.exit_code == 1 and "[conflict]" in again.output
    listed = run("token", "list", "--format", "json")
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert rows[0]["name"] == "j.mwangi" and rows[0]["active"] is True
    assert token not in listed.output
    assert run("token", "revoke", "j.mwangi").exit_code == 0
    assert run("token", "revoke", "j.mwangi").exit_code == 1
    assert "revoked" in run("token", "list").stdout
    assert run("token", "create", "bad name!").exit_code == 1


def test_supervisor_token(env):
    created = run("token", "create", "a.otieno", "--role", "supervisor")
    assert created.exit_code == 0, created.output
    token = created.stdout.strip().splitlines()[-1]
    store = EvidenceStore.open(env / "evidence")
    try:
        caller = authenticate(store, token)
    finally:
        store.close()
    assert caller == Caller("a.otieno", Role.SUPERVISOR) and caller.may_read("someone.else")
    listed = run("token", "list", "--format", "json")
    assert json.loads(listed.stdout.splitlines()[0])["role"] == "supervisor"
    assert "supervisor" in run("token", "list").stdout
    assert run("token", "create", "x", "--role", "admin").exit_code == 2


def _add_record(home: Path) -> str:
    store = EvidenceStore.open(home / "evidence")
    try:
        data = b"\xff\xd8 photo \xff\xd9"
        record = EvidenceRecord(
            id=store.new_record_id(),
            created_at="2025-05-01T10:00:00.000+00:00",
            officer="o1",
            sha256=store.store_original(data),
            byte_count=len(data),
            media_format="jpeg",
            exif={},
            declaration={},
            identification={"decision": "uncertain"},
            guidance={},
            model_version="m",
            reference_version="r",
            listing_set="l",
            case_ref="CASE-1",
        )
        store.add_record(record)
        return record.sha256
    finally:
        store.close()


def test_evidence_verify_and_export(env, tmp_path):
    sha = _add_record(env)
    ok = run("evidence", "verify")
    assert ok.exit_code == 0 and "OK" in ok.stdout
    out = tmp_path / "case1"
    exported = run("evidence", "export", "CASE-1", str(out))
    assert exported.exit_code == 0, exported.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["items"][0]["sha256"] == sha
    assert run("evidence", "export", "NOPE", str(tmp_path / "n")).exit_code == 1
    (env / "evidence" / "incoming" / ".upload-crashed").write_bytes(b"partial")
    noted = run("evidence", "verify")
    assert noted.exit_code == 0
    assert "leftover temporary file: incoming/.upload-crashed" in noted.stdout
    (env / "evidence" / "originals" / sha[:2] / sha).write_bytes(b"tampered")
    failed = run("evidence", "export", "CASE-1", str(tmp_path / "case1-again"))
    assert failed.exit_code == 1 and "[integrity_error]" in failed.output
    assert not (tmp_path / "case1-again").exists()
    bad = run("evidence", "verify", "--format", "json")
    assert bad.exit_code == 1
    assert json.loads(bad.stdout)["ok"] is False


def test_serve_help_mentions_waitress():
    result = run("serve", "--help")
    assert result.exit_code == 0
    assert "waitress" in result.output and "Example" in result.output
