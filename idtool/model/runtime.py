"""Embedding engines: ONNX Runtime when an exported model is in the bundle, else PyTorch.

Both return L2-normalised float32 embeddings for a preprocessed float32 N x 3 x H x W
batch. :func:`load_engine` picks one; ``engine.name`` says which, and it is recorded in
every result's ``engine`` field through :class:`idtool.decide.identify.Identifier`.

ONNX Runtime runs on the CPU unless a GPU build (``onnxruntime-gpu``) and a device are
present: then :func:`choose_providers` puts CUDA first (or TensorRT when asked), the fp32
model is used (int8 was validated for CPUs), batches grow to :data:`GPU_BATCH_SIZE`, and
the name says so (``onnxruntime-fp32-cuda``). A GPU build without a usable device falls
back to the CPU, and the name stays the CPU one.
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
CPU_PROVIDER = "CPUExecutionProvider"
GPU_PROVIDERS = {"cuda": "CUDAExecutionProvider", "tensorrt": "TensorrtExecutionProvider"}
# Images per embedding call on a GPU: a GPU is fed in larger batches than the CPU default
# (idtool.batch.pipeline.DEFAULT_BATCH_SIZE); to be measured with benchmarks/bench_gpu.py.
GPU_BATCH_SIZE = 64


class EmbeddingEngine(Protocol):
    name: str

    def embed(self, batch: np.ndarray) -> np.ndarray: ...


def choose_providers(available: Sequence[str], gpu: str = "auto") -> list[str]:
    """The ONNX Runtime execution providers to ask for, best first, CPU always last.

    Args:
        available: what this ONNX Runtime build offers
            (``onnxruntime.get_available_providers()``).
        gpu: ``auto`` (CUDA when offered; TensorRT only when asked, as it compiles an
            engine per model at start-up), ``cuda``, ``tensorrt`` or ``cpu``.

    Raises:
        BadField: unknown ``gpu`` value.
    """
    if gpu not in {"auto", "cpu", *GPU_PROVIDERS}:
        raise BadField(f"unknown GPU choice {gpu!r}: use auto, cuda, tensorrt or cpu")
    wanted: list[str] = []
    if gpu == "tensorrt":
        wanted = [GPU_PROVIDERS["tensorrt"], GPU_PROVIDERS["cuda"]]
    elif gpu in {"auto", "cuda"}:
        wanted = [GPU_PROVIDERS["cuda"]]
    return [name for name in wanted if name in available] + [CPU_PROVIDER]


def provider_suffix(provider: str) -> str:
    """The engine-name suffix for the provider a session runs on ('' for the CPU)."""
    for short, name in GPU_PROVIDERS.items():
        if provider == name:
            return f"-{short}"
    return ""


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

    def __init__(
        self,
        model_path: Path,
        variant: str,
        threads: int = 0,
        providers: Sequence[str] = (CPU_PROVIDER,),
    ) -> None:
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
            str(model_path), sess_options=options, providers=list(providers)
        )
        self._input = self._session.get_inputs()[0].name
        # what the session runs on (a GPU build without a device falls back to the CPU)
        self.provider = self._session.get_providers()[0]
        self.name = f"onnxruntime-{variant}{provider_suffix(self.provider)}"
        self.batch_size = GPU_BATCH_SIZE if self.provider != CPU_PROVIDER else 0

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


def load_engine(
    bundle: ModelBundle, engine: str = "auto", threads: int = 0, gpu: str = "auto"
) -> EmbeddingEngine:
    """Pick the fastest available engine.

    Args:
        bundle: the model bundle.
        engine: ``auto`` (int8 ONNX, then fp32 ONNX, then torch; fp32 first on a GPU),
            ``onnx-int8``, ``onnx`` (fp32), or ``torch``.
        threads: intra-op threads (0: the runtime's default, all cores).
        gpu: which ONNX Runtime GPU provider to use when there is one
            (:func:`choose_providers`; ``cpu`` never uses one).

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
        import onnxruntime
    except ImportError:
        if engine != "auto":
            raise ModelBundleError("onnxruntime is not installed") from None
        return TorchEngine(bundle, threads)
    providers = choose_providers(onnxruntime.get_available_providers(), gpu)
    if providers[0] != CPU_PROVIDER and engine == "auto":
        wanted = ["fp32", "int8"]  # int8 is validated for CPUs; a GPU runs fp32 best
    for variant in wanted:
        path = _verified_onnx(bundle, variant)
        if path is not None:
            return OnnxEngine(path, variant, threads, providers)
    if engine != "auto":
        raise ModelBundleError(
            f"no exported {wanted[0]} ONNX model in {bundle.path / ONNX_DIR}: run `idtool export onnx`"
        )
    return TorchEngine(bundle, threads)
