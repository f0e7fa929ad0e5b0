"""The Ray engine gives the same results as the local engine (local Ray, loopback only)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from idtool.batch.items import JobOptions
from idtool.batch.pipeline import BatchRequest, run_batch
from idtool.catalog.reference_import import import_reference_dir
from idtool.cites.guidance import TradeDeclaration
from idtool.config import SHIPPED_REFERENCE_DIR, Settings, load_settings
from idtool.decide.service import IdentificationService
from idtool.model.bundle import build_base_bundle

pytest.importorskip("ray", reason="Ray is an optional extra: pip install 'idtool[ray]'")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (SHIPPED_REFERENCE_DIR / "material_ceramic").is_dir(),
        reason="shipped reference_images/ photos are absent",
    ),
    # Ray's own start-up emits these; they say nothing about idtool
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::FutureWarning:ray.*"),
    pytest.mark.filterwarnings("ignore::UserWarning:ray.*"),
]

CLASSES = ("Scleractinia", "material_ceramic", "material_ivory")


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("ray_env")
    bundle = build_base_bundle(root / "bundle")
    ref = root / "ref"
    for cls in CLASSES:
        (ref / cls).mkdir(parents=True)
        for photo in sorted((SHIPPED_REFERENCE_DIR / cls).glob("*.jpg"))[:4]:
            shutil.copy(photo, ref / cls / photo.name)
    settings = load_settings(home=root / "home", model_dir=bundle, catalog_path=root / "cat.db")
    service = IdentificationService.open(settings, "torch")
    try:
        import_reference_dir(service.catalog, service.embedder(), ref)
    finally:
        service.close()
    return settings


def test_ray_engine_matches_local_engine(env: Settings, tmp_path: Path) -> None:
    photos = tmp_path / "photos"
    for cls in CLASSES:
        (photos / cls).mkdir(parents=True)
        for photo in sorted((SHIPPED_REFERENCE_DIR / cls).glob("*.jpg"))[4:8]:
            shutil.copy(photo, photos / cls / photo.name)
    (photos / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    (photos / "readme.txt").write_text("x", encoding="utf-8")
    options = JobOptions(
        declaration=TradeDeclaration.from_values(origin_country="KE", purpose="T"),
        top_k=3,
        max_bytes=40_000_000,
        max_pixels=60_000_000,
    )
    outputs = {}
    for engine in ("local", "ray"):
        out = tmp_path / engine
        request = BatchRequest(
            photos, out, options, engine=engine, runtime="torch", workers=2, batch_size=4
        )
        summary = run_batch(env, request)
        assert summary.processed == 13 and summary.skipped == 1
        lines = (out / "results.jsonl").read_text(encoding="utf-8").splitlines()
        outputs[engine] = [json.loads(line) for line in lines]
    local, ray = outputs["local"], outputs["ray"]
    assert [r["image"] for r in local] == [r["image"] for r in ray]
    for a, b in zip(local, ray, strict=True):
        for key in ("sha256", "decision", "label", "rank", "cites_appendix", "error"):
            assert a[key] == b[key], (a["image"], key)
        assert [c["label"] for c in a["candidates"]] == [c["label"] for c in b["candidates"]]
        if a["confidence"] is not None:
            assert a["confidence"] == pytest.approx(b["confidence"], abs=1e-3)
            assert a["nearest_similarity"] == pytest.approx(b["nearest_similarity"], abs=1e-3)
        assert (a.get("guidance") or {}).get("status") == (b.get("guidance") or {}).get("status")
