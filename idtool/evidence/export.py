"""``idtool evidence export``: one case's originals, records, custody and a manifest.

Everything is written into a temporary folder beside the target
(``.<name>.tmp-export-<random>``) and renamed into place only when complete, so a
reader never sees a partial export. A failed export removes its temporary folder and
logs one ``export_failed`` custody entry; a complete one logs one ``export`` entry per
record, after the rename.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from idtool.atomic import fsync_dir, write_atomic
from idtool.errors import BadField, IntegrityError, NotFound
from idtool.evidence.cases import get_case
from idtool.evidence.confirmations import confirmation_view
from idtool.evidence.custody import append_entry, now_iso, sha256_text
from idtool.evidence.records import EvidenceRecord, OriginalStatus
from idtool.evidence.store import EvidenceStore

EXTENSIONS = {"jpeg": "jpg", "png": "png", "webp": "webp", "heic": "heic", "bmp": "bmp"}
EXTENSIONS.update({"tiff": "tif", "gif": "gif"})
# captured listings (idtool evidence listings)
EXTENSIONS.update({"html": "html", "warc": "warc", "jsonl": "jsonl", "csv": "csv"})
TEMP_MARKER = ".tmp-export-"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExportReport:
    case_ref: str
    directory: Path
    items: int
    manifest: Path

    def to_dict(self) -> dict[str, Any]:
        return {
            "case_ref": self.case_ref,
            "directory": str(self.directory),
            "items": self.items,
            "manifest": str(self.manifest),
        }


def _checked_original(store: EvidenceStore, record: EvidenceRecord, sha256: str) -> bytes:
    data = store.read_original(sha256)
    if hashlib.sha256(data).hexdigest() != sha256:
        raise IntegrityError(
            f"original {sha256} of record {record.id} does not match its SHA-256 "
            f"(records {', '.join(store.records_sharing(sha256))} share it): "
            "run `idtool evidence verify`"
        )
    return data


def _write_record(store: EvidenceStore, record: EvidenceRecord, folder: Path) -> dict[str, Any]:
    ext = EXTENSIONS.get(record.media_format, "bin")
    photo_name = f"{record.id}.{ext}"
    write_atomic(folder / photo_name, _checked_original(store, record, record.sha256))
    original = record.original_or_photo()
    original_name = None
    if (
        original.status is OriginalStatus.RECEIVED
        and original.sha256 is not None
        and original.sha256 != record.sha256
    ):
        original_ext = EXTENSIONS.get(original.media_format or "", "bin")
        original_name = f"{record.id}.original.{original_ext}"
        write_atomic(folder / original_name, _checked_original(store, record, original.sha256))
    body = record.to_dict()
    custody = store.custody(record.id)
    body["confirmation"] = confirmation_view(custody)
    body["custody"] = [e.to_dict() for e in custody]
    record_text = json.dumps(body, indent=2, ensure_ascii=False) + "\n"
    record_name = f"{record.id}.json"
    write_atomic(folder / record_name, record_text.encode("utf-8"))
    return {
        "id": record.id,
        "original": photo_name,
        "sha256": record.sha256,
        "bytes": record.byte_count,
        "full_original": original_name,
        "full_original_status": original.status.value,
        "full_original_sha256": original.sha256,
        "record": record_name,
        "record_file_sha256": sha256_text(record_text),
        "record_sha256": record.content_hash(),
    }


def _write_case_facts(store: EvidenceStore, case_ref: str, folder: Path) -> dict[str, Any] | None:
    """``case.json``: the case's seizure facts, versions and their custody entries (if any)."""
    case = get_case(store, case_ref, with_records=False)
    if case.version == 0:
        return None
    body = case.to_dict()
    body["custody"] = [
        e.to_dict()
        for e in store.custody()
        if e.action == "case_facts" and e.details.get("case_ref") == case.case_ref
    ]
    text = json.dumps(body, indent=2, ensure_ascii=False) + "\n"
    write_atomic(folder / "case.json", text.encode("utf-8"))
    return {"file": "case.json", "version": case.version, "file_sha256": sha256_text(text)}


def export_case(store: EvidenceStore, case_ref: str, directory: Path, actor: str) -> ExportReport:
    """Write the originals, one JSON per record, the custody entries and a manifest.

    Records whose full original arrived after a working copy export both files; a case
    with seizure facts also gets ``case.json`` (facts, versions, their custody entries).

    Raises:
        NotFound: no record has this case reference.
        BadField: ``directory`` exists and is not empty.
        IntegrityError: an original no longer matches its hash (nothing is exported).
    """
    records = sorted(
        store.list_records(case_ref, limit=1_000_000), key=lambda r: (r.created_at, r.id)
    )
    if not records:
        raise NotFound(f"no records with case_ref {case_ref!r}")
    directory = directory.absolute()
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise BadField(f"{directory} is not empty: export into a new directory")
    directory.parent.mkdir(parents=True, exist_ok=True)
    temp = directory.parent / f".{directory.name}{TEMP_MARKER}{uuid.uuid4().hex[:8]}"
    try:
        temp.mkdir()
        items = [_write_record(store, record, temp) for record in records]
        manifest = {
            "case_ref": case_ref,
            "exported_at": now_iso(),
            "exported_by": actor,
            "items": items,
            "case_facts": _write_case_facts(store, case_ref, temp),
            "hash_algorithm": "sha256",
            "custody_head": store.custody()[-1].entry_hash,
        }
        text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
        write_atomic(temp / "manifest.json", text.encode("utf-8"))
        fsync_dir(temp)
        if directory.exists():
            directory.rmdir()  # checked empty above
        os.rename(temp, directory)
        fsync_dir(directory.parent)
    except BaseException as exc:
        shutil.rmtree(temp, ignore_errors=True)
        message = exc.message if isinstance(exc, IntegrityError) else f"{type(exc).__name__}: {exc}"
        store.log(
            actor,
            "export_failed",
            details={
                "case_ref": case_ref,
                "directory": str(directory),
                "records": [r.id for r in records],
                "error": message,
            },
        )
        log.error("export of %s to %s failed: %s", case_ref, directory, message)
        raise
    with store.transaction() as db:
        for record in records:
            append_entry(
                db,
                actor=actor,
                action="export",
                record_id=record.id,
                sha256=record.sha256,
                details={"case_ref": case_ref, "directory": str(directory)},
            )
    return ExportReport(case_ref, directory, len(items), directory / "manifest.json")
