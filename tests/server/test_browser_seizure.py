"""The "Seizure details" form of the phone page (headless Chromium, live server)."""

from __future__ import annotations

import pytest
from browser_support import sign_in as _sign_in

from idtool.evidence.cases import get_case, set_case_facts
from idtool.evidence.verify import verify_store

pytestmark = pytest.mark.browser


def _open_form(page, case_ref: str) -> None:  # type: ignore[no-untyped-def]
    page.fill("#case_ref", case_ref)
    page.dispatch_event("#case_ref", "change")
    page.click("#seizure-summary")
    page.wait_for_selector(f"#seizure-case:has-text('{case_ref}')")
    page.wait_for_selector("#sz-specimen option[value='IVC']", state="attached")


def test_save_offline_then_sent_once_back_online(live, page):
    base, token, app = live
    store = app.extensions["idtool"].store
    _sign_in(page, base, token)
    _open_form(page, "PORT-2026-7")
    page.fill("#sz-seizure_date", "2026-03-14")
    page.fill("#sz-quantity", "12")
    page.select_option("#sz-unit", "pieces")
    page.select_option("#sz-specimen", "IVC")
    page.fill("#sz-country_origin", "Cameroon")
    page.fill("#sz-countries_transit", "NG, FR")
    page.select_option("#sz-transport_mode", "air")
    page.click("#seizure-save")
    page.wait_for_selector("#seizure-status:has-text('version 1')")
    case = get_case(store, "PORT-2026-7")
    assert case.version == 1
    assert case.facts.country_origin == "CM" and case.facts.countries_transit == ("NG", "FR")
    assert page.input_value("#sz-country_origin") == "CM"  # the server's answer is shown

    page.context.set_offline(True)
    page.fill("#sz-location", "Douala airport, cargo shed 2")
    page.click("#seizure-save")
    page.wait_for_selector("#seizure-status:has-text('Not sent yet')")
    assert get_case(store, "PORT-2026-7").version == 1
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_selector("#seizure-status:has-text('version 2')")
    case = get_case(store, "PORT-2026-7")
    assert case.version == 2 and case.facts.location == "Douala airport, cargo shed 2"
    assert case.history[-1].changed == ("location",)  # only what changed was sent
    assert page.evaluate("localStorage.getItem('idtool.seizureQueue')") == "[]"
    assert verify_store(store).ok


def test_refusals_and_conflicts_are_shown_not_lost(live, page):
    base, token, app = live
    store = app.extensions["idtool"].store
    _sign_in(page, base, token)
    _open_form(page, "PORT-9")
    page.fill("#sz-country_destination", "Atlantis")
    page.click("#seizure-save")
    page.wait_for_selector("#seizure-status.error:has-text('Not sent')")
    assert "country_destination" in (page.text_content("#seizure-status") or "")
    page.fill("#sz-country_destination", "CN")
    page.click("#seizure-save")
    page.wait_for_selector("#seizure-status:has-text('version 1')")

    set_case_facts(store, "PORT-9", {"quantity": 5}, "officer.other")  # someone else: v2
    page.select_option("#sz-disposal", "destroyed")
    page.click("#seizure-save")
    page.wait_for_selector("#seizure-status:has-text('someone changed this case')")
    # the case was read again (quantity 5 from the other officer) and the change kept
    page.wait_for_selector("#seizure-case:has-text('version 2')")
    assert page.input_value("#sz-quantity") == "5"
    assert page.input_value("#sz-disposal") == "destroyed"
    page.click("#seizure-save")
    page.wait_for_selector("#seizure-status:has-text('version 3')")
    facts = get_case(store, "PORT-9").facts
    assert facts.disposal == "destroyed" and facts.quantity == 5


def test_form_in_french(live, page):
    base, token, _app = live
    page.goto(base + "/")
    page.evaluate("localStorage.setItem('idtool.lang', 'fr')")
    _sign_in(page, base, token)
    page.wait_for_selector("#seizure-summary:text-is('Détails de la saisie')")
    page.click("#seizure-summary")
    page.wait_for_selector(
        "#seizure-case:text-is(\"Saisissez d'abord la référence de l'affaire ci-dessus.\")"
    )
    page.wait_for_selector("#sz-transport_mode option:text-is('air – aérien')", state="attached")
    assert page.text_content("label[for=sz-quantity]") == "Quantité"
    page.select_option("#lang", "es")
    page.wait_for_selector("#seizure-summary:text-is('Detalles de la incautación')")
    page.wait_for_selector("#sz-transport_mode option:text-is('air – aéreo')", state="attached")
