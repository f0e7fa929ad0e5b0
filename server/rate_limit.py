"""Per-officer upload rate limit (sliding one-minute window, in memory, per process)."""

from __future__ import annotations

import math
import threading
import time
from collections import deque

from idtool.errors import RateLimited


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
