"""The audit as one self-contained HTML page, with the photos of each finding side by side."""

from __future__ import annotations

import base64
import html
from pathlib import Path

import cv2

from idtool.curation.audit import AuditReport
from idtool.errors import IdtoolError
from idtool.model.preprocess import decode_image

_PICTURED = {"exact_duplicate", "near_duplicate", "suspect_label", "changed_file"}
_CSS = """
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em} .meta{color:#555}
.finding{border:1px solid #ccc;border-left-width:6px;border-radius:4px;margin:1em 0;padding:.6em 1em}
.error{border-left-color:#c62828}.warning{border-left-color:#ef8f00}.info{border-left-color:#1565c0}
.sev{font-weight:bold;text-transform:uppercase;font-size:.8em;margin-right:.5em}
.row{display:flex;flex-wrap:wrap;gap:10px;margin-top:.5em}
figure{margin:0;width:190px;font-size:.75em;word-break:break-all}
figure img{max-width:180px;max-height:180px;border:1px solid #999;display:block}
figure.subject img{border:3px solid #c62828}
ul.files{font-size:.8em;max-height:12em;overflow:auto}
"""


def _thumbnail(path: str, size_px: int) -> str | None:
    """A JPEG data URI of the image scaled to fit ``size_px``, or None if unreadable."""
    try:
        rgb = decode_image(Path(path)).rgb
    except IdtoolError:
        return None
    scale = size_px / max(rgb.shape[:2])
    if scale < 1:
        rgb = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    ok, data = cv2.imencode(
        ".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 80]
    )
    return "data:image/jpeg;base64," + base64.b64encode(data.tobytes()).decode() if ok else None


def render_audit_html(
    report: AuditReport, *, thumbnail_px: int = 180, max_pictured: int = 8
) -> str:
    """One self-contained HTML page: a summary, then each finding with its photos side by side.

    Duplicate and suspect-label findings show thumbnails (the image under suspicion framed
    in red first, then its neighbours); the other findings list their files.
    """
    esc = html.escape
    counts = report.counts()
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Reference audit {esc(report.reference_version)}</title><style>{_CSS}</style></head><body>",
        f"<h1>Reference set audit: {esc(report.reference_version)}</h1>",
        f"<p class='meta'>{report.images} active photos in {report.classes} classes; embeddings "
        f"{esc(report.embedding_version or 'none')}; checks: {esc(', '.join(report.checks))}.<br>"
        f"{counts['error']} errors, {counts['warning']} warnings, {counts['info']} notes.</p>",
    ]
    cache: dict[str, str | None] = {}
    for finding in report.findings:
        parts.append(f"<div class='finding {finding.severity}'>")
        parts.append(
            f"<span class='sev'>{finding.severity}</span><b>{esc(finding.kind)}</b>: "
            f"{esc(finding.message)}"
        )
        if finding.kind in _PICTURED:
            parts.append("<div class='row'>")
            for n, ref in enumerate(finding.files[:max_pictured]):
                if ref.path not in cache:
                    cache[ref.path] = _thumbnail(ref.path, thumbnail_px)
                uri = cache[ref.path]
                subject = " class='subject'" if finding.kind == "suspect_label" and n == 0 else ""
                image = (
                    f"<img src='{uri}' alt='{esc(ref.rel_path)}'>" if uri else "<i>unreadable</i>"
                )
                parts.append(
                    f"<figure{subject}>{image}<figcaption><b>{esc(ref.label)}</b><br>"
                    f"{esc(ref.rel_path)} (id {ref.image_id})</figcaption></figure>"
                )
            parts.append("</div>")
        else:
            items = "".join(
                f"<li>{esc(ref.label)}: {esc(ref.path)} (id {ref.image_id})</li>"
                for ref in finding.files
            )
            if items:
                parts.append(f"<ul class='files'>{items}</ul>")
        parts.append("</div>")
    if not report.findings:
        parts.append("<p>No findings.</p>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_audit_html(report: AuditReport, path: Path) -> Path:
    """Write :func:`render_audit_html` to ``path`` (temp file then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(render_audit_html(report), encoding="utf-8")
    tmp.replace(path)
    return path
