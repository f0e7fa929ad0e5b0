"""What a worker process loads once: model, reference set, listings, evidence store.

:func:`load_model_state` caches by (model, catalog, runtime) so every app built in one
process shares one loaded model; requests never open the catalog again (its SQLite
connection belongs to the loading thread), they use what was read here.
"""

from __future__ import annotations

import io
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import current_app
from PIL import Image, ImageOps

from idtool import __version__
from idtool.cites import ListingIndex, load_listing_index
from idtool.config import Settings
from idtool.decide.identify import Identifier
from idtool.decide.service import IdentificationService
from idtool.errors import IdtoolError, NotFound
from idtool.evidence.store import EvidenceStore
from idtool.learn.update_install import installed_stamp, read_installed
from idtool.model.discovery import resolve_bundle_dir
from idtool.model.preprocess import DecodedImage
from idtool.model.runtime import ONNX_DIR
from idtool.types import Identification
from server.rate_limit import RateLimiter

log = logging.getLogger(__name__)

THUMBNAIL_PX = 320
THUMBNAIL_CACHE_ITEMS = 512


@dataclass(frozen=True)
class ReferencePhoto:
    """A reference image the API may show (by id only; its path never leaves the server)."""

    image_id: int
    label: str
    path: Path
    licence: str | None
    source: str | None


@dataclass
class LoadedModel:
    """The read-only, shareable part: loaded once per process."""

    service: IdentificationService
    identifier: Identifier
    listings: ListingIndex
    references: dict[int, ReferencePhoto]
    lock: threading.Lock = field(default_factory=threading.Lock)
    update_version: str | None = None  # the signed update in use (idtool update apply)

    @property
    def listing_set(self) -> str | None:
        """``name@sha256[:12]`` of each listing set guidance uses, joined with ``+``."""
        if not self.listings.sets:
            return None
        return "+".join(f"{s.name}@{s.sha256[:12]}" for s in self.listings.sets)

    def identify(self, image: DecodedImage, name: str) -> Identification:
        """One identification; one at a time per process (the engine uses every core)."""
        with self.lock:
            return self.identifier.identify_decoded([image], [name])[0]

    def versions(self) -> dict[str, Any]:
        bundle = self.service.bundle
        return {
            "idtool_version": __version__,
            "model_version": bundle.version,
            "embedding_version": bundle.embedding_version,
            "engine": self.identifier.engine.name,
            "reference_version": self.identifier.reference.reference_version,
            "reference_images": len(self.references),
            "listing_set": self.listing_set,
            "listing_sets": [s.to_dict() for s in self.listings.sets],
            "update_version": self.update_version,
        }


_MODELS: dict[tuple[str, str, str, str], LoadedModel] = {}
_MODELS_LOCK = threading.Lock()


def load_model_state(settings: Settings, runtime: str = "auto") -> LoadedModel:
    """Load (or reuse) the model, reference embeddings and listing index for ``settings``.

    Raises:
        ModelBundleError: no usable model bundle.
        EmptyReference: the catalog has no reference embeddings for this model.
    """
    key = (
        str(resolve_bundle_dir(settings)),
        str(settings.catalog_path),
        runtime,
        str(installed_stamp(settings)),
    )
    with _MODELS_LOCK:
        if key not in _MODELS:
            service = IdentificationService.open(settings, runtime)
            identifier = service.identifier()
            listings = load_listing_index(service.catalog.db)
            references = {
                img.id: ReferencePhoto(img.id, img.label, Path(img.path), img.licence, img.source)
                for img in service.catalog.active_images()
                if img.id in set(identifier.reference.image_ids)
            }
            engine_name = identifier.engine.name
            log.info(
                "loaded model %s with engine %s, reference %s (%d images), listings %s",
                service.bundle.version,
                engine_name,
                identifier.reference.reference_version,
                len(references),
                [s.name for s in listings.sets],
            )
            if runtime == "auto" and engine_name == "torch":
                log.warning(
                    "model %s has no valid ONNX export in %s: identifying with torch, "
                    "several times slower; run `idtool export onnx --model %s` and restart",
                    service.bundle.version,
                    service.bundle.path / ONNX_DIR,
                    service.bundle.path,
                )
            installed = read_installed(settings)
            for old in [k for k in _MODELS if k[1:3] == key[1:3]]:
                del _MODELS[old]  # replaced by an update: free the old model
            _MODELS[key] = LoadedModel(
                service,
                identifier,
                listings,
                references,
                update_version=installed.version if installed else None,
            )
        return _MODELS[key]


class ServerState:
    """Everything the request handlers need, stored in ``app.extensions["idtool"]``."""

    def __init__(
        self, settings: Settings, model: LoadedModel, store: EvidenceStore, runtime: str = "auto"
    ) -> None:
        self.settings = settings
        self._model = model
        self._runtime = runtime
        self._stamp = installed_stamp(settings)
        self._reload_lock = threading.Lock()
        self.store = store
        self.limiter = RateLimiter(settings.rate_limit_per_minute)
        self._thumbs: OrderedDict[int, bytes] = OrderedDict()
        self._thumbs_lock = threading.Lock()

    @property
    def model(self) -> LoadedModel:
        """The loaded model; reloaded when an update was installed or rolled back.

        One ``stat`` of ``$IDTOOL_HOME/updates/installed.json`` per call: the next request
        after ``idtool update apply`` uses the new model, reference set and listings,
        without a restart. If the new state cannot be loaded, the old one stays in use.
        """
        stamp = installed_stamp(self.settings)
        if stamp != self._stamp:
            with self._reload_lock:
                if stamp != self._stamp:
                    try:
                        self._model = load_model_state(self.settings, self._runtime)
                    except IdtoolError as exc:
                        log.error("update not loaded, keeping the previous model: %s", exc)
                    else:
                        log.info("reloaded after an update: %s", self._model.update_version)
                        with self._thumbs_lock:
                            self._thumbs.clear()
                    self._stamp = stamp
        return self._model

    def representative_image(self, label: str) -> int | None:
        """Some reference image id of ``label`` (for a candidate with no near neighbour)."""
        for photo in self.model.references.values():
            if photo.label == label:
                return photo.image_id
        return None

    def thumbnail(self, image_id: int) -> tuple[bytes, ReferencePhoto]:
        """A small JPEG of a reference photo, cached in memory.

        Raises:
            NotFound: no active reference image with this id.
        """
        photo = self.model.references.get(image_id)
        if photo is None:
            raise NotFound(f"no reference image {image_id}")
        with self._thumbs_lock:
            cached = self._thumbs.get(image_id)
            if cached is not None:
                self._thumbs.move_to_end(image_id)
                return cached, photo
        try:
            with Image.open(photo.path) as source:
                small = ImageOps.exif_transpose(source).convert("RGB")
                small.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
                out = io.BytesIO()
                small.save(out, "JPEG", quality=80, optimize=True)
        except OSError as exc:
            raise NotFound(f"reference image {image_id} cannot be read: {exc}") from None
        data = out.getvalue()
        with self._thumbs_lock:
            self._thumbs[image_id] = data
            while len(self._thumbs) > THUMBNAIL_CACHE_ITEMS:
                self._thumbs.popitem(last=False)
        return data, photo


def current_state() -> ServerState:
    state: ServerState = current_app.extensions["idtool"]
    return state
