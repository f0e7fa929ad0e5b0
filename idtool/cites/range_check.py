"""Range red flags: a declared origin outside the range an imported export records.

A wild specimen (source W or R) declared as coming from a country outside the taxon's
recorded range states is a classic sign of laundering (wild-caught animals declared from
a neighbouring or a non-range country). The check only adds an officer check: it never
changes the appendix or the identification. The ranges come only from an imported
Species+ export (``All_DistributionISOCodes``: native, introduced, reintroduced, extinct
and uncertain records together), never from the shipped table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from idtool.cites.listing_index import ListingIndex
from idtool.i18n import N_
from idtool.i18n import gettext as _

WILD_SOURCES = ("W", "R")
UNDECLARED_SOURCES = (None, "U")

# English, marked for translation; translated where used.
CHECK_WILD = N_(
    "declared origin {origin} is outside the recorded range of {taxon}: ask how a wild "
    "specimen comes from there"
)
CHECK_UNDECLARED = N_(
    "declared origin {origin} is outside the recorded range of {taxon}: a wild specimen "
    "cannot come from there; ask for the source code and, for a captive-bred one, proof "
    "of breeding"
)


@dataclass(frozen=True)
class RangeCheck:
    """Whether the declared origin is among the recorded range states of a taxon."""

    taxon: str
    origin: str
    in_range: bool
    recorded_range: tuple[str, ...]
    listing_set: str
    check: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "taxon": self.taxon,
            "origin": self.origin,
            "in_recorded_range": self.in_range,
            "recorded_range": list(self.recorded_range),
            "listing_set": self.listing_set,
        }


def check_range(
    listings: ListingIndex, taxon: str, origin: str | None, source: str | None
) -> RangeCheck | None:
    """Compare the declared origin with the recorded range of ``taxon``.

    Args:
        listings: the listing index (ranges only come from imported sets).
        taxon: the scientific name the guidance is for (species or subspecies).
        origin: the declared country of origin (ISO code); nothing is checked without.
        source: the declared source code, or None.

    Returns:
        None when there is no origin or no recorded range; otherwise the comparison,
        with ``check`` set when the origin is outside the range and the source is wild
        (W, R) or not declared (none, U).
    """
    if not origin:
        return None
    found = listings.recorded_range(taxon)
    if found is None:
        return None
    codes, listing_set = found
    in_range = origin in codes
    check = None
    if not in_range and source in WILD_SOURCES:
        check = _(CHECK_WILD).format(origin=origin, taxon=taxon)
    elif not in_range and source in UNDECLARED_SOURCES:
        check = _(CHECK_UNDECLARED).format(origin=origin, taxon=taxon)
    return RangeCheck(taxon, origin, in_range, codes, listing_set.name, check)
