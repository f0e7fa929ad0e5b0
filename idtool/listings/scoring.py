"""The priority of a listing: one rule, every weight here, every point explained.

``priority = clamp(taxon + red_flags + benign + corroboration + cluster, 0, 100)``

1. **taxon** (0-45): the strongest CITES signal among the listing's taxa, text and photo:
   ``APPENDIX_POINTS[appendix] x strength``. Strength of a text hit: a scientific name or
   synonym 1.0, a lexicon term naming the taxon 0.8, a common name 0.8 (a species) or
   0.5 (a genus or higher: "cats", "pangolins"). Strength of a photo: its confidence if
   ``identified``, half of it if ``uncertain``; other decisions give nothing.
2. **red_flags** (0-40): the sum of the positive lexicon weights of the distinct terms
   found (product names, code words, laundering covers, "no papers"...), capped.
3. **benign** (-30-0): the sum of the negative lexicon weights ("resin", "cattle bone",
   "ivory colour"...), floored. It lowers a listing; it never hides one.
4. **corroboration** (0 or 10): a photo and the text point to the same taxon.
5. **cluster** (0-15): ``5 x (cluster size - 1)``, capped, and only when the listing has
   a signal of its own (taxon or red flags): a linked benign listing stays low.

Levels: ``high`` from 60, ``medium`` from 30, else ``low``. Each component that adds
or removes points writes one sentence in ``reasons``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from idtool.listings.signals import SPECIES_RANKS, TaxonSignal, TextHit

APPENDIX_POINTS = {"I": 45.0, "II": 30.0, "III": 15.0}
TEXT_STRENGTH = {"scientific": 1.0, "synonym": 1.0, "lexicon": 0.8, "common": 0.8}
HIGHER_RANK_COMMON_STRENGTH = 0.5
UNCERTAIN_PHOTO_FACTOR = 0.5
RED_FLAG_CAP = 40.0
BENIGN_FLOOR = -30.0
CORROBORATION_POINTS = 10.0
CLUSTER_POINTS_PER_LISTING = 5.0
CLUSTER_CAP = 15.0
HIGH_FROM = 60
MEDIUM_FROM = 30


@dataclass(frozen=True)
class Priority:
    """A listing's score, level and the reasons for it."""

    priority: int
    level: str
    reasons: tuple[str, ...]
    components: dict[str, float]


def signal_strength(taxon: TaxonSignal) -> float:
    """How strongly one taxon signal counts (0..1); see the module docstring."""
    if taxon.source == "photo":
        confidence = taxon.confidence or 0.0
        if taxon.kind == "identified":
            return confidence
        if taxon.kind == "uncertain":
            return UNCERTAIN_PHOTO_FACTOR * confidence
        return 0.0
    if taxon.kind == "common" and taxon.rank not in SPECIES_RANKS:
        return HIGHER_RANK_COMMON_STRENGTH
    return TEXT_STRENGTH.get(taxon.kind, 0.0)


def _level(priority: int) -> str:
    if priority >= HIGH_FROM:
        return "high"
    return "medium" if priority >= MEDIUM_FROM else "low"


def _quoted(terms: Sequence[str], limit: int = 4) -> str:
    shown = ", ".join(f"'{t}'" for t in terms[:limit])
    return shown + (f" and {len(terms) - limit} more" if len(terms) > limit else "")


def score_listing(
    hits: Sequence[TextHit], taxa: Sequence[TaxonSignal], cluster_size: int
) -> Priority:
    """Score one listing.

    Args:
        hits: its text hits (lexicon terms and taxon names).
        taxa: the taxa its text and photos point to, with appendices.
        cluster_size: listings in its cluster (1 when linked to nothing).
    """
    reasons: list[str] = []
    best: tuple[float, TaxonSignal] | None = None
    for taxon in taxa:
        if taxon.appendix not in APPENDIX_POINTS:
            continue
        points = APPENDIX_POINTS[taxon.appendix] * signal_strength(taxon)
        if points > 0 and (best is None or points > best[0]):
            best = (points, taxon)
    taxon_points = best[0] if best else 0.0
    if best is not None:
        t = best[1]
        if t.source == "photo":
            how = f"photo {t.via}: {t.kind}, confidence {t.confidence or 0:.2f}"
        elif t.kind == "lexicon":
            how = f"text says '{t.via}'"
        else:
            how = f"text says '{t.via}', a {t.kind} name"
        reasons.append(f"+{taxon_points:.0f} CITES Appendix {t.appendix}: {t.name} ({how})")
    seen: dict[str, TextHit] = {}
    for hit in hits:
        if hit.kind == "lexicon":
            seen.setdefault(hit.meaning + "|" + hit.term.casefold(), hit)
    flags = [h for h in seen.values() if h.weight > 0]
    benign_hits = [h for h in seen.values() if h.weight < 0]
    red_raw = sum(h.weight for h in flags)
    red = min(RED_FLAG_CAP, red_raw)
    if flags:
        flags.sort(key=lambda h: -h.weight)
        capped = f" (capped from {red_raw:.0f})" if red_raw > RED_FLAG_CAP else ""
        reasons.append(
            f"+{red:.0f} red-flag terms{capped}: "
            + "; ".join(f"'{h.term}' = {h.meaning}" for h in flags[:5])
            + ("" if len(flags) <= 5 else f"; and {len(flags) - 5} more")
        )
    benign = max(BENIGN_FLOOR, sum(h.weight for h in benign_hits))
    if benign_hits:
        reasons.append(f"{benign:.0f} benign context: {_quoted([h.term for h in benign_hits])}")
    text_taxa = {t.name for t in taxa if t.source == "text"}
    photo_taxa = [t for t in taxa if t.source == "photo" and signal_strength(t) > 0]
    agree = [t for t in photo_taxa if t.name in text_taxa]
    corroboration = CORROBORATION_POINTS if agree else 0.0
    if agree:
        reasons.append(
            f"+{corroboration:.0f} photo and text agree: {agree[0].name} (photo {agree[0].via})"
        )
    own_signal = taxon_points + red > 0
    cluster = 0.0
    if cluster_size > 1 and own_signal:
        cluster = min(CLUSTER_CAP, CLUSTER_POINTS_PER_LISTING * (cluster_size - 1))
        reasons.append(
            f"+{cluster:.0f} linked to {cluster_size - 1} other listing(s) "
            "(shared photo, seller, phone or handle)"
        )
    total = taxon_points + red + benign + corroboration + cluster
    priority = int(max(0, min(100, round(total))))
    if not reasons:
        reasons.append("no CITES taxon, trade term or code word found in text or photos")
    components = {
        "taxon": round(taxon_points, 2),
        "red_flags": round(red, 2),
        "benign": round(benign, 2),
        "corroboration": corroboration,
        "cluster": cluster,
    }
    return Priority(priority, _level(priority), tuple(reasons), components)
