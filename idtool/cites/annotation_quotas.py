"""Quotas the Appendices state in their annotations, applied without a quota file.

Annotations carry zero export quotas ("A zero export quota for wild specimens traded for
commercial purposes" on *Saiga tatarica*; "a zero annual export quota has been established
for Centrochelys sulcata for specimens removed from the wild and traded for primarily
commercial purposes" on Testudinidae). Each sentence that states a zero quota becomes a
:class:`QuotaFact`: which taxa (the row itself, or the species the sentence names), which
country (when it names the population of one country), the source (``W`` when it says
wild), the purpose (``T`` when it says commercial) and the terms (``live``, or the parts
it names; ``All`` otherwise). A quota file imported with ``idtool cites import`` adds its
own quotas to these.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from idtool.cites.annotations import clean_annotation, split_blocks
from idtool.cites.countries import find_countries
from idtool.cites.listing_entry import ListingEntry
from idtool.i18n import N_

# quota terms this module writes; translated where a quota is described
TERMS_PART = N_("part of the country: see the annotation")
TERMS_SOME = N_("some populations: see the annotation")

_ZERO = re.compile(r"\bzero\b(?: annual)?(?: export)? quota", re.I)
_END = re.compile(r"(?<=[a-z)]{2})\.(?:\s|$)")
_FOR_TAXA = re.compile(
    r"\bfor ((?:[A-Z][a-z]+|[A-Z]\.) [a-z]{3,}(?:(?:, | and | & )(?:[A-Z][a-z]+|[A-Z]\.) "
    r"[a-z]{3,})*)"
)
_PARTS = re.compile(r"\bfor specimens of ([a-z ,]+?)(?: removed| traded| from|$)")


@dataclass(frozen=True)
class QuotaFact:
    """One zero quota stated in an annotation."""

    taxon_name: str
    country: str  # ISO code, or "All"
    terms: str  # "All", "live", or the parts named
    sources: str  # "W" or "All"
    purposes: str  # "T" or "All"
    sentence: str
    row: str  # the listing row whose annotation states it


def _taxa(sentence: str, entry: ListingEntry) -> list[str]:
    match = _FOR_TAXA.search(sentence)
    if not match:
        found = re.search(r"\bof ([A-Z][a-z]+ [a-z]{3,})\b", sentence)
        return [found.group(1)] if found else [entry.full_name]
    names: list[str] = []
    genus = ""
    for part in re.split(r", | and | & ", match.group(1)):
        words = part.split()
        if words[0].endswith(".") and genus:
            words[0] = genus
        genus = words[0]
        names.append(" ".join(words))
    return names


def _country(before: str) -> str:
    """The country whose population the quota is for: the last country named after the
    last "population" before the quota phrase ("..., and the population of Brazil, which is
    included in Appendix II subject to a zero annual export quota"); "All" when none."""
    start = before.rfind("opulation")
    if start < 0:
        return "All"
    mentions = [m for m in find_countries(before[start:]) if m.kind != "region"]
    if mentions and len(mentions[-1].codes) == 1:
        return next(iter(mentions[-1].codes))
    return "All"


def _terms(sentence: str) -> str:
    lowered = sentence.lower()
    if "live specimens" in lowered:
        return "live"
    parts = _PARTS.search(lowered)
    return parts.group(1).strip() if parts else "All"


def quota_facts(entry: ListingEntry) -> list[QuotaFact]:
    """The zero quotas the annotation of ``entry`` states.

    Args:
        entry: a listing row in force.

    Returns:
        One fact per taxon and quota phrase; empty when the annotation states none.
    """
    text = clean_annotation(entry.full_annotation or entry.annotation)
    if "quota" not in text.lower():
        return []
    facts = []
    for _appendix, block in split_blocks(text):
        for match in _ZERO.finditer(block):
            tail = _END.split(block[match.start() :], maxsplit=1)[0]
            lowered = tail.lower()
            if "until an annual export quota" in lowered:
                continue  # a zero quota pending one set by the Secretariat: not fixed
            before = block[: match.start()]
            terms = _terms(tail)
            country = _country(before)
            if re.search(r"restricted to|other States|State of", before[-200:] + tail):
                terms = TERMS_PART
            elif country == "All" and "opulation" in before:
                # names populations, but not one this parser can place: never a blanket ban
                terms = TERMS_SOME
            for taxon in _taxa(tail, entry):
                facts.append(
                    QuotaFact(
                        taxon_name=taxon,
                        country=country,
                        terms=terms,
                        sources="W" if "wild" in lowered else "All",
                        purposes="T" if "commercial" in lowered else "All",
                        sentence=tail.strip(),
                        row=entry.full_name,
                    )
                )
    return list(dict.fromkeys(facts))
