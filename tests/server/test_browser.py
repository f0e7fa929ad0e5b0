"""The phone page in headless Chromium against a live waitress server on 127.0.0.1.

Needs Debian's ``chromium`` (/usr/bin/chromium) and the ``playwright`` Python package;
no browser is downloaded.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import threading
from pathlib import Path

import pytest
from browser_support import sign_in
from phone_photos import phone_jpeg_of
from server_support import REFERENCE, ivory_photo

from idtool.config import PROJECT_ROOT
from idtool.evidence.verify import verify_store

SCREENSHOT = PROJECT_ROOT / "docs" / "phone_page.png"

pytestmark = pytest.mark.browser


@pytest.fixture
def photo_file(tmp_path: Path) -> Path:
    """A 12 MP phone JPEG (4032x3024, 3-6 MB, EXIF orientation 6, camera and maker tags)."""
    path = tmp_path / "IMG_0042.jpg"
    path.write_bytes(phone_jpeg_of(ivory_photo(), 6))
    assert 3_000_000 <= path.stat().st_size <= 6_000_000
    return path


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _original(record) -> dict:  # type: ignore[no-untyped-def,type-arg]
    """The record's ``original`` block, as the API returns it."""
    return record.to_dict()["original"]


VERDICT_ON_SCREEN = """() => {
  const v = document.getElementById('verdict');
  if (!v) return false;
  const r = v.getBoundingClientRect();
  return r.top >= 0 && r.top < innerHeight / 2 && document.activeElement === v;
}"""

