"""The batch report: ``results.csv``, ``results.jsonl`` and a self-contained ``report.html``.

``results.jsonl`` holds one line per unique image: the same JSON as ``idtool identify
--format json`` plus ``cites_appendix`` (strictest over candidates), ``guidance`` (when
trade flags were given) and ``duplicates`` (other paths with the same bytes). The HTML
page embeds everything (thumbnails as data URIs, CSS and a little sorting script), so it
can be mailed or archived as one file. Each file is written to a temporary name and
renamed into place.
"""

from __future__ import annotations

import base64
import csv
import html
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from idtool.atomic import write_atomic_text
from idtool.batch.jobs import JobConfig, JobStore, StoredResult
from idtool.cites.label_names import label_name
from idtool.i18n import get_language
from idtool.i18n import gettext as _
from idtool.i18n.vocabulary import decision_text, quality_text, rank_name

CSV_NAME = "results.csv"
JSONL_NAME = "results.jsonl"
HTML_NAME = "report.html"
CSV_COLUMNS = (
    "image",
    "sha256",
    "decision",
    "label",
    "rank",
    "confidence",
    "cites_appendix",
    "guidance_status",
    "candidates",
    "nearest_similarity",
    "quality",
    "error_code",
    "error_message",
    "decision_source",
    "engine",
    "model_version",
    "reference_version",
    "duplicates",
)
ERROR = "error"
NO_APPENDIX = "not listed / n.a."  # a key of the JSON counts; shown translated


@dataclass(frozen=True)
class ReportPaths:
    csv: Path
    jsonl: Path
    html: Path
    succeeded: int
    failed: int
    counts: dict[str, dict[str, int]]


