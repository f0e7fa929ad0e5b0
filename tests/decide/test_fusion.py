"""Item fusion: the rule, its weight, and identify --item / batch --items-by end to end."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from support import EXAMPLES

from idtool.cli import main
from idtool.decide.decision import ClassScores
from idtool.decide.fusion import fit_alpha, fuse_probabilities, fuse_scores

CLASSES = ("a", "b", "c")


def test_agreeing_photos_raise_confidence_and_a_tempered_weight_damps_it() -> None:
    photo = np.array([0.7, 0.2, 0.1])
    two = np.stack([photo, photo])
    independent = fuse_probabilities(two, alpha=1.0)
    tempered = fuse_probabilities(two, alpha=0.6)
    geometric = fuse_probabilities(two, alpha=0.5)
    assert independent[0] > tempered[0] > geometric[0]
    assert np.allclose(geometric, photo)  # alpha 1/N: the mean of the logs, no gain
    assert np.isclose(tempered.sum(), 1.0)


def test_disagreeing_photos_leave_the_item_unsure() -> None:
    fused = fuse_scores(
        [
            ClassScores(CLASSES, np.array([0.9, 0.05, 0.05]), "head"),
            ClassScores(CLASSES, np.array([0.05, 0.9, 0.05]), "head"),
        ]
    )
    assert fused.scores.probabilities.max() < 0.6
    assert fused.photos == 2 and fused.agreeing == 1
    assert fused.scores.source == "head+item_fusion"


def test_fit_alpha_prefers_damping_when_photos_repeat_the_same_mistake() -> None:
    rng = np.random.default_rng(0)
    items, truths = [], []
    for i in range(60):
        truth = i % 3
        wrong = (truth + 1) % 3
        # photos of one item share their error: both lean the same (sometimes wrong) way
        lean = wrong if i % 5 == 0 else truth
        base = np.full(3, 0.1)
        base[lean] = 0.8
        items.append(np.stack([base + rng.normal(0, 0.01, 3).clip(-0.05, 0.05)] * 2))
        truths.append(truth)
    assert fit_alpha(items, truths) < 0.8
    independent = [
        np.stack([np.eye(3)[t] * 0.6 + 0.4 / 3, np.eye(3)[t] * 0.6 + 0.4 / 3]) for t in range(3)
    ]
    assert fit_alpha(independent * 5, [0, 1, 2] * 5) == 1.0


def test_scores_over_different_classes_are_refused() -> None:
    with pytest.raises(ValueError):
        fuse_scores(
            [
                ClassScores(CLASSES, np.array([0.5, 0.3, 0.2]), "head"),
                ClassScores(("a", "b"), np.array([0.5, 0.5]), "head"),
            ]
        )


REQUIRED = {
    "decision",
    "label",
    "rank",
    "confidence",
    "candidates",
    "decision_source",
    "model_version",
    "reference_version",
    "warnings",
    "guidance",
    "item",
    "photos",
}


def test_identify_item_fuses_readable_photos_and_lists_the_bad_one(
    core_home_copy: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "truncated.jpg"
    bad.write_bytes((EXAMPLES / "coral_1.jpg").read_bytes()[:300])
    second = tmp_path / "coral_mirror.jpg"
    import cv2

    cv2.imwrite(str(second), cv2.imread(str(EXAMPLES / "coral_1.jpg"))[:, ::-1])
    result = CliRunner().invoke(
        main,
        [
            "identify",
            "--item",
            "--format",
            "json",
            "--runtime",
            "torch",
            str(EXAMPLES / "coral_1.jpg"),
            str(second),
            str(bad),
            "--origin",
            "TH",
            "--purpose",
            "T",
            "--source",
            "W",
        ],
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    item = json.loads(lines[0])
    assert set(item) >= REQUIRED
    assert item["decision_source"].startswith("head") and "+item_fusion" in item["decision_source"]
    assert item["decision"] == "identified" and item["label"] == "Scleractinia"
    assert item["item"] == {"photos": 2, "agreeing": 2, "unreadable": 1}
    assert [p["image"] for p in item["photos"]][-1] == str(bad)
    assert item["photos"][-1]["error"]["code"] == "invalid_image"
    assert all(p["decision"] == "identified" for p in item["photos"][:2])
    assert item["guidance"]["cites"]["appendix"] == "II"
    single = max(p["confidence"] for p in item["photos"][:2])
    assert item["confidence"] >= single
    table = CliRunner().invoke(
        main,
        ["identify", "--item", "--runtime", "torch", str(EXAMPLES / "coral_1.jpg"), str(second)],
    )
    # the table is 150 columns wide off a terminal; the image cell may wrap
    words = " ".join(table.stdout.split())
    assert table.exit_code == 0 and "(item: 2/2 photos" in words and "agree)" in words


def test_identify_item_with_no_readable_photo_is_an_error(
    core_home_copy: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "note.jpg"
    bad.write_text("not an image")
    result = CliRunner().invoke(
        main, ["identify", "--item", "--format", "json", "--runtime", "torch", str(bad)]
    )
    assert result.exit_code == 1
    item = json.loads(result.stdout)
    assert item["error"]["code"] == "invalid_image" and item["item"]["unreadable"] == 1


def test_batch_items_by_folder_writes_one_row_per_item(
    core_home_copy: Path, tmp_path: Path
) -> None:
    seizure = tmp_path / "seizure"
    (seizure / "box1" / "carving").mkdir(parents=True)
    (seizure / "box1" / "coral").mkdir(parents=True)
    shutil.copy(EXAMPLES / "ivory_1.jpg", seizure / "box1" / "carving" / "front.jpg")
    shutil.copy(EXAMPLES / "ivory_2.jpg", seizure / "box1" / "carving" / "back.jpg")
    shutil.copy(EXAMPLES / "coral_1.jpg", seizure / "box1" / "coral" / "top.jpg")
    (seizure / "box1" / "coral" / "broken.jpg").write_text("not an image")
    report = tmp_path / "report"
    result = CliRunner().invoke(
        main,
        [
            "batch",
            str(seizure),
            "--out",
            str(report),
            "--runtime",
            "torch",
            "--items-by",
            "folder",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["items"]["items"] == 2
    per_photo = (report / "results.jsonl").read_text().splitlines()
    assert len(per_photo) >= 3  # per-photo rows are kept
    items = [json.loads(line) for line in (report / "items.jsonl").read_text().splitlines()]
    assert [i["image"] for i in items] == ["box1/carving", "box1/coral"]
    carving, coral = items
    assert carving["item"]["photos"] == 2 and len(carving["photos"]) == 2
    assert coral["item"] == {"photos": 1, "agreeing": 1, "unreadable": 1}
    assert coral["label"] == "Scleractinia"
    rows = list(csv.DictReader((report / "items.csv").read_text().splitlines()))
    assert [r["item"] for r in rows] == ["box1/carving", "box1/coral"]
