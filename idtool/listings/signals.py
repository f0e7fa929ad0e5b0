"""Text signals of a listing: lexicon terms and taxon names found in its title and text.

:class:`TextSignalFinder` is built once per job from the lexicon and the CITES listing
index; :meth:`TextSignalFinder.find` returns the hits of one listing, each with its span
in the text it was found in (``field`` says which: ``title`` or ``text``), and the taxa
they point to with their CITES appendix. How strongly each hit counts is decided in
:mod:`idtool.listings.scoring`, not here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from idtool.cites.listing_index import ListingIndex
from idtool.listings.lexicon import LexiconTerm
from idtool.listings.names import COMMON, TaxonName, listing_names
from idtool.listings.textmatch import TermMatcher

APPENDIX_ORDER = {"I": 0, "II": 1, "III": 2}
SPECIES_RANKS = ("species", "subspecies", "variety")
LEXICON = "lexicon"


@dataclass(frozen=True)
class TextHit:
    """One term found in a listing's text."""

    term: str  # as written in the listing
    field: str  # title | text
    span: tuple[int, int]  # [start, end) in that field
    kind: str  # lexicon | scientific | synonym | common
    meaning: str
    taxa: tuple[str, ...]
    weight: float  # lexicon weight (0 for taxon names)
    language: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "term": self.term,
            "field": self.field,
            "span": list(self.span),
            "kind": self.kind,
            "meaning": self.meaning,
            "taxa": list(self.taxa),
            "weight": self.weight,
            "language": self.language,
        }


@dataclass(frozen=True)
class TaxonSignal:
    """A taxon a listing points to, from its text or one of its photos."""

    name: str
    appendix: str | None  # the appendix that applies (see :func:`resolve_appendix`)
    source: str  # text | photo
    kind: str  # text: lexicon/scientific/synonym/common; photo: the identify decision
    rank: str
    via: str  # the term, or the photo's file name
    confidence: float | None = None  # photos only

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "appendix": self.appendix,
            "source": self.source,
            "kind": self.kind,
            "rank": self.rank,
            "via": self.via,
            "confidence": self.confidence,
        }


@dataclass
class AppendixResolver:
    """The CITES appendices of a name (strictest first) and its rank, cached."""

    index: ListingIndex
    _cache: dict[str, tuple[tuple[str, ...], str]] = field(default_factory=dict)

    def resolve(self, name: str) -> tuple[tuple[str, ...], str]:
        """``(appendices, strictest first; empty when not listed, rank)`` of a name."""
        if name not in self._cache:
            match = self.index.lookup(name)
            entry = match.entry
            if match.status != "listed" or entry is None or not entry.appendices:
                rank = entry.rank if entry is not None else ("species" if " " in name else "")
                self._cache[name] = ((), rank or "unknown")
            else:
                ordered = tuple(sorted(entry.appendices, key=lambda a: APPENDIX_ORDER.get(a, 9)))
                exact = match.match_kind in ("exact", "synonym")
                rank = entry.rank if exact else ("species" if " " in name else "genus")
                self._cache[name] = (ordered, rank or "unknown")
        return self._cache[name]

    def appendix(self, name: str, kind: str) -> tuple[str | None, str]:
        """The appendix a text hit of ``kind`` stands for, and the rank.

        A split listing counts by its strictest appendix (the population is unknown from
        a listing), except for a common name of a genus or higher taxon ("cats",
        "parrots"), which stands for most of its members: its least strict appendix.
        """
        appendices, rank = self.resolve(name)
        if not appendices:
            return None, rank
        if kind == COMMON and rank not in SPECIES_RANKS:
            return appendices[-1], rank
        return appendices[0], rank


class TextSignalFinder:
    """Lexicon terms and listed-taxon names, matched together (longest hit wins)."""

    def __init__(self, lexicon: list[LexiconTerm], index: ListingIndex) -> None:
        self.resolver = AppendixResolver(index)
        self._matcher = TermMatcher()
        for term in lexicon:
            self._matcher.add(term.term, term)
        names = list(listing_names(index))
        for name in names:
            self._matcher.add(name.name, name)
        self.term_count = len(self._matcher)

    def find(self, fields: dict[str, str]) -> tuple[list[TextHit], list[TaxonSignal]]:
        """Hits in each named text field, and the taxa they point to (one per name)."""
        hits: list[TextHit] = []
        for field_name, text in fields.items():
            if text:
                hits += self._hits(field_name, text)
        taxa: dict[str, TaxonSignal] = {}
        for hit in hits:
            for taxon in hit.taxa:
                appendix, rank = self.resolver.appendix(taxon, hit.kind)
                signal = TaxonSignal(taxon, appendix, "text", hit.kind, rank, hit.term)
                known = taxa.get(taxon)
                if known is None or _kind_order(signal.kind) < _kind_order(known.kind):
                    taxa[taxon] = signal
        return hits, list(taxa.values())

    def _hits(self, field_name: str, text: str) -> list[TextHit]:
        hits = []
        for match in self._matcher.find(text):
            payload = _best_payload(match.payloads, match.text)
            if payload is None:
                continue
            if isinstance(payload, LexiconTerm):
                hits.append(
                    TextHit(
                        match.text,
                        field_name,
                        (match.start, match.end),
                        LEXICON,
                        payload.meaning,
                        payload.taxa,
                        payload.weight,
                        payload.language,
                    )
                )
            else:
                meaning = f"{payload.kind} name of {payload.taxon} ({payload.rank})"
                hits.append(
                    TextHit(
                        match.text,
                        field_name,
                        (match.start, match.end),
                        payload.kind,
                        meaning,
                        (payload.taxon,),
                        0.0,
                        payload.language,
                    )
                )
        return hits


def _kind_order(kind: str) -> int:
    return {"scientific": 0, "synonym": 1, LEXICON: 2, COMMON: 3}.get(kind, 4)


def _best_payload(payloads: tuple[object, ...], written: str) -> LexiconTerm | TaxonName | None:
    """The lexicon row if the term is in the lexicon, else the most specific name.

    A one-word scientific name (a genus or higher: "Python", "Manis") counts only when
    written with a capital, as scientific names are.
    """
    lexicon = [p for p in payloads if isinstance(p, LexiconTerm)]
    if lexicon:
        return lexicon[0]
    names = [p for p in payloads if isinstance(p, TaxonName)]
    usable = [
        n
        for n in names
        if n.kind == COMMON or " " in n.name or (written[:1].isupper() and written[1:2].islower())
    ]
    if not usable:
        return None
    return min(usable, key=lambda n: (_kind_order(n.kind), n.rank not in SPECIES_RANKS))
