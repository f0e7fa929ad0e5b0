"""The custody anchor never heals itself (issue 27).

``custody_head.json`` records the newest custody entry outside the database. It used to
be read as "older than everything" when it could not be parsed (and as "none yet" when it
was deleted), so the next write replaced it and ``evidence verify`` said OK. Now a
missing or unreadable anchor is a problem ``verify`` names, every write is refused with
``CustodyAnchorError`` until an operator runs ``idtool evidence reanchor``, and that
command refuses a chain that does not verify.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from idtool.cli import main
from idtool.errors import BadField, CustodyAnchorError, IntegrityError
from idtool.evidence.custody import HEAD_FILE
from idtool.evidence.store import EvidenceStore
from idtool.evidence.tokens import create_token
from idtool.evidence.verify import verify_store


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("IDTOOL_HOME", str(tmp_path))
    for name in ("IDTOOL_EVIDENCE_DIR", "IDTOOL_CATALOG", "IDTOOL_MODEL"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.fixture
def store(home: Path):  # type: ignore[no-untyped-def]
    s = EvidenceStore.open(home / "evidence")
    create_token(s, "officer.one", "admin")
    s.log("officer.one", "view", details={"ids": []})
    yield s
    s.close()


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args))


def anchor(store: EvidenceStore) -> Path:
    return store.root / HEAD_FILE


def corrupt(store: EvidenceStore) -> bytes:
    anchor(store).write_bytes(b'{"seq": 2, "entry_ha')  # cut off mid-write
    return anchor(store).read_bytes()


def test_a_fresh_store_needs_no_anchor_and_the_first_write_makes_it(tmp_path: Path) -> None:
    store = EvidenceStore.open(tmp_path / "evidence")
    try:
        assert verify_store(store).ok and not anchor(store).exists()
        entry = store.log("officer.one", "view", details={})
        assert json.loads(anchor(store).read_text()) == {"seq": 1, "entry_hash": entry.entry_hash}
        assert verify_store(store).ok
    finally:
        store.close()


@pytest.mark.parametrize("damage", ["corrupt", "delete"])
def test_a_damaged_anchor_is_named_by_verify_and_refuses_every_write(store, damage):
    assert verify_store(store).ok
    if damage == "corrupt":
        found = corrupt(store)
    else:
        anchor(store).unlink()
    report = verify_store(store)
    assert not report.ok
    word = "unreadable" if damage == "corrupt" else "missing"
    assert any(HEAD_FILE in p and word in p for p in report.problems), report.problems
    entries = len(store.custody())
    with pytest.raises(CustodyAnchorError, match="reanchor") as caught:
        store.log("officer.one", "view", details={"ids": []})
    assert caught.value.code == "custody_anchor_error" and caught.value.http_status == 503
    with pytest.raises(CustodyAnchorError):
        create_token(store, "officer.two", "admin")
    assert len(store.custody()) == entries  # nothing written
    if damage == "corrupt":
        assert anchor(store).read_bytes() == found  # never replaced by a write
    else:
        assert not anchor(store).exists()
    assert not verify_store(store).ok  # still reported, however many writes were tried


@pytest.mark.parametrize("damage", ["corrupt", "delete"])
def test_verify_exits_non_zero_and_reanchor_brings_writes_back(home, store, damage):
    if damage == "corrupt":
        found = corrupt(store)
    else:
        anchor(store).unlink()
    store.close()
    result = run("evidence", "verify")
    assert result.exit_code == 1
    assert HEAD_FILE in result.output and "FAILED" in result.output
    missing_reason = run("evidence", "reanchor")
    assert missing_reason.exit_code == 2  # --reason is required
    done = run("evidence", "reanchor", "--reason", "SD card swapped; verify shows the chain OK")
    assert done.exit_code == 0, done.output
    assert "re-written" in done.output
    assert run("evidence", "verify").exit_code == 0
    reopened = EvidenceStore.open(home / "evidence")
    try:
        entry = reopened.custody()[-1]
        assert entry.action == "reanchor"
        assert entry.details["reason"] == "SD card swapped; verify shows the chain OK"
        previous = entry.details["previous_anchor"]
        assert previous["state"] == ("unreadable" if damage == "corrupt" else "missing")
        if damage == "corrupt":  # the damaged file is kept as found
            assert (reopened.root / previous["kept_at"]).read_bytes() == found
        assert reopened.anchored_head() == (entry.seq, entry.entry_hash)
        reopened.log("officer.one", "view", details={"ids": []})  # writes resume
        report = verify_store(reopened)
        assert report.ok
        assert any("re-written" in note for note in report.notes)
    finally:
        reopened.close()


def test_reanchor_refuses_a_chain_that_does_not_verify(store):
    store.db.execute("DROP TRIGGER custody_no_update")
    store.db.execute("UPDATE custody SET actor = 'someone.else' WHERE seq = 1")
    anchor(store).unlink()
    with pytest.raises(IntegrityError, match="chain itself does not verify"):
        store.reanchor("operator", "trying to hide an edit")
    assert not anchor(store).exists()
    assert store.custody()[-1].action != "reanchor"


def test_reanchor_refuses_to_hide_entries_cut_from_the_end(store):
    store.db.execute("DROP TRIGGER custody_no_delete")
    store.db.execute("DELETE FROM custody WHERE seq = 2")
    with pytest.raises(IntegrityError, match="removed from the end"):
        store.reanchor("operator", "make it go away")
    with pytest.raises(CustodyAnchorError, match="removed from the end"):
        store.log("officer.one", "view", details={})


def test_reanchor_needs_a_reason_and_a_reason_to_act(store):
    with pytest.raises(BadField, match="nothing to re-anchor"):
        store.reanchor("operator", "just because")
    anchor(store).unlink()
    with pytest.raises(BadField, match="reason"):
        store.reanchor("operator", "   ")
