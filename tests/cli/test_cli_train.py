from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from support import EXAMPLES, small_reference

from idtool.cli import main
from idtool.model.bundle import load_bundle
from idtool.model.runtime import load_engine


def test_train_writes_a_complete_bundle_that_identify_then_uses(home: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    reference = small_reference(tmp_path / "ref", per_class=4)
    imported = runner.invoke(main, ["reference", "import", str(reference)])
    assert imported.exit_code == 0, imported.output
    result = runner.invoke(
        main, ["train", "--folds", "3", "--version", "9.9.9", "--seed", "1", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    target = home / "models" / "idtool-lite0-9.9.9"
    assert summary["bundle"] == str(target)
    assert 0.5 < summary["top1_accuracy"] <= 1.0 and summary["folds"] == 3
    bundle = load_bundle(target)
    assert bundle.head is not None and len(bundle.head.classes) == 5
    # four material classes: the texture view is on, and the head reads whole + tiles
    assert bundle.meta["tiles"]["count"] >= 1
    assert bundle.head.weight.shape[1] == 2 * bundle.meta["embedding_dim"]
    assert "Texture view: the head reads" in (target / "MODEL_CARD.md").read_text()
    assert bundle.head.fit_on.startswith("ref-")
    assert 0.3 <= bundle.thresholds.min_confidence < 1.0
    assert "Cross-validated metrics" in (target / "MODEL_CARD.md").read_text()
    # the grouped-CV confusion matrix: rows true class, columns top-1, in head order
    confusion = bundle.meta["metrics"]["confusion"]
    assert confusion["labels"] == list(bundle.head.classes)
    matrix = np.array(confusion["matrix"])
    assert matrix.shape == (5, 5) and matrix.dtype.kind == "i"
    assert matrix.sum(axis=1).tolist() == [4] * 5  # every photo once, in its true row
    assert np.trace(matrix) / matrix.sum() == pytest.approx(summary["top1_accuracy"], abs=1e-4)
    assert "| true \\ top-1 |" in (target / "MODEL_CARD.md").read_text()
    # the look-alike margin is fitted and recorded (0 when ceramics are too few to keep 85 %)
    assert bundle.meta["metrics"]["lookalike_margin"] in {0.25 * i for i in range(17)}
    # the embeddings were cached: a retrain embeds nothing new
    assert len(list((home / "cache" / "training-embeddings").rglob("*.npz"))) == 20
    assert load_engine(bundle).name == "onnxruntime-fp32"

    identified = runner.invoke(
        main, ["identify", "--format", "json", str(EXAMPLES / "coral_1.jpg")]
    )
    assert identified.exit_code == 0, identified.output
    line = json.loads(identified.stdout)
    assert line["model_version"] == "idtool-lite0-9.9.9"
    assert line["decision_source"].startswith("head+tiles")

    whole_only = runner.invoke(
        main,
        [
            "train",
            "--folds",
            "3",
            "--version",
            "9.9.8",
            "--no-tiles",
            "--balance-classes",
            "--format",
            "json",
        ],
    )
    assert whole_only.exit_code == 0, whole_only.output
    assert json.loads(whole_only.stdout.strip().splitlines()[-1])["class_weight"] == "balanced"
    assert summary["class_weight"] == "none"
    card = (home / "models" / "idtool-lite0-9.9.8" / "MODEL_CARD.md").read_text()
    assert "class weights balanced" in card
    plain = load_bundle(home / "models" / "idtool-lite0-9.9.8")
    assert plain.meta["tiles"] is None and plain.head is not None
    assert plain.head.weight.shape[1] == plain.meta["embedding_dim"]


def test_train_refuses_a_catalog_with_one_class(home: Path) -> None:
    result = CliRunner().invoke(main, ["train"])
    assert result.exit_code == 1
    assert "error [catalog_error]" in result.stderr
