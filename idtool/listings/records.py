"""What a reader makes of one saved market listing (an advert), before any analysis.

A market listing is an advert on a marketplace; it is not a CITES listing (an appendix
entry, :mod:`idtool.cites`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# the fields of an export, in output order
EXPORT_FIELDS = (
    "id",
    "url",
    "platform",
    "title",
    "description",
    "price",
    "currency",
    "seller",
    "posted_at",
    "captured_at",
    "images",
)


@dataclass(frozen=True)
class CapturedFile:
    """A file the listing was read from (evidence): page, export, archive or photo."""

    role: str  # export | page | warc | warc_payload | image
    path: Path  # absolute
    sha256: str
    byte_count: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "path": str(self.path),
            "sha256": self.sha256,
            "bytes": self.byte_count,
        }


@dataclass(frozen=True)
class ImageRef:
    """A photo of a listing: a readable file, or why it is missing."""

    ref: str  # as written in the source (path or URL)
    path: Path | None  # absolute, when the file exists
    sha256: str | None = None
    byte_count: int | None = None
    error: str | None = None  # why it could not be found or read


@dataclass
class MarketListing:
    """One market listing (an advert) as read from its source.

    ``error`` says why it could not be read at all; ``warnings`` what was read only in part
    (invalid bytes, a truncated page, photos it names that are missing).
    """

    id: str
    source: str  # the input file, relative to the input argument
    source_kind: str  # jsonl | csv | html | warc
    locator: str = ""  # line number, WARC record offset, ...
    url: str | None = None
    platform: str | None = None
    title: str = ""
    description: str = ""
    price: str | None = None
    currency: str | None = None
    seller: str | None = None
    posted_at: str | None = None
    captured_at: str | None = None
    images: list[ImageRef] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    captured: list[CapturedFile] = field(default_factory=list)
    error: dict[str, str] | None = None
    warnings: list[dict[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        """Unique within a job: the source file, where in it, and the listing's id."""
        return f"{self.source}#{self.locator}#{self.id}"


def market_listing_error(code: str, message: str) -> dict[str, str]:
    """The ``error`` (or one of the ``warnings``) of a market listing: ``{code, message}``."""
    return {"code": code, "message": message}
