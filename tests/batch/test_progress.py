"""Plain progress lines keep coming off a terminal while nothing finishes (a stalled run
shows in the log), and stop when the run closes."""

from __future__ import annotations

import io
import threading

from idtool.batch.progress import PlainProgress


class _Lines(io.StringIO):
    def __init__(self, wanted: int) -> None:
        super().__init__()
        self.enough = threading.Event()
        self._wanted = wanted

    def write(self, text: str) -> int:
        written = super().write(text)
        if self.getvalue().count("\n") >= self._wanted:
            self.enough.set()
        return written


def test_plain_progress_prints_periodically_without_results() -> None:
    stream = _Lines(wanted=3)
    progress = PlainProgress(stream, interval_s=0.05)
    progress.start(10)
    assert stream.enough.wait(10), stream.getvalue()
    progress.close()
    lines = stream.getvalue().splitlines()
    assert lines[0] == "batch: 10 images to identify"
    assert all(line.startswith("batch: 0/10 images (0%)") for line in lines[1:3])
    assert lines[1].endswith("ETA -")


def test_plain_progress_prints_the_last_line_when_done() -> None:
    stream = io.StringIO()
    progress = PlainProgress(stream, interval_s=3600)
    progress.start(4)
    progress.advance(2)
    progress.advance(2)
    progress.close()
    lines = stream.getvalue().splitlines()
    assert lines[0] == "batch: 4 images to identify"
    assert lines[-1].startswith("batch: 4/4 images (100%)") and len(lines) == 2
