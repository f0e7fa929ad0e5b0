"""The hub as the HTTP layer sees it: one object per process, one transaction per call.

:class:`Hub` holds the database URL and the original store. Every method opens its own
connection and transaction, so a killed hub process loses at most the call in flight
(which the post simply sends again).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from idtool.errors import Forbidden, IdtoolError
from idtool.hub.blobs import BlobStore, ChunkResult, check_sha256
from idtool.hub.database import apply_migrations, transaction
from idtool.hub.ingest import (
    ChainRefused,
    CustodyPushResult,
    RecordsPushResult,
    custody_head,
    ingest_custody,
    ingest_records,
    log_refusal,
    named_by_post,
    originals_needed,
    record_ids_needed,
)
from idtool.hub.links import photo_hashes, record_original
from idtool.hub.tokens import HubCaller, authenticate

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Checkpoint:
    """What the hub holds of a post, and what it still needs."""

    post: str
    head: dict[str, Any]
    records_needed: list[str]
    originals_needed: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "post": self.post,
            "custody": self.head,
            "records_needed": self.records_needed,
            "originals_needed": self.originals_needed,
        }


class Hub:
    """The hub's database and store."""

    def __init__(self, url: str, store_dir: Path) -> None:
        self.url = url
        self.blobs = BlobStore.open(store_dir)

    @classmethod
    def open(cls, url: str, store_dir: Path) -> Hub:
        """Migrate the database if needed and open the store."""
        apply_migrations(url)
        return cls(url, store_dir)

    def authenticate(self, token: str | None) -> HubCaller:
        """Raises: Unauthorized: missing, unknown or revoked token."""
        with transaction(self.url) as conn:
            return authenticate(conn, token)

    def checkpoint(self, caller: HubCaller) -> Checkpoint:
        post = caller.pushing_post()
        with transaction(self.url) as conn:
            return Checkpoint(
                post,
                custody_head(conn, post).to_dict(),
                record_ids_needed(conn, post),
                originals_needed(conn, post),
            )

    def _refuse(self, post: str, exc: IdtoolError) -> None:
        with transaction(self.url) as conn:
            log_refusal(conn, post, exc.code, exc.message)

    def push_custody(
        self, caller: HubCaller, entries: list[Any], post_head: dict[str, Any] | None
    ) -> CustodyPushResult:
        """Raises: ChainRefused (logged in ``refusals``), BadField, Forbidden."""
        post = caller.pushing_post()
        try:
            with transaction(self.url) as conn:
                return ingest_custody(conn, post, entries, post_head)
        except ChainRefused as exc:
            self._refuse(post, exc)
            raise

    def push_records(self, caller: HubCaller, bodies: list[Any]) -> RecordsPushResult:
        """Raises: BadField, Forbidden. Rejected records are logged in ``refusals``."""
        post = caller.pushing_post()
        with transaction(self.url) as conn:
            result = ingest_records(conn, post, bodies)
        for item in result.rejected:
            with transaction(self.url) as conn:
                log_refusal(conn, post, item["code"], item["message"])
        return result

    def original_status(self, caller: HubCaller, sha256: str) -> ChunkResult:
        """How much of ``sha256`` the hub holds from this post."""
        post = caller.pushing_post()
        check_sha256(sha256)
        if self._registered(sha256):
            return ChunkResult(-1, True)
        return ChunkResult(self.blobs.offset(sha256, post), False)

    def _registered(self, sha256: str) -> bool:
        with transaction(self.url) as conn:
            row = conn.execute("SELECT 1 FROM originals WHERE sha256 = %s", [sha256]).fetchone()
        return row is not None

    def upload_chunk(
        self, caller: HubCaller, sha256: str, start: int, total: int, chunk: bytes
    ) -> ChunkResult:
        """Store one chunk of an original; the last one registers and links it.

        Raises:
            Forbidden: none of the post's records names this file.
            UploadOffsetMismatch: resend from the offset the hub holds.
            UploadCorrupt: the complete file does not hash to ``sha256`` (logged).
        """
        post = caller.pushing_post()
        check_sha256(sha256)
        with transaction(self.url) as conn:
            if not named_by_post(conn, post, sha256):
                raise Forbidden(
                    f"no record of post {post} names the file {sha256}: push the records first"
                )
        try:
            result = self.blobs.write_chunk(sha256, post, start, total, chunk)
        except IdtoolError as exc:
            if exc.code == "upload_corrupt":
                self._refuse(post, exc)
            raise
        if result.stored:
            self.register_original(post, sha256)
        return result

    def register_original(self, post: str, sha256: str) -> None:
        """Record a stored original in the database (idempotent) and link it."""
        path = self.blobs.path(sha256)
        hashes = photo_hashes(path)
        with transaction(self.url) as conn:
            if record_original(conn, sha256, path.stat().st_size, post, hashes):
                log.info("hub: original %s from %s stored", sha256[:12], post)
