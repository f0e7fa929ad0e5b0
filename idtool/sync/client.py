"""``idtool sync``: push whatever the hub lacks, resumably, over verified TLS.

One run: ask the hub its checkpoint for this post; push custody entries from there
(overlapping one entry, so the hub checks the post still holds what it accepted); ask
again which record versions and files the hub needs; push the records in batches, then
each file in 1 MiB chunks, resuming a partial upload where the hub's copy ends. Every
push is idempotent at the hub, so a run killed at any moment is simply run again.

Plain ``http://`` is refused except to a loopback address unless ``insecure``; HTTPS
certificates are always verified (``ca_file`` for an agency's own CA). The token travels
only in the ``Authorization`` header.
"""

from __future__ import annotations

import ipaddress
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from idtool.errors import BadField, Conflict, IdtoolError, IntegrityError
from idtool.evidence.store import EvidenceStore
from idtool.hashing import sha256_file
from idtool.sync.outbox import (
    LocalCheckpoint,
    load_checkpoint,
    now_iso,
    pending_after,
    record_body,
    save_checkpoint,
)

CHUNK_BYTES = 1024 * 1024
CUSTODY_BATCH = 500
RECORD_BATCH = 50
TIMEOUT_S = (10, 120)  # connect, read

log = logging.getLogger(__name__)


class HubUnreachable(IdtoolError):
    """The hub did not answer (network down, hub stopped): run ``idtool sync`` again."""

    code = "hub_unreachable"
    http_status = 503


class HubRefused(Conflict):
    """The hub refused the post's push (e.g. its custody history was rewritten)."""

    code = "hub_refused"


@dataclass
class SyncReport:
    hub: str
    post: str | None = None
    dry_run: bool = False
    custody_entries: int = 0
    records: int = 0
    files: int = 0
    file_bytes: int = 0
    rejected: list[dict[str, str]] = field(default_factory=list)
    hub_head: int = 0

    @property
    def ok(self) -> bool:
        return not self.rejected

    def to_dict(self) -> dict[str, Any]:
        return {
            "hub": self.hub,
            "post": self.post,
            "dry_run": self.dry_run,
            "custody_entries": self.custody_entries,
            "records": self.records,
            "files": self.files,
            "file_bytes": self.file_bytes,
            "rejected": self.rejected,
            "hub_custody_seq": self.hub_head,
        }


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_hub_url(url: str, insecure: bool) -> str:
    """Raises: BadField: not http(s), or plain HTTP to a non-loopback host without insecure."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadField(f"the hub URL must be https://HOST[:PORT], not {url!r}")
    if parts.scheme == "http" and not is_loopback(parts.hostname) and not insecure:
        raise BadField(
            f"refusing plain HTTP to {parts.hostname}: the token and the evidence would "
            "travel unencrypted; use https:// (add --ca-file for an agency CA), or --insecure "
            "on a closed network"
        )
    return url.rstrip("/")


class HubClient:
    """HTTP calls to one hub with one post token."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        ca_file: Path | None = None,
        insecure: bool = False,
        retries: int = 3,
        session: requests.Session | None = None,
    ) -> None:
        self.url = check_hub_url(url, insecure)
        self.session = session or requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"
        self.session.headers["User-Agent"] = "idtool-sync"
        # Passed with each request: requests lets REQUESTS_CA_BUNDLE override a session's
        # verify, never a request's.
        self.verify: str | bool = str(ca_file) if ca_file else True
        self.retries = retries

    def close(self) -> None:
        self.session.close()

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """One request, retried on network errors and 502/503/504.

        Raises:
            HubUnreachable: still failing after the retries.
            HubRefused: a 409 the caller does not handle.
            IdtoolError: any other error answer (code and message from the hub).
        """
        expected = kwargs.pop("expected", (200,))
        delay = 0.5
        for attempt in range(self.retries + 1):
            try:
                response = self.session.request(
                    method, self.url + path, timeout=TIMEOUT_S, verify=self.verify, **kwargs
                )
            except requests.exceptions.SSLError as exc:
                raise HubUnreachable(
                    f"TLS certificate of {self.url} not trusted ({exc.__class__.__name__}); "
                    "pass the agency CA with --ca-file"
                ) from None
            except requests.RequestException as exc:
                if attempt == self.retries:
                    raise HubUnreachable(
                        f"the hub {self.url} did not answer ({exc.__class__.__name__}): "
                        "run `idtool sync` again later; nothing is lost"
                    ) from None
            else:
                if response.status_code in expected:
                    return response
                if response.status_code not in (502, 503, 504) or attempt == self.retries:
                    raise _error_from(response)
            time.sleep(delay)
            delay *= 2
        raise HubUnreachable(f"the hub {self.url} did not answer")  # pragma: no cover

    def json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        body: dict[str, Any] = self.call(method, path, **kwargs).json()
        return body


