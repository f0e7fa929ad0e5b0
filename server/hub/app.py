"""``create_hub_app``: the hub's Flask app (sync API, analyst API, analyst page).

Served by waitress (``idtool hub serve``), usually behind a reverse proxy that
terminates TLS (``deploy/nginx/``); with ``trusted_proxies`` > 0, werkzeug's ProxyFix
takes the client address, scheme, host and prefix from that many proxies'
``X-Forwarded-*`` headers (never set it without a proxy in front: clients could forge
them).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify
from werkzeug.middleware.proxy_fix import ProxyFix

from idtool.hub.service import Hub
from server.errors import register_error_handlers
from server.hub.state import EXTENSION

MAX_BODY_BYTES = 16 * 1024 * 1024  # a batch of records or custody entries, or one chunk
CHUNK_BYTES = 1024 * 1024
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self' "
    "'unsafe-inline'; script-src 'none'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def waitress_options(threads: int, trusted_proxies: int = 0) -> dict[str, Any]:
    """How ``idtool hub serve`` runs waitress.

    Waitress drops ``X-Forwarded-*`` headers by default; behind trusted proxies it keeps
    them for ProxyFix (which believes only the last ``trusted_proxies`` hops).
    """
    return {
        "threads": threads,
        "ident": "idtool-hub",
        "channel_timeout": 300,
        "max_request_body_size": MAX_BODY_BYTES + 64 * 1024,
        "clear_untrusted_proxy_headers": trusted_proxies == 0,
    }


def _configure_logging() -> None:
    root = logging.getLogger()
    if not root.handlers:
        level = os.environ.get("IDTOOL_LOG_LEVEL", "INFO").upper()
        logging.basicConfig(
            level=getattr(logging, level, logging.INFO),
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )


def create_hub_app(database_url: str, store_dir: Path, *, trusted_proxies: int = 0) -> Flask:
    """Build the hub app (migrating the database if needed).

    Args:
        database_url: ``postgresql://...`` of the hub database.
        store_dir: the content-addressed original store (a local disk or shared volume).
        trusted_proxies: how many reverse proxies in front set ``X-Forwarded-*`` (0: none).

    Raises:
        HubDatabaseError: PostgreSQL cannot be reached.
    """
    _configure_logging()
    app = Flask(__name__)
    app.config.from_mapping(MAX_CONTENT_LENGTH=MAX_BODY_BYTES, SEND_FILE_MAX_AGE_DEFAULT=0)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions[EXTENSION] = Hub.open(database_url, store_dir)
    if trusted_proxies > 0:
        n = trusted_proxies
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n, x_prefix=n
        )
    register_error_handlers(app)
    from server.hub import api, pages

    app.register_blueprint(api.bp)
    app.register_blueprint(pages.bp)

    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify({"status": "ok", "service": "idtool-hub"})

    @app.after_request
    def security_headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    return app
