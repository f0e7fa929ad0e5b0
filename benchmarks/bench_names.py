"""Benchmark name resolution (scientific, common, fuzzy) on the shipped listings and on
the full 2017 Species+ index imported into a temporary catalog.

Prints, per listing source: name-index build time (ms) and the median time per query
kind (µs), min and median over 3 repeats, with the load average next to each figure.

Run: .venv/bin/python benchmarks/bench_names.py
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlite_utils

from idtool.cites import import_listing_file, load_listing_index
from idtool.cites.listing_index import ListingIndex
from idtool.cites.names import NameIndex

CITES_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "cites"
INDEX_2017 = CITES_DATA / "index_of_cites_species_2017-04-21.csv.gz"
QUERIES = {
    "scientific": ["Psittacus erithacus", "Loxodonta africana", "Python regius", "Manis"],
    "common_name": ["loro gris", "perroquet gris", "Cheetah", "tortue imbriquée"],
    "fuzzy": ["Psitacus erithacus", "perroquet gri", "african grey", "Loxodonta africanna"],
}
REPEATS = 3


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.2f}/{five:.2f}"


def bench(label: str, listings: ListingIndex) -> None:
    builds = []
    per_kind: dict[str, list[float]] = {k: [] for k in QUERIES}
    for _ in range(REPEATS):
        started = time.perf_counter()
        names = NameIndex(listings)
        names.suggest("warm up the trigram table")
        builds.append((time.perf_counter() - started) * 1000)
        for kind, queries in QUERIES.items():
            times = []
            for query in queries:
                t0 = time.perf_counter()
                names.resolve(query)
                times.append((time.perf_counter() - t0) * 1e6)
            per_kind[kind].append(statistics.median(times))
    print(
        f"{label}: {len(listings)} rows; build+trigrams {min(builds):.0f} ms min, "
        f"{statistics.median(builds):.0f} ms median ({_load()})"
    )
    for kind, medians in per_kind.items():
        print(
            f"  {kind:12s} {min(medians):9.0f} µs min {statistics.median(medians):9.0f} µs "
            f"median per query ({_load()})"
        )


def main() -> int:
    bench("shipped listings", load_listing_index(sqlite_utils.Database(memory=True)))
    if not INDEX_2017.is_file():
        print(f"{INDEX_2017} absent: full-index figures skipped", file=sys.stderr)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        db = sqlite_utils.Database(Path(tmp) / "catalog.db")
        import_listing_file(db, INDEX_2017)
        bench("imported 2017 index", load_listing_index(db))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
