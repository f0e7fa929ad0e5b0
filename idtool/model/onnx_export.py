"""Export a bundle's embedding backbone to ONNX, verified against PyTorch.

:func:`export_onnx` writes into ``<bundle>/onnx/``:

- ``model.onnx``: fp32, opset 17, input ``input`` (N x 3 x H x W, dynamic batch), output
  ``embedding`` (N x embedding_dim, pooled, not normalised). Parity with eager PyTorch is
  checked on real photos at export time (max abs difference under 1e-4, else
  :class:`ModelBundleError`).
- ``model.int8.onnx`` (optional): static QDQ quantization (per-channel int8 weights, uint8
  or symmetric int8 activations) calibrated on real photos. It is written only when every
  held-out photo's embedding stays within cosine 0.99 of fp32 *and*, when the bundle has a
  trained head, every held-out photo gets the same decision (top class, and whether it
  reaches ``min_confidence``) as with fp32. The recipes tried depend on the CPU's int8
  arithmetic (:func:`idtool.model.runtime.cpu_int8_kind`), which is recorded in the
  sidecar: the runtime uses the int8 file only on CPUs of the kind it was validated on.
- a JSON sidecar beside each (``model.json`` / ``model.int8.json`` in ``onnx/``) carrying the
  bundle's full ``model.json``, the embedding version, the file's SHA-256, the opset and
  the parity figures measured here. :mod:`idtool.model.runtime` refuses a file whose SHA-256
  differs from its sidecar.

Two graph details matter for speed on a small CPU. TF-ported EfficientNets use dynamic
"same" padding (Shape/Gather/Ceil/Pad ops per stride-2 conv), which blocks ONNX Runtime's
conv fusions; the bundle's fixed input size lets us replace it by static zero padding
first, after which ORT fuses the whole network into 49 NCHWc convolutions. And AVX2
without VNNI multiplies u8 x s8 pairs with a saturating instruction, so weights are
quantized to 7 bits (``reduce_range``) to keep int8 results close to fp32 there; CPUs with
VNNI (AVX-512 VNNI, AVX-VNNI, AMX) compute exact u8 x s8 dot products and keep 8-bit weights.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import tempfile
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from idtool import __version__
from idtool.config import SHIPPED_REFERENCE_DIR
from idtool.errors import IdtoolError, ModelBundleError
from idtool.hashing import sha256_file
from idtool.model.bundle import ModelBundle
from idtool.model.preprocess import PreprocessConfig, decode_image, to_model_input
from idtool.model.runtime import ONNX_DIR, onnx_path

log = logging.getLogger(__name__)

OPSET = 17
INPUT_NAME = "input"
OUTPUT_NAME = "embedding"
FP32_MAX_ABS_DIFF = 1e-4
INT8_MIN_COSINE = 0.99
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff", ".heic"}
MAX_PHOTOS = 128  # enough for calibration and checks; keeps export under a minute


@dataclass(frozen=True)
class Int8Recipe:
    """One way to quantize, tried in order (fastest first) until one passes the cosine gate."""

    name: str
    keep_fp32: tuple[str, ...]  # conv node-name fragments left in fp32
    reduce_range: bool = True
    per_channel: bool = True
    symmetric_activations: bool = False  # int8 activations around 0 instead of uint8


KEEP_EARLY = ("conv_stem", "/blocks.0/", "/blocks.1/", "conv_head")
# Without VNNI: 7-bit weights so AVX2's saturating u8 x s8 multiply-add cannot overflow.
INT8_RECIPES_NO_VNNI = (
    Int8Recipe("all-convs-7bit", keep_fp32=()),
    Int8Recipe("keep-stem-early-head-fp32-7bit", keep_fp32=KEEP_EARLY),
    Int8Recipe(
        "keep-stem-early-head-fp32-7bit-symmetric",
        keep_fp32=KEEP_EARLY,
        symmetric_activations=True,
    ),
)
# With VNNI: full 8-bit weights (measured on the shipped bundle, 121 demo photos: all
# convs min cosine 0.962; stem, first two blocks and head kept fp32: 0.993).
INT8_RECIPES_VNNI = (
    Int8Recipe("all-convs", keep_fp32=(), reduce_range=False),
    Int8Recipe("keep-stem-early-head-fp32", keep_fp32=KEEP_EARLY, reduce_range=False),
)


def int8_recipes(int8_kind: str) -> tuple[Int8Recipe, ...]:
    """The recipes to try, fastest first, for a CPU kind (``vnni`` or ``no-vnni``)."""
    return INT8_RECIPES_VNNI if int8_kind == "vnni" else INT8_RECIPES_NO_VNNI


INT8_RECIPES = INT8_RECIPES_NO_VNNI + INT8_RECIPES_VNNI  # every recipe, for the record


def sidecar_path(model_path: Path) -> Path:
    """Where :mod:`idtool.model.runtime` looks for a model file's sidecar."""
    return model_path.with_suffix(".json")


