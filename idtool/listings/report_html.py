"""``report.html`` of ``idtool listings``: the ranked worklist, clusters and read errors.

One page, no external resources except the ``thumbs/`` folder beside it. Filters (level,
CITES appendix, taxon, free text) run in a few lines of script; every row carries its
values as ``data-`` attributes.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from idtool.batch.jobs import JobConfig
from idtool.cites.label_names import label_name
from idtool.listings.analysis import AnalysedMarketListing

SNIPPET_CONTEXT = 90
FULL_TEXT_CHARS = 500

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#1d2327}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.meta{color:#555;font-size:12.5px}.notice{background:#fff8e1;border:1px solid #f0d27a;
padding:8px 12px;border-radius:6px;margin:12px 0}
.cards{display:flex;gap:16px;flex-wrap:wrap}.card{border:1px solid #dde1e4;border-radius:8px;
padding:10px 14px;min-width:170px}.card h3{font-size:12px;margin:0 0 6px;color:#555;
text-transform:uppercase;letter-spacing:.04em}.card td{padding:1px 8px 1px 0}
.card td.n{text-align:right;font-weight:600;font-variant-numeric:tabular-nums}
.filters{display:flex;gap:10px;flex-wrap:wrap;align-items:center;margin:8px 0 10px;
background:#f3f5f6;padding:8px 10px;border-radius:6px}
.filters select,.filters input{padding:4px 6px;border:1px solid #bbb;border-radius:4px}
table.w{border-collapse:collapse;width:100%}table.w th,table.w td{border-bottom:1px solid #e6e8ea;
padding:6px 8px;text-align:left;vertical-align:top}table.w th{background:#f3f5f6;position:sticky;top:0}
td.p{text-align:center;width:56px}.score{font-size:20px;font-weight:700;font-variant-numeric:tabular-nums}
.lvl{display:inline-block;padding:1px 8px;border-radius:10px;font-size:11.5px;font-weight:700;
text-transform:uppercase}.lvl-high{background:#b3261e;color:#fff}.lvl-medium{background:#f4b400;color:#222}
.lvl-low{background:#e8eaed;color:#444}
td.ph{width:200px}td.tx{width:15em}img.t{width:60px;height:60px;object-fit:cover;border-radius:4px;margin:0 3px 3px 0;
background:#eee}.title{font-weight:600}.title a{color:#0b57d0;text-decoration:none}
.sub{font-size:12px;color:#555}.txt{font-size:12.5px;color:#333;margin-top:3px;max-width:60em}
mark{background:#ffe08a;padding:0 1px;border-radius:2px}mark.ben{background:#d7f0d2}
mark.tx{background:#f9c5c1}
.app{display:inline-block;padding:0 7px;border-radius:10px;font-size:12px;font-weight:600;margin:1px 0}
.app-I{background:#b3261e;color:#fff}.app-II{background:#f4b400;color:#222}
.app-III{background:#8ab4f8;color:#123}.app-none{background:#e8eaed;color:#444}
ul.r{margin:0;padding-left:16px;font-size:12.5px}ul.r li{margin:1px 0}
.cl a{font-family:ui-monospace,Menlo,monospace;font-size:12px}.err{color:#b3261e;font-size:12.5px}
.src{font-family:ui-monospace,Menlo,monospace;font-size:11.5px;color:#666;word-break:break-all}
.cluster{border:1px solid #dde1e4;border-radius:8px;padding:8px 12px;margin:8px 0}
.cluster h3{font-size:14px;margin:0 0 4px}.count{color:#555;font-size:12.5px}
"""

