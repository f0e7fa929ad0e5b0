"""One listing row as the index holds it (:class:`ListingEntry`), and name helpers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from idtool.cites.annotations import parse_listing
from idtool.cites.store import ListingSetInfo


@dataclass(frozen=True)
class AmendmentSource:
    """Where a row of idtool's amendments file comes from: the CoP (or notification), the
    date it took effect, the document and how sure the row is (``high``, ``medium``,
    ``low``)."""

    change: str
    cop: str
    effective: str
    source: str
    confidence: str

    def to_dict(self) -> dict[str, str]:
        return {
            "change": self.change,
            "cop": self.cop,
            "effective": self.effective,
            "source": self.source,
            "confidence": self.confidence,
        }


_SYNONYM = re.compile(r"\b([A-Z][a-z]+(?: (?:[a-z][a-z-]{2,})){1,2})\b")
_NOT_EPITHETS = {"in", "de", "von", "van", "da", "du", "del", "la", "le", "and", "ex", "et"}
_SPP = re.compile(r"\s+(spp?\.?|ssp\.|subsp\.|var\.)(\s|$)", re.I)


def normalise_name(name: str) -> str:
    """``"panthera_tigris "`` -> ``"Panthera tigris"``; drops ``spp.``, ``ssp.``, ``var.``."""
    text = " ".join(name.replace("_", " ").split())
    text = _SPP.sub(" ", f"{text} ").strip()
    return text[:1].upper() + text[1:].lower() if text else text


def _synonym_names(raw: str) -> list[str]:
    names = []
    for match in _SYNONYM.finditer(raw.replace(";", ",")):
        words = match.group(1).split()
        while words and words[-1] in _NOT_EPITHETS:
            words.pop()
        if len(words) >= 2:
            names.append(" ".join(words))
    return names


@dataclass(frozen=True)
class ListingEntry:
    """One listing row (from whichever listing set is newest for this taxon)."""

    taxon_id: str
    full_name: str
    rank: str
    kingdom: str
    class_name: str
    order_name: str
    family: str
    genus: str
    listing: str
    party: str
    listed_under: str
    annotation: str
    full_annotation: str
    hash_symbol: str
    hash_annotation: str
    synonyms: tuple[str, ...]
    common_names: str
    listing_set: ListingSetInfo
    common_names_fr: str = ""
    common_names_es: str = ""
    distribution_iso: tuple[str, ...] = ()
    effective: str = ""
    amendment: AmendmentSource | None = None

    @property
    def appendices(self) -> tuple[str, ...]:
        return parse_listing(self.listing)[0]

    @property
    def has_nc(self) -> bool:
        return parse_listing(self.listing)[1]

    @property
    def lineage(self) -> list[str]:
        """This name, then the species (for subspecies), genus, family, order, class."""
        words = self.full_name.split()
        names = [self.full_name]
        if len(words) >= 3:
            names.append(" ".join(words[:2]))
        names += [self.genus or (words[0] if len(words) > 1 else ""), self.family]
        names += [self.order_name, self.class_name]
        return list(dict.fromkeys(n for n in names if n))

    @classmethod
    def from_row(
        cls,
        row: dict[str, Any],
        listing_set: ListingSetInfo,
        *,
        effective: str = "",
        amendment: AmendmentSource | None = None,
    ) -> ListingEntry:
        """A ``cites_taxa``-shaped row as an entry of ``listing_set``."""
        return cls(
            taxon_id=row.get("taxon_id") or "",
            full_name=row["full_name"],
            rank=(row.get("rank") or "").lower(),
            kingdom=row.get("kingdom") or "",
            class_name=row.get("class_name") or "",
            order_name=row.get("order_name") or "",
            family=row.get("family") or "",
            genus=row.get("genus") or "",
            listing=row.get("listing") or "",
            party=row.get("party") or "",
            listed_under=row.get("listed_under") or row["full_name"],
            annotation=row.get("annotation") or "",
            full_annotation=row.get("full_annotation") or "",
            hash_symbol=row.get("hash_symbol") or "",
            hash_annotation=row.get("hash_annotation") or "",
            synonyms=tuple(_synonym_names(row.get("synonyms") or "")),
            common_names=row.get("common_names") or "",
            listing_set=listing_set,
            common_names_fr=row.get("common_names_fr") or "",
            common_names_es=row.get("common_names_es") or "",
            distribution_iso=tuple(
                c.strip().upper()
                for c in (row.get("distribution_iso") or "").replace(";", ",").split(",")
                if c.strip()
            ),
            effective=effective,
            amendment=amendment,
        )
