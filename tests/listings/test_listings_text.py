"""Text matching, lexicon, names, linking and the priority rule (no model needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from idtool.catalog.store import Catalog
from idtool.cites import load_listing_index
from idtool.errors import BadField
from idtool.listings.lexicon import load_lexicon
from idtool.listings.linking import cluster_listings, contact_keys, find_phones
from idtool.listings.scoring import HIGH_FROM, MEDIUM_FROM, ClusterLink, score_listing
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


def test_matching_folds_case_and_accents_and_keeps_original_spans() -> None:
    matcher = TermMatcher()
    for term in ("ivoire", "ngà voi", "défense d'éléphant", "象牙", "ivory", "ivory colour"):
        matcher.add(term, term)
    text = "IVOIRE ancien, NGA VOI, Défense d’Éléphant; 出售象牙手镯; ivory colour; ivorycarving @ivory_king"
    hits = matcher.find(text)
    assert [h.payloads[0] for h in hits] == [
        "ivoire",
        "ngà voi",
        "défense d'éléphant",
        "象牙",
        "ivory colour",  # the longest hit wins over "ivory"
    ]
    for hit in hits:
        assert text[hit.start : hit.end] == hit.text
    assert hits[3].text == "象牙"  # substring inside a CJK run
    # word-bounded: neither "ivorycarving" nor the handle "ivory_king" is "ivory"


def test_shipped_lexicon_covers_the_languages_and_products() -> None:
    terms = load_lexicon()
    assert {t.language for t in terms} >= {"en", "fr", "es", "zh", "vi"}
    words = {t.term for t in terms}
    assert {"ox bone", "faux ivory", "mammoth", "antique", "pre-ban", "no papers"} <= words
    assert {"wild caught", "象牙", "犀角", "穿山甲", "玳瑁", "ivoire", "marfil", "ngà voi"} <= words
    assert any(t.weight < 0 for t in terms)
    assert len(load_lexicon(languages={"zh"})) < len(terms)


def test_bad_lexicon_names_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "lexicon.tsv"
    bad.write_text(
        "term\tlanguage\tmeaning\ttaxa\tweight\tsource\nivory\ten\tx\t\tlots\tme\n",
        encoding="utf-8",
    )
    with pytest.raises(BadField, match="line 2"):
        load_lexicon(bad)
    bad.write_text("term,weight\nivory,3\n", encoding="utf-8")
    with pytest.raises(BadField, match="header"):
        load_lexicon(bad)


def _score(
    finder: TextSignalFinder, title: str, text: str = "", cluster: ClusterLink | None = None
) -> int:
    hits, taxa = finder.find({"title": title, "text": text})
    return score_listing(hits, taxa, cluster).priority


ILLICIT = [
    ("Antique carved ivory bangle", "Pre-ban elephant ivory, no papers, WhatsApp for price"),
    ("出售老象牙手镯", "无证，私聊"),
    ("Bán vòng ngà voi thật", "không giấy tờ, hàng xách tay"),
    ("Défense d'éléphant sculptée", "ivoire ancien, sans papiers, envoi discret"),
    ("Marfil de elefante", "sin papeles, envío discreto"),
    ("穿山甲片 500克", "野生，私聊价格"),
    ("Tiger skin rug with head", "genuine Panthera tigris, discreet shipping"),
    ("Radiated tortoise hatchlings", "wild caught, no CITES"),
    ("玳瑁手镯", "老货 无证"),
]
BENIGN = [
    ("Ivory colour porcelain vase", "ceramic, ivory white glaze"),
    ("Cattle bone carved buttons", "set of 12, cattle bone"),
    ("Plastic toy tiger for kids", "soft plastic toy"),
    ("Persian kitten for sale", "domestic cat, vaccinated"),
    ("Cat food 10 kg", "for adult cats"),
    ("Resin Buddha statue", "faux stone finish"),
]


@pytest.mark.parametrize("title,text", ILLICIT)
def test_illicit_listings_rank_high(finder: TextSignalFinder, title: str, text: str) -> None:
    assert _score(finder, title, text) >= HIGH_FROM


@pytest.mark.parametrize("title,text", BENIGN)
def test_benign_listings_rank_low(finder: TextSignalFinder, title: str, text: str) -> None:
    assert _score(finder, title, text) < MEDIUM_FROM


def test_scientific_names_need_capitals_and_common_names_of_families_count_less(
    finder: TextSignalFinder,
) -> None:
    hits, taxa = finder.find({"title": "manis and python programming books", "text": ""})
    assert not taxa  # lower-case one-word genus names are ordinary words
    hits, taxa = finder.find({"title": "Pangolins", "text": ""})
    assert [t.name for t in taxa] == ["Manis"]
    assert score_listing(hits, taxa).priority < _score(finder, "Manis javanica")


def test_reasons_explain_each_component(finder: TextSignalFinder) -> None:
    hits, taxa = finder.find({"title": "Rhino horn, no papers", "text": "ceramic stand included"})
    result = score_listing(hits, taxa, ClusterLink(3, "x-1", 95, ("seller",)))
    text = " ".join(result.reasons)
    assert "'Rhino horn'" in text and "'no papers'" in text
    assert "benign context: 'ceramic'" in text
    assert "linked to 2 other listing(s) (seller)" in text
    assert result.priority == round(sum(result.components.values()))


def test_linked_benign_listing_is_lifted_at_most_to_medium(finder: TextSignalFinder) -> None:
    link = ClusterLink(5, "x-1", 95, ("seller",))
    assert MEDIUM_FROM <= _score(finder, "Porcelain teapot", cluster=link) < HIGH_FROM


def test_phone_and_handle_extraction() -> None:
    assert find_phones("WhatsApp +84 912 345 678 or call 0912-345-678") == ["912345678"]
    assert find_phones("price 12,500,000 VND, 1200 USD") == []
    keys = contact_keys("@Ivory_King88", "微信: ivoryking88, telegram @Tusk_Trader, t.me/tusks")
    assert keys.seller == "ivory_king88"
    assert {"ivoryking88", "tusk_trader", "tusks"} <= set(keys.handles)


def test_clusters_join_listings_by_any_shared_key() -> None:
    contacts = [
        contact_keys("a", "call +84 912 345 678"),
        contact_keys("b", "zalo 0912345678"),
        contact_keys("c", "nothing shared"),
        contact_keys("d", "nothing"),
        contact_keys("A", ""),
        contact_keys("e", ""),
    ]
    dhash = 0xF0F0_1234_5678_9ABC
    photos: list[list[tuple[str, int | None, int | None]]] = [
        [],
        [],
        [("s1", dhash, 0)],
        [("s2", dhash ^ 0b101, 1)],
        [],
        [],
    ]
    clusters = cluster_listings(contacts, photos)
    assert (
        clusters.cluster_of[0] == clusters.cluster_of[1] == clusters.cluster_of[4]
    )  # phone, seller
    assert (
        clusters.cluster_of[2] == clusters.cluster_of[3] != clusters.cluster_of[0]
    )  # near-duplicate
    assert clusters.cluster_of[5] is None
    assert "photo:near-duplicate" in clusters.links[2]
    assert clusters.sizes[clusters.cluster_of[0] or ""] == 3


def test_report_html_escapes_listing_text_and_refuses_script_links() -> None:
    from idtool.listings.analysis import AnalysedMarketListing
    from idtool.listings.linking import ContactKeys
    from idtool.listings.records import MarketListing
    from idtool.listings.report_html import highlight

    listing = MarketListing(
        id="x", source="s", source_kind="jsonl", url="javascript:alert(1)", title="<b>ivory</b>"
    )
    item = AnalysedMarketListing(
        listing, [], [], [], [], ContactKeys(None, (), ()), score_listing([], [])
    )
    from idtool.listings.report_html import _row

    row = _row(1, item, "thumbs")
    assert "javascript:" not in row and "<b>ivory" not in row and "&lt;b&gt;" in row
    assert highlight("a <x> ivory", [(6, 11, "")]) == 'a &lt;x&gt; <mark class="">ivory</mark>'
