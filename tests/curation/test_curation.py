"""Curation: add, remove, rename-class, show; history and reference version; migrations."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from curation_fixtures import CHEETAH_IN_CORAL, ReferenceFixture, catalog_copy
from sqlite_utils import Database

from idtool.catalog.migrations import catalog_migrations
from idtool.catalog.reference_import import Provenance, ReferenceEmbedder
from idtool.catalog.store import Catalog, open_catalog_db
from idtool.curation.reference_edits import (
    add_photos,
    class_dir_for,
    history,
    provenance_summary,
    remove_photos,
    rename_class,
    show_class,
)
from idtool.errors import BadField, Conflict, NotFound
from idtool.model.bundle import load_bundle
from idtool.model.runtime import load_engine


@pytest.fixture(scope="session")
def embedder(reference_set: ReferenceFixture) -> ReferenceEmbedder:
    bundle = load_bundle(reference_set.bundle_dir)
    return ReferenceEmbedder(bundle, load_engine(bundle, "torch"))


@pytest.fixture
def catalog(reference_set: ReferenceFixture, tmp_path: Path):
    cat = Catalog.open(catalog_copy(reference_set, tmp_path / "catalog.db"))
    yield cat
    cat.close()


def _new_photo(reference_set: ReferenceFixture, tmp_path: Path) -> Path:
    """A demo tiger photo that is not in the fixture set yet."""
    from curation_fixtures import DEMO

    source = sorted((DEMO / "Panthera_tigris").glob("*.jpg"))[-2]
    target = tmp_path / "incoming" / "new_tiger.jpg"
    target.parent.mkdir(parents=True)
    shutil.copyfile(source, target)
    return target


def test_class_dir_for_accepts_labels_and_folder_names() -> None:
    assert class_dir_for("Panthera tigris") == "Panthera_tigris"
    assert class_dir_for("Panthera_tigris") == "Panthera_tigris"
    assert class_dir_for("material_ceramic") == "material_ceramic"


def test_add_copies_records_provenance_history_and_changes_version(
    catalog: Catalog, embedder: ReferenceEmbedder, reference_set: ReferenceFixture, tmp_path: Path
) -> None:
    photo = _new_photo(reference_set, tmp_path)
    original_bytes = photo.read_bytes()
    before = catalog.reference_version()
    report = add_photos(
        catalog,
        embedder,
        "Panthera tigris",
        [photo],
        Provenance(licence="CC-BY-4.0", source="inat:123", photographer="A. Curator"),
        store_dir=tmp_path / "store",
    )
    assert [a["original"] for a in report.added] == [str(photo.resolve())]
    stored = Path(report.added[0]["path"])
    assert stored.parent == (tmp_path / "store" / "Panthera_tigris").resolve()
    assert stored.read_bytes() == original_bytes and photo.read_bytes() == original_bytes
    assert report.reference_version != before == report.reference_version_before
    assert catalog.reference_version() == report.reference_version
    row = catalog.image_by_path(str(stored))
    assert row is not None
    assert (row["licence"], row["source"], row["photographer"]) == (
        "CC-BY-4.0",
        "inat:123",
        "A. Curator",
    )
    assert row["added_by"] and row["added_at"]
    assert catalog.has_embedding(row["id"], embedder.bundle.embedding_version, row["sha256"])
    last = history(catalog, "Panthera tigris")[-1]
    assert last["action"] == "reference_add" and last["who"] and last["at"]
    assert last["details"]["licence"] == "CC-BY-4.0"
    assert last["details"]["reference_version"] == report.reference_version
    # the taxonomy of the existing class survives (add must not wipe the lineage)
    assert catalog.taxon("Panthera tigris").lineage.get("family") == "Felidae"


def test_add_refuses_duplicates_and_unreadable_files(
    catalog: Catalog, embedder: ReferenceEmbedder, reference_set: ReferenceFixture, tmp_path: Path
) -> None:
    in_coral = (
        reference_set.root
        / "Scleractinia"
        / sorted(p.name for p in (reference_set.root / "Scleractinia").glob("Scleractinia_*.jpg"))[
            0
        ]
    )
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(in_coral.read_bytes()[:2000])  # a truncated JPEG
    before = catalog.reference_version()
    report = add_photos(
        catalog,
        embedder,
        "Panthera tigris",
        [in_coral, broken],
        Provenance(),
        store_dir=tmp_path / "store",
    )
    assert report.added == []
    codes = {Path(s["path"]).name: s["code"] for s in report.skipped}
    assert codes == {in_coral.name: Conflict.code, "broken.jpg": "invalid_image"}
    assert "Scleractinia" in report.skipped[0]["message"]
    same = add_photos(catalog, embedder, "Scleractinia", [in_coral], Provenance(), store_dir=None)
    assert same.added == [] and same.skipped[0]["code"] == Conflict.code
    assert catalog.reference_version() == before
    assert not (tmp_path / "store" / "Panthera_tigris").exists()


def test_remove_deactivates_keeps_file_and_is_reversible(
    catalog: Catalog, embedder: ReferenceEmbedder, reference_set: ReferenceFixture, tmp_path: Path
) -> None:
    before = catalog.reference_version()
    removed = remove_photos(catalog, [CHEETAH_IN_CORAL], "shows a cheetah, not a coral")
    assert len(removed) == 1
    row = catalog.db["images"].get(removed[0]["id"])
    assert row["active"] == 0 and Path(row["path"]).is_file()
    after = catalog.reference_version()
    assert after != before
    entry = history(catalog, "Scleractinia")[-1]
    assert entry["action"] == "reference_remove"
    assert entry["details"]["reason"] == "shows a cheetah, not a coral"
    assert entry["details"]["reference_version"] == after
    assert all(img.id != row["id"] for img in catalog.active_images())
    # adding the same file back where it is reactivates the row: same set, same version
    report = add_photos(
        catalog, embedder, "Scleractinia", [Path(row["path"])], Provenance(), store_dir=None
    )
    assert [a["id"] for a in report.added] == [row["id"]]
    assert catalog.reference_version() == before


def test_remove_needs_a_reason_and_existing_targets(catalog: Catalog) -> None:
    with pytest.raises(BadField, match="reason"):
        remove_photos(catalog, [CHEETAH_IN_CORAL], "  ")
    with pytest.raises(NotFound):
        remove_photos(catalog, ["Scleractinia/no_such.jpg"], "typo")
    with pytest.raises(NotFound):
        remove_photos(catalog, [], "gone", label="Panthera onca")


def test_remove_whole_class(catalog: Catalog) -> None:
    removed = remove_photos(catalog, [], "not needed", label="material_ceramic")
    assert len(removed) == 7
    assert not catalog.active_images("material_ceramic")


def test_rename_class_moves_images_keeps_provenance_and_history(catalog: Catalog) -> None:
    old_rows = list(catalog.db["images"].rows_where("label = ?", ["Panthera tigris"]))
    before = catalog.reference_version()
    report = rename_class(catalog, "Panthera_tigris", "Panthera tigris tigris")
    assert report.images == len(old_rows) and not report.merged
    assert report.reference_version != before
    assert "Panthera tigris" not in catalog.taxa()
    new_taxon = catalog.taxon("Panthera tigris tigris")
    assert new_taxon.rank == "subspecies"
    assert new_taxon.lineage.get("family") == "Felidae"
    new_rows = {
        r["id"]: r for r in catalog.db["images"].rows_where("label = ?", [report.new_label])
    }
    for old in old_rows:
        new = new_rows[old["id"]]
        for key in ("path", "sha256", "licence", "source", "photographer", "added_at"):
            assert new[key] == old[key]
    view = show_class(catalog, "Panthera tigris tigris")
    actions = [(h["action"], h["label"]) for h in view.history]
    assert ("added", "Panthera tigris") in actions  # the import rows under the old label
    assert actions[-1] == ("class_rename", "Panthera tigris")
    assert view.history[-1]["details"]["old_taxon"]["label"] == "Panthera tigris"


def test_rename_class_conflicts_unless_merge(catalog: Catalog) -> None:
    with pytest.raises(Conflict):
        rename_class(catalog, "Panthera tigris", "Acinonyx jubatus")
    with pytest.raises(NotFound):
        rename_class(catalog, "Panthera onca", "Panthera leo")
    with pytest.raises(BadField):
        rename_class(catalog, "material_ceramic", "Panthera leo")
    cheetahs = len(catalog.active_images("Acinonyx jubatus"))
    tigers = len(catalog.active_images("Panthera tigris"))
    report = rename_class(catalog, "Panthera tigris", "Acinonyx jubatus", merge=True)
    assert report.merged
    assert len(catalog.active_images("Acinonyx jubatus")) == cheetahs + tigers


def test_show_class_and_provenance(catalog: Catalog) -> None:
    view = show_class(catalog, "material_ceramic")
    assert view.active_count == 7
    assert all(img["licence"] is None for img in view.images)
    assert json.dumps(view.to_dict())  # JSON-serialisable
    rows = provenance_summary(catalog)
    by_label = {}
    for row in rows:
        by_label.setdefault(row["label"], 0)
        by_label[row["label"]] += row["images"]
    assert by_label["Scleractinia"] == 7
    assert any(r["licence"] is None and r["label"] == "material_ceramic" for r in rows)
    with pytest.raises(NotFound):
        show_class(catalog, "Panthera onca")


def test_evaluations_migration_from_empty_and_from_previous(tmp_path: Path) -> None:
    fresh = open_catalog_db(tmp_path / "fresh.db")
    assert "evaluations" in fresh.table_names()
    old = Database(tmp_path / "old.db")
    catalog_migrations.apply(old, stop_before="0002_evaluations")
    assert "evaluations" not in old.table_names()
    old["history"].insert({"at": "2024-01-01", "who": "x", "action": "a", "label": None})
    old.close()
    upgraded = open_catalog_db(tmp_path / "old.db")
    assert "evaluations" in upgraded.table_names()
    assert upgraded["history"].count == 1
    assert {"reference_version", "model_version", "summary"} <= set(
        upgraded["evaluations"].columns_dict
    )
