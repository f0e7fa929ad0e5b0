"""Importing reference photos into the catalog (idempotent) and embedding them.

``import_reference_dir(DIR)`` reads ``DIR/<class folder>/<image>``, with optional
``DIR/SOURCES.csv`` (provenance per file) and ``DIR/TAXONOMY.csv`` (parent chains).
Importing twice adds nothing; a file whose bytes changed is updated and re-embedded.
Files that cannot be read are reported, never fatal.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from idtool.catalog.store import Catalog, current_user, now_iso
from idtool.catalog.taxonomy import TAXONOMY_FILE, infer_taxon, read_taxonomy_csv
from idtool.config import SHIPPED_REFERENCE_DIR
from idtool.errors import BadField, CatalogError, IdtoolError, NotFound
from idtool.model.bundle import ModelBundle
from idtool.model.preprocess import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_PIXELS,
    DecodedImage,
    decode_image,
)
from idtool.model.runtime import EmbeddingEngine, embed_decoded

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = {
    ".jpg",
    ".jpeg",
    ".png",
    ".webp",
    ".heic",
    ".heif",
    ".bmp",
    ".tif",
    ".tiff",
    ".gif",
}
SOURCES_FILE = "SOURCES.csv"
EMBED_BATCH = 16


@dataclass(frozen=True)
class Provenance:
    licence: str | None = None
    source: str | None = None
    photographer: str | None = None
    notes: str | None = None


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    embedded: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    classes: list[str] = field(default_factory=list)
    reference_version: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "embedded": self.embedded,
            "skipped": [{"path": p, "reason": r} for p, r in self.skipped],
            "classes": self.classes,
            "reference_version": self.reference_version,
        }


def read_sources_csv(path: Path) -> dict[str, Provenance]:
    """Provenance rows keyed by the file path relative to the reference root."""
    if not path.is_file():
        return {}
    out: dict[str, Provenance] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            rel = (row.get("file") or "").strip()
            if not rel:
                continue
            source_bits = [row.get("source_repo"), row.get("source_path")]
            source = row.get("source") or ":".join(b for b in source_bits if b) or None
            if row.get("source_commit"):
                source = f"{source}@{row['source_commit'][:7]}"
            out[rel] = Provenance(
                licence=(row.get("licence") or row.get("license") or "").strip() or None,
                source=source,
                photographer=(row.get("photographer") or "").strip() or None,
                notes=(row.get("notes") or "").strip() or None,
            )
    return out


def iter_class_dirs(root: Path) -> list[Path]:
    if not root.is_dir():
        raise NotFound(f"reference folder {root} does not exist")
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))


def image_files(folder: Path) -> list[Path]:
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".")
    )


class ReferenceEmbedder:
    """Embeds decoded reference images with one engine, in batches."""

    def __init__(self, bundle: ModelBundle, engine: EmbeddingEngine) -> None:
        self.bundle = bundle
        self.engine = engine

    def embed(self, images: Sequence[DecodedImage]) -> np.ndarray:
        return embed_decoded(self.bundle, self.engine, images)


def _upsert_image(
    catalog: Catalog, label: str, path: Path, rel_path: str, decoded: DecodedImage, prov: Provenance
) -> tuple[int, str]:
    """Insert or update one image row; returns (id, 'added'|'updated'|'unchanged')."""
    key = str(path.resolve())
    existing = catalog.image_by_path(key)
    row = {
        "label": label,
        "path": key,
        "rel_path": rel_path,
        "sha256": decoded.sha256,
        "width": decoded.original_size_px[0],
        "height": decoded.original_size_px[1],
        "bytes": decoded.byte_count,
        "licence": prov.licence,
        "source": prov.source,
        "photographer": prov.photographer,
        "notes": prov.notes,
        "active": 1,
    }
    if existing is None:
        row.update(added_at=now_iso(), added_by=current_user())
        table = catalog.db.table("images")
        table.insert(row)
        if table.last_pk is None:
            raise CatalogError(f"{path}: the catalog did not return an id for the new image")
        return int(table.last_pk), "added"
    changed = any(existing.get(k) != v for k, v in row.items())
    if changed:
        catalog.db.table("images").update(existing["id"], row)
        return int(existing["id"]), "updated"
    return int(existing["id"]), "unchanged"


def add_images(
    catalog: Catalog,
    embedder: ReferenceEmbedder,
    class_dir_name: str,
    files: Iterable[tuple[Path, str, Provenance]],
    report: ImportReport,
    *,
    taxonomy_row: dict[str, str] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> None:
    """Add (or refresh) images of one class and embed the ones that need it."""
    taxon = infer_taxon(class_dir_name, taxonomy_row)
    pending: list[tuple[int, DecodedImage]] = []
    with catalog.db.atomic():
        catalog.upsert_taxon(taxon)
        for path, rel_path, prov in files:
            try:
                decoded = decode_image(
                    path,
                    max_bytes=max_bytes,
                    max_pixels=max_pixels,
                    fit=embedder.bundle.preprocess,
                )
            except IdtoolError as exc:
                report.skipped.append((str(path), f"{exc.code}: {exc.message}"))
                continue
            image_id, outcome = _upsert_image(catalog, taxon.label, path, rel_path, decoded, prov)
            setattr(report, outcome, getattr(report, outcome) + 1)
            if outcome != "unchanged":
                catalog.record_history(
                    outcome, taxon.label, {"path": str(path), "sha256": decoded.sha256}
                )
            if not catalog.has_embedding(
                image_id, embedder.bundle.embedding_version, decoded.sha256
            ):
                pending.append((image_id, decoded))
    for start in range(0, len(pending), EMBED_BATCH):
        chunk = pending[start : start + EMBED_BATCH]
        vectors = embedder.embed([decoded for _, decoded in chunk])
        with catalog.db.atomic():
            for (image_id, decoded), vector in zip(chunk, vectors, strict=True):
                catalog.store_embedding(
                    image_id, embedder.bundle.embedding_version, decoded.sha256, vector
                )
        report.embedded += len(chunk)
    if taxon.label not in report.classes:
        report.classes.append(taxon.label)


def import_reference_dir(
    catalog: Catalog,
    embedder: ReferenceEmbedder,
    root: Path,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    progress: Callable[[str], None] | None = None,
) -> ImportReport:
    """Import every class folder under ``root``. Idempotent.

    Raises:
        NotFound: ``root`` does not exist.
        BadField: a class folder name is not a valid class name.
    """
    root = root.resolve()
    sources = read_sources_csv(root / SOURCES_FILE)
    taxonomy = read_taxonomy_csv(root / TAXONOMY_FILE) or read_taxonomy_csv(
        SHIPPED_REFERENCE_DIR / TAXONOMY_FILE
    )
    report = ImportReport()
    class_dirs = iter_class_dirs(root)
    if not class_dirs:
        raise BadField(f"{root} has no class folders (expected {root}/<Genus_species>/*.jpg)")
    for folder in class_dirs:
        files = [
            (
                path,
                path.relative_to(root).as_posix(),
                sources.get(path.relative_to(root).as_posix(), Provenance()),
            )
            for path in image_files(folder)
        ]
        for other in sorted(set(folder.iterdir()) - {f for f, _, _ in files}):
            if other.is_file() and not other.name.startswith("."):
                report.skipped.append((str(other), "not an image file (by extension)"))
        if progress:
            progress(f"{folder.name}: {len(files)} file(s)")
        add_images(
            catalog,
            embedder,
            folder.name,
            files,
            report,
            taxonomy_row=taxonomy.get(folder.name),
            max_bytes=max_bytes,
            max_pixels=max_pixels,
        )
    report.reference_version = catalog.reference_version()
    return report
