"""Read a market listing (an advert) out of an HTML page with selectolax (Lexbor).

Used for pages saved from a browser ("Web page, complete": ``page.html`` plus its
``page_files/`` folder) and for the HTML responses of a WARC file. The parser copes with
broken markup the way browsers do; regular expressions are only used on the extracted
visible text (prices), never on markup.
"""

from __future__ import annotations

import codecs
import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from idtool.hashing import sha256_file
from idtool.listings.records import CapturedFile, ImageRef, MarketListing, market_listing_error

INVISIBLE = ("script", "style", "noscript", "template", "svg", "head", "iframe")
SKIPPED_IMAGE_SUFFIXES = (".svg", ".gif", ".ico")
MIN_IMAGE_ATTR_PX = 64  # <img width=16> is an icon, not a photo of the goods
MAX_TEXT_CHARS = 20_000
_META_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_\-]+)""", re.IGNORECASE)
_CLOSING_HTML = re.compile(r"</html\s*>", re.IGNORECASE)
_SAVED_FROM = re.compile(r"<!-- saved from url=\(\d+\)(\S+) -->")
_PRICE = re.compile(
    r"(?P<cur>US\$|\$|€|£|¥|￥|₫|EUR|USD|GBP|CNY|RMB|VND|元|đ)\s?(?P<num>\d[\d.,\s]*\d|\d)"
    r"|(?P<num2>\d[\d.,\s]*\d|\d)\s?(?P<cur2>€|£|¥|₫|EUR|USD|GBP|CNY|RMB|VND|元|đ|dong|euros?)\b",
    re.IGNORECASE,
)
_CURRENCY = {
    "$": "USD",
    "us$": "USD",
    "€": "EUR",
    "euro": "EUR",
    "euros": "EUR",
    "£": "GBP",
    "¥": "CNY",
    "￥": "CNY",
    "元": "CNY",
    "rmb": "CNY",
    "₫": "VND",
    "đ": "VND",
    "dong": "VND",
}
SELLER_SELECTORS = (
    "[itemprop=seller] [itemprop=name]",
    "[itemprop=seller]",
    "[data-seller]",
    ".seller-name",
    ".seller",
    ".username",
    "meta[name=author]",
)


@dataclass
class PageFacts:
    """What a page says about the listing on it."""

    title: str = ""
    text: str = ""
    url: str | None = None
    price: str | None = None
    currency: str | None = None
    seller: str | None = None
    posted_at: str | None = None
    image_srcs: list[str] = field(default_factory=list)


def _meta(tree: LexborHTMLParser, *names: str) -> str | None:
    for name in names:
        for attr in ("property", "name", "itemprop"):
            node = tree.css_first(f'meta[{attr}="{name}"]')
            if node is not None and (node.attributes.get("content") or "").strip():
                return str(node.attributes["content"]).strip()
    return None


def _node_text(node: LexborNode | None) -> str:
    if node is None:
        return ""
    return " ".join(node.text(separator=" ").split())


def find_price(text: str) -> tuple[str | None, str | None]:
    """The first price-like string in visible text: ``(amount, ISO currency)``."""
    match = _PRICE.search(text)
    if match is None:
        return None, None
    amount = (match.group("num") or match.group("num2") or "").strip()
    currency = (match.group("cur") or match.group("cur2") or "").strip()
    return amount, _CURRENCY.get(currency.casefold(), currency.upper())


def parse_page(markup: str, page_url: str | None = None) -> PageFacts:
    """Title, visible text, price, seller, date and image sources of one HTML page."""
    tree = LexborHTMLParser(markup)
    facts = PageFacts()
    saved = _SAVED_FROM.search(markup[:2000])
    canonical = tree.css_first("link[rel=canonical]")
    facts.url = (
        _meta(tree, "og:url")
        or (str(canonical.attributes.get("href") or "") if canonical is not None else "")
        or (saved.group(1) if saved else None)
        or page_url
    )
    facts.title = (
        _meta(tree, "og:title")
        or _node_text(tree.css_first("h1"))
        or _node_text(tree.css_first("title"))
    )
    facts.posted_at = _meta(tree, "article:published_time", "datePosted", "date")
    time_node = tree.css_first("time[datetime]")
    if facts.posted_at is None and time_node is not None:
        facts.posted_at = str(time_node.attributes.get("datetime") or "") or None
    facts.price = _meta(tree, "product:price:amount", "og:price:amount", "price")
    facts.currency = _meta(tree, "product:price:currency", "og:price:currency", "priceCurrency")
    for selector in SELLER_SELECTORS:
        node = tree.css_first(selector)
        if node is None:
            continue
        value = (
            node.attributes.get("content") or node.attributes.get("data-seller") or _node_text(node)
        )
        if value and value.strip():
            facts.seller = value.strip()[:200]
            break
    for img in tree.css("img"):
        src = (img.attributes.get("src") or img.attributes.get("data-src") or "").strip()
        if not src or src.startswith("data:"):
            continue
        if urlsplit(src).path.lower().endswith(SKIPPED_IMAGE_SUFFIXES):
            continue
        sizes = [img.attributes.get("width"), img.attributes.get("height")]
        if any(s and s.isdigit() and int(s) < MIN_IMAGE_ATTR_PX for s in sizes):
            continue
        if src not in facts.image_srcs:
            facts.image_srcs.append(src)
    body = tree.body
    if body is not None:
        for tag in INVISIBLE:
            for node in body.css(tag):
                node.decompose()
        facts.text = _node_text(body)[:MAX_TEXT_CHARS]
    if facts.price is None:
        facts.price, facts.currency = find_price(f"{facts.title} {facts.text}")
    return facts


def decode_page(data: bytes, charset: str | None = None) -> tuple[str, list[dict[str, str]]]:
    """The text of an HTML payload and what was wrong with its bytes.

    The charset is the one given (an HTTP header), else the page's ``<meta charset>``,
    else UTF-8. Bytes that are not valid in it are replaced (U+FFFD) and reported as an
    ``invalid_bytes`` warning, so a half-saved page is read as far as it goes.
    """
    declared = charset
    if declared is None:
        found = _META_CHARSET.search(data[:4096])
        declared = found.group(1).decode("ascii") if found else "utf-8"
    try:
        codecs.lookup(declared)
    except LookupError:
        declared = "utf-8"
    try:
        return data.decode(declared), []
    except UnicodeDecodeError:
        text = data.decode(declared, errors="replace")
    bad = text.count("\ufffd") - data.decode(declared, errors="ignore").count("\ufffd")
    return text, [
        market_listing_error(
            "invalid_bytes",
            f"{max(bad, 1)} byte sequence(s) are not valid {declared}: replaced, the text "
            "around them may be garbled",
        )
    ]


def markup_warnings(markup: str, *, saved_by_browser: bool = True) -> list[dict[str, str]]:
    """Signs that a page was saved or captured in part.

    A page that ends inside a tag was cut. A page saved by a browser is written from the
    whole document and always ends with ``</html>``; a server's response may leave it out
    (HTML allows it), so ``saved_by_browser=False`` checks only the unterminated tag.
    """
    tail = markup.rstrip()
    if not tail:
        return []
    warnings = []
    if tail.rfind("<") > tail.rfind(">"):
        warnings.append(
            market_listing_error(
                "truncated_html", "the page ends inside an unterminated tag: it was saved in part"
            )
        )
    elif saved_by_browser and not _CLOSING_HTML.search(tail[-4096:]):
        warnings.append(
            market_listing_error(
                "truncated_html", "the page has no closing </html>: it may have been saved in part"
            )
        )
    return warnings


def _local_image(src: str, page: Path) -> ImageRef:
    """The saved copy of an ``<img src>`` of a page saved from a browser."""
    parts = urlsplit(src)
    if parts.scheme in ("http", "https") or src.startswith("//"):
        return ImageRef(src, None, error="not saved with the page (remote address)")
    path = (page.parent / unquote(parts.path)).resolve()
    if not path.is_file():
        return ImageRef(src, None, error=f"missing: {path.name} is not in the saved folder")
    return ImageRef(src, path)


def read_saved_page(path: Path, source: str) -> MarketListing:
    """One listing from a page saved by a browser (``.html`` + ``_files/`` folder).

    Never raises for a bad page: unreadable files and pages with no text come back with
    ``error`` set.
    """
    listing = MarketListing(id=path.stem, source=source, source_kind="html", locator="page")
    try:
        data = path.read_bytes()
    except OSError as exc:
        listing.error = market_listing_error(
            "unreadable", f"cannot read {path.name}: {exc.strerror}"
        )
        return listing
    listing.captured.append(CapturedFile("page", path.resolve(), sha256_file(path), len(data)))
    stat = path.stat()
    listing.captured_at = dt.datetime.fromtimestamp(stat.st_mtime, dt.UTC).isoformat(
        timespec="seconds"
    )
    listing.notes.append("captured_at is the saved file's modification time")
    if b"\x00" in data[:4096]:
        listing.error = market_listing_error("broken_html", f"{path.name} is not an HTML text file")
        return listing
    markup, listing.warnings = decode_page(data)
    listing.warnings += markup_warnings(markup)
    facts = parse_page(markup)
    fill_from_page(listing, facts)
    listing.images = [_local_image(src, path) for src in facts.image_srcs]
    if not (listing.title or listing.description):
        listing.error = market_listing_error(
            "broken_html", f"{path.name}: no title or visible text could be read from the page"
        )
    return listing


def fill_from_page(listing: MarketListing, facts: PageFacts) -> None:
    listing.url = facts.url
    listing.title = facts.title
    listing.description = facts.text
    listing.price = facts.price
    listing.currency = facts.currency
    listing.seller = facts.seller
    listing.posted_at = facts.posted_at
    if facts.url:
        listing.platform = urlsplit(facts.url).hostname
