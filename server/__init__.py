"""idtool field server: Flask app factory, JSON API under /api/v1, phone page at /."""

from __future__ import annotations

from server.app import create_app

__all__ = ["create_app"]
