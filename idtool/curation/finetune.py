"""Fine-tuning the last stages of a timm EfficientNet backbone on cached frozen-stage maps.

Training a whole backbone on a few hundred photos is slow on a laptop CPU and overfits.
Here the network is split at one stage (:func:`split_backbone`): the early stages stay
frozen and run once per augmented view (:func:`augment_rgb`), their output maps are cached
(:func:`frozen_maps`, float16), and only the late stages plus a cosine classifier are
trained on the cached maps (:func:`train_tail`). The tail shares its modules with the
model, so after training the model itself carries the fine-tuned weights; BatchNorm
running statistics stay frozen (the tail runs in eval mode), so only weights move.
:func:`embed_maps` turns cached maps into L2-normalised embeddings, the same vectors the
whole model gives for the same input.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import cv2
import numpy as np
import torch

from idtool.errors import ModelBundleError
from idtool.model.runtime import l2_normalise

log = logging.getLogger(__name__)

FIRST_TRAINED_STAGE = 5  # timm EfficientNet blocks[5:], conv_head and bn2 are trained


@dataclass(frozen=True)
class FineTuneConfig:
    """How the tail is trained (the defaults are the issue 17 recipe)."""

    epochs: int = 4
    samples_per_epoch: int = 1200
    batch_size: int = 32
    lr_tail: float = 2e-4
    lr_classifier: float = 5e-3
    weight_decay: float = 1e-4
    label_smoothing: float = 0.1
    logit_scale: float = 16.0  # the classifier scores cosines times this
    balanced: bool = True  # class weights inversely proportional to class counts
    seed: int = 0


@dataclass
class FineTuneResult:
    """What a training run did: the mean loss of each epoch and the steps taken."""

    epoch_losses: list[float] = field(default_factory=list)
    steps: int = 0


def split_backbone(
    model: torch.nn.Module, first_trained_stage: int = FIRST_TRAINED_STAGE
) -> tuple[torch.nn.Module, torch.nn.Module]:
    """The frozen front (stem and early stages) and the trainable tail of an EfficientNet.

    Both share modules with ``model``: training the tail changes ``model``. The tail ends
    with the global pool, so ``tail(front(x))`` equals ``model(x)`` for a pooled-feature
    model (``num_classes=0``).

    Raises:
        ModelBundleError: the model has no EfficientNet-style ``blocks``, or the stage
            index is out of range.
    """
    blocks = getattr(model, "blocks", None)
    if blocks is None or not 0 < first_trained_stage < len(blocks):
        raise ModelBundleError(
            f"cannot split the backbone at stage {first_trained_stage}: it needs "
            "EfficientNet-style `blocks` with more stages than that"
        )
    part = model.get_submodule
    front = torch.nn.Sequential(part("conv_stem"), part("bn1"), *blocks[:first_trained_stage])
    tail = torch.nn.Sequential(
        *blocks[first_trained_stage:], part("conv_head"), part("bn2"), part("global_pool")
    )
    for parameter in front.parameters():
        parameter.requires_grad_(False)
    return front.eval(), tail.eval()


def augment_rgb(rgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One random view of a uint8 RGB image: crop, flip, rotation, colour, blur, JPEG.

    Random crop keeps 60-100 % of each side; rotation is up to 20 degrees (reflected
    border); brightness, contrast and saturation change by up to 25 %; a Gaussian blur
    (half of the views) and a JPEG re-compression at quality 35-90 (half of the views).
    """
    height, width = rgb.shape[:2]
    scale = rng.uniform(0.6, 1.0)
    h, w = max(8, round(height * scale)), max(8, round(width * scale))
    top, left = int(rng.integers(0, height - h + 1)), int(rng.integers(0, width - w + 1))
    out = rgb[top : top + h, left : left + w]
    if rng.random() < 0.5:
        out = out[:, ::-1]
    out = np.ascontiguousarray(out)
    angle = rng.uniform(-20.0, 20.0)
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    out = cv2.warpAffine(out, matrix, (w, h), borderMode=cv2.BORDER_REFLECT_101)
    image = out.astype(np.float32)
    gray = image.mean(axis=2, keepdims=True)
    saturation = rng.uniform(0.75, 1.25)
    image = gray + (image - gray) * saturation
    contrast = rng.uniform(0.75, 1.25)
    image = (image - image.mean()) * contrast + image.mean() * rng.uniform(0.75, 1.25)
    out = np.clip(image, 0, 255).astype(np.uint8)
    if rng.random() < 0.5:
        out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.3, 1.5) * max(1.0, min(h, w) / 400))
    if rng.random() < 0.5:
        quality = int(rng.integers(35, 91))
        ok, data = cv2.imencode(".jpg", out[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
        decoded = cv2.imdecode(data, cv2.IMREAD_COLOR) if ok else None
        if decoded is not None:
            out = decoded[..., ::-1]
    return np.ascontiguousarray(out)


@torch.inference_mode()
def frozen_maps(front: torch.nn.Module, batch: np.ndarray) -> np.ndarray:
    """The frozen front's output for a preprocessed float32 N x 3 x H x W batch (float16)."""
    tensor = torch.from_numpy(np.ascontiguousarray(batch, dtype=np.float32))
    return front(tensor).numpy().astype(np.float16)


@torch.inference_mode()
def embed_maps(tail: torch.nn.Module, maps: np.ndarray, batch_size: int = 64) -> np.ndarray:
    """L2-normalised embeddings of cached front maps through the (fine-tuned) tail."""
    tail.eval()
    out = [
        tail(torch.from_numpy(maps[i : i + batch_size].astype(np.float32))).numpy()
        for i in range(0, len(maps), batch_size)
    ]
    return l2_normalise(np.concatenate(out)) if out else np.zeros((0, 0), np.float32)


def class_weights(labels: np.ndarray, classes: int) -> np.ndarray:
    """Weights inversely proportional to class counts, averaging 1 over the samples."""
    counts = np.bincount(labels, minlength=classes).astype(np.float64)
    weights = np.where(counts > 0, len(labels) / np.maximum(counts, 1) / classes, 0.0)
    return weights.astype(np.float32)


def train_tail(
    tail: torch.nn.Module,
    maps: np.ndarray,
    labels: np.ndarray,
    sample_weights: np.ndarray,
    config: FineTuneConfig,
) -> FineTuneResult:
    """Train the tail and a cosine classifier on cached front maps (in place, seeded).

    Each epoch draws ``config.samples_per_epoch`` maps with probability proportional to
    ``sample_weights`` (e.g. one draw per photo on average, however many views or tiles
    it has), in batches; the loss is label-smoothed cross-entropy, class-balanced when
    ``config.balanced``. AdamW with a cosine learning-rate decay; the classifier is thrown
    away after training. With one intra-op thread the run is reproducible bit for bit.

    Args:
        tail: from :func:`split_backbone`; its parameters are updated.
        maps: cached front maps, N x C x H x W (float16 or float32).
        labels: class index of each map.
        sample_weights: N non-negative draw weights (not all zero).
        config: the training settings.

    Returns:
        The mean loss of each epoch.
    """
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    classes = int(labels.max()) + 1
    dim = int(embed_maps(tail, maps[:1]).shape[1])
    classifier = torch.nn.Linear(dim, classes, bias=False)
    trainable = [p for p in tail.parameters()]
    for parameter in trainable:
        parameter.requires_grad_(True)
    optimiser = torch.optim.AdamW(
        [
            {"params": trainable, "lr": config.lr_tail},
            {"params": classifier.parameters(), "lr": config.lr_classifier},
        ],
        weight_decay=config.weight_decay,
    )
    steps_per_epoch = math.ceil(config.samples_per_epoch / config.batch_size)
    total = steps_per_epoch * config.epochs
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: 0.5 * (1 + math.cos(math.pi * step / total))
    )
    weight = torch.from_numpy(class_weights(labels, classes)) if config.balanced else None
    loss_fn = torch.nn.CrossEntropyLoss(weight=weight, label_smoothing=config.label_smoothing)
    probability = sample_weights / sample_weights.sum()
    target = torch.from_numpy(labels.astype(np.int64))
    result = FineTuneResult()
    tail.eval()  # BatchNorm running statistics stay frozen
    for epoch in range(config.epochs):
        drawn = rng.choice(len(maps), size=config.samples_per_epoch, p=probability)
        losses = []
        for start in range(0, len(drawn), config.batch_size):
            index = drawn[start : start + config.batch_size]
            features = tail(torch.from_numpy(maps[index].astype(np.float32)))
            cosines = torch.nn.functional.normalize(features, dim=1) @ (
                torch.nn.functional.normalize(classifier.weight, dim=1).T
            )
            loss = loss_fn(config.logit_scale * cosines, target[index])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            losses.append(float(loss.detach()))
            result.steps += 1
        result.epoch_losses.append(float(np.mean(losses)))
        log.info("epoch %d: loss %.4f", epoch + 1, result.epoch_losses[-1])
    for parameter in trainable:
        parameter.requires_grad_(False)
    return result
