"""Build the listings table idtool ships (``idtool/data/cites_bundled_listings.csv``).

Run from the repository root (the inputs are the snapshot copies described in
``../shared/data/cites/README.md``)::

    python -m idtool.cites.build_bundled \\
        --index ../shared/data/cites/index_of_cites_species_2017-04-21.csv.gz \\
        --reptiles ../shared/data/cites/cites_listings_reptilia_2023-07.csv

Only listing facts are written: name, rank, the higher taxa needed for inheritance,
listing, Party, "listed under", annotations and which export each row came from. The
Species+ distribution, common-name, synonym, author and id columns are dropped (their
terms restrict redistribution; an imported export brings them).

Rows are kept when the Appendices name the taxon or inheritance would answer wrongly:

1. every order, family, subfamily and genus row, turned into a taxonomy-only row (no
   listing) when it only repeats the listing of the taxon above it (e.g. the orchid
   genera, included in Orchidaceae spp.);
2. a species (then subspecies) row in Appendix I and not "included in" a higher-taxon
   listing (Appendix I names its species), or one the higher taxa kept so far do not give
   the same appendices, or when it carries its own annotation (a population split, a quota), an
   Appendix III Party, a plant annotation symbol of its own or an NC exclusion;
3. a taxonomy-only genus row for every genus whose species were dropped and which has no
   row, so that those species still reach their family or order.

Reptile rows come from the July 2023 export where it has them (after CoP19); the rest
from the April 2017 index (after CoP17). Later changes are in ``cites_amendments.csv``,
applied when the table is loaded, not here.
"""

from __future__ import annotations

import argparse
import csv
import logging
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from idtool.cites.annotations import clean_annotation, parse_listing, split_blocks
from idtool.cites.coverage import listing_answer
from idtool.cites.listing_import import read_rows, snapshot_date_from_name
from idtool.cites.listing_index import ListingEntry, ListingIndex
from idtool.cites.store import ListingSetInfo
from idtool.errors import ListingDataError

logger = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
OUTPUT_PATH = DATA_DIR / "cites_bundled_listings.csv"
COLUMNS = (
    "full_name",
    "rank",
    "kingdom",
    "phylum",
    "class",
    "order",
    "family",
    "genus",
    "listing",
    "party",
    "listed_under",
    "annotation",
    "full_annotation",
    "hash_symbol",
    "hash_annotation",
    "source",
)
HIGHER_RANKS = ("ORDER", "FAMILY", "SUBFAMILY", "GENUS")
LOWER_RANKS = ("SUBSPECIES", "VARIETY")

_INCLUDED = re.compile(r"Included in [A-Z]\w+ spp|\[\w+ listing ", re.I)
# Annotation text that carries no listing fact of its own.
_NOT_A_FACT = re.compile(
    r"Included in [^.]*?spp\.?|Entry into effect [^.]*\.|Formerly included in [^.]*\.|"
    r"\[\w+ listing [^\]]*\]",
    re.I,
)


@dataclass(frozen=True)
class Source:
    """One input export and the ``source`` label its rows get."""

    path: Path
    label: str


def _text_or_blank(text: str | None) -> str:
    """Cleaned annotation text, or ``""`` when it holds only ``Appendix X:`` headers."""
    cleaned = clean_annotation(text)
    return cleaned if any(body for _, body in split_blocks(cleaned)) else ""


def _listing_row(row: dict[str, Any], source: str) -> dict[str, str]:
    annotation = clean_annotation(row.get("annotation"))
    full = _text_or_blank(row.get("full_annotation"))
    return {
        "full_name": row["full_name"],
        "rank": row.get("rank") or "",
        "kingdom": row.get("kingdom") or "",
        "phylum": row.get("phylum") or "",
        "class": row.get("class_name") or "",
        "order": row.get("order_name") or "",
        "family": row.get("family") or "",
        "genus": row.get("genus") or "",
        "listing": row.get("listing") or "",
        "party": row.get("party") or "",
        "listed_under": row.get("listed_under") or row["full_name"],
        "annotation": annotation,
        "full_annotation": "" if full == annotation else full,
        "hash_symbol": row.get("hash_symbol") or "",
        "hash_annotation": _text_or_blank(row.get("hash_annotation")),
        "source": source,
    }


