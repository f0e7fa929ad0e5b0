"""Which document and which Article of the Convention, for every appendix and every trade
direction, in English, French and Spanish.

The table follows the Convention's text:

* Appendix I: export permit Art. III(2), granted only once an import permit has been
  (III(2)(d)); import permit III(3); re-export certificate III(4), which needs the import
  permit first only for a live specimen (III(4)(c)); introduction from the sea III(5), not
  for primarily commercial purposes (III(5)(d)).
* Appendix II: export permit IV(2); on import the export permit or re-export certificate
  is presented (IV(4)), no import permit; re-export certificate IV(5); introduction from
  the sea IV(6).
* Appendix III: export permit from the listing Party V(2); certificate of origin from
  elsewhere V(3); re-export certificate V(4); Article V has no introduction from the sea.
"""

from __future__ import annotations

import pytest

from idtool.cites.permits import TradeFacts, advise
from idtool.i18n import use_language

EXPORT = TradeFacts(origin_country="KE", export_country="KE", destination_country="FR")
IMPORT = TradeFacts(destination_country="FR")  # seen from the importing country
REEXPORT = TradeFacts(origin_country="KE", export_country="AE", destination_country="FR")
SEA = TradeFacts(destination_country="FR", source="X")

# document words per language: export permit, import permit, re-export certificate,
# certificate of introduction from the sea, certificate of origin
WORDS = {
    "en": (
        "export permit",
        "import permit",
        "re-export certificate",
        "introduction from the sea",
        "certificate of origin",
    ),
    "fr": (
        "permis d'exportation",
        "permis d'importation",
        "certificat de réexportation",
        "introduction en provenance de la mer",
        "certificat d'origine",
    ),
    "es": (
        "permiso de exportación",
        "permiso de importación",
        "certificado de reexportación",
        "introducción procedente del mar",
        "certificado de origen",
    ),
}
EXP, IMP, REEXP, SEA_CERT, ORIGIN = range(5)

# appendix, facts, party, documents that must be named (word index, article),
# articles that must not appear, prohibited?
TABLE = [
    ("I", EXPORT, None, [(EXP, "III(2)"), (IMP, "III(3)")], ["III(4)"], False),
    ("I", IMPORT, None, [(EXP, "III(2)"), (IMP, "III(3)")], ["III(4)"], False),
    ("I", REEXPORT, None, [(REEXP, "III(4)"), (IMP, "III(3)")], ["III(2)"], False),
    ("I", SEA, None, [(SEA_CERT, "III(5)")], ["III(2)", "III(4)"], False),
    ("II", EXPORT, None, [(EXP, "IV(2)")], ["IV(5)", "III("], False),
    ("II", IMPORT, None, [(EXP, "IV(2)"), (REEXP, "IV(4)")], ["IV(5)"], False),
    ("II", REEXPORT, None, [(REEXP, "IV(5)")], ["III("], False),
    ("II", SEA, None, [(SEA_CERT, "IV(6)")], ["IV(2)", "IV(5)"], False),
    ("III", TradeFacts(origin_country="CA", export_country="CA"), "CA", [(EXP, "V(2)")], [], False),
    (
        "III",
        TradeFacts(origin_country="RU", export_country="RU"),
        "CA",
        [(ORIGIN, "V(3)")],
        [],
        False,
    ),
    (
        "III",
        TradeFacts(origin_country="CA", export_country="US"),
        "CA",
        [(REEXP, "V(4)")],
        [],
        False,
    ),
]


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
@pytest.mark.parametrize(
    ("appendix", "facts", "party", "named", "absent", "prohibited"),
    TABLE,
    ids=[f"{row[0]}-{i}" for i, row in enumerate(TABLE)],
)
def test_documents_and_articles(
    lang: str,
    appendix: str,
    facts: TradeFacts,
    party: str | None,
    named: list[tuple[int, str]],
    absent: list[str],
    prohibited: bool,
) -> None:
    with use_language(lang):
        advice = advise(appendix, facts, kingdom="Animalia", party=party)
    permits = advice.permits
    text = " ".join(permits).casefold()
    for word, article in named:
        wanted = WORDS[lang][word].casefold()
        assert any(wanted in p.casefold() and article in p for p in permits), (
            lang,
            appendix,
            wanted,
            article,
            permits,
        )
    for article in absent:
        assert article not in text, (lang, appendix, article, permits)
    assert bool(advice.prohibitions) == prohibited


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
def test_reexport_import_permit_is_not_said_to_come_before_an_export_permit(lang: str) -> None:
    with use_language(lang):
        export = advise("I", EXPORT)
        reexport = advise("I", REEXPORT)
    before = {"en": "before the export permit", "fr": "avant le permis", "es": "antes que el"}
    assert any(before[lang] in p for p in export.permits)
    assert not any(before[lang] in p for p in reexport.permits)
    assert any("III(4)(c)" in p for p in reexport.permits)


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
def test_introduction_from_the_sea(lang: str) -> None:
    commercial = TradeFacts(destination_country="FR", source="X", purpose="T")
    with use_language(lang):
        one = advise("I", commercial)
        three = advise("III", SEA, party="CA")
    assert one.prohibitions and "III(5)(d)" in one.prohibitions[0]
    assert not three.permits and any("V" in c for c in three.officer_checks)
