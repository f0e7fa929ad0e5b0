"""The prototype fallback and the warning when the head does not fit the catalog."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from support import SHARED_DEMO

from idtool.catalog.store import ReferenceEmbeddings
from idtool.catalog.taxonomy import infer_taxon
from idtool.cli import main
from idtool.config import load_settings
from idtool.decide.prototypes import class_means, cosine_group_ids, fit_prototypes
from idtool.decide.service import IdentificationService
from idtool.model.bundle import Thresholds
from idtool.types import Decision

NEW_CLASS = "Panthera_tigris"
IMPORTED = 12  # tiger photos imported; the rest of the demo tigers are held out


def _clustered_reference(seed: int = 0) -> ReferenceEmbeddings:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(3, 64))
    vectors, labels = [], []
    for k, name in enumerate(("Aaa bbb", "Ccc ddd", "Eee fff")):
        for _ in range(15):
            vectors.append(centres[k] + rng.normal(scale=1.2, size=64))
            labels.append(name)
    x = np.asarray(vectors, dtype=np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    order = np.argsort(labels, kind="stable")
    return ReferenceEmbeddings(
        x[order], tuple(np.asarray(labels)[order]), tuple(range(45)), ("",) * 45, "ref-x", "e"
    )


def test_class_means_are_unit_vectors_of_the_class_average() -> None:
    x = np.array([[1, 0], [0, 1], [1, 0]], dtype=np.float32)
    means = class_means(x, np.array([0, 0, 1]), 2)
    assert np.allclose(means[0], [2**-0.5, 2**-0.5]) and np.allclose(means[1], [1, 0])


def test_cosine_groups_link_near_duplicates_only() -> None:
    x = np.eye(4, dtype=np.float32)
    x[1] = x[0] * 0.999 + 0.001
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    ids = cosine_group_ids(x)
    assert ids[0] == ids[1] and len(set(ids.tolist())) == 3


def test_fitted_prototypes_are_calibrated_and_thresholded_on_held_out_folds() -> None:
    reference = _clustered_reference()
    taxa = {label: infer_taxon(label.replace(" ", "_")) for label in reference.classes}
    model = fit_prototypes(reference, taxa, target_selective_accuracy=0.9)
    assert model.fit_on == "ref-x" and model.classes == reference.classes
    assert model.thresholds.fit_on == "ref-x"
    assert 0.0 < model.thresholds.min_similarity < 1.0
    probs = model.probabilities(reference.vectors)
    assert np.allclose(probs.sum(axis=1), 1.0)
    y = np.array([reference.classes.index(label) for label in reference.labels])
    assert (probs.argmax(axis=1) == y).mean() > 0.8
    # temperature fitted by likelihood: sharper than the raw cosine softmax
    assert model.temperature < 0.5


@pytest.fixture
def home_with_new_class(core_home_copy: Path, tmp_path: Path) -> Path:
    """The shipped catalog plus a curator's new class, imported without `idtool train`."""
    photos = sorted((SHARED_DEMO / NEW_CLASS).glob("*.jpg"))
    if len(photos) < IMPORTED + 4:
        pytest.skip(f"{SHARED_DEMO / NEW_CLASS} absent: the shared demo photos are needed")
    new_root = tmp_path / "new_class"
    (new_root / NEW_CLASS).mkdir(parents=True)
    for photo in photos[:IMPORTED]:
        shutil.copy(photo, new_root / NEW_CLASS / photo.name)
    result = CliRunner().invoke(
        main, ["reference", "import", str(new_root), "--format", "json"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return core_home_copy


def test_new_class_without_training_warns_everywhere(
    home_with_new_class: Path,
) -> None:
    held_out = sorted((SHARED_DEMO / NEW_CLASS).glob("*.jpg"))[IMPORTED]
    result = CliRunner().invoke(
        main, ["identify", "--format", "json", "--runtime", "torch", str(held_out)]
    )
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    codes = [w["code"] for w in answer["warnings"]]
    assert codes == ["head_mismatch"]
    message = answer["warnings"][0]["message"]
    assert "Panthera tigris" in message and "idtool train" in message
    assert answer["decision_source"].startswith("prototype")
    assert "warning [head_mismatch]" in result.stderr and "idtool train" in result.stderr
    # the table output warns on stderr too
    table = CliRunner().invoke(main, ["identify", "--runtime", "torch", str(held_out)])
    assert "warning [head_mismatch]" in table.stderr


def test_answers_without_training_are_no_worse_than_a_plain_prototype_classifier(
    home_with_new_class: Path,
) -> None:
    """Held-out real photos (demo tigers not imported, shared ceramics and ivory not in the
    shipped set): the fallback's calls are at least as accurate as plain nearest-class-mean."""
    held_out: list[tuple[Path, str]] = []
    for class_dir, label in (
        (NEW_CLASS, "Panthera tigris"),
        ("material_ceramic", "material_ceramic"),
        ("material_ivory_or_bone", "material_ivory_or_bone"),
    ):
        photos = sorted((SHARED_DEMO / class_dir).glob("*.jpg"))
        start = IMPORTED if class_dir == NEW_CLASS else len(photos) - 6
        held_out += [(p, label) for p in photos[start:]]
    service = IdentificationService.open(load_settings(), "torch")
    try:
        identifier = service.identifier()
        shipped = set(identifier.reference.paths)
        held_out = [(p, t) for p, t in held_out if str(p) not in shipped]
        results = identifier.identify_paths(
            [p for p, _ in held_out], max_bytes=1 << 26, max_pixels=60_000_000
        )
        reference = identifier.reference
        y = np.array([reference.classes.index(label) for label in reference.labels])
        means = class_means(reference.vectors, y, len(reference.classes))
        from idtool.model.preprocess import decode_image

        embeddings = identifier.embed([decode_image(p) for p, _ in held_out])
    finally:
        service.close()
    truths = [t for _, t in held_out]
    plain = [reference.classes[k] for k in (embeddings @ means.T).argmax(axis=1)]
    plain_accuracy = np.mean([p == t for p, t in zip(plain, truths, strict=True)])
    assert all(r.warnings and r.warnings[0].code == "head_mismatch" for r in results)
    top1 = np.mean([r.candidates[0].label == t for r, t in zip(results, truths, strict=True)])
    assert top1 >= plain_accuracy
    called = [
        (r, t) for r, t in zip(results, truths, strict=True) if r.decision is Decision.IDENTIFIED
    ]
    assert called, "nothing identified"
    right = np.mean([r.label == t for r, t in called])
    assert right >= plain_accuracy


def test_thresholds_of_old_bundles_fall_back_to_the_global_value() -> None:
    old = Thresholds.from_dict({"min_confidence": 0.9, "min_similarity": 0.3})
    assert old.threshold_for("Panthera tigris") == 0.9 and old.per_class == {}
    assert "per_class" not in old.to_dict()
    new = Thresholds.from_dict(
        {
            "min_confidence": 0.8,
            "min_similarity": 0.3,
            "per_class": {"material_ivory_or_bone": 0.99},
            "abstain": ["material_ceramic"],
            "fit_on": "ref-1",
        }
    )
    assert new.threshold_for("material_ivory_or_bone") == 0.99
    assert new.threshold_for("material_ceramic") is None
    assert new.threshold_for("Panthera tigris") == 0.8
    assert Thresholds.from_dict(new.to_dict()) == new
