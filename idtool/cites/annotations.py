"""Parse CITES annotation text into appendix blocks and population splits.

Species+ exports keep split listings in free text: ``"Appendix I:All populations except
those of BW, NA, ZA, and ZW. \\nAppendix II:Populations of BW, NA, ZA, ZW"`` (2017 index)
or ``"**I** Except the population of Argentina, ... \\n**II** Population of Argentina"``
(2023 listings export). Countries appear as ISO codes, names, former names or regions.
This module turns such text into a :class:`PopulationSplit` and answers which appendix
applies to a declared country of origin (:func:`choose_population`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache

from idtool.cites.countries import CountryMention, countries, country_name, find_countries
from idtool.i18n import N_
from idtool.i18n import gettext as _

APPENDIX_ORDER = ("I", "II", "III")
_STRICTNESS = {"I": 0, "II": 1, "III": 2}

_TAG = re.compile(r"<[^>]+>")
_BLOCK_HEAD = re.compile(r"^\s*(?:Appendix\s+(III|II|I)\s*:|\*\*(III|II|I)\*\*)\s*", re.I)
_BRACKET_LISTING = re.compile(r"^\[(\w+) listing ([^\]]+)\]\s*")
_COMPLEMENT = re.compile(r"\b(except|excluding|all other|other than)\b", re.I)
_NOT_COVERED = re.compile(r"not (included in the Appendices|subject to the provisions)", re.I)
_PARTIAL_BEFORE = re.compile(r"\b(parts? of|district|department|province|state of)\b", re.I)
_DIRECTION_BEFORE = re.compile(
    r"\b(west|east|north|south|western|eastern|northern|southern)\s+$", re.I
)
_PARTIAL_AFTER = re.compile(r"^\s*[\[(][^\])]*\b(only|restricted|population of the)\b", re.I)
_BRACKETED = re.compile(r"\[[^\]]*\]|\([^)]*\)")
_TAXONOMIC = re.compile(
    r"species (included|listed) in Appendix|\bsubspecies\b|\b[A-Z]\. ?[a-z]\. [a-z]+|"
    r"\bexcept\b[^.]*\b[A-Z][a-z]+ [a-z]{3,}|\bspecies only\b|\bIncludes [A-Z][a-z]+idae",
)


_SENTENCE_END = re.compile(r"(?<=[A-Za-z)]{2}\.|[.\w]\)\.)\s+(?=[A-Z])")


def first_sentence(text: str) -> str:
    """The first sentence of a block: where annotations name their populations.

    Later sentences carry conditions ("For African populations: a zero quota...") that
    must not be read as population assignments. Abbreviations such as ``A. c.`` do not
    end a sentence.
    """
    return _SENTENCE_END.split(text, maxsplit=1)[0]


def strictest(appendices: list[str] | tuple[str, ...] | set[str]) -> str | None:
    """The strictest of the given appendices (I before II before III), or None."""
    ranked = [a for a in appendices if a in _STRICTNESS]
    return min(ranked, key=_STRICTNESS.__getitem__) if ranked else None


def clean_annotation(text: str | None) -> str:
    """Strip HTML, ``\\r`` and non-breaking spaces; keep the ``\\n`` block separators."""
    if not text:
        return ""
    text = text.replace("\r", "").replace("\u00a0", " ")
    text = re.sub(r"<p>\s*", " ", text, flags=re.I)
    text = html.unescape(_TAG.sub("", text))
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in text.split("\n")]
    return "\n".join(line for line in lines if line)


def split_blocks(text: str | None) -> list[tuple[str, str]]:
    """Split annotation text into ``(appendix, text)`` blocks.

    Lines that do not start a block (``Appendix II:`` or ``**II**``) continue the
    previous block. Text before any block header is returned with appendix ``""``.
    """
    blocks: list[tuple[str, str]] = []
    for line in clean_annotation(text).split("\n"):
        if not line:
            continue
        head = _BLOCK_HEAD.match(line)
        if head:
            appendix = (head.group(1) or head.group(2)).upper()
            body = _BRACKET_LISTING.sub("", line[head.end() :]).strip()
            blocks.append((appendix, body))
        elif blocks:
            appendix, body = blocks[-1]
            blocks[-1] = (appendix, f"{body} {line}".strip())
        else:
            blocks.append(("", line))
    return blocks


@cache
def parse_listing(value: str | None) -> tuple[tuple[str, ...], bool]:
    """``"I/II/NC"`` -> ``(("I", "II"), True)``: the appendices and whether some part is NC."""
    parts = [p.strip().upper() for p in (value or "").split("/") if p.strip()]
    appendices = tuple(a for a in APPENDIX_ORDER if a in parts)
    return appendices, "NC" in parts


@dataclass(frozen=True)
class PopulationOption:
    """One appendix a specimen could fall under, and for which population."""

    appendix: str
    population: str


@dataclass(frozen=True)
class PopulationSplit:
    """How a listing divides between appendices.

    ``kind`` is ``single`` (one appendix), ``population`` (by country: ``named`` maps an
    appendix to the countries named for it, ``rest_appendix`` takes every other country),
    ``taxonomic`` (the split is between species or subspecies below this taxon;
    ``member_default`` is the appendix of a member not listed by name) or
    ``unresolved`` (the text does not say).
    """

    kind: str
    appendices: tuple[str, ...]
    named: Mapping[str, frozenset[str]] = field(default_factory=dict)
    partial: frozenset[str] = frozenset()
    not_covered: frozenset[str] = frozenset()
    rest_appendix: str | None = None
    member_default: str | None = None
    reason: str = ""

    @property
    def resolved(self) -> bool:
        return self.kind != "unresolved"


@dataclass(frozen=True)
class PopulationChoice:
    """The appendix for one declared origin, or the options when it cannot be told."""

    appendix: str | None
    population: str
    options: tuple[PopulationOption, ...]
    resolved: bool
    reason: str


def _is_partial(text: str, mention: CountryMention) -> bool:
    """True when only part of the country's population is meant ("Part of the population
    of CO", "west Greenland", "Philippines [population of the Palawan Islands only]")."""
    before = text[: mention.start]
    if before.count("[") > before.count("]") or before.count("(") > before.count(")"):
        return False  # a country named inside a qualifier of another one
    after = text[mention.start + len(mention.text) :]
    if _PARTIAL_AFTER.match(after):
        return True
    if _DIRECTION_BEFORE.search(before):
        return True
    cut = max(before.rfind(";"), before.rfind(", and"), before.rfind("."), before.rfind(":"))
    clause = _BRACKETED.sub(" ", before[cut + 1 :])
    return bool(_PARTIAL_BEFORE.search(clause))