def export_onnx(
    bundle: ModelBundle,
    *,
    int8: bool = True,
    calibration_images: list[Path] | None = None,
) -> list[Path]:
    """Export the bundle's backbone to ONNX (fp32, and int8 if it stays accurate).

    Args:
        bundle: a loaded, verified bundle; files go to ``bundle.path / "onnx"``.
        int8: also try a quantized model (written only if it passes the cosine gate;
            a stale int8 file from an earlier export is removed if it does not).
        calibration_images: photos to check parity on and to calibrate int8 with
            (default: the shipped ``reference_images/*/``). Every other photo is held out
            to check int8, the rest calibrate it.

    Returns:
        The model files written (each has a JSON sidecar beside it).

    Raises:
        ModelBundleError: the export does not match PyTorch within 1e-4, or the bundle
            folder cannot be written.
    """
    photos = _load_photos(bundle, calibration_images)
    out_dir = bundle.path / ONNX_DIR
    try:
        out_dir.mkdir(exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".export-", dir=out_dir) as tmp_name:
            return _export(bundle, photos, Path(tmp_name), int8)
    except OSError as exc:
        raise ModelBundleError(f"cannot write the ONNX export into {out_dir}: {exc}") from None


def _export(bundle: ModelBundle, photos: np.ndarray | None, tmp: Path, int8: bool) -> list[Path]:
    size = bundle.preprocess.input_size
    check = photos if photos is not None else _noise_batch(size)
    fp32_tmp = tmp / "model.onnx"
    _torch_export(bundle, fp32_tmp)
    reference = _torch_embed(bundle.create_model(), check)
    fp32_session = _session(fp32_tmp)
    max_abs = float(np.abs(_ort_embed(fp32_session, check) - reference).max())
    if not max_abs <= FP32_MAX_ABS_DIFF:
        raise ModelBundleError(
            f"the ONNX export differs from PyTorch by {max_abs:.2e} (limit {FP32_MAX_ABS_DIFF:.0e}); "
            "it was not written: check the torch/onnx versions"
        )
    log.info("fp32 ONNX matches PyTorch: max abs diff %.2e on %d inputs", max_abs, len(check))
    parity = {
        "max_abs_diff_vs_torch": max_abs,
        "limit": FP32_MAX_ABS_DIFF,
        "inputs": len(check),
        "inputs_kind": "photos" if photos is not None else "noise (no photos found)",
    }
    written = [_install(bundle, fp32_tmp, "fp32", {"parity": parity}, tmp)]
    if not int8:
        return written
    int8_target = onnx_path(bundle, "int8")
    if photos is None or len(photos) < 2:
        log.warning("int8 model not written: no calibration photos (pass calibration_images)")
        _remove_stale(int8_target)
        return written
    result = _quantize_gated(bundle, written[0], photos, tmp)
    if result is None:
        _remove_stale(int8_target)
        return written
    int8_tmp, extra = result
    written.append(_install(bundle, int8_tmp, "int8", extra, tmp))
    return written


