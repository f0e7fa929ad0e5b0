"""Evidence that holds (issue 11): altered originals kept aside, atomic exports,
leftover temporary files, records from before migration 0002, text rules."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest
from phone_photos import phone_jpeg_of

from idtool.config import SHIPPED_REFERENCE_DIR
from idtool.errors import BadField, IntegrityError
from idtool.evidence.custody import canonical_json, sha256_text
from idtool.evidence.export import export_case
from idtool.evidence.migrations import evidence_migrations
from idtool.evidence.records import EvidenceRecord, check_text
from idtool.evidence.store import EvidenceStore
from idtool.evidence.verify import verify_store


@pytest.fixture(scope="module")
def photo() -> bytes:
    """A real-size (12 MP, 3-4 MB) phone JPEG."""
    return phone_jpeg_of(sorted((SHIPPED_REFERENCE_DIR / "Scleractinia").glob("*.jpg"))[0])


@pytest.fixture
def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    s = EvidenceStore.open(tmp_path / "evidence")
    yield s
    s.close()


def add(
    store: EvidenceStore, data: bytes, case_ref: str = "CASE-1", **kw: object
) -> EvidenceRecord:
    fields: dict[str, object] = {
        "id": store.new_record_id(),
        "created_at": "2025-06-14T09:12:33.000+00:00",
        "officer": "o1",
        "sha256": store.store_original(data),
        "byte_count": len(data),
        "media_format": "jpeg",
        "exif": {},
        "declaration": {"purpose": "T"},
        "identification": {"decision": "identified", "label": "Scleractinia"},
        "guidance": {"status": "listed"},
        "model_version": "m-1",
        "reference_version": "ref-1",
        "listing_set": "set@abc",
        "case_ref": case_ref,
    }
    fields.update(kw)
    record, _ = store.add_record(EvidenceRecord(**fields))  # type: ignore[arg-type]
    return record


def test_same_photo_again_never_overwrites_an_altered_original(store, photo):
    a = add(store, photo)
    b = add(store, photo, case_ref="CASE-2")
    path = store.original_path(a.sha256)
    altered = bytearray(photo)
    altered[5000] ^= 0xFF
    path.write_bytes(bytes(altered))
    assert store.store_original(photo, actor="officer.one") == a.sha256  # uploaded again
    assert path.read_bytes() == photo  # the genuine bytes are back in place
    kept = list((store.root / "altered").iterdir())
    assert len(kept) == 1 and kept[0].read_bytes() == bytes(altered)  # kept as found
    entry = store.custody()[-1]
    assert entry.action == "original_altered" and entry.actor == "officer.one"
    assert entry.details["found_sha256"] == hashlib.sha256(altered).hexdigest()
    assert entry.details["records"] == [a.id, b.id]
    report = verify_store(store)
    assert not report.ok  # still reported after the repair
    problem = next(p for p in report.problems if "found altered" in p)
    assert a.id in problem and b.id in problem and "altered/" in problem


def test_verify_names_the_records_sharing_an_altered_original(store, photo):
    a = add(store, photo)
    b = add(store, photo, case_ref="CASE-2")
    store.original_path(a.sha256).write_bytes(photo[:-10])
    problem = next(p for p in verify_store(store).problems if "was altered" in p)
    assert a.id in problem and b.id in problem


def test_export_is_atomic_and_a_failure_logs_one_entry(store, photo, tmp_path):
    good = add(store, b"\xff\xd8 first photo of the case \xff\xd9")
    bad = add(store, photo)
    store.original_path(bad.sha256).write_bytes(photo[:-1])  # altered after upload
    out = tmp_path / "usb" / "case1"
    before = len(store.custody())
    with pytest.raises(IntegrityError) as caught:
        export_case(store, "CASE-1", out, "supervisor")
    assert bad.id in caught.value.message
    assert not out.exists()
    assert list((tmp_path / "usb").iterdir()) == []  # no partial or temporary folder
    new = store.custody()[before:]
    assert [e.action for e in new] == ["export_failed"]
    assert new[0].details["case_ref"] == "CASE-1"
    assert set(new[0].details["records"]) == {good.id, bad.id}

    store.original_path(bad.sha256).write_bytes(photo)  # restored
    out.mkdir()  # an empty target is fine
    report = export_case(store, "CASE-1", out, "supervisor")
    assert report.items == 2 and (out / "manifest.json").is_file()
    assert [p.name for p in (tmp_path / "usb").iterdir()] == ["case1"]
    exports = [e for e in store.custody() if e.action == "export"]
    assert {e.record_id for e in exports} == {good.id, bad.id}
    manifest = json.loads((out / "manifest.json").read_text())
    exported = next(i for i in manifest["items"] if i["id"] == bad.id)
    assert (out / exported["original"]).read_bytes() == photo


def test_verify_reports_leftover_temporary_files(store, photo):
    add(store, photo)
    (store.incoming_dir / ".upload-abc123").write_bytes(photo[:1000])
    shard = store.original_path(hashlib.sha256(b"x").hexdigest()).parent
    shard.mkdir(parents=True, exist_ok=True)
    (shard / ".tmp-xyz").write_bytes(b"partial")
    report = verify_store(store)
    assert report.ok  # leftovers are not tampering
    assert sorted(report.leftovers) == sorted(
        ["incoming/.upload-abc123", f"originals/{shard.name}/.tmp-xyz"]
    )
    assert report.to_dict()["leftovers"] == report.leftovers


def test_records_from_before_migration_0002_still_verify(tmp_path):
    root = tmp_path / "old"
    root.mkdir()
    db_path = root / "evidence.db"
    conn = sqlite3.connect(db_path, isolation_level=None)
    from sqlite_utils import Database

    db = Database(conn)
    evidence_migrations.apply(db, stop_before="0002_originals_and_roles")
    assert "original_status" not in db["records"].columns_dict
    conn.close()
    store = EvidenceStore.open(root)  # applies 0002
    try:
        data = b"\xff\xd8 legacy photo \xff\xd9"
        record = add(store, data)
        # a row as the old code wrote it: no original columns
        store.db.execute("UPDATE records SET original_status = NULL WHERE id = ?", [record.id])
        old = store.get(record.id)
        assert old.original is None
        body = old.to_dict()
        assert body["original"]["status"] == "received"
        assert body["original"]["sha256"] == old.sha256
        del body["original"]
        assert old.content_hash() == sha256_text(canonical_json(body))
        assert "role" in store.db["tokens"].columns_dict
        assert verify_store(store).ok
    finally:
        store.close()


@pytest.mark.parametrize(
    "value",
    ["CASE\u202e24-ESAC", "CASE\u2066-1\u2069", "CASE\n1", "CASE\x7f1", "CASE\x001"],
)
def test_case_ref_refuses_bidi_and_control_characters(value):
    with pytest.raises(BadField):
        check_text("case_ref", value)


def test_notes_keep_line_breaks_and_right_to_left_text():
    text = "seized at gate 3\n\tسن الفيل\r\nsecond line"
    assert check_text("notes", text) == text
    with pytest.raises(BadField):
        check_text("notes", "bell \x07")
