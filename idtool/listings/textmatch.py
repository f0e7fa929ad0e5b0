"""Find terms in listing text: case- and accent-insensitive, word-bounded, spans kept.

Text and terms are folded the same way (NFKD, combining marks dropped, ``casefold``,
``đ`` -> ``d``), keeping for every folded character the index of the original character
it came from, so each hit's span points into the text as the seller wrote it. In scripts
with spaces, terms match whole words only (a term is a sequence of words; punctuation
and hyphens between words are ignored, so "white-bellied" matches "white bellied").
Chinese, Japanese, Korean, Thai, Lao, Khmer and Burmese are written without spaces
between words, so a term written in them matches as a substring. Overlapping hits keep the longest ("ivory colour" wins
over "ivory"). A word runs over underscores, so ``ivory_king88`` (a handle) is not
"ivory".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

# scripts written without spaces between words: Thai, Lao, Burmese, Khmer, CJK, Hangul
_CJK = (
    "\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff"
    "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
)
_WORD = re.compile(rf"[^\W{_CJK}]+")
_CJK_CHAR = re.compile(rf"[{_CJK}]")
_EXTRA_FOLDS = {"đ": "d", "ł": "l", "ø": "o", "ß": "ss", "æ": "ae", "œ": "oe"}
MAX_TERM_WORDS = 8


@dataclass(frozen=True)
class FoldedText:
    """A text folded for matching, with the original index of each folded character."""

    original: str
    folded: str
    origin: tuple[int, ...]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of the folded span ``[start, end)``."""
        return self.origin[start], self.origin[end - 1] + 1


def fold(text: str) -> FoldedText:
    """Fold ``text`` (NFKD, no accents, casefold) keeping the origin of each character."""
    chars: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        for piece in unicodedata.normalize("NFKD", ch):
            if unicodedata.combining(piece):
                continue
            folded = piece.casefold()
            folded = "".join(_EXTRA_FOLDS.get(c, c) for c in folded)
            for out in folded:
                chars.append(out)
                origin.append(i)
    return FoldedText(text, "".join(chars), tuple(origin))


def fold_key(term: str) -> str:
    """The lookup key of a term: its folded words joined by one space (CJK kept as is)."""
    folded = fold(term).folded
    if _CJK_CHAR.search(folded):
        return "".join(folded.split())
    return " ".join(_WORD.findall(folded))


def words_of(folded: str) -> list[str]:
    """The words of a folded text (runs of unspaced scripts are not words)."""
    return _WORD.findall(folded)


def is_cjk(key: str) -> bool:
    """Whether ``key`` is written in a script without spaces (CJK, Thai...): substring match."""
    return bool(_CJK_CHAR.search(key))


@dataclass(frozen=True)
class Match:
    """One occurrence of a term: the payload registered for it and where it is."""

    key: str
    start: int  # in the original text
    end: int
    text: str  # the original text of the span
    payloads: tuple[object, ...]


class TermMatcher:
    """A dictionary of terms (with payloads) matched against texts in one pass per text.

    Words are looked up as n-grams (up to the longest term's word count) in a dict, so the
    cost grows with the text, not with the number of terms (100,000 names are fine).
    """

    def __init__(self) -> None:
        self._words: dict[str, list[object]] = {}
        self._cjk: dict[str, list[object]] = {}
        self._max_words = 1

    def add(self, term: str, payload: object) -> None:
        key = fold_key(term)
        if not key:
            return
        if is_cjk(key):
            self._cjk.setdefault(key, []).append(payload)
            return
        words = key.count(" ") + 1
        if words > MAX_TERM_WORDS:
            return
        self._max_words = max(self._max_words, words)
        self._words.setdefault(key, []).append(payload)

    def add_all(self, items: Iterable[tuple[str, object]]) -> None:
        for term, payload in items:
            self.add(term, payload)

    def __len__(self) -> int:
        return len(self._words) + len(self._cjk)

    def find(self, text: str) -> list[Match]:
        """Every hit in ``text``, longest first where hits overlap, in text order."""
        folded = fold(text)
        found: list[tuple[int, int, str]] = []
        words = [(m.start(), m.end(), m.group()) for m in _WORD.finditer(folded.folded)]
        for i in range(len(words)):
            for n in range(1, min(self._max_words, len(words) - i) + 1):
                key = " ".join(w[2] for w in words[i : i + n])
                if key in self._words:
                    found.append((words[i][0], words[i + n - 1][1], key))
        if self._cjk and _CJK_CHAR.search(folded.folded):
            for key in self._cjk:
                start = folded.folded.find(key)
                while start >= 0:
                    found.append((start, start + len(key), key))
                    start = folded.folded.find(key, start + 1)
        found.sort(key=lambda f: (-(f[1] - f[0]), f[0]))
        taken: list[tuple[int, int]] = []
        kept: list[Match] = []
        for start, end, key in found:
            if any(start < e and s < end for s, e in taken):
                continue
            taken.append((start, end))
            o_start, o_end = folded.span(start, end)
            payloads = self._cjk[key] if key in self._cjk else self._words[key]
            kept.append(Match(key, o_start, o_end, text[o_start:o_end], tuple(payloads)))
        kept.sort(key=lambda m: m.start)
        return kept
