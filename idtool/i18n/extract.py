"""Babel extractors for texts that live outside Python code (named in ``babel.cfg``).

* :func:`extract_material_checks`: every officer-facing text of
  ``idtool/data/material_checks.json`` (check names, how-to, what each possibility
  shows, card titles, what separates a material, when to send to a laboratory, the
  look-alike quick checks, the disclaimer). Bibliographic
  references stay as published.
* :func:`extract_materials_csv`: the ``part``, ``how_to_tell_apart`` and ``note`` texts
  of ``reference_images/MATERIALS.csv`` (names stay as they are).
* :func:`extract_html`: the text of elements marked ``data-i18n`` in the phone page,
  and the ``placeholder`` / ``title`` / ``aria-label`` named by ``data-i18n-attr``.

Both follow Babel's extractor protocol: ``(lineno, funcname, message, comments)``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Collection, Iterator, Mapping
from html.parser import HTMLParser
from typing import IO, Any

Extracted = tuple[int, str | None, str, list[str]]

# Keys of material_checks.json whose values an officer reads.
_JSON_TEXT_KEYS = ("name", "how", "title", "disclaimer")
_VOID = frozenset({"br", "img", "input", "meta", "link", "hr", "source", "wbr"})


def material_check_texts(data: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """``(where, text)`` for every translatable text of the material checks table."""
    yield "disclaimer", data["disclaimer"]
    for key, check in data["checks"].items():
        yield f"checks.{key}.name", check["name"]
        yield f"checks.{key}.how", check["how"]
        for possibility, shows in check["shows"].items():
            yield f"checks.{key}.shows", possibility
            yield f"checks.{key}.shows.{possibility}", shows
    for key, entry in [("generic", data["generic"]), *data["materials"].items()]:
        yield f"materials.{key}.title", entry["title"]
        for reason in entry["send_to_lab_when"]:
            yield f"materials.{key}.send_to_lab_when", reason
        if entry.get("separates"):
            yield f"materials.{key}.separates", entry["separates"]
    triage = data.get("lookalike_triage")
    if triage:
        yield "lookalike_triage.title", triage["title"]
        for step in triage["steps"]:
            yield "lookalike_triage.short", step["short"]
            yield "lookalike_triage.text", step["text"]


def extract_material_checks(
    fileobj: IO[bytes],
    keywords: Mapping[str, Any],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[Extracted]:
    """Babel extractor for ``material_checks.json``."""
    raw = fileobj.read().decode("utf-8")
    data = json.loads(raw)
    for where, text in material_check_texts(data):
        # JSON escapes make an exact search unreliable; the line of the key is close enough
        needle = json.dumps(text, ensure_ascii=False)
        lineno = raw[: max(raw.find(needle), 0)].count("\n") + 1
        yield lineno, None, text, [where]


MATERIALS_TEXT_COLUMNS = ("part", "how_to_tell_apart", "note")


def extract_materials_csv(
    fileobj: IO[bytes],
    keywords: Mapping[str, Any],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[Extracted]:
    """Babel extractor for the materials table (``MATERIALS.csv``)."""
    reader = csv.DictReader(io.StringIO(fileobj.read().decode("utf-8"), newline=""))
    for row in reader:
        for column in MATERIALS_TEXT_COLUMNS:
            text = (row.get(column) or "").strip()
            if text:
                yield reader.line_num, None, text, [f"{row.get('material_class')}.{column}"]


class _MarkedText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self._stack: list[tuple[str, list[str] | None, int]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        line = self.getpos()[0]
        for name in (values.get("data-i18n-attr") or "").split():
            if values.get(name):
                self.found.append((line, str(values[name])))
        if tag in _VOID:
            return
        marked = "data-i18n" in values
        self._stack.append((tag, [] if marked else None, line))

    def handle_endtag(self, tag: str) -> None:
        while self._stack:
            open_tag, parts, line = self._stack.pop()
            if parts is not None:
                text = " ".join("".join(parts).split())
                if text:
                    self.found.append((line, text))
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        for _, parts, _ in self._stack:
            if parts is not None:
                parts.append(data)


def marked_html_texts(html: str) -> list[tuple[int, str]]:
    """``(line, text)`` for each ``data-i18n`` element and ``data-i18n-attr`` attribute.

    A marked element's text is its whole text content with white space collapsed; it
    must contain no markup (the page replaces ``textContent``).
    """
    parser = _MarkedText()
    parser.feed(html)
    parser.close()
    return parser.found


def extract_html(
    fileobj: IO[bytes],
    keywords: Mapping[str, Any],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[Extracted]:
    """Babel extractor for the phone page's HTML."""
    for line, text in marked_html_texts(fileobj.read().decode("utf-8")):
        yield line, None, text, []
