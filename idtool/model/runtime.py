"""Embedding engines: ONNX Runtime when an exported model is in the bundle, else PyTorch.

Both return L2-normalised float32 embeddings for a preprocessed float32 N x 3 x H x W
batch. :func:`load_engine` picks one; ``engine.name`` says which, and it is recorded in
every result's ``decision_source`` chain through :class:`idtool.decide.identify.Identifier`.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from idtool.errors import BadField, ModelBundleError
from idtool.hashing import sha256_file
from idtool.model.bundle import ModelBundle
from idtool.model.preprocess import DecodedImage

log = logging.getLogger(__name__)

ONNX_DIR = "onnx"
ONNX_VARIANTS = {"fp32": "model.onnx", "int8": "model.int8.onnx"}


class EmbeddingEngine(Protocol):
    name: str

    def embed(self, batch: np.ndarray) -> np.ndarray: ...


def available_cpus() -> int:
    """CPUs this process may run on (its affinity mask, else the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


VNNI_FLAGS = ("avx512_vnni", "avx_vnni", "amx_int8")


def cpu_int8_kind() -> str:
    """Which int8 arithmetic this CPU has: ``vnni`` (AVX-512 VNNI, AVX-VNNI or AMX: exact
    u8 x s8 dot products) or ``no-vnni`` (AVX2's pmaddubsw, which saturates 16-bit sums,
    so weights need a 7-bit range). An int8 model is validated for one kind at export and
    used only on CPUs of that kind.
    """
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="ascii", errors="replace")
    except OSError:
        return "no-vnni"
    for line in flags.splitlines():
        if line.startswith("flags"):
            have = set(line.split(":", 1)[1].split())
            return "vnni" if have.intersection(VNNI_FLAGS) else "no-vnni"
    return "no-vnni"


def l2_normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


class TorchEngine:
    """Eager PyTorch (channels-last)."""

    name = "torch"

    def __init__(self, bundle: ModelBundle, threads: int = 0) -> None:
        import torch  # only this engine needs PyTorch

        from idtool.model.backbone import Embedder

        if threads > 0:
            torch.set_num_threads(threads)
        self._embedder = Embedder(bundle.create_model())

    def embed(self, batch: np.ndarray) -> np.ndarray:
        return l2_normalise(self._embedder.embed(batch))


class OnnxEngine:
    """ONNX Runtime on the CPU, with the session tuned for a small machine.

    Threads are set, not left to ONNX Runtime: ``threads`` intra-op threads (default one
    per available CPU), one inter-op thread (the graph runs sequentially), and spinning
    off. A spinning ORT thread busy-waits for the next operator for a while instead of
    sleeping; on a 2-core machine that steals the CPU the decode threads (batch) or the
    other requests (server) need, for a gain of well under a millisecond per image.
    """

    def __init__(self, model_path: Path, variant: str, threads: int = 0) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        self.threads = threads if threads > 0 else available_cpus()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.add_session_config_entry("session.inter_op.allow_spinning", "0")
        self._session = ort.InferenceSession(
            str(model_path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._input = self._session.get_inputs()[0].name
        self.name = f"onnxruntime-{variant}"

    def embed(self, batch: np.ndarray) -> np.ndarray:
        (out,) = self._session.run(
            None, {self._input: np.ascontiguousarray(batch, dtype=np.float32)}
        )
        return l2_normalise(np.asarray(out))


def embed_decoded(
    bundle: ModelBundle, engine: EmbeddingEngine, images: Sequence[DecodedImage]
) -> np.ndarray:
    """Preprocess decoded images as the bundle says and embed them in one batch."""
    batch = np.stack([img.model_input_for(bundle.preprocess) for img in images])
    return engine.embed(batch)


def onnx_path(bundle: ModelBundle, variant: str) -> Path:
    return bundle.path / ONNX_DIR / ONNX_VARIANTS[variant]


def _verified_onnx(bundle: ModelBundle, variant: str) -> Path | None:
    """The exported file if it exists and its sidecar matches this bundle, else None."""
    path = onnx_path(bundle, variant)
    sidecar = path.with_suffix(".json")
    if not path.is_file() or not sidecar.is_file():
        return None
    try:
        info = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    if info.get("embedding_version") != bundle.embedding_version:
        log.warning("%s was exported from another model; ignoring it", path)
        return None
    if info.get("sha256") != sha256_file(path):
        raise ModelBundleError(
            f"{path}: SHA-256 does not match its sidecar; re-run `idtool export onnx`"
        )
    if info.get("validated") is not True:
        log.warning("%s did not pass its parity check at export; ignoring it", path)
        return None
    validated_kind = (info.get("cpu") or {}).get("int8_kind")
    if variant == "int8" and validated_kind != cpu_int8_kind():
        log.info(
            "%s was validated on a %s CPU and this one is %s; using fp32",
            path,
            validated_kind,
            cpu_int8_kind(),
        )
        return None
    return path


def load_engine(bundle: ModelBundle, engine: str = "auto", threads: int = 0) -> EmbeddingEngine:
    """Pick the fastest available engine.

    Args:
        bundle: the model bundle.
        engine: ``auto`` (int8 ONNX, then fp32 ONNX, then torch), ``onnx-int8``,
            ``onnx`` (fp32), or ``torch``.
        threads: intra-op threads (0: the runtime's default, all cores).

    Raises:
        BadField: unknown engine name.
        ModelBundleError: an explicitly requested ONNX file is missing or corrupt.
    """
    if engine not in {"auto", "onnx", "onnx-int8", "torch"}:
        raise BadField(f"unknown engine {engine!r}: use auto, onnx, onnx-int8 or torch")
    if engine == "torch":
        return TorchEngine(bundle, threads)
    wanted = {"auto": ["int8", "fp32"], "onnx": ["fp32"], "onnx-int8": ["int8"]}[engine]
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        if engine != "auto":
            raise ModelBundleError("onnxruntime is not installed") from None
        return TorchEngine(bundle, threads)
    for variant in wanted:
        path = _verified_onnx(bundle, variant)
        if path is not None:
            return OnnxEngine(path, variant, threads)
    if engine != "auto":
        raise ModelBundleError(
            f"no exported {wanted[0]} ONNX model in {bundle.path / ONNX_DIR}: run `idtool export onnx`"
        )
    return TorchEngine(bundle, threads)
