"""The hub object of the running app (set by ``create_hub_app``)."""

from __future__ import annotations

from flask import current_app

from idtool.hub.service import Hub

EXTENSION = "idtool_hub"


def current_hub() -> Hub:
    hub: Hub = current_app.extensions[EXTENSION]
    return hub
