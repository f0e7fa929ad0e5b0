"""A small, realistic corpus of saved listings (used by the tests and the shipped example).

:func:`write_sample_corpus` writes, under a folder: a JSON Lines export and a CSV export
(English, French, Spanish, Chinese, Vietnamese; illicit and benign listings), pages
saved by a browser with their ``_files/`` folders (one broken, one missing its photo) and
a WARC file written with ``warcio`` (plus a truncated copy). Photos are the caller's
(paths of redistributable JPEGs); they are copied, so the corpus is self-contained.
The listing texts are invented; sellers, phones and handles are fictitious.
"""

from __future__ import annotations

import gzip
import io
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

PHONE = "+84 912 345 678"


@dataclass(frozen=True)
class SamplePhotos:
    ivory: list[Path]  # at least 3
    ceramic: list[Path]  # at least 2
    coral: list[Path]  # at least 1


EXPORT = [
    # id, title, description, seller, photos (kind, index), expected level
    (
        "ebay-1001",
        "Antique carved ivory bangle, pre-ban, 19th century",
        "Solid elephant ivory bangle, heavy. Pre-ban stock, no papers, ships worldwide. "
        f"WhatsApp {PHONE} for price.",
        "ivory_king88",
        [("ivory", 0)],
        "high",
    ),
    (
        "lbc-2002",
        "Défense d'éléphant sculptée – ivoire ancien",
        "Belle défense d'éléphant sculptée, ivoire ancien, vendue sans papiers. Envoi discret.",
        "collection_paris",
        [("ivory", 1)],
        "high",
    ),
    (
        "ml-3003",
        "Marfil de elefante tallado, figura china",
        "Figura de marfil de elefante tallado a mano, sin papeles, envío discreto. "
        "Llamar o WhatsApp 0912 345 678.",
        "el_coleccionista",
        [("ivory", 2)],
        "high",
    ),
    (
        "tb-4004",
        "出售老象牙手镯 包邮",
        "正品老象牙手镯，无证，私聊。微信: ivoryking88",
        "象牙阁",
        [("ivory", 0)],
        "high",
    ),
    (
        "fb-5005",
        "Bán vòng ngà voi thật",
        "Vòng ngà voi thật 100%, hàng xách tay, không giấy tờ. Liên hệ Zalo 0912345678.",
        "hang_rung_vn",
        [],
        "high",
    ),
    (
        "tb-6006",
        "穿山甲片 500克",
        "野生穿山甲片，干货，包邮，私聊价格",
        "medicine_shop_8",
        [],
        "high",
    ),
    (
        "cl-7007",
        "Radiated tortoise hatchlings, wild caught",
        "Astrochelys radiata hatchlings, wild caught in Madagascar, no CITES, discreet shipping.",
        "reptile_direct",
        [],
        "high",
    ),
    (
        "ebay-8008",
        "Rhino horn cup, old stock",
        "Carved rhino horn libation cup, old stock, cash only, DM for price.",
        "asia_art_trader",
        [],
        "high",
    ),
    (
        "etsy-9009",
        "Ivory colour porcelain vase, 1970s",
        "Ceramic vase with an ivory white glaze. Porcelain, perfect condition.",
        "vintage_home",
        [("ceramic", 0)],
        "low",
    ),
    (
        "etsy-9010",
        "Cattle bone carved buttons (12)",
        "Set of 12 buttons hand carved from cattle bone, sustainably sourced.",
        "button_box",
        [("ceramic", 1)],
        "low",
    ),
    (
        "ebay-9011",
        "Plastic toy tiger for kids",
        "Soft plastic toy tiger, 20 cm, safe for children over 3.",
        "toyland",
        [],
        "low",
    ),
    (
        "pets-9012",
        "Persian kittens for sale",
        "Two Persian kittens, vaccinated, litter trained. Domestic cat, indoor only.",
        "happy_paws",
        [],
        "low",
    ),
]

CSV_ROWS = [
    (
        "ml-1201",
        "Piel de tigre auténtica",
        "Piel de tigre completa con cabeza, sin documentos. Envío discreto.",
        '=HYPERLINK("http://x")',
        "",
        "high",
    ),
    (
        "ebay-1202",
        "Coral branch decoration",
        "Dried stony coral branch for aquarium decoration.",
        "reef_decor",
        "coral",
        "any",
    ),
]

PAGES = [
    (
        "mammoth_netsuke",
        "Hand carved mammoth ivory netsuke – pre-ban",
        "Fine mammoth ivory netsuke, pre-ban, no paperwork. Contact Telegram @ivory_king88.",
        "ivory",
    ),
]


def _copy(src: Path, dest: Path) -> str:
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(src, dest)
    return dest.name


def _page(title: str, text: str, seller: str, price: str, images: list[str]) -> str:
    imgs = "".join(f'<img src="{src}" width="400" alt="photo">' for src in images)
    return (
        "<!DOCTYPE html>\n<!-- saved from url=(0043)https://market.example/item/netsuke-77 -->\n"
        f"<html><head><meta charset='utf-8'><title>{title} | Market</title>"
        f"<meta property='og:title' content='{title}'>"
        "<script>var tracking = 'ivory rhino';</script><style>.x{color:red}</style></head>"
        f"<body><header><img src='logo.svg'></header><h1>{title}</h1>"
        f"<div class='price'>{price}</div><div class='seller'>{seller}</div>"
        f"<div class='desc'><p>{text}</p></div>{imgs}"
        "<footer>Report this listing</footer></body></html>"
    )


