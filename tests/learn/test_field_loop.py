"""The field loop end to end: confirm -> import -> train -> publish -> apply on another post.

A class the shipped reference set lacks (live tigers, from ../shared/data/reference_demo)
goes from ``not_in_reference`` to identified on photos never seen, on a second post that
only applied the signed update. Slow (training and an ONNX export): marked ``slow``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from idtool.catalog.store import current_user
from idtool.cli import main
from idtool.config import PROJECT_ROOT, load_settings
from idtool.decide.service import IdentificationService
from idtool.evidence.confirmations import confirm_record
from idtool.evidence.export import export_case
from idtool.evidence.records import EvidenceRecord
from idtool.evidence.store import EvidenceStore
from idtool.learn.labels import known_taxa, resolve_label
from idtool.model.preprocess import decode_image
from idtool.types import Decision

# ../shared beside the checkout, or IDTOOL_SHARED_DIR (a checkout elsewhere)
SHARED_DEMO = (
    Path(os.environ.get("IDTOOL_SHARED_DIR") or PROJECT_ROOT.parent / "shared")
    / "data"
    / "reference_demo"
)
NEW_CLASS = "Panthera_tigris"
TRAIN_PHOTOS = 8


def tiger_photos() -> list[Path]:
    folder = SHARED_DEMO / NEW_CLASS
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent (the shared demo photos are not shipped)")
    return sorted(folder.glob("*.jpg"))


def post_uploads(home: Path, photos: list[Path], case_ref: str) -> list[str]:
    """Records as the field server stores them: the photo is the original."""
    store = EvidenceStore.open(home / "evidence")
    ids = []
    try:
        for photo in photos:
            data = photo.read_bytes()
            sha = store.store_original(data)
            decoded = decode_image(data)
            record, _ = store.add_record(
                EvidenceRecord(
                    id=store.new_record_id(),
                    created_at="2026-12-01T10:00:00.000+00:00",
                    officer="officer.one",
                    sha256=sha,
                    byte_count=len(data),
                    media_format=decoded.media_format,
                    exif={},
                    declaration={},
                    identification={"decision": "not_in_reference", "label": None},
                    guidance={},
                    model_version="shipped",
                    reference_version=None,
                    listing_set=None,
                    case_ref=case_ref,
                    filename=photo.name,
                )
            )
            ids.append(record.id)
    finally:
        store.close()
    return ids


def lab_confirms(home: Path, ids: list[str], label: str) -> None:
    store = EvidenceStore.open(home / "evidence")
    try:
        resolved = resolve_label(label, known_taxa({}), None)
        for record_id in ids:
            confirm_record(
                store,
                record_id,
                label=resolved,
                method="dna",
                by="forensic lab",
                report_ref="LAB-1",
                actor="supervisor",
            )
    finally:
        store.close()


def decisions(home: Path, photos: list[Path]) -> list[tuple[str, str | None]]:
    runtime = IdentificationService.open(load_settings(home=home))
    try:
        identifier = runtime.identifier()
        results = identifier.identify_decoded(
            [decode_image(p, fit=identifier.decode_config) for p in photos],
            [p.name for p in photos],
        )
    finally:
        runtime.close()
    return [(str(r.decision), r.label) for r in results]


def run_cli(home: Path, *args: str) -> str:
    result = CliRunner().invoke(main, list(args), env={"IDTOOL_HOME": str(home)})
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.slow
def test_a_new_class_reaches_another_post_through_a_signed_update(core_home, tmp_path):
    photos = tiger_photos()
    train, held_out = photos[:TRAIN_PHOTOS], photos[-4:]
    post_a, curator, post_b = (tmp_path / n for n in ("post_a", "curator", "post_b"))
    for home in (post_a, curator, post_b):
        shutil.copytree(core_home, home)

    before = decisions(post_b, held_out)
    assert all(label != "Panthera tigris" for _, label in before)
    assert sum(d == Decision.NOT_IN_REFERENCE for d, _ in before) >= 3, before

    ids = post_uploads(post_a, train, "CASE-T")
    lab_confirms(post_a, ids, "tiger")
    store = EvidenceStore.open(post_a / "evidence")
    try:
        export_case(store, "CASE-T", tmp_path / "case", current_user())
    finally:
        store.close()

    out = run_cli(curator, "reference", "import-confirmed", str(tmp_path / "case"))
    assert f"{TRAIN_PHOTOS} added" in out and "new class Panthera tigris" in out
    again = run_cli(curator, "reference", "import-confirmed", str(tmp_path / "case"))
    assert "0 added" in again and f"{TRAIN_PHOTOS} unchanged" in again
    run_cli(curator, "train", "--folds", "3", "--version", "9.0.0")
    run_cli(tmp_path, "update", "keygen", "--out", str(tmp_path / "keys"))
    package = tmp_path / "update.pkg"
    key = str(tmp_path / "keys" / "idtool-update.key")
    run_cli(curator, "update", "publish", "--out", str(package), "--key", key, "--version", "1.0")

    tampered = tmp_path / "tampered.pkg"
    data = bytearray(package.read_bytes())
    data[len(data) // 2] ^= 0xFF
    tampered.write_bytes(bytes(data))
    pub = str(tmp_path / "keys" / "idtool-update.pub")
    refused = CliRunner().invoke(
        main, ["update", "apply", str(tampered), "--trust", pub], env={"IDTOOL_HOME": str(post_b)}
    )
    assert refused.exit_code == 1 and "update_refused" in refused.output
    assert decisions(post_b, held_out) == before  # nothing changed

    run_cli(post_b, "update", "apply", str(package), "--trust", pub)
    after = decisions(post_b, held_out)
    identified = [label for d, label in after if d == Decision.IDENTIFIED]
    assert identified.count("Panthera tigris") >= 3, after

    run_cli(post_b, "update", "rollback")
    assert decisions(post_b, held_out) == before
