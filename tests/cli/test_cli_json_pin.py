"""The documented identify JSON is pinned: key order, keys and values of today's output.

``tests/data/identify_pin.jsonl`` holds the JSON Lines of ``identify --format json`` for the
8 photos in ``examples/`` and of ``identify --item`` over three of them (plus an unreadable
file), on the shared test catalog. Paths are written relative to placeholders so the pin holds
in any checkout. Floats are compared to 1e-3 (other CPUs round the last digit differently);
everything else, including the order of the keys, must match exactly.

Regenerate (only when the documented JSON changes on purpose)::

    IDTOOL_PIN_WRITE=1 .venv/bin/pytest tests/cli/test_cli_json_pin.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from support import EXAMPLES

from idtool.cli import main

PIN = Path(__file__).parent.parent / "data" / "identify_pin.jsonl"
PHOTOS = sorted(EXAMPLES.glob("*.jpg"))
TRADE = ["--origin", "KE", "--purpose", "T", "--source", "W"]


def _normalise(value: Any, places: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {k: _normalise(v, places) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v, places) for v in value]
    if isinstance(value, str):
        for prefix, name in places.items():
            value = value.replace(prefix, name)
    return value


def _run(args: list[str], places: dict[str, str]) -> list[Any]:
    result = CliRunner().invoke(main, ["identify", "--format", "json", "--runtime", "torch", *args])
    assert result.exit_code == 0, result.output
    return [_normalise(json.loads(line), places) for line in result.stdout.splitlines()]


def _same(got: Any, want: Any, where: str = "$") -> None:
    if isinstance(want, dict):
        assert isinstance(got, dict), where
        assert list(got) == list(want), f"{where}: keys {list(got)} != {list(want)}"
        for key in want:
            _same(got[key], want[key], f"{where}.{key}")
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), where
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            _same(g, w, f"{where}[{i}]")
    elif isinstance(want, float) and not isinstance(want, bool):
        assert isinstance(got, float), f"{where}: {got!r} != {want!r}"
        assert abs(got - want) <= 1e-3, f"{where}: {got} != {want}"
    else:
        assert type(got) is type(want) and got == want, f"{where}: {got!r} != {want!r}"


@pytest.mark.slow
def test_identify_json_is_unchanged(
    core_home_copy: Path, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    assert len(PHOTOS) == 8, PHOTOS
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(PHOTOS[0].read_bytes()[:300])
    places = {
        str(tmp_path_factory.getbasetemp()): "<TMP>",
        str(EXAMPLES.parent): "<ROOT>",
    }
    lines = _run([*map(str, PHOTOS), *TRADE], places)
    lines += _run(["--item", *map(str, PHOTOS[3:6]), str(broken), *TRADE], places)
    assert len(lines) == 9
    if os.environ.get("IDTOOL_PIN_WRITE"):
        PIN.write_text(
            "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines),
            encoding="utf-8",
        )
    want = [json.loads(line) for line in PIN.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == len(want)
    for i, (got, expected) in enumerate(zip(lines, want, strict=True)):
        _same(got, expected, f"line {i + 1}")
