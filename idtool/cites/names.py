"""Names people use: scientific names, synonyms and common names in English, French and
Spanish, resolved to the scientific name the listings know.

Sources: the listing index (every row's name, and the synonyms and common names an
imported Species+ index carries) and ``idtool/data/common_names.csv`` (``taxon, language,
name``), written by the idtool developers for the reference set and the most seized taxa.

:meth:`NameIndex.resolve` tries, in order: a listing row or synonym (``scientific`` /
``synonym``), an exact common name after folding case, accents and punctuation
(``common_name``), a scientific name the listings cover through its genus or a higher
taxon (``scientific``), then spelling similarity (``fuzzy``: resolved only when one taxon
is clearly the best; otherwise ``none`` with ranked suggestions). Exact tables are built
once per index; the trigram table for fuzzy matching on first use.
"""

from __future__ import annotations

import csv
import difflib
import re
import unicodedata
import weakref
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from idtool.cites.listing_entry import ListingEntry, normalise_name
from idtool.cites.listing_index import ListingIndex
from idtool.errors import ListingDataError
from idtool.i18n import N_
from idtool.i18n import gettext as _
from idtool.i18n.vocabulary import language_name

COMMON_NAMES_PATH = Path(__file__).resolve().parent.parent / "data" / "common_names.csv"
LANGUAGES = ("en", "fr", "es")
MATCH_KINDS = ("scientific", "synonym", "common_name", "fuzzy", "none")

FUZZY_RESOLVE_SCORE = 0.88  # a single taxon this close is taken as meant
FUZZY_MARGIN = 0.04  # ... when the next taxon scores at least this much less
SUGGEST_SCORE = 0.6
_CANDIDATES = 150

# English, marked for translation; translated where used (language names too).
NOTE_SYNONYM = N_("{query} is a synonym of {name}")
NOTE_COMMON = N_("{query} is a common name ({language}) of {name}")
NOTE_COMMON_SHARED = N_(
    "{query} is a common name ({language}) of {name}; the same name is also used for "
    "{others}: check which one the item is"
)
NOTE_FUZZY = N_(
    "{query} is not a known name; it was read as {name} ({matched}, similarity {score:.2f}): "
    "check this is the taxon meant"
)
NOTE_NONE = N_("{query} is not a known scientific, synonym or common name")


@dataclass(frozen=True)
class NameCandidate:
    """A known name close to what was typed."""

    name: str  # the scientific name it resolves to
    matched: str  # the name as written in its source
    language: str  # en, fr, es, or "scientific" / "synonym"
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "matched": self.matched,
            "language": self.language,
            "score": round(self.score, 3),
        }


@dataclass(frozen=True)
class NameMatch:
    """How a typed name was read. ``name`` is None when nothing was resolved."""

    query: str
    name: str | None
    match_kind: str
    matched: str | None = None
    language: str | None = None
    score: float = 1.0
    note: str = ""
    candidates: tuple[NameCandidate, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "matched": self.matched,
            "language": self.language,
            "score": round(self.score, 3),
            "candidates": [c.to_dict() for c in self.candidates],
        }


_PUNCTUATION = str.maketrans({c: " " for c in "-_'’`.,;:()/"})


def fold(text: str) -> str:
    """Compare-form of a name: no accents, case, punctuation or extra spaces
    (``"Perroquet  Jaco"`` -> ``"perroquet jaco"``, ``"caïman à lunettes"`` ->
    ``"caiman a lunettes"``, ``"grey-crowned"`` -> ``"grey crowned"``)."""
    text = text.casefold()
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.translate(_PUNCTUATION).split())


def _split_names(raw: str) -> list[str]:
    """Species+ joins common names with commas."""
    return [n.strip() for n in re.split(r"[,;]", raw or "") if len(n.strip()) >= 3]


def read_common_names(path: Path = COMMON_NAMES_PATH) -> list[tuple[str, str, str]]:
    """``(taxon, language, name)`` rows of the shipped common-name table.

    Raises:
        ListingDataError: unreadable file or a language other than en, fr, es.
    """
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = [(r["taxon"], r["language"], r["name"]) for r in csv.DictReader(handle)]
    except (OSError, KeyError, UnicodeDecodeError, csv.Error) as exc:
        raise ListingDataError(f"{path}: cannot read the common-name table: {exc}") from None
    for taxon, language, _written in rows:
        if language not in LANGUAGES:
            raise ListingDataError(f"{path}: {taxon}: language {language!r} is not en, fr or es")
    return rows


