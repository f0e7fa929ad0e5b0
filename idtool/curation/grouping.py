"""Which photos are near-duplicates of each other (so that they share a fold, or get flagged).

Two photos are linked when their embeddings have cosine >= ``NEAR_DUPLICATE_COSINE`` or
their 64-bit difference hashes (mirror included) differ in at most ``HASH_DISTANCE`` bits;
the hash catches resized or re-encoded copies whose embeddings drift apart. Photos of one
seized item (lab-confirmed field photos, kept in one ``item-<record id>`` folder by
``idtool reference import-confirmed``) always share a group, however different they look.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from idtool.errors import IdtoolError
from idtool.hashing import HASH_DISTANCE, difference_hash, linked_components
from idtool.model.preprocess import decode_image

NEAR_DUPLICATE_COSINE = 0.95
ITEM_FOLDER_PREFIX = "item-"  # one folder per seized item (see idtool.learn.field_import)


def item_pairs(paths: Sequence[str]) -> list[tuple[int, int]]:
    """Links between photos kept in the same ``item-*`` folder (one seized item)."""
    first: dict[str, int] = {}
    pairs: list[tuple[int, int]] = []
    for i, path in enumerate(paths):
        folder = Path(path).parent
        if folder.name.startswith(ITEM_FOLDER_PREFIX):
            key = str(folder)
            if key in first:
                pairs.append((first[key], i))
            else:
                first[key] = i
    return pairs


def near_duplicate_group_ids(
    paths: Sequence[str],
    vectors: np.ndarray,
    *,
    cosine: float = NEAR_DUPLICATE_COSINE,
    hash_distance: int = HASH_DISTANCE,
) -> np.ndarray:
    """One group id per photo: photos linked by an embedding cosine >= ``cosine`` or a
    difference-hash distance <= ``hash_distance`` (mirror included) share a group.

    The hash catches resized and re-encoded copies whose embeddings drift below the
    cosine threshold. An unreadable file is linked by its embedding only.
    """
    n = len(paths)
    pairs: list[tuple[int, int]] = item_pairs(paths)
    if n > 1:
        sims = vectors @ vectors.T
        rows, cols = np.nonzero(np.triu(sims >= cosine, k=1))
        pairs += list(zip(rows.tolist(), cols.tolist(), strict=True))
    plain = np.zeros(n, dtype=np.uint64)
    mirror = np.zeros(n, dtype=np.uint64)
    readable = np.zeros(n, dtype=bool)
    for i, path in enumerate(paths):
        try:
            rgb = decode_image(Path(path)).rgb
        except IdtoolError:
            continue
        plain[i] = difference_hash(rgb)
        mirror[i] = difference_hash(np.ascontiguousarray(rgb[:, ::-1]))
        readable[i] = True
    distance = np.minimum(
        np.bitwise_count(plain[:, None] ^ plain[None, :]),
        np.bitwise_count(plain[:, None] ^ mirror[None, :]),
    )
    close = (distance <= hash_distance) & readable[:, None] & readable[None, :]
    rows, cols = np.nonzero(np.triu(close, k=1))
    pairs += list(zip(rows.tolist(), cols.tolist(), strict=True))
    groups = np.arange(n)
    for members in linked_components(n, pairs):
        groups[members] = min(members)
    return groups
