"""Fitting the head: class weights for a small class beside a large one."""

from __future__ import annotations

import numpy as np

from idtool.curation.training import fit_linear


def _overlapping(rng: np.random.Generator, large: int, small: int) -> tuple[np.ndarray, np.ndarray]:
    """Two classes whose clouds overlap, ``large`` photos against ``small``."""
    shift = np.zeros(8)
    shift[0] = 1.2
    x = np.vstack([rng.normal(0.0, 1.0, (large, 8)), rng.normal(0.0, 1.0, (small, 8)) + shift])
    return x.astype(np.float32), np.array([0] * large + [1] * small)


def test_balanced_class_weights_raise_the_small_class_recall() -> None:
    rng = np.random.default_rng(0)
    x, y = _overlapping(rng, 400, 40)
    x_test, y_test = _overlapping(rng, 400, 400)

    def recall_of_small(balanced: bool) -> float:
        weight, bias = fit_linear(x, y, 2, c=1.0, seed=0, balanced=balanced)
        predicted = (x_test @ weight.T + bias).argmax(axis=1)
        return float((predicted[y_test == 1] == 1).mean())

    plain, balanced = recall_of_small(False), recall_of_small(True)
    assert balanced > plain + 0.2  # outvoted without weights, mostly found with them
    assert balanced > 0.5


def test_balanced_fit_is_reproducible() -> None:
    rng = np.random.default_rng(1)
    x, y = _overlapping(rng, 100, 10)
    first = fit_linear(x, y, 2, c=1.0, seed=3, balanced=True)
    second = fit_linear(x, y, 2, c=1.0, seed=3, balanced=True)
    assert all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))


def test_a_two_class_head_tells_the_classes_apart() -> None:
    # scikit-learn returns one row of coefficients for two classes; both softmax rows
    # must not end up equal (a curator's two-class catalog got 50/50 for every photo)
    rng = np.random.default_rng(2)
    x, y = _overlapping(rng, 50, 50)
    x[y == 1, 0] += 4.0  # well apart
    weight, bias = fit_linear(x, y, 2, c=1.0, seed=0)
    predicted = (x @ weight.T + bias).argmax(axis=1)
    assert (predicted == y).mean() > 0.95
    # three classes, of which the fold saw two: the third can never win
    weight3, bias3 = fit_linear(x, y, 3, c=1.0, seed=0)
    assert ((x @ weight3.T + bias3).argmax(axis=1) == y).mean() > 0.95
