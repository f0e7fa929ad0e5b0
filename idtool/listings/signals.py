"""Text signals of a market listing: lexicon terms and taxon names in its title and text.

:class:`TextSignalFinder` is built once per job from the lexicon, the word senses and the
CITES listing index; :meth:`TextSignalFinder.find` returns the hits of one advert, each
with its span in the text it was found in (``field`` says which: ``title`` or ``text``),
and the taxa they point to with the appendix the guidance engine gives for each named
taxon (:mod:`idtool.listings.appendix`). A product word read in another sense ("ivory
dress", :mod:`idtool.listings.senses`) becomes a ``sense`` hit that points to no taxon.
How strongly each hit counts is decided in :mod:`idtool.listings.scoring`, not here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from idtool.cites.listing_index import ListingIndex
from idtool.listings.appendix import AppendixGuide
from idtool.listings.lexicon import LexiconTerm
from idtool.listings.names import COMMON, TaxonName, cites_taxon_names
from idtool.listings.senses import SHIPPED_SENSES, OtherSense, load_senses, read_sense
from idtool.listings.textmatch import TermMatcher

SPECIES_RANKS = ("species", "subspecies", "variety")
LEXICON = "lexicon"
SENSE = "sense"
SENSE_WEIGHT = -10.0  # a product word read as a colour, brand, film...


@dataclass(frozen=True)
class TextHit:
    """One term found in a listing's text."""

    term: str  # as written in the listing
    field: str  # title | text
    span: tuple[int, int]  # [start, end) in that field
    kind: str  # lexicon | scientific | synonym | common | sense
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
    appendix: str | None  # text: the guidance answer for the named taxon; photo: its guidance
    source: str  # text | photo
    kind: str  # text: lexicon/scientific/synonym/common; photo: the identify decision
    rank: str
    via: str  # the term, or the photo's file name
    confidence: float | None = None  # photos only
    appendix_note: str = ""  # the guidance caveat when the appendix depends on a population

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "appendix": self.appendix,
            "appendix_note": self.appendix_note,
            "source": self.source,
            "kind": self.kind,
            "rank": self.rank,
            "via": self.via,
            "confidence": self.confidence,
        }


class TextSignalFinder:
    """Lexicon terms and listed-taxon names, matched together (longest hit wins)."""

    def __init__(
        self,
        lexicon: list[LexiconTerm],
        index: ListingIndex,
        senses: dict[str, list[OtherSense]] | None = None,
    ) -> None:
        self.guide = AppendixGuide(index)
        self.senses = load_senses(SHIPPED_SENSES) if senses is None else senses
        self._matcher = TermMatcher()
        for term in lexicon:
            self._matcher.add(term.term, term)
        names = list(cites_taxon_names(index))
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
                named = self.guide.for_name(taxon)
                signal = TaxonSignal(
                    taxon,
                    named.appendix,
                    "text",
                    hit.kind,
                    named.rank,
                    hit.term,
                    appendix_note=named.note,
                )
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
            points_to_taxon = isinstance(payload, TaxonName) or payload.weight > 0
            other = read_sense(self.senses, text, match.start, match.end)
            if points_to_taxon and other is not None:
                hits.append(
                    TextHit(
                        match.text,
                        field_name,
                        (match.start, match.end),
                        SENSE,
                        f"benign context: '{match.text}' read as {other.sense} (near '{other.cue}')",
                        (),
                        SENSE_WEIGHT,
                        payload.language,
                    )
                )
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
