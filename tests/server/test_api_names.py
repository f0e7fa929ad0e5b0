"""Names in the officer's language: no English name of a shipped class in a French or
Spanish answer, and ``common_name`` follows the request language."""

from __future__ import annotations

import pytest
from english_names import english_names_in, shipped_english_names, texts
from server_support import coral_photo, ivory_photo, upload

from idtool.config import SHIPPED_REFERENCE_DIR


def _ceramic_photo() -> bytes:
    return sorted((SHIPPED_REFERENCE_DIR / "material_ceramic").glob("*.jpg"))[0].read_bytes()


@pytest.mark.parametrize("lang", ["fr", "es"])
def test_answers_in_french_and_spanish_carry_no_english_name(client, auth, lang):
    names = shipped_english_names()
    seen_materials = set()
    for photo in (ivory_photo().read_bytes(), coral_photo().read_bytes(), _ceramic_photo()):
        response = upload(client, {**auth, "Accept-Language": lang}, photo, purpose="T")
        assert response.status_code == 201, response.get_json()
        body = response.get_json()
        assert body["guidance"]["lang"] == lang
        for candidate in body["identification"]["candidates"]:
            if candidate["is_material"]:
                seen_materials.add(candidate["label"])
                assert candidate["common_name"], candidate  # every material has its name
        leaks = {t: english_names_in(t, names) for t in texts(body)}
        found = {t[:80]: f for t, f in leaks.items() if f}
        assert found == {}, "\n".join(f"{f}: {t}" for t, f in found.items())
    assert seen_materials  # the scan covered material names


def test_common_name_follows_the_request_language(client, auth):
    by_lang = {}
    for lang in ("en", "fr", "es"):
        body = upload(
            client, {**auth, "Accept-Language": lang}, ivory_photo().read_bytes()
        ).get_json()
        by_lang[lang] = {c["label"]: c["common_name"] for c in body["identification"]["candidates"]}
    assert by_lang["en"]["material_ivory"] == "elephant ivory"
    assert by_lang["fr"]["material_ivory"] == "ivoire d'éléphant"
    assert by_lang["es"]["material_ivory"] == "marfil de elefante"
    assert set(by_lang["en"]) == set(by_lang["fr"]) == set(by_lang["es"])
