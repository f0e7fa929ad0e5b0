"""Load benchmark of the field server: N uploads from C concurrent clients on loopback.

Starts ``idtool serve`` in a subprocess against an existing IDTOOL_HOME (model + catalog;
a fresh evidence directory is used), creates one token per client, then each client
uploads photos with its own Idempotency-Keys, and re-sends every 10th upload with the
same key (a phone retry). Reports throughput, p50/p95 latency, the server's peak RSS
(VmHWM) and checks afterwards that no record was lost or duplicated and that
``idtool evidence verify`` passes.

Usage:

    IDTOOL_HOME=/tmp/srv .venv/bin/python benchmarks/bench_server.py --uploads 200 --clients 8
"""

from __future__ import annotations

import argparse
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
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def idtool(env: dict[str, str], *args: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "idtool", *args], env=env, capture_output=True, text=True
    )
    if out.returncode != 0:
        raise SystemExit(f"idtool {' '.join(args)} failed: {out.stderr}")
    return out.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=200)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--threads", type=int, default=8, help="waitress threads")
    parser.add_argument("--photos", type=Path, default=ROOT / "reference_images")
    args = parser.parse_args()

    photos = sorted(args.photos.glob("*/*.jpg"))
    evidence = Path(tempfile.mkdtemp(prefix="idtool-bench-evidence-"))
    env = {**os.environ, "IDTOOL_EVIDENCE_DIR": str(evidence), "IDTOOL_LOG_LEVEL": "WARNING"}
    env["IDTOOL_RATE_LIMIT_PER_MINUTE"] = "0"
    tokens = [
        idtool(env, "token", "create", f"bench{i}").strip().splitlines()[-1]
        for i in range(args.clients)
    ]
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "idtool",
            "serve",
            "--port",
            str(port),
            "--threads",
            str(args.threads),
        ],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        start_wait = time.monotonic()
        while True:
            try:
                if requests.get(base + "/healthz", timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            if server.poll() is not None or time.monotonic() - start_wait > 180:
                raise SystemExit(
                    f"server did not start: {server.stderr.read() if server.stderr else ''}"
                )
            time.sleep(0.5)
        print(f"server up in {time.monotonic() - start_wait:.1f} s", file=sys.stderr)
        rss_idle = peak_rss_mb(server.pid)

        latencies: list[float] = []
        sent_keys: dict[str, str] = {}  # key -> record id
        errors: list[str] = []
        lock = threading.Lock()
        counter = iter(range(args.uploads))

        def client(i: int) -> None:
            session = requests.Session()
            headers = {"Authorization": f"Bearer {tokens[i]}"}
            for n in counter:
                photo = photos[n % len(photos)]
                key = uuid.uuid4().hex
                for attempt in range(2 if n % 10 == 0 else 1):  # every 10th: a retry
                    t0 = time.perf_counter()
                    with photo.open("rb") as fh:
                        r = session.post(
                            base + "/api/v1/identifications",
                            headers={**headers, "Idempotency-Key": key},
                            files={"image": (photo.name, fh, "image/jpeg")},
                            data={"case_ref": "BENCH", "purpose": "T"},
                            timeout=300,
                        )
                    elapsed = time.perf_counter() - t0
                    with lock:
                        if r.status_code != 201:
                            errors.append(f"{r.status_code} {r.text[:200]}")
                            continue
                        if attempt == 0:
                            latencies.append(elapsed)
                        rid = r.json()["id"]
                        if sent_keys.setdefault(key, rid) != rid:
                            errors.append(f"retry of {key} got a different record")

        t_start = time.perf_counter()
        workers = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        wall = time.perf_counter() - t_start
        rss_peak = peak_rss_mb(server.pid)

        listed = requests.get(
            base + "/api/v1/identifications",
            params={"case_ref": "BENCH", "limit": 200},
            headers={"Authorization": f"Bearer {tokens[0]}"},
            timeout=60,
        ).json()
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
    ids = [r.id for r in records]
    keys = [(r.officer, r.idempotency_key) for r in records]
    result = {
        "uploads": args.uploads,
        "clients": args.clients,
        "waitress_threads": args.threads,
        "cpus": os.cpu_count(),
        "wall_s": round(wall, 2),
        "throughput_per_s": round(len(latencies) / wall, 2),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p95_ms": round(statistics.quantiles(latencies, n=20)[18] * 1000, 1),
        "server_rss_idle_mb": round(rss_idle, 1),
        "server_rss_peak_mb": round(rss_peak, 1),
        "errors": len(errors),
        "records": len(records),
        "lost": args.uploads - len(set(sent_keys.values()) & set(ids)),
        "duplicated": len(keys) - len(set(keys)) + max(0, len(records) - args.uploads),
        "listed_via_api_first_page": listed.get("count"),
        "evidence_verify_ok": report.ok,
    }
    print(json.dumps(result, indent=2))
    for e in errors[:5]:
        print("error:", e, file=sys.stderr)
    shutil.rmtree(evidence, ignore_errors=True)


if __name__ == "__main__":
    main()
