"""The model: everything that turns image bytes into an embedding.

Owns the model bundle (``model.json`` + weights, verified and strictly loaded), bundle
discovery, the timm backbone and the checkpoint key remap, decoding (OpenCV, EXIF
orientation, size limits) and preprocessing, the runtimes (PyTorch eager, ONNX Runtime),
the ONNX export and the nearest-neighbour index.

May import: the foundation modules (``idtool.errors``, ``idtool.types``, ``idtool.config``,
``idtool.hashing``). Knows no database and makes no decisions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from idtool.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from idtool.model.bundle import (
        TARGET_SELECTIVE_ACCURACY,
        Head,
        ModelBundle,
        Thresholds,
        build_base_bundle,
        load_bundle,
        write_trained_bundle,
    )
    from idtool.model.discovery import resolve_bundle_dir
    from idtool.model.exif import extract_exif
    from idtool.model.knn_index import KnnIndex
    from idtool.model.onnx_export import IMAGE_SUFFIXES, export_onnx, read_sidecar
    from idtool.model.preprocess import (
        DEFAULT_MAX_BYTES,
        DEFAULT_MAX_PIXELS,
        DecodedImage,
        PreprocessConfig,
        decode_image,
        normalize,
        read_image_file,
        to_model_input,
    )
    from idtool.model.runtime import (
        ONNX_DIR,
        EmbeddingEngine,
        embed_decoded,
        l2_normalise,
        load_engine,
    )

# the public names of this part, each imported from its module on first use
_EXPORTS: dict[str, str] = {
    "Head": "idtool.model.bundle",
    "ModelBundle": "idtool.model.bundle",
    "TARGET_SELECTIVE_ACCURACY": "idtool.model.bundle",
    "Thresholds": "idtool.model.bundle",
    "build_base_bundle": "idtool.model.bundle",
    "load_bundle": "idtool.model.bundle",
    "write_trained_bundle": "idtool.model.bundle",
    "resolve_bundle_dir": "idtool.model.discovery",
    "extract_exif": "idtool.model.exif",
    "KnnIndex": "idtool.model.knn_index",
    "IMAGE_SUFFIXES": "idtool.model.onnx_export",
    "export_onnx": "idtool.model.onnx_export",
    "read_sidecar": "idtool.model.onnx_export",
    "DEFAULT_MAX_BYTES": "idtool.model.preprocess",
    "DEFAULT_MAX_PIXELS": "idtool.model.preprocess",
    "DecodedImage": "idtool.model.preprocess",
    "PreprocessConfig": "idtool.model.preprocess",
    "decode_image": "idtool.model.preprocess",
    "normalize": "idtool.model.preprocess",
    "read_image_file": "idtool.model.preprocess",
    "to_model_input": "idtool.model.preprocess",
    "EmbeddingEngine": "idtool.model.runtime",
    "ONNX_DIR": "idtool.model.runtime",
    "embed_decoded": "idtool.model.runtime",
    "l2_normalise": "idtool.model.runtime",
    "load_engine": "idtool.model.runtime",
}
__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_PIXELS",
    "IMAGE_SUFFIXES",
    "ONNX_DIR",
    "TARGET_SELECTIVE_ACCURACY",
    "DecodedImage",
    "EmbeddingEngine",
    "Head",
    "KnnIndex",
    "ModelBundle",
    "PreprocessConfig",
    "Thresholds",
    "build_base_bundle",
    "decode_image",
    "embed_decoded",
    "export_onnx",
    "extract_exif",
    "l2_normalise",
    "load_bundle",
    "load_engine",
    "normalize",
    "read_image_file",
    "read_sidecar",
    "resolve_bundle_dir",
    "to_model_input",
    "write_trained_bundle",
]
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
