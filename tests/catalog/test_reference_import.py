from __future__ import annotations

from pathlib import Path

import pytest
from support import small_reference

from idtool.catalog.reference_import import import_reference_dir
from idtool.catalog.store import Catalog
from idtool.config import load_settings
from idtool.decide.service import IdentificationService
from idtool.errors import BadField, EmptyReference, NotFound


@pytest.fixture
def service(tmp_path: Path):
    opened = IdentificationService.open(load_settings(home=tmp_path / "home"), "torch")
    yield opened
    opened.close()


def test_import_is_idempotent_and_reembeds_changed_files(service, tmp_path: Path) -> None:
    root = small_reference(tmp_path / "ref", per_class=2)
    (root / "Scleractinia" / "notes.txt").write_text("not a photo")
    first = import_reference_dir(service.catalog, service.embedder(), root)
    assert (first.added, first.embedded) == (10, 10)
    assert [p for p, _ in first.skipped] == [str(root / "Scleractinia" / "notes.txt")]
    assert sorted(first.classes) == [
        "Scleractinia",
        "material_bone",
        "material_ceramic",
        "material_ivory",
        "material_walrus_ivory",
    ]

    second = import_reference_dir(service.catalog, service.embedder(), root)
    assert (second.added, second.updated, second.unchanged, second.embedded) == (0, 0, 10, 0)
    assert second.reference_version == first.reference_version
    assert service.catalog.db["images"].count == 10

    changed = sorted((root / "material_ceramic").glob("*.jpg"))[0]
    changed.write_bytes(sorted((root / "Scleractinia").glob("*.jpg"))[0].read_bytes())
    third = import_reference_dir(service.catalog, service.embedder(), root)
    assert (third.added, third.updated, third.embedded) == (0, 1, 1)
    assert third.reference_version != first.reference_version
    reference = service.catalog.load_embeddings(service.bundle.embedding_version)
    assert len(reference.labels) == 10
    assert reference.vectors.shape == (10, service.bundle.meta["embedding_dim"])


def test_provenance_and_taxonomy_are_recorded(service, tmp_path: Path) -> None:
    root = small_reference(tmp_path / "ref", per_class=1)
    import_reference_dir(service.catalog, service.embedder(), root)
    images = service.catalog.active_images("Scleractinia")
    assert images[0].licence and images[0].licence.startswith("MIT")
    assert images[0].source and "CoralConditionDataset" in images[0].source
    coral = service.catalog.taxon("Scleractinia")
    assert coral.rank == "order" and coral.lineage["class"] == "Anthozoa"
    ceramic = service.catalog.taxon("material_ceramic")
    assert ceramic.is_material and ceramic.is_lookalike
    walrus = service.catalog.active_images("material_walrus_ivory")
    assert walrus[0].licence and walrus[0].licence.startswith("CC0")
    assert walrus[0].source and "Metropolitan Museum" in walrus[0].source
    assert service.catalog.taxon("material_walrus_ivory").is_material


def test_bad_class_folder_and_missing_dir(service, tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        import_reference_dir(service.catalog, service.embedder(), tmp_path / "missing")
    bad = tmp_path / "bad"
    (bad / "not a taxon!").mkdir(parents=True)
    with pytest.raises(BadField, match="neither Genus_species"):
        import_reference_dir(service.catalog, service.embedder(), bad)


def test_empty_catalog_says_what_to_do(tmp_path: Path) -> None:
    catalog = Catalog.open(tmp_path / "c.db")
    with pytest.raises(EmptyReference, match="idtool reference import"):
        catalog.load_embeddings("anything")
