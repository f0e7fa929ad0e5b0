"""idtool listings end to end: a mixed folder of exports, saved pages and a WARC."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import cv2
import pytest
from click.testing import CliRunner
from listings_fixtures import SamplePhotos, write_sample_corpus

from idtool.batch.items import JobOptions
from idtool.batch.jobs import JobStore
from idtool.catalog.reference_import import import_reference_dir
from idtool.cites.guidance import TradeDeclaration
from idtool.cli import main
from idtool.config import SHIPPED_REFERENCE_DIR, Settings, load_settings
from idtool.decide.service import IdentificationService
from idtool.hashing import sha256_file
from idtool.listings import MarketListingsRequest, run_listings
from idtool.listings.analysis import load_photo_results, stored_record
from idtool.model.bundle import build_base_bundle

CLASSES = ("Scleractinia", "material_ceramic", "material_ivory")
pytestmark = pytest.mark.skipif(
    not all((SHIPPED_REFERENCE_DIR / c).is_dir() for c in CLASSES),
    reason="shipped reference_images/ photos are absent",
)


def _photos(cls: str) -> list[Path]:
    return sorted((SHIPPED_REFERENCE_DIR / cls).glob("*.jpg"))


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("listings_env")
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


@pytest.fixture
def corpus(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    root = tmp_path / "saved"
    big = tmp_path / "big" / "ivory_12mp.jpg"  # a real-size phone photo among small ones
    big.parent.mkdir()
    image = cv2.imread(str(_photos("material_ivory")[10]))
    cv2.imwrite(str(big), cv2.resize(image, (4000, 3000), interpolation=cv2.INTER_CUBIC))
    photos = SamplePhotos(
        ivory=[big, *_photos("material_ivory")[11:13]],
        ceramic=_photos("material_ceramic")[10:12],
        coral=_photos("Scleractinia")[10:11],
    )
    return root, write_sample_corpus(root, photos)


def _request(inputs: list[Path], out: Path, engine: str = "local") -> MarketListingsRequest:
    options = JobOptions(TradeDeclaration(), top_k=3, max_bytes=60_000_000, max_pixels=60_000_000)
    return MarketListingsRequest(
        tuple(inputs), out, options, runtime="torch", batch_size=4, engine=engine
    )


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_mixed_folder_gives_a_ranked_explained_worklist(
    env: Settings, corpus: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    root, expected = corpus
    out = tmp_path / "triage"
    summary = run_listings(env, _request([root], out))
    records = _jsonl(out / "listings.jsonl")
    assert summary.listings == len(records)
    priorities = [r["priority"] for r in records]
    assert priorities == sorted(priorities, reverse=True)
    by_id: dict[str, list[dict]] = {}
    for r in records:
        by_id.setdefault(r["id"], []).append(r)
    for lid, level in expected.items():
        if level == "any":
            continue
        got = by_id[lid][0]
        if got["error"] is None:
            assert got["level"] == level, (lid, got["priority"], got["reasons"])
    # every illicit listing ranks above every benign one
    highs = [r["priority"] for r in records if expected.get(r["id"]) == "high" and not r["error"]]
    lows = [r["priority"] for r in records if expected.get(r["id"]) == "low" and not r["error"]]
    assert min(highs) > max(lows)

    first = by_id["ebay-1001"][0]
    assert first["reasons"] and first["taxa"] and first["text_hits"]
    hit = next(h for h in first["text_hits"] if h["term"].lower() == "ivory bangle")
    field = first["title"] if hit["field"] == "title" else first["description"]
    assert field[hit["span"][0] : hit["span"][1]] == hit["term"]
    photo = first["photos"][0]
    assert photo["decision"] in ("identified", "uncertain", "not_in_reference")
    assert {"candidates", "model_version", "reference_version", "sha256"} <= set(photo)
    # held slim while the run is analysed, written whole: the job table's full record
    with JobStore(out) as store:
        stored = stored_record(store, photo["sha256"])
        held = load_photo_results(store, {photo["sha256"]})[photo["sha256"]].record
    assert stored is not None and {**stored, "image": photo["image"]} == photo
    assert "quality" in photo and "nearest_references" in photo
    assert not {"quality", "nearest_references", "candidates"} & set(held)
    assert held["decision"] == photo["decision"] and held["label"] == photo["label"]
    assert {t["source"] for t in first["taxa"]} <= {"text", "photo"}
    for f in first["evidence"]["files"]:
        assert sha256_file(Path(f["path"])) == f["sha256"]
    # one trader: same seller, phone, handle and photo across EN/ES/ZH/VI listings and a page
    linked = {r["id"] for r in records if r["cluster_id"] == first["cluster_id"]}
    assert {"ebay-1001", "ml-3003", "tb-4004", "fb-5005", "mammoth_netsuke"} <= linked
    assert "https://shop.example/item/501" in linked  # the WARC copy of the same photo
    assert by_id["pets-9012"][0]["cluster_id"] is None
    assert (
        by_id["etsy-9009"][0]["cluster_id"]
        == by_id["https://shop.example/item/502"][0]["cluster_id"]
    )

    errors = {r["id"]: r["error"]["code"] for r in records if r["error"]}
    assert errors["line-4"] == "bad_json"
    assert errors["garbage"] == "broken_html"
    assert any(code == "truncated_warc" for code in errors.values())
    missing = [p for p in by_id["ebay-1099"][0]["photos"] if p.get("error")]
    assert missing and missing[0]["error"]["code"] == "missing_image"
    assert any(p.get("error") for p in by_id["lost_photo"][0]["photos"])
    assert by_id["lost_photo"][0]["level"] == "medium"  # its text counts; text alone: not high
    warned = {r["id"]: [w["code"] for w in r["warnings"]] for r in records if r["warnings"]}
    assert warned["lost_photo"] == ["all_photos_missing"]
    assert warned["ebay-1099"] == ["all_photos_missing"]

    rows = list(csv.DictReader(io.StringIO((out / "listings.csv").read_text(encoding="utf-8"))))
    assert len(rows) == len(records)
    seller = next(r["seller"] for r in rows if r["id"] == "ml-1201")
    assert seller.startswith("'=")  # formula injection defused
    assert next(r for r in rows if r["id"] == "ml-1201")["rank"]
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "<mark" in page and "f-app" and "f-tax" in page and 'id="C0001"' in page
    assert "=HYPERLINK" not in page or "&quot;" in page
    assert all((out / "thumbs" / f"{p['sha256']}.jpg").is_file() for p in first["photos"])

    _evidence_of_listings(out, tmp_path / "home", first)

    again = run_listings(env, _request([root], out))
    assert again.processed == 0 and again.already_done == summary.photos
    assert _jsonl(out / "listings.jsonl") == records


def _evidence_of_listings(out: Path, home: Path, first: dict) -> None:
    """`idtool evidence listings` stores each captured file once, verifiably, exportably."""
    runner, env = CliRunner(), {"IDTOOL_HOME": str(home)}
    args = ["evidence", "listings", str(out), "--case-ref", "CASE-9", "--id", "ebay-1001"]
    result = runner.invoke(main, [*args, "--format", "json"], env=env)
    assert result.exit_code == 0, result.output
    added = json.loads(result.stdout)
    roles = {f["role"] for f in added["files"]}
    assert roles == {"export", "image"} and added["records_added"] == len(
        first["evidence"]["files"]
    )
    again = json.loads(runner.invoke(main, [*args, "--format", "json"], env=env).stdout)
    assert again["records_added"] == 0  # idempotent
    verify = runner.invoke(main, ["evidence", "verify"], env=env)
    assert verify.exit_code == 0 and "OK" in verify.stdout
    export = runner.invoke(
        main, ["evidence", "export", "CASE-9", str(out.parent / "case9")], env=env
    )
    assert export.exit_code == 0, export.output
    manifest = json.loads((out.parent / "case9" / "manifest.json").read_text(encoding="utf-8"))
    assert {i["sha256"] for i in manifest["items"]} == {
        f["sha256"] for f in first["evidence"]["files"]
    }
    photo = Path(next(f["path"] for f in first["evidence"]["files"] if f["role"] == "image"))
    original = photo.read_bytes()
    photo.write_bytes(original + b"tampered")
    try:
        bad = runner.invoke(main, args, env=env)
        assert bad.exit_code == 1 and "changed since the triage" in bad.stderr
    finally:
        photo.write_bytes(original)


def _env_vars(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "IDTOOL_HOME": str(settings.home),
        "IDTOOL_MODEL": str(settings.model_dir),
        "IDTOOL_CATALOG": str(settings.catalog_path),
    }


@pytest.mark.slow
def test_resume_after_kill_9_identifies_each_photo_once(
    env: Settings, tmp_path: Path, corpus: tuple[Path, dict[str, str]]
) -> None:
    root, _ = corpus
    extra = root / "export" / "photos"
    lines = []
    for i, photo in enumerate(_photos("material_ivory")[13:25]):
        (extra / f"stock_{i}.jpg").write_bytes(photo.read_bytes())
        lines.append(
            json.dumps(
                {"id": f"stock-{i}", "title": f"ivory lot {i}", "images": [f"photos/stock_{i}.jpg"]}
            )
        )
    (root / "export" / "stock.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "triage"
    args = [sys.executable, "-m", "idtool", "-v", "listings", str(root), "--out", str(out)]
    args += ["--batch-size", "1", "--runtime", "torch", "--format", "json"]
    proc = subprocess.Popen(
        args, env=_env_vars(env), stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert proc.stderr is not None
    seen = 0
    for line in proc.stderr:
        seen += "committed" in line
        if seen >= 3:
            break
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=120)
    with sqlite3.connect(out / "job.db") as conn:
        done_first = conn.execute("select count(*) from batch_results").fetchone()[0]
    assert done_first >= 3 and not (out / "listings.jsonl").exists()
    result = CliRunner().invoke(main, args[3:], env=_env_vars(env))
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["already_done"] == done_first
    assert summary["processed"] == summary["photos"] - done_first
    assert len(_jsonl(out / "listings.jsonl")) == summary["listings"]