def _load_photos(bundle: ModelBundle, images: list[Path] | None) -> np.ndarray | None:
    if images is None:
        images = sorted(
            p
            for p in SHIPPED_REFERENCE_DIR.glob("*/*")
            if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
        )
    if len(images) > MAX_PHOTOS:  # an even spread over all classes, not the first folders
        step = len(images) / MAX_PHOTOS
        images = [images[int(i * step)] for i in range(MAX_PHOTOS)]
    config = PreprocessConfig.from_bundle(bundle.meta)
    batch = []
    for path in images:
        try:
            batch.append(to_model_input(decode_image(path).rgb, config))
        except IdtoolError as exc:
            log.warning("skipping %s for export checks: %s", path, exc.message)
    if not batch:
        log.warning("no photos to check the ONNX export on; using noise for the fp32 parity check")
        return None
    return np.stack(batch).astype(np.float32)


def _noise_batch(size: int) -> np.ndarray:
    return np.random.default_rng(0).uniform(-1.0, 1.0, (4, 3, size, size)).astype(np.float32)


def with_static_padding(model: nn.Module, input_size: int) -> nn.Module:
    """Replace timm's dynamic TF "same" padding convs by static zero-pad + conv, in place.

    The padding each conv needs is recorded in one forward pass at ``input_size``; the
    result is only valid for that size (the bundle's fixed ``input_size``). Weights are
    shared, not copied.
    """
    from timm.layers import Conv2dSame
    from timm.layers.padding import pad_same_arg

    sizes: dict[str, tuple[int, int]] = {}

    def record(name: str) -> Any:
        def hook(_module: nn.Module, args: tuple[torch.Tensor, ...]) -> None:
            sizes[name] = (int(args[0].shape[-2]), int(args[0].shape[-1]))

        return hook

    hooks = [
        module.register_forward_pre_hook(record(name))
        for name, module in model.named_modules()
        if isinstance(module, Conv2dSame)
    ]
    try:
        with torch.inference_mode():
            model(torch.zeros(1, 3, input_size, input_size))
    finally:
        for handle in hooks:
            handle.remove()
    for name, (height, width) in sizes.items():
        parent_name, _, attr = name.rpartition(".")
        parent = model.get_submodule(parent_name) if parent_name else model
        old = getattr(parent, attr)
        conv = nn.Conv2d(
            old.in_channels,
            old.out_channels,
            old.kernel_size,
            stride=old.stride,
            padding=0,
            dilation=old.dilation,
            groups=old.groups,
            bias=old.bias is not None,
        )
        conv.weight = old.weight
        conv.bias = old.bias
        pad = pad_same_arg([height, width], list(old.weight.shape[-2:]), old.stride, old.dilation)
        left, right, top, bottom = (int(v) for v in pad)
        setattr(parent, attr, nn.Sequential(nn.ZeroPad2d((left, right, top, bottom)), conv))
    return model


def _torch_export(bundle: ModelBundle, target: Path) -> None:
    size = bundle.preprocess.input_size
    model = with_static_padding(bundle.create_model(), size)
    example = torch.zeros(1, 3, size, size)
    # The TorchScript exporter gives a clean graph for this CNN in about a second. It warns
    # that it is deprecated (and about its own internals); none of that is actionable for
    # the user, so it is silenced here and only here. Parity below is the real check.
    with warnings.catch_warnings():
        for category in (DeprecationWarning, FutureWarning, UserWarning):
            warnings.filterwarnings("ignore", category=category)
        torch.onnx.export(
            model,
            (example,),
            str(target),
            input_names=[INPUT_NAME],
            output_names=[OUTPUT_NAME],
            opset_version=OPSET,
            dynamic_axes={INPUT_NAME: {0: "batch"}, OUTPUT_NAME: {0: "batch"}},
            do_constant_folding=True,
            dynamo=False,
        )


def _batches(photos: np.ndarray, size: int = 16) -> Iterator[np.ndarray]:
    for start in range(0, len(photos), size):
        yield photos[start : start + size]