def _error_from(response: requests.Response) -> IdtoolError:
    try:
        error = response.json()["error"]
        code, message = str(error["code"]), str(error["message"])
    except (ValueError, KeyError, TypeError):
        code, message = "hub_error", f"HTTP {response.status_code}: {response.text[:200]}"
    exc: IdtoolError
    if response.status_code == 409:
        exc = HubRefused(message)
    elif response.status_code in (401, 403):
        exc = IdtoolError(message)
        exc.http_status = response.status_code
    else:
        exc = IdtoolError(message)
    exc.code = code
    return exc


Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


class PostSync:
    """One sync run from an evidence store to a hub."""

    def __init__(self, store: EvidenceStore, client: HubClient, progress: Progress = _quiet):
        self.store = store
        self.client = client
        self.progress = progress

    def checkpoint(self) -> dict[str, Any]:
        return self.client.json("GET", "/api/v1/hub/sync/checkpoint")

    def push_custody(self, hub_seq: int, report: SyncReport) -> int:
        """Push entries from ``hub_seq`` (overlapping one); returns the hub's new head."""
        entries = self.store.custody()
        head = entries[-1] if entries else None
        post_head = (
            {"seq": head.seq, "entry_hash": head.entry_hash}
            if head
            else {"seq": 0, "entry_hash": "0" * 64}
        )
        todo = [e for e in entries if e.seq >= max(hub_seq, 1)]
        new_head = hub_seq
        for i in range(0, max(len(todo), 1), CUSTODY_BATCH):
            batch = todo[i : i + CUSTODY_BATCH]
            answer = self.client.json(
                "POST",
                "/api/v1/hub/sync/custody",
                json={"entries": [e.to_dict() for e in batch], "post_head": post_head},
            )
            report.custody_entries += int(answer["accepted"])
            new_head = int(answer["head"]["seq"])
            if batch:
                self.progress(f"custody: hub holds entries up to {new_head}")
        return new_head

    def push_records(self, record_ids: list[str], report: SyncReport) -> None:
        for i in range(0, len(record_ids), RECORD_BATCH):
            bodies = [record_body(self.store.get(rid)) for rid in record_ids[i : i + RECORD_BATCH]]
            answer = self.client.json("POST", "/api/v1/hub/sync/records", json={"records": bodies})
            report.records += int(answer["stored"])
            report.rejected += list(answer.get("rejected") or [])
            self.progress(f"records: {min(i + RECORD_BATCH, len(record_ids))}/{len(record_ids)}")

    def push_file(self, sha256: str, report: SyncReport) -> None:
        """Send one file in chunks, from where the hub's partial copy ends.

        Raises:
            IntegrityError: the post's own copy no longer hashes to its name.
        """
        path = self.store.original_path(sha256)
        if not path.is_file():
            report.rejected.append(
                {"id": sha256, "code": "file_missing", "message": f"{path} is missing"}
            )
            return
        if sha256_file(path) != sha256:
            raise IntegrityError(
                f"the post's stored file {path} no longer hashes to its name: run "
                "`idtool evidence verify`; it is not sent"
            )
        total = path.stat().st_size
        status = self.client.json("GET", f"/api/v1/hub/sync/originals/{sha256}")
        if status.get("stored"):
            return
        offset = int(status.get("offset") or 0)
        restarted = False
        with path.open("rb") as handle:
            while True:
                handle.seek(offset)
                chunk = handle.read(CHUNK_BYTES)
                end = offset + len(chunk) - 1
                response = self.client.call(
                    "PUT",
                    f"/api/v1/hub/sync/originals/{sha256}",
                    data=chunk,
                    headers={
                        "Content-Range": f"bytes {offset}-{end}/{total}",
                        "Content-Type": "application/octet-stream",
                    },
                    expected=(200, 409, 422),
                )
                body = response.json()
                if response.status_code == 409 and "Upload-Offset" in response.headers:
                    offset = int(response.headers["Upload-Offset"])
                    continue
                if response.status_code != 200:
                    error = body.get("error") or {}
                    if error.get("code") == "upload_corrupt" and not restarted:
                        restarted, offset = True, 0  # the hub discarded a bad copy
                        continue
                    raise _error_from(response)
                report.file_bytes += len(chunk)
                if body.get("stored"):
                    report.files += 1
                    return
                offset = int(body["offset"])

    def run(self, dry_run: bool = False) -> SyncReport:
        report = SyncReport(self.client.url, dry_run=dry_run)
        cp = self.checkpoint()
        report.post = cp["post"]
        hub_seq = int(cp["custody"]["seq"])
        if dry_run:
            pending = pending_after(self.store, hub_seq)
            report.custody_entries = len(pending.entries)
            would_push = set(cp["records_needed"]) | set(pending.record_ids)
            report.records = len(would_push)
            would_send = set(cp["originals_needed"]) | set(pending.files)
            report.files = len(would_send)
            report.file_bytes = sum(
                self.store.original_path(s).stat().st_size
                for s in would_send
                if self.store.original_path(s).is_file()
            )
            report.hub_head = hub_seq
            return report
        hub_seq = self.push_custody(hub_seq, report)
        cp = self.checkpoint()
        needed = list(cp["records_needed"])
        if needed:
            # Entries written while we read are pushed before the records they name.
            hub_seq = self.push_custody(int(cp["custody"]["seq"]), report)
            self.push_records(needed, report)
            cp = self.checkpoint()
        files = list(cp["originals_needed"])
        for index, sha256 in enumerate(files, 1):
            self.push_file(sha256, report)
            self.progress(f"files: {index}/{len(files)}")
        report.hub_head = int(cp["custody"]["seq"])
        save_checkpoint(
            self.store,
            LocalCheckpoint(
                self.client.url,
                report.post,
                report.hub_head,
                cp["custody"]["entry_hash"],
                now_iso(),
            ),
        )
        return report


def sync_status(store: EvidenceStore, hub_url: str) -> dict[str, Any]:
    """What is pending for ``hub_url`` according to the post's checkpoint (no network)."""
    checkpoint = load_checkpoint(store, hub_url.rstrip("/"))
    pending = pending_after(store, checkpoint.custody_seq)
    return {"checkpoint": checkpoint.to_dict(), "pending": pending.to_dict()}


def sync_to_hub(
    store: EvidenceStore,
    hub_url: str,
    token: str,
    *,
    ca_file: Path | None = None,
    insecure: bool = False,
    dry_run: bool = False,
    progress: Progress = _quiet,
) -> SyncReport:
    """Push what the hub lacks (see the module docstring).

    Raises:
        BadField: a bad hub URL (or plain HTTP to a remote host without ``insecure``).
        HubUnreachable: the hub did not answer; nothing is lost, run it again.
        HubRefused: the hub refused the push (the message says why).
        IntegrityError: a file at the post no longer hashes to its name.
    """
    client = HubClient(hub_url, token, ca_file=ca_file, insecure=insecure)
    try:
        return PostSync(store, client, progress).run(dry_run)
    finally:
        client.close()
