"""Shared fixtures for the core tests.

``shipped_bundle`` is the trained bundle in ``models/``; ``core_home`` is a session-wide
IDTOOL_HOME whose catalog holds the shipped reference set (imported once).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner
from flask import Flask
from phone_photos import PhonePhotos, make_phone_photos
from server_support import settings_for, shared_home
from support import shipped_photo, small_reference, write_tiny_bundle

from idtool.catalog.reference_import import import_reference_dir
from idtool.config import SHIPPED_MODELS_DIR, SHIPPED_REFERENCE_DIR, load_settings
from idtool.decide.service import IdentificationService
from idtool.i18n import set_default_language
from idtool.model.bundle import ModelBundle, load_bundle
from idtool.model.discovery import SHIPPED_BUNDLE

if TYPE_CHECKING:
    from curation_fixtures import ReferenceFixture

    from idtool.curation.evaluation import Evaluation

# Ray clusters the tests start stay on loopback: without this, Ray rewrites 127.0.0.1 in a
# cluster address to this machine's network address (read when ray is imported)
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")


@pytest.fixture(autouse=True)
def english_by_default(monkeypatch: pytest.MonkeyPatch) -> object:
    """Texts in English unless a test asks otherwise, whatever the machine's locale."""
    monkeypatch.setenv("IDTOOL_LANG", "en")
    set_default_language("en")
    yield
    set_default_language("en")


@pytest.fixture(scope="session")
def shipped_bundle() -> ModelBundle:
    return load_bundle(SHIPPED_MODELS_DIR / SHIPPED_BUNDLE)


@pytest.fixture(scope="session")
def core_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An IDTOOL_HOME whose catalog holds every class of the shipped reference set (the
    first 10 photos of each, so the shipped head applies), embedded with torch."""
    home = tmp_path_factory.mktemp("core_home")
    reference = small_reference(tmp_path_factory.mktemp("core_reference"), per_class=10)
    for table in ("TAXONOMY.csv", "MATERIALS.csv"):
        shutil.copy(SHIPPED_REFERENCE_DIR / table, reference / table)
    service = IdentificationService.open(load_settings(home=home), "torch")
    try:
        import_reference_dir(service.catalog, service.embedder(), reference)
    finally:
        service.close()
    return home


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh IDTOOL_HOME for one test (set in the environment)."""
    monkeypatch.setenv("IDTOOL_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture
def core_home_copy(core_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of ``core_home`` (so a test may change the catalog), set as IDTOOL_HOME."""
    target = tmp_path / "home"
    shutil.copytree(core_home, target)
    monkeypatch.setenv("IDTOOL_HOME", str(target))
    return target


@pytest.fixture(scope="session")
def phone_photos() -> PhonePhotos:
    """12 MP phone photos (JPEG in orientations 1/3/6/8, PNG, HEIC where encodable)."""
    return make_phone_photos(shipped_photo("material_ivory"))


@pytest.fixture
def cli(home: Path) -> CliRunner:
    """A click test runner; its commands use this test's fresh ``home`` (IDTOOL_HOME)."""
    return CliRunner()


@pytest.fixture
def tiny_bundle(tmp_path: Path) -> ModelBundle:
    """A head-less model bundle of timm's small random-init ``test_efficientnet``.

    Built in milliseconds with the same ``model.json`` keys and safetensors metadata as a
    real bundle, so logic tests (decoding, embedding, catalog, decisions) need no trained
    weights. Its embeddings are random but deterministic (seed 0).
    """
    return load_bundle(write_tiny_bundle(tmp_path / "tiny_bundle"))


@pytest.fixture(scope="session")
def reference_set(tmp_path_factory: pytest.TempPathFactory) -> ReferenceFixture:
    """The curation reference set with planted mistakes (see tests/curation_fixtures.py)."""
    from curation_fixtures import reference_fixture

    return reference_fixture(tmp_path_factory)


@pytest.fixture(scope="session")
def baseline(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[ReferenceFixture, Evaluation, Path]:
    """``reference_set`` evaluated once (3 folds, seed 0, with unknown photos), written out."""
    from curation_fixtures import baseline_evaluation

    return baseline_evaluation(tmp_path_factory)


# The field server on the shared model (server tests, and hub tests that run real posts)
@pytest.fixture(scope="session")
def server_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_home(tmp_path_factory.mktemp("server_home"))


@pytest.fixture
def make_app(server_home: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Build an app on the shared model with this test's own evidence directory."""
    from server.app import create_app

    apps: list[Flask] = []

    def build(**overrides: object) -> Flask:
        settings = settings_for(server_home, tmp_path / f"evidence{len(apps)}", **overrides)
        app = create_app(settings, runtime="torch")
        app.config["TESTING"] = True
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.extensions["idtool"].store.close()
