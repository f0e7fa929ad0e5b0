"""Material triage cards."""

from __future__ import annotations

import json

import pytest

from idtool.forensics.triage import checks_for_material, known_materials

LABELS = [
    "material_ivory_or_bone",
    "material_ivory",
    "material_walrus_ivory",
    "material_ceramic",
    "material_resin_or_plastic",
    "material_bone",
    "material_antler",
    "material_horn",
    "material_tooth",
    "material_wood",
    "material_reptile_leather",
    "material_tortoiseshell",
]


@pytest.mark.parametrize("label", LABELS)
def test_every_listed_material_has_its_own_card(label: str) -> None:
    card = checks_for_material(label)
    assert card is not None
    assert card.material == label.removeprefix("material_")
    assert card.checks
    assert card.send_to_lab_when
    assert card.references
    for check in card.checks:
        assert check.indicative is True
        assert check.how and check.shows
    json.dumps(card.to_dict())


def test_non_material_labels_get_none() -> None:
    assert checks_for_material("Panthera tigris") is None
    assert checks_for_material("Scleractinia") is None
    assert checks_for_material("ivory") is None


def test_unknown_material_gets_generic_card() -> None:
    card = checks_for_material("material_shagreen")
    assert card is not None
    assert card.material == "generic"
    assert card.label == "material_shagreen"
    assert any(c.key == "casting_marks" for c in card.checks)


def test_ivory_card_content() -> None:
    card = checks_for_material("material_ivory_or_bone")
    assert card is not None
    keys = [c.key for c in card.checks]
    assert "schreger_angles" in keys and "uv_fluorescence" in keys
    loupe = next(c for c in card.checks if c.key == "loupe_cross_section")
    shows = dict(loupe.shows)
    assert "Haversian" in shows["bone"]
    assert "Schreger" in shows["elephant or mammoth ivory"]
    # destructive tests are named only to say they are for the laboratory
    destructive = [c for c in card.checks if c.destructive]
    assert all("laboratory" in c.name.lower() for c in destructive)
    assert any("Espinoza" in r for r in card.references)


def test_known_materials_cover_the_labels() -> None:
    assert {label.removeprefix("material_") for label in LABELS} <= set(known_materials())


@pytest.mark.parametrize("label", ["material_ivory", "material_walrus_ivory", "material_bone"])
def test_ivory_walrus_and_bone_cards_say_what_separates_them(label: str) -> None:
    card = checks_for_material(label)
    assert card is not None and card.separates
    keys = [c.key for c in card.checks]
    assert "schreger_angles" in keys and "uv_fluorescence" in keys
    schreger = next(c for c in card.checks if c.key == "schreger_angles")
    assert schreger.tool == "idtool schreger"
    assert card.to_dict()["checks"][keys.index("schreger_angles")]["tool"] == "idtool schreger"
    # the hot needle is named, as laboratory-only, and only separates natural from plastic
    needle = next(c for c in card.checks if c.key == "no_hot_needle")
    assert needle.destructive
    assert any("plastic" in k for k, _ in needle.shows)


def test_walrus_card_points_to_the_core_and_the_permit() -> None:
    card = checks_for_material("material_walrus_ivory")
    assert card is not None
    loupe = dict(next(c for c in card.checks if c.key == "loupe_cross_section").shows)
    assert "secondary dentine" in loupe["walrus ivory"]
    assert "Schreger" in card.separates
    assert any("Canada" in reason for reason in card.send_to_lab_when)
