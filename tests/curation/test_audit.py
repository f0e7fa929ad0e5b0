"""Reference audit: the planted duplicate, near duplicate and mislabelled photo are found."""

from __future__ import annotations

import shutil
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from curation_fixtures import (
    CHEETAH_IN_CORAL,
    CORAL_RESIZED,
    TIGER_COPY,
    ReferenceFixture,
    catalog_copy,
)

from idtool.catalog.store import Catalog
from idtool.curation.audit import (
    AuditReport,
    audit_reference,
    difference_hash,
)
from idtool.curation.audit_report import render_audit_html, write_audit_html
from idtool.model.bundle import load_bundle

PLANTED = {TIGER_COPY, CORAL_RESIZED, CHEETAH_IN_CORAL}


@pytest.fixture(scope="session")
def report(reference_set: ReferenceFixture) -> AuditReport:
    catalog = Catalog.open(reference_set.catalog_path)
    try:
        version = load_bundle(reference_set.bundle_dir).embedding_version
        return audit_reference(catalog, version)
    finally:
        catalog.close()


def _files(finding) -> set[str]:
    return {f.rel_path for f in finding.files}


def test_exact_duplicate_across_classes_is_an_error_naming_both_files(
    report: AuditReport,
) -> None:
    found = report.of_kind("exact_duplicate")
    assert len(found) == 1
    finding = found[0]
    assert finding.severity == "error"
    assert set(finding.labels) == {"Acinonyx jubatus", "Panthera tigris"}
    assert TIGER_COPY in _files(finding)
    assert any(name.startswith("Panthera_tigris/") for name in _files(finding))


def test_resized_copy_under_another_label_is_a_near_duplicate(report: AuditReport) -> None:
    found = [f for f in report.of_kind("near_duplicate") if CORAL_RESIZED in _files(f)]
    assert len(found) == 1
    assert found[0].severity == "error"
    assert set(found[0].labels) == {"Scleractinia", "material_ceramic"}
    assert len(found[0].files) == 2
    # the exact copies are reported once, as exact duplicates, not again as near ones
    assert not any(TIGER_COPY in _files(f) for f in report.of_kind("near_duplicate"))


def test_mislabelled_cheetah_is_a_suspect_label(report: AuditReport) -> None:
    suspects = {f.files[0].rel_path: f for f in report.of_kind("suspect_label")}
    assert CHEETAH_IN_CORAL in suspects
    finding = suspects[CHEETAH_IN_CORAL]
    assert finding.severity == "error"
    assert finding.details["suggested_label"] == "Acinonyx jubatus"
    assert all(f.label == "Acinonyx jubatus" for f in finding.files[1:4])
    # only planted photos are suspects: the genuine photos of the set are not flagged
    assert set(suspects) <= PLANTED


def test_class_size_and_licence_findings(report: AuditReport) -> None:
    too_few = {f.labels[0]: f for f in report.of_kind("too_few_images")}
    assert set(too_few) == {
        "Acinonyx jubatus",
        "Panthera tigris",
        "Scleractinia",
        "material_ceramic",
    }
    assert all(f.severity == "warning" for f in too_few.values())  # 6..7 photos: >= 3
    missing = report.of_kind("missing_licence")
    assert [f.labels for f in missing] == [("material_ceramic",)]
    assert len(missing[0].files) == 7
    assert not report.of_kind("unreadable_file")
    # every error involves a planted photo (the tiger copy and the resized coral are also
    # suspect labels: they sit among photos of another class)
    errors = [f for f in report.findings if f.severity == "error"]
    assert len(errors) >= 3
    assert all(_files(f) & PLANTED for f in errors)
    severities = [f.severity for f in report.findings]
    assert severities == sorted(severities, key=("error", "warning", "info").index)


def test_unreadable_missing_and_changed_files(
    reference_set: ReferenceFixture, tmp_path: Path
) -> None:
    catalog = Catalog.open(catalog_copy(reference_set, tmp_path / "catalog.db"))
    try:
        rows = list(catalog.db["images"].rows_where("label = ?", ["Panthera tigris"], limit=3))
        truncated, gone, changed = (tmp_path / n for n in ("t.jpg", "gone.jpg", "c.jpg"))
        truncated.write_bytes(Path(rows[0]["path"]).read_bytes()[:1500])
        shutil.copyfile(rows[2]["path"], changed)
        with changed.open("ab") as handle:
            handle.write(b"\0extra")  # still decodes, different bytes
        for row, path in zip(rows, (truncated, gone, changed), strict=True):
            catalog.db["images"].update(row["id"], {"path": str(path)})
        result = audit_reference(catalog, None, min_images=2)
    finally:
        catalog.close()
    unreadable = {f.files[0].path: f.details["code"] for f in result.of_kind("unreadable_file")}
    assert unreadable[str(truncated)] == "invalid_image"
    assert str(gone) in unreadable
    assert [f.files[0].path for f in result.of_kind("changed_file")] == [str(changed)]
    assert not result.of_kind("too_few_images")


def test_difference_hash_is_stable_under_resize_and_differs_between_photos(
    reference_set: ReferenceFixture,
) -> None:
    import cv2

    coral = cv2.imread(str(sorted((reference_set.root / "Scleractinia").glob("Scl*.jpg"))[1]))
    cheetah = cv2.imread(str(reference_set.root / CHEETAH_IN_CORAL))
    small = cv2.resize(coral, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    a, b, c = (difference_hash(cv2.cvtColor(x, cv2.COLOR_BGR2RGB)) for x in (coral, small, cheetah))
    assert (a ^ b).bit_count() <= 6
    assert (a ^ c).bit_count() > 12
    mirrored = np.ascontiguousarray(cv2.cvtColor(coral, cv2.COLOR_BGR2RGB)[:, ::-1])
    assert difference_hash(mirrored) != a


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.images.append(dict(attrs).get("src") or "")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_shows_planted_photos_side_by_side(report: AuditReport, tmp_path: Path) -> None:
    path = write_audit_html(report, tmp_path / "audit.html")
    parser = _Collector()
    parser.feed(path.read_text(encoding="utf-8"))
    text = " ".join(parser.text)
    for name in PLANTED:
        assert name in text
    assert len(parser.images) >= 2 + 2 + 6  # two duplicate pairs and one suspect row
    assert all(src.startswith("data:image/jpeg;base64,") for src in parser.images)
    assert report.reference_version in render_audit_html(report)
