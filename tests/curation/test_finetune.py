"""Fine-tuning the backbone's tail on cached front maps (idtool.curation.finetune)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from idtool.curation.finetune import (
    FineTuneConfig,
    augment_rgb,
    embed_maps,
    frozen_maps,
    split_backbone,
    train_tail,
)
from idtool.errors import ModelBundleError
from idtool.model.backbone import create_backbone
from idtool.model.runtime import l2_normalise

ARCHITECTURE = "tf_efficientnet_lite0"
CONFIG = FineTuneConfig(epochs=1, samples_per_epoch=16, batch_size=8, seed=3)


def small_set() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.normal(size=(12, 3, 64, 64)).astype(np.float32), np.arange(12) % 3


def tuned_state(images: np.ndarray, labels: np.ndarray) -> dict[str, torch.Tensor]:
    torch.manual_seed(0)
    model = create_backbone(ARCHITECTURE)
    front, tail = split_backbone(model)
    maps = frozen_maps(front, images)
    train_tail(tail, maps, labels, np.ones(len(labels)), CONFIG)
    return {k: v.clone() for k, v in model.state_dict().items()}


def test_training_is_seeded_and_moves_only_the_tail() -> None:
    torch.set_num_threads(1)
    images, labels = small_set()
    torch.manual_seed(0)
    before = create_backbone(ARCHITECTURE).state_dict()
    first = tuned_state(images, labels)
    second = tuned_state(images, labels)
    assert all(torch.equal(first[k], second[k]) for k in first)
    changed = {k for k in first if not torch.equal(first[k], before[k])}
    assert changed, "training changed nothing"
    tail_prefixes = ("blocks.5.", "blocks.6.", "conv_head.", "bn2.")
    assert all(k.startswith(tail_prefixes) for k in changed)
    assert not any(k.endswith(("running_mean", "running_var")) for k in changed)


def test_tail_of_front_equals_the_whole_model() -> None:
    torch.set_num_threads(1)
    images, _ = small_set()
    model = create_backbone(ARCHITECTURE).eval()
    front, tail = split_backbone(model)
    with torch.inference_mode():
        direct = l2_normalise(model(torch.from_numpy(images)).numpy())
    via_cache = embed_maps(tail, frozen_maps(front, images))
    assert np.abs(direct - via_cache).max() < 1e-2  # float16 cache


def test_split_needs_efficientnet_stages() -> None:
    with pytest.raises(ModelBundleError, match="stage"):
        split_backbone(torch.nn.Linear(2, 2))


def test_augmented_view_is_a_seeded_rgb_image() -> None:
    rgb = np.random.default_rng(1).integers(0, 256, size=(90, 120, 3), dtype=np.uint8)
    a = augment_rgb(rgb, np.random.default_rng(5))
    b = augment_rgb(rgb, np.random.default_rng(5))
    assert a.dtype == np.uint8 and a.ndim == 3 and a.shape[2] == 3
    assert np.array_equal(a, b)
