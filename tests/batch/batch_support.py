"""Helpers of the batch tests (not a test module; the fixtures are in conftest.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from idtool.config import SHIPPED_REFERENCE_DIR, Settings

REFERENCE_PER_CLASS = 4
CLASSES = ("Scleractinia", "material_ceramic", "material_ivory")

needs_reference = pytest.mark.skipif(
    not all((SHIPPED_REFERENCE_DIR / c).is_dir() for c in CLASSES),
    reason="shipped reference_images/ photos are absent",
)


def reference_photos(cls: str) -> list[Path]:
    return sorted((SHIPPED_REFERENCE_DIR / cls).glob("*.jpg"))


def env_vars(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "IDTOOL_HOME": str(settings.home),
        "IDTOOL_MODEL": str(settings.model_dir),
        "IDTOOL_CATALOG": str(settings.catalog_path),
    }
