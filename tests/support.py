"""Paths and small helpers shared by the test folders (not a test module, no fixtures).

Fixtures live in the ``conftest.py`` of the folder that uses them (``tests/conftest.py``
for those used in several folders).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

from idtool.config import PROJECT_ROOT, SHIPPED_REFERENCE_DIR

SHARED = PROJECT_ROOT.parent / "shared"
SHARED_DEMO = SHARED / "data" / "reference_demo"
EXAMPLES = PROJECT_ROOT / "examples"


def shipped_photo(class_dir: str, index: int = 0) -> Path:
    return sorted((SHIPPED_REFERENCE_DIR / class_dir).glob("*.jpg"))[index]


def small_reference(target: Path, per_class: int = 3) -> Path:
    """Copy a few shipped reference photos per class into ``target`` (a reference root)."""
    for class_dir in sorted(p for p in SHIPPED_REFERENCE_DIR.iterdir() if p.is_dir()):
        (target / class_dir.name).mkdir(parents=True)
        for photo in sorted(class_dir.glob("*.jpg"))[:per_class]:
            shutil.copy(photo, target / class_dir.name / photo.name)
    shutil.copy(SHIPPED_REFERENCE_DIR / "SOURCES.csv", target / "SOURCES.csv")
    return target


TINY_ARCHITECTURE = "test_efficientnet"  # timm's smallest EfficientNet (for tests)
TINY_INPUT_PX = 64


def write_tiny_bundle(target: Path, version: str = "0.0.1") -> Path:
    """Write a head-less bundle of a random-init (seed 0) ``test_efficientnet`` to ``target``."""
    import torch
    from safetensors.torch import save_file

    from idtool import __version__
    from idtool.hashing import sha256_file
    from idtool.model.backbone import create_backbone
    from idtool.model.bundle import MODEL_JSON, PREPROCESS_KEYS, WEIGHTS_FILE, Thresholds

    torch.manual_seed(0)
    model = create_backbone(TINY_ARCHITECTURE, num_classes=0).eval()
    meta: dict[str, object] = {
        "name": "tiny",
        "version": version,
        "architecture": TINY_ARCHITECTURE,
        "input_size": TINY_INPUT_PX,
        "interpolation": "bicubic",
        "crop_pct": 0.875,
        "mean": [0.5, 0.5, 0.5],
        "std": [0.5, 0.5, 0.5],
        "embedding_dim": int(model.num_features),  # type: ignore[arg-type]
        "embedding_version": f"{TINY_ARCHITECTURE}-random-seed0",
        "source": "random initialisation (tests only)",
        "licence": "Apache-2.0",
        "idtool_version": __version__,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "thresholds": Thresholds().to_dict(),
        "head": None,
    }
    target.mkdir(parents=True)
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    extra = {k: meta[k] for k in PREPROCESS_KEYS}
    save_file(state, str(target / WEIGHTS_FILE), metadata={"idtool": json.dumps(extra)})
    meta["weights"] = {"file": WEIGHTS_FILE, "sha256": sha256_file(target / WEIGHTS_FILE)}
    (target / MODEL_JSON).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return target


class WaitressThread:
    """A waitress server (``waitress.server.create_server(...)``) run in a thread of the
    test process, and stopped cleanly: closing the server while its loop waits in
    ``select`` makes that call fail with a bad file descriptor, which only means the
    server has stopped."""

    def __init__(self, server: Any) -> None:
        import threading

        self.server = server
        self._stopping = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self.server.run()
        except OSError:
            if not self._stopping:
                raise

    def close(self) -> None:
        self._stopping = True
        self.server.close()
        self._thread.join(timeout=10)