def _trigrams(text: str) -> set[str]:
    padded = f"  {text} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def _add_common(
    common: dict[str, list[tuple[str, str, str]]],
    common_of: dict[str, dict[str, list[str]]],
    taxon: str,
    language: str,
    name: str,
) -> None:
    hits = common.setdefault(fold(name), [])
    if all(h[0] != taxon for h in hits):
        hits.append((taxon, language, name))
    names = common_of.setdefault(taxon, {}).setdefault(language, [])
    if name.casefold() not in (n.casefold() for n in names):
        names.append(name)


def build_name_tables(
    entries: list[ListingEntry], shipped: list[tuple[str, str, str]] | None = None
) -> dict[str, dict[str, Any]]:
    """The name tables of a set of listing rows: ``scientific`` and ``synonyms`` (folded
    name -> scientific name), ``common`` (folded common name -> ``[(scientific, language,
    as written)]``, the shipped table first) and ``common_of`` (scientific name ->
    ``{language: [names]}``)."""
    scientific: dict[str, str] = {}
    synonyms: dict[str, str] = {}
    common: dict[str, list[tuple[str, str, str]]] = {}
    common_of: dict[str, dict[str, list[str]]] = {}
    for entry in entries:
        scientific[fold(entry.full_name)] = entry.full_name
        for synonym in entry.synonyms:
            synonyms.setdefault(fold(synonym), entry.full_name)
    for taxon, language, name in read_common_names() if shipped is None else shipped:
        _add_common(common, common_of, taxon, language, name)
        scientific.setdefault(fold(taxon), taxon)  # known even without a row
    for entry in entries:
        for language, raw in (
            ("en", entry.common_names),
            ("fr", entry.common_names_fr),
            ("es", entry.common_names_es),
        ):
            for name in _split_names(raw):
                _add_common(common, common_of, entry.full_name, language, name)
    return {
        "scientific": scientific,
        "synonyms": synonyms,
        "common": common,
        "common_of": common_of,
    }


def _hits(value: list[list[str]]) -> list[tuple[str, str, str]]:
    return [(h[0], h[1], h[2]) for h in value]


_DECODERS: dict[str, Callable[[Any], Any]] = {
    "scientific": str,
    "synonyms": str,
    "common": _hits,
    "common_of": dict,
}


