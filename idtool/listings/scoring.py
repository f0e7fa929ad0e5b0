"""The priority of a market listing: one rule, every weight here, every point explained.

``own = clamp(taxon + red_flags + benign + corroboration, 0, 100)``, then three rules, and
``priority = max(own, cluster lift)``:

1. **taxon** (0-45): the strongest CITES signal among the advert's taxa, text and photo:
   ``APPENDIX_POINTS[appendix] x strength``. The appendix of a taxon named in the text is
   the guidance engine's answer for that taxon (:mod:`idtool.listings.appendix`; a split
   it cannot settle counts at its least strict appendix, with the caveat in ``reasons``).
   Strength of a text hit: a scientific name or synonym 1.0, a lexicon term naming the
   taxon 0.8, a common name 0.8 (a species) or 0.5 (a genus or higher: "cats"). Strength
   of a photo: its confidence if ``identified``, half of it if ``uncertain``. When every
   readable photo is identified (confidence >= :data:`PHOTO_VERDICT_MIN`) as something no
   appendix lists (ceramic, resin...) and none as a listed taxon, the text's taxon points
   are halved: the photo's verdict is context too.
2. **red_flags** (0-40): the sum of the positive lexicon weights of the distinct terms
   found (product names, code words, laundering covers, "no papers"...), capped.
3. **benign** (-30-0): negative lexicon weights and product words read in another sense
   ("ivory dress", "tiger balm": :mod:`idtool.listings.senses`), floored.
4. **corroboration** (0 or 10): a photo and the text point to the same taxon.

Rules: **text alone** (no listed photo) stays below ``high`` unless trade signals stand
around it: code words, laundering covers or trade red flags worth at least
:data:`TRADE_SIGNAL_MIN` ("no papers", "discreet shipping", "pre-ban"...). An **Appendix I
item identified in a photo** (confidence >= :data:`PHOTO_FLOOR_MIN`), offered for sale (a
price or a sale word) and named by the text too, is ``high`` at least. A **cluster**
(shared photo, seller, phone or handle) lifts a member to :data:`PHOTO_LINK_SHARE` (shared
photo) or :data:`OTHER_LINK_SHARE` of its strongest other member's own priority; a member
with no signal of its own is lifted at most to ``medium``.

Levels: ``high`` from 60, ``medium`` from 30, else ``low``. Each rule or component that
moves the score writes one sentence in ``reasons``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from idtool.listings.signals import SENSE, SPECIES_RANKS, TaxonSignal, TextHit

APPENDIX_POINTS = {"I": 45.0, "II": 30.0, "III": 15.0}
TEXT_STRENGTH = {"scientific": 1.0, "synonym": 1.0, "lexicon": 0.8, "common": 0.8}
HIGHER_RANK_COMMON_STRENGTH = 0.5
UNCERTAIN_PHOTO_FACTOR = 0.5
RED_FLAG_CAP = 40.0
BENIGN_FLOOR = -30.0
CORROBORATION_POINTS = 10.0
PHOTO_VERDICT_MIN = 0.8
PHOTO_VERDICT_FACTOR = 0.5
PHOTO_FLOOR_MIN = 0.8
TRADE_SIGNAL_MIN = 6.0
TRADE_SIGNAL_CATEGORIES = ("trade red flag", "code word", "laundering cover")
SALE_CATEGORY = "trade note: offered for sale"
PHOTO_LINK_SHARE = 0.8
OTHER_LINK_SHARE = 0.6
HIGH_FROM = 60
MEDIUM_FROM = 30


@dataclass(frozen=True)
class Priority:
    """A listing's score, level and the reasons for it."""

    priority: int
    level: str
    reasons: tuple[str, ...]
    components: dict[str, float]
    own_signal: bool = False  # a taxon or a red flag of its own (not only its links)


@dataclass(frozen=True)
class ClusterLink:
    """What a market listing's cluster says about it: its size and its strongest member."""

    size: int
    strongest_id: str  # the other member with the highest own priority
    strongest_priority: int
    via: tuple[str, ...]  # the kinds of keys this listing shares: photo, seller, phone, handle


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


def level_of(priority: int) -> str:
    """``high``, ``medium`` or ``low`` for a priority."""
    if priority >= HIGH_FROM:
        return "high"
    return "medium" if priority >= MEDIUM_FROM else "low"


def _quoted(terms: Sequence[str], limit: int = 4) -> str:
    shown = ", ".join(f"'{t}'" for t in terms[:limit])
    return shown + (f" and {len(terms) - limit} more" if len(terms) > limit else "")


def _category(hit: TextHit) -> str:
    return hit.meaning.split(":", 1)[0].strip()


def _photo_says_not_listed(taxa: Sequence[TaxonSignal]) -> TaxonSignal | None:
    """The photo whose confident verdict is an unlisted thing, when no photo is listed."""
    photos = [t for t in taxa if t.source == "photo"]
    if not photos or any(t.appendix in APPENDIX_POINTS for t in photos):
        return None
    sure = [
        t for t in photos if t.kind == "identified" and (t.confidence or 0) >= PHOTO_VERDICT_MIN
    ]
    return sure[0] if sure else None


def _best_taxon(
    taxa: Sequence[TaxonSignal], text_factor: float
) -> tuple[float, TaxonSignal] | None:
    best: tuple[float, TaxonSignal] | None = None
    for taxon in taxa:
        if taxon.appendix not in APPENDIX_POINTS:
            continue
        factor = text_factor if taxon.source == "text" else 1.0
        points = APPENDIX_POINTS[taxon.appendix] * signal_strength(taxon) * factor
        if points > 0 and (best is None or points > best[0]):
            best = (points, taxon)
    return best


