"""Words for the codes that travel in JSON (ranks, decisions, statuses, verdicts).

JSON keeps the English codes (``identified``, ``genus``); front ends show these words.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache

from babel import Locale

from idtool.i18n import N_, get_language
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

STATUSES: dict[str, str] = {
    "listed": N_("listed"),
    "partial": N_("partly listed"),
    "not_listed": N_("not listed"),
    "not_found": N_("not found"),
    "not_wildlife": N_("not wildlife"),
    "no_guidance": N_("no guidance"),
}

MATCH_KINDS: dict[str, str] = {
    "exact": N_("exact"),
    "scientific": N_("scientific name"),
    "synonym": N_("synonym"),
    "common_name": N_("common name"),
    "fuzzy": N_("close spelling"),
    "species": N_("through the species"),
    "higher_taxon": N_("through a higher taxon"),
    "members": N_("through listed members"),
    "none": N_("no match"),
}

SCHREGER_CLASSES: dict[str, str] = {
    "elephant": N_("elephant"),
    "mammoth": N_("mammoth"),
    "indeterminate": N_("indeterminate"),
    "refused": N_("not classified"),
}

QUALITY_VERDICTS: dict[str, str] = {
    "pass": N_("pass"),
    "warn": N_("warn"),
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


def schreger_text(classification: str | None) -> str:
    """A Schreger classification code (``elephant``, ``refused``...) as words."""
    return _word(SCHREGER_CLASSES, classification)


def quality_text(verdict: str | None) -> str:
    """A photo-quality verdict code as a word (``pass`` -> ``good``)."""
    return _word(QUALITY_VERDICTS, verdict)


def status_text(status: str | None) -> str:
    """A guidance ``status`` (``not_listed``...) as words in the active language."""
    return _word(STATUSES, status)


def match_kind_text(kind: str | None) -> str:
    """How a name was matched (``match_kind``) as words: ``synonym`` -> ``synonyme``."""
    return _word(MATCH_KINDS, kind)


@cache
def _language_names(display: str) -> dict[str, str]:
    return dict(Locale.parse(display).languages)


def language_name(code: str) -> str:
    """A language code in words, in the active language (``fr`` -> ``francés`` in Spanish)."""
    return _language_names(get_language()).get(code, code)


def common_names_first(names: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """Common names by language, the active language first, then the others as given."""
    lang = get_language()
    ordered = {lang: list(names[lang])} if lang in names else {}
    ordered.update({k: list(v) for k, v in names.items() if k != lang})
    return ordered


def preferred_common_name(names: Mapping[str, Sequence[str]]) -> str | None:
    """The first common name in the active language, else in English, else None."""
    for lang in (get_language(), "en"):
        if names.get(lang):
            return names[lang][0]
    return None
