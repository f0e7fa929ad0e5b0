from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from idtool.config import load_settings
from idtool.errors import ModelBundleError
from idtool.model.bundle import HEAD_FILE, MODEL_JSON, load_bundle
from idtool.model.discovery import list_bundles, resolve_bundle_dir


def _copy(bundle, tmp_path: Path) -> Path:
    target = tmp_path / "bundle"
    shutil.copytree(bundle.path, target, ignore=shutil.ignore_patterns("onnx"))
    return target


def test_shipped_bundle_is_complete(shipped_bundle) -> None:
    assert shipped_bundle.preprocess.input_size == shipped_bundle.meta["input_size"]
    assert shipped_bundle.head is not None
    assert set(shipped_bundle.head.classes) == {
        "Scleractinia",
        "material_bone",
        "material_ceramic",
        "material_ivory",
        "material_walrus_ivory",
    }
    # the head reads the whole photo beside its pooled surface tiles (texture view)
    assert shipped_bundle.meta["tiles"]["count"] >= 1
    assert shipped_bundle.head.weight.shape[1] == 2 * shipped_bundle.meta["embedding_dim"]
    assert 0 < shipped_bundle.thresholds.min_confidence < 1
    assert (shipped_bundle.path / "MODEL_CARD.md").is_file()
    model = shipped_bundle.create_model()
    assert model.num_features == shipped_bundle.meta["embedding_dim"]


def test_tampered_head_is_refused(shipped_bundle, tmp_path: Path) -> None:
    target = _copy(shipped_bundle, tmp_path)
    data = bytearray((target / HEAD_FILE).read_bytes())
    data[-1] ^= 0xFF
    (target / HEAD_FILE).write_bytes(bytes(data))
    with pytest.raises(ModelBundleError, match="SHA-256"):
        load_bundle(target)


def test_model_json_disagreeing_with_weights_metadata_is_refused(
    shipped_bundle, tmp_path: Path
) -> None:
    target = _copy(shipped_bundle, tmp_path)
    meta = json.loads((target / MODEL_JSON).read_text())
    meta["input_size"] = 256
    (target / MODEL_JSON).write_text(json.dumps(meta))
    with pytest.raises(ModelBundleError, match="input_size"):
        load_bundle(target)


def test_missing_bundle_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelBundleError, match="no model bundle"):
        load_bundle(tmp_path / "nothing")


def test_resolution_order(shipped_bundle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IDTOOL_MODEL", raising=False)
    settings = load_settings(home=tmp_path / "home")
    assert resolve_bundle_dir(settings) == shipped_bundle.path
    trained = tmp_path / "home" / "models" / "idtool-lite0-2.0.0"
    trained.parent.mkdir(parents=True)
    shutil.copytree(shipped_bundle.path, trained, ignore=shutil.ignore_patterns("onnx"))
    assert list_bundles(trained.parent) == [trained]
    assert resolve_bundle_dir(settings) == trained
    explicit = load_settings(home=tmp_path / "home", model_dir=shipped_bundle.path)
    assert resolve_bundle_dir(explicit) == shipped_bundle.path


def test_tiny_bundle_loads_embeds_and_identifies_without_real_weights(
    tiny_bundle, tmp_path: Path
) -> None:
    """The tiny random-init bundle goes through the same code as a real one, in seconds."""
    import numpy as np
    from support import small_reference

    from idtool.catalog.reference_import import import_reference_dir
    from idtool.config import load_settings
    from idtool.decide.service import IdentificationService
    from idtool.types import Decision

    assert tiny_bundle.architecture == "test_efficientnet" and tiny_bundle.head is None
    settings = load_settings(home=tmp_path / "home", model_dir=tiny_bundle.path)
    service = IdentificationService.open(settings, "torch")
    try:
        report = import_reference_dir(
            service.catalog, service.embedder(), small_reference(tmp_path / "ref", per_class=2)
        )
        assert report.embedded == report.added > 0
        reference = service.catalog.load_embeddings(tiny_bundle.embedding_version)
        assert reference.vectors.shape[1] == tiny_bundle.meta["embedding_dim"]
        assert np.allclose(np.linalg.norm(reference.vectors, axis=1), 1.0, atol=1e-4)
        photo = sorted((tmp_path / "ref" / "Scleractinia").glob("*.jpg"))[0]
        (result,) = service.identifier().identify_paths(
            [photo], max_bytes=settings.max_image_bytes, max_pixels=settings.max_image_pixels
        )
    finally:
        service.close()
    assert result.error is None and result.decision in set(Decision)
    assert result.model_version == "tiny-0.0.1" and result.engine == "torch"
    # a reference photo is its own nearest reference
    assert result.nearest_references and result.nearest_references[0].similarity > 0.99
