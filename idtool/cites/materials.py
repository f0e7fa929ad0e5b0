"""The curated material -> taxa table (``reference_images/MATERIALS.csv``).

A material class such as ``material_ivory`` is not a taxon: it may come from several taxa
(elephants, mammoth...) or from none (``material_ceramic``). Columns: ``material_class,
taxon, common_name, part, how_to_tell_apart, note`` and an optional ``basis``:

- ``source`` (the default): the material comes from one of these taxa, so the strictest
  one applies until the item is identified (elephant ivory: Appendix I);
- ``check``: the material is not listed as such, but items of this listed taxon are
  (``material_bone``: tiger, bear or cetacean bone is regulated like the animal).

A row with an empty ``taxon`` carries the material's own note: for a class with no other
rows, a non-wildlife lookalike (``material_ceramic``).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from idtool.config import SHIPPED_REFERENCE_DIR
from idtool.errors import ListingDataError

MATERIALS_PATH = SHIPPED_REFERENCE_DIR / "MATERIALS.csv"
_COLUMNS = ("material_class", "taxon", "common_name", "part", "how_to_tell_apart", "note")
SOURCE, CHECK = "source", "check"


@dataclass(frozen=True)
class MaterialSource:
    """One taxon a material may come from, with what tells it apart."""

    material_class: str
    taxon: str
    common_name: str
    part: str
    how_to_tell_apart: str
    note: str
    basis: str = "source"  # or "check": regulated only if the item is of this taxon


@dataclass(frozen=True)
class MaterialTable:
    """Rows by material class."""

    rows: dict[str, tuple[MaterialSource, ...]]
    notes: dict[str, str]

    def sources(self, material_class: str) -> tuple[MaterialSource, ...] | None:
        """The taxa of a material (empty for a non-wildlife lookalike), None if unknown."""
        if material_class not in self.rows and material_class not in self.notes:
            return None
        return self.rows.get(material_class, ())

    def listed_as_material(self, material_class: str) -> bool:
        """False when every taxon row of the class is a ``check`` (bone: not listed as such)."""
        return any(s.basis == SOURCE for s in self.rows.get(material_class, ()))

    @property
    def classes(self) -> list[str]:
        return sorted(set(self.rows) | set(self.notes))


def load_materials(path: Path | None = None) -> MaterialTable:
    """Read a materials table (default: the shipped one, cached).

    Raises:
        ListingDataError: the file is missing or lacks the expected columns.
    """
    if path is None:
        return _load_shipped()
    return _read(path)


@cache
def _load_shipped() -> MaterialTable:
    return _read(MATERIALS_PATH)


def _read(path: Path) -> MaterialTable:
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = set(_COLUMNS) - set(reader.fieldnames or [])
            if missing:
                raise ListingDataError(
                    f"{path}: materials table lacks columns {', '.join(sorted(missing))}"
                )
            raw = list(reader)
    except OSError as exc:
        raise ListingDataError(f"{path}: cannot read materials table: {exc}") from None
    rows: dict[str, list[MaterialSource]] = {}
    notes: dict[str, str] = {}
    for row in raw:
        material = (row["material_class"] or "").strip()
        if not material:
            continue
        taxon = (row["taxon"] or "").strip()
        if not taxon:
            notes[material] = (row["note"] or "").strip()
            continue
        basis = (row.get("basis") or SOURCE).strip()
        if basis not in (SOURCE, CHECK):
            raise ListingDataError(
                f"{path}: basis {basis!r} of {material} / {taxon} must be {SOURCE} or {CHECK}"
            )
        rows.setdefault(material, []).append(
            MaterialSource(
                material_class=material,
                taxon=taxon,
                common_name=(row["common_name"] or "").strip(),
                part=(row["part"] or "").strip(),
                how_to_tell_apart=(row["how_to_tell_apart"] or "").strip(),
                note=(row["note"] or "").strip(),
                basis=basis,
            )
        )
    return MaterialTable({k: tuple(v) for k, v in rows.items()}, notes)
