"""Bearer-token guard for the API blueprint (the rate limiter lives in ``server.rate_limit``)."""

from __future__ import annotations

from flask import g, request

from idtool.evidence.tokens import authenticate
from server.state import current_state


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def require_officer() -> None:
    """``before_request`` hook of the API blueprint: sets ``g.caller`` and ``g.officer``.

    Raises:
        Unauthorized: missing, unknown or revoked token (401).
    """
    g.caller = authenticate(current_state().store, bearer_token())
    g.officer = g.caller.name
