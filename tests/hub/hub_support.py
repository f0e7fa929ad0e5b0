"""Helpers of the hub tests and benchmark (not a test module): posts with records, a hub
served by waitress in a thread or in a subprocess, ``idtool sync`` in a subprocess."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import requests
from pg_cluster import free_port
from PIL import Image
from support import WaitressThread

from idtool.config import PROJECT_ROOT
from idtool.evidence.custody import now_iso
from idtool.evidence.records import EvidenceRecord, OriginalPhoto, OriginalStatus
from idtool.evidence.store import EvidenceStore

REFERENCE = PROJECT_ROOT / "reference_images"


def reference_photos() -> list[Path]:
    return sorted(REFERENCE.glob("*/*.jpg"))


def add_record(
    store: EvidenceStore,
    photo: bytes,
    *,
    case_ref: str | None = "CASE-1",
    officer: str = "officer.one",
    label: str = "Loxodonta africana",
    original: bytes | None = None,
    idempotency_key: str | None = None,
) -> EvidenceRecord:
    """Store ``photo`` and a record of it, as the field server does (custody included).

    With ``original``, ``photo`` is the working copy and the full original is attached.
    """
    sha = store.store_original(photo, actor=officer)
    now = now_iso()
    record = EvidenceRecord(
        id=uuid.uuid4().hex,
        created_at=now,
        officer=officer,
        sha256=sha,
        byte_count=len(photo),
        media_format="jpeg",
        exif={},
        declaration={},
        identification={"decision": "identified", "label": label, "score": 0.91},
        guidance={"summary": "CITES Appendix I"},
        model_version="idtool-lite0-1.1.0",
        reference_version="test",
        listing_set="test",
        case_ref=case_ref,
        idempotency_key=idempotency_key or uuid.uuid4().hex,
        filename="IMG_0001.jpg",
        original=OriginalPhoto(
            OriginalStatus.PENDING if original else OriginalStatus.RECEIVED,
            None if original else sha,
            None if original else len(photo),
            None if original else "jpeg",
            None if original else now,
            None if original else {},
            working_copy=original is not None,
        ),
    )
    record, _ = store.add_record(record)
    if original is not None:
        osha = store.store_original(original, actor=officer)
        record, _ = store.attach_original(
            record.id,
            OriginalPhoto(OriginalStatus.RECEIVED, osha, len(original), "jpeg", now_iso(), {}),
            officer,
        )
    return record


def small_jpeg(seed: int, size: tuple[int, int] = (640, 480)) -> bytes:
    """A distinct small photo (random blocks, so difference hashes differ)."""
    rng = np.random.default_rng(seed)
    blocks = rng.integers(0, 255, size=(6, 8, 3), dtype=np.uint8)
    image = Image.fromarray(blocks).resize(size, Image.Resampling.NEAREST)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def set_case_facts(
    store: EvidenceStore, case_ref: str, version: int, facts: dict[str, Any], actor: str
) -> None:
    """A case-facts change made as the post makes it (a new version, custody action
    ``case_facts``); ``version`` is the one it must become."""
    from idtool.evidence.cases import set_case_facts as set_facts

    case, changed = set_facts(store, case_ref, facts, actor)
    assert changed and case.version == version


class ThreadedHub:
    """The hub app on waitress in a thread of the test process."""

    def __init__(self, database_url: str, store_dir: Path, trusted_proxies: int = 0) -> None:
        import waitress.server

        from server.hub.app import create_hub_app, waitress_options

        self.app = create_hub_app(database_url, store_dir, trusted_proxies=trusted_proxies)
        self.port = free_port()
        options = waitress_options(4, trusted_proxies)
        self.server = waitress.server.create_server(
            self.app, host="127.0.0.1", port=self.port, **options
        )
        self.running = WaitressThread(self.server)
        self.url = f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.running.close()


@contextlib.contextmanager
def threaded_hub(database_url: str, store_dir: Path, **kw: Any) -> Iterator[ThreadedHub]:
    hub = ThreadedHub(database_url, store_dir, **kw)
    try:
        yield hub
    finally:
        hub.close()


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IDTOOL_")}
    env["PYTHONPATH"] = str(PROJECT_ROOT)
    env["IDTOOL_LOG_LEVEL"] = "WARNING"
    env.update(extra)
    return env


class HubProcess:
    """``idtool hub serve`` in a subprocess (so a test can kill -9 it)."""

    def __init__(self, database_url: str, store_dir: Path, port: int | None = None) -> None:
        self.database_url, self.store_dir = database_url, store_dir
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 60) -> HubProcess:
        command = [
            sys.executable,
            "-m",
            "idtool",
            "hub",
            "serve",
            "--database",
            self.database_url,
            "--store",
            str(self.store_dir),
            "--port",
            str(self.port),
        ]
        log_path = self.store_dir.parent / f"hub-{self.port}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                command, env=child_env(), stdout=subprocess.DEVNULL, stderr=log
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = log_path.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"the hub exited: {err}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(self.url + "/healthz", timeout=1).ok:
                    return self
            time.sleep(0.1)
        self.kill()
        raise RuntimeError("the hub did not start in time")

    def kill(self) -> None:
        """kill -9, as a crash would."""
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)


def sync_command(evidence_dir: Path, url: str, token: str) -> tuple[list[str], dict[str, str]]:
    command = [sys.executable, "-m", "idtool", "sync", "--hub", url, "--format", "json"]
    return command, child_env(IDTOOL_EVIDENCE_DIR=str(evidence_dir), IDTOOL_HUB_TOKEN=token)


def start_sync(evidence_dir: Path, url: str, token: str) -> subprocess.Popen[bytes]:
    """``idtool sync`` in the background (output discarded: the test kills it)."""
    command, env = sync_command(evidence_dir, url, token)
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def run_sync(evidence_dir: Path, url: str, token: str) -> subprocess.CompletedProcess[str]:
    command, env = sync_command(evidence_dir, url, token)
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)


def wait_for(predicate: Any, timeout_s: float = 120, step_s: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step_s)
    return False


def partial_uploads(store_dir: Path) -> list[Path]:
    """Uploads in progress at the hub (some bytes received, not complete yet)."""
    found = []
    for path in (store_dir / "incoming").glob("*.part"):
        with contextlib.suppress(FileNotFoundError):
            if path.stat().st_size > 0:
                found.append(path)
    return found


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
