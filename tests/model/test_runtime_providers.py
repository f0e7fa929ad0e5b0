"""Which ONNX Runtime execution provider is used: the choice, from the providers a build
offers (injected here: these tests run without a GPU), and what the engine records."""

from __future__ import annotations

import pytest

from idtool.errors import BadField
from idtool.model.bundle import ModelBundle
from idtool.model.runtime import (
    CPU_PROVIDER,
    OnnxEngine,
    choose_providers,
    load_engine,
    onnx_path,
    provider_suffix,
)

CPU_BUILD = ["AzureExecutionProvider", "CPUExecutionProvider"]
GPU_BUILD = ["TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"]


def test_a_cpu_build_runs_on_the_cpu() -> None:
    assert choose_providers(CPU_BUILD) == [CPU_PROVIDER]
    assert choose_providers(CPU_BUILD, "cuda") == [CPU_PROVIDER]
    assert choose_providers(CPU_BUILD, "tensorrt") == [CPU_PROVIDER]


def test_a_gpu_build_puts_cuda_first_and_keeps_the_cpu_last() -> None:
    assert choose_providers(GPU_BUILD) == ["CUDAExecutionProvider", CPU_PROVIDER]
    assert choose_providers(GPU_BUILD, "tensorrt") == [
        "TensorrtExecutionProvider",
        "CUDAExecutionProvider",
        CPU_PROVIDER,
    ]
    assert choose_providers(GPU_BUILD, "cpu") == [CPU_PROVIDER]
    # a build with TensorRT but not CUDA (unusual) still falls back to the CPU
    assert choose_providers(["TensorrtExecutionProvider", CPU_PROVIDER], "tensorrt") == [
        "TensorrtExecutionProvider",
        CPU_PROVIDER,
    ]


def test_an_unknown_choice_is_refused() -> None:
    with pytest.raises(BadField, match="auto, cuda, tensorrt or cpu"):
        choose_providers(GPU_BUILD, "rocm")


def test_the_engine_name_says_which_provider_ran() -> None:
    assert provider_suffix("CUDAExecutionProvider") == "-cuda"
    assert provider_suffix("TensorrtExecutionProvider") == "-tensorrt"
    assert provider_suffix(CPU_PROVIDER) == ""


def test_the_cpu_engine_records_its_provider(shipped_bundle: ModelBundle) -> None:
    if not onnx_path(shipped_bundle, "fp32").is_file():
        pytest.skip("the shipped bundle has no ONNX export (run `idtool export onnx`)")
    engine = load_engine(shipped_bundle, "onnx", threads=1)
    assert isinstance(engine, OnnxEngine)
    assert engine.provider == CPU_PROVIDER
    assert engine.name == "onnxruntime-fp32"
    assert engine.batch_size == 0  # the batch default applies on the CPU
