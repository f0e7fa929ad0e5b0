"""Progress of a batch on stderr: a rich bar on a terminal, plain periodic lines otherwise."""

from __future__ import annotations

import sys
import threading
import time
from types import TracebackType
from typing import IO, Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

PLAIN_INTERVAL_S = 10.0


class ProgressReporter(Protocol):
    def start(self, total: int) -> None: ...

    def advance(self, count: int) -> None: ...

    def close(self) -> None: ...


def format_eta(seconds: float) -> str:
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


class PlainProgress:
    """One line every ``interval_s`` seconds, whether or not a result came (so a stalled
    run shows in a log), and one at the end: done/total, rate, ETA."""

    def __init__(self, stream: IO[str] | None = None, interval_s: float = PLAIN_INTERVAL_S) -> None:
        self._stream = stream or sys.stderr
        self._interval_s = interval_s
        self._total = 0
        self._done = 0
        self._started = 0.0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def start(self, total: int) -> None:
        with self._lock:
            self._total, self._done = total, 0
            self._started = time.monotonic()
        self._write(f"batch: {total} images to identify")
        self._stop.clear()
        self._ticker = threading.Thread(target=self._tick, name="idtool-progress", daemon=True)
        self._ticker.start()

    def _tick(self) -> None:
        while not self._stop.wait(self._interval_s):
            with self._lock:
                text = self.line(time.monotonic() - self._started)
            self._write(text)

    def advance(self, count: int) -> None:
        with self._lock:
            self._done += count
            finished = self._done >= self._total
            text = self.line(time.monotonic() - self._started)
        if finished:
            self._write(text)

    def line(self, elapsed_s: float) -> str:
        rate = self._done / elapsed_s if elapsed_s > 0 else 0.0
        eta = (self._total - self._done) / rate if rate > 0 else 0.0
        share = 100.0 * self._done / self._total if self._total else 100.0
        return (
            f"batch: {self._done}/{self._total} images ({share:.0f}%), {rate:.1f} img/s, "
            f"elapsed {format_eta(elapsed_s)}, ETA {format_eta(eta) if rate > 0 else '-'}"
        )

    def close(self) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
            self._ticker = None

    def _write(self, text: str) -> None:
        self._stream.write(text + "\n")
        self._stream.flush()


class RichProgress:
    """A live bar with count, rate and ETA (stderr, only on a terminal)."""

    def __init__(self) -> None:
        self._progress = Progress(
            TextColumn("identifying"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=False,
        )
        self._task = self._progress.add_task("batch", total=0, rate="")
        self._started = 0.0
        self._done = 0

    def start(self, total: int) -> None:
        self._started = time.monotonic()
        self._progress.update(self._task, total=total)
        self._progress.start()

    def advance(self, count: int) -> None:
        self._done += count
        elapsed = time.monotonic() - self._started
        rate = f"{self._done / elapsed:.1f} img/s" if elapsed > 0 else ""
        self._progress.update(self._task, advance=count, rate=rate)

    def close(self) -> None:
        self._progress.stop()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class NoProgress:
    def start(self, total: int) -> None:
        return None

    def advance(self, count: int) -> None:
        return None

    def close(self) -> None:
        return None


def progress_for_stderr() -> ProgressReporter:
    """The rich bar when stderr is a terminal, else plain lines."""
    return RichProgress() if sys.stderr.isatty() else PlainProgress()
