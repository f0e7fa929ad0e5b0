"""A prepared file keeps what a second decode (for tiles) needs, and counts it."""

from __future__ import annotations

from pathlib import Path

from support import EXAMPLES

from idtool.batch.items import JobOptions, Prepared, prepare
from idtool.batch.walk import BatchItem
from idtool.cites.guidance import TradeDeclaration
from idtool.hashing import sha256_file
from idtool.model.bundle import ModelBundle

OPTIONS = JobOptions(TradeDeclaration(), top_k=3, max_bytes=40_000_000, max_pixels=60_000_000)


def _item(path: Path) -> BatchItem:
    stat = path.stat()
    return BatchItem(path, path.name, sha256_file(path), stat.st_size, stat.st_mtime_ns)


def _pixels_bytes(prepared: Prepared) -> int:
    assert prepared.decoded is not None and prepared.decoded.model_input is not None
    thumbnail = len(prepared.thumbnail or b"")
    return prepared.decoded.rgb.nbytes + prepared.decoded.model_input.nbytes + thumbnail


def test_a_file_read_here_keeps_its_path_not_its_bytes(shipped_bundle: ModelBundle) -> None:
    path = EXAMPLES / "ivory_1.jpg"
    data = path.read_bytes()
    prepared = prepare(_item(path), OPTIONS, shipped_bundle.preprocess, data)
    assert prepared.decoded is not None
    assert prepared.decoded.source == path
    assert prepared.footprint_bytes == _pixels_bytes(prepared)  # no bytes held or counted


def test_bytes_from_elsewhere_are_kept_and_counted(
    shipped_bundle: ModelBundle, tmp_path: Path
) -> None:
    path = EXAMPLES / "ivory_1.jpg"
    data = path.read_bytes()
    item = BatchItem(tmp_path / "on-another-machine.jpg", "x.jpg", "0" * 64, len(data), 0)
    prepared = prepare(item, OPTIONS, shipped_bundle.preprocess, data)
    assert prepared.decoded is not None
    assert prepared.decoded.source is data
    assert prepared.footprint_bytes == _pixels_bytes(prepared) + len(data)
