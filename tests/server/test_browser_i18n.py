"""The phone page in French and Spanish (headless Chromium, live server on 127.0.0.1)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import CHROMIUM, CHROMIUM_ARGS, PHONE, sign_in
from server_support import ivory_photo

pytestmark = pytest.mark.browser


@pytest.fixture
def french_phone() -> Iterator[object]:
    """A phone whose browser prefers French (navigator.languages and Accept-Language)."""
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (see .ci/run)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(
            viewport=PHONE, device_scale_factor=2, is_mobile=True, locale="fr-FR"
        )
        page = context.new_page()
        page.set_default_timeout(60_000)
        yield page
        context.close()
        browser.close()


def test_page_follows_the_browser_language_and_the_picker(live, french_phone):
    page = french_phone
    base, token, app = live
    page.goto(base + "/")
    # (selector waits: the page's CSP forbids the eval that string predicates need to poll)
    page.wait_for_selector("#token-panel h2:text-is('Connexion')")
    assert page.evaluate("document.documentElement.lang") == "fr"
    assert page.get_attribute("#case_ref", "placeholder") == "p. ex. JKIA-2025-0042"
    sign_in(page, base, token)
    page.wait_for_selector("#purpose option:text-is('T – commercial')", state="attached")

    page.select_option("#lang", "es")  # the picker wins over the browser, and is remembered
    page.wait_for_selector("#submit:text-is('Identificar')")
    page.wait_for_selector("#purpose option:text-is('T – comercial')", state="attached")
    page.set_input_files("#image", str(ivory_photo()))
    page.fill("#case_ref", "IDIOMA-1")
    page.click("#submit")
    page.wait_for_selector("#result .verdict", state="visible")
    text = page.text_content("#result") or ""
    assert "Candidatos" in text and "Prueba" in text
    assert "Solo es una ayuda a la decisión" in text  # the guidance came back in Spanish
    (record,) = app.extensions["idtool"].store.list_records("IDIOMA-1")
    assert record.guidance["lang"] == "es"

    page.reload()
    page.wait_for_selector("#submit:text-is('Identificar')")
    assert page.eval_on_selector("#lang", "s => s.value") == "es"
    page.select_option("#lang", "en")
    page.wait_for_selector("#submit:text-is('Identify')")
    assert page.inner_text("footer") == "Visual identification is probable cause, not proof."
