"""Benchmark the CITES layer on the real 2017 Species+ export.

Prints: import time of the full export, index load time, lookup and guidance time per
query (µs), and the annotation parser's coverage of every I/II row ("resolved N of M").

Run: .venv/bin/python benchmarks/bench_cites.py
"""

from __future__ import annotations

import csv
import gzip
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import sqlite_utils

from idtool.cites import import_listing_file, load_listing_index
from idtool.cites.annotations import parse_population_split
from idtool.cites.guidance import TradeDeclaration, guidance_for_taxon

CITES_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "cites"
INDEX_2017 = CITES_DATA / "index_of_cites_species_2017-04-21.csv.gz"
QUERIES = [
    "Loxodonta africana",
    "Python regius",
    "Python anchietae",
    "Panthera tigris",
    "Acropora millepora",
    "Odobenus rosmarus",
    "Manis javanica",
    "Felis catus",
]


def parser_coverage(path: Path) -> tuple[Counter[str], int]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    prefixes = {
        " ".join(w[:k]) for w in (r["FullName"].split() for r in rows) for k in range(1, len(w))
    }
    kinds: Counter[str] = Counter()
    split_rows = [r for r in rows if {"I", "II"} <= set(r["CurrentListing"].split("/"))]
    for row in split_rows:
        split = parse_population_split(
            row["CurrentListing"],
            row["AnnotationEnglish"],
            rank=row["RankName"],
            full_annotation=row["FullAnnotationEnglish"],
            has_listed_children=row["FullName"] in prefixes,
        )
        kinds[split.kind] += 1
    return kinds, len(split_rows)


def main() -> int:
    if not INDEX_2017.is_file():
        print(f"skip: {INDEX_2017} not found", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        db = sqlite_utils.Database(Path(tmp) / "catalog.db")
        started = time.perf_counter()
        result = import_listing_file(db, INDEX_2017)
        import_s = time.perf_counter() - started
        print(f"import: {result.listing_set.row_count} rows in {import_s:.2f} s")
        started = time.perf_counter()
        index = load_listing_index(db)
        print(f"load_listing_index: {time.perf_counter() - started:.2f} s ({len(index)} taxa)")
        for name in QUERIES:  # warm the split cache once, as a long-running server would
            index.lookup(name)
            index.split_for(index.lookup(name).entry)  # type: ignore[arg-type]
        rounds = 2000
        started = time.perf_counter()
        for _ in range(rounds):
            for name in QUERIES:
                index.lookup(name)
        lookup_us = (time.perf_counter() - started) / (rounds * len(QUERIES)) * 1e6
        print(f"lookup: {lookup_us:.1f} µs per query ({len(QUERIES)} names, {rounds} rounds)")
        decl = TradeDeclaration.from_values(origin_country="KE", purpose="T", source="W")
        started = time.perf_counter()
        for _ in range(200):
            for name in QUERIES:
                guidance_for_taxon(name, decl, index)
        guidance_us = (time.perf_counter() - started) / (200 * len(QUERIES)) * 1e6
        print(f"guidance_for_taxon: {guidance_us:.1f} µs per query")
        started = time.perf_counter()
        suggestions = index.suggest("Loxodonta africanna")
        print(
            f"suggest (not-found path): {(time.perf_counter() - started) * 1e3:.1f} ms "
            f"-> {suggestions}"
        )
    kinds, total = parser_coverage(INDEX_2017)
    resolved = total - kinds.get("unresolved", 0)
    print(
        f"annotation parser: resolved {resolved} of {total} I/II rows "
        f"(population by country: {kinds['population']}, split between member taxa: "
        f"{kinds['taxonomic']}, unresolved: {kinds.get('unresolved', 0)})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
