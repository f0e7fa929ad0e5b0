"""Schreger points that measure nothing are refused, wherever they come from (issue 21)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from idtool.errors import BadField
from idtool.forensics.schreger import angles_from_points, classify, measure_schreger

GOOD = [[50, 50], [60, 50], [45, 58.66]]  # about 120 degrees


def test_a_good_triple_is_measured() -> None:
    (m,) = angles_from_points([GOOD], (100, 100))
    assert abs(m.angle_deg - 120) < 0.1


@pytest.mark.parametrize(
    ("triple", "message"),
    [
        ([[50, 50], [60, 60], [60, 60]], "same point"),  # both arms through one point
        ([[50, 50], [50, 50], [40, 60]], "by at least 1 px"),  # zero-length arm
        ([[50, 50], [50.5, 50], [40, 60]], "by at least 1 px"),  # half a pixel
        ([[50, 50], [60, 50], [70, 50]], "one line"),  # 0 degrees, different points
        ([[50, 50], [60, 50], [40, 50]], "one line"),  # 180 degrees
        ([[50, 50], [160, 50], [160, 51]], "one line"),  # 0.5 degrees
    ],
)
def test_degenerate_triples_are_refused(triple: list[list[float]], message: str) -> None:
    with pytest.raises(BadField, match=message):
        angles_from_points([GOOD, triple])


def test_five_degenerate_triples_can_no_longer_make_a_mammoth() -> None:
    same = [[[10 * i, 10], [20 * i + 5, 30], [20 * i + 5, 30]] for i in range(1, 6)]
    with pytest.raises(BadField, match="angle 1: the two arm points are the same point"):
        classify(angles_from_points(same), method="manual")


@pytest.mark.parametrize(
    "point",
    [[math.inf, 1], [1, math.nan], [1e308, 1], [-1e308, 1], [True, 1], ["1", 2], [1, 2, 3]],
)
def test_non_finite_or_malformed_points_are_refused(point: list[object]) -> None:
    triple = [[1, 1], point, [5, 9]]
    with pytest.raises(BadField):
        angles_from_points([triple], (100, 100))


def test_huge_but_finite_points_are_refused_even_without_a_photo_size() -> None:
    with pytest.raises(BadField, match="too far apart"):
        angles_from_points([[[-1e308, 0], [1e308, 0], [0, 1e308]]])


@pytest.mark.parametrize("point", [[-0.1, 5], [5, -1], [100.5, 5], [5, 80.01]])
def test_points_off_the_photo_are_refused(point: list[float]) -> None:
    with pytest.raises(BadField, match="outside the 100x80 photo"):
        angles_from_points([[[50, 40], point, [60, 70]]], (100, 80))
    angles_from_points([[[50, 40], [0, 0], [100, 0]]], (100, 80))  # edges are on it


def test_measure_schreger_checks_points_against_the_photo() -> None:
    rgb = np.zeros((80, 100, 3), dtype=np.uint8)
    with pytest.raises(BadField, match="outside the 100x80 photo"):
        measure_schreger(rgb, triples=[[[50, 40], [150, 40], [50, 70]]])
