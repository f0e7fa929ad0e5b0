"""Cross-post links: two records at two posts (or in two cases) that show the same thing.

Three reasons, each with its evidence:

- ``same_original``: both records name the same file (same SHA-256);
- ``same_listing_photo``: the same, where one of them is a photo captured from an online
  listing (``idtool listings`` evidence, idempotency key ``listing:...``);
- ``near_duplicate``: their photos' 64-bit difference hashes (:mod:`idtool.hashing`, the
  same hash curation and listings use) are at most ``HASH_DISTANCE`` bits apart, also
  against the mirrored photo: a resized, re-encoded or flipped copy of the same picture.

Links are made as the data arrives (a record, then each original's hash) and never
removed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import psycopg

from idtool.errors import IdtoolError
from idtool.hashing import HASH_DISTANCE, difference_hash

log = logging.getLogger(__name__)

LISTING_KEY_PREFIX = "listing:"
MAX_DECODE_BYTES = 200 * 1024 * 1024
LINK_LOCK = 7_023_018  # pg_advisory_xact_lock key serialising link-making


@dataclass(frozen=True)
class RecordRef:
    post: str
    record_id: str
    case_ref: str | None
    idempotency_key: str | None


def to_signed(value: int) -> int:
    """An unsigned 64-bit hash as PostgreSQL's signed BIGINT."""
    return value - (1 << 64) if value >= 1 << 63 else value


def to_unsigned(value: int) -> int:
    return value + (1 << 64) if value < 0 else value


