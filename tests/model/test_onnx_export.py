"""ONNX export: parity with PyTorch on real photos, sidecars, engine choice, tamper refusal."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from idtool.config import PROJECT_ROOT, SHIPPED_REFERENCE_DIR
from idtool.errors import ModelBundleError
from idtool.model.onnx_export import INT8_MIN_COSINE, export_onnx, read_sidecar
from idtool.model.preprocess import decode_image, to_model_input

pytest.importorskip("onnxruntime")

PHOTO_DIRS = (SHIPPED_REFERENCE_DIR, PROJECT_ROOT.parent / "shared" / "data" / "reference_demo")
PHOTOS_PER_CLASS = 3  # 11 classes x 3: enough for a check, keeps the export near 20 s


def _photos() -> list[Path]:
    for folder in PHOTO_DIRS:
        classes = sorted(p for p in folder.glob("*") if p.is_dir())
        photos = [photo for c in classes for photo in sorted(c.glob("*.jpg"))[:PHOTOS_PER_CLASS]]
        if len(photos) >= 8:
            return photos
    return []


@pytest.fixture(scope="session")
def photos() -> list[Path]:
    found = _photos()
    if not found:
        pytest.skip(f"no reference photos in {' or '.join(map(str, PHOTO_DIRS))}")
    return found


@pytest.fixture(scope="session")
def exported(tmp_path_factory: pytest.TempPathFactory, photos: list[Path]) -> tuple:
    from idtool.model.bundle import build_base_bundle, load_bundle

    try:
        bundle_dir = build_base_bundle(tmp_path_factory.mktemp("onnx") / "bundle")
    except ModelBundleError as exc:
        pytest.skip(f"base checkpoint unavailable: {exc.message}")
    bundle = load_bundle(bundle_dir)
    return bundle, export_onnx(bundle, int8=True, calibration_images=photos)


def _batch(bundle, photos: list[Path]) -> np.ndarray:
    return np.stack([to_model_input(decode_image(p).rgb, bundle.preprocess) for p in photos])


def test_fp32_matches_torch_on_real_photos(exported, photos) -> None:
    from idtool.model.runtime import OnnxEngine, TorchEngine

    bundle, written = exported
    batch = _batch(bundle, photos[::3])
    torch_out = TorchEngine(bundle).embed(batch)
    onnx_out = OnnxEngine(written[0], "fp32").embed(batch)
    assert np.abs(onnx_out - torch_out).max() < 1e-4
    assert read_sidecar(written[0])["parity"]["max_abs_diff_vs_torch"] < 1e-4


def test_int8_if_written_stays_close_to_fp32(exported, photos) -> None:
    from idtool.model.runtime import OnnxEngine

    bundle, written = exported
    if len(written) < 2:
        pytest.skip("int8 did not pass the cosine gate at export, so it was not written")
    batch = _batch(bundle, photos[1::2])
    fp32 = OnnxEngine(written[0], "fp32").embed(batch)
    int8 = OnnxEngine(written[1], "int8").embed(batch)
    assert (fp32 * int8).sum(axis=1).min() >= INT8_MIN_COSINE
    assert read_sidecar(written[1])["parity"]["min_cosine_vs_fp32"] >= INT8_MIN_COSINE


def test_sidecar_carries_bundle_and_embedding_version(exported) -> None:
    bundle, written = exported
    for path in written:
        info = read_sidecar(path)
        assert path.parent.name == "onnx" and path.with_suffix(".json").is_file()
        assert info["embedding_version"] == bundle.embedding_version
        assert info["bundle"] == bundle.meta
        assert info["opset"] == 17 and info["validated"] is True


def test_load_engine_prefers_onnx_and_falls_back_to_torch(exported, tmp_path: Path) -> None:
    from idtool.model.bundle import load_bundle
    from idtool.model.runtime import load_engine

    bundle, written = exported
    best = "onnxruntime-int8" if len(written) > 1 else "onnxruntime-fp32"
    assert load_engine(bundle).name == best
    assert load_engine(bundle, "onnx").name == "onnxruntime-fp32"
    plain = tmp_path / "plain"
    shutil.copytree(bundle.path, plain, ignore=shutil.ignore_patterns("onnx"))
    assert load_engine(load_bundle(plain)).name == "torch"


def test_unvalidated_export_is_ignored(exported, tmp_path: Path) -> None:
    from idtool.model.bundle import load_bundle
    from idtool.model.runtime import load_engine

    bundle, _ = exported
    copy = tmp_path / "copy"
    shutil.copytree(bundle.path, copy)
    for sidecar in (copy / "onnx").glob("*.json"):
        info = json.loads(sidecar.read_text(encoding="utf-8"))
        sidecar.write_text(json.dumps({**info, "validated": False}), encoding="utf-8")
    assert load_engine(load_bundle(copy)).name == "torch"


def test_corrupted_onnx_is_refused(exported, tmp_path: Path) -> None:
    from idtool.model.bundle import load_bundle
    from idtool.model.runtime import load_engine

    bundle, _ = exported
    copy = tmp_path / "copy"
    shutil.copytree(bundle.path, copy)
    model = copy / "onnx" / "model.onnx"
    data = bytearray(model.read_bytes())
    data[len(data) // 2] ^= 0xFF
    model.write_bytes(bytes(data))
    with pytest.raises(ModelBundleError, match="SHA-256"):
        load_engine(load_bundle(copy), "onnx")


def test_int8_is_used_only_on_the_cpu_kind_it_was_validated_on(exported, tmp_path: Path) -> None:
    from idtool.model.bundle import load_bundle
    from idtool.model.runtime import cpu_int8_kind, load_engine

    bundle, written = exported
    if len(written) < 2:
        pytest.skip("int8 did not pass its gate at export on this CPU, so it was not written")
    info = read_sidecar(written[1])
    assert info["cpu"]["int8_kind"] == cpu_int8_kind()
    assert info["parity"]["decisions_changed"] == 0
    other = tmp_path / "other-cpu"
    shutil.copytree(bundle.path, other)
    sidecar = other / "onnx" / "model.int8.json"
    info["cpu"]["int8_kind"] = "no-vnni" if cpu_int8_kind() == "vnni" else "vnni"
    sidecar.write_text(json.dumps(info), encoding="utf-8")
    assert load_engine(load_bundle(other)).name == "onnxruntime-fp32"


def test_cpu_int8_kind_and_recipes() -> None:
    from idtool.model.onnx_export import int8_recipes
    from idtool.model.runtime import cpu_int8_kind

    assert cpu_int8_kind() in {"vnni", "no-vnni"}
    assert all(r.reduce_range for r in int8_recipes("no-vnni"))  # AVX2 saturation
    assert not any(r.reduce_range for r in int8_recipes("vnni"))


def test_decision_gate_sees_a_changed_top_class(shipped_bundle) -> None:
    from idtool.model.onnx_export import decisions

    head = shipped_bundle.head
    if head is None:
        pytest.skip("the shipped bundle has no trained head")
    directions = head.weight.astype(np.float32)  # one embedding pointing at each class
    same = decisions(shipped_bundle, directions)
    assert same is not None and len({top for top, _ in same}) > 1
    assert decisions(shipped_bundle, directions * 3.0) == same  # scale does not matter
    assert decisions(shipped_bundle, directions[::-1]) == same[::-1]
    assert decisions(shipped_bundle, directions[::-1]) != same
