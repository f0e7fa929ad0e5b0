"""Load benchmark of the national hub: many posts pushing to one hub at once.

Starts a private PostgreSQL cluster (Debian's binaries, as the tests do) and
``idtool hub serve`` in a subprocess, builds ``--posts`` evidence stores of ``--records``
records each (small photos; a tenth, ``--big-fraction``, with a 12 MP phone original
attached to a working copy), then runs ``idtool sync``'s client for every post at once,
one thread per post. Reports records/s over the whole push, p50/p95 of the push calls
(custody batch, record batch, original chunk), the hub's peak RSS (VmHWM), and the
lost/duplicated counts per kind (custody entries, records, originals) after a final
``hub verify``.

``--crash N`` kills the hub with SIGKILL N times during the pushes (when it holds 1/(N+1),
2/(N+1)... of the records, or every 20 s) and starts it again; each post's client reruns until its sync completes, as an operator
would.

Usage:

    .venv/bin/python benchmarks/bench_hub.py                     # 20 posts x 500 records
    .venv/bin/python benchmarks/bench_hub.py --crash 3
    .venv/bin/python benchmarks/bench_hub.py --posts 3 --records 20 --crash 3   # a check
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import statistics
import struct
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "hub")]

import numpy as np  # noqa: E402
import psycopg  # noqa: E402
from hub_support import HubProcess, add_record  # noqa: E402
from pg_cluster import PgCluster, pg_bindir  # noqa: E402
from phone_photos import phone_jpeg_of, working_copy  # noqa: E402
from PIL import Image  # noqa: E402

from idtool.evidence.store import EvidenceStore  # noqa: E402
from idtool.hub.database import apply_migrations  # noqa: E402
from idtool.hub.tokens import HubRole, create_hub_token  # noqa: E402
from idtool.hub.verify import verify_hub  # noqa: E402
from idtool.sync.client import HubClient, HubUnreachable, PostSync  # noqa: E402
from idtool.sync.outbox import record_files  # noqa: E402


def small_photo(rng: np.random.Generator) -> bytes:
    blocks = rng.integers(0, 255, size=(6, 8, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(blocks).resize((800, 600), Image.Resampling.NEAREST).save(out, "JPEG")
    return out.getvalue()


def with_comment(jpeg: bytes, text: str) -> bytes:
    """The same JPEG with a COM segment: same pixels, another SHA-256."""
    body = text.encode()
    return jpeg[:2] + b"\xff\xfe" + struct.pack(">H", len(body) + 2) + body + jpeg[2:]


def build_posts(folder: Path, posts: int, records: int, big_fraction: float) -> list[Path]:
    base = phone_jpeg_of(sorted((ROOT / "reference_images").glob("*/*.jpg"))[0], 6)
    rng = np.random.default_rng(7)
    roots = []
    every = max(1, round(1 / big_fraction)) if big_fraction > 0 else 0
    for p in range(posts):
        store = EvidenceStore.open(folder / f"post-{p:02d}")
        for r in range(records):
            case = f"P{p:02d}-{r // 10:03d}"
            if every and r % every == 0:
                original = with_comment(base, f"post {p} record {r}")
                add_record(store, working_copy(original), case_ref=case, original=original)
            else:
                add_record(store, small_photo(rng), case_ref=case)
        store.close()
        roots.append(store.root)
    return roots


class TimedClient(HubClient):
    """A HubClient that keeps the duration of every push call."""

    durations: list[float]

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return super().call(method, path, **kwargs)
        finally:
            if method in ("POST", "PUT"):
                self.durations.append(time.perf_counter() - start)


def rss_peak_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=20)
    parser.add_argument("--records", type=int, default=500)
    parser.add_argument("--big-fraction", type=float, default=0.1)
    parser.add_argument("--crash", type=int, default=0, help="kill -9 the hub N times")
    args = parser.parse_args()

    bindir = pg_bindir()
    if bindir is None:
        sys.exit("PostgreSQL is not installed (apt-get install postgresql)")
    folder = Path(tempfile.mkdtemp(prefix="idtool-bench-hub-"))
    cluster = PgCluster.start(bindir)
    hub: HubProcess | None = None
    try:
        t0 = time.perf_counter()
        roots = build_posts(folder, args.posts, args.records, args.big_fraction)
        print(f"built {args.posts} posts in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        url = cluster.new_database()
        apply_migrations(url)
        tokens = [create_hub_token(url, f"post-{p:02d}", HubRole.POST) for p in range(args.posts)]
        hub = HubProcess(url, folder / "hub-store").start()
        durations: list[float] = []
        lock = threading.Lock()
        attempts = [0] * args.posts
        peak = [rss_peak_kb(hub.proc.pid) if hub.proc else 0]

        def push(index: int) -> None:
            store = EvidenceStore.open(roots[index])
            try:
                while True:
                    attempts[index] += 1
                    client = TimedClient(hub.url, tokens[index], retries=2)  # type: ignore[union-attr]
                    client.durations = []
                    try:
                        PostSync(store, client).run()
                        return
                    except HubUnreachable:
                        time.sleep(0.5)
                    finally:
                        client.close()
                        with lock:
                            durations.extend(client.durations)
            finally:
                store.close()

        threads = [threading.Thread(target=push, args=(i,)) for i in range(args.posts)]
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        kills = 0
        total = args.posts * args.records
        # Kill points spread over the push: when the hub holds 1/(N+1), 2/(N+1)... of the
        # records, or every 20 s if the records went in before the originals.
        thresholds = [total * (k + 1) / (args.crash + 1) for k in range(args.crash)]
        with psycopg.connect(url, autocommit=True) as monitor:
            while any(t.is_alive() for t in threads):
                if hub.proc:
                    peak[0] = max(peak[0], rss_peak_kb(hub.proc.pid))
                elapsed = time.perf_counter() - start
                held_row = monitor.execute("SELECT count(*) FROM records").fetchone()
                held = held_row[0] if held_row else 0
                due = kills < args.crash and (
                    held >= thresholds[kills] or elapsed > 20.0 * (kills + 1)
                )
                if due:
                    hub.kill()
                    kills += 1
                    print(
                        f"killed the hub (kill -9) at {elapsed:.1f} s, {held} records held",
                        file=sys.stderr,
                    )
                    hub.start()
                time.sleep(0.2)
        wall_s = time.perf_counter() - start

        lost: dict[str, int] = {"custody": 0, "records": 0, "originals": 0}
        duplicated = dict(lost)
        total_records = 0
        with psycopg.connect(url) as conn:
            for index, root in enumerate(roots):
                store = EvidenceStore.open(root)
                post = f"post-{index:02d}"
                local_entries = len(store.custody())
                local_records = store.all_records()
                total_records += len(local_records)
                files = {s for r in local_records for s in record_files(r)}
                store.close()
                row = conn.execute(
                    "SELECT count(*), count(DISTINCT seq) FROM custody WHERE post = %s", [post]
                ).fetchone()
                assert row is not None
                lost["custody"] += max(0, local_entries - row[1])
                duplicated["custody"] += row[0] - row[1]
                held = conn.execute(
                    "SELECT count(*) FROM records WHERE post = %s", [post]
                ).fetchone()
                assert held is not None
                lost["records"] += max(0, len(local_records) - held[0])
                duplicated["records"] += max(0, held[0] - len(local_records))
                have = {
                    r[0]
                    for r in conn.execute(
                        "SELECT p.sha256 FROM record_photos p JOIN originals o"
                        " ON o.sha256 = p.sha256 WHERE p.post = %s",
                        [post],
                    )
                }
                lost["originals"] += len(files - have)
        stored = sum(1 for _ in (folder / "hub-store" / "originals").glob("*/*"))
        with psycopg.connect(url) as conn:
            rows = conn.execute("SELECT count(*) FROM originals").fetchone()
        assert rows is not None
        duplicated["originals"] = stored - rows[0]
        report = verify_hub(url, folder / "hub-store")
        durations.sort()
        print(
            json.dumps(
                {
                    "posts": args.posts,
                    "records_per_post": args.records,
                    "big_fraction": args.big_fraction,
                    "crashes": kills,
                    "wall_s": round(wall_s, 1),
                    "records_per_s": round(total_records / wall_s, 1),
                    "push_calls": len(durations),
                    "push_p50_ms": round(1000 * statistics.median(durations), 1)
                    if durations
                    else None,
                    "push_p95_ms": round(1000 * durations[int(0.95 * (len(durations) - 1))], 1)
                    if durations
                    else None,
                    "hub_rss_peak_mb": round(peak[0] / 1024, 1),
                    "sync_runs": sum(attempts),
                    "lost": lost,
                    "duplicated": duplicated,
                    "hub_verify_ok": report.ok,
                    "hub_verify_problems": report.problems[:5],
                    "load_avg_1m": round(os.getloadavg()[0], 2),
                }
            )
        )
    finally:
        if hub is not None:
            hub.kill()
        cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
