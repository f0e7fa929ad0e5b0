"""Schema of the reference catalog, as named sqlite-utils migrations (never DROP)."""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

catalog_migrations = Migrations("idtool_catalog")


@catalog_migrations(name="0001_initial")
def _initial(db: Database) -> None:
    db.table("taxa").create(
        {
            "label": str,
            "scientific_name": str,
            "rank": str,
            "kingdom": str,
            "phylum": str,
            "class_name": str,
            "order_name": str,
            "family": str,
            "genus": str,
            "common_names": str,  # JSON list
            "is_material": int,
            "is_lookalike": int,  # non-wildlife lookalike class (resin, plastic, ceramic...)
            "added_at": str,
        },
        pk="label",
    )
    db.table("images").create(
        {
            "id": int,
            "label": str,
            "path": str,  # absolute path of the stored file
            "rel_path": str,  # path relative to the imported reference root
            "sha256": str,
            "width": int,
            "height": int,
            "bytes": int,
            "licence": str,
            "source": str,
            "photographer": str,
            "notes": str,
            "added_at": str,
            "added_by": str,
            "active": int,
        },
        pk="id",
        foreign_keys=[("label", "taxa", "label")],
    )
    db.table("images").create_index(["path"], unique=True)
    db.table("images").create_index(["sha256"])
    db.table("images").create_index(["label"])
    db.table("embeddings").create(
        {
            "image_id": int,
            "embedding_version": str,
            "sha256": str,  # of the image bytes the vector was computed from
            "dim": int,
            "vector": bytes,  # float32 little-endian, L2-normalised
            "created_at": str,
        },
        pk=("image_id", "embedding_version"),
        foreign_keys=[("image_id", "images", "id")],
    )
    db.table("history").create(
        {"id": int, "at": str, "who": str, "action": str, "label": str, "details": str},
        pk="id",
    )
    db.table("meta").create({"key": str, "value": str}, pk="key")


@catalog_migrations(name="0002_evaluations")
def _evaluations(db: Database) -> None:
    """Stored summaries of ``idtool evaluate`` runs, with the versions they measured."""
    db.table("evaluations").create(
        {
            "id": int,
            "at": str,
            "who": str,
            "model_version": str,
            "reference_version": str,
            "embedding_version": str,
            "seed": int,
            "folds": int,
            "images": int,
            "classes": int,
            "top1_accuracy": float,
            "top3_accuracy": float,
            "ece": float,
            "wrong_identification_rate": float,
            "summary": str,  # the full summary.json document
        },
        pk="id",
    )
    db.table("evaluations").create_index(["reference_version"])
