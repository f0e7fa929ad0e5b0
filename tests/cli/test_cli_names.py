"""The CLI table shows the names the phone shows (JSON keeps the labels), and identify
passes the bundle's measured confusion to the look-alike triage."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from support import EXAMPLES

import idtool.cli.commands_core as commands_core
from idtool.cli import main
from idtool.config import SHIPPED_MODELS_DIR
from idtool.model.discovery import SHIPPED_BUNDLE

PHOTOS = [str(EXAMPLES / name) for name in ("ivory_1.jpg", "ceramic_1.jpg", "coral_1.jpg")]


@pytest.mark.parametrize(
    ("lang", "names"),
    [
        ("en", ("elephant ivory", "ceramic", "stony coral")),  # the catalog's own names
        ("fr", ("ivoire d'éléphant", "céramique", "coraux durs")),
        ("es", ("marfil de elefante", "cerámica", "corales duros")),
    ],
)
def test_table_shows_names_json_keeps_labels(
    core_home_copy: Path, lang: str, names: tuple[str, ...]
) -> None:
    args = ["--lang", lang, "identify", "--engine", "torch", "--top-k", "5", *PHOTOS]
    table = CliRunner().invoke(main, args, env={"COLUMNS": "400"})
    assert table.exit_code == 0, table.output
    assert "material_" not in table.stdout  # no internal label in the table or next steps
    for name in names:
        assert name in table.stdout
    result = CliRunner().invoke(main, [*args, "--format", "json"])
    records = [json.loads(line) for line in result.stdout.splitlines()]
    labels = {c["label"] for r in records for c in r["candidates"]}
    assert {"material_ivory", "material_ceramic"} <= labels  # JSON keeps the labels


def test_identify_reads_the_confusion_from_the_bundle(
    core_home_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = tmp_path / SHIPPED_BUNDLE
    shutil.copytree(SHIPPED_MODELS_DIR / SHIPPED_BUNDLE, bundle)
    meta = json.loads((bundle / "model.json").read_text(encoding="utf-8"))
    classes = meta["head"]["classes"]
    matrix = [[10 if i == j else 1 for j in range(len(classes))] for i in range(len(classes))]
    meta["metrics"]["confusion"] = {"labels": classes, "matrix": matrix}
    (bundle / "model.json").write_text(json.dumps(meta), encoding="utf-8")
    seen: list[Any] = []
    real = commands_core.with_advice

    def spy(*args: Any) -> Any:
        seen.append(args[3] if len(args) > 3 else None)
        return real(*args)

    monkeypatch.setattr(commands_core, "with_advice", spy)
    result = CliRunner().invoke(
        main, ["identify", "--model", str(bundle), "--format", "json", PHOTOS[1]]
    )
    assert result.exit_code == 0, result.output
    (confusion,) = seen
    assert confusion.labels == tuple(classes)
    assert confusion.taken_for("material_ceramic", "material_ivory") == (1, 14)
    record = json.loads(result.stdout)
    triage = record.get("lookalike_triage")
    if triage:  # when the model hesitates between ivory and ceramic on this photo
        assert {(f["true"], f["predicted"]) for f in triage["confusion"]} >= {
            ("material_ceramic", "material_ivory")
        }
