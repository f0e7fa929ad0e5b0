"""Which model bundle to use: an explicit one, the newest trained one, or the shipped one."""

from __future__ import annotations

import json
from pathlib import Path

from idtool.config import SHIPPED_MODELS_DIR, Settings
from idtool.errors import ModelBundleError
from idtool.model.bundle import MODEL_JSON

SHIPPED_BUNDLE = "idtool-lite0-1.2.0"  # the newest bundle in models/ (see resolve_bundle_dir)


def list_bundles(folder: Path) -> list[Path]:
    """Bundle directories in ``folder``, newest ``created`` first."""
    if not folder.is_dir():
        return []
    found = []
    for child in folder.iterdir():
        meta_path = child / MODEL_JSON
        if child.is_dir() and not child.name.startswith(".") and meta_path.is_file():
            try:
                created = str(json.loads(meta_path.read_text(encoding="utf-8")).get("created", ""))
            except (OSError, json.JSONDecodeError):
                continue
            found.append((created, child))
    return [path for _, path in sorted(found, reverse=True)]


def resolve_bundle_dir(settings: Settings) -> Path:
    """``--model``/``IDTOOL_MODEL`` if set, else the newest bundle trained into
    ``$IDTOOL_HOME/models``, else the newest bundle shipped in ``models/``.

    Raises:
        ModelBundleError: none of them exists.
    """
    if settings.model_dir is not None:
        return settings.model_dir
    trained = list_bundles(settings.trained_models_dir)
    if trained:
        return trained[0]
    shipped_bundles = list_bundles(SHIPPED_MODELS_DIR)
    if shipped_bundles:
        return shipped_bundles[0]
    shipped = SHIPPED_MODELS_DIR / SHIPPED_BUNDLE
    raise ModelBundleError(
        f"no model bundle found (looked in {settings.trained_models_dir} and {shipped}); "
        "pass --model PATH"
    )
