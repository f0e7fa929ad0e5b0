"""One way to write a file so that readers never see half of it.

Every file idtool writes in place (reports, evidence files, custody anchor, captured
listing payloads, annotated images, reference photos) goes through :func:`atomic_open`:
the content is written to a temporary file in the same folder (``.tmp-<name>-*``, hidden
and on the same file system), flushed and fsynced, given its permissions (0644 unless
told), renamed over the target, and the folder is fsynced so the rename survives a power
cut. On any failure the temporary file is removed and the target is left as it was.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

TEMP_PREFIX = ".tmp-"
FILE_MODE = 0o644


def fsync_dir(directory: Path) -> None:
    """Make a rename in ``directory`` durable (no-op where directories cannot be opened)."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def temp_prefix(path: Path) -> str:
    """The name prefix of ``path``'s temporary files (``.tmp-<name>-``)."""
    return f"{TEMP_PREFIX}{path.name}-"


@contextlib.contextmanager
def atomic_open(
    path: Path,
    mode: str = "wb",
    *,
    permissions: int = FILE_MODE,
    encoding: str | None = None,
    newline: str | None = None,
) -> Iterator[IO[Any]]:
    """Open a temporary file that replaces ``path`` when the ``with`` block ends.

    Args:
        path: the file to write (its folder is created if needed).
        mode: ``"wb"`` (bytes) or ``"w"`` (text, UTF-8 unless ``encoding`` says).
        permissions: the file's mode bits (0644: readable by all, as a plain write gives).
        encoding: text encoding for ``"w"``.
        newline: as :func:`open` (``""`` for the csv module).

    Raises:
        ValueError: ``mode`` is not ``"w"`` or ``"wb"``.
        OSError: the folder cannot be written; ``path`` is then unchanged and no
            temporary file is left.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_open writes whole files: mode 'w' or 'wb', not {mode!r}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=temp_prefix(path))
    tmp = Path(name)
    try:
        text = mode == "w"
        with os.fdopen(
            fd,
            mode,
            encoding=(encoding or "utf-8") if text else None,
            newline=newline if text else None,
        ) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, permissions)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def write_atomic(path: Path, data: bytes | str, *, permissions: int = FILE_MODE) -> None:
    """Write ``data`` (bytes, or text as UTF-8) to ``path`` through :func:`atomic_open`."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_open(path, "wb", permissions=permissions) as handle:
        handle.write(payload)


def copy_atomic(source: Path, path: Path, *, permissions: int = FILE_MODE) -> None:
    """Copy ``source`` byte for byte to ``path`` through :func:`atomic_open`.

    Raises:
        OSError: ``source`` cannot be read or ``path`` cannot be written.
    """
    with open(source, "rb") as src, atomic_open(path, "wb", permissions=permissions) as dst:
        shutil.copyfileobj(src, dst)


def write_atomic_text(path: Path, write: Callable[[IO[str]], None]) -> None:
    """Let ``write`` fill a UTF-8 text file (newlines untranslated, as csv wants)."""
    with atomic_open(path, "w", newline="") as handle:
        write(handle)
