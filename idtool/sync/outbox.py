"""What a post holds for the hub, read through the evidence store's public functions,
and the post's checkpoint per hub (``<evidence>/sync/<hub>.json``).

A record travels in the exact shape its custody hash was computed over
(:meth:`EvidenceRecord.content_hash`), so the hub can check it against the log.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from idtool.atomic import write_atomic
from idtool.evidence.custody import CustodyEntry
from idtool.evidence.store import EvidenceRecord, EvidenceStore

SYNC_DIR = "sync"


def record_body(record: EvidenceRecord) -> dict[str, Any]:
    """The record as hashed in its custody entries (legacy records without ``original``)."""
    body = record.to_dict()
    if record.original is None:
        del body["original"]
    return body


def record_files(record: EvidenceRecord) -> list[str]:
    """SHA-256 of every file a record names: its photo, its original, the item's photos."""
    found = [record.sha256]
    original = record.original_or_photo()
    if original.sha256 and original.sha256 not in found:
        found.append(original.sha256)
    for photo in record.identification.get("photos") or []:
        sha = photo.get("sha256") if isinstance(photo, dict) else None
        if isinstance(sha, str) and sha not in found:
            found.append(sha)
    return found


@dataclass(frozen=True)
class LocalCheckpoint:
    """What this post last knew the hub to hold (None: never synced)."""

    hub: str
    post: str | None
    custody_seq: int
    entry_hash: str | None
    at: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "hub": self.hub,
            "post": self.post,
            "custody_seq": self.custody_seq,
            "entry_hash": self.entry_hash,
            "at": self.at,
        }


def hub_key(url: str) -> str:
    """A file name for one hub URL (host, port and a short hash of the URL)."""
    parts = urlsplit(url)
    host = re.sub(r"[^A-Za-z0-9.-]", "_", parts.hostname or "hub")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    digest = hashlib.sha256(url.rstrip("/").encode()).hexdigest()[:8]
    return f"{host}-{port}-{digest}"


def checkpoint_path(store: EvidenceStore, url: str) -> Path:
    return store.root / SYNC_DIR / f"{hub_key(url)}.json"


def load_checkpoint(store: EvidenceStore, url: str) -> LocalCheckpoint:
    path = checkpoint_path(store, url)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return LocalCheckpoint(
            url, data.get("post"), int(data["custody_seq"]), data.get("entry_hash"), data.get("at")
        )
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return LocalCheckpoint(url, None, 0, None, None)


def save_checkpoint(store: EvidenceStore, checkpoint: LocalCheckpoint) -> None:
    """Write the checkpoint atomically (a crash leaves the old one or the new one)."""
    path = checkpoint_path(store, checkpoint.hub)
    write_atomic(path, json.dumps(checkpoint.to_dict(), indent=1).encode("utf-8"))


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@dataclass
class Pending:
    """What the post holds beyond a hub sequence number."""

    entries: list[CustodyEntry] = field(default_factory=list)
    record_ids: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    file_bytes: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "custody_entries": len(self.entries),
            "records": len(self.record_ids),
            "files": len(self.files),
            "file_bytes": self.file_bytes,
        }


def pending_after(store: EvidenceStore, seq: int) -> Pending:
    """Entries after ``seq``, the records they touch and the files those records name."""
    pending = Pending(entries=[e for e in store.custody() if e.seq > seq])
    seen: set[str] = set()
    for entry in pending.entries:
        if entry.record_id and entry.record_id not in seen:
            seen.add(entry.record_id)
            pending.record_ids.append(entry.record_id)
    files: list[str] = []
    for record_id in pending.record_ids:
        for sha in record_files(store.get(record_id)):
            if sha not in files:
                files.append(sha)
    pending.files = files
    for sha in files:
        path = store.original_path(sha)
        if path.is_file():
            pending.file_bytes += path.stat().st_size
    return pending
