"""idtool batch: discovery, resumable job table, local engine, reports, CLI."""

from __future__ import annotations

import csv
import json
import shutil
import signal
import sqlite3
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from batch_support import (
    CLASSES,
    REFERENCE_PER_CLASS,
    env_vars,
    needs_reference,
    reference_photos,
)
from click.testing import CliRunner

from idtool.batch.items import JobOptions
from idtool.batch.jobs import JobStore
from idtool.batch.pipeline import BatchRequest, run_batch
from idtool.batch.walk import discover
from idtool.cites.guidance import TradeDeclaration
from idtool.cli import main
from idtool.config import Settings
from idtool.decide.service import IdentificationService
from idtool.errors import BadField, Conflict, NotFound

pytestmark = needs_reference


def _request(photo_dir: Path, out: Path, **kwargs: object) -> BatchRequest:
    options = kwargs.pop("options", None) or JobOptions(
        declaration=TradeDeclaration(),
        top_k=3,
        max_bytes=40_000_000,
        max_pixels=60_000_000,
    )
    return BatchRequest(photo_dir, out, options, runtime="torch", batch_size=4, **kwargs)  # type: ignore[arg-type]


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_discover_dedupes_by_hash_and_lists_skipped(photo_dir: Path) -> None:
    found = discover(photo_dir)
    rels = [i.rel_path for i in found.items]
    assert rels == sorted(rels)
    assert len({i.sha256 for i in found.items}) == len(found.items)
    (dup,) = found.duplicates
    assert dup.rel_path == "zz_copy.jpg"
    assert dup.duplicate_of in rels
    assert [(s.rel_path, s.reason) for s in found.skipped] == [
        ("notes.txt", "not an image type (.txt)")
    ]
    assert found.file_count == len(list(p for p in photo_dir.rglob("*") if p.is_file()))


def test_discover_excludes_report_dir_and_reuses_cached_hashes(photo_dir: Path) -> None:
    out = photo_dir / "report"
    out.mkdir()
    (out / "results.csv").write_text("x", encoding="utf-8")
    first = discover(photo_dir, exclude=out)
    assert not any(i.rel_path.startswith("report/") for i in first.items)
    assert not any(s.rel_path.startswith("report") for s in first.skipped)
    item = first.items[0]
    from idtool.batch.walk import FileFacts

    stale = {item.rel_path: FileFacts(item.byte_count, item.mtime_ns, "f" * 64)}
    again = discover(photo_dir, exclude=out, cache=stale)
    assert again.items[0].sha256 == "f" * 64  # size and mtime match: the cache is trusted


def test_discover_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        discover(tmp_path / "nope")


