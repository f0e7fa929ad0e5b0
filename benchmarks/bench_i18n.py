"""What translation costs: compiling a catalog on first use, and guidance per language.

Prints, for each of 3 repeats (with the 1-minute load average): the time to parse and
compile each ``.po`` file in memory (what the first translated call of a process pays),
then the time per ``guidance_for_taxon`` call in English, French and Spanish over the
shipped listings, measured side by side in the same run.

Run: .venv/bin/python benchmarks/bench_i18n.py
"""

from __future__ import annotations

import os
import statistics
import time

import sqlite_utils

from idtool.cites import load_listing_index
from idtool.cites.guidance import TradeDeclaration, guidance_for_taxon
from idtool.i18n import use_language
from idtool.i18n.catalogs import read_catalog, translations

QUERIES = ["Loxodonta africana", "Psittacus erithacus", "Python regius", "perroquet gris"]
CALLS = 200


def compile_ms(lang: str) -> float:
    read_catalog.cache_clear()
    translations.cache_clear()
    start = time.perf_counter()
    translations(lang)
    return (time.perf_counter() - start) * 1000


def guidance_us(lang: str, listings: object, declaration: TradeDeclaration) -> float:
    with use_language(lang):
        for query in QUERIES:  # warm: catalogs compiled, name index built
            guidance_for_taxon(query, declaration, listings)  # type: ignore[arg-type]
        start = time.perf_counter()
        for i in range(CALLS):
            guidance_for_taxon(QUERIES[i % len(QUERIES)], declaration, listings)  # type: ignore[arg-type]
        return (time.perf_counter() - start) / CALLS * 1e6


def main() -> None:
    listings = load_listing_index(sqlite_utils.Database(memory=True))
    declaration = TradeDeclaration.from_values(
        origin_country="CM", export_country="NG", destination_country="FR", purpose="T", source="W"
    )
    rows: dict[str, list[float]] = {}
    for repeat in range(3):
        load = os.getloadavg()[0]
        figures = {f"compile {lang} (ms)": compile_ms(lang) for lang in ("fr", "es")}
        figures |= {
            f"guidance {lang} (us/call)": guidance_us(lang, listings, declaration)
            for lang in ("en", "fr", "es")
        }
        print(
            f"repeat {repeat + 1} (load average {load:.2f}): "
            + ", ".join(f"{k} {v:.1f}" for k, v in figures.items())
        )
        for key, value in figures.items():
            rows.setdefault(key, []).append(value)
    for key, values in rows.items():
        print(f"{key}: min {min(values):.1f}, median {statistics.median(values):.1f}")


if __name__ == "__main__":
    main()
