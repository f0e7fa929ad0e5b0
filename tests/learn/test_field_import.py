"""import-confirmed: originals only, checked hashes, provenance, one group per item, idempotent."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from support import shipped_photo

from idtool.config import load_settings
from idtool.curation.grouping import item_pairs, near_duplicate_group_ids
from idtool.decide.service import IdentificationService
from idtool.errors import BadField
from idtool.evidence.confirmations import confirm_record
from idtool.evidence.records import EvidenceRecord, OriginalPhoto, OriginalStatus
from idtool.evidence.store import EvidenceStore
from idtool.learn.confirmed_sources import open_confirmed_source
from idtool.learn.field_import import import_confirmed
from idtool.learn.labels import known_taxa, resolve_label


def _add(store: EvidenceStore, photo: Path, pending: bool = False) -> str:
    data = photo.read_bytes()
    sha = store.store_original(data)
    original = OriginalPhoto(OriginalStatus.PENDING) if pending else None
    record, _ = store.add_record(
        EvidenceRecord(
            id=store.new_record_id(),
            created_at="2026-12-01T10:00:00.000+00:00",
            officer="o1",
            sha256=sha,
            byte_count=len(data),
            media_format="jpeg",
            exif={},
            declaration={},
            identification={},
            guidance={},
            model_version="m",
            reference_version=None,
            listing_set=None,
            case_ref="C-1",
            original=original,
        )
    )
    confirm_record(
        store,
        record.id,
        label=resolve_label("Panthera_leo", known_taxa({}), None),
        method="morphology_expert",
        by="expert",
        report_ref=None,
        actor="sup",
    )
    return record.id


def test_state_folder_import_keeps_provenance_and_skips_what_is_not_an_original(
    core_home_copy, tmp_path
):
    post = tmp_path / "post-north"
    store = EvidenceStore.open(post / "evidence")
    try:
        good = _add(store, shipped_photo("Scleractinia", 0))
        pending = _add(store, shipped_photo("Scleractinia", 1), pending=True)
        altered = _add(store, shipped_photo("Scleractinia", 2))
        path = store.original_path(store.get(altered).sha256)
        path.write_bytes(path.read_bytes()[:-10] + b"0123456789")
    finally:
        store.close()
    settings = load_settings(home=core_home_copy)
    runtime = IdentificationService.open(settings, "torch")
    try:
        report = import_confirmed(
            runtime.catalog, runtime.embedder(), open_confirmed_source(str(post)), settings.home
        )
        assert report.post == "post-north"
        assert report.imported.added == 1
        assert "Panthera leo" in report.new_classes
        reasons = dict(report.skipped)
        assert "pending" in reasons[pending] and "does not match" in reasons[altered]
        images = runtime.catalog.active_images("Panthera leo")
        assert len(images) == 1
        assert Path(images[0].path).parent.name == f"item-{good}"
        row = next(
            runtime.catalog.db.query("select notes from images where id = ?", [images[0].id])
        )
        notes = json.loads(row["notes"])
        assert notes["record_id"] == good and notes["confirmation"]["method"] == "morphology_expert"
        again = import_confirmed(
            runtime.catalog, runtime.embedder(), open_confirmed_source(str(post)), settings.home
        )
        assert again.imported.added == 0 and again.imported.unchanged == 1
    finally:
        runtime.close()


def test_sources_that_are_not_readable_are_refused(tmp_path):
    with pytest.raises(BadField, match="hub"):
        open_confirmed_source("https://hub.example/api")
    (tmp_path / "empty").mkdir()
    with pytest.raises(BadField, match="neither a case package"):
        open_confirmed_source(str(tmp_path / "empty"))


def test_photos_of_one_item_share_a_group_however_different():
    paths = ["/r/item-a/1.jpg", "/r/item-b/2.jpg", "/r/item-a/3.jpg", "/r/other/4.jpg"]
    assert item_pairs(paths) == [(0, 2)]
    vectors = np.eye(4, dtype=np.float32)  # nothing alike
    groups = near_duplicate_group_ids(paths, vectors)
    assert groups[0] == groups[2] and len(set(groups.tolist())) == 3