def _source_label(path: Path, kind: str) -> str:
    date = snapshot_date_from_name(path.name)
    if not date:
        raise ListingDataError(f"cannot tell the export date of {path.name} from its name")
    return f"{kind}-{date}"


def read_source(source: Source) -> list[dict[str, str]]:
    """The rows of one export in the shipped layout (listing facts only)."""
    _, rows = read_rows(source.path)
    return [_listing_row(r, source.label) for r in rows if r.get("full_name")]


def merge_sources(
    index_rows: list[dict[str, str]], newer: list[dict[str, str]]
) -> list[dict[str, str]]:
    """Index rows with the rows of a newer partial export replacing them by name."""
    by_name = {r["full_name"]: r for r in index_rows}
    for row in newer:
        old = by_name.get(row["full_name"])
        if old is not None:  # keep the higher taxa the newer export may lack
            for column in ("phylum", "class", "order", "family", "genus"):
                row[column] = row[column] or old[column]
        by_name[row["full_name"]] = row
    return list(by_name.values())


def _entries(rows: Iterable[dict[str, str]]) -> list[ListingEntry]:
    info = ListingSetInfo(name="build", sha256="", snapshot_date="", bundled=True)
    return [ListingEntry.from_row(_as_table_row(r), info) for r in rows]


def _as_table_row(row: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = dict(row)
    out["class_name"] = row["class"]
    out["order_name"] = row["order"]
    out["full_annotation"] = row["full_annotation"] or row["annotation"]
    return out


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def _ancestor_text(row: dict[str, str], by_name: dict[str, dict[str, str]]) -> str:
    """The annotations of every taxon above ``row`` (a species for a subspecies)."""
    words = row["full_name"].split()
    names = [" ".join(words[:2])] if len(words) > 2 else []
    names += [row[c] for c in ("genus", "family", "order", "class")]
    parts = []
    for name in dict.fromkeys(n for n in names if n and n != row["full_name"]):
        if (parent := by_name.get(name)) is not None:
            parts += [parent["annotation"], parent["full_annotation"]]
    return _squash(" ".join(parts))


def _has_own_facts(row: dict[str, str], inherited_text: str) -> bool:
    """True when the annotation says something its higher taxa's annotations do not."""
    for _, text in split_blocks(row["annotation"]):
        rest = _NOT_A_FACT.sub("", text)
        if re.search(r"[A-Za-z]{2}", rest) and _squash(text) not in inherited_text:
            return True
    return False


def _taxonomy_only(row: dict[str, str]) -> dict[str, str]:
    out = {c: row[c] for c in COLUMNS}
    for column in ("listing", "party", "annotation", "full_annotation"):
        out[column] = ""
    out["listed_under"] = ""
    out["hash_symbol"] = out["hash_annotation"] = ""
    return out


def _ancestor(row: dict[str, str], by_name: dict[str, dict[str, str]]) -> dict[str, str] | None:
    chain = {"GENUS": ("family", "order"), "SUBFAMILY": ("family", "order")}.get(
        row["rank"], ("order", "class") if row["rank"] == "FAMILY" else ("class",)
    )
    for column in chain:
        parent = by_name.get(row[column])
        if parent is not None and parent is not row and parse_listing(parent["listing"])[0]:
            return parent
    return None


def _member_appendices(parent: dict[str, str], index: ListingIndex) -> tuple[str, ...]:
    """What a member of ``parent`` not listed by name gets from it."""
    return listing_answer(index, f"{parent['full_name']} zzmember").appendices


def reduce_higher(
    rows: list[dict[str, str]], by_name: dict[str, dict[str, str]]
) -> list[dict[str, str]]:
    """Higher-taxon rows, with those that only repeat their parent's listing blanked."""
    higher = [r for r in rows if r["rank"] in HIGHER_RANKS]
    index = ListingIndex(_entries(higher), [])
    out = []
    for row in higher:
        parent = _ancestor(row, by_name)
        appendices, not_covered = parse_listing(row["listing"])
        same = (
            parent is not None
            and not not_covered
            and not row["party"]
            and row["hash_symbol"] in ("", parent["hash_symbol"])
            and not _has_own_facts(row, _ancestor_text(row, by_name))
            and appendices == _member_appendices(parent, index)
        )
        out.append(_taxonomy_only(row) if same else row)
    return out


def _needed(row: dict[str, str], index: ListingIndex, by_name: dict[str, dict[str, str]]) -> bool:
    appendices, not_covered = parse_listing(row["listing"])
    if not_covered or row["party"] or _has_own_facts(row, _ancestor_text(row, by_name)):
        return True
    if not appendices:
        return False
    if "I" in appendices and not _INCLUDED.search(row["annotation"]):
        return True  # Appendix I names its species: keep them as rows of their own
    answer = listing_answer(index, row["full_name"])
    if row["hash_symbol"] and row["hash_symbol"] != answer.hash_symbol:
        return True
    return answer.appendices != appendices


def _genus_rows(dropped: list[dict[str, str]], kept_names: set[str]) -> list[dict[str, str]]:
    genera: dict[str, dict[str, str]] = {}
    for row in dropped:
        genus = row["genus"] or row["full_name"].split()[0]
        if genus in kept_names or genus in genera:
            continue
        base = _taxonomy_only(row)
        base.update(full_name=genus, rank="GENUS", genus=genus)
        genera[genus] = base
    return list(genera.values())


def build_rows(sources: list[Source]) -> list[dict[str, str]]:
    """The shipped table from a full Species+ index and newer partial exports.

    Args:
        sources: the full index first, then newer partial exports (rows replace by name).

    Returns:
        The rows, higher taxa first, then species, then subspecies, by name.
    """
    rows = read_source(sources[0])
    for newer in sources[1:]:
        rows = merge_sources(rows, read_source(newer))
    by_name = {r["full_name"]: r for r in rows}
    higher = reduce_higher(rows, by_name)
    species = [r for r in rows if r["rank"] == "SPECIES"]
    lower = [r for r in rows if r["rank"] in LOWER_RANKS]
    names = {r["full_name"] for r in higher}
    genus_rows = _genus_rows(species + lower, names)
    base = higher + genus_rows
    index = ListingIndex(_entries(base), [])
    kept_species = [r for r in species if _needed(r, index, by_name)]
    index = ListingIndex(_entries(base + kept_species), [])
    kept_lower = [r for r in lower if _needed(r, index, by_name)]
    logger.info(
        "kept %d higher-taxon rows (%d with a listing), %d genus links, %d of %d species, "
        "%d of %d subspecies/varieties",
        len(higher),
        sum(1 for r in higher if r["listing"]),
        len(genus_rows),
        len(kept_species),
        len(species),
        len(kept_lower),
        len(lower),
    )
    order = {r: i for i, r in enumerate(("ORDER", "FAMILY", "SUBFAMILY", "GENUS", "SPECIES"))}
    out = base + kept_species + kept_lower
    out.sort(key=lambda r: (order.get(r["rank"], 9), r["full_name"]))
    return out


def write_table(rows: list[dict[str, str]], path: Path) -> None:
    """Write the table (newlines inside annotations as a literal ``\\n``), atomically."""
    tmp = path.with_suffix(".csv.tmp")
    with tmp.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row[c].replace("\n", "\\n") for c in COLUMNS})
    tmp.replace(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True, help="Species+ index (csv/csv.gz)")
    parser.add_argument(
        "--reptiles", type=Path, action="append", default=[], help="newer partial export(s)"
    )
    parser.add_argument("--out", type=Path, default=OUTPUT_PATH)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    sources = [Source(args.index, _source_label(args.index, "index"))]
    sources += [Source(p, _source_label(p, "listings")) for p in args.reptiles]
    rows = build_rows(sources)
    write_table(rows, args.out)
    logger.info("wrote %d rows to %s", len(rows), args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
