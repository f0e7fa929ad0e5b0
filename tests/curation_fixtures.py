"""A small real reference set with planted mistakes, shared by the curation test modules.

Built once per test session (the first module to ask builds it under pytest's base temp
folder, the others reuse it): 4 classes x 6 demo photos copied from
``../shared/data/reference_demo``, plus

- ``Acinonyx_jubatus/planted_tiger_copy.jpg``: the same bytes as a tiger photo (exact
  duplicate across two classes);
- ``material_ceramic/planted_coral_resized.jpg``: a coral photo scaled to 70 % and
  re-encoded (near duplicate across two classes);
- ``Scleractinia/planted_cheetah.jpg``: a cheetah photo filed as coral (mislabelled);
- a ``SOURCES.csv`` giving every photo a licence except the ceramics.

Tests that change the catalog work on a copy (:func:`catalog_copy`).
"""

from __future__ import annotations

import csv
import shutil
from dataclasses import dataclass
from pathlib import Path

import cv2
import pytest

from idtool.catalog.reference_import import ReferenceEmbedder, import_reference_dir
from idtool.catalog.store import Catalog
from idtool.curation.evaluation import Evaluation, evaluate
from idtool.curation.evaluation_report import write_evaluation
from idtool.model.bundle import build_base_bundle, load_bundle
from idtool.model.runtime import load_engine

DEMO = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "reference_demo"
CLASSES = ("Acinonyx_jubatus", "Panthera_tigris", "Scleractinia", "material_ceramic")
PER_CLASS = 6
TIGER_COPY = "Acinonyx_jubatus/planted_tiger_copy.jpg"
CORAL_RESIZED = "material_ceramic/planted_coral_resized.jpg"
CHEETAH_IN_CORAL = "Scleractinia/planted_cheetah.jpg"


@dataclass(frozen=True)
class ReferenceFixture:
    root: Path  # the reference folder (class folders + SOURCES.csv)
    bundle_dir: Path
    catalog_path: Path
    home: Path


_BUILT: dict[str, ReferenceFixture] = {}


def _demo_files(class_dir: str) -> list[Path]:
    return sorted((DEMO / class_dir).glob("*.jpg"))


def _build(base: Path) -> ReferenceFixture:
    root = base / "reference"
    for class_dir in CLASSES:
        (root / class_dir).mkdir(parents=True)
        for path in _demo_files(class_dir)[:PER_CLASS]:
            shutil.copyfile(path, root / class_dir / path.name)
    shutil.copyfile(_demo_files("Panthera_tigris")[0], root / TIGER_COPY)
    coral = cv2.imread(str(_demo_files("Scleractinia")[1]))
    smaller = cv2.resize(coral, None, fx=0.7, fy=0.7, interpolation=cv2.INTER_AREA)
    cv2.imwrite(str(root / CORAL_RESIZED), smaller, [cv2.IMWRITE_JPEG_QUALITY, 80])
    shutil.copyfile(_demo_files("Acinonyx_jubatus")[-1], root / CHEETAH_IN_CORAL)
    with (root / "SOURCES.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["class", "file", "source", "licence", "photographer"])
        for path in sorted(root.glob("*/*.jpg")):
            rel = path.relative_to(root).as_posix()
            licence = "" if rel.startswith("material_ceramic") else "CC-BY-4.0"
            writer.writerow([path.parent.name, rel, f"demo:{rel}", licence, "test"])
    bundle_dir = build_base_bundle(base / "bundle")
    bundle = load_bundle(bundle_dir)
    home = base / "home"
    catalog_path = home / "catalog.db"
    catalog = Catalog.open(catalog_path)
    try:
        import_reference_dir(catalog, ReferenceEmbedder(bundle, load_engine(bundle, "torch")), root)
    finally:
        catalog.close()
    return ReferenceFixture(root, bundle_dir, catalog_path, home)


def reference_fixture(tmp_path_factory: pytest.TempPathFactory) -> ReferenceFixture:
    """The shared fixture set (built on first use); skips when the demo photos are absent."""
    if not all(len(_demo_files(c)) > PER_CLASS for c in CLASSES):
        pytest.skip(f"demo photos not found in {DEMO}")
    if "set" not in _BUILT:
        _BUILT["set"] = _build(tmp_path_factory.mktemp("curation_set"))
    return _BUILT["set"]


def catalog_copy(fixture: ReferenceFixture, target: Path) -> Path:
    """A private copy of the fixture catalog (checkpointed first so the copy is complete)."""
    catalog = Catalog.open(fixture.catalog_path)
    try:
        catalog.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        catalog.close()
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(fixture.catalog_path, target)
    return target


def unknown_photos(target: Path) -> Path:
    """A folder with three real photos of things that are not in any reference set."""
    import matplotlib
    import sklearn

    sources = [
        Path(sklearn.__file__).parent / "datasets" / "images" / "china.jpg",
        Path(sklearn.__file__).parent / "datasets" / "images" / "flower.jpg",
        Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg",
    ]
    missing = [str(p) for p in sources if not p.is_file()]
    if missing:
        pytest.skip(f"sample photos not installed: {', '.join(missing)}")
    target.mkdir(parents=True, exist_ok=True)
    for path in sources:
        shutil.copyfile(path, target / path.name)
    return target


def baseline_evaluation(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[ReferenceFixture, Evaluation, Path]:
    """The fixture set evaluated once (3 folds, seed 0, with unknown photos), written out."""
    fixture = reference_fixture(tmp_path_factory)
    if "evaluation" not in _BUILT_EVALUATION:
        base = tmp_path_factory.mktemp("curation_eval")
        bundle = load_bundle(fixture.bundle_dir)
        catalog = Catalog.open(fixture.catalog_path)
        try:
            evaluation = evaluate(
                catalog,
                bundle,
                load_engine(bundle, "torch"),
                folds=3,
                seed=0,
                unknown_dir=unknown_photos(base / "unknown"),
            )
        finally:
            catalog.close()
        write_evaluation(evaluation, base / "out")
        _BUILT_EVALUATION["evaluation"] = (evaluation, base / "out")
    evaluation, out = _BUILT_EVALUATION["evaluation"]
    return fixture, evaluation, out


_BUILT_EVALUATION: dict[str, tuple[Evaluation, Path]] = {}
