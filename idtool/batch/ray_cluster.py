"""Joining a Ray cluster with a deadline, and Ray's failures as idtool errors.

``ray.init`` on an address where nothing listens retries for minutes with repeated
warnings, and an authentication or version problem surfaces as a long traceback naming a
connection error. Here every way of failing to join ends, within ``timeout_s``, in one
:class:`~idtool.errors.ClusterError` naming the address, the cause and the fix:

- :class:`~idtool.errors.ClusterUnreachable`: nothing accepts a connection there;
- :class:`~idtool.errors.ClusterAuthRequired`: the cluster uses token authentication;
- :class:`~idtool.errors.ClusterVersionMismatch`: another Ray or Python version.

Then the worker count is capped by the cluster's free CPUs (with a warning), so a batch
never waits for CPUs the cluster does not have.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

from idtool.errors import (
    BadField,
    ClusterAuthRequired,
    ClusterError,
    ClusterUnreachable,
    ClusterVersionMismatch,
)

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 30.0
AUTH_FIX = (
    "set RAY_AUTH_MODE=token and give the cluster's token (the file ~/.ray/auth_token on "
    "this machine, RAY_AUTH_TOKEN_PATH=FILE or RAY_AUTH_TOKEN=...)"
)


@dataclass
class ClusterSession:
    """A joined (or privately started) Ray instance and how many workers it can hold."""

    ray: Any
    address: str
    workers: int
    started_here: bool

    def close(self) -> None:
        if self.started_here and self.ray.is_initialized():
            self.ray.shutdown()


def import_ray() -> Any:
    """The ``ray`` module, or a :class:`BadField` saying how to install it."""
    try:
        import ray
    except ImportError:
        raise BadField(
            "--engine ray needs Ray: pip install 'idtool[ray]' (or use --engine local)"
        ) from None
    return ray


def lost_worker_errors(ray: Any) -> tuple[type[BaseException], ...]:
    """Ray's exceptions meaning a worker, its process or its node is gone (retry elsewhere)."""
    names = (
        "RayActorError",  # includes ActorDiedError and ActorUnavailableError
        "ActorUnschedulableError",
        "WorkerCrashedError",
        "NodeDiedError",
        "ObjectLostError",
        "OwnerDiedError",
        "LocalRayletDiedError",
    )
    found = tuple(getattr(ray.exceptions, name, None) for name in names)
    return tuple(kind for kind in found if isinstance(kind, type))


def split_address(address: str) -> tuple[str, str, int | None]:
    """``(scheme, host, port)`` of a Ray address: ``ray://h:10001``, ``h:6379`` or ``auto``.

    Raises:
        BadField: an address with no port, a bad port or an unknown scheme.
    """
    scheme, _, rest = address.rpartition("://")
    if scheme not in ("", "ray"):
        raise BadField(f"unknown Ray address {address!r}: use host:6379 or ray://host:10001")
    if not scheme and rest in ("auto", "local"):
        return "", rest, None
    host, sep, port_text = rest.rpartition(":")
    if not sep or not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise BadField(
            f"bad Ray address {address!r}: give host:port (e.g. 10.0.0.5:6379, the head "
            "node's GCS) or ray://host:10001 (Ray Client)"
        )
    return scheme, host.strip("[]"), int(port_text)


def wait_until_reachable(address: str, host: str, port: int, timeout_s: float) -> None:
    """Try a TCP connection until it is accepted or ``timeout_s`` has passed.

    Raises:
        ClusterUnreachable: no connection accepted in time.
    """
    deadline = time.monotonic() + timeout_s
    cause = "no answer"
    while True:
        left = deadline - time.monotonic()
        try:
            with socket.create_connection((host, port), timeout=max(0.2, min(3.0, left))):
                return
        except OSError as exc:
            cause = exc.strerror or type(exc).__name__
        if time.monotonic() >= deadline:
            raise ClusterUnreachable(
                f"cannot reach the Ray cluster at {address} within {timeout_s:.0f} s "
                f"({cause}): start it there with `ray start --head`, or check the address, "
                "the port and the firewall"
            )
        time.sleep(min(0.5, max(0.0, deadline - time.monotonic())))


