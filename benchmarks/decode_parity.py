"""Decode parity: photos decoded at the model's size first answer as if decoded for tiles.

A texture head's identifier decodes each photo for the model's input first and decodes
again, at the tile working size, only the photos whose tiles it may read
(``Identifier.refit_for_tiles``). This compares, photo by photo, that path with the
previous one (every photo decoded at the tile working size): decision, label, rank,
``decision_source``, the class probabilities and the nearest similarity.

Run by ``bench_batch.py --parity`` (shipped reference photos, the shared demo photos when
present, generated 12 MP phone photos of the shipped materials); the functions are also
used by ``tests/decide/test_decode_parity.py`` on a handful of photos.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from idtool.decide.identify import Identifier
from idtool.model.preprocess import decode_image

BATCH = 8


@dataclass
class ParityReport:
    """What the two decodes gave, over a set of photos."""

    photos: int = 0
    decisions_differ: list[str] = field(default_factory=list)
    # largest probability difference: photos whose tiles were read (decoded again, so the
    # same pixels), photos answered in the reference set, photos not in it
    max_score_diff_tiles: float = 0.0
    max_score_diff_identified: float = 0.0
    max_score_diff_not_in_reference: float = 0.0
    max_similarity_diff: float = 0.0
    tiles_read: int = 0

    def add(self, other: ParityReport) -> None:
        self.photos += other.photos
        self.decisions_differ += other.decisions_differ
        for name in (
            "max_score_diff_tiles",
            "max_score_diff_identified",
            "max_score_diff_not_in_reference",
        ):
            setattr(self, name, max(getattr(self, name), getattr(other, name)))
        self.max_similarity_diff = max(self.max_similarity_diff, other.max_similarity_diff)
        self.tiles_read += other.tiles_read

    def ok(self, score_tolerance: float) -> bool:
        """Same decisions, and the same scores where tiles were read."""
        return not self.decisions_differ and self.max_score_diff_tiles <= score_tolerance

    def to_dict(self) -> dict[str, object]:
        return {
            "photos": self.photos,
            "decisions_differ": self.decisions_differ,
            "max_score_diff_tiles": self.max_score_diff_tiles,
            "max_score_diff_identified": self.max_score_diff_identified,
            "max_score_diff_not_in_reference": self.max_score_diff_not_in_reference,
            "max_similarity_diff": self.max_similarity_diff,
            "tiles_read": self.tiles_read,
        }


def compare_paths(identifier: Identifier, paths: Sequence[Path]) -> ParityReport:
    """Identify ``paths`` both ways (in batches of :data:`BATCH`) and compare."""
    report = ParityReport()
    for start in range(0, len(paths), BATCH):
        chunk = paths[start : start + BATCH]
        names = [str(p) for p in chunk]
        old_images = [decode_image(p, fit=identifier.tile_decode_config) for p in chunk]
        new_images = [decode_image(p, fit=identifier.decode_config) for p in chunk]
        old = identifier.score_decoded(old_images, names)
        new = identifier.score_decoded(new_images, names)
        report.photos += len(chunk)
        for name, (a, sa), (b, sb) in zip(names, old, new, strict=True):
            key_a = (a.decision, a.label, a.rank, a.decision_source)
            key_b = (b.decision, b.label, b.rank, b.decision_source)
            if key_a != key_b:
                report.decisions_differ.append(f"{name}: {key_a} -> {key_b}")
            report.tiles_read += a.decision_source.startswith("head+tiles")
            if list(sa.classes) == list(sb.classes):
                diff = float(np.max(np.abs(sa.probabilities - sb.probabilities)))
            else:
                diff = float("inf")
            if a.decision_source.startswith("head+tiles"):
                which = "max_score_diff_tiles"
            elif a.decision is not None and a.decision.value == "not_in_reference":
                which = "max_score_diff_not_in_reference"
            else:
                which = "max_score_diff_identified"
            setattr(report, which, max(getattr(report, which), diff))
            sim = abs((a.nearest_similarity or 0.0) - (b.nearest_similarity or 0.0))
            report.max_similarity_diff = max(report.max_similarity_diff, sim)
    return report
