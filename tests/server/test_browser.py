# ruff: noqa: F811
"""The phone page in headless Chromium against a live waitress server on 127.0.0.1.

Needs Debian's ``chromium`` (/usr/bin/chromium) and the ``playwright`` Python package;
no browser is downloaded.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from server_support import ivory_photo, make_app, server_home  # noqa: F401

from idtool.config import PROJECT_ROOT
from idtool.evidence.tokens import create_token

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
PHONE = {"width": 390, "height": 844}
SCREENSHOT = PROJECT_ROOT / "docs" / "phone_page.png"

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def live(make_app) -> Iterator[tuple[str, str, object]]:
    """(base url, token, app) of a waitress server running in a thread."""
    from waitress.server import create_server

    app = make_app()
    token = create_token(app.extensions["idtool"].store, "officer.browser", "test")
    port = _free_port()
    server = create_server(app, host="127.0.0.1", port=port, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}", token, app
    finally:
        server.close()
        thread.join(timeout=10)


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


def _sign_in(page, base: str, token: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base + "/")
    page.fill("#token", token)
    page.click("#token-form button[type=submit]")
    page.wait_for_selector("#upload-form", state="visible")


def test_token_upload_and_result_card(live, page, tmp_path):
    base, token, app = live
    _sign_in(page, base, token)
    page.wait_for_function("document.querySelectorAll('#purpose option').length > 5")
    page.set_input_files("#image", str(ivory_photo()))
    page.fill("#case_ref", "BROWSER-1")
    page.click("#trade summary")
    page.fill("#origin_country", "KE")
    page.select_option("#purpose", "T")
    page.click("#submit")
    card = page.wait_for_selector("#result .verdict", state="visible")
    assert card is not None
    text = page.inner_text("#result").lower()
    assert "candidates" in text and "cites" in text
    assert "not a legal determination" in text
    assert "sha-256" in text
    page.wait_for_function(
        "Array.from(document.querySelectorAll('#result .cands img')).some(i => i.naturalWidth > 0)"
    )
    assert page.is_visible("#open-schreger")  # ivory: the measuring tool is offered
    records = app.extensions["idtool"].store.list_records("BROWSER-1")
    assert len(records) == 1 and records[0].officer == "officer.browser"
    assert records[0].declaration["purpose"] == "T"
    shot = tmp_path / "phone_page.png"
    page.screenshot(path=str(shot), full_page=True)
    if os.environ.get("IDTOOL_UPDATE_SCREENSHOT"):
        shutil.copy(shot, SCREENSHOT)


def test_offline_photo_is_queued_and_sent_once_when_back_online(live, page):
    base, token, app = live
    store = app.extensions["idtool"].store
    _sign_in(page, base, token)
    page.context.set_offline(True)
    page.evaluate("window.dispatchEvent(new Event('offline'))")
    page.set_input_files("#image", str(ivory_photo()))
    page.fill("#case_ref", "OFFLINE-1")
    page.click("#submit")
    page.wait_for_selector("#queue", state="visible")
    assert "waiting" in page.inner_text("#queue")
    assert "saved on this phone" in page.inner_text("#upload-status")
    assert store.list_records("OFFLINE-1") == []
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_selector("#result .verdict", state="visible")
    page.wait_for_selector("#queue", state="hidden")
    # a second flush (the periodic retry) must not send it again
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_function("document.getElementById('queue').hidden")
    records = store.list_records("OFFLINE-1")
    assert len(records) == 1
    assert records[0].idempotency_key
    assert sum(1 for e in store.custody() if e.action == "upload") == 1


class _Requests:
    """WSGI middleware: records (method, path) of every request that reaches the app."""

    def __init__(self, wsgi_app) -> None:  # type: ignore[no-untyped-def]
        self.wsgi_app = wsgi_app
        self.seen: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):  # type: ignore[no-untyped-def]
        with self._lock:
            self.seen.append((environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")))
        return self.wsgi_app(environ, start_response)

    def since(self, n: int) -> list[tuple[str, str]]:
        with self._lock:
            return list(self.seen[n:])


QUEUED_KEYS = """async () => {
  const db = await new Promise((ok, bad) => {
    const r = indexedDB.open("idtool", 1); r.onsuccess = () => ok(r.result); r.onerror = bad;
  });
  const keys = await new Promise((ok, bad) => {
    const r = db.transaction("queue").objectStore("queue").getAllKeys();
    r.onsuccess = () => ok(r.result); r.onerror = bad;
  });
  db.close();
  return keys;
}"""


def test_service_worker_is_served_at_the_root_with_a_shell_version(make_app):
    app = make_app()
    response = app.test_client().get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["Service-Worker-Allowed"] == "/"
    script = response.get_data(as_text=True)
    assert "__SHELL_VERSION__" not in script
    assert re.search(r'const SHELL_VERSION = "[0-9a-f]{16}";', script)


def test_page_opens_offline_and_sends_the_queue_once(live, page, tmp_path):
    base, token, app = live
    store = app.extensions["idtool"].store
    requests = _Requests(app.wsgi_app)
    app.wsgi_app = requests  # type: ignore[method-assign]
    _sign_in(page, base, token)
    page.wait_for_function(
        "navigator.serviceWorker.controller !== null"
        " && navigator.serviceWorker.controller.state === 'activated'"
    )
    assert page.evaluate("navigator.serviceWorker.controller.scriptURL") == base + "/sw.js"
    page.wait_for_function(
        "async () => !!(await (await caches.open('idtool-data-v1'))"
        ".match('/api/v1/vocabularies?lang=en'))"
    )
    # the pickers must now come from the service worker, not the page's own copy
    page.evaluate("localStorage.removeItem('idtool.vocabularies.en')")

    page.context.set_offline(True)
    offline_from = len(requests.seen)
    response = page.reload()
    assert response is not None and response.from_service_worker
    page.wait_for_selector("#upload-form", state="visible")
    assert page.inner_text("#net") == "offline"
    page.wait_for_function("document.querySelectorAll('#purpose option').length > 5")

    page.set_input_files("#image", str(ivory_photo()))
    page.fill("#case_ref", "SW-OFFLINE-1")
    page.click("#submit")
    page.wait_for_selector("#queue", state="visible")
    assert "saved on this phone" in page.inner_text("#upload-status")
    keys = page.evaluate(QUEUED_KEYS)
    assert len(keys) == 1

    # reopened offline: the page loads and shows what is waiting
    page.reload()
    page.wait_for_selector("#queue", state="visible")
    assert "1 photo is waiting to be sent" in page.inner_text("#queue")
    assert page.is_visible("#upload-form")
    page.screenshot(path=str(tmp_path / "offline_reload.png"))
    assert requests.since(offline_from) == []  # nothing reached the server while offline
    assert store.list_records("SW-OFFLINE-1") == []

    page.evaluate("window.wentOnline = false; addEventListener('online', () => wentOnline = true)")
    page.context.set_offline(False)
    page.wait_for_function("window.wentOnline")  # the browser's own event, not a synthetic one
    page.wait_for_selector("#result .verdict", state="visible")
    page.wait_for_selector("#queue", state="hidden")
    # a second flush (another "online", the periodic retry) must not send it again
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_function("document.getElementById('queue').hidden")
    assert page.evaluate(QUEUED_KEYS) == []
    records = store.list_records("SW-OFFLINE-1")
    assert len(records) == 1 and records[0].idempotency_key == keys[0]
    posts = [path for method, path in requests.since(offline_from) if method == "POST"]
    assert posts == ["/api/v1/identifications"]
    assert sum(1 for e in store.custody() if e.action == "upload") == 1
