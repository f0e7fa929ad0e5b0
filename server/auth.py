"""Bearer-token guard and per-officer rate limit for the API blueprint."""

from __future__ import annotations

import math
import threading
import time
from collections import deque

from flask import g, request

from idtool.errors import RateLimited
from idtool.tokens import authenticate
from server.state import current_state


class RateLimitExceeded(RateLimited):
    """429 with the seconds to wait (sent as ``Retry-After``)."""

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class RateLimiter:
    """Sliding one-minute window per officer, in memory (per worker process)."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, officer: str) -> None:
        """Count one request. Raises: RateLimitExceeded: over the limit (0 = no limit)."""
        if self.per_minute <= 0:
            return
        now = time.monotonic()
        with self._lock:
            hits = self._hits.setdefault(officer, deque())
            while hits and hits[0] <= now - 60.0:
                hits.popleft()
            if len(hits) >= self.per_minute:
                wait = max(1, math.ceil(60.0 - (now - hits[0])))
                raise RateLimitExceeded(
                    f"more than {self.per_minute} uploads a minute from {officer}; "
                    f"retry in {wait} s",
                    wait,
                )
            hits.append(now)


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def require_officer() -> None:
    """``before_request`` hook of the API blueprint: sets ``g.officer`` or raises 401."""
    g.officer = authenticate(current_state().store, bearer_token())
