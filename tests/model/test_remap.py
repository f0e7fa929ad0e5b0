from __future__ import annotations

import numpy as np
import pytest
import torch
from support import shipped_photo

from idtool.errors import ModelBundleError
from idtool.model.backbone import create_backbone, load_strict, stage_depths
from idtool.model.bundle import LITE0_PACKAGE, load_package_backbone
from idtool.model.preprocess import PreprocessConfig, decode_image, to_model_input
from idtool.model.remap import remap_keys

CORAL_REEF = 973  # ImageNet-1k class index of "coral reef"


def test_remap_maps_every_key_and_loads_strictly() -> None:
    model = load_package_backbone(LITE0_PACKAGE, with_classifier=True)
    assert model.num_classes == 1000


def test_packaged_imagenet_weights_recognise_a_real_photo(shipped_bundle) -> None:
    model = load_package_backbone(LITE0_PACKAGE, with_classifier=True)
    config = PreprocessConfig.from_bundle(shipped_bundle.meta)
    rgb = decode_image(shipped_photo("Scleractinia", 0)).rgb
    with torch.inference_mode():
        logits = model(torch.from_numpy(to_model_input(rgb, config)[None]))
    top5 = torch.topk(logits[0], 5).indices.tolist()
    assert CORAL_REEF in top5


def test_remap_block_zero_is_depthwise_separable() -> None:
    state = {
        "_blocks.0._depthwise_conv.weight": 1,
        "_blocks.0._project_conv.weight": 2,
        "_blocks.1._expand_conv.weight": 3,
        "_blocks.1._project_conv.weight": 4,
        "_blocks.2._bn2.bias": 5,
        "_blocks.2._expand_conv.weight": 6,
        "_fc.bias": 7,
    }
    out = remap_keys(state, [1, 2])
    assert out == {
        "blocks.0.0.conv_dw.weight": 1,
        "blocks.0.0.conv_pw.weight": 2,
        "blocks.1.0.conv_pw.weight": 3,
        "blocks.1.0.conv_pwl.weight": 4,
        "blocks.1.1.bn3.bias": 5,
        "blocks.1.1.conv_pw.weight": 6,
        "classifier.bias": 7,
    }


def test_remap_rejects_unknown_layers_and_blocks() -> None:
    with pytest.raises(KeyError, match="unknown top-level"):
        remap_keys({"_mystery.weight": 1}, [1])
    with pytest.raises(KeyError, match="beyond"):
        remap_keys({"_blocks.5._depthwise_conv.weight": 1}, [1, 1])


def test_strict_load_lists_missing_and_unexpected_keys() -> None:
    model = create_backbone("tf_efficientnet_lite0", num_classes=0)
    state = dict(model.state_dict())
    state.pop("conv_stem.weight")
    state["extra.weight"] = torch.zeros(1)
    with pytest.raises(
        ModelBundleError, match=r"missing \['conv_stem.weight'\].*unexpected \['extra.weight'\]"
    ):
        load_strict(model, state)


def test_stage_depths_of_lite0() -> None:
    model = create_backbone("tf_efficientnet_lite0")
    assert stage_depths(model) == [1, 2, 2, 3, 3, 4, 1]
    assert np.sum(stage_depths(model)) == 16
