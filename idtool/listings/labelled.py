"""Measure the listing rules on a labelled set of market listings (adverts).

A labelled set is a JSON Lines file, one advert a line: ``id``, ``lang``, ``label``
(``illicit`` or ``benign``), ``title``, ``description``, ``seller``, ``price`` and
``photos`` (each ``{id, label, decision, confidence}``: the identify verdict of a photo,
given rather than computed, so the rules are measured without the model; adverts with the
same photo ``id`` share that photo). Every advert goes through the same text analysis,
linking and scoring as ``idtool listings`` (:func:`idtool.listings.analysis.analyse_with_results`).

Reported: precision of ``high`` (share of high adverts that are illicit), recall of
illicit adverts at ``high`` and at ``medium`` or above, and the benign adverts that reach
``high`` (none is the goal).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from idtool.errors import BadField
from idtool.listings.analysis import PhotoResult, analyse_with_results
from idtool.listings.records import ImageRef, MarketListing
from idtool.listings.signals import TextSignalFinder

LABELS = ("illicit", "benign")


@dataclass(frozen=True)
class LabelledAdvert:
    """One advert of a labelled set, with its label and its photos' verdicts."""

    listing: MarketListing
    label: str
    language: str
    photos: tuple[dict[str, Any], ...]


@dataclass
class LabelledScore:
    """The rules' result on a labelled set."""

    adverts: int = 0
    illicit: int = 0
    benign: int = 0
    languages: dict[str, int] = field(default_factory=dict)
    levels: dict[str, dict[str, int]] = field(default_factory=dict)  # label -> level -> n
    benign_high: list[str] = field(default_factory=list)
    illicit_low: list[str] = field(default_factory=list)

    @property
    def high(self) -> int:
        return sum(self.levels.get(label, {}).get("high", 0) for label in LABELS)

    @property
    def precision_high(self) -> float:
        """Illicit adverts among those ranked ``high``."""
        return self.levels.get("illicit", {}).get("high", 0) / self.high if self.high else 0.0

    @property
    def recall_high(self) -> float:
        """Illicit adverts ranked ``high``."""
        found = self.levels.get("illicit", {}).get("high", 0)
        return found / self.illicit if self.illicit else 0.0

    @property
    def recall_medium(self) -> float:
        """Illicit adverts ranked ``medium`` or ``high`` (on the worklist's upper part)."""
        levels = self.levels.get("illicit", {})
        found = levels.get("high", 0) + levels.get("medium", 0)
        return found / self.illicit if self.illicit else 0.0

    def table_row(self, name: str) -> str:
        """The Markdown row of docs/listings.md for this set (a test keeps the page current)."""
        illicit = self.levels.get("illicit", {})
        benign = self.levels.get("benign", {})
        return (
            f"| {name} | {self.adverts} ({self.illicit} illicit, {self.benign} benign) | "
            f"{len(self.languages)} | {self.precision_high:.3f} ({self.high} high) | "
            f"{self.recall_high:.3f} ({illicit.get('high', 0)}) | "
            f"{self.recall_medium:.3f} ({illicit.get('high', 0) + illicit.get('medium', 0)}) | "
            f"{benign.get('high', 0)} / {benign.get('medium', 0)} |"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "adverts": self.adverts,
            "illicit": self.illicit,
            "benign": self.benign,
            "languages": self.languages,
            "levels": self.levels,
            "precision_high": round(self.precision_high, 3),
            "recall_high": round(self.recall_high, 3),
            "recall_medium_or_high": round(self.recall_medium, 3),
            "benign_high": self.benign_high,
            "illicit_low": self.illicit_low,
        }


def _photo_sha(photo_id: str) -> str:
    return hashlib.sha256(f"labelled-photo:{photo_id}".encode()).hexdigest()


def read_labelled(path: Path) -> list[LabelledAdvert]:
    """Read a labelled set.

    Raises:
        BadField: the file cannot be read, or a line is not an advert with a known label
            (the line is named).
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise BadField(f"cannot read the labelled set {path}: {exc.strerror or exc}") from None
    adverts = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise BadField(f"{path} line {number}: {exc}") from None
        if not isinstance(row, dict) or row.get("label") not in LABELS or not row.get("id"):
            raise BadField(f"{path} line {number}: needs an id and a label ({', '.join(LABELS)})")
        photos = tuple(row.get("photos") or ())
        listing = MarketListing(
            id=str(row["id"]),
            source=path.name,
            source_kind="jsonl",
            locator=str(number),
            title=str(row.get("title") or ""),
            description=str(row.get("description") or ""),
            seller=row.get("seller") or None,
            price=str(row.get("price") or "") or None,
            images=[
                ImageRef(str(p["id"]), None, sha256=_photo_sha(str(p["id"])), byte_count=1)
                for p in photos
            ],
        )
        adverts.append(LabelledAdvert(listing, row["label"], str(row.get("lang") or ""), photos))
    return adverts


def _photo_results(
    adverts: Sequence[LabelledAdvert], finder: TextSignalFinder
) -> dict[str, PhotoResult]:
    """Identify-like records for the given verdicts, with the guidance's appendix."""
    results: dict[str, PhotoResult] = {}
    for advert in adverts:
        for photo in advert.photos:
            sha = _photo_sha(str(photo["id"]))
            label = str(photo.get("label") or "")
            appendix = None
            if label and not label.startswith("material_"):
                appendix = finder.guide.for_name(label).appendix
            record = {
                "image": photo["id"],
                "sha256": sha,
                "decision": photo.get("decision"),
                "label": label,
                "confidence": photo.get("confidence"),
                "rank": "species" if " " in label else "",
                "cites_appendix": appendix,
            }
            results[sha] = PhotoResult(sha, record, None, None, None)
    return results


def score_labelled(adverts: Sequence[LabelledAdvert], finder: TextSignalFinder) -> LabelledScore:
    """Run the listing rules on ``adverts`` (linked among themselves) and count the levels."""
    analysed = analyse_with_results(
        [a.listing for a in adverts], _photo_results(adverts, finder), finder
    )
    by_key = {a.listing.key: a for a in adverts}
    score = LabelledScore(adverts=len(adverts))
    for item in analysed:
        advert = by_key[item.listing.key]
        level = item.priority.level
        counts = score.levels.setdefault(advert.label, {"high": 0, "medium": 0, "low": 0})
        counts[level] += 1
        score.languages[advert.language] = score.languages.get(advert.language, 0) + 1
        if advert.label == "illicit":
            score.illicit += 1
            if level == "low":
                score.illicit_low.append(advert.listing.id)
        else:
            score.benign += 1
            if level == "high":
                score.benign_high.append(advert.listing.id)
    score.languages = dict(sorted(score.languages.items()))
    return score
