"""A file cache of training embeddings, so a photo is embedded once per model and recipe.

``idtool train`` and ``idtool evaluate`` embed every reference photo in several views and
read its surface tiles; on a small machine that is most of their time. The cache keeps,
per photo, the view embeddings and the tile embeddings under the SHA-256 of the file's
bytes, in a folder named after everything that changes them: the embedding version, the
runtime engine, the number of random crops (only 0 is cached: crops depend on the seed
and on the photo's order) and the tile settings. Adding ten photos to a 900-photo set
then embeds ten photos. A cached entry is a small ``.npz`` written to a temporary file
and renamed, so an interrupted run never leaves a half-written entry.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from idtool.atomic import atomic_open
from idtool.decide.texture import TextureView

log = logging.getLogger(__name__)


def training_cache_root(home: Path) -> Path:
    """Where ``idtool train`` and ``idtool evaluate`` cache photo embeddings."""
    return home / "cache" / "training-embeddings"


@dataclass(frozen=True)
class CachedPhoto:
    """One photo's embeddings: ``views`` (n_views x dim) and ``tiles`` (n_tiles x dim)."""

    views: np.ndarray
    tiles: np.ndarray


@dataclass(frozen=True)
class EmbeddingCache:
    """Training embeddings on disk, one folder per model, engine and recipe."""

    folder: Path

    @classmethod
    def for_recipe(
        cls,
        root: Path,
        embedding_version: str,
        engine_name: str,
        crops: int,
        texture: TextureView | None,
    ) -> EmbeddingCache | None:
        """The cache folder for this recipe under ``root``, or None when it cannot be
        cached (random crops)."""
        if crops:
            return None
        recipe = {
            "embedding_version": embedding_version,
            "engine": engine_name,
            "crops": crops,
            "tiles": texture.to_dict() if texture else None,
        }
        key = hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:16]
        return cls(root / f"{embedding_version}-{key}")

    def _path(self, sha256: str) -> Path:
        return self.folder / sha256[:2] / f"{sha256}.npz"

    def get(self, sha256: str) -> CachedPhoto | None:
        """The cached embeddings of the photo with these bytes, or None."""
        path = self._path(sha256)
        if not path.is_file():
            return None
        try:
            with np.load(path) as stored:
                return CachedPhoto(views=stored["views"], tiles=stored["tiles"])
        except (OSError, ValueError, KeyError) as err:
            log.warning("ignoring unreadable cache entry %s: %s", path, err)
            return None

    def put(self, sha256: str, photo: CachedPhoto) -> None:
        """Store a photo's embeddings (temporary file, then rename)."""
        with atomic_open(self._path(sha256), "wb") as out:
            np.savez(out, views=photo.views, tiles=photo.tiles)
