"""Texts about the listing row an answer rests on: where it comes from, and its annotation
in the officer's language.

Annotation texts are data; those of idtool's amendments file and the most frequent ones
are in the translation catalogs (:mod:`idtool.cites.annotation_texts` marks them). Each
block of an annotation (``Appendix II: ...``) is translated on its own; a text without a
translation stays in English, and the JSON keeps the English as ``annotation_en``.
"""

from __future__ import annotations

import re
from typing import Any

from idtool.cites.listing_entry import AmendmentSource, ListingEntry
from idtool.i18n import N_
from idtool.i18n import gettext as _

_HEAD = re.compile(r"^Appendix (III|II|I)\s*:\s*")

CONFIDENCE_WORDS = {"high": N_("high"), "medium": N_("medium"), "low": N_("low")}
AMENDMENT_NOTE = N_(
    "listing from idtool's amendments file ({cop_and_date}; {source}; confidence "
    "{confidence}): check it against the current CITES Appendices"
)


def translate_annotation(text: str | None) -> str | None:
    """An annotation with each block translated where the catalogs know it."""
    if not text:
        return text
    lines = []
    for line in text.split("\n"):
        head = _HEAD.match(line)
        body = line[head.end() :] if head else line
        translated = _(body) if body else body
        if head:
            label = _("Appendix {appendix}:").format(appendix=head.group(1))
            lines.append(f"{label} {translated}".rstrip())
        else:
            lines.append(translated)
    return "\n".join(lines)


def amendment_note(amendment: AmendmentSource) -> str:
    """Where a row of the amendments file comes from, in the active language (the
    document it cites stays as written)."""
    parts = [amendment.cop] if amendment.cop else []
    if amendment.effective:
        parts.append(_("in effect {date}").format(date=amendment.effective))
    confidence = CONFIDENCE_WORDS.get(amendment.confidence)
    return _(AMENDMENT_NOTE).format(
        cop_and_date=", ".join(parts) or amendment.change.replace("_", " "),
        source=amendment.source,
        confidence=_(confidence) if confidence else amendment.confidence,
    )


def listing_source(entry: ListingEntry) -> dict[str, Any]:
    """The ``listing_source`` block of a guidance answer: the layer and date of the row
    in force, and its amendment record when it comes from the amendments file."""
    info = entry.listing_set
    return {
        "name": info.name,
        "layout": info.layout,
        "bundled": info.bundled,
        "effective_date": entry.effective or info.snapshot_date,
        "amendment": entry.amendment.to_dict() if entry.amendment else None,
    }