def photo_hashes(path: Path) -> tuple[int, int] | None:
    """The difference hash of the upright photo and of its mirror; None if not an image.

    A JPEG is decoded at 1/8 scale by libjpeg (a 12 MP photo becomes 504x378, a few MB of
    memory instead of 36): the hash only looks at a 9x8 thumbnail of it.
    """
    with path.open("rb") as handle:
        is_jpeg = handle.read(3) == b"\xff\xd8\xff"
    if is_jpeg:
        from PIL import Image, ImageOps, UnidentifiedImageError

        try:
            with Image.open(path) as image:
                image.draft("RGB", (max(1, image.width // 8), max(1, image.height // 8)))
                rgb = np.asarray(ImageOps.exif_transpose(image).convert("RGB"))
        except (UnidentifiedImageError, OSError, SyntaxError) as exc:
            log.info("no difference hash for %s: %s", path.name, exc)
            return None
    else:
        from idtool.model.preprocess import decode_image

        try:
            rgb = decode_image(path, max_bytes=MAX_DECODE_BYTES).rgb
        except IdtoolError as exc:
            log.info("no difference hash for %s: %s", path.name, exc)
            return None
    rgb = np.ascontiguousarray(rgb)
    return difference_hash(rgb), difference_hash(np.ascontiguousarray(rgb[:, ::-1]))


def _refs(conn: psycopg.Connection[Any], sha256: str) -> list[RecordRef]:
    rows = conn.execute(
        "SELECT r.post, r.id, r.case_ref, r.idempotency_key FROM record_photos p"
        " JOIN records r ON r.post = p.post AND r.id = p.record_id WHERE p.sha256 = %s",
        [sha256],
    ).fetchall()
    return [RecordRef(*row) for row in rows]


def _distinct(a: RecordRef, b: RecordRef) -> bool:
    """True when two records are at two posts or in two cases (worth a link)."""
    if (a.post, a.record_id) == (b.post, b.record_id):
        return False
    return a.post != b.post or a.case_ref != b.case_ref


def _where(ref: RecordRef) -> str:
    return f"{ref.post} case {ref.case_ref}" if ref.case_ref else f"{ref.post} (no case)"


def _insert(
    conn: psycopg.Connection[Any],
    kind: str,
    a: tuple[RecordRef, str],
    b: tuple[RecordRef, str],
    distance: int,
    reason: str,
) -> None:
    (ra, sa), (rb, sb) = sorted([a, b], key=lambda x: (x[0].post, x[0].record_id))
    conn.execute(
        "INSERT INTO links (kind, a_post, a_record, a_sha256, b_post, b_record, b_sha256,"
        " distance, reason) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
        [kind, ra.post, ra.record_id, sa, rb.post, rb.record_id, sb, distance, reason],
    )


def link_record(conn: psycopg.Connection[Any], post: str, record_id: str) -> None:
    """Link one record to every record elsewhere sharing or nearly sharing a photo."""
    row = conn.execute(
        "SELECT post, id, case_ref, idempotency_key FROM records WHERE post = %s AND id = %s",
        [post, record_id],
    ).fetchone()
    if row is None:
        return
    me = RecordRef(*row)
    shas = [
        r[0]
        for r in conn.execute(
            "SELECT sha256 FROM record_photos WHERE post = %s AND record_id = %s",
            [post, record_id],
        )
    ]
    for sha256 in shas:
        for other in _refs(conn, sha256):
            if not _distinct(me, other):
                continue
            listing = [
                ref
                for ref in (me, other)
                if (ref.idempotency_key or "").startswith(LISTING_KEY_PREFIX)
            ]
            kind = "same_listing_photo" if listing else "same_original"
            what = "the same listing photo" if listing else "the same file"
            reason = f"{what} (SHA-256 {sha256[:16]}...) in {_where(me)} and {_where(other)}"
            _insert(conn, kind, (me, sha256), (other, sha256), 0, reason)
    _link_near(conn, me, shas)


def _link_near(conn: psycopg.Connection[Any], me: RecordRef, shas: list[str]) -> None:
    mine = conn.execute(
        "SELECT sha256, dhash, mirror_dhash FROM photo_hashes"
        " WHERE sha256 = ANY(%s) AND dhash IS NOT NULL",
        [shas],
    ).fetchall()
    if not mine:
        return
    rows = conn.execute("SELECT sha256, dhash FROM photo_hashes WHERE dhash IS NOT NULL").fetchall()
    names = [r[0] for r in rows]
    all_hashes = np.array([to_unsigned(r[1]) for r in rows], dtype=np.uint64)
    for sha256, plain, mirror in mine:
        best = np.full(len(names), 65, dtype=np.int64)
        mirrored = np.zeros(len(names), dtype=bool)
        for is_mirror, value in ((False, plain), (True, mirror)):
            xor = np.bitwise_xor(all_hashes, np.uint64(to_unsigned(value)))
            bits = np.unpackbits(xor.view(np.uint8).reshape(-1, 8), axis=1).sum(axis=1)
            better = bits < best
            best = np.where(better, bits, best)
            mirrored = np.where(better, is_mirror, mirrored)
        for index in np.flatnonzero(best <= HASH_DISTANCE):
            other_sha = names[int(index)]
            if other_sha == sha256:
                continue
            distance = int(best[index])
            for other in _refs(conn, other_sha):
                if not _distinct(me, other):
                    continue
                reason = (
                    f"near-duplicate photos ({distance} of 64 bits apart in the difference "
                    f"hash{', one mirrored' if mirrored[index] else ''}) in {_where(me)} "
                    f"and {_where(other)}"
                )
                _insert(conn, "near_duplicate", (me, sha256), (other, other_sha), distance, reason)


def record_original(
    conn: psycopg.Connection[Any],
    sha256: str,
    byte_count: int,
    post: str,
    hashes: tuple[int, int] | None,
) -> bool:
    """Register a stored original with its difference hashes and link the records naming it.

    Call inside a transaction; ``hashes`` come from :func:`photo_hashes` (computed before,
    outside the link lock).

    Returns:
        True when the original was new to the hub.
    """
    lock_links(conn)
    cursor = conn.execute(
        "INSERT INTO originals (sha256, bytes, first_post) VALUES (%s, %s, %s)"
        " ON CONFLICT DO NOTHING",
        [sha256, byte_count, post],
    )
    if cursor.rowcount == 0:
        return False
    conn.execute(
        "INSERT INTO photo_hashes (sha256, dhash, mirror_dhash, note) VALUES (%s, %s, %s, %s)"
        " ON CONFLICT DO NOTHING",
        [
            sha256,
            None if hashes is None else to_signed(hashes[0]),
            None if hashes is None else to_signed(hashes[1]),
            None if hashes is not None else "not an image",
        ],
    )
    if hashes is not None:
        for ref in _refs(conn, sha256):
            link_record(conn, ref.post, ref.record_id)
    return True


def lock_links(conn: psycopg.Connection[Any]) -> None:
    """Serialise link-making until this transaction ends.

    Two posts pushing records of the same photo at the same moment would otherwise each
    miss the other's uncommitted record, and the link would never be made: the second to
    take this lock sees the first one's committed rows.
    """
    conn.execute("SELECT pg_advisory_xact_lock(%s)", [LINK_LOCK])