_JS = """
(function(){var f=['lvl','app','tax','prob'],q=document.getElementById('q'),n=document.getElementById('shown');
function apply(){var v={};f.forEach(function(k){v[k]=document.getElementById('f-'+k).value});
var s=q.value.toLowerCase(),c=0;document.querySelectorAll('#work tbody tr').forEach(function(r){
var ok=(!v.lvl||r.dataset.lvl===v.lvl)&&(!v.app||r.dataset.app===v.app)&&
(!v.tax||r.dataset.tax.indexOf('|'+v.tax+'|')>=0)&&(!v.prob||r.dataset.prob===v.prob)&&(!s||r.textContent.toLowerCase().indexOf(s)>=0);
r.style.display=ok?'':'none';if(ok)c++;});n.textContent=c;}
f.forEach(function(k){document.getElementById('f-'+k).addEventListener('change',apply)});
q.addEventListener('input',apply);apply();})();
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _badge(appendix: str | None) -> str:
    css = appendix if appendix in ("I", "II", "III") else "none"
    return f'<span class="app app-{css}">{_e(appendix or "not listed")}</span>'


def highlight(text: str, spans: list[tuple[int, int, str]], limit: int = FULL_TEXT_CHARS) -> str:
    """``text`` escaped, with ``<mark>`` around each span; long texts show windows around hits."""
    spans = sorted(s for s in spans if 0 <= s[0] < s[1] <= len(text))
    if len(text) <= limit:
        windows = [(0, len(text))]
    else:
        windows = []
        for start, end, _ in spans:
            lo, hi = max(0, start - SNIPPET_CONTEXT), min(len(text), end + SNIPPET_CONTEXT)
            if windows and lo <= windows[-1][1]:
                windows[-1] = (windows[-1][0], max(hi, windows[-1][1]))
            else:
                windows.append((lo, hi))
        windows = windows[:4] or [(0, limit)]
    parts = []
    for lo, hi in windows:
        out, pos = [], lo
        for start, end, css in spans:
            if start < pos or end > hi or start < lo:
                continue
            out.append(_e(text[pos:start]))
            out.append(f'<mark class="{css}">{_e(text[start:end])}</mark>')
            pos = end
        out.append(_e(text[pos:hi]))
        parts.append(("… " if lo > 0 else "") + "".join(out) + (" …" if hi < len(text) else ""))
    return " ".join(parts)


def _spans(item: AnalysedMarketListing, field: str) -> list[tuple[int, int, str]]:
    spans = []
    for hit in item.hits:
        if hit.field == field:
            css = "ben" if hit.weight < 0 else ("tx" if hit.kind != "lexicon" else "")
            spans.append((hit.span[0], hit.span[1], css))
    return spans


def _taxon_html(name: str) -> str:
    """A taxon as the phone names it: ``<i>Loxodonta africana</i> (éléphant d'Afrique)``;
    a material label: its name."""
    shown = label_name(name)
    if name.startswith("material_"):
        return _e(shown)
    return f"<i>{_e(name)}</i>" + (f" ({_e(shown)})" if shown != name else "")


def _taxa_cell(item: AnalysedMarketListing) -> str:
    """Taxa grouped by appendix and source: one line per group, names in italics."""
    groups: dict[tuple[str, str], list[str]] = {}
    for taxon in item.taxa:
        key = (taxon.appendix or "", taxon.source)
        if taxon.name not in groups.setdefault(key, []):
            groups[key].append(taxon.name)
    order = {"I": 0, "II": 1, "III": 2, "": 3}
    lines = []
    for (appendix, source), names in sorted(
        groups.items(), key=lambda g: (order.get(g[0][0], 4), g[0][1])
    ):
        shown = ", ".join(_taxon_html(n) for n in sorted(names))
        lines.append(
            f"<div>{_badge(appendix or None)} {shown} <span class='sub'>{_e(source)}</span></div>"
        )
    return "".join(lines)


def _row(rank: int, item: AnalysedMarketListing, thumbs_dir: str) -> str:
    lst = item.listing
    appendices = [t.appendix for t in item.taxa if t.appendix in ("I", "II", "III")]
    strongest = min(appendices, key=["I", "II", "III"].index) if appendices else "none"
    taxa_names = "|" + "|".join(sorted({t.name for t in item.taxa})) + "|"
    thumbs = "".join(
        f'<img class="t" loading="lazy" alt="" src="{thumbs_dir}/{sha}.jpg">'
        for sha, _ in item.thumbnails[:3]
    )
    missing = sum(1 for p in item.photos if p.get("error"))
    more = len(item.thumbnails) - 3
    photo_notes = (f'<div class="sub">+{more} more</div>' if more > 0 else "") + (
        f'<div class="err">{missing} photo(s) missing</div>' if missing else ""
    )
    title = highlight(lst.title, _spans(item, "title"), limit=400) or "<i>(no title)</i>"
    if lst.url and lst.url.lower().startswith(("http://", "https://")):  # no javascript: links
        title = f'<a href="{_e(lst.url)}" rel="noreferrer noopener">{title}</a>'
    sub = " · ".join(
        _e(v)
        for v in (
            lst.platform,
            lst.seller and f"seller {lst.seller}",
            lst.price and f"{lst.price} {lst.currency or ''}".strip(),
            lst.posted_at and f"posted {lst.posted_at}",
        )
        if v
    )
    taxa = _taxa_cell(item)
    reasons = "".join(f"<li>{_e(r)}</li>" for r in item.priority.reasons)
    error = _problems_html(item)
    cluster = (
        f'<a href="#{_e(item.cluster_id)}">{_e(item.cluster_id)}</a>'
        f'<div class="sub">{item.cluster_size} listings<br>{_e(", ".join(item.links))}</div>'
        if item.cluster_id
        else '<span class="sub">–</span>'
    )
    return (
        f'<tr id="L{rank}" data-lvl="{item.priority.level}" data-app="{strongest}" '
        f'data-tax="{_e(taxa_names)}" data-prob="{problem_of(item)}">'
        f'<td class="p"><div class="score">{item.priority.priority}</div>'
        f'<span class="lvl lvl-{item.priority.level}">{item.priority.level}</span>'
        f'<div class="sub">#{rank}</div></td>'
        f'<td class="ph">{thumbs or "<span class=sub>no photo</span>"}{photo_notes}</td>'
        f'<td><div class="title">{title}</div><div class="sub">{sub}</div>'
        f'<div class="txt">{highlight(lst.description, _spans(item, "text"))}</div>'
        f'<div class="src">{_e(lst.source)} {_e(lst.locator)}</div>{error}</td>'
        f"<td class='tx'>{taxa or '<span class=sub>none</span>'}</td>"
        f'<td><ul class="r">{reasons}</ul></td><td class="cl">{cluster}</td></tr>'
    )


def problem_of(item: AnalysedMarketListing) -> str:
    """``error`` (not read), ``warning`` (read in part: bytes, truncated page, photos) or ``none``."""
    if item.listing.error:
        return "error"
    return "warning" if item.warnings else "none"


def _problems_html(item: AnalysedMarketListing) -> str:
    """The listing's error and warnings, one line each."""
    found = ([item.listing.error] if item.listing.error else []) + item.warnings
    return "".join(
        f'<div class="err">{_e(p.get("code"))}: {_e(p.get("message"))}</div>' for p in found
    )


def _card(title: str, counts: dict[str, int], cell: Callable[[str], str] | None = None) -> str:
    show = cell or _e
    rows = "".join(f'<tr><td>{show(k)}</td><td class="n">{v}</td></tr>' for k, v in counts.items())
    return f'<div class="card"><h3>{_e(title)}</h3><table>{rows or "<tr><td>none</td></tr>"}</table></div>'


def _options(values: list[str], everything: str) -> str:
    opts = [f'<option value="">{_e(everything)}</option>']
    opts += [f'<option value="{_e(v)}">{_e(v)}</option>' for v in values]
    return "".join(opts)


def _clusters(items: list[AnalysedMarketListing]) -> str:
    groups: dict[str, list[tuple[int, AnalysedMarketListing]]] = {}
    for rank, item in enumerate(items, start=1):
        if item.cluster_id:
            groups.setdefault(item.cluster_id, []).append((rank, item))
    ordered = sorted(
        groups.items(), key=lambda g: (-max(i.priority.priority for _, i in g[1]), g[0])
    )
    parts = []
    for cluster_id, members in ordered:
        keys = sorted({k for _, i in members for k in i.links})
        rows = "".join(
            f'<li><a href="#L{rank}">#{rank}</a> <span class="lvl lvl-{i.priority.level}">'
            f"{i.priority.priority}</span> {_e(i.listing.title[:90])} "
            f'<span class="sub">{_e(i.listing.platform or i.listing.source)}'
            f"{' · ' + _e(i.listing.seller) if i.listing.seller else ''}</span></li>"
            for rank, i in members
        )
        parts.append(
            f'<div class="cluster" id="{_e(cluster_id)}"><h3>{_e(cluster_id)} '
            f'<span class="count">{len(members)} listings, linked by {_e(", ".join(keys))}</span>'
            f"</h3><ul class='r'>{rows}</ul></div>"
        )
    return "".join(parts) or "<p>No listings share a photo, seller, phone number or handle.</p>"


def render_listings_html(
    items: list[AnalysedMarketListing],
    counts: dict[str, dict[str, int]],
    config: JobConfig,
    runs: list[dict[str, Any]],
    thumbs_dir: str,
) -> str:
    """The whole page as one string."""
    taxa = sorted({t.name for i in items for t in i.taxa})
    clusters = len({i.cluster_id for i in items if i.cluster_id})
    meta = (
        f"{len(items)} listings · model {_e(config.model_version)} · reference "
        f"{_e(config.reference_version)} · CITES listing set {_e(config.listing_set)} · {len(runs)} run(s)"
    )
    rows = "\n".join(_row(rank, item, thumbs_dir) for rank, item in enumerate(items, start=1))
    return "\n".join(
        [
            "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
            "<meta name='viewport' content='width=device-width,initial-scale=1'>",
            f"<title>idtool listing triage – {len(items)} listings</title><style>{_CSS}</style></head><body>",
            "<h1>idtool listing triage</h1>",
            f"<div class='meta'>{meta}</div>",
            "<div class='notice'>A ranked worklist, not a finding: text terms and photo "
            "identification are probable cause, not proof. Check each listing and the current "
            "CITES Appendices before opening a case.</div>",
            "<div class='cards'>",
            _card("priority level", counts["level"]),
            _card("strongest CITES appendix", counts["appendix"]),
            _card("taxa named or seen", counts["taxon"], _taxon_html),
            _card("linked", {"clusters": clusters, **counts["errors"]}),
            "</div>",
            "<h2>Worklist</h2>",
            "<div class='filters'>level <select id='f-lvl'>"
            + _options(["high", "medium", "low"], "all")
            + "</select> appendix <select id='f-app'>"
            + _options(["I", "II", "III", "none"], "all")
            + "</select> taxon <select id='f-tax'>"
            + _options(taxa, "all")
            + "</select> read problems <select id='f-prob'>"
            + _options(["error", "warning", "none"], "all")
            + "</select> <input id='q' type='search' placeholder='search text, seller, URL…'>"
            + f" <span class='sub'><b id='shown'>{len(items)}</b> shown</span></div>",
            "<table class='w' id='work'><thead><tr><th>priority</th><th>photos</th>"
            "<th>listing (hits highlighted)</th><th>taxa</th><th>why</th><th>cluster</th>"
            f"</tr></thead><tbody>{rows}</tbody></table>",
            f"<h2>Clusters ({clusters})</h2>",
            "<p class='sub'>Listings sharing a photo (same bytes or near-duplicate), a seller "
            "handle, a phone number or a messaging handle.</p>",
            _clusters(items),
            f"<script>{_JS}</script></body></html>",
        ]
    )
