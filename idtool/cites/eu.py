"""EU Wildlife Trade Regulation annexes (Council Regulation (EC) No 338/97, Annexes A-D).

No machine-readable annex table ships with idtool, so the layer reports
``EU annex: unknown — no data loaded`` until a user imports one with
``idtool cites eu-import FILE``.

Expected file format (CSV or CSV.gz, UTF-8, header row; snapshot date from the file name
``..._YYYY-MM-DD.csv`` or ``--snapshot-date``):

=============  ========  =====================================================
column         required  meaning
=============  ========  =====================================================
``taxon``      yes       scientific name as in the annex (``Panthera tigris``,
                         ``Pythonidae``, ``Phelsuma``); a trailing ``spp.`` is dropped
``annex``      yes       ``A``, ``B``, ``C`` or ``D``
``rank``       no        ``SPECIES``, ``GENUS``, ``FAMILY``, ``ORDER``...
``annotation`` no        free text (populations, exceptions)
``regulation`` no        the implementing regulation, e.g. ``(EU) 2023/966``
=============  ========  =====================================================

A higher taxon covers the species below it unless one is listed separately, as for CITES.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from idtool.cites.store import ListingSetInfo
from idtool.i18n import N_
from idtool.i18n import gettext as _

EU_MEMBER_STATES = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
    ]
)

# English, marked for translation; translated when a status is built.
_ANNEX_RULES: dict[str, str] = {
    "A": N_(
        "EU Annex A: import permit and (re-)export permit; commercial use inside the EU "
        "needs an Article 8 exemption certificate (Reg. (EC) 338/97 Art. 4(1), 8)"
    ),
    "B": N_(
        "EU Annex B: import permit required (stricter than CITES Appendix II) "
        "(Reg. (EC) 338/97 Art. 4(2))"
    ),
    "C": N_(
        "EU Annex C: import notification at the border, plus the CITES export permit or "
        "certificate of origin (Reg. (EC) 338/97 Art. 4(3))"
    ),
    "D": N_("EU Annex D: import notification at the border (Reg. (EC) 338/97 Art. 4(4))"),
}


@dataclass(frozen=True)
class EuAnnexEntry:
    full_name: str
    rank: str
    annex: str
    annotation: str
    regulation: str


@dataclass(frozen=True)
class EuStatus:
    """The EU annex answer for one taxon."""

    status: str  # "listed", "not_listed", "unknown", "not_applicable"
    annex: str | None
    matched_name: str | None
    annotation: str
    requirement: str | None
    note: str
    listing_set: ListingSetInfo | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "annex": self.annex,
            "matched_name": self.matched_name,
            "annotation": self.annotation or None,
            "requirement": self.requirement,
            "note": self.note,
            "listing_set": self.listing_set.to_dict() if self.listing_set else None,
        }


def _key(name: str) -> str:
    text = " ".join(name.replace("_", " ").split())
    for suffix in (" spp.", " spp", " sp."):
        if text.lower().endswith(suffix):
            text = text[: -len(suffix)]
    return text.casefold()


class EuAnnexIndex:
    """In-memory EU annex lookup for one imported annex set (or none)."""

    def __init__(self, entries: list[EuAnnexEntry], listing_set: ListingSetInfo | None) -> None:
        self.listing_set = listing_set
        self._by_name = {_key(e.full_name): e for e in entries}

    @property
    def loaded(self) -> bool:
        return self.listing_set is not None

    def status_for(
        self,
        lineage: list[str],
        *,
        export_country: str | None = None,
        destination_country: str | None = None,
    ) -> EuStatus:
        """EU annex status for a taxon given its lineage (most specific name first).

        Args:
            lineage: e.g. ``["Python regius", "Python", "Pythonidae", "Squamata"]``.
            export_country: ISO code, used to say whether EU rules apply at all.
            destination_country: ISO code, likewise.

        Returns:
            ``unknown`` when no annex data is loaded.
        """
        if not self.loaded:
            return EuStatus(
                "unknown",
                None,
                None,
                "",
                None,
                _(
                    "EU annex: unknown — no data loaded (import an annex table with "
                    "'idtool cites eu-import FILE')"
                ),
                None,
            )
        declared = [c for c in (export_country, destination_country) if c]
        applies = not declared or any(c in EU_MEMBER_STATES for c in declared)
        for name in lineage:
            entry = self._by_name.get(_key(name))
            if entry is None:
                continue
            if name == lineage[0]:
                note = _("EU Annex {annex}").format(annex=entry.annex)
            else:
                note = _("EU Annex {annex} (covered through {taxon})").format(
                    annex=entry.annex, taxon=entry.full_name
                )
            if not applies:
                note = _(
                    "{note}; neither the export nor the destination country is an EU Member State"
                ).format(note=note)
            return EuStatus(
                "listed" if applies else "not_applicable",
                entry.annex,
                entry.full_name,
                entry.annotation,
                _(_ANNEX_RULES[entry.annex]) if applies else None,
                note,
                self.listing_set,
            )
        return EuStatus(
            "not_listed",
            None,
            None,
            "",
            None,
            _("not in the loaded EU annex table"),
            self.listing_set,
        )
