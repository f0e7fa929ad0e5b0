"""Link market listings that share a photo, a seller handle, a phone number or a messaging handle.

One trader posts the same stock in many places: listings sharing any of these keys are
joined (union-find, :func:`idtool.hashing.linked_components`) into a cluster:

- ``photo``: the same photo bytes (SHA-256), or a near-duplicate (64-bit difference
  hashes, mirror included, at most :data:`idtool.hashing.HASH_DISTANCE` bits apart:
  resized or re-encoded copies);
- ``seller``: the same seller handle (case-insensitive, without ``@``);
- ``phone``: the same phone number written in the text (compared on its last 9 digits,
  so ``+84 912 345 678`` and ``0912345678`` match);
- ``handle``: the same messaging handle (WeChat, Telegram, Line, ``@name``, ``t.me/``).

Near-duplicate search puts hashes in buckets by 7 bands of bits: two hashes within 6 bits
agree on at least one band, so only listings sharing a bucket are compared.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from idtool.hashing import HASH_DISTANCE, linked_components

PHONE_DIGITS = 9  # compared suffix
_PHONE = re.compile(r"(?<![\w+])(?:\+|00)?\d[\d\s().\-]{6,18}\d(?!\w)")
_CONTACT_WORDS = re.compile(
    r"(tel|phone|call|text|sms|whatsapp|wa|zalo|viber|signal|mobile|cell|sdt|sđt|"
    r"điện thoại|电话|手机|微信|联系|contact|llamar|telefono|téléphone|appel)",
    re.IGNORECASE,
)
# A service name is a whole word. Names that are also ordinary words or letters inside
# words ("line", "signal", "ig" in "figure") need "id", ":" or "=" before the handle.
_SERVICE_HANDLE = re.compile(
    r"(?<![A-Za-z])(?:(?P<service>wechat|weixin|微信|telegram|kakao|zalo|whatsapp|instagram)"
    r"(?![A-Za-z])\s*(?:id)?\s*[:：=]?|(?P<short>vx|wx|tg|line|signal|ig)(?![A-Za-z])"
    r"\s*(?:id\s*[:：=]?|[:：=]))\s*@?(?P<handle>[A-Za-z][A-Za-z0-9_.\-]{2,31})",
    re.IGNORECASE,
)
_URL_HANDLE = re.compile(
    r"(?:t\.me|telegram\.me|instagram\.com|wa\.me)/(?P<handle>[\w.]{3,32})", re.I
)
_AT_HANDLE = re.compile(r"(?<![\w.@])@(?P<handle>[A-Za-z0-9_][A-Za-z0-9_.]{2,29})\b")
_BANDS = (0, 9, 18, 27, 36, 45, 54, 64)


@dataclass(frozen=True)
class ContactKeys:
    """The linking keys found in one listing."""

    seller: str | None
    phones: tuple[str, ...]
    handles: tuple[str, ...]


def normalise_handle(handle: str) -> str:
    return handle.strip().lstrip("@").rstrip(".").casefold()


def find_phones(text: str) -> list[str]:
    """Phone numbers in free text (a leading ``+``/``00`` or a contact word nearby)."""
    phones = []
    for match in _PHONE.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if not 8 <= len(digits) <= 15:
            continue
        before = text[max(0, match.start() - 24) : match.start()]
        international = match.group().startswith(("+", "00"))
        if international or _CONTACT_WORDS.search(before):
            phones.append(digits[-PHONE_DIGITS:])
    return list(dict.fromkeys(phones))


def find_handles(text: str) -> list[str]:
    """Messaging and social handles in free text, as ``service:handle`` or ``@handle``."""
    handles = []
    for match in _SERVICE_HANDLE.finditer(text):
        handle = match.group("handle")
        if handle.isdigit():
            continue
        handles.append(normalise_handle(handle))
    for match in _URL_HANDLE.finditer(text):
        if not match.group("handle").isdigit():
            handles.append(normalise_handle(match.group("handle")))
    for match in _AT_HANDLE.finditer(text):
        handles.append(normalise_handle(match.group("handle")))
    return list(dict.fromkeys(h for h in handles if len(h) >= 3))


def contact_keys(seller: str | None, text: str) -> ContactKeys:
    return ContactKeys(
        seller=normalise_handle(seller) if seller and seller.strip() else None,
        phones=tuple(find_phones(text)),
        handles=tuple(find_handles(text)),
    )


@dataclass
class Clusters:
    """The cluster of each listing (None when linked to nothing) and why."""

    cluster_of: list[str | None]
    sizes: dict[str, int]
    links: list[list[str]] = field(default_factory=list)  # per listing: the shared keys


def _near_pairs(hashes: Sequence[tuple[int, int, int]], distance: int) -> set[tuple[int, int]]:
    """Pairs of photo indexes (a < b) whose hashes are within ``distance`` bits (mirror too).

    ``hashes``: (photo index, hash, mirrored hash).
    """
    buckets: dict[tuple[int, int], list[int]] = {}
    for pos, (_, plain, _mirror) in enumerate(hashes):
        for band, (lo, hi) in enumerate(itertools.pairwise(_BANDS)):
            buckets.setdefault((band, (plain >> lo) & ((1 << (hi - lo)) - 1)), []).append(pos)
    pairs: set[tuple[int, int]] = set()
    for pos, (_, plain, mirror) in enumerate(hashes):
        for probe in (plain, mirror):
            for band, (lo, hi) in enumerate(itertools.pairwise(_BANDS)):
                for other in buckets.get((band, (probe >> lo) & ((1 << (hi - lo)) - 1)), []):
                    if other == pos:
                        continue
                    if (hashes[other][1] ^ probe).bit_count() <= distance:
                        a, b = sorted((hashes[pos][0], hashes[other][0]))
                        if a != b:
                            pairs.add((a, b))
    return pairs


def cluster_listings(
    contacts: Sequence[ContactKeys],
    photos: Sequence[Sequence[tuple[str, int | None, int | None]]],
    *,
    hash_distance: int = HASH_DISTANCE,
) -> Clusters:
    """Group listings by shared keys.

    Args:
        contacts: per listing, its seller and the phones and handles in its text.
        photos: per listing, ``(sha256, dhash, mirrored dhash)`` of each readable photo
            (hashes None when the photo could not be decoded).
        hash_distance: most differing bits for near-duplicate photos.

    Returns:
        Cluster ids ``C0001``... in order of each cluster's first listing, the size of
        each cluster and, per listing, the keys it shares with others.
    """
    n = len(contacts)
    owners: dict[str, list[int]] = {}
    for i, keys in enumerate(contacts):
        found = [f"seller:{keys.seller}"] if keys.seller else []
        found += [f"phone:…{p[-4:]}:{p}" for p in keys.phones]
        found += [f"handle:{h}" for h in keys.handles]
        found += [f"photo:{sha[:12]}" for sha, _, _ in photos[i]]
        for key in dict.fromkeys(found):
            owners.setdefault(key, []).append(i)
    pairs: list[tuple[int, int]] = []
    links: list[list[str]] = [[] for _ in range(n)]
    for key, members in owners.items():
        if len(members) > 1:
            pairs += [(members[0], m) for m in members[1:]]
            for m in members:
                links[m].append(key.split(":", 2)[0] + ":" + key.split(":", 2)[1])
    photo_hashes = [
        (i, plain, mirror)
        for i, listing_photos in enumerate(photos)
        for _, plain, mirror in listing_photos
        if plain is not None and mirror is not None
    ]
    shas = [{sha for sha, _, _ in listing_photos} for listing_photos in photos]
    for a, b in sorted(_near_pairs(photo_hashes, hash_distance)):
        pairs.append((a, b))
        if shas[a] & shas[b]:
            continue  # already linked by the same bytes
        for m in (a, b):
            if "photo:near-duplicate" not in links[m]:
                links[m].append("photo:near-duplicate")
    cluster_of: list[str | None] = [None] * n
    sizes: dict[str, int] = {}
    groups = sorted(linked_components(n, pairs), key=min)
    for number, members in enumerate(groups, start=1):
        cluster_id = f"C{number:04d}"
        sizes[cluster_id] = len(members)
        for m in members:
            cluster_of[m] = cluster_id
    return Clusters(cluster_of, sizes, [list(dict.fromkeys(x)) for x in links])
