"""The original photos on disk, content-addressed, never re-encoded, never overwritten.

Layout under the evidence root::

    originals/ab/abcdef...                each original byte for byte, named by its SHA-256
    incoming/.upload-*, incoming/.tmp-*   files being received (adopted by one rename)
    altered/<sha256>.<when>.<found>       stored originals found altered, kept as found

A file arrives in ``incoming/`` (same file system), is synced, then handed to
:meth:`OriginalFiles.adopt`, which from then on owns it: it is renamed into
``originals/``, or deleted when the same original is already stored intact (or when the
adoption fails). If a file is already stored under that name but no longer hashes to it,
it was altered: it is moved to ``altered/`` as found, never overwritten.

A file being received is held under an exclusive ``flock`` (:func:`open_incoming`) until
it is adopted or deleted, so the start-up clean-up (:meth:`OriginalFiles.leftovers` and
:func:`in_use`) can tell an upload in progress from one cut off by a crash.
"""

from __future__ import annotations

import contextlib
import fcntl
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


def open_incoming(directory: Path, prefix: str = ".tmp-") -> tuple[int, Path]:
    """A new temporary file in ``directory``, locked (``flock``) while its descriptor is open.

    Returns:
        ``(file descriptor, path)``; closing the descriptor releases the lock.
    """
    directory.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=directory, prefix=prefix)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # waits out an in_use() probe (microseconds)
    except BaseException:
        os.close(fd)
        os.unlink(name)
        raise
    return fd, Path(name)


def in_use(path: Path) -> bool:
    """True while some process holds the :func:`open_incoming` lock on ``path``."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return True  # gone already: someone else dealt with it
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


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
        """Take the synced file ``path`` (content ``sha256``) into ``originals/``.

        From this call on ``path`` belongs to the store, whatever happens: it is renamed
        into ``originals/``, or deleted when the same original is already stored intact,
        or deleted when the adoption fails. If the stored file under this name no longer
        hashes to it, that file is moved to ``altered/`` as found and ``path`` takes its
        place.

        Returns:
            The altered file found, if any (the caller logs it in the custody chain).
        """
        moved = False
        try:
            target = self.path(sha256)
            altered = None
            if target.is_file():
                found = sha256_file(target)
                if found == sha256:
                    return None  # already stored: ``path`` is a duplicate (deleted below)
                stamp = now_iso().replace(":", "").replace("+0000", "Z")
                kept = self.root / ALTERED / f"{sha256}.{stamp}.{found[:12]}"
                kept.parent.mkdir(parents=True, exist_ok=True)
                os.replace(target, kept)
                altered = AlteredOriginal(sha256, found, kept)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, target)
            moved = True
            fsync_dir(target.parent)
            return altered
        finally:
            if not moved:
                with contextlib.suppress(OSError):
                    path.unlink(missing_ok=True)

    def new_temp(self) -> tuple[int, Path]:
        """A new locked temporary file in ``incoming/`` (see :func:`open_incoming`)."""
        return open_incoming(self.incoming_dir)

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
