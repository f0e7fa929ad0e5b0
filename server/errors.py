"""One place that turns every error into ``{"error": {"code", "message"}}``.

:class:`~idtool.errors.IdtoolError` keeps its ``code`` and ``http_status``; Werkzeug's
HTTP errors (404 route, 405 method, 413 body too large...) get the same shape; anything
else is logged with its traceback and answered ``500 internal_error`` with no details.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app, jsonify
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from idtool.errors import IdtoolError

log = logging.getLogger(__name__)

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "image_too_large",
    431: "headers_too_large",
    415: "unsupported_media_type",
    422: "invalid_image",
    429: "rate_limited",
}


def error_response(
    code: str, message: str, status: int, headers: dict[str, str] | None = None
) -> ResponseReturnValue:
    body: dict[str, Any] = {"error": {"code": code, "message": message}}
    response = jsonify(body)
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _idtool_error(exc: IdtoolError) -> ResponseReturnValue:
    headers = {}
    retry_after = getattr(exc, "retry_after_s", None)
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    if exc.http_status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="idtool"'
    if exc.http_status >= 500:
        log.error("%s: %s", exc.code, exc.message)
    return error_response(exc.code, exc.message, exc.http_status, headers)


def _http_error(exc: HTTPException) -> ResponseReturnValue:
    status = exc.code or 500
    message = exc.description or exc.name
    if status == 413:
        limit = current_app.config.get("IDTOOL_MAX_IMAGE_BYTES")
        message = (
            f"the request is larger than this server accepts: a photo of at most {limit:,} "
            "bytes (max_image_bytes) plus its form fields"
            if isinstance(limit, int)
            else "the request body is too large for this server (see max_image_bytes)"
        )
    code = HTTP_CODES.get(status, "http_error" if status < 500 else "internal_error")
    # Keep the headers the error carries (Allow on 405, WWW-Authenticate, Retry-After).
    headers = {
        name: value
        for name, value in exc.get_headers()
        if name.lower() not in {"content-type", "content-length"}
    }
    return error_response(code, message, status, headers)


def _unexpected(exc: Exception) -> ResponseReturnValue:
    log.exception("unhandled error while serving a request")
    return error_response(
        "internal_error", "the server hit an unexpected error; it has been logged", 500
    )


def register_error_handlers(app: Flask) -> None:
    """Attach the three handlers (most specific class wins in Flask)."""
    app.register_error_handler(IdtoolError, _idtool_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