class NameIndex:
    """Every name a user may type, folded, mapped to scientific names."""

    def __init__(
        self, listings: ListingIndex, shipped: list[tuple[str, str, str]] | None = None
    ) -> None:
        self._listings = listings
        tables: Mapping[str, Mapping[str, Any]]
        if listings.name_tables is not None and shipped is None:
            tables = {k: listings.name_tables(k, d) for k, d in _DECODERS.items()}
        else:
            tables = build_name_tables(listings.entries(), shipped)
        self._scientific: Mapping[str, str] = tables["scientific"]
        self._synonyms: Mapping[str, str] = tables["synonyms"]
        # folded common name -> [(scientific, language, as written)], shipped table first
        self._common: Mapping[str, list[tuple[str, str, str]]] = tables["common"]
        self._common_of: Mapping[str, dict[str, list[str]]] = tables["common_of"]
        self._grams: dict[str, list[int]] | None = None
        self._strings: list[str] = []  # distinct folded names, by trigram-table id
        self._entries: dict[str, list[tuple[str, str, str]]] = {}  # -> scientific, lang, text

    def common_names(self, scientific: str) -> dict[str, list[str]]:
        """Common names of a taxon by language (``{"en": [...], "fr": [...], "es": [...]}``)."""
        known = self._common_of.get(scientific, {})
        return {language: list(known.get(language, [])) for language in LANGUAGES}

    def resolve(self, query: str, limit: int = 5) -> NameMatch:
        """Read a typed name.

        Args:
            query: what the user typed, e.g. ``"perroquet gris"``, ``"Pyton regius"``.
            limit: how many ranked suggestions to return when the name is not exact.

        Returns:
            The match; ``match_kind == "none"`` (with suggestions) when nothing fits.
        """
        text = " ".join(query.replace("_", " ").split())
        key = fold(normalise_name(text))
        if text.islower() and " " not in text and (hits := self._common.get(fold(text))):
            # "rhinoceros", "python": typed as a common word, read as the common name
            # (the group), not as the genus of the same spelling
            return self._common_match(text, hits)
        if name := self._scientific.get(key):
            return NameMatch(text, name, "scientific", name, "scientific")
        if name := self._synonyms.get(key):
            note = _(NOTE_SYNONYM).format(query=text, name=name)
            return NameMatch(text, name, "synonym", text, "synonym", note=note)
        if hits := self._common.get(fold(text)):
            return self._common_match(text, hits)
        if self._listings.lookup(text, suggest=False).status != "not_found":
            canonical = normalise_name(text)
            return NameMatch(text, canonical, "scientific", canonical, "scientific")
        candidates = self.suggest(text, limit)
        if candidates:
            best = candidates[0]
            runner_up = next((c.score for c in candidates[1:] if c.name != best.name), 0.0)
            if best.score >= FUZZY_RESOLVE_SCORE and best.score - runner_up >= FUZZY_MARGIN:
                note = _(NOTE_FUZZY).format(
                    query=text, name=best.name, matched=best.matched, score=best.score
                )
                return NameMatch(
                    text,
                    best.name,
                    "fuzzy",
                    best.matched,
                    best.language,
                    best.score,
                    note,
                    tuple(candidates),
                )
        return NameMatch(
            text, None, "none", None, None, 0.0, _(NOTE_NONE).format(query=text), tuple(candidates)
        )

    def _common_match(self, text: str, hits: list[tuple[str, str, str]]) -> NameMatch:
        name, language, written = hits[0]
        others = ", ".join(h[0] for h in hits[1:4])
        if others:
            note = _(NOTE_COMMON_SHARED).format(
                query=text, language=language_name(language), name=name, others=others
            )
        else:
            note = _(NOTE_COMMON).format(query=text, language=language_name(language), name=name)
        alternatives = tuple(NameCandidate(h[0], h[2], h[1], 1.0) for h in hits)
        return NameMatch(text, name, "common_name", written, language, 1.0, note, alternatives)

    def _fuzzy_tables(self) -> tuple[dict[str, list[int]], list[str]]:
        """Trigram -> ids of distinct folded names; built on the first fuzzy query."""
        if self._grams is None:
            entries: dict[str, list[tuple[str, str, str]]] = {}
            for folded, name in self._scientific.items():
                entries.setdefault(folded, []).append((name, "scientific", name))
            for folded, name in self._synonyms.items():
                entries.setdefault(folded, []).append((name, "synonym", folded))
            for folded, hits in self._common.items():
                for name, language, written in hits:
                    entries.setdefault(folded, []).append((name, language, written))
            strings = list(entries)
            grams: dict[str, list[int]] = {}
            for i, folded in enumerate(strings):
                for gram in _trigrams(folded):
                    grams.setdefault(gram, []).append(i)
            self._grams, self._strings, self._entries = grams, strings, entries
        return self._grams, self._strings

    def suggest(self, query: str, limit: int = 5) -> list[NameCandidate]:
        """Known names closest to ``query``, best first, one per taxon.

        Scores are difflib ratios of the folded strings; a name whose words start with
        every typed word (``"african grey"`` -> ``"African grey parrot"``) scores at least
        0.9 so that partial names rank high.
        """
        target = fold(query)
        if len(target) < 3:
            return []
        grams, strings = self._fuzzy_tables()
        frequent = max(2000, len(strings) // 20)  # trigrams this common do not discriminate
        counts: Counter[int] = Counter()
        for gram in _trigrams(target):
            posting = grams.get(gram, ())
            if len(posting) <= frequent:
                counts.update(posting)
        words = target.split()
        best: dict[str, NameCandidate] = {}
        for i, _count in counts.most_common(_CANDIDATES):
            folded = strings[i]
            matcher = difflib.SequenceMatcher(None, target, folded)
            their = folded.split()
            partial = len(words) < len(their) and all(
                any(w.startswith(t) for w in their) for t in words
            )
            if not partial and matcher.quick_ratio() < SUGGEST_SCORE:
                continue
            score = matcher.ratio()
            if partial:
                score = max(score, 0.9 - 0.02 * (len(their) - len(words)))
            if score < SUGGEST_SCORE:
                continue
            for name, language, written in self._entries[folded]:
                if name not in best or score > best[name].score:
                    best[name] = NameCandidate(name, written, language, score)
        ranked = sorted(best.values(), key=lambda c: (-c.score, c.name))
        return ranked[:limit]


_INDEXES: weakref.WeakKeyDictionary[ListingIndex, NameIndex] = weakref.WeakKeyDictionary()


def names_for(listings: ListingIndex) -> NameIndex:
    """The name index of a listing index, built on first use and kept with it."""
    index = _INDEXES.get(listings)
    if index is None:
        index = NameIndex(listings)
        _INDEXES[listings] = index
    return index
