"""``idtool listings --engine ray`` ranks exactly as the local engine (local Ray, loopback)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from listings_fixtures import SamplePhotos, write_sample_corpus

from idtool.batch.items import JobOptions
from idtool.catalog.reference_import import import_reference_dir
from idtool.cites.guidance import TradeDeclaration
from idtool.config import SHIPPED_REFERENCE_DIR, Settings, load_settings
from idtool.decide.service import IdentificationService
from idtool.listings import MarketListingsRequest, run_listings
from idtool.model.bundle import build_base_bundle

pytest.importorskip("ray", reason="Ray is an optional extra: pip install 'idtool[ray]'")

CLASSES = ("Scleractinia", "material_ceramic", "material_ivory")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not all((SHIPPED_REFERENCE_DIR / c).is_dir() for c in CLASSES),
        reason="shipped reference_images/ photos are absent",
    ),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::FutureWarning:ray.*"),
    pytest.mark.filterwarnings("ignore::UserWarning:ray.*"),
]


def _photos(cls: str) -> list[Path]:
    return sorted((SHIPPED_REFERENCE_DIR / cls).glob("*.jpg"))


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("listings_ray_env")
    bundle = build_base_bundle(root / "bundle")
    ref = root / "ref"
    for cls in CLASSES:
        (ref / cls).mkdir(parents=True)
        for photo in _photos(cls)[:4]:
            (ref / cls / photo.name).write_bytes(photo.read_bytes())
    settings = load_settings(home=root / "home", model_dir=bundle, catalog_path=root / "cat.db")
    service = IdentificationService.open(settings, "torch")
    try:
        import_reference_dir(service.catalog, service.embedder(), ref)
    finally:
        service.close()
    return settings


def test_ray_engine_gives_the_same_worklist(env: Settings, tmp_path: Path) -> None:
    photos = SamplePhotos(
        ivory=_photos("material_ivory")[5:8],
        ceramic=_photos("material_ceramic")[5:7],
        coral=_photos("Scleractinia")[5:6],
    )
    root = tmp_path / "saved"
    write_sample_corpus(root, photos)
    options = JobOptions(TradeDeclaration(), top_k=3, max_bytes=40_000_000, max_pixels=60_000_000)
    outputs = {}
    for engine in ("local", "ray"):
        out = tmp_path / engine
        request = MarketListingsRequest(
            (root,), out, options, engine=engine, runtime="torch", workers=2, batch_size=4
        )
        summary = run_listings(env, request)
        assert summary.processed == summary.photos > 0
        lines = (out / "listings.jsonl").read_text(encoding="utf-8").splitlines()
        outputs[engine] = [json.loads(line) for line in lines]
    local, ray = outputs["local"], outputs["ray"]
    key = [(r["id"], r["priority"], r["level"], r["cluster_id"]) for r in local]
    assert key == [(r["id"], r["priority"], r["level"], r["cluster_id"]) for r in ray]
    for a, b in zip(local, ray, strict=True):
        assert a["reasons"] == b["reasons"]
        for pa, pb in zip(a["photos"], b["photos"], strict=True):
            assert pa.get("label") == pb.get("label") and pa.get("decision") == pb.get("decision")
            if pa.get("confidence") is not None:
                assert pa["confidence"] == pytest.approx(pb["confidence"], abs=1e-3)
