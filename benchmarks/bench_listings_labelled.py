"""Precision and recall of the listing rules on the labelled market listings in the tests.

Reads ``tests/listings/labelled/dev.jsonl`` (the rules were tuned on it) and
``heldout.jsonl`` (never tuned on), runs each through the text analysis, linking and
scoring of ``idtool listings`` (photo verdicts given in the files, no model), and prints
per set: adverts, languages, levels by label, precision of ``high``, recall of illicit
adverts at ``high`` and at ``medium`` or above, and any benign advert ranked ``high``.
No timing: a correctness measure.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_listings_labelled.py [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LABELLED = ROOT / "tests" / "listings" / "labelled"
SETS = ("dev", "heldout")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from idtool.catalog.store import Catalog
    from idtool.cites import load_listing_index
    from idtool.listings.labelled import read_labelled, score_labelled
    from idtool.listings.lexicon import load_lexicon
    from idtool.listings.signals import TextSignalFinder

    with tempfile.TemporaryDirectory() as tmp:
        catalog = Catalog.open(Path(tmp) / "catalog.db")
        try:
            index = load_listing_index(catalog.db)
        finally:
            catalog.close()
    finder = TextSignalFinder(load_lexicon(), index)
    results = {
        name: score_labelled(read_labelled(LABELLED / f"{name}.jsonl"), finder) for name in SETS
    }
    if args.json:
        print(
            json.dumps({k: v.to_dict() for k, v in results.items()}, indent=1, ensure_ascii=False)
        )
        return 0
    for name, score in results.items():
        print(
            f"{name}: {score.adverts} adverts ({score.illicit} illicit, {score.benign} benign), "
            f"{len(score.languages)} languages {score.languages}"
        )
        print(f"  levels by label: {score.levels}")
        print(
            f"  precision of high {score.precision_high:.3f} ({score.high} high); recall of "
            f"illicit: high {score.recall_high:.3f}, medium or high {score.recall_medium:.3f}"
        )
        print(f"  benign ranked high: {score.benign_high or 'none'}")
        print(f"  illicit ranked low: {score.illicit_low or 'none'}")
    print("\ndocs/listings.md rows:")
    for name, score in results.items():
        print(score.table_row(name))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
