"""The phone page shows a record's lab confirmation and the versions in use."""

from __future__ import annotations

import pytest
from browser_support import sign_in as _sign_in

pytestmark = pytest.mark.browser


def test_versions_footer_and_confirmation_line(live, page):
    base, token, app = live
    _sign_in(page, base, token)
    versions = app.extensions["idtool"].model.versions()
    page.wait_for_function("document.getElementById('versions').textContent.length > 0")
    footer = page.inner_text("#versions")
    assert versions["reference_version"] in footer and "update none" in footer
    line = page.evaluate(
        """async () => (await import("/static/learn.js")).confirmationLine({confirmation:
             {label: "material_ivory", method: "dna", by: "Lab A", report_ref: "R-1"}})
             .textContent"""
    )
    assert line == "Confirmed by a laboratory: ivory (DNA analysis, Lab A) · report R-1"
    assert (
        page.evaluate(
            """async () => (await import("/static/learn.js"))
                 .confirmationLine({confirmation: null})"""
        )
        is None
    )
