"""Start-up clean-up of temporary files left in the evidence store by a crash.

An upload cut off by ``kill -9`` or a power cut leaves its temporary file in
``incoming/`` (often a complete copy of the photo). :func:`clean_leftovers` runs when the
field server starts: each leftover is hashed and checked against the records first.

- a file still being written (an upload in progress in another process holds its lock,
  see :func:`~idtool.evidence.originals.in_use`) is left alone;
- a file whose content is the photo or original of a record whose stored copy is missing
  is put back in place (adopted, as an upload would be): evidence is never deleted;
- anything else (a copy of an original already stored, or of a photo no record refers
  to) is deleted.

Temporary files outside ``incoming/`` (a custody-anchor write cut off) carry no lock;
they are deleted only when older than :data:`UNLOCKED_MIN_AGE_S`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from idtool.errors import CustodyAnchorError
from idtool.evidence.originals import in_use
from idtool.evidence.records import item_photo_hashes
from idtool.evidence.store import EvidenceStore
from idtool.hashing import sha256_file

UNLOCKED_MIN_AGE_S = 60.0
SYSTEM_ACTOR = "idtool"

log = logging.getLogger(__name__)


@dataclass
class LeftoverCleanup:
    """What :func:`clean_leftovers` did."""

    removed: list[str] = field(default_factory=list)  # relative paths
    removed_bytes: int = 0
    restored: list[str] = field(default_factory=list)  # SHA-256 of originals put back
    in_use: list[str] = field(default_factory=list)  # relative paths left alone

    def to_dict(self) -> dict[str, Any]:
        return {
            "removed": self.removed,
            "removed_bytes": self.removed_bytes,
            "restored": self.restored,
            "in_use": self.in_use,
        }


def referenced_hashes(store: EvidenceStore) -> set[str]:
    """The SHA-256 of every file some record refers to (photos, added photos, originals)."""
    hashes: set[str] = set()
    for record in store.all_records():
        hashes.update(item_photo_hashes(record))
        original = record.original_or_photo()
        if original.sha256:
            hashes.add(original.sha256)
    return hashes


def _stored_intact(store: EvidenceStore, sha256: str) -> bool:
    path = store.original_path(sha256)
    return path.is_file() and sha256_file(path) == sha256


def clean_leftovers(store: EvidenceStore, *, now: float | None = None) -> LeftoverCleanup:
    """Delete temporary files left by a crash, after checking they belong to no record.

    Args:
        store: the open evidence store.
        now: the current time (seconds since the epoch); tests pass it.

    Returns:
        What was removed (with the bytes freed), restored and left alone; the same
        counts are logged.
    """
    now = time.time() if now is None else now
    result = LeftoverCleanup()
    referenced: set[str] | None = None
    for path in store.files.leftovers():
        relative = str(path.relative_to(store.root))
        locked = path.parent == store.incoming_dir
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue
        if (locked and in_use(path)) or (not locked and now - stat.st_mtime < UNLOCKED_MIN_AGE_S):
            result.in_use.append(relative)
            continue
        sha256 = sha256_file(path)
        if referenced is None:
            referenced = referenced_hashes(store)
        if sha256 in referenced and not _stored_intact(store, sha256):
            try:
                store.adopt_original(path, sha256, SYSTEM_ACTOR)
            except CustodyAnchorError as exc:  # put back, but its custody entry is refused
                log.error("original %s put back without its custody entry: %s", sha256, exc)
            result.restored.append(sha256)
            log.warning(
                "original %s of records %s was missing: put back from the leftover %s",
                sha256,
                ", ".join(store.records_sharing(sha256)) or "(added photo)",
                relative,
            )
            continue
        path.unlink(missing_ok=True)
        result.removed.append(relative)
        result.removed_bytes += stat.st_size
    if result.removed:
        log.warning(
            "removed %d temporary files (%d bytes) left in %s by an interrupted upload or "
            "write (copies of stored originals, or photos no record refers to)",
            len(result.removed),
            result.removed_bytes,
            store.root,
        )
    if result.in_use:
        log.info("left %d temporary files being written now", len(result.in_use))
    return result
