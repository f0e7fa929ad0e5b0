"""Laboratory confirmations: append-only custody entries, superseded never erased."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from idtool.catalog.taxonomy import infer_taxon
from idtool.cites.listing_index import ListingIndex
from idtool.cites.names import NameIndex
from idtool.errors import BadField, NotFound
from idtool.evidence.confirmations import confirm_record, current_confirmation
from idtool.evidence.custody import verify_chain
from idtool.evidence.export import export_case
from idtool.evidence.store import EvidenceRecord, EvidenceStore
from idtool.learn.labels import known_taxa, resolve_label

PHOTO = b"\xff\xd8\xff\xe0 pretend jpeg bytes \xff\xd9"


@pytest.fixture
def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    s = EvidenceStore.open(tmp_path / "evidence")
    yield s
    s.close()


def _record(store: EvidenceStore) -> EvidenceRecord:
    sha = store.store_original(PHOTO)
    record, _ = store.add_record(
        EvidenceRecord(
            id=store.new_record_id(),
            created_at="2026-05-01T10:00:00.000+00:00",
            officer="o1",
            sha256=sha,
            byte_count=len(PHOTO),
            media_format="jpeg",
            exif={},
            declaration={},
            identification={"decision": "not_in_reference", "label": None},
            guidance={},
            model_version="m-1",
            reference_version="ref-1",
            listing_set=None,
            case_ref="CASE-7",
        )
    )
    return record


@pytest.fixture(scope="module")
def names() -> NameIndex:
    return NameIndex(ListingIndex([], []))


def test_labels_resolve_like_guidance_names(names):
    taxa = known_taxa({m: infer_taxon(m) for m in ("material_ivory", "material_bone")})
    assert resolve_label("Panthera_tigris", taxa, names).label == "Panthera tigris"
    assert resolve_label("  tiger ", taxa, names).label == "Panthera tigris"
    assert resolve_label("Ivory", taxa, names).label == "material_ivory"
    assert resolve_label("ivoire", taxa, names).label == "material_ivory"
    assert resolve_label("Hueso", taxa, names).label == "material_bone"
    assert resolve_label("material_walrus_ivory", taxa, names).label == "material_walrus_ivory"
    with pytest.raises(BadField, match="not a known taxon"):
        resolve_label("flying teapot", taxa, names)
    with pytest.raises(BadField, match="empty"):
        resolve_label("  ", taxa, names)


def test_a_later_confirmation_supersedes_and_never_erases(store, names):
    record = _record(store)
    taxa = known_taxa({})
    first = confirm_record(
        store,
        record.id,
        label=resolve_label("lion", taxa, names),
        method="morphology_expert",
        by="Dr A",
        report_ref=None,
        actor="sup",
    )
    second = confirm_record(
        store,
        record.id,
        label=resolve_label("Panthera tigris", taxa, names),
        method="dna",
        by="National forensic lab",
        report_ref="LAB-118",
        actor="sup",
    )
    assert first.supersedes is None and second.supersedes == first.seq
    current = current_confirmation(store, record.id)
    assert current is not None and current.label == "Panthera tigris"
    assert current.report_ref == "LAB-118"
    actions = [e.action for e in store.custody(record.id)]
    assert actions.count("confirmation") == 2
    assert verify_chain(store.db)[1] == []

    out = export_case(store, "CASE-7", store.root.parent / "export", "sup")
    body = json.loads((out.directory / f"{record.id}.json").read_text())
    assert body["confirmation"]["label"] == "Panthera tigris"
    assert body["confirmation"]["method"] == "dna"
    assert [c["label"] for c in body["confirmation"]["history"]] == ["Panthera leo"]


def test_bad_confirmations_are_refused_and_log_nothing(store, names):
    record = _record(store)
    label = resolve_label("tiger", known_taxa({}), names)
    before = len(store.custody())
    with pytest.raises(BadField, match="method must be one of"):
        confirm_record(
            store, record.id, label=label, method="hunch", by="x", report_ref=None, actor="a"
        )
    with pytest.raises(BadField, match="by is required"):
        confirm_record(
            store, record.id, label=label, method="dna", by=" ", report_ref=None, actor="a"
        )
    with pytest.raises(BadField, match="control"):
        confirm_record(
            store, record.id, label=label, method="dna", by="lab\u202e", report_ref=None, actor="a"
        )
    with pytest.raises(NotFound):
        confirm_record(
            store, "nope", label=label, method="dna", by="lab", report_ref=None, actor="a"
        )
    assert len(store.custody()) == before
