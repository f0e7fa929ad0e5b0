"""Word sense in context: "ivory" as a dress colour, "tiger" as a balm, "lion" as a film.

A word that names a listed product also names a colour, a country, a plant, a brand or a
film. Two mechanisms read it in context:

1. **Phrases** (in the lexicon, negative weight): "Côte d'Ivoire", "vegetable ivory",
   "tiger balm", "The Lion King". The matcher keeps the longest hit, so the phrase hides
   the product word inside it.
2. **Cue words** (``word_senses.tsv``, this module): a product word with a cue word of
   another sense within :data:`WINDOW_WORDS` words on either side ("ivory *dress*",
   "robe *ivoire*", "*Jaguar* XF parts") is read in that sense: it points to no taxon and
   counts as benign context instead.

The file has the columns ``term``, ``language``, ``sense`` (colour, brand, film...),
``cues`` (``;``-separated words or phrases; a one-word cue also matches its plural in
``s``/``es``: "dress" matches "dresses") and ``source``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from idtool.errors import BadField
from idtool.listings.textmatch import fold, fold_key, is_cjk, words_of

SHIPPED_SENSES = Path(__file__).resolve().parent.parent / "data" / "word_senses.tsv"
COLUMNS = ("term", "language", "sense", "cues", "source")
WINDOW_WORDS = 4
CJK_WINDOW_CHARS = 6


@dataclass(frozen=True)
class OtherSense:
    """A benign sense of a product word and the words that announce it."""

    term: str
    language: str
    sense: str
    cues: tuple[str, ...]  # folded


@dataclass(frozen=True)
class SenseReading:
    """A product word read in another sense, and the cue that says so."""

    sense: str
    cue: str


def load_senses(path: Path = SHIPPED_SENSES) -> dict[str, list[OtherSense]]:
    """Read a senses file, keyed by the folded term.

    Raises:
        BadField: the file is missing, has other columns, or a row has no term or cues.
    """
    try:
        handle = path.open(encoding="utf-8", newline="")
    except OSError as exc:
        raise BadField(f"cannot read the word senses {path}: {exc.strerror or exc}") from None
    senses: dict[str, list[OtherSense]] = {}
    with handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise BadField(f"{path}: the header must be {' '.join(COLUMNS)} (tab-separated)")
        for row in reader:
            term = (row.get("term") or "").strip()
            cues = tuple(fold_key(c) for c in (row.get("cues") or "").split(";") if c.strip())
            if not term or not cues:
                raise BadField(f"{path} line {reader.line_num}: a row needs a term and cues")
            sense = OtherSense(term, (row.get("language") or "").strip(), row["sense"], cues)
            senses.setdefault(fold_key(term), []).append(sense)
    return senses


def _cue_in(cue: str, words: list[str], folded: str) -> bool:
    if is_cjk(cue):
        return cue in folded
    if " " in cue:
        return f" {cue} " in f" {' '.join(words)} "
    return any(w in (cue, cue + "s", cue + "es") for w in words)


def read_sense(
    senses: dict[str, list[OtherSense]], text: str, start: int, end: int
) -> SenseReading | None:
    """The benign sense of the hit ``text[start:end]``, if a cue word stands near it."""
    key = fold_key(text[start:end])
    candidates = senses.get(key)
    if not candidates:
        return None
    if is_cjk(key):
        window = fold(text[max(0, start - CJK_WINDOW_CHARS) : end + CJK_WINDOW_CHARS]).folded
        words = words_of(window)
    else:
        before = words_of(fold(text[:start]).folded)[-WINDOW_WORDS:]
        after = words_of(fold(text[end:]).folded)[:WINDOW_WORDS]
        words = before + after
        window = " ".join(words)
    for sense in candidates:
        for cue in sense.cues:
            if _cue_in(cue, words, window):
                return SenseReading(sense.sense, cue)
    return None