def _torch_embed(model: nn.Module, photos: np.ndarray) -> np.ndarray:
    with torch.inference_mode():
        return np.concatenate(
            [model(torch.from_numpy(np.ascontiguousarray(b))).numpy() for b in _batches(photos)]
        )


def _session(path: Path) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3  # errors only: ORT's warnings here are not the user's concern
    return ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])


def _ort_embed(session: Any, photos: np.ndarray) -> np.ndarray:
    return np.concatenate(
        [np.asarray(session.run(None, {INPUT_NAME: b})[0]) for b in _batches(photos)]
    )


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)
    b = b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-12)
    return np.asarray((a * b).sum(axis=1))


def quantize_int8(
    fp32_path: Path, target: Path, calibration: np.ndarray, recipe: Int8Recipe, work_dir: Path
) -> None:
    """Static QDQ int8 quantization of an exported fp32 model, calibrated on ``calibration``."""
    import onnx
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    prepared = work_dir / f"{fp32_path.stem}.prepared.onnx"
    if not prepared.is_file():  # shared by every recipe tried in one export
        quant_pre_process(str(fp32_path), str(prepared), skip_symbolic_shape=True)
    convs = [n.name for n in onnx.load(str(prepared)).graph.node if n.op_type == "Conv"]
    excluded = [c for c in convs if any(fragment in c for fragment in recipe.keep_fp32)]

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self._batches = _batches(calibration, 8)

        def get_next(self) -> dict[str, np.ndarray] | None:
            batch = next(self._batches, None)
            return None if batch is None else {INPUT_NAME: batch}

    quantize_static(
        str(prepared),
        str(target),
        Reader(),
        quant_format=QuantFormat.QDQ,
        activation_type=QuantType.QInt8 if recipe.symmetric_activations else QuantType.QUInt8,
        weight_type=QuantType.QInt8,
        per_channel=recipe.per_channel,
        reduce_range=recipe.reduce_range,
        calibrate_method=CalibrationMethod.MinMax,
        nodes_to_exclude=excluded,
        extra_options={"ActivationSymmetric": recipe.symmetric_activations},
    )


def decisions(bundle: ModelBundle, embeddings: np.ndarray) -> list[tuple[int, bool]] | None:
    """Per photo, the head's top class and whether it reaches ``min_confidence`` (None
    without a trained head): what must not change when int8 replaces fp32."""
    if bundle.head is None:
        return None
    features = _l2(embeddings)
    if bundle.head.weight.shape[1] == 2 * features.shape[1]:
        # A texture head reads whole-photo and pooled-tile embeddings side by side; the
        # gate has the whole photos only, which is what the head gets when no tile is found.
        features = np.hstack([features, features])
    probabilities = bundle.head.probabilities(features)
    top = probabilities.argmax(axis=1)
    reached = probabilities.max(axis=1) >= bundle.thresholds.min_confidence
    return [(int(t), bool(r)) for t, r in zip(top, reached, strict=True)]


