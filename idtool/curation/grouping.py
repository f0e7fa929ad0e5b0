"""Which photos are near-duplicates of each other (so that they share a fold, or get flagged).

Two photos are linked when their embeddings have cosine >= ``NEAR_DUPLICATE_COSINE`` or
their 64-bit difference hashes (mirror included) differ in at most ``HASH_DISTANCE`` bits;
the hash catches resized or re-encoded copies whose embeddings drift apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from idtool.errors import IdtoolError
from idtool.model.preprocess import decode_image

NEAR_DUPLICATE_COSINE = 0.95
HASH_DISTANCE = 6  # of 64 bits


def difference_hash(rgb: np.ndarray) -> int:
    """64-bit difference hash of an RGB image (grey, 9x8, left-right gradient signs)."""
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    small = cv2.resize(grey, (9, 8), interpolation=cv2.INTER_AREA).astype(np.int16)
    bits = (small[:, 1:] > small[:, :-1]).flatten()
    return int("".join("1" if b else "0" for b in bits), 2)


def linked_components(n: int, pairs: list[tuple[int, int]]) -> list[list[int]]:
    """Groups (of two or more) of the graph with ``n`` nodes and edges ``pairs``."""
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in pairs:
        parent[find(i)] = find(j)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(i)
    return [g for g in groups.values() if len(g) > 1]


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
    pairs: list[tuple[int, int]] = []
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
