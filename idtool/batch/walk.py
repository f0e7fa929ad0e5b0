"""Find the photos of a batch: walk a folder, hash every file, set aside duplicates.

Every file under the input folder is either an :class:`BatchItem` (an image type idtool
reads, first of its SHA-256), a :class:`Duplicate` (same bytes as an earlier item) or a
:class:`SkippedFile` (not an image type, hidden, unreadable), so the report can account
for every file. Hashes are reused from a cache keyed by path, size and modification
time, so resuming a large job does not re-read every file.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from idtool.catalog.reference_import import IMAGE_SUFFIXES
from idtool.errors import NotFound
from idtool.hashing import sha256_file

log = logging.getLogger(__name__)

HASH_THREADS = 4


@dataclass(frozen=True)
class FileFacts:
    """What the hash cache remembers of one file."""

    byte_count: int
    mtime_ns: int
    sha256: str


@dataclass(frozen=True)
class BatchItem:
    """One unique image file to identify."""

    path: Path  # absolute
    rel_path: str  # relative to the input folder, POSIX separators
    sha256: str
    byte_count: int
    mtime_ns: int


@dataclass(frozen=True)
class Duplicate:
    rel_path: str
    sha256: str
    duplicate_of: str  # rel_path of the item that is processed
    byte_count: int
    mtime_ns: int


@dataclass(frozen=True)
class SkippedFile:
    rel_path: str
    reason: str


@dataclass
class Discovery:
    """Everything found under the input folder, in sorted path order."""

    root: Path
    items: list[BatchItem] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)

    @property
    def file_count(self) -> int:
        return len(self.items) + len(self.duplicates) + len(self.skipped)


def _list_files(root: Path, exclude: Path | None) -> tuple[list[Path], list[SkippedFile]]:
    files: list[Path] = []
    skipped: list[SkippedFile] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        base = Path(dirpath)
        kept = []
        for name in sorted(dirnames):
            sub = base / name
            if exclude is not None and sub.resolve() == exclude:
                continue
            if name.startswith("."):
                skipped.append(SkippedFile(_rel(sub, root) + "/", "hidden folder, not searched"))
                continue
            kept.append(name)
        dirnames[:] = kept
        for name in sorted(filenames):
            path = base / name
            rel = _rel(path, root)
            if name.startswith("."):
                skipped.append(SkippedFile(rel, "hidden file"))
            elif path.suffix.lower() not in IMAGE_SUFFIXES:
                suffix = path.suffix.lower() or "no extension"
                skipped.append(SkippedFile(rel, f"not an image type ({suffix})"))
            elif not path.is_file():
                skipped.append(SkippedFile(rel, "not a regular file (broken link?)"))
            else:
                files.append(path)
    return files, skipped


def _rel(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def _facts(path: Path, cache: Mapping[str, FileFacts], rel: str) -> FileFacts | str:
    """The file's facts (hashing it unless the cache is current), or why it cannot be read."""
    try:
        stat = path.stat()
        known = cache.get(rel)
        if known and known.byte_count == stat.st_size and known.mtime_ns == stat.st_mtime_ns:
            return known
        return FileFacts(stat.st_size, stat.st_mtime_ns, sha256_file(path))
    except OSError as exc:
        return f"cannot read ({exc.strerror or exc})"


def discover(
    root: Path, *, exclude: Path | None = None, cache: Mapping[str, FileFacts] | None = None
) -> Discovery:
    """Walk ``root`` recursively and sort every file into items, duplicates and skipped.

    Args:
        root: the input folder.
        exclude: a folder under ``root`` not to walk (the report folder).
        cache: known facts per relative path; a file whose size and mtime match is not
            re-hashed.

    Returns:
        The discovery, in sorted path order (the first path of identical files is the item).

    Raises:
        NotFound: ``root`` is not a folder.
    """
    if not root.is_dir():
        raise NotFound(f"{root} is not a folder: give the folder of photos to identify")
    root = root.resolve()
    files, skipped = _list_files(root, exclude.resolve() if exclude else None)
    known = cache or {}
    rels = [_rel(p, root) for p in files]
    with ThreadPoolExecutor(HASH_THREADS) as pool:  # hashlib releases the GIL
        facts = list(pool.map(_facts, files, [known] * len(files), rels))
    found = Discovery(root, skipped=skipped)
    first: dict[str, str] = {}
    for path, rel, fact in sorted(zip(files, rels, facts, strict=True), key=lambda t: t[1]):
        if isinstance(fact, str):
            found.skipped.append(SkippedFile(rel, fact))
        elif fact.sha256 in first:
            found.duplicates.append(
                Duplicate(rel, fact.sha256, first[fact.sha256], fact.byte_count, fact.mtime_ns)
            )
        else:
            first[fact.sha256] = rel
            found.items.append(BatchItem(path, rel, fact.sha256, fact.byte_count, fact.mtime_ns))
    found.skipped.sort(key=lambda s: s.rel_path)
    log.info(
        "%s: %d images, %d duplicates, %d skipped",
        root,
        len(found.items),
        len(found.duplicates),
        len(found.skipped),
    )
    return found
