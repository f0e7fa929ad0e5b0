"""The Flask app factory: ``create_app(settings)``.

Config comes from :class:`idtool.config.Settings` (``load_settings()`` when none is
given: environment ``IDTOOL_*`` and ``$IDTOOL_HOME/config.toml``). The model, reference
set and listings load here, once per process; the evidence store opens here.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify, send_from_directory

from idtool.config import Settings, load_settings
from idtool.evidence.leftovers import clean_leftovers
from idtool.evidence.store import INCOMING, EvidenceStore
from server.errors import register_error_handlers
from server.state import ServerState, current_state, load_model_state
from server.uploads import MAX_FIELD_BYTES, MAX_FORM_PARTS, UploadRequest

STATIC_DIR = Path(__file__).resolve().parent / "static"
FORM_OVERHEAD_BYTES = 64 * 1024  # room for the text fields and part headers next to the photo
WAITRESS_MAX_HEADER_BYTES = 256 * 1024
SW_WORKER = "sw.js"
SW_VERSION_MARKER = "__SHELL_VERSION__"
SW_FILES_MARKER = "__SHELL_FILES__"
# The page loads only its own scripts and styles (no inline code), shows photos from
# blob: and data: URLs, talks only to this server, and may not be framed.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' blob: data:",
        "connect-src 'self'",
        "worker-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def shell_files() -> list[str]:
    """The page's files, listed only here: ``index.html``, ``style.css`` and every ES module
    in ``static/`` (the page loads ``app.js``, which imports the others), not the worker."""
    modules = sorted(p.name for p in STATIC_DIR.glob("*.js") if p.name != SW_WORKER)
    return ["index.html", "style.css", *modules]


def shell_urls() -> list[str]:
    """The URLs the service worker precaches: ``/`` for the page, ``/static/...`` the rest."""
    return ["/" if name == "index.html" else f"/static/{name}" for name in shell_files()]


def service_worker_script() -> str:
    """``static/sw.js`` with the shell URLs and a cache version: a hash of the shell files.

    Any change to the page, a module or the style changes the worker's bytes, so the
    browser installs the new worker, which precaches the new shell and drops the old one.
    """
    digest = hashlib.sha256()
    for name in shell_files():
        digest.update(name.encode() + b"\0" + (STATIC_DIR / name).read_bytes())
    script = (STATIC_DIR / SW_WORKER).read_text(encoding="utf-8")
    script = script.replace(SW_FILES_MARKER, json.dumps(shell_urls()))
    return script.replace(SW_VERSION_MARKER, digest.hexdigest()[:16])


def waitress_options(settings: Settings) -> dict[str, Any]:
    """How ``idtool serve`` runs waitress.

    Waitress answers bodies over ``max_request_body_size`` and headers over
    ``max_request_header_size`` itself, in plain text, before the app sees the request.
    Its body limit is set to twice the app's, so any body the app refuses with a
    ``Content-Length`` gets the JSON ``image_too_large`` answer; only bodies over twice
    the limit, and header blocks over 256 KiB (431), get waitress's plain-text reply.
    """
    return {
        "threads": settings.server_workers,
        "ident": "idtool",
        "channel_timeout": 120,
        "max_request_body_size": 2 * (settings.max_image_bytes + FORM_OVERHEAD_BYTES),
        "max_request_header_size": WAITRESS_MAX_HEADER_BYTES,
    }


def _configure_logging() -> None:
    root = logging.getLogger()
    if not root.handlers:
        level = os.environ.get("IDTOOL_LOG_LEVEL", "INFO").upper()
        logging.basicConfig(
            level=getattr(logging, level, logging.INFO),
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )


def create_app(settings: Settings | None = None, *, runtime: str = "auto") -> Flask:
    """Build the field server.

    Args:
        settings: resolved settings (tests pass them explicitly); default
            :func:`load_settings`.
        runtime: embedding runtime (``auto``, ``onnx``, ``onnx-int8``, ``torch``).

    Returns:
        The Flask app, with the model loaded and the evidence store open.

    Raises:
        ModelBundleError, EmptyReference: nothing to identify with.
    """
    _configure_logging()
    settings = settings or load_settings()
    app = Flask(__name__, static_folder=str(STATIC_DIR), static_url_path="/static")
    app.request_class = UploadRequest
    app.config.from_mapping(
        # The whole body: the photo plus the text fields. The photo part streams to
        # disk and is cut at max_image_bytes; each text part has MAX_FIELD_BYTES.
        MAX_CONTENT_LENGTH=settings.max_image_bytes + FORM_OVERHEAD_BYTES,
        MAX_FORM_MEMORY_SIZE=MAX_FIELD_BYTES,
        MAX_FORM_PARTS=MAX_FORM_PARTS,
        IDTOOL_MAX_IMAGE_BYTES=settings.max_image_bytes,
        IDTOOL_MAX_FIELD_BYTES=MAX_FIELD_BYTES,
        IDTOOL_INCOMING_DIR=str(settings.evidence_path / INCOMING),
        IDTOOL_CATALOG=str(settings.catalog_path),
        IDTOOL_EVIDENCE_DIR=str(settings.evidence_path),
        IDTOOL_SERVER_WORKERS=settings.server_workers,
        SEND_FILE_MAX_AGE_DEFAULT=3600,
    )
    app.json.sort_keys = False  # type: ignore[attr-defined]
    model = load_model_state(settings, runtime)
    store = EvidenceStore.open(settings.evidence_path)
    clean_leftovers(store)
    app.extensions["idtool"] = ServerState(settings, model, store, runtime)

    register_error_handlers(app)
    from server import api, cases, confirmations, i18n, item_photos, openapi

    i18n.install_language_negotiation(app, settings.language)
    app.register_blueprint(api.bp)
    app.register_blueprint(item_photos.bp)
    app.register_blueprint(cases.bp)
    app.register_blueprint(confirmations.bp)
    app.register_blueprint(openapi.bp)
    app.register_blueprint(i18n.bp)

    @app.get("/")
    def index() -> Response:
        response = send_from_directory(STATIC_DIR, "index.html", max_age=0)
        response.headers["Cache-Control"] = "no-cache"
        return response

    @app.get("/sw.js")
    def service_worker() -> Response:
        # At the root so its scope covers "/"; browsers only run it in a secure context
        # (HTTPS, or http://localhost / 127.0.0.1).
        response = Response(service_worker_script(), mimetype="text/javascript")
        response.headers["Cache-Control"] = "no-cache"
        response.headers["Service-Worker-Allowed"] = "/"
        return response

    @app.get("/favicon.ico")
    def favicon() -> Response:
        return send_from_directory(STATIC_DIR, "favicon.ico", mimetype="image/vnd.microsoft.icon")

    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify({"status": "ok", **current_state().model.versions()})

    @app.after_request
    def security_headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    return app