def test_batch_writes_parseable_reports_matching_identify(
    env: Settings, photo_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "report"
    summary = run_batch(env, _request(photo_dir, out))
    assert summary.images == 12  # 9 photos + 3 bad files (the copy is a duplicate)
    assert (summary.duplicates, summary.skipped) == (1, 1)
    assert summary.processed == summary.images
    assert summary.failed == 3 and summary.succeeded == 9

    records = _jsonl(out / "results.jsonl")
    assert len(records) == summary.images
    by_image = {r["image"]: r for r in records}
    errors = {k: v["error"]["code"] for k, v in by_image.items() if v["error"]}
    assert errors == {
        "truncated.jpg": "invalid_image",
        "renamed_text.jpg": "unsupported_media_type",
        "empty.png": "invalid_image",
    }
    dup_holder = [r for r in records if r["duplicates"]]
    assert [r["duplicates"] for r in dup_holder] == [["zz_copy.jpg"]]

    # the same per-image JSON as `idtool identify`
    service = IdentificationService.open(env, "torch")
    try:
        name = "material_ceramic/" + reference_photos("material_ceramic")[REFERENCE_PER_CLASS].name
        (expected,) = service.identifier().identify_paths(
            [photo_dir / name], max_bytes=40_000_000, max_pixels=60_000_000
        )
    finally:
        service.close()
    want = expected.to_dict()
    got = by_image[name]
    assert set(want) - {"image"} <= set(got)
    for key in ("decision", "label", "confidence", "candidates", "sha256", "decision_source"):
        assert got[key] == want[key], key
    assert got["guidance"]["status"]  # CITES guidance, as identify gives it
    assert got["cites_appendix"] == (got["guidance"]["cites"] or {}).get("appendix")

    with (out / "results.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["image"] for r in rows] == [r["image"] for r in records]
    assert {r["decision"] for r in rows} <= {"identified", "uncertain", "not_in_reference", "error"}
    assert sum(r["decision"] == "error" for r in rows) == 3

    page = _parse_html(out / "report.html")
    assert page.tables["all"] == summary.images
    assert page.data_images >= summary.succeeded  # thumbnails are embedded
    assert page.external == []  # self-contained
    assert "notes.txt" in page.text and "not an image type" in page.text
    assert "probable cause, not proof" in page.text


def test_appendix_i_and_guidance_with_trade_flags(
    env: Settings, photo_dir: Path, tmp_path: Path
) -> None:
    options = JobOptions(
        declaration=TradeDeclaration.from_values(origin_country="CM", purpose="T"),
        top_k=3,
        max_bytes=40_000_000,
        max_pixels=60_000_000,
    )
    out = tmp_path / "report"
    summary = run_batch(env, _request(photo_dir, out, options=options))
    records = _jsonl(out / "results.jsonl")
    assert all("guidance" in r for r in records if not r["error"])
    # with few reference photos per class and no trained head, the calibrated prototype
    # fallback may leave them uncertain; guidance then covers the strictest candidate
    ivory = [r for r in records if "material_ivory/" in r["image"] and not r["error"]]
    assert ivory and all(
        r["label"] == "material_ivory" or "material_ivory" in [c["label"] for c in r["candidates"]]
        for r in ivory
    ), "the ivory photos should be identified as such, or have it as a candidate"
    # ivory may be elephant ivory from any population: the strictest candidate is Appendix I
    assert {r["cites_appendix"] for r in ivory} == {"I"}
    assert all(r["guidance"]["declaration"]["origin_country"] == "CM" for r in ivory)
    assert summary.report is not None
    assert summary.report.counts["appendix"]["Appendix I"] >= len(ivory)
    page = _parse_html(out / "report.html")
    assert page.tables["attention"] >= len(ivory)


def test_rerun_processes_nothing_and_changed_file_again(
    env: Settings, photo_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "report"
    first = run_batch(env, _request(photo_dir, out))
    again = run_batch(env, _request(photo_dir, out))
    assert (again.processed, again.already_done) == (0, first.images)
    changed = sorted(photo_dir.rglob("*.jpg"))[1]
    changed.write_bytes(reference_photos("Scleractinia")[-1].read_bytes())
    third = run_batch(env, _request(photo_dir, out))
    assert third.processed == 1
    records = _jsonl(out / "results.jsonl")
    rel = changed.relative_to(photo_dir).as_posix()
    assert [r["image"] for r in records].count(rel) == 1
    assert len(records) == first.images


def test_job_folder_refuses_other_settings(env: Settings, photo_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    run_batch(env, _request(photo_dir, out))
    options = JobOptions(
        declaration=TradeDeclaration.from_values(purpose="T"),
        top_k=3,
        max_bytes=40_000_000,
        max_pixels=60_000_000,
    )
    with pytest.raises(Conflict, match="other settings"):
        run_batch(env, _request(photo_dir, out, options=options))


def test_job_folder_is_locked_while_in_use(tmp_path: Path) -> None:
    with JobStore(tmp_path / "r"), pytest.raises(Conflict, match="another idtool batch"):
        JobStore(tmp_path / "r")


def test_bad_engine_and_counts(env: Settings, photo_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(BadField):
        run_batch(env, _request(photo_dir, tmp_path / "r", engine="spark"))
    with pytest.raises(BadField):
        run_batch(env, _request(photo_dir, tmp_path / "r", workers=0))


def _results_in_db(out: Path) -> int:
    with sqlite3.connect(out / "job.db") as conn:
        return int(conn.execute("select count(*) from batch_results").fetchone()[0])


def _start(env: Settings, photo_dir: Path, out: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "idtool", "-v", "batch", str(photo_dir), "--out", str(out)),
            *("--batch-size", "1", "--runtime", "torch", "--format", "json"),
        ],
        env=env_vars(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_commits(proc: subprocess.Popen[str], count: int) -> None:
    assert proc.stderr is not None
    seen = 0
    for line in proc.stderr:
        if "committed" in line:
            seen += 1
            if seen >= count:
                return
    raise AssertionError("the batch ended before committing any result")


@pytest.mark.slow
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT], ids=["kill", "ctrl-c"])
def test_resume_after_interruption_processes_each_file_once(
    env: Settings, tmp_path: Path, how: signal.Signals
) -> None:
    photo_dir = tmp_path / "phone_dump"
    photo_dir.mkdir()
    photos = [p for c in CLASSES for p in reference_photos(c)[REFERENCE_PER_CLASS:]][:24]
    for photo in photos:
        shutil.copy(photo, photo_dir / photo.name)
    out = tmp_path / "report"
    proc = _start(env, photo_dir, out)
    _wait_for_commits(proc, 3)
    proc.send_signal(how)
    _, stderr = proc.communicate(timeout=120)
    if how == signal.SIGINT:
        assert proc.returncode == 130
        assert "run the same command again" in stderr
    else:
        assert proc.returncode == -signal.SIGKILL
    done_first = _results_in_db(out)
    assert 3 <= done_first < len(photos)
    assert not (out / "results.jsonl").exists()

    proc = _start(env, photo_dir, out)
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr
    summary = json.loads(stdout)
    assert summary["already_done"] == done_first
    assert summary["processed"] == len(photos) - done_first  # nothing twice
    records = _jsonl(out / "results.jsonl")
    assert sorted(r["image"] for r in records) == sorted(p.name for p in photos)
    with sqlite3.connect(out / "job.db") as conn:
        processed = [r[0] for r in conn.execute("select processed from batch_runs order by id")]
    assert sum(processed) == len(photos)


def test_cli_batch_json_summary_and_exit_status(
    env: Settings, photo_dir: Path, tmp_path: Path
) -> None:
    runner = CliRunner()
    out = tmp_path / "report"
    args = ["batch", str(photo_dir), "--out", str(out), "--runtime", "torch", "--format", "json"]
    result = runner.invoke(main, args, env=env_vars(env))
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["succeeded"] == 9 and summary["failed"] == 3
    assert Path(summary["report"]["html"]).is_file()

    bad = tmp_path / "only_bad"
    bad.mkdir()
    (bad / "a.jpg").write_text("not a photo", encoding="utf-8")
    result = runner.invoke(
        main, ["batch", str(bad), "--out", str(tmp_path / "r2")], env=env_vars(env)
    )
    assert result.exit_code == 1
    assert "no image could be identified" in result.stderr

    result = runner.invoke(
        main,
        ["batch", str(photo_dir), "--out", str(tmp_path / "r3"), "--source", "Q"],
        env=env_vars(env),
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("error [bad_field]:")


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, int] = {}
        self.data_images = 0
        self.external: list[str] = []
        self.text = ""
        self._table: str | None = None
        self._in_body = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table" and a.get("id"):
            self._table = a["id"]
            self.tables[self._table] = 0
        if tag == "tbody":
            self._in_body = True
        if tag == "tr" and self._table and self._in_body:
            self.tables[self._table] += 1
        if tag == "img":
            src = a.get("src") or ""
            if src.startswith("data:image/jpeg;base64,"):
                self.data_images += 1
            else:
                self.external.append(src)
        if tag in ("link", "script") and (a.get("href") or a.get("src")):
            self.external.append(str(a.get("href") or a.get("src")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._table = None
        if tag == "tbody":
            self._in_body = False

    def handle_data(self, data: str) -> None:
        self.text += data


def _parse_html(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


@pytest.mark.parametrize(("budget", "max_in_flight"), [(1, 1), (10**9, 2)])
def test_decode_ahead_is_bounded_in_bytes(
    photo_dir: Path, monkeypatch: pytest.MonkeyPatch, budget: int, max_in_flight: int
) -> None:
    """With a budget smaller than one photo, one file at a time; results stay in order."""
    import threading

    from idtool.batch import pipeline
    from idtool.model.preprocess import PreprocessConfig

    fit = PreprocessConfig(224, "bicubic", 0.875, (0.5,) * 3, (0.5,) * 3)
    items = discover(photo_dir).items
    lock = threading.Lock()
    active, peak = 0, 0
    real_prepare = pipeline.prepare

    def counting_prepare(*args: object) -> object:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        try:
            return real_prepare(*args)  # type: ignore[arg-type]
        finally:
            with lock:
                active -= 1

    monkeypatch.setattr(pipeline, "prepare", counting_prepare)
    options = JobOptions(TradeDeclaration(), 3, 40_000_000, 60_000_000)
    batches = list(
        pipeline.decode_ahead(items, options, fit, workers=2, batch_size=4, max_ahead_bytes=budget)
    )
    done = [p.item.rel_path for batch in batches for p in batch]
    assert done == [item.rel_path for item in items]
    assert all(len(batch) <= 4 for batch in batches)
    assert peak <= max_in_flight
    good = [p for batch in batches for p in batch if p.decoded is not None]
    assert good and all(p.quality is not None and p.thumbnail for p in good)
    assert all(min(p.decoded.rgb.shape[:2]) <= fit.resize_px for p in good if p.decoded)
