"""The trade lexicon: terms and code words that curators keep in ``lexicon.tsv``.

Columns (tab-separated, UTF-8, header row): ``term``, ``language`` (ISO 639-1), ``meaning``
(what the term says about a listing, in words shown to analysts), ``taxa`` (scientific
names the term points to, ``;``-separated, or empty), ``weight`` (points it adds to a
listing's priority; negative for benign context such as "resin" or "cattle bone") and
``source`` (who added it, on what basis). The shipped file is ``idtool/data/lexicon.tsv``;
``--lexicon PATH`` replaces it.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from idtool.errors import BadField

SHIPPED_LEXICON = Path(__file__).resolve().parent.parent / "data" / "lexicon.tsv"
COLUMNS = ("term", "language", "meaning", "taxa", "weight", "source")
MAX_WEIGHT = 50


@dataclass(frozen=True)
class LexiconTerm:
    """One row of the lexicon."""

    term: str
    language: str
    meaning: str
    taxa: tuple[str, ...]
    weight: float
    source: str

    @property
    def benign(self) -> bool:
        return self.weight < 0


def load_lexicon(
    path: Path = SHIPPED_LEXICON, languages: set[str] | None = None
) -> list[LexiconTerm]:
    """Read and check a lexicon file.

    Args:
        path: the TSV file.
        languages: keep only these languages (None: all).

    Returns:
        The terms, in file order.

    Raises:
        BadField: the file is missing, has other columns, or a row has an empty term,
            a weight that is not a number or one beyond +-50 (the line is named).
    """
    try:
        handle = path.open(encoding="utf-8", newline="")
    except OSError as exc:
        raise BadField(f"cannot read the lexicon {path}: {exc.strerror or exc}") from None
    terms: list[LexiconTerm] = []
    with handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise BadField(
                f"{path}: the header must be {' '.join(COLUMNS)} (tab-separated), "
                f"not {reader.fieldnames}"
            )
        for row in reader:
            line = reader.line_num
            term = (row.get("term") or "").strip()
            if not term:
                raise BadField(f"{path} line {line}: empty term")
            try:
                weight = float(row.get("weight") or "")
            except ValueError:
                raise BadField(
                    f"{path} line {line}: weight {row.get('weight')!r} is not a number"
                ) from None
            if abs(weight) > MAX_WEIGHT:
                raise BadField(f"{path} line {line}: weight {weight} is beyond +-{MAX_WEIGHT}")
            language = (row.get("language") or "").strip().lower()
            if languages is not None and language not in languages:
                continue
            taxa = tuple(t.strip() for t in (row.get("taxa") or "").split(";") if t.strip())
            terms.append(
                LexiconTerm(
                    term=term,
                    language=language,
                    meaning=(row.get("meaning") or "").strip(),
                    taxa=taxa,
                    weight=weight,
                    source=(row.get("source") or "").strip(),
                )
            )
    return terms
