"""Schreger results and photo-quality advice in French and Spanish; codes stay English."""

from __future__ import annotations

import numpy as np

from idtool.forensics.quality import assess_quality
from idtool.forensics.schreger import AngleMeasurement, classify
from idtool.i18n import use_language


def _angles(*degrees: float) -> list[AngleMeasurement]:
    return [
        AngleMeasurement(d, (100.0, 100.0), ((150.0, 100.0), (100.0, 150.0)), "manual", "outer")
        for d in degrees
    ]


def test_schreger_result_in_french_and_spanish() -> None:
    angles = _angles(126.0, 131.5, 119.0, 140.2, 122.3)
    with use_language("fr"):
        french = classify(angles)
        refused = classify(angles[:2])
    with use_language("es"):
        spanish = classify(angles)
    english = classify(angles)
    assert french.classification == spanish.classification == english.classification == "elephant"
    assert french.reason == "angle externe moyen de 127.8 degrés, supérieur à 115 degrés"
    assert spanish.reason == "ángulo exterior medio de 127.8 grados, superior a 115 grados"
    assert french.rule.startswith("angle de Schreger externe moyen < 90 degrés : mammouth")
    assert french.disclaimer.startswith("Indicatif uniquement")
    assert refused.classification == "refused"
    assert refused.reason.startswith("seulement 2 angle(s) externe(s) mesuré(s)")
    assert english.reason == "mean outer angle 127.8 deg is above 115 deg"


def test_quality_advice_in_spanish() -> None:
    dark = np.full((3024, 4032, 3), 6, dtype=np.uint8)  # a 12 MP photo taken in the dark
    with use_language("es"):
        report = assess_quality(dark)
    assert report.verdict == "warn"
    assert "la foto está demasiado oscura" in " ".join(report.advice)