def _l2(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def _quantize_gated(
    bundle: ModelBundle, fp32_path: Path, photos: np.ndarray, tmp: Path
) -> tuple[Path, dict[str, Any]] | None:
    from idtool.model.runtime import cpu_int8_kind

    kind = cpu_int8_kind()
    calibration, held_out = photos[0::2], photos[1::2]
    fp32 = _ort_embed(_session(fp32_path), held_out)
    fp32_decisions = decisions(bundle, fp32)
    tried: list[dict[str, Any]] = []
    for recipe in int8_recipes(kind):
        target = tmp / f"model.{recipe.name}.int8.onnx"
        quantize_int8(fp32_path, target, calibration, recipe, tmp)
        int8 = _ort_embed(_session(target), held_out)
        cosine = _cosines(int8, fp32)
        int8_decisions = decisions(bundle, int8)
        changed = (
            0
            if fp32_decisions is None or int8_decisions is None
            else sum(a != b for a, b in zip(fp32_decisions, int8_decisions, strict=True))
        )
        tried.append({"recipe": recipe.name, "min_cosine": float(cosine.min()), "changed": changed})
        log.info(
            "int8 %s: cosine vs fp32 min %.4f mean %.4f, %d decisions changed, on %d "
            "held-out photos",
            recipe.name,
            cosine.min(),
            cosine.mean(),
            changed,
            len(held_out),
        )
        if cosine.min() >= INT8_MIN_COSINE and changed == 0:
            return target, {
                "parity": {
                    "min_cosine_vs_fp32": float(cosine.min()),
                    "mean_cosine_vs_fp32": float(cosine.mean()),
                    "limit": INT8_MIN_COSINE,
                    "held_out_photos": len(held_out),
                    "decisions_checked": fp32_decisions is not None,
                    "decisions_changed": changed,
                },
                "cpu": {"int8_kind": kind},
                "quantization": {
                    "recipe": recipe.name,
                    "format": "QDQ",
                    "activations": "int8 symmetric"
                    if recipe.symmetric_activations
                    else "uint8 asymmetric",
                    "weights": "int8 (7-bit range)" if recipe.reduce_range else "int8",
                    "per_channel": recipe.per_channel,
                    "keep_fp32": list(recipe.keep_fp32),
                    "calibration": "minmax",
                    "calibration_photos": len(calibration),
                    "rejected": tried[:-1],
                },
            }
    best = max(tried, key=lambda t: t["min_cosine"])
    log.warning(
        "int8 model not written: on this %s CPU no recipe kept every held-out photo within "
        "cosine %.2f of fp32 with unchanged decisions (best %s: min cosine %.4f, %d decisions "
        "changed, on %d photos); the fp32 ONNX model will be used",
        kind,
        INT8_MIN_COSINE,
        best["recipe"],
        best["min_cosine"],
        best["changed"],
        len(held_out),
    )
    return None


def _install(
    bundle: ModelBundle, source: Path, variant: str, extra: dict[str, Any], tmp: Path
) -> Path:
    """Move ``source`` into place with its sidecar, so that no reader sees a half state.

    The old sidecar goes first, then the model, then the new sidecar: a crash in between
    leaves a model without a sidecar, which the runtime ignores.
    """
    import onnx
    import onnxruntime

    target = onnx_path(bundle, variant)
    info: dict[str, Any] = {
        "file": target.name,
        "variant": variant,
        "model_version": bundle.version,
        "embedding_version": bundle.embedding_version,
        "sha256": sha256_file(source),
        "opset": OPSET,
        "input": {"name": INPUT_NAME, "shape": ["batch", 3, *[bundle.preprocess.input_size] * 2]},
        "output": {"name": OUTPUT_NAME, "shape": ["batch", bundle.meta.get("embedding_dim")]},
        "normalised": False,
        **extra,
        "validated": True,
        "exported_with": {
            "idtool": __version__,
            "torch": torch.__version__,
            "onnx": onnx.__version__,
            "onnxruntime": onnxruntime.__version__,
        },
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "bundle": bundle.meta,
    }
    sidecar_tmp = tmp / f"{target.name}.json"
    sidecar_tmp.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    sidecar = sidecar_path(target)
    sidecar.unlink(missing_ok=True)
    os.replace(source, target)
    os.replace(sidecar_tmp, sidecar)
    return target


def _remove_stale(target: Path) -> None:
    for path in (sidecar_path(target), target):
        if path.exists():
            log.info("removing %s from an earlier export", path)
            path.unlink()


def read_sidecar(model_path: Path) -> dict[str, Any]:
    """The sidecar of an exported model file (for the CLI and benchmarks).

    Raises:
        ModelBundleError: the sidecar is missing or not JSON.
    """
    path = sidecar_path(model_path)
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelBundleError(f"{path}: cannot read the export sidecar ({exc})") from None


__all__: Sequence[str] = (
    "INT8_RECIPES",
    "Int8Recipe",
    "decisions",
    "export_onnx",
    "int8_recipes",
    "quantize_int8",
    "read_sidecar",
    "sidecar_path",
    "with_static_padding",
)
