"""Put each market listing's signals together: text hits, photo results, taxa, links, priority.

Photo results are read back from the job table (the per-image JSON of ``idtool
identify``); near-duplicate hashes are computed from the stored thumbnails, so no photo
is decoded twice. Only the fields the analysis and the CSV and HTML reports read are held
for every photo (:func:`slim_record`, about 1 KB instead of about 100 KB parsed): the
JSON Lines report reads each photo's full record back from the job table as it writes
(:func:`stored_record`), so memory does not grow with the full records of a run.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from idtool.batch.jobs import JobStore
from idtool.hashing import difference_hash
from idtool.listings.appendix import settle_appendix
from idtool.listings.linking import ContactKeys, cluster_listings, contact_keys
from idtool.listings.records import MarketListing, market_listing_error
from idtool.listings.scoring import ClusterLink, Priority, score_listing
from idtool.listings.signals import TaxonSignal, TextHit, TextSignalFinder

PHOTO_DECISIONS = ("identified", "uncertain")
# What is held of each photo's record while a run is analysed (see the module docstring).
SLIM_KEYS = (
    "image",
    "sha256",
    "decision",
    "label",
    "rank",
    "confidence",
    "decision_source",
    "error",
    "cites_appendix",
)
SLIM_CITES_KEYS = ("appendix", "population_resolved", "options", "population_note")


def slim_record(record: dict[str, Any]) -> dict[str, Any]:
    """The fields of a per-image record that the analysis and the CSV/HTML reports read."""
    slim = {key: record[key] for key in SLIM_KEYS if key in record}
    guidance = record.get("guidance")
    if isinstance(guidance, dict):
        cites = guidance.get("cites") or {}
        slim["guidance"] = {
            "taxon": guidance.get("taxon"),
            "cites": {key: cites[key] for key in SLIM_CITES_KEYS if key in cites},
        }
    return slim


def stored_record(store: JobStore, sha256: str) -> dict[str, Any] | None:
    """A photo's full per-image record from the job table (None if it has none)."""
    row = store.db.execute("select record from batch_results where sha256 = ?", [sha256]).fetchone()
    return None if row is None else dict(json.loads(row[0]))


@dataclass(frozen=True)
class PhotoResult:
    """The stored result of one photo file."""

    sha256: str
    record: dict[str, Any]
    thumbnail: bytes | None
    dhash: int | None
    mirror_dhash: int | None


@dataclass
class AnalysedMarketListing:
    """A listing with everything the report shows."""

    listing: MarketListing
    hits: list[TextHit]
    taxa: list[TaxonSignal]
    photos: list[dict[str, Any]]
    thumbnails: list[tuple[str, bytes]]  # (sha256, jpeg)
    contacts: ContactKeys
    priority: Priority
    cluster_id: str | None = None
    cluster_size: int = 1
    links: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """One line of ``listings.jsonl``."""
        lst = self.listing
        return {
            "id": lst.id,
            "url": lst.url,
            "platform": lst.platform,
            "title": lst.title,
            "description": lst.description,
            "price": lst.price,
            "currency": lst.currency,
            "seller": lst.seller,
            "posted_at": lst.posted_at,
            "priority": self.priority.priority,
            "level": self.priority.level,
            "reasons": list(self.priority.reasons),
            "score": self.priority.components,
            "text_hits": [h.to_dict() for h in self.hits],
            "photos": self.photos,
            "taxa": [t.to_dict() for t in self.taxa],
            "cluster_id": self.cluster_id,
            "cluster_size": self.cluster_size,
            "links": list(self.links),
            "contacts": {
                "phones": list(self.contacts.phones),
                "handles": list(self.contacts.handles),
            },
            "evidence": {
                "source": lst.source,
                "source_kind": lst.source_kind,
                "locator": lst.locator,
                "captured_at": lst.captured_at,
                "files": [c.to_dict() for c in lst.captured]
                + [
                    {
                        "role": "image",
                        "path": str(i.path),
                        "sha256": i.sha256,
                        "bytes": i.byte_count,
                    }
                    for i in lst.images
                    if i.sha256
                ],
                "notes": lst.notes,
            },
            "extra": lst.extra,
            "error": lst.error,
            "warnings": self.warnings,
        }

    @property
    def warnings(self) -> list[dict[str, str]]:
        """What was read only in part: the page's bytes or markup, and missing photos."""
        return self.listing.warnings + photo_warnings(self.photos)


def _dhashes(thumbnail: bytes | None) -> tuple[int | None, int | None]:
    if not thumbnail:
        return None, None
    bgr = cv2.imdecode(np.frombuffer(thumbnail, dtype=np.uint8), cv2.IMREAD_COLOR)
    if bgr is None:
        return None, None
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    return difference_hash(rgb), difference_hash(np.ascontiguousarray(rgb[:, ::-1]))


def load_photo_results(store: JobStore, sha256s: set[str]) -> dict[str, PhotoResult]:
    """The stored result of each photo (by SHA-256, :func:`slim_record`), with its
    difference hashes."""
    out: dict[str, PhotoResult] = {}
    for row in store.db.query("select sha256, record, thumbnail from batch_results"):
        if row["sha256"] in sha256s:
            plain, mirror = _dhashes(row["thumbnail"])
            record = slim_record(json.loads(row["record"]))
            out[row["sha256"]] = PhotoResult(row["sha256"], record, row["thumbnail"], plain, mirror)
    return out


