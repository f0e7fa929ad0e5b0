"""Read market listings (adverts) out of WARC files (``.warc``, ``.warc.gz``) with ``warcio``.

Each HTML response is a listing; its photos are the image responses of the same archive
whose target URI an ``<img src>`` of the page resolves to. Image payloads are written
byte for byte to ``CAPTURE_DIR/<sha256>.<ext>`` (so they can be identified, shown and
exported as evidence); so are the HTML payloads. A truncated or corrupt record ends the
reading of that file: the listings read before it are kept and one error entry says
where the archive broke.
"""

from __future__ import annotations

import hashlib
import logging
import zlib
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from idtool.atomic import write_atomic
from idtool.hashing import sha256_file
from idtool.listings.html_page import decode_page, fill_from_page, markup_warnings, parse_page
from idtool.listings.records import CapturedFile, ImageRef, MarketListing, market_listing_error

log = logging.getLogger(__name__)

IMAGE_TYPES = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/heic": "heic",
    "image/bmp": "bmp",
    "image/tiff": "tif",
}
MAX_PAYLOAD_BYTES = 64 * 1024 * 1024


def store_payload(capture_dir: Path, data: bytes, ext: str) -> tuple[Path, str]:
    """Write ``data`` as ``<sha256>.<ext>`` (temp file + rename; kept if already there)."""
    sha256 = hashlib.sha256(data).hexdigest()
    path = capture_dir / f"{sha256}.{ext}"
    if not path.is_file():
        write_atomic(path, data)
    return path, sha256


def _content_type(record: object) -> str:
    headers = getattr(record, "http_headers", None)
    value = headers.get_header("Content-Type") if headers is not None else None
    return (value or "").split(";")[0].strip().lower()


def _charset(record: object) -> str:
    headers = getattr(record, "http_headers", None)
    value = (headers.get_header("Content-Type") if headers is not None else None) or ""
    for part in value.split(";")[1:]:
        key, _, charset = part.strip().partition("=")
        if key.lower() == "charset" and charset:
            return charset.strip("\"' ")
    return "utf-8"


class BrokenRecord(ValueError):
    """A record that ends before its declared length, or whose digest does not match."""


def _check_complete(record: Any, read_bytes: int) -> None:
    remaining = getattr(record.raw_stream, "limit", 0) or 0
    if read_bytes <= MAX_PAYLOAD_BYTES and remaining > 0:
        raise BrokenRecord(f"{remaining} of its declared bytes are missing")
    checker = getattr(record, "digest_checker", None)
    if checker is not None and checker.passed is False:
        raise BrokenRecord("its WARC digest does not match its content")


def read_warc(path: Path, source: str, capture_dir: Path) -> list[MarketListing]:
    """Every HTML response of a WARC file as a listing (plus one error entry if it breaks).

    Never raises for a bad archive.
    """
    try:
        warc_sha = sha256_file(path)
        warc_file = CapturedFile("warc", path.resolve(), warc_sha, path.stat().st_size)
    except OSError as exc:
        bad = MarketListing(id=path.name, source=source, source_kind="warc", locator="file")
        bad.error = market_listing_error("unreadable", f"cannot read {path.name}: {exc.strerror}")
        return [bad]
    pages: list[tuple[MarketListing, str, str]] = []  # listing, url, markup
    images: dict[str, tuple[Path, str, int]] = {}
    broken: MarketListing | None = None
    offset = 0
    try:
        with path.open("rb") as handle:
            iterator = ArchiveIterator(handle, check_digests=True)
            for record in iterator:
                # get_record_offset() reads the record to its end: only after the payload
                if record.rec_type != "response":
                    offset = iterator.get_record_offset() + iterator.get_record_length()
                    continue
                uri = record.rec_headers.get_header("WARC-Target-URI") or ""
                ctype = _content_type(record)
                if ctype == "text/html" or ctype in IMAGE_TYPES:
                    data = record.content_stream().read(MAX_PAYLOAD_BYTES + 1)
                    _check_complete(record, len(data))
                    record_offset = iterator.get_record_offset()
                    if len(data) > MAX_PAYLOAD_BYTES:
                        log.warning(
                            "%s: payload of %s over %d bytes skipped", path, uri, MAX_PAYLOAD_BYTES
                        )
                        continue
                    date = record.rec_headers.get_header("WARC-Date")
                    if ctype in IMAGE_TYPES:
                        stored, sha = store_payload(capture_dir, data, IMAGE_TYPES[ctype])
                        images[uri] = (stored, sha, len(data))
                        offset = record_offset + iterator.get_record_length()
                        continue
                    stored, sha = store_payload(capture_dir, data, "html")
                    listing = MarketListing(
                        id=uri or f"{path.name}@{record_offset}",
                        source=source,
                        source_kind="warc",
                        locator=str(record_offset),
                        captured_at=date,
                    )
                    listing.captured += [
                        warc_file,
                        CapturedFile("warc_payload", stored, sha, len(data)),
                    ]
                    markup, listing.warnings = decode_page(data, _charset(record))
                    listing.warnings += markup_warnings(markup, saved_by_browser=False)
                    pages.append((listing, uri, markup))
                    offset = record_offset + iterator.get_record_length()
    except (ArchiveLoadFailed, zlib.error, EOFError, OSError, ValueError, LookupError) as exc:
        broken = MarketListing(
            id=f"{path.name}@{offset}", source=source, source_kind="warc", locator=str(offset)
        )
        broken.captured.append(warc_file)
        broken.error = market_listing_error(
            "truncated_warc",
            f"{path.name}: the record at byte {offset} is truncated or corrupt "
            f"({type(exc).__name__}: {exc}); the listings before it were read",
        )
    listings = []
    for listing, uri, markup in pages:
        facts = parse_page(markup, uri or None)
        fill_from_page(listing, facts)
        listing.url = uri or facts.url
        listing.platform = urlsplit(listing.url or "").hostname
        for src in facts.image_srcs:
            target = urljoin(uri, src)
            found = images.get(target)
            if found is None:
                listing.images.append(ImageRef(src, None, error="not in the archive"))
            else:
                listing.images.append(ImageRef(src, found[0], found[1], found[2]))
        if not (listing.title or listing.description):
            listing.error = market_listing_error(
                "broken_html", "no title or visible text in the page"
            )
        listings.append(listing)
    if broken is not None:
        listings.append(broken)
    return listings
