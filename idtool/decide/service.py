"""Assemble the pieces a front end needs (bundle, engine, catalog) from settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from idtool.catalog.reference_import import ReferenceEmbedder
from idtool.catalog.store import Catalog
from idtool.cites import load_listing_index
from idtool.cites.listing_index import ListingIndex
from idtool.config import Settings
from idtool.decide.identify import Identifier
from idtool.model.bundle import ModelBundle, load_bundle
from idtool.model.discovery import resolve_bundle_dir
from idtool.model.runtime import EmbeddingEngine, load_engine


@dataclass
class IdentificationService:
    """What identification needs, opened together: the model bundle and its embedding engine,
    the reference catalog, and (on first use) the CITES listing index. Build once per process.

    The embedding engines themselves live in :mod:`idtool.model.runtime`.
    """

    settings: Settings
    bundle: ModelBundle
    engine: EmbeddingEngine
    catalog: Catalog
    _listings: ListingIndex | None = field(default=None, repr=False)

    @classmethod
    def open(cls, settings: Settings, runtime: str = "auto") -> IdentificationService:
        """Load the bundle and its engine (``runtime``: auto, onnx, onnx-int8, torch) and open
        the catalog.

        Raises:
            ModelBundleError: no usable model bundle.
        """
        bundle = load_bundle(resolve_bundle_dir(settings))
        return cls(
            settings=settings,
            bundle=bundle,
            engine=load_engine(bundle, runtime, settings.inference_threads),
            catalog=Catalog.open(settings.catalog_path),
        )

    def embedder(self) -> ReferenceEmbedder:
        return ReferenceEmbedder(self.bundle, self.engine)

    def identifier(self) -> Identifier:
        """An identifier over the catalog's current reference embeddings.

        Raises:
            EmptyReference: nothing has been imported for this model yet.
        """
        reference = self.catalog.load_embeddings(self.bundle.embedding_version)
        return Identifier(self.bundle, self.engine, reference, self.catalog.taxa())

    def listings(self) -> ListingIndex:
        """The CITES listing index (current sets, or the bundled table); loaded once."""
        if self._listings is None:
            self._listings = load_listing_index(self.catalog.db)
        return self._listings

    def close(self) -> None:
        self.catalog.close()
