"""The reference catalog: one SQLite file of taxa, reference images, provenance, embeddings.

Owns the catalog store (sqlite-utils) and its named migrations, the taxonomy (parent
chains, look-alikes) and the import of a reference folder (which embeds the photos).

May import: the foundation modules and ``idtool.model``. Knows no CITES rules: the CITES
listing tables live in the same file, but ``idtool.cites`` owns and applies their
migrations itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from idtool.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from idtool.catalog.reference_import import (
        IMAGE_SUFFIXES,
        ImportReport,
        Provenance,
        ReferenceEmbedder,
        add_images,
        import_reference_dir,
    )
    from idtool.catalog.store import (
        Catalog,
        ReferenceEmbeddings,
        ReferenceImage,
        current_user,
        now_iso,
        open_catalog_db,
    )
    from idtool.catalog.taxonomy import (
        ROLLUP_RANKS,
        TAXONOMY_FILE,
        TaxonRecord,
        infer_taxon,
        read_taxonomy_csv,
        rollup_groups,
    )

# the public names of this part, each imported from its module on first use
_EXPORTS: dict[str, str] = {
    "IMAGE_SUFFIXES": "idtool.catalog.reference_import",
    "ImportReport": "idtool.catalog.reference_import",
    "Provenance": "idtool.catalog.reference_import",
    "ReferenceEmbedder": "idtool.catalog.reference_import",
    "add_images": "idtool.catalog.reference_import",
    "import_reference_dir": "idtool.catalog.reference_import",
    "Catalog": "idtool.catalog.store",
    "ReferenceEmbeddings": "idtool.catalog.store",
    "ReferenceImage": "idtool.catalog.store",
    "current_user": "idtool.catalog.store",
    "now_iso": "idtool.catalog.store",
    "open_catalog_db": "idtool.catalog.store",
    "ROLLUP_RANKS": "idtool.catalog.taxonomy",
    "TAXONOMY_FILE": "idtool.catalog.taxonomy",
    "TaxonRecord": "idtool.catalog.taxonomy",
    "infer_taxon": "idtool.catalog.taxonomy",
    "read_taxonomy_csv": "idtool.catalog.taxonomy",
    "rollup_groups": "idtool.catalog.taxonomy",
}
__all__ = [
    "IMAGE_SUFFIXES",
    "ROLLUP_RANKS",
    "TAXONOMY_FILE",
    "Catalog",
    "ImportReport",
    "Provenance",
    "ReferenceEmbedder",
    "ReferenceEmbeddings",
    "ReferenceImage",
    "TaxonRecord",
    "add_images",
    "current_user",
    "import_reference_dir",
    "infer_taxon",
    "now_iso",
    "open_catalog_db",
    "read_taxonomy_csv",
    "rollup_groups",
]
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