def _not_covered_codes(text: str) -> set[str]:
    codes: set[str] = set()
    for sentence in re.split(r"(?<=\.)\s+", text):
        if _NOT_COVERED.search(sentence):
            for mention in find_countries(sentence):
                codes |= mention.codes
    return codes


def parse_population_split(
    listing: str | None,
    annotation: str | None,
    *,
    rank: str = "SPECIES",
    full_annotation: str | None = None,
    has_listed_children: bool = False,
) -> PopulationSplit:
    """Work out how a listing splits between appendices.

    Args:
        listing: ``CurrentListing`` / ``Listing`` value such as ``"I/II"``.
        annotation: the short annotation (``AnnotationEnglish`` or ``Full note``).
        rank: the row's rank; above species a split is read as between member taxa.
        full_annotation: the long annotation, read when the short one names no country.
        has_listed_children: True when lower taxa of this row are listed separately.

    Returns:
        The split; ``kind == "unresolved"`` when the text does not say.
    """
    appendices, _ = parse_listing(listing)
    if len(appendices) <= 1:
        only = appendices[0] if appendices else None
        restricted = _restricted_populations(only, annotation) if only else None
        if restricted is not None:
            return restricted
        return PopulationSplit("single", appendices, rest_appendix=only, member_default=only)
    blocks = [(a, t) for a, t in split_blocks(annotation) if a in appendices]
    split = _population_from_blocks(appendices, blocks)
    if split is None and full_annotation:
        full_blocks = [(a, t) for a, t in split_blocks(full_annotation) if a in appendices]
        split = _population_from_blocks(appendices, full_blocks)
        blocks = blocks or full_blocks
    if split is not None:
        return split
    texts = " ".join(t for _, t in blocks)
    higher = rank.upper() not in ("SPECIES", "SUBSPECIES", "VARIETY")
    if higher or has_listed_children or _TAXONOMIC.search(texts):
        present = sorted({a for a, _ in blocks}, key=_STRICTNESS.__getitem__)
        if len(present) == 1:
            default = present[0]
        else:
            excepting = [a for a, t in blocks if _COMPLEMENT.search(t)]
            default = strictest(excepting or list(appendices)) or appendices[0]
        # split reasons are cached with the index: English, translated by choose_population
        return PopulationSplit(
            "taxonomic",
            appendices,
            not_covered=frozenset(_not_covered_codes(texts)),
            member_default=default,
            reason=N_(
                "split between taxa below this one; members not listed by name fall under "
                "Appendix {appendix}"
            ),
        )
    return PopulationSplit(
        "unresolved",
        appendices,
        reason=N_("the annotation does not say which populations are in which appendix"),
    )


