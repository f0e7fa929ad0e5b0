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

from idtool.cites.annotations import clean_annotation
from idtool.cites.countries import find_countries
from idtool.cites.listing_entry import ListingEntry

_SENTENCE = re.compile(r"[^.]*\bzero\b[^.]*\bquota\b[^.]*(?:\.|$)", re.I)
_FOR_TAXA = re.compile(
    r"\bfor ((?:[A-Z][a-z]+|[A-Z]\.) [a-z]{3,}(?:(?:, | and | & )(?:[A-Z][a-z]+|[A-Z]\.) "
    r"[a-z]{3,})*)"
)
_PARTS = re.compile(r"\bfor specimens of ([a-z ,]+?)(?: removed| traded| from|$)")
_POPULATION = re.compile(r"\bpopulations? of ([A-Z][A-Za-z ]+?)(?:,| which| is| subject|\)|$)")


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


def _country(sentence: str) -> str:
    match = _POPULATION.search(sentence)
    if not match:
        return "All"
    mentions = [m for m in find_countries(match.group(1)) if m.kind != "region"]
    if len(mentions) == 1 and len(mentions[0].codes) == 1:
        return next(iter(mentions[0].codes))
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
        One fact per taxon and sentence; empty when the annotation states none.
    """
    text = clean_annotation(entry.full_annotation or entry.annotation).replace("\n", " ")
    if "quota" not in text.lower():
        return []
    facts = []
    for match in _SENTENCE.finditer(text):
        sentence = match.group(0).strip()
        lowered = sentence.lower()
        if "until an annual export quota" in lowered:
            continue  # a zero quota pending one set by the Secretariat: stated, not fixed
        wild = "wild" in lowered
        commercial = "commercial" in lowered
        for taxon in _taxa(sentence, entry):
            facts.append(
                QuotaFact(
                    taxon_name=taxon,
                    country=_country(sentence),
                    terms=_terms(sentence),
                    sources="W" if wild else "All",
                    purposes="T" if commercial else "All",
                    sentence=sentence,
                    row=entry.full_name,
                )
            )
    return list(dict.fromkeys(facts))
