"""``idtool evaluate --field-comparison --candidate``: both extra runs, end to end (slow)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from test_field_loop import lab_confirms, post_uploads, tiger_photos

from idtool.cli import main
from idtool.config import SHIPPED_MODELS_DIR
from idtool.model.discovery import list_bundles


@pytest.mark.slow
def test_field_comparison_and_candidate_gate(core_home_copy, tmp_path):
    photos = tiger_photos()[:6]
    post = tmp_path / "post"
    lab_confirms(post, post_uploads(post, photos, "CASE-E"), "Panthera tigris")
    env = {"IDTOOL_HOME": str(core_home_copy)}
    runner = CliRunner()
    imported = runner.invoke(main, ["reference", "import-confirmed", str(post)], env=env)
    assert imported.exit_code == 0, imported.output
    candidate = list_bundles(SHIPPED_MODELS_DIR)[0]
    result = runner.invoke(
        main,
        [
            "evaluate",
            "--folds",
            "3",
            "--field-comparison",
            "--candidate",
            str(candidate),
            "--out",
            str(tmp_path / "eval"),
            "--format",
            "json",
        ],
        env=env,
    )
    assert result.exit_code in (0, 3), result.output
    body = json.loads(result.stdout.strip().splitlines()[-1])
    rows = {r["class"]: r for r in body["field_comparison"]["per_class"]}
    assert rows["Panthera tigris"]["museum_only_top1"] is None
    assert rows["Panthera tigris"]["field_photos"] == 6
    assert rows["material_ivory"]["museum_photos"] == 10
    assert body["provenance"]["Panthera tigris"]["field"]["photos"] == 6
    assert body["candidate"]["same_folds_as"] == body["model_version"]
    assert body["gate"] is not None