_ONLY = re.compile(r"^Populations? of ([^.]+?) only\b([^.]*)", re.I)


def _restricted_populations(appendix: str, annotation: str | None) -> PopulationSplit | None:
    """A one-appendix listing of some populations only ("Populations of Africa only"):
    the named countries are listed, every other country's population is not covered."""
    for block_appendix, text in split_blocks(annotation):
        match = _ONLY.match(text) if block_appendix == appendix else None
        if not match:
            continue
        where = f"{match.group(1)} {match.group(2)}"
        codes = frozenset(c for m in find_countries(where) for c in m.codes)
        if codes:
            return PopulationSplit(
                "population",
                (appendix,),
                named={appendix: codes},
                not_covered=frozenset(countries()) - codes,
            )
    return None


def _population_from_blocks(
    appendices: tuple[str, ...], blocks: list[tuple[str, str]]
) -> PopulationSplit | None:
    not_covered: set[str] = set()
    per_block: list[tuple[str, str, list[CountryMention]]] = []
    for appendix, whole in blocks:
        nc = _not_covered_codes(whole)
        not_covered |= nc
        text = first_sentence(whole)
        mentions = [m for m in find_countries(text) if not m.codes <= nc]
        per_block.append((appendix, text, mentions))
    if not any(mentions for _, _, mentions in per_block):
        return None
    named: dict[str, set[str]] = {}
    partial: set[str] = set()
    rest_candidates: list[str] = []
    unplaced: set[str] = set()
    for appendix, text, mentions in per_block:
        if not mentions:
            rest_candidates.append(appendix)
            continue
        codes = set().union(*(m.codes for m in mentions))
        partial |= {c for m in mentions if _is_partial(text, m) for c in m.codes}
        if _COMPLEMENT.search(text[: mentions[0].start]):
            rest_candidates.append(appendix)
            others = [a for a in appendices if a != appendix]
            if len(others) == 1:
                named.setdefault(others[0], set()).update(codes)
            else:
                unplaced |= codes
        else:
            named.setdefault(appendix, set()).update(codes)
    distinct = list(dict.fromkeys(rest_candidates))
    if len(distinct) > 1:
        distinct = [a for a in distinct if a not in named] or distinct
    if not distinct:
        distinct = [a for a in appendices if a not in named]
    rest = strictest(distinct) if distinct else None
    if not named or unplaced:
        return None
    return PopulationSplit(
        "population",
        appendices,
        named={a: frozenset(c) for a, c in named.items()},
        partial=frozenset(partial),
        not_covered=frozenset(not_covered),
        rest_appendix=rest,
        reason=N_("populations named by country in the annotation"),
    )


# Officer-facing population texts: whole sentences with named placeholders.
# English, marked for translation; translated where used.
POPULATION_OF = N_("population of {country}")
POPULATION_REST = N_("all populations not listed in Appendix {listed} (Appendix {appendix})")
POPULATION_UNPLACED = N_("undetermined: the declared origin is not named in the annotation")
REASON_NAMED = N_("the population of {country} is listed in Appendix {appendix}")
REASON_PARTLY_NAMED = N_(
    "only part of the population of {country} is in Appendix {appendix}; check the "
    "annotation for the exact area. The strictest appendix is used."
)
REASON_REST = N_(
    "{country} is not one of the populations listed in Appendix {listed}: "
    "Appendix {appendix} applies"
)
REASON_UNPLACED = N_(
    "{country} is not one of the populations listed in Appendix {listed}, and the "
    "annotation does not say where other populations belong: Appendix {appendix}, the "
    "strictest, is used"
)
REASON_NOT_COVERED = N_(
    "the annotation says the population of {country} is not included in the Appendices"
)


