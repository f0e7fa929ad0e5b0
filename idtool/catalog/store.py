"""The reference catalog: taxa, reference images, their embeddings, and history.

One SQLite file (sqlite-utils), schema applied through named migrations. The
``reference_version`` is derived from the active (label, sha256) pairs, so it changes
whenever the reference set changes and never otherwise.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sqlite_utils import Database

from idtool.catalog.migrations import catalog_migrations
from idtool.catalog.taxonomy import TaxonRecord
from idtool.errors import CatalogError, EmptyReference, NotFound


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def current_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def open_catalog_db(path: Path) -> Database:
    """Open (creating if needed) the catalog database and apply the catalog's migrations.

    The CITES listing tables share this file; :mod:`idtool.cites` applies their
    migrations itself when it first touches them.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = Database(path)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA foreign_keys=ON")
        db.execute("PRAGMA busy_timeout=10000")
    except Exception as exc:  # sqlite3 raises several types; report one clear error
        raise CatalogError(f"cannot open the catalog {path}: {exc}") from None
    catalog_migrations.apply(db)
    return db


@dataclass(frozen=True)
class ReferenceImage:
    id: int
    label: str
    path: str
    rel_path: str
    sha256: str
    width: int
    height: int
    licence: str | None
    source: str | None


@dataclass(frozen=True)
class ReferenceEmbeddings:
    """All active reference embeddings of one embedding version, ready for search."""

    vectors: np.ndarray  # n x dim float32, L2-normalised
    labels: tuple[str, ...]
    image_ids: tuple[int, ...]
    paths: tuple[str, ...]
    reference_version: str
    embedding_version: str

    @property
    def classes(self) -> tuple[str, ...]:
        return tuple(sorted(set(self.labels)))


class Catalog:
    """Operations on the reference catalog."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @classmethod
    def open(cls, path: Path) -> Catalog:
        return cls(open_catalog_db(path))

    def close(self) -> None:
        self.db.close()

    # taxa ---------------------------------------------------------------------------
    def upsert_taxon(self, taxon: TaxonRecord) -> None:
        row = taxon.to_row()
        existing = self.db.table("taxa").count_where("label = ?", [taxon.label])
        if existing:
            row.pop("added_at", None)
            self.db.table("taxa").update(taxon.label, row)
        else:
            row["added_at"] = now_iso()
            self.db.table("taxa").insert(row)

    def taxa(self) -> dict[str, TaxonRecord]:
        return {r["label"]: TaxonRecord.from_row(r) for r in self.db.table("taxa").rows}

    def taxon(self, label: str) -> TaxonRecord:
        rows = list(self.db.table("taxa").rows_where("label = ?", [label]))
        if not rows:
            raise NotFound(f"no class {label!r} in the catalog (see `idtool reference list`)")
        return TaxonRecord.from_row(rows[0])

    # images -------------------------------------------------------------------------
    def image_by_path(self, path: str) -> dict[str, Any] | None:
        rows = list(self.db.table("images").rows_where("path = ?", [path]))
        return rows[0] if rows else None

    def active_images(self, label: str | None = None) -> list[ReferenceImage]:
        where, args = "active = 1", []
        if label is not None:
            where, args = "active = 1 and label = ?", [label]
        return [
            ReferenceImage(
                id=r["id"],
                label=r["label"],
                path=r["path"],
                rel_path=r["rel_path"],
                sha256=r["sha256"],
                width=r["width"],
                height=r["height"],
                licence=r["licence"],
                source=r["source"],
            )
            for r in self.db.table("images").rows_where(where, args, order_by="label, rel_path")
        ]

    def class_counts(self) -> list[dict[str, Any]]:
        return list(
            self.db.query(
                "select t.label, t.rank, t.is_material, t.is_lookalike, count(i.id) as images,"
                " sum(case when i.licence is null or i.licence = '' then 1 else 0 end)"
                " as missing_licence"
                " from taxa t left join images i on i.label = t.label and i.active = 1"
                " group by t.label order by t.label"
            )
        )

    def record_history(
        self, action: str, label: str | None, details: dict[str, Any], who: str | None = None
    ) -> None:
        """Append to the change history (``who`` defaults to the login name)."""
        self.db.table("history").insert(
            {
                "at": now_iso(),
                "who": who or current_user(),
                "action": action,
                "label": label,
                "details": json.dumps(details, sort_keys=True),
            }
        )

    # embeddings ---------------------------------------------------------------------
    def store_embedding(
        self, image_id: int, embedding_version: str, sha256: str, vector: np.ndarray
    ) -> None:
        vec = np.asarray(vector, dtype="<f4")
        self.db.table("embeddings").upsert(
            {
                "image_id": image_id,
                "embedding_version": embedding_version,
                "sha256": sha256,
                "dim": int(vec.shape[0]),
                "vector": vec.tobytes(),
                "created_at": now_iso(),
            },
            pk=("image_id", "embedding_version"),
        )

    def has_embedding(self, image_id: int, embedding_version: str, sha256: str) -> bool:
        return bool(
            self.db.table("embeddings").count_where(
                "image_id = ? and embedding_version = ? and sha256 = ?",
                [image_id, embedding_version, sha256],
            )
        )

    def reference_version(self) -> str:
        """A short hash of the active (label, sha256) pairs: changes iff the set changes."""
        digest = hashlib.sha256()
        for row in self.db.query(
            "select label, sha256 from images where active = 1 order by label, sha256"
        ):
            digest.update(f"{row['label']}\t{row['sha256']}\n".encode())
        return "ref-" + digest.hexdigest()[:12]

    def load_embeddings(self, embedding_version: str) -> ReferenceEmbeddings:
        """All active reference embeddings for ``embedding_version``.

        Raises:
            EmptyReference: there are none (nothing imported, or imported with another model).
        """
        rows = list(
            self.db.query(
                "select i.id, i.label, i.path, e.vector, e.dim from images i"
                " join embeddings e on e.image_id = i.id and e.sha256 = i.sha256"
                " where i.active = 1 and e.embedding_version = ? order by i.label, i.rel_path",
                [embedding_version],
            )
        )
        if not rows:
            raise EmptyReference(
                "the catalog has no reference embeddings for this model: run "
                "`idtool reference import reference_images` first"
            )
        dims = {r["dim"] for r in rows}
        if len(dims) != 1:
            raise CatalogError(f"embeddings of several sizes {sorted(dims)} under one version")
        vectors = np.frombuffer(b"".join(r["vector"] for r in rows), dtype="<f4").reshape(
            len(rows), dims.pop()
        )
        return ReferenceEmbeddings(
            vectors=np.ascontiguousarray(vectors, dtype=np.float32),
            labels=tuple(r["label"] for r in rows),
            image_ids=tuple(r["id"] for r in rows),
            paths=tuple(r["path"] for r in rows),
            reference_version=self.reference_version(),
            embedding_version=embedding_version,
        )


def labels_of(images: Iterable[ReferenceImage]) -> list[str]:
    return sorted({img.label for img in images})
