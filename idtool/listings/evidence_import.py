"""Put the captured files of chosen market listings (adverts) into the evidence store.

Every file a listing was read from (the export, the saved page, the WARC and its HTML
payload, each photo) becomes one evidence record: the bytes are checked against the
SHA-256 recorded at triage time (a file changed since then is refused), stored unchanged
and logged in the custody chain (``upload`` + ``identification``, as for uploads from
the phone page). A photo's record carries its identify result and guidance; the other
files carry the listing's triage result (priority, reasons, hits, taxa, cluster). Each
record's idempotency key is the listing and the file's hash, so adding a listing twice
stores nothing twice. ``idtool evidence export CASE DIR`` then writes the case out with
its manifest.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from idtool.batch.jobs import JOB_DB
from idtool.errors import BadField, IntegrityError, NotFound
from idtool.evidence.custody import now_iso
from idtool.evidence.records import EvidenceRecord, OriginalPhoto, OriginalStatus
from idtool.evidence.store import EvidenceStore
from idtool.listings.report import JSONL_NAME

LEVELS = ("high", "medium", "low")
MEDIA_FORMATS = {
    "page": "html",
    "warc_payload": "html",
    "warc": "warc",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".jpg": "jpeg",
    ".jpeg": "jpeg",
    ".png": "png",
    ".webp": "webp",
    ".heic": "heic",
    ".bmp": "bmp",
    ".tif": "tiff",
    ".tiff": "tiff",
}


@dataclass
class ListingEvidenceReport:
    case_ref: str
    listings: int = 0
    records_added: int = 0
    already_stored: int = 0
    files: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "case_ref": self.case_ref,
            "listings": self.listings,
            "records_added": self.records_added,
            "already_stored": self.already_stored,
            "files": self.files,
        }


def _media_format(role: str, path: Path) -> str:
    if role in MEDIA_FORMATS:
        return MEDIA_FORMATS[role]
    return MEDIA_FORMATS.get(path.suffix.lower(), "bin")


def select_listings(
    report_dir: Path, ids: tuple[str, ...] = (), min_level: str = "high"
) -> list[dict[str, Any]]:
    """The listings of a triage report chosen by id, else those at ``min_level`` or above.

    Raises:
        NotFound: no report in ``report_dir``, or an id is not in it.
        BadField: an unknown level.
    """
    if min_level not in LEVELS:
        raise BadField(f"unknown level {min_level!r}: use high, medium or low")
    path = report_dir / JSONL_NAME
    if not path.is_file():
        raise NotFound(f"{path} does not exist: run `idtool listings ... --out {report_dir}` first")
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    if ids:
        chosen = [r for r in records if r["id"] in ids]
        unknown = sorted(set(ids) - {r["id"] for r in chosen})
        if unknown:
            raise NotFound(f"not in {path}: {', '.join(unknown)}")
        return chosen
    allowed = LEVELS[: LEVELS.index(min_level) + 1]
    return [r for r in records if r["level"] in allowed]


def _summary(listing: dict[str, Any]) -> dict[str, Any]:
    keys = ["id", "url", "platform", "title", "seller", "priority", "level", "reasons"]
    keys += ["taxa", "text_hits", "cluster_id", "links", "score"]
    return {"listing": {k: listing.get(k) for k in keys}}


def add_listing_evidence(
    store: EvidenceStore,
    listings: list[dict[str, Any]],
    *,
    case_ref: str,
    officer: str,
    model_version: str,
) -> ListingEvidenceReport:
    """Store every captured file of ``listings`` as evidence of ``case_ref``.

    Raises:
        NotFound: a captured file is gone.
        IntegrityError: a captured file's bytes changed since the triage.
    """
    report = ListingEvidenceReport(case_ref)
    for listing in listings:
        report.listings += 1
        photos = {p.get("sha256"): p for p in listing.get("photos") or [] if p.get("sha256")}
        evidence = listing.get("evidence") or {}
        seen: set[str] = set()
        for entry in evidence.get("files") or []:
            sha256, path = entry["sha256"], Path(entry["path"])
            if sha256 in seen:
                continue
            seen.add(sha256)
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise NotFound(f"captured file {path} cannot be read: {exc.strerror}") from None
            if hashlib.sha256(data).hexdigest() != sha256:
                raise IntegrityError(
                    f"{path} changed since the triage (SHA-256 differs): it cannot be "
                    "added as evidence of the captured listing"
                )
            store.store_original(data, actor=officer)
            media_format = _media_format(entry["role"], path)
            now = now_iso()
            photo = photos.get(sha256)
            identification = photo if photo is not None else _summary(listing)
            record = EvidenceRecord(
                id=store.new_record_id(),
                created_at=now,
                officer=officer,
                sha256=sha256,
                byte_count=len(data),
                media_format=media_format,
                exif={},
                declaration={},
                identification=identification,
                guidance=(photo or {}).get("guidance") or {},
                model_version=str((photo or {}).get("model_version") or model_version),
                reference_version=(photo or {}).get("reference_version"),
                listing_set=None,
                case_ref=case_ref,
                notes=(
                    f"listing {listing['id']} ({entry['role']}) from {evidence.get('source')}, "
                    f"captured {evidence.get('captured_at') or 'at an unknown time'}"
                )[:2000],
                idempotency_key=f"listing:{hashlib.sha256(str(listing['id']).encode()).hexdigest()[:24]}:{sha256}",
                filename=path.name[:255],
                original=OriginalPhoto(
                    OriginalStatus.RECEIVED,
                    sha256,
                    len(data),
                    media_format,
                    received_at=now,
                    exif={},
                    working_copy=False,  # the captured file is itself the original
                ),
            )
            _, created = store.add_record(record)
            report.records_added += created
            report.already_stored += not created
            report.files.append(
                {
                    "listing": listing["id"],
                    "role": entry["role"],
                    "sha256": sha256,
                    "added": created,
                }
            )
    return report


def report_model_version(report_dir: Path) -> str:
    """The model version the triage ran with (from its job table)."""
    path = report_dir / JOB_DB
    if not path.is_file():
        return "unknown"
    try:
        with contextlib.closing(sqlite3.connect(path)) as conn:
            row = conn.execute("select model_version from batch_job").fetchone()
    except sqlite3.Error:
        row = None
    return str(row[0]) if row else "unknown"
