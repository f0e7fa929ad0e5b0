"""Words for the codes that travel in JSON (ranks, decisions, statuses, verdicts).

JSON keeps the English codes (``identified``, ``genus``); front ends show these words.
"""

from __future__ import annotations

from idtool.i18n import N_
from idtool.i18n import gettext as _

RANKS: dict[str, str] = {
    "kingdom": N_("kingdom"),
    "phylum": N_("phylum"),
    "class": N_("class"),
    "order": N_("order"),
    "family": N_("family"),
    "subfamily": N_("subfamily"),
    "genus": N_("genus"),
    "species": N_("species"),
    "subspecies": N_("subspecies"),
    "variety": N_("variety"),
    "material": N_("material"),
}

DECISIONS: dict[str, str] = {
    "identified": N_("identified"),
    "uncertain": N_("uncertain"),
    "not_in_reference": N_("not in reference"),
    "error": N_("error"),
}

MATCH_KINDS: dict[str, str] = {
    "exact": N_("exact name"),
    "scientific": N_("scientific name"),
    "synonym": N_("synonym"),
    "common_name": N_("common name"),
    "fuzzy": N_("close spelling"),
    "species": N_("through the species"),
    "higher_taxon": N_("through a higher taxon"),
    "members": N_("through listed members"),
    "none": N_("no match"),
}

QUALITY_VERDICTS: dict[str, str] = {
    "pass": N_("good"),
    "warn": N_("check"),
    "fail": N_("poor"),
}


def _word(table: dict[str, str], code: str | None) -> str:
    if not code:
        return ""
    english = table.get(code.lower())
    return _(english) if english else code.replace("_", " ")


def rank_name(rank: str | None) -> str:
    """``genus`` -> ``genre`` in French; unknown ranks are shown as they are."""
    return _word(RANKS, rank)


def decision_text(decision: str | None) -> str:
    """``not_in_reference`` -> ``not in reference`` / ``hors référence`` / ``fuera de referencia``."""
    return _word(DECISIONS, decision)


def quality_text(verdict: str | None) -> str:
    """A photo-quality verdict code as a word (``pass`` -> ``good``)."""
    return _word(QUALITY_VERDICTS, verdict)


def match_kind_text(kind: str | None) -> str:
    """How a name was matched (``match_kind``) as words: ``synonym`` -> ``synonyme``."""
    return _word(MATCH_KINDS, kind)
