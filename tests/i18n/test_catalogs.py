"""The gettext catalogs: complete for every officer-facing string.

The test extracts the messages exactly as ``pybabel extract -F babel.cfg`` does and fails on
any message without a French or Spanish translation, on fuzzy entries, and on translations
whose ``{placeholders}`` differ from the English.
"""

from __future__ import annotations

import re
import tokenize

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from idtool.config import PROJECT_ROOT
from idtool.i18n.catalogs import page_messages, po_path
from idtool.i18n.extract import marked_html_texts

TRANSLATED = ("fr", "es")
PLACEHOLDER = re.compile(r"\{(\w*)[^}]*\}")


def extracted_messages() -> dict[str, set[str]]:
    """msgid -> the files it comes from, as `pybabel extract -F babel.cfg .` sees them."""
    with (PROJECT_ROOT / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    out: dict[str, set[str]] = {}
    for filename, _lineno, message, _comments, _context in extract_from_dir(
        str(PROJECT_ROOT), method_map, options_map
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            out.setdefault(msgid, set()).add(filename)
    return out


@pytest.fixture(scope="module")
def extracted() -> dict[str, set[str]]:
    return extracted_messages()


def test_extraction_sees_every_kind_of_source(extracted: dict[str, set[str]]) -> None:
    files = {f for where in extracted.values() for f in where}
    for expected in (
        "idtool/cites/permits.py",
        "idtool/data/material_checks.json",
        "reference_images/MATERIALS.csv",
        "idtool/cli/cites.py",
    ):
        assert expected in files, f"babel.cfg no longer extracts {expected}"
    assert len(extracted) > 300


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_officer_facing_string_is_translated(
    lang: str, extracted: dict[str, set[str]]
) -> None:
    with po_path(lang).open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    problems = []
    for msgid, files in sorted(extracted.items()):
        message = catalog.get(msgid)
        where = ", ".join(sorted(files))
        if message is None:
            problems.append(f"missing from {lang}.po: {msgid!r} ({where})")
        elif message.fuzzy:
            problems.append(f"fuzzy in {lang}.po: {msgid!r} ({where})")
        elif not (isinstance(message.string, str) and message.string.strip()):
            problems.append(f"untranslated in {lang}.po: {msgid!r} ({where})")
    assert not problems, (
        f"{len(problems)} message(s) need a translation; run the commands in docs/cites.md "
        "'Translations' and fill them in:\n" + "\n".join(problems[:40])
    )


@pytest.mark.parametrize("lang", TRANSLATED)
def test_translations_keep_the_placeholders(lang: str) -> None:
    with po_path(lang).open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    wrong = []
    for message in catalog:
        if not message.id or not isinstance(message.string, str) or not message.string:
            continue
        assert isinstance(message.id, str)
        if sorted(PLACEHOLDER.findall(message.id)) != sorted(PLACEHOLDER.findall(message.string)):
            wrong.append(f"{message.id!r} -> {message.string!r}")
    assert not wrong, "placeholders differ:\n" + "\n".join(wrong)


def test_page_catalog_holds_only_the_page_strings() -> None:
    messages = page_messages("fr")
    html = (PROJECT_ROOT / "server" / "static" / "index.html").read_text(encoding="utf-8")
    marked = {text for _, text in marked_html_texts(html)}
    assert marked, "index.html has no data-i18n texts"
    assert marked <= set(messages)
    assert "permits" not in messages  # CLI/guidance strings are not sent to the page
    assert page_messages("en") == {}


def test_no_translation_call_hides_inside_an_f_string() -> None:
    """Babel cannot see ``_("...")`` inside an f-string: such texts would never be translated."""
    hidden = []
    for path in [
        *(PROJECT_ROOT / "idtool").rglob("*.py"),
        *(PROJECT_ROOT / "server").rglob("*.py"),
    ]:
        with path.open("rb") as handle:
            for token in tokenize.tokenize(handle.readline):
                if token.type != tokenize.STRING:
                    continue
                prefix = token.string[: token.string.find(token.string[-1])].lower()
                if "f" in prefix and re.search(r"\b(_|gettext|ngettext)\(\s*['\"]", token.string):
                    hidden.append(f"{path.relative_to(PROJECT_ROOT)}:{token.start[0]}")
    assert not hidden, "move these _() calls out of the f-strings:\n" + "\n".join(hidden)