def csv_safe(value: Any) -> Any:
    """Keep spreadsheet programs from running a file name as a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _csv_row(record: dict[str, Any]) -> dict[str, Any]:
    error = record.get("error") or {}
    return {
        "image": record["image"],
        "sha256": record.get("sha256"),
        "decision": record.get("decision") or ERROR,
        "label": record.get("label"),
        "rank": record.get("rank"),
        "confidence": record.get("confidence"),
        "cites_appendix": record.get("cites_appendix"),
        "guidance_status": (record.get("guidance") or {}).get("status"),
        "candidates": "; ".join(
            f"{c['label']}:{c['score']:.4f}" for c in record.get("candidates") or []
        ),
        "nearest_similarity": record.get("nearest_similarity"),
        "quality": (record.get("quality") or {}).get("verdict"),
        "error_code": error.get("code"),
        "error_message": error.get("message"),
        "decision_source": record.get("decision_source"),
        "engine": record.get("engine"),
        "model_version": record.get("model_version"),
        "reference_version": record.get("reference_version"),
        "duplicates": "; ".join(record.get("duplicates") or []),
    }


def needs_attention(result: StoredResult) -> str | None:
    """Why an item should be looked at first, or None."""
    reasons = []
    if result.appendix == "I":
        reasons.append(_("Appendix I candidate"))
    if result.decision == "uncertain":
        reasons.append(decision_text("uncertain"))
    if result.error_code:
        reasons.append(_("could not be read"))
    return ", ".join(reasons) or None


def count_results(results: Iterable[StoredResult]) -> dict[str, dict[str, int]]:
    decisions: Counter[str] = Counter()
    appendices: Counter[str] = Counter()
    classes: Counter[str] = Counter()
    for r in results:
        decisions[r.decision or ERROR] += 1
        appendices[f"Appendix {r.appendix}" if r.appendix else NO_APPENDIX] += 1
        if r.label:
            classes[r.label] += 1
        else:
            classes[f"({r.decision or ERROR})"] += 1
    return {
        "decision": dict(decisions.most_common()),
        "appendix": dict(sorted(appendices.items())),
        "class": dict(classes.most_common()),
    }


def write_reports(store: JobStore, report_dir: Path, config: JobConfig) -> ReportPaths:
    """Write the CSV, JSONL and HTML report of every result of the last walk."""
    duplicates: dict[str, list[str]] = {}
    for row in store.files("duplicate"):
        duplicates.setdefault(row["duplicate_of"], []).append(row["rel_path"])
    results = list(store.results())
    for r in results:
        r.record["duplicates"] = duplicates.get(r.rel_path, [])
    skipped = [(row["rel_path"], row["reason"]) for row in store.files("skipped")]
    counts = count_results(results)
    paths = ReportPaths(
        csv=report_dir / CSV_NAME,
        jsonl=report_dir / JSONL_NAME,
        html=report_dir / HTML_NAME,
        succeeded=sum(1 for r in results if not r.error_code),
        failed=sum(1 for r in results if r.error_code),
        counts=counts,
    )

    def write_csv(handle: IO[str]) -> None:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for r in results:
            writer.writerow({k: csv_safe(v) for k, v in _csv_row(r.record).items()})

    def write_jsonl(handle: IO[str]) -> None:
        for r in results:
            handle.write(json.dumps(r.record, ensure_ascii=False, default=str) + "\n")

    def write_html(handle: IO[str]) -> None:
        handle.write(render_batch_html(results, skipped, duplicates, counts, config, store.runs()))

    write_atomic_text(paths.csv, write_csv)
    write_atomic_text(paths.jsonl, write_jsonl)
    write_atomic_text(paths.html, write_html)
    return paths


# --- HTML -------------------------------------------------------------------------------

_CSS = """
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#1d2327}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.meta{color:#555;font-size:12.5px}.notice{background:#fff8e1;border:1px solid #f0d27a;
padding:8px 12px;border-radius:6px;margin:12px 0}
.cards{display:flex;gap:16px;flex-wrap:wrap}.card{border:1px solid #dde1e4;border-radius:8px;
padding:10px 14px;min-width:180px}.card h3{font-size:13px;margin:0 0 6px;color:#555;
text-transform:uppercase;letter-spacing:.04em}.card table td{padding:1px 8px 1px 0}
.card td.n{text-align:right;font-variant-numeric:tabular-nums;font-weight:600}
table.items{border-collapse:collapse;width:100%}table.items th,table.items td{
border-bottom:1px solid #e6e8ea;padding:4px 8px;text-align:left;vertical-align:middle}
table.items th{background:#f3f5f6;position:sticky;top:0;cursor:pointer;user-select:none;
white-space:nowrap}table.items th:after{content:" \\2195";color:#aaa}
table.items td.num{text-align:right;font-variant-numeric:tabular-nums}
td.file{width:24%;min-width:15em}td.lbl{width:16%}
img.t{width:72px;height:72px;object-fit:cover;border-radius:4px;background:#eee;display:block}
.d-identified{color:#1b6e20;font-weight:600}.d-uncertain{color:#a15c00;font-weight:600}
.d-not_in_reference{color:#555}.d-error{color:#b3261e;font-weight:600}
.app{display:inline-block;padding:1px 7px;border-radius:10px;font-size:12px;font-weight:600}
.app-I{background:#b3261e;color:#fff}.app-II{background:#f4b400;color:#222}
.app-III{background:#8ab4f8;color:#123}.app-none{background:#e8eaed;color:#444}
.why{font-size:12px;color:#b3261e;font-weight:600;min-width:9em}
td .small{font-weight:400}td.cands{white-space:nowrap}.small{font-size:12px;color:#555}
.file{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;word-break:break-all}
input#q{padding:5px 8px;width:280px;margin:4px 0 8px;border:1px solid #ccc;border-radius:5px}
"""

_JS = """
document.querySelectorAll('table.items').forEach(function(t){
 t.querySelectorAll('th').forEach(function(th,i){th.addEventListener('click',function(){
  var b=t.tBodies[0],rows=Array.from(b.rows),asc=th.dataset.asc!=='1';
  t.querySelectorAll('th').forEach(function(h){delete h.dataset.asc});th.dataset.asc=asc?'1':'0';
  rows.sort(function(a,c){var x=a.cells[i].dataset.v||a.cells[i].textContent,
   y=c.cells[i].dataset.v||c.cells[i].textContent,nx=parseFloat(x),ny=parseFloat(y);
   var r=(!isNaN(nx)&&!isNaN(ny))?nx-ny:x.localeCompare(y);return asc?r:-r;});
  rows.forEach(function(r){b.appendChild(r)});});});});
var q=document.getElementById('q');if(q){q.addEventListener('input',function(){
 var s=q.value.toLowerCase();document.querySelectorAll('#all tbody tr').forEach(function(r){
 r.style.display=r.textContent.toLowerCase().indexOf(s)<0?'none':'';});});}
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _thumb(result: StoredResult) -> str:
    if not result.thumbnail:
        return '<span class="small">' + _e(_("no preview")) + "</span>"
    data = base64.b64encode(result.thumbnail).decode("ascii")
    return f'<img class="t" loading="lazy" alt="" src="data:image/jpeg;base64,{data}">'


def _appendix_badge(appendix: str | None) -> str:
    if not appendix:
        return '<span class="app app-none">–</span>'
    css = appendix if appendix in ("I", "II", "III") else "none"
    return f'<span class="app app-{css}">{_e(appendix)}</span>'


def _name(label: str, rec: dict[str, Any]) -> str:
    """The name the phone shows for ``label``, in the report's language.

    The record's ``common_name`` when it was made in the report's language (the same
    source, with the catalog's own names), else the translated source in this language.
    """
    if (rec.get("guidance") or {}).get("lang") == get_language():
        for c in rec.get("candidates") or []:
            if c.get("label") == label and c.get("common_name"):
                return str(c["common_name"])
    return label_name(label)


def _label_cell(rec: dict[str, Any]) -> str:
    """``elephant ivory``; a taxon: ``stony corals (Scleractinia, order)``."""
    label = rec.get("label")
    if not label:
        return "–"
    name = _name(label, rec)
    if label.startswith("material_"):
        return name
    if name == label:
        return f"{label} ({rank_name(rec.get('rank'))})"
    return f"{name} ({label}, {rank_name(rec.get('rank'))})"


def _row(result: StoredResult, why: bool) -> str:
    rec = result.record
    decision = result.decision or ERROR
    label = _label_cell(rec)
    if result.error_code:
        label = f"{result.error_code}: {(rec.get('error') or {}).get('message', '')}"
    candidates = "<br>".join(
        f"{_e(_name(c['label'], rec))} {c['score']:.2f}" for c in rec.get("candidates") or []
    )
    confidence = rec.get("confidence")
    conf_text = "" if confidence is None else f"{confidence:.2f}"
    quality = quality_text((rec.get("quality") or {}).get("verdict"))
    dups = rec.get("duplicates") or []
    identical = _("+{count} identical: {paths}").format(count=len(dups), paths=", ".join(dups))
    dup_html = f'<div class="small">{_e(identical)}</div>' if dups else ""
    cells = [
        f"<td>{_thumb(result)}</td>",
        f'<td class="file">{_e(result.rel_path)}{dup_html}</td>',
    ]
    if why:
        cells.append(f'<td class="why">{_e(needs_attention(result))}</td>')
    cells += [
        f'<td class="d-{_e(decision)}">{_e(decision_text(decision))}'
        f'<div class="small">{_e(rec.get("decision_source"))}</div></td>',
        f'<td class="lbl">{_e(label)}</td>',
        f'<td class="num" data-v="{conf_text or -1}">{conf_text}</td>',
        f'<td data-v="{_e(result.appendix or "~")}">{_appendix_badge(result.appendix)}</td>',
        f'<td class="small cands">{candidates}</td>',
        f"<td>{_e(quality)}</td>",
    ]
    return "<tr>" + "".join(cells) + "</tr>"


def _table(results: list[StoredResult], table_id: str, why: bool) -> str:
    heads = [_("photo"), _("file"), *([_("why")] if why else []), _("decision"), _("label")]
    heads += [_("confidence"), _("CITES"), _("candidates"), _("quality")]
    head = "".join(f"<th>{_e(h)}</th>" for h in heads)
    body = "\n".join(_row(r, why) for r in results)
    return f'<table class="items" id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _count_label(key: str) -> str:
    """A key of :func:`count_results` (English codes, as in the JSON summary) as words."""
    if key.startswith("Appendix "):
        return _("Appendix {appendix}").format(appendix=key.removeprefix("Appendix "))
    if key == NO_APPENDIX:
        return _("not listed / n.a.")
    if key.startswith("(") and key.endswith(")"):
        return f"({decision_text(key[1:-1])})"
    if key in ("identified", "uncertain", "not_in_reference", ERROR):
        return decision_text(key)
    return label_name(key)  # a class label: its name


def _card(title: str, counts: dict[str, int], *, codes: bool = True) -> str:
    rows = "".join(
        f'<tr><td>{_e(_count_label(k) if codes else k)}</td><td class="n">{v}</td></tr>'
        for k, v in counts.items()
    )
    empty = "<tr><td>" + _e(_("none")) + "</td></tr>"
    return f'<div class="card"><h3>{_e(title)}</h3><table>{rows or empty}</table></div>'


def render_batch_html(
    results: list[StoredResult],
    skipped: list[tuple[str, str]],
    duplicates: dict[str, list[str]],
    counts: dict[str, dict[str, int]],
    config: JobConfig,
    runs: list[dict[str, Any]],
) -> str:
    """The whole report page as one string (no external resources)."""
    attention = [r for r in results if needs_attention(r)]
    attention.sort(key=lambda r: (r.appendix != "I", r.decision != "uncertain", r.rel_path))
    duplicate_count = sum(len(v) for v in duplicates.values())
    engines = sorted({f"{r['engine']}/{r['runtime']}" for r in runs if r.get("processed")})
    overview = {
        _("unique images"): len(results),
        _("identical copies"): duplicate_count,
        _("skipped files"): len(skipped),
        _("need attention"): len(attention),
    }
    declared = ", ".join(f"{k} {v}" for k, v in config.declaration.items() if v)
    meta = _(
        "Input {input} · model {model} · reference {reference} · listings {listings} · "
        "{runs} run(s) ({engines})"
    ).format(
        input=f"<span class='file'>{_e(config.input_dir)}</span>",
        model=_e(config.model_version),
        reference=_e(config.reference_version),
        listings=_e(config.listing_set),
        runs=len(runs),
        engines=_e(", ".join(engines)),
    ) + (" · " + _e(_("declared trade: {trade}").format(trade=declared)) if declared else "")
    skipped_rows = "".join(
        f'<tr><td class="file">{_e(p)}</td><td>{_e(reason)}</td></tr>' for p, reason in skipped
    )
    lang = get_language()
    title = _("idtool batch report – {count} images").format(count=len(results))
    parts = [
        f"<!doctype html><html lang='{lang}'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width,initial-scale=1'>",
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>",
        "<h1>" + _e(_("idtool batch report")) + "</h1>",
        f"<div class='meta'>{meta}</div>",
        "<div class='notice'>"
        + _e(
            _(
                "Visual identification is probable cause, not proof. CITES appendices are "
                "decision support only: confirm with the current Appendices and the "
                "Management Authority before seizing or releasing goods."
            )
        )
        + "</div>",
        "<h2>" + _e(_("Summary")) + "</h2><div class='cards'>",
        _card(_("overview"), overview, codes=False),
        _card(_("decision"), counts["decision"]),
        _card(_("CITES appendix"), counts["appendix"]),
        _card(_("class"), dict(list(counts["class"].items())[:12])),
        "</div>",
        "<h2>" + _e(_("Needs attention first ({count})").format(count=len(attention))) + "</h2>",
        "<p class='small'>"
        + _e(
            _(
                "Appendix I candidates (strictest listing over the candidates), uncertain "
                "results and unreadable files."
            )
        )
        + "</p>",
        _table(attention, "attention", why=True)
        if attention
        else "<p>" + _e(_("Nothing.")) + "</p>",
        "<h2>" + _e(_("All images ({count})").format(count=len(results))) + "</h2>",
        "<input id='q' type='search' placeholder='" + _e(_("filter rows…")) + "'>",
        _table(results, "all", why=False),
    ]
    if skipped:
        parts += [
            "<h2>" + _e(_("Skipped files ({count})").format(count=len(skipped))) + "</h2>",
            "<table class='items'><thead><tr><th>"
            + _e(_("file"))
            + "</th><th>"
            + _e(_("reason"))
            + "</th></tr></thead>"
            f"<tbody>{skipped_rows}</tbody></table>",
        ]
    parts += [f"<script>{_JS}</script></body></html>"]
    return "\n".join(parts)
