"""The original photos on disk, content-addressed, never re-encoded, never overwritten.

Layout under the evidence root::

    originals/ab/abcdef...                each original byte for byte, named by its SHA-256
    incoming/.upload-*, incoming/.tmp-*   files being received (adopted by one rename)
    altered/<sha256>.<when>.<found>       stored originals found altered, kept as found

A file arrives in ``incoming/`` (same file system), is synced, then renamed into
``originals/``. If a file is already stored under that name but no longer hashes to it,
it was altered: it is moved to ``altered/`` as found, never overwritten.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from idtool.atomic import fsync_dir
from idtool.errors import BadField, NotFound
from idtool.evidence.custody import now_iso
from idtool.hashing import sha256_file

ORIGINALS = "originals"
INCOMING = "incoming"
ALTERED = "altered"
TEMP_PREFIXES = (".tmp-", ".upload-")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class AlteredOriginal:
    """A stored original that no longer hashed to its name when the same photo came again."""

    sha256: str
    found_sha256: str
    kept_at: Path


class OriginalFiles:
    """The ``originals/``, ``incoming/`` and ``altered/`` folders of an evidence root."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.incoming_dir = root / INCOMING

    def create_dirs(self) -> None:
        for name in (ORIGINALS, INCOMING):
            (self.root / name).mkdir(parents=True, exist_ok=True)

    def path(self, sha256: str) -> Path:
        """Where the original with this SHA-256 lives. Raises: BadField: not a digest."""
        if not _SHA256.match(sha256):
            raise BadField(f"not a SHA-256 digest: {sha256!r}")
        return self.root / ORIGINALS / sha256[:2] / sha256

    def adopt(self, path: Path, sha256: str) -> AlteredOriginal | None:
        """Move the synced file ``path`` (content ``sha256``) into ``originals/``.

        If the original is already stored intact, ``path`` is left for the caller to
        delete. If the stored file under this name no longer hashes to it, that file is
        moved to ``altered/`` as found and ``path`` takes its place.

        Returns:
            The altered file found, if any (the caller logs it in the custody chain).
        """
        target = self.path(sha256)
        altered = None
        if target.is_file():
            found = sha256_file(target)
            if found == sha256:
                return None
            stamp = now_iso().replace(":", "").replace("+0000", "Z")
            kept = self.root / ALTERED / f"{sha256}.{stamp}.{found[:12]}"
            kept.parent.mkdir(parents=True, exist_ok=True)
            os.replace(target, kept)
            altered = AlteredOriginal(sha256, found, kept)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)
        fsync_dir(target.parent)
        return altered

    def new_temp(self) -> tuple[int, Path]:
        """A new temporary file in ``incoming/`` (file descriptor, path)."""
        self.incoming_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=self.incoming_dir, prefix=".tmp-")
        return fd, Path(name)

    def read(self, sha256: str) -> bytes:
        """Raises: NotFound: no stored original with this hash."""
        path = self.path(sha256)
        if not path.is_file():
            raise NotFound(f"original {sha256} is missing from {self.root / ORIGINALS}")
        return path.read_bytes()

    def stored(self) -> Iterator[Path]:
        """Every stored original (temporary files excluded)."""
        for path in sorted((self.root / ORIGINALS).glob("*/*")):
            if not path.name.startswith(TEMP_PREFIXES):
                yield path

    def altered(self) -> Iterator[Path]:
        """Every altered original kept aside."""
        yield from sorted((self.root / ALTERED).glob("*"))

    def leftovers(self) -> list[Path]:
        """Temporary files left by an upload in progress, or by a crash mid-write."""
        found = [p for p in sorted(self.incoming_dir.glob("*")) if p.is_file()]
        found += [
            p
            for p in sorted((self.root / ORIGINALS).glob("*/*"))
            if p.name.startswith(TEMP_PREFIXES)
        ]
        found += sorted(self.root.glob(".tmp-*"))
        return found
