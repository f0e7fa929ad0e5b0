"""Fixtures of the batch tests: a small catalog and a seizure folder of photos."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from batch_support import CLASSES, REFERENCE_PER_CLASS, reference_photos

from idtool.catalog.reference_import import import_reference_dir
from idtool.config import Settings, load_settings
from idtool.decide.service import IdentificationService
from idtool.model.bundle import build_base_bundle


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A base bundle and a catalog of 4 reference photos per shipped class."""
    root = tmp_path_factory.mktemp("batch_env")
    bundle = build_base_bundle(root / "bundle")
    ref = root / "ref"
    for cls in CLASSES:
        (ref / cls).mkdir(parents=True)
        for photo in reference_photos(cls)[:REFERENCE_PER_CLASS]:
            shutil.copy(photo, ref / cls / photo.name)
    settings = load_settings(home=root / "home", model_dir=bundle, catalog_path=root / "cat.db")
    service = IdentificationService.open(settings, "torch")
    try:
        import_reference_dir(service.catalog, service.embedder(), ref)
    finally:
        service.close()
    return settings


@pytest.fixture
def photo_dir(tmp_path: Path) -> Path:
    """Photos not in the reference set, in sub-folders, plus a duplicate and bad files."""
    root = tmp_path / "seizure"
    for cls in CLASSES:
        (root / cls.lower()).mkdir(parents=True)
        for photo in reference_photos(cls)[REFERENCE_PER_CLASS : REFERENCE_PER_CLASS + 3]:
            shutil.copy(photo, root / cls.lower() / photo.name)
    first = sorted(root.rglob("*.jpg"))[0]
    shutil.copy(first, root / "zz_copy.jpg")
    (root / "notes.txt").write_text("inventory list", encoding="utf-8")
    (root / "truncated.jpg").write_bytes(first.read_bytes()[:2000])
    (root / "renamed_text.jpg").write_text("this is not a photo", encoding="utf-8")
    (root / "empty.png").write_bytes(b"")
    return root