# every visible text of the page: its size, and how the browser may break its words
TEXT_STYLES = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const text = node.textContent.trim();
    const elem = node.parentElement;
    if (!text || !elem || !elem.getClientRects().length) continue;
    const cs = getComputedStyle(elem);
    out.push({text: text.slice(0, 60), size: parseFloat(cs.fontSize),
              wordBreak: cs.wordBreak, overflowWrap: cs.overflowWrap});
  }
  return out;
}"""


def _check_officer_text(page) -> None:  # type: ignore[no-untyped-def]
    text = page.inner_text("#result")
    assert "material_" not in text  # internal labels
    assert not re.search(r"\(\d\.\d+\)|\b0\.\d{2}\b", text), text  # scores as decimals
    assert "idtool " not in text and "import an" not in text  # administrator instructions
    assert not re.search(r"\b[a-z]+_[a-z]+\b", text), text  # snake_case words
    for style in page.evaluate(TEXT_STYLES):
        assert style["size"] >= 13, style
        assert style["wordBreak"] not in ("break-all",), style
        assert style["overflowWrap"] != "anywhere", style


def test_phone_photo_working_copy_first_then_the_original(live, page, tmp_path):
    base, token, app = live
    # a carving the small test model identifies, so the screenshot shows a full answer
    source = sorted((REFERENCE / "material_ivory").glob("*.jpg"))[3]
    photo_file = tmp_path / "IMG_0042.jpg"
    photo_file.write_bytes(phone_jpeg_of(source, 6))
    store = app.extensions["idtool"].store
    sign_in(page, base, token)
    page.wait_for_function("document.querySelectorAll('#purpose option').length > 5")
    assert not page.is_checked("#original-only")
    page.set_input_files("#image", str(photo_file))
    page.fill("#case_ref", "BROWSER-1")
    page.click("#trade summary")
    page.fill("#origin_country", "KE")
    page.select_option("#purpose", "T")
    page.click("#submit")
    page.wait_for_selector("#result .verdict", state="visible")
    page.wait_for_function(VERDICT_ON_SCREEN)  # the verdict is what the officer sees first
    text = page.inner_text("#result").lower()
    assert "candidates" in text and "not a legal determination" in text
    page.wait_for_selector("#original-status.received")
    assert "original photo: received" in page.inner_text("#original-status").lower()
    assert "camera Samsung Galaxy A54 5G" in page.inner_text("#exif-line")  # from the original
    page.wait_for_function(
        "Array.from(document.querySelectorAll('#result .cands img')).some(i => i.naturalWidth > 0)"
    )
    assert page.is_visible("#open-schreger")  # ivory: the measuring tool is offered
    _check_officer_text(page)

    [record] = store.list_records("BROWSER-1")
    assert record.officer == "officer.browser" and record.declaration["purpose"] == "T"
    # the server analysed an upright working copy of about 1600 px ...
    quality = record.identification["quality"]
    assert (quality["width_px"], quality["height_px"]) == (1200, 1600)
    assert record.byte_count < 1_000_000
    # ... and holds the original byte for byte, linked to it in the custody log
    original = _original(record)
    assert original["status"] == "received" and original["working_copy"] is True
    assert original["sha256"] == _sha256(photo_file)
    assert store.read_original(original["sha256"]) == photo_file.read_bytes()
    exif = original.get("exif") or record.to_dict()["evidence"]["exif"]
    assert exif.get("make") == "Samsung"
    [entry] = [e for e in store.custody(record.id) if e.action == "original"]
    assert entry.details["working_copy_sha256"] == record.sha256
    assert verify_store(store).ok
    assert page.evaluate(QUEUED_KEYS) == []

    shot = tmp_path / "phone_page.png"
    page.evaluate("document.getElementById('result').scrollIntoView({block: 'start'})")
    page.screenshot(path=str(shot))
    page.screenshot(path=str(tmp_path / "phone_page_full.png"), full_page=True)
    if os.environ.get("IDTOOL_UPDATE_SCREENSHOT"):
        shutil.copy(shot, SCREENSHOT)


def test_slow_link_shows_the_verdict_before_the_original_arrives(live, page, photo_file):
    base, token, app = live
    store = app.extensions["idtool"].store
    sign_in(page, base, token)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(  # a weak mobile link: 1 Mbit/s up, 300 ms
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 300,
            "downloadThroughput": 1_000_000 / 8,
            "uploadThroughput": 1_000_000 / 8,
        },
    )
    page.set_input_files("#image", str(photo_file))
    page.fill("#case_ref", "SLOW-1")
    page.click("#submit")
    page.wait_for_selector("#result .verdict", state="visible", timeout=120_000)
    # the answer is on screen while the original is still on its way
    [record] = store.list_records("SLOW-1")
    assert _original(record)["status"] == "pending"
    assert "original photo: pending" in page.inner_text("#original-status").lower()
    page.wait_for_selector("#original-status.received", timeout=180_000)
    [record] = store.list_records("SLOW-1")
    assert _original(record)["sha256"] == _sha256(photo_file)


def test_refusal_is_shown_at_the_photo_and_clears_the_last_result(live, page, photo_file, tmp_path):
    base, token, app = live
    store = app.extensions["idtool"].store
    sign_in(page, base, token)
    # "send original only" is remembered on the phone
    page.check("#original-only")
    page.reload()
    page.wait_for_selector("#upload-form", state="visible")
    assert page.is_checked("#original-only")
    page.set_input_files("#image", str(photo_file))
    page.fill("#case_ref", "REFUSE-1")
    page.click("#submit")
    page.wait_for_selector("#result .verdict", state="visible")
    [record] = store.list_records("REFUSE-1")
    assert record.sha256 == _sha256(photo_file)
    assert _original(record)["working_copy"] is False
    assert _original(record)["sha256"] == record.sha256
    assert "original photo: received" in page.inner_text("#original-status").lower()

    not_a_photo = tmp_path / "IMG_0043.jpg"
    not_a_photo.write_text("minutes of the seizure, typed on the phone\n" * 2000)
    page.set_input_files("#image", str(not_a_photo))
    page.fill("#case_ref", "REFUSE-2")
    page.click("#submit")
    page.wait_for_selector("#refusal", state="visible")
    refusal = page.inner_text("#refusal")
    assert "not a photo the server can read" in refusal
    assert page.is_hidden("#result")  # the last answer cannot be read as this photo's
    # the refusal sits next to the photo it concerns (here a file that is no photo at all)
    assert "IMG_0043.jpg" in page.inner_text("label.camera")
    page.wait_for_selector("#refused", state="visible")
    assert "IMG_0043.jpg" in page.inner_text("#refused-list")
    assert page.evaluate(QUEUED_KEYS) == []  # a true refusal leaves the queue
    assert store.list_records("REFUSE-2") == []


def test_server_errors_keep_the_photo_queued(live, page, photo_file):
    base, token, app = live
    store = app.extensions["idtool"].store
    sign_in(page, base, token)
    page.route(  # the server answers 503 (busy): the photo must stay on the phone
        "**/api/v1/identifications",
        lambda route: route.fulfill(
            status=503,
            content_type="application/json",
            body='{"error": {"code": "unavailable", "message": "busy"}}',
        ),
    )
    page.set_input_files("#image", str(photo_file))
    page.fill("#case_ref", "BUSY-1")
    page.click("#submit")
    page.wait_for_selector("#queue", state="visible")
    assert "saved" in page.inner_text("#upload-status")
    assert page.is_hidden("#refusal") and page.is_hidden("#refused")
    assert len(page.evaluate(QUEUED_KEYS)) == 1
    page.unroute("**/api/v1/identifications")
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_selector("#result .verdict", state="visible")
    page.wait_for_selector("#original-status.received")
    page.wait_for_function("document.getElementById('queue').hidden")
    [record] = store.list_records("BUSY-1")
    assert _original(record)["sha256"] == _sha256(photo_file)


def test_offline_photo_is_queued_and_sent_once_when_back_online(live, page, photo_file):
    base, token, app = live
    store = app.extensions["idtool"].store
    sign_in(page, base, token)
    page.context.set_offline(True)
    page.evaluate("window.dispatchEvent(new Event('offline'))")
    page.set_input_files("#image", str(photo_file))
    page.fill("#case_ref", "OFFLINE-1")
    page.click("#submit")
    page.wait_for_selector("#queue", state="visible")
    assert "waiting" in page.inner_text("#queue")
    assert "saved on this phone" in page.inner_text("#upload-status")
    assert store.list_records("OFFLINE-1") == []
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_selector("#result .verdict", state="visible")
    page.wait_for_selector("#original-status.received")
    page.wait_for_selector("#queue", state="hidden")
    # a second flush (the periodic retry) must not send it again
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_function("document.getElementById('queue').hidden")
    records = store.list_records("OFFLINE-1")
    assert len(records) == 1
    assert records[0].idempotency_key
    assert _original(records[0])["sha256"] == _sha256(photo_file)
    assert sum(1 for e in store.custody() if e.action == "upload") == 1
    assert sum(1 for e in store.custody() if e.action == "original") == 1


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


def test_page_opens_offline_and_sends_the_queue_once(live, page, photo_file, tmp_path):
    base, token, app = live
    store = app.extensions["idtool"].store
    requests = _Requests(app.wsgi_app)
    app.wsgi_app = requests  # type: ignore[method-assign]
    sign_in(page, base, token)
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

    page.set_input_files("#image", str(photo_file))
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
    page.wait_for_selector("#original-status.received")
    page.wait_for_selector("#queue", state="hidden")
    # a second flush (another "online", the periodic retry) must not send it again
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_function("document.getElementById('queue').hidden")
    assert page.evaluate(QUEUED_KEYS) == []
    records = store.list_records("SW-OFFLINE-1")
    assert len(records) == 1 and records[0].idempotency_key == keys[0]
    posts = [path for method, path in requests.since(offline_from) if method == "POST"]
    assert posts == ["/api/v1/identifications"]
    puts = [path for method, path in requests.since(offline_from) if method == "PUT"]
    assert puts == [f"/api/v1/identifications/{records[0].id}/original"]
    assert _original(records[0])["sha256"] == _sha256(photo_file)
    assert sum(1 for e in store.custody() if e.action == "upload") == 1