def describe_countries(codes: frozenset[str], limit: int = 8) -> str:
    """``{"BW", "NA"}`` -> ``"Botswana (BW), Namibia (NA)"`` (codes only past ``limit``)."""
    ordered = sorted(codes)
    if len(ordered) > limit:
        return ", ".join(ordered)
    return ", ".join(
        _("{country} ({code})").format(country=country_name(c), code=c) for c in ordered
    )


def _options(split: PopulationSplit) -> tuple[PopulationOption, ...]:
    options = [
        PopulationOption(
            a, _("populations of {countries}").format(countries=describe_countries(split.named[a]))
        )
        for a in APPENDIX_ORDER
        if a in split.named
    ]
    if split.rest_appendix:
        options.append(PopulationOption(split.rest_appendix, _("all other populations")))
    options.sort(key=lambda o: _STRICTNESS[o.appendix])
    return tuple(options)


def choose_population(
    split: PopulationSplit, origin: str | None, *, inherited: bool = False
) -> PopulationChoice:
    """Pick the appendix that applies to a specimen from ``origin``.

    Args:
        split: the parsed split.
        origin: ISO code of the declared country of origin, or None.
        inherited: True when the listing row is a higher taxon covering a member that is
            not listed by name (a taxonomic split then resolves to ``member_default``).

    Returns:
        The choice; without an origin (or when the text does not settle it) the options
        are listed and ``appendix`` is the strictest of them.
    """
    if split.kind == "single":
        appendix = split.appendices[0] if split.appendices else None
        single: tuple[PopulationOption, ...] = (
            (PopulationOption(appendix, _("all populations")),) if appendix else ()
        )
        return PopulationChoice(appendix, _("all populations"), single, True, _("single listing"))
    if split.kind == "taxonomic":
        options = tuple(
            PopulationOption(a, _("some species or subspecies")) for a in split.appendices
        )
        if inherited and split.member_default:
            return PopulationChoice(
                split.member_default,
                _("species not listed separately"),
                options,
                True,
                _(split.reason).format(appendix=split.member_default),
            )
        return PopulationChoice(
            strictest(split.appendices),
            _("undetermined: depends on the subspecies or member taxon"),
            options,
            False,
            _(
                "this listing is split between lower taxa; identify to subspecies or check "
                "the annotation. The strictest appendix is used until then."
            ),
        )
    if split.kind == "unresolved":
        options = tuple(PopulationOption(a, _("unknown populations")) for a in split.appendices)
        return PopulationChoice(
            strictest(split.appendices), _("undetermined"), options, False, _(split.reason)
        )
    options = _options(split)
    if origin is None:
        return PopulationChoice(
            strictest([o.appendix for o in options]),
            _("undetermined: no country of origin declared"),
            options,
            False,
            _(
                "the listing is split by population; declare the country of origin. "
                "The strictest appendix applies until then."
            ),
        )
    country = _("{country} ({code})").format(country=country_name(origin), code=origin)
    if origin in split.not_covered:
        return PopulationChoice(
            None,
            _(POPULATION_OF).format(country=country),
            options,
            True,
            _(REASON_NOT_COVERED).format(country=country),
        )
    hits = [a for a in APPENDIX_ORDER if origin in split.named.get(a, frozenset())]
    population = _(POPULATION_OF).format(country=country)
    if hits:
        chosen = strictest(hits) or hits[0]
        if origin in split.partial or len(hits) > 1:
            alternatives = {*hits, *(a for a in [split.rest_appendix] if a)}
            return PopulationChoice(
                strictest(alternatives),
                population,
                options,
                False,
                _(REASON_PARTLY_NAMED).format(country=country, appendix=chosen),
            )
        return PopulationChoice(
            chosen,
            population,
            options,
            True,
            _(REASON_NAMED).format(country=country, appendix=chosen),
        )
    named = [a for a in APPENDIX_ORDER if split.named.get(a)]
    listed = named[0] if len(named) == 1 else _(" or ").join(named)
    if split.rest_appendix:
        rest = split.rest_appendix
        return PopulationChoice(
            rest,
            _(POPULATION_REST).format(listed=listed, appendix=rest),
            options,
            True,
            _(REASON_REST).format(country=country, listed=listed, appendix=rest),
        )
    appendix = strictest(split.appendices)
    return PopulationChoice(
        appendix,
        _(POPULATION_UNPLACED),
        options,
        False,
        _(REASON_UNPLACED).format(country=country, listed=listed, appendix=appendix),
    )
