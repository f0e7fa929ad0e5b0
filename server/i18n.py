"""Languages on the server: each request is answered in the officer's language.

The language of a request is ``?lang=`` if given, else the best match of its
``Accept-Language`` header (the phone page sends the language its picker chose), else the
server's own setting (``IDTOOL_LANG``, ``lang`` in config.toml, the locale). Texts in
answers (guidance, checks, verdict advice) follow it; JSON keys and codes never do. The
answer says which language it used in ``Content-Language``.

``GET /i18n/<lang>.json`` serves the phone page's own strings from the same gettext
catalogs; like the page itself it needs no token (the sign-in panel is translated too).
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, g, jsonify, request

from idtool.errors import NotFound
from idtool.i18n import LANGUAGES, get_language, normalise_language, reset_language, set_language
from idtool.i18n.catalogs import LANGUAGE_NAMES, page_messages

bp = Blueprint("i18n", __name__)


def request_language(default: str) -> str:
    """The language for the current request (``?lang=``, ``Accept-Language``, default).

    Raises:
        BadField: ``?lang=`` names a language idtool does not have.
    """
    asked = request.args.get("lang")
    if asked:
        return normalise_language(asked)
    return request.accept_languages.best_match(LANGUAGES) or default


def install_language_negotiation(app: Flask, default: str) -> None:
    """Pick the language before each request and restore it after."""

    @app.before_request
    def choose_language() -> None:
        g.language_token = set_language(request_language(default))

    @app.teardown_request
    def restore_language(exc: BaseException | None) -> None:
        token = g.pop("language_token", None)
        if token is not None:
            reset_language(token)

    @app.after_request
    def say_language(response: Response) -> Response:
        response.headers.setdefault("Content-Language", get_language())
        response.vary.add("Accept-Language")
        return response


@bp.get("/i18n/<lang>.json")
def page_catalog(lang: str) -> Response:
    """The phone page's strings in ``lang``: ``{lang, languages, messages}``.

    ``messages`` maps each English string of the page to its translation (empty for
    English). Raises NotFound for a language idtool does not have.
    """
    if lang not in LANGUAGES:
        raise NotFound(f"no translations for {lang!r}; available: {', '.join(LANGUAGES)}")
    response = jsonify(
        {
            "lang": lang,
            "languages": [{"code": code, "name": LANGUAGE_NAMES[code]} for code in LANGUAGES],
            "messages": page_messages(lang),
        }
    )
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Content-Language"] = lang
    return response