def _taxon_reason(points: float, t: TaxonSignal) -> str:
    if t.source == "photo":
        how = f"photo {t.via}: {t.kind}, confidence {t.confidence or 0:.2f}"
    elif t.kind == "lexicon":
        how = f"text says '{t.via}'"
    else:
        how = f"text says '{t.via}', a {t.kind} name"
    caveat = f"; {t.appendix_note}" if t.appendix_note else ""
    return f"+{points:.0f} CITES Appendix {t.appendix}: {t.name} ({how}{caveat})"


def score_listing(
    hits: Sequence[TextHit],
    taxa: Sequence[TaxonSignal],
    cluster: ClusterLink | None = None,
    *,
    priced: bool = False,
) -> Priority:
    """Score one market listing.

    Args:
        hits: its text hits (lexicon terms, taxon names, other senses).
        taxa: the taxa its text and photos point to, with appendices.
        cluster: its cluster, when it is linked to other listings.
        priced: it states a price (an offer for sale).
    """
    reasons: list[str] = []
    not_listed_photo = _photo_says_not_listed(taxa)
    text_factor = PHOTO_VERDICT_FACTOR if not_listed_photo else 1.0
    best = _best_taxon(taxa, text_factor)
    taxon_points = best[0] if best else 0.0
    if best is not None:
        reasons.append(_taxon_reason(*best))
    if not_listed_photo is not None and any(t.source == "text" for t in taxa):
        reasons.append(
            f"x{PHOTO_VERDICT_FACTOR:g} text taxon points: photo {not_listed_photo.via} is "
            f"identified as {not_listed_photo.name} (confidence "
            f"{not_listed_photo.confidence or 0:.2f}), which no appendix lists"
        )
    seen: dict[str, TextHit] = {}
    for hit in hits:
        if hit.kind in ("lexicon", SENSE):
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
        senses = [h.meaning.split(": ", 1)[-1] for h in benign_hits if h.kind == SENSE]
        if senses:
            reasons.append("read in context: " + "; ".join(dict.fromkeys(senses)))
    text_taxa = {t.name for t in taxa if t.source == "text"}
    photo_taxa = [t for t in taxa if t.source == "photo" and signal_strength(t) > 0]
    agree = [t for t in photo_taxa if t.name in text_taxa and t.appendix in APPENDIX_POINTS]
    corroboration = CORROBORATION_POINTS if agree else 0.0
    if agree:
        reasons.append(
            f"+{corroboration:.0f} photo and text agree: {agree[0].name} (photo {agree[0].via})"
        )
    own = int(max(0, min(100, round(taxon_points + red + benign + corroboration))))
    components = {
        "taxon": round(taxon_points, 2),
        "red_flags": round(red, 2),
        "benign": round(benign, 2),
        "corroboration": corroboration,
        "rules": 0.0,
        "cluster": 0.0,
    }
    own_signal = taxon_points + red > 0
    priority = _apply_rules(own, hits, flags, photo_taxa, agree, priced, reasons)
    components["rules"] = float(priority - own)
    if cluster is not None and cluster.size > 1:
        lifted = _lift(priority, own_signal, cluster, reasons)
        components["cluster"] = float(lifted - priority)
        priority = lifted
    if not reasons:
        reasons.append("no CITES taxon, trade term or code word found in text or photos")
    return Priority(priority, level_of(priority), tuple(reasons), components, own_signal)


def _apply_rules(
    own: int,
    hits: Sequence[TextHit],
    flags: Sequence[TextHit],
    photo_taxa: Sequence[TaxonSignal],
    agree: Sequence[TaxonSignal],
    priced: bool,
    reasons: list[str],
) -> int:
    """The text-alone cap and the identified-Appendix-I floor (module docstring)."""
    listed_photo = any(t.appendix in APPENDIX_POINTS for t in photo_taxa)
    trade = sum(w.weight for w in flags if _category(w) in TRADE_SIGNAL_CATEGORIES)
    if own >= HIGH_FROM and not listed_photo and trade < TRADE_SIGNAL_MIN:
        reasons.append(
            f"-{own - (HIGH_FROM - 1)} text alone: no code word, cover story or trade red "
            f"flag worth {TRADE_SIGNAL_MIN:.0f} around the product words, so not high"
        )
        own = HIGH_FROM - 1
    offered = priced or any(h.meaning == SALE_CATEGORY for h in hits)
    floor = [
        t
        for t in agree
        if t.appendix == "I" and t.kind == "identified" and (t.confidence or 0) >= PHOTO_FLOOR_MIN
    ]
    if floor and offered and own < HIGH_FROM:
        reasons.append(
            f"+{HIGH_FROM - own} Appendix I item identified in photo {floor[0].via} "
            f"({floor[0].name}), named by the text and offered for sale"
        )
        own = HIGH_FROM
    return own


def _lift(priority: int, own_signal: bool, cluster: ClusterLink, reasons: list[str]) -> int:
    share = PHOTO_LINK_SHARE if "photo" in cluster.via else OTHER_LINK_SHARE
    target = round(share * cluster.strongest_priority)
    if not own_signal:
        target = min(target, HIGH_FROM - 1)
    via = ", ".join(cluster.via) or "shared keys"
    lift = max(0, target - priority)
    if lift:
        reasons.append(
            f"+{lift} linked to {cluster.size - 1} other listing(s) ({via}): the cluster's "
            f"strongest, {cluster.strongest_id}, has priority {cluster.strongest_priority}; "
            f"a member is lifted to {share:.0%} of it"
            + ("" if own_signal else ", at most medium with no signal of its own")
        )
    else:
        reasons.append(f"linked to {cluster.size - 1} other listing(s) ({via})")
    return priority + lift
