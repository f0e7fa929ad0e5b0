"""Load benchmark of the field server with real-size phone photos, on loopback.

Starts ``idtool serve`` in a subprocess against an existing IDTOOL_HOME (model + catalog;
a fresh evidence directory is used) and uploads, each run side by side:

- ``photo``: a 12 MP phone JPEG (4032x3024, 3-6 MB, EXIF orientation 6, maker tags) sent
  whole, as with "send the original only";
- ``working_copy``: what the phone page sends first (upright, longest side 1600 px, JPEG
  0.85, a few hundred KB) with ``original_pending=1``, then the original attached with
  ``PUT .../original`` (timed apart: the officer waits only for the first).

Phase ``single``: one client, one upload at a time (the latency an officer sees; the
issue's target is <= 3 s for a 12 MP photo on the 2-core machine). Phase ``load``:
``--clients`` concurrent clients (throughput; every 10th upload re-sent with the same
Idempotency-Key, as a phone retry). Each phase runs ``--repeats`` times and reports every
run plus min/median, with the 1-minute load average next to each figure, the engine
the server runs (from ``/healthz``) and its peak RSS (VmHWM). Afterwards it checks that
no record was lost or duplicated and that ``verify_store`` passes.

Usage:

    IDTOOL_HOME=/tmp/srv .venv/bin/python benchmarks/bench_server.py
    IDTOOL_HOME=/tmp/srv .venv/bin/python benchmarks/bench_server.py --runtime torch
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from phone_photos import phone_jpeg, phone_pixels  # noqa: E402  (the tests' 12 MP maker)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def load1() -> float:
    return round(os.getloadavg()[0], 2)


def idtool(env: dict[str, str], *args: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "idtool", *args], env=env, capture_output=True, text=True
    )
    if out.returncode != 0:
        raise SystemExit(f"idtool {' '.join(args)} failed: {out.stderr}")
    return out.stdout


def working_copy(data: bytes, longest_px: int = 1600, quality: int = 85) -> bytes:
    """What the phone page sends first (photo.js): upright, longest side 1600 px, JPEG."""
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(data)) as img:
        upright = ImageOps.exif_transpose(img)
        upright.thumbnail((longest_px, longest_px), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        upright.convert("RGB").save(out, "JPEG", quality=quality)
    return out.getvalue()


def percentile(values: list[float], q: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(q) - 1]


class Bench:
    def __init__(self, base: str, tokens: list[str], photos: list[bytes], copies: list[bytes]):
        self.base = base
        self.tokens = tokens
        self.photos = photos
        self.copies = copies
        self.sent: dict[tuple[str, str], str] = {}  # (token, key) -> record id
        self.errors: list[str] = []
        self.lock = threading.Lock()

    def post(self, session: requests.Session, token: str, data: bytes, key: str, **form: str):
        return session.post(
            self.base + "/api/v1/identifications",
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key},
            files={"image": ("IMG_0042.jpg", data, "image/jpeg")},
            data={"case_ref": "BENCH", "purpose": "T", **form},
            timeout=300,
        )

    def one(self, session: requests.Session, client: int, n: int, kind: str) -> dict[str, float]:
        """One upload; returns {"verdict_s": ..., "original_s": ...} (or {} on error)."""
        token = self.tokens[client]
        photo = self.photos[n % len(self.photos)]
        copy = self.copies[n % len(self.copies)]
        sent = photo if kind == "photo" else copy
        key = uuid.uuid4().hex
        retry = n % 10 == 0
        timing: dict[str, float] = {}
        form = {} if kind == "photo" else {"original_pending": "1"}
        t0 = time.perf_counter()
        r = self.post(session, token, sent, key, **form)
        timing["verdict_s"] = time.perf_counter() - t0
        if not self.check(r, 201, token, key):
            return {}
        record_id = r.json()["id"]
        if retry:  # the phone lost the answer and sends the same thing again
            again = self.post(session, token, sent, key, **form)
            self.check(again, 201, token, key)
        if kind == "working_copy":
            t1 = time.perf_counter()
            r = session.put(
                f"{self.base}/api/v1/identifications/{record_id}/original",
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key + "-o"},
                files={"image": ("IMG_0042.jpg", photo, "image/jpeg")},
                timeout=300,
            )
            timing["original_s"] = time.perf_counter() - t1
            if r.status_code != 200 or r.json()["original"]["status"] != "received":
                with self.lock:
                    self.errors.append(f"original: {r.status_code} {r.text[:200]}")
        return timing

    def check(self, r: requests.Response, status: int, token: str, key: str) -> bool:
        with self.lock:
            if r.status_code != status:
                self.errors.append(f"{r.status_code} {r.text[:200]}")
                return False
            rid = r.json()["id"]
            if self.sent.setdefault((token, key), rid) != rid:
                self.errors.append(f"retry of {key} got a different record")
            return True

    def run(self, kind: str, uploads: int, clients: int) -> dict[str, Any]:
        timings: list[dict[str, float]] = []
        counter = iter(range(uploads))
        load_before = load1()

        def client(i: int) -> None:
            session = requests.Session()
            for n in counter:
                t = self.one(session, i, n, kind)
                if t:
                    with self.lock:
                        timings.append(t)

        t_start = time.perf_counter()
        workers = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        wall = time.perf_counter() - t_start
        verdicts = [t["verdict_s"] for t in timings]
        out: dict[str, Any] = {
            "uploads": len(timings),
            "wall_s": round(wall, 2),
            "uploads_per_s": round(len(timings) / wall, 2),
            "p50_ms": round(percentile(verdicts, 50) * 1000),
            "p95_ms": round(percentile(verdicts, 95) * 1000),
            "max_ms": round(max(verdicts) * 1000),
            "load1_before": load_before,
            "load1_after": load1(),
        }
        originals = [t["original_s"] for t in timings if "original_s" in t]
        if originals:
            out["original_p50_ms"] = round(percentile(originals, 50) * 1000)
            out["original_p95_ms"] = round(percentile(originals, 95) * 1000)
        return out


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """min and median over the runs of every timing figure."""
    out: dict[str, Any] = {}
    for key in runs[0]:
        if key.endswith(("_ms", "_per_s")):
            values = [r[key] for r in runs]
            out[key] = {"min": min(values), "median": statistics.median(values)}
    out["load1"] = [r["load1_before"] for r in runs]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--single", type=int, default=8, help="uploads per single-client run")
    parser.add_argument("--uploads", type=int, default=24, help="uploads per load run")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4, help="waitress threads")
    parser.add_argument("--runtime", default="auto", choices=["auto", "onnx", "torch"])
    parser.add_argument("--distinct", type=int, default=6, help="distinct 12 MP photos")
    parser.add_argument("--photos", type=Path, default=ROOT / "reference_images")
    parser.add_argument("--kinds", default="photo,working_copy")
    args = parser.parse_args()
    kinds = [k for k in args.kinds.split(",") if k]

    sources = sorted(args.photos.glob("*/*.jpg"))
    step = max(1, len(sources) // args.distinct)
    picked = sources[::step][: args.distinct]
    photos = [phone_jpeg(phone_pixels(p, seed=i), 6) for i, p in enumerate(picked)]
    copies = [working_copy(p) for p in photos]
    print(
        f"{len(photos)} photos 4032x3024: {min(map(len, photos)) / 1e6:.1f}-"
        f"{max(map(len, photos)) / 1e6:.1f} MB; working copies "
        f"{min(map(len, copies)) / 1e3:.0f}-{max(map(len, copies)) / 1e3:.0f} KB",
        file=sys.stderr,
    )

    evidence = Path(tempfile.mkdtemp(prefix="idtool-bench-evidence-"))
    env = {**os.environ, "IDTOOL_EVIDENCE_DIR": str(evidence), "IDTOOL_LOG_LEVEL": "WARNING"}
    env["IDTOOL_RATE_LIMIT_PER_MINUTE"] = "0"
    clients = max(1, args.clients)
    tokens = [
        idtool(env, "token", "create", f"bench{i}").strip().splitlines()[-1] for i in range(clients)
    ]
    port = free_port()
    command = [sys.executable, "-m", "idtool", "serve", "--port", str(port)]
    command += ["--threads", str(args.threads), "--runtime", args.runtime]
    server = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    results: dict[str, Any] = {}
    try:
        start_wait = time.monotonic()
        while True:
            try:
                health = requests.get(base + "/healthz", timeout=2)
                if health.ok:
                    break
            except requests.ConnectionError:
                pass
            if server.poll() is not None or time.monotonic() - start_wait > 180:
                raise SystemExit(
                    f"server did not start: {server.stderr.read() if server.stderr else ''}"
                )
            time.sleep(0.5)
        versions = health.json()
        print(f"server up in {time.monotonic() - start_wait:.1f} s", file=sys.stderr)
        rss_idle = peak_rss_mb(server.pid)
        bench = Bench(base, tokens, photos, copies)
        bench.run("photo", 2, 1)  # warm-up: first-call costs out of the figures
        phases: list[tuple[str, Callable[[str], dict[str, Any]]]] = [
            ("single", lambda kind: bench.run(kind, args.single, 1)),
            ("load", lambda kind: bench.run(kind, args.uploads, clients)),
        ]
        for phase, run in phases:
            for kind in kinds:
                runs = []
                for repeat in range(args.repeats):
                    runs.append(run(kind))
                    print(f"{phase} {kind} run {repeat + 1}: {runs[-1]}", file=sys.stderr)
                results[f"{phase}/{kind}"] = {"runs": runs, "summary": summarise(runs)}
        rss_peak = peak_rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)

    from idtool.evidence.store import EvidenceStore
    from idtool.evidence.verify import verify_store

    store = EvidenceStore.open(evidence)
    try:
        records = store.list_records("BENCH", limit=10_000_000)
        report = verify_store(store)
    finally:
        store.close()
    keys = [(r.officer, r.idempotency_key) for r in records]
    summary = {
        "engine": versions.get("engine"),
        "model_version": versions.get("model_version"),
        "cpus": os.cpu_count(),
        "waitress_threads": args.threads,
        "clients": clients,
        "photo_mb": [round(len(p) / 1e6, 2) for p in photos],
        "working_copy_kb": [round(len(c) / 1e3) for c in copies],
        "server_rss_idle_mb": round(rss_idle, 1),
        "server_rss_peak_mb": round(rss_peak, 1),
        "errors": len(bench.errors),
        "records": len(records),
        "lost": len(set(bench.sent.values()) - {r.id for r in records}),
        "duplicated": len(keys) - len(set(keys)),
        "originals_pending": sum(
            1 for r in records if (r.to_dict().get("original") or {}).get("status") == "pending"
        ),
        "evidence_verify_ok": report.ok,
        "results": {k: v["summary"] for k, v in results.items()},
    }
    print(json.dumps(summary, indent=2))
    for e in bench.errors[:5]:
        print("error:", e, file=sys.stderr)
    shutil.rmtree(evidence, ignore_errors=True)


if __name__ == "__main__":
    main()