def _write_record(writer: WARCWriter, url: str, data: bytes, content_type: str) -> None:
    headers = StatusAndHeaders("200 OK", [("Content-Type", content_type)], protocol="HTTP/1.1")
    record = writer.create_warc_record(
        url, "response", payload=io.BytesIO(data), http_headers=headers
    )
    writer.write_record(record)
    record.raw_stream.close()  # warcio spools the payload to a temporary file


def _warc(path: Path, pages: list[tuple[str, str, list[tuple[str, bytes]]]]) -> None:
    with path.open("wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        for url, markup, images in pages:
            _write_record(writer, url, markup.encode(), "text/html; charset=utf-8")
            for img_url, data in images:
                _write_record(writer, img_url, data, "image/jpeg")


def write_sample_corpus(root: Path, photos: SamplePhotos, *, broken: bool = True) -> dict[str, str]:
    """Write the corpus under ``root``; returns the expected level of each listing id.

    With ``broken``, also writes the bad inputs (a binary file saved as .html, a page
    whose photo is missing, a truncated WARC, a bad JSON line, a missing image).
    """
    expected: dict[str, str] = {}
    pics = {"ivory": photos.ivory, "ceramic": photos.ceramic, "coral": photos.coral}
    export_dir = root / "export"
    lines = []
    for lid, title, text, seller, refs, level in EXPORT:
        images = [
            "photos/" + _copy(pics[kind][i], export_dir / "photos" / f"{kind}_{i + 1}.jpg")
            for kind, i in refs
        ]
        lines.append(
            json.dumps(
                {
                    "id": lid,
                    "url": f"https://market.example/{lid}",
                    "platform": lid.split("-")[0],
                    "title": title,
                    "description": text,
                    "price": "1200",
                    "currency": "USD",
                    "seller": seller,
                    "posted_at": "2026-10-02",
                    "captured_at": "2026-10-05T09:12:00Z",
                    "images": images,
                    "search_term": "ivory",
                },
                ensure_ascii=False,
            )
        )
        expected[lid] = level
    if broken:
        lines.insert(3, '{"id": "broken-line", "title": "unterminated')
        expected["line-4"] = "low"
        record = json.loads(lines[0])
        record.update(
            id="ebay-1099", title="Ivory bangle, second photo lost", images=["photos/gone.jpg"]
        )
        lines.append(json.dumps(record, ensure_ascii=False))
        expected["ebay-1099"] = "high"
    (export_dir / "listings.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    csv_lines = ["id,url,platform,title,description,price,currency,seller,images,lot_number"]
    for lid, title, text, seller, kind, level in CSV_ROWS:
        image = _copy(pics[kind][0], export_dir / "photos" / f"{kind}_csv.jpg") if kind else ""
        cells = [lid, f"https://market.example/{lid}", "ml", title, text, "300", "EUR", seller]
        cells += [f"photos/{image}" if image else "", "L-17"]
        csv_lines.append(",".join('"' + c.replace('"', '""') + '"' for c in cells))
        expected[lid] = level
    (export_dir / "more.csv").write_text("\n".join(csv_lines) + "\n", encoding="utf-8")

    pages = root / "pages"
    for stem, title, text, kind in PAGES:
        files = pages / f"{stem}_files"
        name = _copy(pics[kind][1], files / "IMG_2231.jpg")
        (files / "logo.svg").write_text("<svg/>", encoding="utf-8")
        markup = _page(title, text, "ivory_king88", "€ 1.250", [f"{stem}_files/{name}"])
        (pages / f"{stem}.html").write_text(markup, encoding="utf-8")
        expected[stem] = "high"
    if broken:
        (pages / "garbage.html").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00" + bytes(range(256)) * 4)
        expected["garbage"] = "low"
        markup = _page(
            "Pangolin scales 1kg",
            "Pangolin scales, dried.",
            "scales_vn",
            "$ 800",
            ["lost_files/p.jpg"],
        )
        (pages / "lost_photo.html").write_text(markup, encoding="utf-8")
        expected["lost_photo"] = "medium"  # text alone, no trade signal: not high

    archive = root / "archive"
    archive.mkdir(parents=True, exist_ok=True)
    ivory = photos.ivory[0].read_bytes()
    ceramic = photos.ceramic[0].read_bytes()
    warc_pages = [
        (
            "https://shop.example/item/501",
            "<html><head><title>象牙雕刻 观音</title></head><body><h1>象牙雕刻 观音</h1>"
            "<p>老象牙，牙雕精品，微信 ivoryking88，无证。</p><img src='/img/501.jpg'></body></html>",
            [("https://shop.example/img/501.jpg", ivory)],
        ),
        (
            "https://shop.example/item/502",
            "<html><head><title>Porcelain figurine</title></head><body><h1>Porcelain figurine</h1>"
            "<p>Hand painted porcelain, ceramic, 1950s.</p><img src='/img/502.jpg'></body></html>",
            [("https://shop.example/img/502.jpg", ceramic)],
        ),
    ]
    _warc(archive / "capture.warc.gz", warc_pages)
    expected["https://shop.example/item/501"] = "high"
    expected["https://shop.example/item/502"] = "low"
    if broken:
        data = (archive / "capture.warc.gz").read_bytes()
        raw = gzip.decompress(data)
        (archive / "cut.warc").write_bytes(raw[: int(len(raw) * 0.6)])
    return expected
