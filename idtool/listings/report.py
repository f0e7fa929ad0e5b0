"""The report of market listings: ``listings.jsonl``, ``listings.csv``, ``report.html``, ``thumbs/``.

Listings are written ranked (highest priority first). ``listings.jsonl`` has one object
per listing (see docs/listings.md); ``listings.csv`` flattens the fields an
analyst sorts and filters on, with the batch report's guard against spreadsheet formula
injection (a seller named ``=HYPERLINK(...)`` stays text). Thumbnails go to
``thumbs/<sha256>.jpg`` so that the HTML page of 10,000 listings stays small. Every file
is written to a temporary name and renamed into place.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from idtool.atomic import write_atomic, write_atomic_text
from idtool.batch.jobs import JobConfig
from idtool.batch.report import csv_safe
from idtool.listings.analysis import AnalysedMarketListing
from idtool.listings.report_html import render_listings_html

JSONL_NAME = "listings.jsonl"
CSV_NAME = "listings.csv"
HTML_NAME = "report.html"
THUMBS = "thumbs"
CSV_COLUMNS = (
    "rank",
    "priority",
    "level",
    "id",
    "url",
    "platform",
    "title",
    "price",
    "currency",
    "seller",
    "posted_at",
    "strongest_appendix",
    "taxa",
    "text_hits",
    "photo_labels",
    "reasons",
    "cluster_id",
    "cluster_size",
    "links",
    "source",
    "captured_at",
    "evidence_sha256",
    "error",
    "warnings",
)
APPENDIX_RANK = {"I": 0, "II": 1, "III": 2}


@dataclass(frozen=True)
class MarketListingReport:
    jsonl: Path
    csv: Path
    html: Path
    listings: int
    counts: dict[str, dict[str, int]]


def strongest_appendix(item: AnalysedMarketListing) -> str | None:
    found = [t.appendix for t in item.taxa if t.appendix in APPENDIX_RANK]
    return min(found, key=lambda a: APPENDIX_RANK[a]) if found else None


def _csv_row(rank: int, item: AnalysedMarketListing) -> dict[str, Any]:
    record = item.to_dict()
    error = item.listing.error or {}
    return {
        "rank": rank,
        "priority": record["priority"],
        "level": record["level"],
        "id": record["id"],
        "url": record["url"],
        "platform": record["platform"],
        "title": record["title"],
        "price": record["price"],
        "currency": record["currency"],
        "seller": record["seller"],
        "posted_at": record["posted_at"],
        "strongest_appendix": strongest_appendix(item),
        "taxa": "; ".join(f"{t.name} ({t.appendix or '-'}, {t.source})" for t in item.taxa),
        "text_hits": "; ".join(dict.fromkeys(h.term for h in item.hits)),
        "photo_labels": "; ".join(
            f"{p.get('label') or p.get('decision') or 'error'}" for p in item.photos
        ),
        "reasons": " | ".join(item.priority.reasons),
        "cluster_id": item.cluster_id,
        "cluster_size": item.cluster_size,
        "links": "; ".join(item.links),
        "source": item.listing.source,
        "captured_at": item.listing.captured_at,
        "evidence_sha256": "; ".join(
            f"{f['role']}:{f['sha256']}" for f in record["evidence"]["files"]
        ),
        "error": f"{error.get('code')}: {error.get('message')}" if error else None,
        "warnings": "; ".join(f"{w['code']}: {w['message']}" for w in item.warnings) or None,
    }


def count_listings(items: list[AnalysedMarketListing]) -> dict[str, dict[str, int]]:
    levels = Counter(i.priority.level for i in items)
    appendices = Counter(
        f"Appendix {strongest_appendix(i)}" if strongest_appendix(i) else "none" for i in items
    )
    taxa = Counter(t.name for i in items for t in {t.name: t for t in i.taxa}.values())
    return {
        "level": {k: levels.get(k, 0) for k in ("high", "medium", "low")},
        "appendix": dict(sorted(appendices.items())),
        "taxon": dict(taxa.most_common(15)),
        "errors": {
            "listings with an error": sum(1 for i in items if i.listing.error),
            "listings with warnings": sum(1 for i in items if i.warnings),
        },
    }


def _full_photos(
    photos: list[dict[str, Any]], full_record: Callable[[str], dict[str, Any] | None]
) -> list[dict[str, Any]]:
    """Each photo entry with its full per-image record (entries hold a slim one)."""
    out = []
    for photo in photos:
        sha256 = photo.get("sha256")
        full = None if photo.get("error") or not sha256 else full_record(str(sha256))
        out.append(photo if full is None else {**full, "image": photo.get("image")})
    return out


def write_listing_reports(
    items: list[AnalysedMarketListing],
    report_dir: Path,
    config: JobConfig,
    runs: list[dict[str, Any]],
    full_record: Callable[[str], dict[str, Any] | None] | None = None,
) -> MarketListingReport:
    """Write the three report files and the thumbnails of ``items`` (already ranked).

    ``full_record`` gives a photo's full per-image record by SHA-256 for the JSON Lines
    report, read one listing at a time (the items hold slim records,
    :func:`idtool.listings.analysis.slim_record`); None writes the items' records as held.
    """
    thumbs = report_dir / THUMBS
    thumbs.mkdir(parents=True, exist_ok=True)
    for item in items:
        for sha, data in item.thumbnails:
            path = thumbs / f"{sha}.jpg"
            if not path.is_file():
                write_atomic(path, data)
    counts = count_listings(items)
    report = MarketListingReport(
        jsonl=report_dir / JSONL_NAME,
        csv=report_dir / CSV_NAME,
        html=report_dir / HTML_NAME,
        listings=len(items),
        counts=counts,
    )

    def write_jsonl(handle: IO[str]) -> None:
        for item in items:
            record = item.to_dict()
            if full_record is not None:
                record["photos"] = _full_photos(record["photos"], full_record)
            handle.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")

    def write_csv(handle: IO[str]) -> None:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for rank, item in enumerate(items, start=1):
            writer.writerow({k: csv_safe(v) for k, v in _csv_row(rank, item).items()})

    def write_html(handle: IO[str]) -> None:
        handle.write(render_listings_html(items, counts, config, runs, THUMBS))

    write_atomic_text(report.jsonl, write_jsonl)
    write_atomic_text(report.csv, write_csv)
    write_atomic_text(report.html, write_html)
    return report
