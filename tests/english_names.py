"""The English names of the shipped classes, to scan French and Spanish outputs for.

The shipped classes are the class folders of ``reference_images/``; their English names
are the catalog's (``TAXONOMY.csv``), the material names, and the English common names of
the taxa a shipped material comes from (``MATERIALS.csv`` and ``common_names.csv``). A
name that is also the French or Spanish name of the same taxon ("lion") is left out.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from typing import Any

from idtool.cites.names import read_common_names
from idtool.config import SHIPPED_REFERENCE_DIR
from idtool.i18n.names import MATERIAL_NAMES

# Keys whose values are not texts in the officer's language: a common-name table keyed by
# language (it lists every language on purpose), bibliographic references, and the
# listing's annotation, which quotes the CITES legal text as published (its translation
# belongs with the listing data). Codes are English in every language (a card's
# ``material`` key, a check's ``key``), like the JSON keys.
# ``annotation_en`` is the English annotation kept on purpose beside the translated one.
SKIPPED_KEYS = {"common_names", "references", "annotation", "annotation_en", "material", "key"}


def shipped_english_names() -> set[str]:
    classes = {p.name for p in SHIPPED_REFERENCE_DIR.iterdir() if p.is_dir()}
    names: set[str] = set()
    with (SHIPPED_REFERENCE_DIR / "TAXONOMY.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["class_dir"] in classes:
                names.update(n.strip() for n in row["common_names"].split(";") if n.strip())
    names.update(MATERIAL_NAMES[c] for c in classes if c in MATERIAL_NAMES)
    taxa = {c.replace("_", " ") for c in classes}
    with (SHIPPED_REFERENCE_DIR / "MATERIALS.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["material_class"] in classes and row["taxon"]:
                taxa.add(row["taxon"])
                if row["common_name"]:
                    names.add(row["common_name"])
    local: set[str] = set()
    for taxon, language, name in read_common_names():
        if taxon in taxa:
            (names if language == "en" else local).add(name)
    return {n for n in names if n.casefold() not in {x.casefold() for x in local}}


def texts(value: Any, key: str = "") -> Iterator[str]:
    """Every string in a JSON value, except under :data:`SKIPPED_KEYS`."""
    if key in SKIPPED_KEYS:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from texts(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from texts(v, key)


def english_names_in(text: str, names: set[str] | None = None) -> list[str]:
    """The English names found in ``text`` (whole words, any case)."""
    found = []
    for name in names if names is not None else shipped_english_names():
        if re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text, flags=re.IGNORECASE):
            found.append(name)
    return sorted(found)
