"""Evidence store: originals, records, custody chain, tamper detection, export, EXIF."""

from __future__ import annotations

import hashlib
import itertools
import json
import sqlite3
from pathlib import Path

import pytest

from idtool.errors import BadField, Conflict, NotFound
from idtool.evidence.custody import GENESIS_HASH, verify_chain
from idtool.evidence.export import export_case
from idtool.evidence.store import EvidenceRecord, EvidenceStore
from idtool.evidence.verify import verify_store
from idtool.model.exif import extract_exif

PHOTO = b"\xff\xd8\xff\xe0 pretend jpeg bytes \xff\xd9"


def _record(store: EvidenceStore, data: bytes = PHOTO, **kw: object) -> EvidenceRecord:
    sha = store.store_original(data)
    fields: dict[str, object] = {
        "id": store.new_record_id(),
        "created_at": "2025-05-01T10:00:00.000+00:00",
        "officer": "o1",
        "sha256": sha,
        "byte_count": len(data),
        "media_format": "jpeg",
        "exif": {},
        "declaration": {"purpose": "T"},
        "identification": {"decision": "identified", "label": "Panthera tigris"},
        "guidance": {"status": "listed"},
        "model_version": "m-1",
        "reference_version": "ref-1",
        "listing_set": "set@abc",
        "case_ref": "CASE-9",
    }
    fields.update(kw)
    record, _ = store.add_record(EvidenceRecord(**fields))  # type: ignore[arg-type]
    return record


@pytest.fixture
def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    s = EvidenceStore.open(tmp_path / "evidence")
    yield s
    s.close()


def test_original_is_stored_byte_for_byte_under_its_hash(store):
    sha = store.store_original(PHOTO)
    path = store.original_path(sha)
    assert path.read_bytes() == PHOTO
    assert path.name == hashlib.sha256(PHOTO).hexdigest()
    assert store.store_original(PHOTO) == sha  # idempotent
    assert not list(path.parent.glob(".tmp-*"))


def test_wal_mode_and_append_only_triggers(store):
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    _record(store)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.db.execute("UPDATE custody SET actor = 'x'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.db.execute("DELETE FROM custody")


def test_chain_links_every_entry(store):
    record = _record(store)
    store.log("o2", "view", record)
    entries = store.custody()
    assert [e.action for e in entries] == ["upload", "identification", "view"]
    assert entries[0].prev_hash == GENESIS_HASH
    for before, after in itertools.pairwise(entries):
        assert after.prev_hash == before.entry_hash
    assert entries[1].details["model_version"] == "m-1"
    assert verify_store(store).ok


def test_idempotency_key_replays_and_conflicts(store):
    first = _record(store, idempotency_key="k1")
    again, created = store.add_record(
        EvidenceRecord(**{**first.__dict__, "id": store.new_record_id()})
    )
    assert not created and again.id == first.id
    other = b"\xff\xd8 another photo \xff\xd9"
    with pytest.raises(Conflict):
        _record(store, other, idempotency_key="k1")


def test_tampered_original_is_detected(store):
    record = _record(store)
    store.original_path(record.sha256).write_bytes(PHOTO + b"edited")
    report = verify_store(store)
    assert not report.ok
    assert any("altered" in p for p in report.problems)


def test_missing_original_is_detected(store):
    record = _record(store)
    store.original_path(record.sha256).unlink()
    assert any("missing" in p for p in verify_store(store).problems)


def test_edited_record_is_detected(store):
    record = _record(store)
    store.db.execute(
        "UPDATE records SET identification = ? WHERE id = ?",
        [json.dumps({"decision": "identified", "label": "Felis catus"}), record.id],
    )
    assert any("differs" in p for p in verify_store(store).problems)


def test_edited_custody_entry_breaks_the_chain(store):
    _record(store)
    _record(store, b"\xff\xd8 second \xff\xd9")
    store.db.execute("DROP TRIGGER custody_no_update")  # an attacker with file access
    store.db.execute("UPDATE custody SET actor = 'someone else' WHERE seq = 2")
    problems = verify_store(store).problems
    assert any("entry 2: content does not match" in p for p in problems)


def test_deleted_custody_entry_breaks_the_chain(store):
    _record(store)
    _record(store, b"\xff\xd8 second \xff\xd9")
    store.db.execute("DROP TRIGGER custody_no_delete")
    store.db.execute("DELETE FROM custody WHERE seq = 2")
    problems = verify_store(store).problems
    assert any("gap" in p for p in problems) and any("prev_hash" in p for p in problems)


def test_entries_cut_from_the_end_of_the_log_are_detected(store):
    record = _record(store)
    store.log("o2", "view", record)
    assert verify_store(store).ok
    store.db.execute("DROP TRIGGER custody_no_delete")
    store.db.execute("DELETE FROM custody WHERE seq = 3")
    problems = verify_store(store).problems
    assert verify_chain(store.db)[1] == []  # the chain alone cannot tell
    assert any("removed from the end" in p for p in problems)


def test_export_writes_originals_records_and_manifest(store, tmp_path):
    a = _record(store)
    b = _record(store, b"\xff\xd8 second \xff\xd9")
    _record(store, b"\xff\xd8 other case \xff\xd9", case_ref="OTHER")
    out = tmp_path / "export"
    report = export_case(store, "CASE-9", out, "supervisor")
    assert report.items == 2
    manifest = json.loads((out / "manifest.json").read_text())
    assert {i["id"] for i in manifest["items"]} == {a.id, b.id}
    for item in manifest["items"]:
        data = (out / item["original"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == item["sha256"]
        record_text = (out / item["record"]).read_text()
        assert hashlib.sha256(record_text.encode()).hexdigest() == item["record_file_sha256"]
        body = json.loads(record_text)
        assert [e["action"] for e in body["custody"]][:2] == ["upload", "identification"]
    exports = [e for e in store.custody() if e.action == "export"]
    assert len(exports) == 2 and exports[0].actor == "supervisor"
    # the manifest names the head before the export entries (logged once it is complete)
    assert manifest["custody_head"] == exports[0].prev_hash
    assert verify_store(store).ok
    with pytest.raises(BadField):
        export_case(store, "CASE-9", out, "supervisor")  # not empty
    with pytest.raises(NotFound):
        export_case(store, "NO-SUCH-CASE", tmp_path / "x", "supervisor")


def test_exif_of_a_file_without_exif_is_all_none():
    assert set(extract_exif(b"not an image").values()) == {None}
