"""The one atomic-write helper (``idtool.atomic``): content, permissions, no temp left."""

from __future__ import annotations

import ast
import os
import stat
from pathlib import Path

import pytest

from idtool.atomic import atomic_open, copy_atomic, write_atomic, write_atomic_text
from idtool.config import PROJECT_ROOT


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_write_atomic_writes_bytes_and_text_readable_by_all(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "report.json"
    write_atomic(target, b'{"a": 1}\n')
    assert target.read_bytes() == b'{"a": 1}\n'
    assert mode_of(target) == 0o644  # mkstemp alone gives 0600
    write_atomic(target, "é\n")
    assert target.read_bytes() == "é\n".encode()
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.json"]


def test_permissions_can_be_asked_for(tmp_path: Path) -> None:
    target = tmp_path / "secret.txt"
    write_atomic(target, b"x", permissions=0o600)
    assert mode_of(target) == 0o600


def test_text_writer_keeps_newlines_as_written(tmp_path: Path) -> None:
    target = tmp_path / "table.csv"
    write_atomic_text(target, lambda out: out.write("a,b\r\n1,ü\r\n"))
    assert target.read_bytes() == "a,b\r\n1,ü\r\n".encode()


def test_failure_while_writing_leaves_the_old_file_and_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    target.write_bytes(b"old")

    def boom(out: object) -> None:
        out.write("half of the new")  # type: ignore[attr-defined]
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        write_atomic_text(target, boom)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_failed_rename_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "taken"
    target.mkdir()
    (target / "inside").write_text("x")  # a non-empty folder cannot be replaced by a file
    with pytest.raises(OSError):
        write_atomic(target, b"data")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]


def test_unreadable_source_copy_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        copy_atomic(tmp_path / "missing.jpg", tmp_path / "out" / "copy.jpg")
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []
    source = tmp_path / "photo.jpg"
    source.write_bytes(os.urandom(300_000))
    copy_atomic(source, tmp_path / "out" / "copy.jpg")
    assert (tmp_path / "out" / "copy.jpg").read_bytes() == source.read_bytes()
    assert mode_of(tmp_path / "out" / "copy.jpg") == 0o644


def test_only_whole_file_modes(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="whole files"), atomic_open(tmp_path / "x", "ab"):
        pass


RENAMES = ("replace", "rename", "mkstemp", "NamedTemporaryFile")
# Moves of whole folders or of files already written (not temp-file-then-rename writers).
ALLOWED_RENAMES = {
    "idtool/atomic.py",  # the helper itself
    "idtool/evidence/originals.py",  # uploads arrive in incoming/, one rename adopts them
    "idtool/evidence/export.py",  # renames the finished export folder into place
    "idtool/model/bundle.py",  # renames a finished bundle folder into place
    "idtool/model/onnx_export.py",  # moves the validated export out of its temp folder
    "idtool/cites/index_cache.py",  # SQLite builds the derived index in its own file
    "idtool/hub/blobs.py",  # hub uploads: a verified partial file renamed to its SHA-256
    "idtool/learn/update_install.py",  # moves verified bundle folders; SQLite backup files
}


def test_no_other_module_writes_through_its_own_temp_file_and_rename() -> None:
    offenders = []
    for folder in ("idtool", "server"):
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py")):
            relative = path.relative_to(PROJECT_ROOT).as_posix()
            if relative in ALLOWED_RENAMES:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.Attribute)
                    and node.attr in RENAMES
                    and isinstance(node.value, ast.Name)
                    and node.value.id in {"os", "tempfile"}
                ):
                    offenders.append(f"{relative}:{node.lineno} {node.value.id}.{node.attr}")
    assert offenders == [], "use idtool.atomic instead of: " + ", ".join(offenders)
