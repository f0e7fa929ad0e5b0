"""The listing triage rules: word sense, appendix per named taxon, clusters, vocabulary,
photo verdicts, and read problems (no model needed: photo verdicts are given)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from idtool.catalog.store import Catalog
from idtool.cites import load_listing_index
from idtool.listings.analysis import (
    AnalysedMarketListing,
    PhotoResult,
    analyse_with_results,
    photo_taxon,
    slim_record,
)
from idtool.listings.html_page import markup_warnings, read_saved_page
from idtool.listings.lexicon import load_lexicon
from idtool.listings.linking import find_handles
from idtool.listings.records import ImageRef, MarketListing
from idtool.listings.report import CSV_COLUMNS, _csv_row, count_listings
from idtool.listings.report_html import _row, problem_of
from idtool.listings.scoring import HIGH_FROM, MEDIUM_FROM, score_listing
from idtool.listings.signals import TextSignalFinder
from idtool.listings.textmatch import TermMatcher


@pytest.fixture(scope="module")
def finder(tmp_path_factory: pytest.TempPathFactory) -> TextSignalFinder:
    catalog = Catalog.open(tmp_path_factory.mktemp("cat") / "catalog.db")
    try:
        index = load_listing_index(catalog.db)
    finally:
        catalog.close()
    return TextSignalFinder(load_lexicon(), index)


def _scored(finder: TextSignalFinder, title: str, text: str = "", priced: bool = False):
    hits, taxa = finder.find({"title": title, "text": text})
    return hits, taxa, score_listing(hits, taxa, priced=priced)


# --- word sense ---------------------------------------------------------------------------

OTHER_SENSES = [
    ("Ivory dress, size 10", "Lace wedding dress in ivory, worn once."),
    ("Robe de mariée ivoire", "Dentelle, taille 38."),
    ("Côte d'Ivoire coffee beans 1 kg", "Single origin robusta."),
    ("Café de Côte d'Ivoire", "Torréfaction artisanale."),
    ("Tagua buttons", "Vegetable ivory buttons, set of 10."),
    ("Tiger Balm red 30 g", "Ointment, sealed."),
    ("The Lion King DVD", "Disney classic."),
    ("Jaguar XF 2.2 diesel", "Full service history."),
    ("18k white gold ring", "With a 0.5 ct diamond."),
    ("Tortoiseshell cat needs a home", "Spayed, 3 years."),
    ("Python programming book", "Fifth edition."),
    ("Ivory paint 2.5 L", "Matt emulsion."),
]


@pytest.mark.parametrize("title,text", OTHER_SENSES)
def test_words_in_another_sense_point_to_no_taxon(
    finder: TextSignalFinder, title: str, text: str
) -> None:
    _, taxa, result = _scored(finder, title, text)
    assert not [t for t in taxa if t.appendix], (title, taxa)
    assert result.level == "low", result.reasons
    assert "benign context" in " ".join(result.reasons)


def test_the_french_dozen_bracelets_outrank_every_other_sense(finder: TextSignalFinder) -> None:
    _, _, bracelets = _scored(
        finder,
        "Lot de 12 bracelets en ivoire",
        "Douze bracelets en ivoire, expédition discrète, pas de papiers.",
    )
    assert bracelets.level == "high"
    for title, text in OTHER_SENSES:
        assert _scored(finder, title, text)[2].priority < bracelets.priority


def test_a_cue_word_far_away_does_not_change_the_sense(finder: TextSignalFinder) -> None:
    hits, taxa, _ = _scored(
        finder,
        "Carved ivory bangle",
        "Heavy old piece, no papers. I also sell a silk wedding dress.",
    )
    assert any(t.name in ("Loxodonta africana", "Elephas maximus") for t in taxa) or any(
        h.term.casefold() == "ivory bangle" for h in hits
    )


# --- the appendix of the named taxon ------------------------------------------------------


@pytest.mark.parametrize(
    "title,taxon",
    [
        ("Ball python for sale, captive bred morph", "Python regius"),
        ("Indian rosewood bed, Dalbergia latifolia", "Dalbergia latifolia"),
        ("Lion cub", "Panthera leo"),
    ],
)
def test_reasons_give_the_guidance_appendix_of_the_named_taxon(
    finder: TextSignalFinder, title: str, taxon: str
) -> None:
    _, taxa, result = _scored(finder, title)
    named = [t for t in taxa if t.name == taxon]
    assert named and named[0].appendix == "II", taxa
    assert {t.appendix for t in taxa} == {"II"}, taxa  # nor the genus at its strictest
    assert not any("Appendix I:" in r for r in result.reasons), result.reasons
    assert any("CITES Appendix II" in r for r in result.reasons)


def test_a_split_listing_keeps_the_guidance_caveat(finder: TextSignalFinder) -> None:
    _, taxa, result = _scored(finder, "Lion cub")
    lion = next(t for t in taxa if t.name == "Panthera leo")
    assert "Appendix I for" in lion.appendix_note
    assert "population" in lion.appendix_note
    assert lion.appendix_note in " ".join(result.reasons)
    assert lion.to_dict()["appendix_note"] == lion.appendix_note


def test_a_photo_of_a_split_listing_counts_at_its_settled_appendix() -> None:
    record = {
        "decision": "identified",
        "label": "Panthera leo",
        "confidence": 0.9,
        "guidance": {
            "taxon": "Panthera leo",
            "cites": {
                "appendix": "I",
                "population_resolved": False,
                "population_note": "declare the country of origin",
                "options": [
                    {"appendix": "I", "population": "population of India"},
                    {"appendix": "II", "population": "all other populations"},
                ],
            },
        },
    }
    taxon = photo_taxon(record, "lion.jpg")
    assert taxon is not None and taxon.appendix == "II"
    assert "Appendix I for population of India" in taxon.appendix_note


# --- text alone, photo verdicts, Appendix I items offered ---------------------------------


def test_text_alone_reaches_high_only_with_trade_signals(finder: TextSignalFinder) -> None:
    _, _, plain = _scored(finder, "Elephant ivory carving", "Carved ivory figure, 12 cm.")
    assert MEDIUM_FROM <= plain.priority < HIGH_FROM
    assert any("text alone" in r for r in plain.reasons)
    _, _, traded = _scored(finder, "Elephant ivory carving", "Carved ivory, no papers.")
    assert traded.level == "high"


def _photo(label: str, confidence: float, appendix: str | None) -> PhotoResult:
    sha = hashlib.sha256(label.encode()).hexdigest()
    record = {
        "decision": "identified",
        "label": label,
        "confidence": confidence,
        "rank": "species",
        "cites_appendix": appendix,
    }
    return PhotoResult(sha, record, None, None, None)


def _listing(
    lid: str, title: str, text: str, photos: list[PhotoResult], **kw: str
) -> MarketListing:
    return MarketListing(
        id=lid,
        source="s.jsonl",
        source_kind="jsonl",
        locator=lid,
        title=title,
        description=text,
        images=[ImageRef(p.record["label"], None, sha256=p.sha256, byte_count=1) for p in photos],
        **kw,
    )


def _analyse(
    finder: TextSignalFinder, listings: list[MarketListing], photos: list[PhotoResult]
) -> dict[str, AnalysedMarketListing]:
    results = {p.sha256: p for p in photos}
    return {a.listing.id: a for a in analyse_with_results(listings, results, finder)}


def test_identified_appendix_i_skin_offered_whose_text_agrees_is_high(
    finder: TextSignalFinder,
) -> None:
    leopard = _photo("Panthera pardus", 0.86, "I")
    item = _listing("a", "Leopard coat, vintage", "Full length, lined.", [leopard], price="800")
    got = _analyse(finder, [item], [leopard])["a"]
    assert got.priority.level == "high", got.priority.reasons
    assert any("offered for sale" in r for r in got.priority.reasons)
    unpriced = _listing("b", "Leopard coat, vintage", "Full length, lined.", [leopard])
    assert _analyse(finder, [unpriced], [leopard])["b"].priority.level != "high"


def test_a_photo_of_an_unlisted_material_halves_the_text_taxon(finder: TextSignalFinder) -> None:
    ceramic = _photo("material_ceramic", 0.95, None)
    text_only = _listing("t", "Carved ivory elephant", "Height 20 cm.", [])
    with_photo = _listing("p", "Carved ivory elephant", "Height 20 cm.", [ceramic])
    got = _analyse(finder, [text_only, with_photo], [ceramic])
    assert got["p"].priority.components["taxon"] == got["t"].priority.components["taxon"] / 2
    assert any("which no appendix lists" in r for r in got["p"].priority.reasons)


# --- clusters ------------------------------------------------------------------------------


def test_a_cluster_lifts_its_members_and_says_why(finder: TextSignalFinder) -> None:
    ivory = _photo("Loxodonta africana", 0.93, "I")
    loud = _listing(
        "loud",
        "Ivory bangle, pre-ban",
        "Elephant ivory, no papers, discreet shipping. WhatsApp +44 7700 900123.",
        [ivory],
        seller="tusks",
    )
    twin = _listing("twin", "Bangle as pictured", "Serious buyers only.", [ivory], seller="b2")
    phone = _listing("phone", "Bangle", "Call +44 7700 900123.", [], seller="b3")
    teapot = _listing("teapot", "Porcelain teapot", "1 litre.", [], seller="tusks")
    alone = _listing("alone", "Porcelain teapot", "1 litre.", [], seller="other")
    got = _analyse(finder, [loud, twin, phone, teapot, alone], [ivory])
    assert got["loud"].priority.level == "high"
    assert got["twin"].priority.level == "high"  # the same photo: the same goods
    assert got["phone"].priority.level == "medium"  # nothing of its own: at most medium
    assert got["teapot"].priority.level == "medium"
    assert got["alone"].priority.level == "low"
    why = " ".join(got["twin"].priority.reasons)
    assert "linked to" in why and "photo" in why and "loud" in why
    assert got["twin"].priority.components["cluster"] > 0


def test_a_word_containing_a_service_name_is_not_a_handle() -> None:
    assert find_handles("Resin figure, ivory white finish, signal lamp, line drawing") == []
    found = find_handles("line id: tusk_1, ig: tusker_2, WeChat ivoryking88")
    assert set(found) == {"ivoryking88", "tusk_1", "tusker_2"}


# --- vocabulary ------------------------------------------------------------------------------

ILLICIT_WORDS = [
    ("Golden jade pendant", "Carved golden jade, DM for price.", "Rhinoplax vigil"),
    ("Red ivory carving", "Old red ivory, no papers.", "Rhinoplax vigil"),
    ("Shahtoosh shawl", "Genuine shahtoosh, no papers.", "Pantholops hodgsonii"),
    ("White gold, 2 kg", "White gold, old stock, discreet shipping.", "Elephas maximus"),
    ("Bracelets ivoire", "Expédition discrète, pas de papiers.", "Elephas maximus"),
    ("Pulseira de marfim", "Marfim de elefante, sem papéis, envio discreto.", "Elephas maximus"),
    ("Pontas de marfim", "De Moçambique, sem documentos.", "Elephas maximus"),
    ("ขายกำไลงาช้างแท้", "ไม่มีใบอนุญาต ส่งแบบลับ", "Elephas maximus"),
    ("นอแรดแท้", "ของป่า ไม่มีเอกสาร", "Rhinocerotidae"),
    ("Dijual gading gajah asli", "Tanpa surat, pengiriman rahasia.", "Elephas maximus"),
    ("Sisik trenggiling", "Kering, tanpa dokumen.", "Manis"),
    ("Tanduk badak", "Tanpa dokumen, harga via japri.", "Rhinocerotidae"),
]


@pytest.mark.parametrize("title,text,taxon", ILLICIT_WORDS)
def test_trade_names_and_languages_are_read(
    finder: TextSignalFinder, title: str, text: str, taxon: str
) -> None:
    _, taxa, result = _scored(finder, title, text)
    assert taxon in {t.name for t in taxa}, taxa
    assert result.level == "high", result.reasons


def test_thai_terms_match_inside_unspaced_text() -> None:
    matcher = TermMatcher()
    matcher.add("งาช้าง", "ivory")
    hits = matcher.find("ขายกำไลงาช้างแท้")
    assert [h.text for h in hits] == ["งาช้าง"]


def test_an_everyday_word_is_not_a_common_name(finder: TextSignalFinder) -> None:
    _, taxa, _ = _scored(finder, "Wedding dress", "Worn once, Morse code key included.")
    assert not taxa


# --- read problems -----------------------------------------------------------------------------


def test_a_truncated_page_with_invalid_bytes_is_read_with_warnings(tmp_path: Path) -> None:
    page = tmp_path / "cut.html"
    page.write_bytes(
        b"<html><head><title>Ivory bangle</title></head><body><h1>Ivory bangle \xff\xfe old"
        b"</h1><p>No papers.</p><img src='cut_files/a.jpg' width='400'><div class='desc"
    )
    listing = read_saved_page(page, "cut.html")
    codes = {w["code"] for w in listing.warnings}
    assert {"invalid_bytes", "truncated_html"} <= codes
    assert listing.error is None and "Ivory bangle" in listing.title


def test_a_server_page_without_closing_html_is_not_called_truncated() -> None:
    whole = "<html><body><h1>Ivory bangle</h1><p>No papers.</p>"
    assert markup_warnings(whole, saved_by_browser=False) == []
    assert [w["code"] for w in markup_warnings(whole)] == ["truncated_html"]
    assert [
        w["code"] for w in markup_warnings(whole + "<img src='a.jpg", saved_by_browser=False)
    ] == ["truncated_html"]
    assert markup_warnings(whole + "</body></html>\n") == []


def test_every_photo_missing_is_reported_in_the_row_csv_and_filter(
    finder: TextSignalFinder,
) -> None:
    gone = MarketListing(
        id="g",
        source="s.jsonl",
        source_kind="jsonl",
        title="Pangolin scales",
        description="1 kg, no papers",
        images=[ImageRef("a.jpg", None, error="missing: a.jpg not found next to the export")],
    )
    fine = MarketListing(id="f", source="s.jsonl", source_kind="jsonl", title="Porcelain vase")
    got = {a.listing.id: a for a in analyse_with_results([gone, fine], {}, finder)}
    record = got["g"].to_dict()
    assert record["error"] is None
    assert [w["code"] for w in record["warnings"]] == ["all_photos_missing"]
    assert got["f"].to_dict()["warnings"] == []
    assert "warnings" in CSV_COLUMNS
    assert "all_photos_missing" in _csv_row(1, got["g"])["warnings"]
    assert count_listings(list(got.values()))["errors"]["listings with warnings"] == 1
    assert problem_of(got["g"]) == "warning" and problem_of(got["f"]) == "none"
    assert 'data-prob="warning"' in _row(1, got["g"], "thumbs")


def test_a_bad_senses_file_names_the_line(tmp_path: Path) -> None:
    from idtool.errors import BadField
    from idtool.listings.senses import load_senses

    bad = tmp_path / "senses.tsv"
    bad.write_text("term\tlanguage\tsense\tcues\tsource\nivory\ten\ta colour\t\tme\n")
    with pytest.raises(BadField, match="line 2"):
        load_senses(bad)
    bad.write_text("term,cues\nivory,dress\n")
    with pytest.raises(BadField, match="header"):
        load_senses(bad)


def test_a_slim_record_keeps_what_the_analysis_reads() -> None:
    record = {
        "image": "a.jpg",
        "sha256": "ab" * 32,
        "decision": "identified",
        "label": "material_ivory",
        "rank": "material",
        "confidence": 0.93,
        "nearest_references": [{"label": "material_ivory", "similarity": 0.9}] * 3,
        "quality": {"verdict": "pass", "checks": []},
        "material_checks": {"text": "x" * 20_000},
        "guidance": {
            "taxon": "Elephantidae",
            "candidates": [{"text": "y" * 20_000}],
            "cites": {
                "appendix": "I",
                "population_resolved": False,
                "options": [{"appendix": "II", "population": "ZA"}],
                "population_note": "split listing",
                "text": "z" * 5_000,
            },
        },
    }
    slim = slim_record(record)
    assert len(json.dumps(slim)) < 1_000 < len(json.dumps(record))
    assert photo_taxon(slim, "a.jpg") == photo_taxon(record, "a.jpg")
