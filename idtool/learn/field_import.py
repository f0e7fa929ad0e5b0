"""``idtool reference import-confirmed``: lab-confirmed field originals into the catalog.

Each confirmed record's full original (never a working copy) is checked against its
SHA-256, copied to ``$IDTOOL_HOME/reference_field/item-<record id>/<sha256>.<ext>`` and
imported as a reference photo of the confirmed class. The folder is the photo's *group*:
one per seized item, so grouped cross-validation (:mod:`idtool.curation.grouping`) never
puts two photos of one object on both sides of a fold. Provenance (post, record id,
confirmation, method, the original's SHA-256, group) is kept in the image's ``source``
and ``notes``. Importing the same source twice adds nothing; a record confirmed again
with another label moves its photo to the new class. A class the catalog lacks enters
the taxonomy (with the shipped ``TAXONOMY.csv`` lineage when known) and the report says
which CITES listing applies to it.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from idtool.atomic import write_atomic
from idtool.catalog.reference_import import (
    ImportReport,
    Provenance,
    ReferenceEmbedder,
    add_images,
)
from idtool.catalog.store import Catalog
from idtool.catalog.taxonomy import TAXONOMY_FILE, read_taxonomy_csv
from idtool.cites.listing_index import ListingIndex
from idtool.config import SHIPPED_REFERENCE_DIR
from idtool.errors import IdtoolError
from idtool.learn.confirmed_sources import ConfirmedPhoto, ConfirmedSource

log = logging.getLogger(__name__)

FIELD_DIR = "reference_field"
FIELD_SOURCE_PREFIX = "field:"
FIELD_LICENCE = "field evidence: enforcement use only, not for redistribution"
EXTENSIONS = {"jpeg": "jpg", "png": "png", "webp": "webp", "heic": "heic", "bmp": "bmp"}
EXTENSIONS.update({"tiff": "tif", "gif": "gif"})


@dataclass
class FieldImportReport:
    """What one import of confirmed photos did."""

    post: str
    confirmed: int = 0
    imported: ImportReport = field(default_factory=ImportReport)
    new_classes: dict[str, dict[str, Any]] = field(default_factory=dict)  # label -> listing
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (record id, reason)

    def to_dict(self) -> dict[str, Any]:
        return {
            "post": self.post,
            "confirmed_records": self.confirmed,
            **self.imported.to_dict(),
            "new_classes": self.new_classes,
            "skipped_records": [{"record_id": r, "reason": why} for r, why in self.skipped],
        }


def class_dir_of(label: str) -> str:
    """``Panthera tigris`` -> ``Panthera_tigris`` (materials keep their name)."""
    return label.replace(" ", "_")


def is_field_image(source: str | None) -> bool:
    """Whether a catalog image came from a confirmed field record."""
    return bool(source) and str(source).startswith(FIELD_SOURCE_PREFIX)


def _listing_of(label: str, listings: ListingIndex | None) -> dict[str, Any]:
    if listings is None or label.startswith("material_"):
        return {"status": "material" if label.startswith("material_") else "unknown"}
    match = listings.lookup(label, suggest=False)
    entry = match.entry
    return {
        "status": match.status,
        "match_kind": match.match_kind,
        "appendices": list(entry.appendices) if entry is not None else [],
        "listed_as": entry.full_name if entry is not None else None,
    }


def _stage(photo: ConfirmedPhoto, home: Path) -> Path:
    """Copy the checked original into the item's folder (content-addressed, idempotent)."""
    ext = EXTENSIONS.get(photo.media_format, "jpg")
    target = home / FIELD_DIR / photo.group_id / f"{photo.sha256}.{ext}"
    if not target.is_file():
        write_atomic(target, photo.checked_bytes())
    return target


def import_confirmed(
    catalog: Catalog,
    embedder: ReferenceEmbedder,
    source: ConfirmedSource,
    home: Path,
    *,
    listings: ListingIndex | None = None,
) -> FieldImportReport:
    """Import every confirmed original of ``source`` into ``catalog``. Idempotent.

    A record whose original is pending, unreadable or altered is reported in
    ``skipped`` and the run goes on.

    Args:
        catalog: the reference catalog.
        embedder: embeds new photos with the catalog's model.
        source: a :class:`~idtool.learn.confirmed_sources.ConfirmedSource`.
        home: ``$IDTOOL_HOME`` (field photos are kept under ``reference_field/``).
        listings: the listing index, to report the CITES listing of new classes.

    Returns:
        The report.
    """
    report = FieldImportReport(post=source.post)
    taxonomy = read_taxonomy_csv(SHIPPED_REFERENCE_DIR / TAXONOMY_FILE)
    known = set(catalog.taxa())
    by_class: dict[str, list[tuple[Path, str, Provenance]]] = {}
    for photo in source.photos():
        report.confirmed += 1
        try:
            path = _stage(photo, home)
        except IdtoolError as exc:
            report.skipped.append((photo.record_id, f"{exc.code}: {exc.message}"))
            continue
        provenance = photo.provenance()
        c = photo.confirmation
        prov = Provenance(
            licence=FIELD_LICENCE,
            source=f"{FIELD_SOURCE_PREFIX}{photo.post}/record/{photo.record_id}",
            photographer=None,
            notes=json.dumps(provenance, sort_keys=True, ensure_ascii=False),
        )
        rel = f"{FIELD_DIR}/{photo.group_id}/{path.name}"
        by_class.setdefault(class_dir_of(c.label), []).append((path, rel, prov))
    report.skipped += [(s.record_id, s.reason) for s in source.skipped]
    for class_dir, files in sorted(by_class.items()):
        add_images(
            catalog,
            embedder,
            class_dir,
            files,
            report.imported,
            taxonomy_row=taxonomy.get(class_dir),
        )
    for label in report.imported.classes:
        if label not in known:
            report.new_classes[label] = _listing_of(label, listings)
    report.imported.reference_version = catalog.reference_version()
    log.info(
        "imported %d confirmed record(s) from %s: %d added, %d unchanged, new classes %s",
        report.confirmed,
        source.post,
        report.imported.added,
        report.imported.unchanged,
        sorted(report.new_classes) or "none",
    )
    return report
