"""Curating the reference set: add, remove, rename a class, show a class with its provenance.

Every change is one transaction and one ``history`` row (who, when, what, why); the
``reference_version`` changes whenever the active (label, sha256) set changes.

- :func:`add_photos` copies the photos into ``<store>/<Class_dir>/`` (the originals are
  never touched) unless asked to record them where they are, refuses a photo that is
  already in the set under another label, and embeds the new photos.
- :func:`remove_photos` deactivates (``active = 0``) with a reason; no row or file is deleted.
- :func:`rename_class` moves the images and the taxon row to a new label.
- :func:`show_class` and :func:`provenance_summary` answer "where does this set come from".
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from idtool.atomic import copy_atomic
from idtool.catalog.reference_import import (
    IMAGE_SUFFIXES,
    ImportReport,
    Provenance,
    ReferenceEmbedder,
    add_images,
)
from idtool.catalog.store import Catalog
from idtool.catalog.taxonomy import TAXONOMY_FILE, TaxonRecord, infer_taxon, read_taxonomy_csv
from idtool.config import SHIPPED_REFERENCE_DIR
from idtool.errors import BadField, Conflict, IdtoolError, NotFound
from idtool.hashing import sha256_file
from idtool.model.preprocess import DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS, decode_image
from idtool.types import MATERIAL_PREFIX, label_from_class_dir

log = logging.getLogger(__name__)

_LINEAGE_RANKS = ("kingdom", "phylum", "class", "order", "family", "genus")


def class_dir_for(label: str) -> str:
    """``Panthera tigris`` (or ``Panthera_tigris``) -> ``Panthera_tigris``; materials unchanged."""
    label = label.strip()
    if label.startswith(MATERIAL_PREFIX):
        return label
    return "_".join(label.split()).replace(" ", "_")


def normalise_label(name: str) -> str:
    """The catalog label for a class name given as a label or a folder name.

    Raises:
        BadField: the name is not ``Genus species``, a taxon name or ``material_<name>``.
    """
    return infer_taxon(class_dir_for(name)).label


def _taxonomy_row(taxon: TaxonRecord) -> dict[str, str]:
    """A TAXONOMY.csv-shaped row that makes :func:`infer_taxon` rebuild ``taxon``."""
    row = {rank: taxon.lineage.get(rank, "") for rank in _LINEAGE_RANKS}
    row["rank"] = "" if taxon.is_material else taxon.rank
    row["common_names"] = ";".join(taxon.common_names)
    row["is_lookalike"] = "1" if taxon.is_lookalike else ""
    return row


def _shipped_taxonomy_row(class_dir: str) -> dict[str, str] | None:
    return read_taxonomy_csv(SHIPPED_REFERENCE_DIR / TAXONOMY_FILE).get(class_dir)


@dataclass
class AddReport:
    """What ``reference add`` did, per file."""

    label: str
    added: list[dict[str, Any]] = field(default_factory=list)  # path, original, sha256
    skipped: list[dict[str, str]] = field(default_factory=list)  # path, code, message
    embedded: int = 0
    reference_version_before: str = ""
    reference_version: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "added": self.added,
            "skipped": self.skipped,
            "embedded": self.embedded,
            "reference_version_before": self.reference_version_before,
            "reference_version": self.reference_version,
        }


def _sha_labels(catalog: Catalog) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for row in catalog.db.query("select sha256, label from images where active = 1"):
        out.setdefault(row["sha256"], set()).add(row["label"])
    return out


def _copy_into(store: Path, class_dir: str, source: Path, sha256: str) -> Path:
    """Copy ``source`` to ``store/class_dir/`` (temp file then rename); never overwrite.

    An identical file already there is reused; a different file of the same name gets
    the first 8 hex digits of the content hash appended.
    """
    folder = store / class_dir
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / source.name
    if target.exists():
        if target.resolve() == source.resolve():
            return target
        if sha256_file(target) == sha256:
            return target
        target = folder / f"{source.stem}-{sha256[:8]}{source.suffix}"
        if target.exists():
            return target  # same name and same hash prefix: the same content
    copy_atomic(source, target)
    return target


def add_photos(
    catalog: Catalog,
    embedder: ReferenceEmbedder,
    label: str,
    paths: Sequence[Path],
    provenance: Provenance,
    *,
    store_dir: Path | None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> AddReport:
    """Add photos of one class to the reference set and embed them.

    Args:
        catalog: the open catalog.
        embedder: embeds the new photos with the current model.
        label: ``Panthera tigris``, ``Panthera_tigris``, ``Scleractinia`` or ``material_<name>``;
            a new class is created (taxonomy from the shipped TAXONOMY.csv when it has a row).
        paths: image files; folders are not expanded.
        provenance: source, licence, photographer (and notes) recorded for every file.
        store_dir: reference root to copy the photos into (``<store>/<Class_dir>/``); ``None``
            records the files where they are (they must then stay there).
        max_bytes: refuse files larger than this.
        max_pixels: refuse images with more pixels than this.

    Returns:
        Per file: added, or skipped with the reason (unreadable, duplicate...).

    Raises:
        BadField: ``label`` is not a valid class name.
    """
    class_dir = class_dir_for(label)
    existing = catalog.taxa()
    new_label = infer_taxon(class_dir).label
    if new_label in existing:
        taxonomy_row: dict[str, str] | None = _taxonomy_row(existing[new_label])
    else:
        taxonomy_row = _shipped_taxonomy_row(class_dir)
    report = AddReport(label=new_label, reference_version_before=catalog.reference_version())
    known = _sha_labels(catalog)
    accepted: list[tuple[Path, str, Provenance]] = []
    originals: dict[str, str] = {}
    for raw in paths:
        path = Path(raw).expanduser()
        try:
            if path.suffix.lower() not in IMAGE_SUFFIXES:
                raise BadField(f"{path.name} does not have an image extension")
            decoded = decode_image(path, max_bytes=max_bytes, max_pixels=max_pixels)
            labels = known.get(decoded.sha256, set())
            if new_label in labels:
                raise Conflict(f"this photo is already in the reference set under {new_label}")
            if labels:
                raise Conflict(
                    f"this photo is already in the reference set under {', '.join(sorted(labels))}; "
                    "one photo under two labels is a bug: remove it there first "
                    "(`idtool reference remove`) or rename that class"
                )
            if store_dir is not None:
                stored = _copy_into(
                    store_dir.expanduser().resolve(), class_dir, path, decoded.sha256
                )
                rel_path = f"{class_dir}/{stored.name}"
            else:
                stored, rel_path = path.resolve(), path.name
        except (IdtoolError, OSError) as exc:
            code = exc.code if isinstance(exc, IdtoolError) else "os_error"
            message = exc.message if isinstance(exc, IdtoolError) else str(exc)
            report.skipped.append({"path": str(path), "code": code, "message": message})
            continue
        known.setdefault(decoded.sha256, set()).add(new_label)
        notes = provenance.notes or (f"added from {path.resolve()}" if store_dir else None)
        accepted.append(
            (
                stored,
                rel_path,
                Provenance(provenance.licence, provenance.source, provenance.photographer, notes),
            )
        )
        originals[str(stored.resolve())] = str(path.resolve())
    if accepted:
        imported = ImportReport()
        add_images(
            catalog,
            embedder,
            class_dir,
            accepted,
            imported,
            taxonomy_row=taxonomy_row,
            max_bytes=max_bytes,
            max_pixels=max_pixels,
        )
        report.embedded = imported.embedded
        report.skipped.extend(
            {"path": p, "code": "skipped", "message": r} for p, r in imported.skipped
        )
        for stored, _, _ in accepted:
            row = catalog.image_by_path(str(stored.resolve()))
            if row is not None:
                report.added.append(
                    {
                        "id": row["id"],
                        "path": row["path"],
                        "original": originals[row["path"]],
                        "sha256": row["sha256"],
                    }
                )
    report.reference_version = catalog.reference_version()
    if report.added:
        catalog.record_history(
            "reference_add",
            new_label,
            {
                "files": report.added,
                "source": provenance.source,
                "licence": provenance.licence,
                "photographer": provenance.photographer,
                "reference_version_before": report.reference_version_before,
                "reference_version": report.reference_version,
            },
        )
    return report


def _find_image(catalog: Catalog, target: str) -> dict[str, Any]:
    """An image row by id, recorded path, path on disk, or path relative to its root.

    Raises:
        NotFound: nothing matches.
        BadField: a relative path matches several images.
    """
    images = catalog.db.table("images")
    if target.isdigit():
        rows = list(images.rows_where("id = ?", [int(target)]))
        if rows:
            return rows[0]
    candidates = [target, str(Path(target).expanduser().resolve())]
    for candidate in candidates:
        rows = list(images.rows_where("path = ?", [candidate]))
        if rows:
            return rows[0]
    rows = list(images.rows_where("rel_path = ?", [target]))
    if len(rows) == 1:
        return rows[0]
    if len(rows) > 1:
        raise BadField(f"{target} matches {len(rows)} images; give the id or the full path")
    raise NotFound(
        f"no reference image {target!r} (give an id, a path, or a path such as "
        "Panthera_tigris/tiger_01.jpg; see `idtool reference show CLASS`)"
    )


def remove_photos(
    catalog: Catalog,
    targets: Iterable[str],
    reason: str,
    *,
    label: str | None = None,
) -> list[dict[str, Any]]:
    """Deactivate reference images (``active = 0``); rows and files are kept.

    Args:
        catalog: the open catalog.
        targets: image ids or paths (see :func:`_find_image`).
        reason: why, recorded in the history (required).
        label: also remove every active image of this class.

    Returns:
        The images deactivated (id, label, path, sha256).

    Raises:
        BadField: no reason, or nothing to remove.
        NotFound: a target or the class does not exist.
    """
    if not reason.strip():
        raise BadField("say why the photos are removed (--reason); it goes into the history")
    rows = [_find_image(catalog, str(t)) for t in targets]
    if label is not None:
        label = normalise_label(label)
        catalog.taxon(label)  # NotFound if absent
        rows.extend(catalog.db.table("images").rows_where("label = ? and active = 1", [label]))
    if not rows:
        raise BadField("nothing to remove: give image ids or paths, or --class")
    before = catalog.reference_version()
    removed: list[dict[str, Any]] = []
    seen: set[int] = set()
    with catalog.db.atomic():
        for row in rows:
            if row["id"] in seen or not row["active"]:
                continue
            seen.add(row["id"])
            catalog.db.table("images").update(row["id"], {"active": 0})
            removed.append(
                {
                    "id": row["id"],
                    "label": row["label"],
                    "path": row["path"],
                    "sha256": row["sha256"],
                }
            )
        after = catalog.reference_version()
        for lab in sorted({r["label"] for r in removed}):
            catalog.record_history(
                "reference_remove",
                lab,
                {
                    "reason": reason,
                    "files": [r for r in removed if r["label"] == lab],
                    "reference_version_before": before,
                    "reference_version": after,
                },
            )
    return removed


@dataclass(frozen=True)
class RenameReport:
    old_label: str
    new_label: str
    images: int
    merged: bool
    reference_version_before: str
    reference_version: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "old_label": self.old_label,
            "new_label": self.new_label,
            "images": self.images,
            "merged": self.merged,
            "reference_version_before": self.reference_version_before,
            "reference_version": self.reference_version,
        }


def rename_class(catalog: Catalog, old: str, new: str, *, merge: bool = False) -> RenameReport:
    """Move every image (active or not) and the taxon row of ``old`` to ``new``, atomically.

    The new class keeps the old lineage (with the genus taken from a new binomial) and
    common names, unless the shipped TAXONOMY.csv has a row for it. Provenance, embeddings
    and history rows are untouched; the history gets a ``class_rename`` row holding the
    old taxon record.

    Raises:
        NotFound: ``old`` is not a class.
        Conflict: ``new`` already exists and ``merge`` is false.
        BadField: ``new`` is not a valid class name, or equals ``old``.
    """
    old_label = normalise_label(old)
    old_taxon = catalog.taxon(old_label)
    new_dir = class_dir_for(new)
    new_label = infer_taxon(new_dir).label
    if new_label == old_label:
        raise BadField(f"{old_label} is already called that")
    if old_taxon.is_material != new_label.startswith(MATERIAL_PREFIX):
        raise BadField("a material class can only be renamed to another material_<name> class")
    exists = new_label in catalog.taxa()
    if exists and not merge:
        raise Conflict(
            f"class {new_label} already exists; pass --merge to move {old_label}'s photos into it"
        )
    shipped = _shipped_taxonomy_row(new_dir)
    row = shipped or _taxonomy_row(old_taxon)
    if shipped is None and not old_taxon.is_material:
        words = label_from_class_dir(new_dir).split()
        if len(words) != len(old_label.split()):
            row["rank"] = ""  # inferred from the new name
        if len(words) >= 2:
            row["genus"] = words[0]
    new_taxon = infer_taxon(new_dir, row)
    before = catalog.reference_version()
    with catalog.db.atomic():
        if not exists:
            catalog.upsert_taxon(new_taxon)
        count = catalog.db.table("images").count_where("label = ?", [old_label])
        catalog.db.execute("update images set label = ? where label = ?", [new_label, old_label])
        catalog.db.table("taxa").delete(old_label)
        after = catalog.reference_version()
        catalog.record_history(
            "class_rename",
            old_label,
            {
                "old_label": old_label,
                "new_label": new_label,
                "images": count,
                "merged": exists,
                "old_taxon": old_taxon.to_dict(),
                "reference_version_before": before,
                "reference_version": after,
            },
        )
    return RenameReport(old_label, new_label, count, exists, before, after)


@dataclass(frozen=True)
class ClassView:
    """One class with all of its images (active or not), provenance and history."""

    taxon: TaxonRecord
    images: list[dict[str, Any]]
    history: list[dict[str, Any]]
    reference_version: str

    @property
    def active_count(self) -> int:
        return sum(1 for img in self.images if img["active"])

    def to_dict(self) -> dict[str, Any]:
        return {
            "taxon": self.taxon.to_dict(),
            "active_images": self.active_count,
            "images": self.images,
            "history": self.history,
            "reference_version": self.reference_version,
        }


_IMAGE_FIELDS = (
    "id",
    "path",
    "rel_path",
    "sha256",
    "width",
    "height",
    "licence",
    "source",
    "photographer",
    "notes",
    "added_at",
    "added_by",
    "active",
)


def show_class(catalog: Catalog, label: str) -> ClassView:
    """A class's taxon record, every image it ever had, and its history.

    History rows are matched by label, so a renamed class shows the rows recorded under
    its old name too (through its ``class_rename`` rows).

    Raises:
        NotFound: no such class.
    """
    label = normalise_label(label)
    taxon = catalog.taxon(label)
    images = [
        {k: row[k] for k in _IMAGE_FIELDS}
        for row in catalog.db.table("images").rows_where("label = ?", [label], order_by="rel_path")
    ]
    labels = {label}
    history_rows = list(catalog.db.table("history").rows_where(order_by="id"))
    for row in reversed(history_rows):  # follow renames back to earlier names
        if row["action"] == "class_rename":
            details = json.loads(row["details"] or "{}")
            if details.get("new_label") in labels:
                labels.add(details["old_label"])
    history = [
        {**row, "details": json.loads(row["details"] or "{}")}
        for row in history_rows
        if row["label"] in labels
    ]
    return ClassView(taxon, images, history, catalog.reference_version())


def provenance_summary(catalog: Catalog) -> list[dict[str, Any]]:
    """Active image counts per (class, source, licence); a missing value reads ``None``."""
    return list(
        catalog.db.query(
            "select label, source, licence, count(*) as images from images where active = 1"
            " group by label, source, licence order by label, images desc"
        )
    )


def history(catalog: Catalog, label: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """The newest ``limit`` history rows (optionally of one label), oldest first."""
    where, args = (None, []) if label is None else ("label = ?", [normalise_label(label)])
    rows = list(
        catalog.db.table("history").rows_where(where, args, order_by="id desc", limit=limit)
    )
    return [{**row, "details": json.loads(row["details"] or "{}")} for row in reversed(rows)]
