"""Content hashes: the SHA-256 of a file's bytes (the one hash that catalog, evidence,
bundles and batch jobs store) and the 64-bit difference hash that finds resized or
re-encoded copies of a photo, with the union-find that groups what such hashes link
(near-duplicate folds in curation, linked listings)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import cv2
import numpy as np

CHUNK_BYTES = 1 << 20
HASH_DISTANCE = 6  # of 64 bits: near-duplicate photos


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of the file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


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
