"""Fixtures of the server tests: an app on a shared model, its client, store and token,
and for the browser tests a live waitress server and a headless Chromium page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import CHROMIUM, CHROMIUM_ARGS, PHONE, free_port
from flask import Flask
from flask.testing import FlaskClient
from support import WaitressThread

from idtool.evidence.store import EvidenceStore
from idtool.evidence.tokens import create_token


@pytest.fixture
def app(make_app) -> Flask:  # type: ignore[no-untyped-def]
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def store(app: Flask) -> EvidenceStore:
    return app.extensions["idtool"].store


@pytest.fixture
def token(store: EvidenceStore) -> str:
    return create_token(store, "officer.one", "tester")


@pytest.fixture
def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def live(make_app) -> Iterator[tuple[str, str, object]]:
    """(base url, token, app) of a waitress server running in a thread."""
    from waitress.server import create_server

    app = make_app()
    token = create_token(app.extensions["idtool"].store, "officer.browser", "test")
    port = free_port()
    running = WaitressThread(create_server(app, host="127.0.0.1", port=port, threads=4))
    try:
        yield f"http://127.0.0.1:{port}", token, app
    finally:
        running.close()


@pytest.fixture
def page() -> Iterator[object]:
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (see .ci/run)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
        page = context.new_page()
        page.set_default_timeout(60_000)
        yield page
        context.close()
        browser.close()