def photo_taxon(record: dict[str, Any], via: str) -> TaxonSignal | None:
    """The taxon a photo result points to (its label, or the taxon behind a material)."""
    decision = record.get("decision")
    if decision not in PHOTO_DECISIONS or not record.get("label"):
        return None
    guidance = record.get("guidance") or {}
    cites = guidance.get("cites") or {}
    name = guidance.get("taxon") or record["label"]
    appendix = cites.get("appendix") or record.get("cites_appendix")
    appendix, note, _ = settle_appendix(
        appendix,
        bool(cites.get("population_resolved", True)),
        [(str(o.get("appendix")), str(o.get("population"))) for o in cites.get("options") or ()],
        str(cites.get("population_note") or ""),
    )
    return TaxonSignal(
        name=str(name),
        appendix=appendix,
        source="photo",
        kind=str(decision),
        rank=str(record.get("rank") or ""),
        via=via,
        confidence=record.get("confidence"),
        appendix_note=note,
    )


def _photo_entries(
    listing: MarketListing, results: dict[str, PhotoResult]
) -> tuple[list[dict[str, Any]], list[TaxonSignal], list[tuple[str, bytes]]]:
    photos: list[dict[str, Any]] = []
    taxa: list[TaxonSignal] = []
    thumbs: list[tuple[str, bytes]] = []
    for img in listing.images:
        name = img.path.name if img.path else img.ref
        result = results.get(img.sha256 or "")
        if img.error or result is None:
            message = img.error or "not identified (interrupted run?)"
            photos.append(
                {
                    "image": img.ref,
                    "sha256": img.sha256,
                    "error": {"code": "missing_image", "message": message},
                }
            )
            continue
        photos.append({**result.record, "image": img.ref})
        if result.thumbnail:
            thumbs.append((result.sha256, result.thumbnail))
        taxon = photo_taxon(result.record, name)
        if taxon is not None:
            taxa.append(taxon)
    return photos, taxa, thumbs


def photo_warnings(photos: Sequence[dict[str, Any]]) -> list[dict[str, str]]:
    """A warning when some or all of a listing's photos could not be read."""
    missing = [str(p.get("image")) for p in photos if p.get("error")]
    if not missing:
        return []
    if len(missing) == len(photos):
        return [
            market_listing_error(
                "all_photos_missing",
                f"none of its {len(photos)} photo(s) could be read "
                f"({', '.join(missing[:3])}): ranked on its text alone",
            )
        ]
    return [
        market_listing_error(
            "missing_photos",
            f"{len(missing)} of {len(photos)} photos could not be read: {', '.join(missing[:3])}",
        )
    ]


def analyse(
    listings: Sequence[MarketListing], store: JobStore, finder: TextSignalFinder
) -> list[AnalysedMarketListing]:
    """Signals, clusters and priority of every listing, ranked (highest first)."""
    wanted = {i.sha256 for lst in listings for i in lst.images if i.sha256}
    return analyse_with_results(listings, load_photo_results(store, wanted), finder)


def _link_kinds(links: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(link.split(":", 1)[0] for link in links))


def analyse_with_results(
    listings: Sequence[MarketListing],
    results: dict[str, PhotoResult],
    finder: TextSignalFinder,
) -> list[AnalysedMarketListing]:
    """:func:`analyse` with the photo results given (by SHA-256): ranked, highest first."""
    analysed: list[AnalysedMarketListing] = []
    photo_keys: list[list[tuple[str, int | None, int | None]]] = []
    for listing in listings:
        hits, text_taxa = finder.find({"title": listing.title, "text": listing.description})
        photos, photo_taxa, thumbs = _photo_entries(listing, results)
        contacts = contact_keys(listing.seller, f"{listing.title}\n{listing.description}")
        priced = bool(listing.price and listing.price.strip())
        analysed.append(
            AnalysedMarketListing(
                listing,
                hits,
                text_taxa + photo_taxa,
                photos,
                thumbs,
                contacts,
                score_listing(hits, text_taxa + photo_taxa, priced=priced),
            )
        )
        keys = []
        for img in listing.images:
            result = results.get(img.sha256 or "")
            if result is not None:
                keys.append((result.sha256, result.dhash, result.mirror_dhash))
        photo_keys.append(keys)
    clusters = cluster_listings([a.contacts for a in analysed], photo_keys)
    members: dict[str, list[int]] = {}
    for i, item in enumerate(analysed):
        cluster_id = clusters.cluster_of[i]
        item.cluster_id = cluster_id
        item.cluster_size = clusters.sizes.get(cluster_id, 1) if cluster_id else 1
        item.links = tuple(clusters.links[i])
        if cluster_id:
            members.setdefault(cluster_id, []).append(i)
    own = [item.priority.priority for item in analysed]
    for i, item in enumerate(analysed):
        if item.cluster_size < 2 or item.cluster_id is None:
            continue
        others = [m for m in members[item.cluster_id] if m != i]
        strongest = max(others, key=lambda m: (own[m], -m))
        link = ClusterLink(
            size=item.cluster_size,
            strongest_id=analysed[strongest].listing.id,
            strongest_priority=own[strongest],
            via=_link_kinds(item.links),
        )
        item.priority = score_listing(
            item.hits,
            item.taxa,
            link,
            priced=bool(item.listing.price and item.listing.price.strip()),
        )
    analysed.sort(key=lambda a: (-a.priority.priority, a.listing.source, a.listing.key))
    return analysed
