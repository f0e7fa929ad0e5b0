"""The image backbone: a timm network that turns a preprocessed batch into embeddings.

No file I/O and no preprocessing here: weights come from :mod:`idtool.model.bundle`, input
tensors from :mod:`idtool.model.preprocess`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import timm
import torch

from idtool.errors import ModelBundleError


def create_backbone(architecture: str, num_classes: int = 0) -> torch.nn.Module:
    """Build an uninitialised timm network (never downloads anything).

    Args:
        architecture: a timm model name such as ``tf_efficientnet_lite0``.
        num_classes: 0 for a pooled-feature extractor, 1000 for the ImageNet head.

    Raises:
        ModelBundleError: timm does not know the architecture.
    """
    if not timm.is_model(architecture):
        raise ModelBundleError(f"unknown timm architecture {architecture!r}")
    return timm.create_model(architecture, pretrained=False, num_classes=num_classes)


def stage_depths(model: torch.nn.Module) -> list[int]:
    """Number of blocks per stage of a timm EfficientNet (for checkpoint remapping)."""
    blocks = getattr(model, "blocks", None)
    if blocks is None:
        raise ModelBundleError("the architecture has no EfficientNet-style `blocks` stages")
    return [len(stage) for stage in blocks]


def load_strict(model: torch.nn.Module, state_dict: Mapping[str, torch.Tensor]) -> None:
    """Load weights strictly; on mismatch raise one error listing missing/unexpected keys."""
    own = set(model.state_dict())
    given = set(state_dict)
    missing, unexpected = sorted(own - given), sorted(given - own)
    if missing or unexpected:
        raise ModelBundleError(
            f"weights do not fit the model: missing {missing[:8]}{'...' if len(missing) > 8 else ''}"
            f", unexpected {unexpected[:8]}{'...' if len(unexpected) > 8 else ''}"
        )
    try:
        model.load_state_dict(dict(state_dict), strict=True)
    except RuntimeError as exc:
        raise ModelBundleError(f"weights do not fit the model: {exc}") from None


class Embedder:
    """Eager-PyTorch embedding of preprocessed batches (float32 N x 3 x H x W)."""

    def __init__(self, model: torch.nn.Module) -> None:
        self.model = model.eval()
        self.model.to(memory_format=torch.channels_last)

    @torch.inference_mode()
    def embed(self, batch: np.ndarray) -> np.ndarray:
        tensor = torch.from_numpy(np.ascontiguousarray(batch, dtype=np.float32))
        tensor = tensor.contiguous(memory_format=torch.channels_last)
        return self.model(tensor).float().numpy()