def classify_join_error(address: str, exc: BaseException) -> ClusterError:
    """The idtool error for an exception raised while joining the cluster at ``address``."""
    kind = type(exc).__name__
    text = str(exc)
    lowered = f"{kind} {text}".lower()
    if "authentication" in lowered or "unauthenticated" in lowered or "auth token" in lowered:
        return ClusterAuthRequired(
            f"the Ray cluster at {address} requires token authentication: {AUTH_FIX}"
        )
    if "version" in lowered and ("mismatch" in lowered or "incompatible" in lowered):
        first = text.strip().splitlines()[0][:300] if text.strip() else kind
        return ClusterVersionMismatch(
            f"the Ray cluster at {address} runs another version ({first}): install the "
            "cluster's Ray and Python versions in idtool's environment"
        )
    first = text.strip().splitlines()[0][:300] if text.strip() else kind
    return ClusterUnreachable(f"cannot join the Ray cluster at {address}: {kind}: {first}")


def _init_with_deadline(ray: Any, address: str, timeout_s: float) -> None:
    outcome: list[BaseException | None] = []

    def target() -> None:
        try:
            ray.init(address=address, log_to_driver=False, configure_logging=False)
            outcome.append(None)
        except BaseException as exc:  # handed to the calling thread below
            outcome.append(exc)

    thread = threading.Thread(target=target, name="idtool-ray-join", daemon=True)
    thread.start()
    thread.join(timeout_s)
    if thread.is_alive():
        raise ClusterUnreachable(
            f"the Ray cluster at {address} accepted a connection but did not let this process "
            f"join within {timeout_s:.0f} s: check that its Ray version matches this one and, "
            f"if it uses token authentication, {AUTH_FIX}"
        )
    error = outcome[0]
    if error is not None:
        raise classify_join_error(address, error) from None


def join_cluster(
    address: str | None, workers: int, timeout_s: float | None = None
) -> ClusterSession:
    """Join the cluster at ``address`` (else ``$RAY_ADDRESS``, else start a private local
    Ray with ``workers`` CPUs) and size the workers to its free CPUs.

    Raises:
        BadField: Ray or Ray Client is not installed, or the address is malformed.
        ClusterError: the cluster cannot be joined (its subclasses say why), or it has
            no free CPU.
    """
    timeout_s = CONNECT_TIMEOUT_S if timeout_s is None else timeout_s
    ray = import_ray()
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    address = address or os.environ.get("RAY_ADDRESS") or None
    if ray.is_initialized():
        return ClusterSession(ray, address or "(this process)", _sized(ray, workers), False)
    if not address:
        ray.init(
            num_cpus=workers,
            include_dashboard=False,
            _node_ip_address="127.0.0.1",
            log_to_driver=False,
            configure_logging=False,
        )
        return ClusterSession(ray, "local", workers, True)
    scheme, host, port = split_address(address)
    if scheme == "ray":
        try:
            import grpc  # noqa: F401  (Ray Client's transport)
        except ImportError:
            raise BadField(
                f"{address} is a Ray Client address, which needs ray[client]: "
                "pip install 'idtool[ray]'"
            ) from None
    started = time.monotonic()
    if port is not None:
        wait_until_reachable(address, host, port, timeout_s)
    log.info("joining the Ray cluster at %s", address)
    _init_with_deadline(ray, address, max(1.0, timeout_s - (time.monotonic() - started)))
    try:
        return ClusterSession(ray, address, _sized(ray, workers), True)
    except BaseException:
        ray.shutdown()
        raise


def _sized(ray: Any, workers: int) -> int:
    free = int(ray.available_resources().get("CPU", 0))
    total = int(ray.cluster_resources().get("CPU", 0))
    if free < 1:
        raise ClusterError(
            f"the Ray cluster has no free CPU ({total} in all, all in use): wait for other "
            "jobs to finish or add a node, then run the same command again"
        )
    if free < workers:
        log.warning(
            "the Ray cluster has %d free CPU(s) of %d: running %d worker(s) instead of %d",
            free,
            total,
            free,
            workers,
        )
        return free
    return workers
