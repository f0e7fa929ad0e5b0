"""Helpers of the browser tests: the Chromium to drive, a phone viewport, signing in."""

from __future__ import annotations

import os
import socket

CHROMIUM = os.environ.get("IDTOOL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 375, "height": 812}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sign_in(page, base: str, token: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base + "/")
    page.fill("#token", token)
    page.click("#token-form button[type=submit]")
    page.wait_for_selector("#upload-form", state="visible")
