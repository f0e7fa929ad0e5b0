"""The hub's original store: content-addressed files under ``--store``, sent in chunks.

Layout under the store directory (a local disk or a mounted volume shared by hub
machines)::

    originals/ab/abcdef...        each original byte for byte, named by its SHA-256
    incoming/<sha256>.<post>.part an upload in progress (resumable from its size)
    altered/...                   a stored file found not to hash to its name, kept as found
    thumbnails/ab/<sha256>.jpg    derived images for the analysts' page (never evidence)

A chunk is accepted only at the current end of its partial file, so a resend after a
crash continues where the bytes stop. The last chunk makes the hub hash the whole file:
a match is fsynced and renamed into ``originals/`` (atomic), a mismatch is discarded and
the upload starts over.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path

from idtool.atomic import write_atomic
from idtool.errors import BadField, Conflict, IntegrityError, NotFound
from idtool.evidence.originals import OriginalFiles, fsync_dir
from idtool.hashing import sha256_file

INCOMING = "incoming"
THUMBNAILS = "thumbnails"
THUMBNAIL_PX = 320
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class UploadOffsetMismatch(Conflict):
    """A chunk did not start where the partial upload ends (resend from ``offset``)."""

    code = "upload_offset"

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


class UploadCorrupt(IntegrityError):
    """A complete upload did not hash to the name it was sent under (discarded; resend)."""

    code = "upload_corrupt"
    http_status = 422


@dataclass(frozen=True)
class ChunkResult:
    """Where an upload stands after a chunk: bytes held, and whether it is complete."""

    offset: int
    stored: bool


def check_sha256(sha256: str) -> str:
    """Raises: BadField: not a lower-case hex SHA-256."""
    if not _SHA256.match(sha256 or ""):
        raise BadField(f"not a SHA-256 digest: {sha256!r}")
    return sha256


class BlobStore:
    """Originals under one directory, named by SHA-256."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files = OriginalFiles(root)
        self.incoming = root / INCOMING

    @classmethod
    def open(cls, root: Path) -> BlobStore:
        root.mkdir(parents=True, exist_ok=True)
        store = cls(root)
        store.files.create_dirs()
        return store

    def path(self, sha256: str) -> Path:
        return self.files.path(check_sha256(sha256))

    def has(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def partial(self, sha256: str, post: str) -> Path:
        return self.incoming / f"{check_sha256(sha256)}.{post}.part"

    def offset(self, sha256: str, post: str) -> int:
        """Bytes of ``sha256`` already received from ``post`` (0: none)."""
        try:
            return self.partial(sha256, post).stat().st_size
        except FileNotFoundError:
            return 0

    def write_chunk(
        self, sha256: str, post: str, start: int, total: int, chunk: bytes
    ) -> ChunkResult:
        """Append ``chunk`` at ``start`` of the upload of ``sha256`` (``total`` bytes).

        Returns:
            The new offset; ``stored`` once the whole file arrived and hashed right.

        Raises:
            UploadOffsetMismatch: ``start`` is not where the partial file ends.
            UploadCorrupt: the complete file does not hash to ``sha256`` (discarded).
            BadField: the chunk runs past ``total``.
        """
        if self.has(sha256):
            return ChunkResult(total, True)
        if start + len(chunk) > total:
            raise BadField(f"chunk {start}+{len(chunk)} runs past the file's {total} bytes")
        part = self.partial(sha256, post)
        self.incoming.mkdir(parents=True, exist_ok=True)
        with part.open("ab") as handle:
            # One writer per partial file, even if a retry arrives while a slow request
            # for the same chunk is still running.
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            current = os.fstat(handle.fileno()).st_size
            if start != current:
                raise UploadOffsetMismatch(
                    f"the hub holds {current} bytes of {sha256}; send from there", current
                )
            handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        offset = current + len(chunk)
        if offset < total:
            return ChunkResult(offset, False)
        if not self.has(sha256):  # a concurrent final chunk may have adopted it already
            self.adopt(part, sha256)
        return ChunkResult(total, True)

    def adopt(self, part: Path, sha256: str) -> None:
        """Hash a complete upload and rename it into ``originals/`` (or discard it).

        Raises:
            UploadCorrupt: the bytes do not hash to ``sha256``.
        """
        try:
            found = sha256_file(part)
        except FileNotFoundError:
            if self.has(sha256):
                return
            raise NotFound(f"the upload of {sha256} vanished: send it again") from None
        if found != sha256:
            part.unlink(missing_ok=True)
            raise UploadCorrupt(
                f"the file sent as {sha256} hashes to {found}: discarded, send it again"
            )
        altered = self.files.adopt(part, sha256)
        part.unlink(missing_ok=True)
        if altered is not None:
            # The stored copy had been altered; the verified upload took its place.
            fsync_dir(altered.kept_at.parent)

    def read(self, sha256: str) -> bytes:
        """Raises: NotFound: not in the store."""
        path = self.path(sha256)
        if not path.is_file():
            raise NotFound(f"original {sha256} is not in the hub store")
        return path.read_bytes()

    def verify(self, sha256: str) -> str | None:
        """A problem with the stored file of ``sha256``, or None when it is intact."""
        path = self.path(sha256)
        if not path.is_file():
            return f"original {sha256}: missing from {self.root}"
        found = sha256_file(path)
        if found != sha256:
            return f"original {sha256}: the stored file hashes to {found}"
        return None

    def thumbnail(self, sha256: str) -> bytes:
        """A JPEG of at most THUMBNAIL_PX, upright, cached under ``thumbnails/``.

        Raises:
            NotFound: no such original, or it is not an image.
        """
        from PIL import Image, ImageOps, UnidentifiedImageError

        cached = self.root / THUMBNAILS / sha256[:2] / f"{check_sha256(sha256)}.jpg"
        if cached.is_file():
            return cached.read_bytes()
        source = self.path(sha256)
        if not source.is_file():
            raise NotFound(f"original {sha256} is not in the hub store")
        try:
            with Image.open(source) as image:
                image.draft("RGB", (THUMBNAIL_PX * 2, THUMBNAIL_PX * 2))
                upright = ImageOps.exif_transpose(image).convert("RGB")
                upright.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
                out = io.BytesIO()
                upright.save(out, "JPEG", quality=80)
        except (UnidentifiedImageError, OSError):
            raise NotFound(f"original {sha256} is not an image the hub can show") from None
        data = out.getvalue()
        write_atomic(cached, data)
        return data

    def leftovers(self) -> list[Path]:
        """Partial uploads not finished (resumable; not a problem)."""
        with contextlib.suppress(FileNotFoundError):
            return sorted(self.incoming.glob("*.part"))
        return []


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
