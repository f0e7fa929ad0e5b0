"""Taxa of the reference set: names, ranks, parent chains, and roll-up.

A class folder is named ``Genus_species``, a higher taxon (``Scleractinia``, ``Naja``),
or ``material_<name>``. ``TAXONOMY.csv`` beside the class folders gives the parent chain,
common names and the non-wildlife-lookalike flag; without a row, what the name itself
says is used (a binomial gives species + genus).
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from idtool.errors import BadField
from idtool.types import is_material_label, label_from_class_dir

RANKS = ("kingdom", "phylum", "class", "order", "family", "genus", "species", "subspecies")
ROLLUP_RANKS = ("genus", "family", "order")
TAXONOMY_FILE = "TAXONOMY.csv"
_COLUMN = {"class": "class_name", "order": "order_name"}


@dataclass(frozen=True)
class TaxonRecord:
    """One class of the reference set."""

    label: str
    scientific_name: str | None
    rank: str
    lineage: dict[str, str] = field(default_factory=dict)  # rank -> name, above the label
    common_names: tuple[str, ...] = ()
    is_material: bool = False
    is_lookalike: bool = False

    def ancestor(self, rank: str) -> str | None:
        if rank == self.rank:
            return self.scientific_name
        return self.lineage.get(rank)

    def to_row(self) -> dict[str, Any]:
        row: dict[str, Any] = {
            "label": self.label,
            "scientific_name": self.scientific_name,
            "rank": self.rank,
            "common_names": json.dumps(list(self.common_names)),
            "is_material": int(self.is_material),
            "is_lookalike": int(self.is_lookalike),
        }
        for rank in ("kingdom", "phylum", "class", "order", "family", "genus"):
            row[_COLUMN.get(rank, rank)] = self.lineage.get(rank)
        return row

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> TaxonRecord:
        lineage = {
            rank: row[_COLUMN.get(rank, rank)]
            for rank in ("kingdom", "phylum", "class", "order", "family", "genus")
            if row.get(_COLUMN.get(rank, rank))
        }
        return cls(
            label=row["label"],
            scientific_name=row["scientific_name"],
            rank=row["rank"],
            lineage=lineage,
            common_names=tuple(json.loads(row["common_names"] or "[]")),
            is_material=bool(row["is_material"]),
            is_lookalike=bool(row["is_lookalike"]),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "scientific_name": self.scientific_name,
            "rank": self.rank,
            "lineage": self.lineage,
            "common_names": list(self.common_names),
            "is_material": self.is_material,
            "is_lookalike": self.is_lookalike,
        }


def infer_taxon(class_dir_name: str, row: dict[str, str] | None = None) -> TaxonRecord:
    """Build a :class:`TaxonRecord` from a folder name and an optional TAXONOMY.csv row.

    Raises:
        BadField: the folder name is not ``Genus_species``, a capitalised taxon, or ``material_*``.
    """
    label = label_from_class_dir(class_dir_name)
    row = {k: (v or "").strip() for k, v in (row or {}).items()}
    common = tuple(n.strip() for n in row.get("common_names", "").split(";") if n.strip())
    if is_material_label(label):
        return TaxonRecord(
            label=label,
            scientific_name=None,
            rank="material",
            common_names=common,
            is_material=True,
            is_lookalike=row.get("is_lookalike", "") in {"1", "true", "yes"},
        )
    words = label.split()
    if not words or not words[0][:1].isupper() or not all(w.isalpha() for w in words):
        raise BadField(
            f"class folder {class_dir_name!r} is neither Genus_species, a taxon name "
            "such as Scleractinia, nor material_<name>"
        )
    rank = row.get("rank") or {1: "genus", 2: "species", 3: "subspecies"}.get(len(words), "")
    if rank not in RANKS:
        raise BadField(f"class {label!r}: unknown rank {rank!r}")
    lineage = {
        r: row[r] for r in ("kingdom", "phylum", "class", "order", "family", "genus") if row.get(r)
    }
    if rank in {"species", "subspecies"}:
        lineage.setdefault("genus", words[0])
    if rank == "subspecies":
        lineage.setdefault("species", " ".join(words[:2]))
    lineage.pop(rank, None)
    return TaxonRecord(
        label=label,
        scientific_name=label,
        rank=rank,
        lineage=lineage,
        common_names=common,
        is_lookalike=False,
    )


def read_taxonomy_csv(path: Path) -> dict[str, dict[str, str]]:
    """Rows of a TAXONOMY.csv keyed by class folder name (``class_dir`` column)."""
    if not path.is_file():
        return {}
    with path.open(newline="", encoding="utf-8") as handle:
        return {r["class_dir"]: r for r in csv.DictReader(handle) if r.get("class_dir")}


def rollup_groups(
    labels: list[str], taxa: dict[str, TaxonRecord], rank: str
) -> dict[str, list[str]]:
    """Group labels by their ancestor at ``rank`` (labels without one are left out)."""
    groups: dict[str, list[str]] = {}
    for label in labels:
        taxon = taxa.get(label)
        name = taxon.ancestor(rank) if taxon else None
        if name:
            groups.setdefault(name, []).append(label)
    return groups
