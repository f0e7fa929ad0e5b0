"""The analysts' page, rendered on the server (no build step, no script).

``/hub/`` shows seizures per month, taxon, post and route as bar charts (matplotlib PNG
inline), the posts and the cross-post links; ``/hub/cases/<post>/<case_ref>`` shows a
case's facts, their history, its records with thumbnails and its links. The page signs
in with a hub token kept in an HttpOnly, SameSite=Strict cookie.
"""

from __future__ import annotations

import base64
import io
from collections import Counter
from typing import Any

from flask import Blueprint, Response, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from idtool.errors import Forbidden, Unauthorized
from idtool.hub.database import transaction
from idtool.hub.queries import get_case, list_links, post_summaries, seizure_counts
from idtool.hub.tokens import HubCaller
from server.hub.api import thumbnail_response
from server.hub.state import current_hub

bp = Blueprint("hub_pages", __name__, url_prefix="/hub", template_folder="templates")
COOKIE = "idtool_hub_token"
MAX_BARS = 15


def _caller() -> HubCaller | None:
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    try:
        return current_hub().authenticate(token)
    except Unauthorized:
        return None


def bar_chart(counts: Counter[str], title: str, sort_by_key: bool = False) -> str | None:
    """A horizontal bar chart as a ``data:image/png`` URL (None when nothing to show)."""
    if not counts:
        return None
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    items = sorted(counts.items()) if sort_by_key else counts.most_common(MAX_BARS)
    items = items[-MAX_BARS:] if sort_by_key else items
    labels = [k for k, _ in items][::-1]
    values = [v for _, v in items][::-1]
    figure = Figure(figsize=(5.2, 0.35 * len(items) + 1.0), dpi=96)
    axes = figure.subplots()
    axes.barh(labels, values, color="#3a6e8f")
    axes.set_title(title, fontsize=10)
    axes.tick_params(labelsize=8)
    from matplotlib.ticker import MaxNLocator

    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode("ascii")


@bp.get("/")
def overview() -> Any:
    who = _caller()
    if who is None:
        return render_template("hub_login.html", error=None)
    post = who.readable_post(None)
    with transaction(current_hub().url) as conn:
        counts = seizure_counts(conn, post)
        links = list_links(conn, post)
        posts = post_summaries(conn, post)
    charts = [
        bar_chart(counts.per_month, "Seizures per month", sort_by_key=True),
        bar_chart(counts.per_taxon, "Seizures per taxon"),
        bar_chart(counts.per_post, "Seizures per post"),
        bar_chart(counts.per_route, "Seizures per route (origin → destination)"),
    ]
    return render_template(
        "hub_overview.html",
        caller=who,
        charts=[c for c in charts if c],
        cases=counts.cases,
        links=links if who.post is None else [],
        posts=posts,
    )


@bp.post("/login")
def login() -> Any:
    token = (request.form.get("token") or "").strip()
    try:
        current_hub().authenticate(token)
    except Unauthorized as exc:
        return render_template("hub_login.html", error=exc.message), 401
    response = redirect(url_for("hub_pages.overview"))
    response.set_cookie(
        COOKIE, token, httponly=True, samesite="Strict", secure=request.is_secure, path="/hub"
    )
    return response


@bp.post("/logout")
def logout() -> WerkzeugResponse:
    response = redirect(url_for("hub_pages.overview"))
    response.delete_cookie(COOKIE, path="/hub")
    return response


@bp.get("/cases/<post>/<path:case_ref>")
def case_view(post: str, case_ref: str) -> Any:
    who = _caller()
    if who is None:
        return redirect(url_for("hub_pages.overview"))
    if not who.may_read(post):
        raise Forbidden(f"the token of post {who.post!r} cannot read post {post!r}")
    with transaction(current_hub().url) as conn:
        case = get_case(conn, post, case_ref)
    if who.post is not None:
        case["links"] = []
    return render_template("hub_case.html", caller=who, case=case)


@bp.get("/thumbnails/<sha256>")
def thumbnail(sha256: str) -> Response:
    who = _caller()
    if who is None:
        raise Unauthorized("sign in on /hub/ first")
    return thumbnail_response(who, sha256)
