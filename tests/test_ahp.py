"""AHP weights (scoring/ahp.py) against published examples, checked independently."""

from __future__ import annotations

import numpy as np
import pytest

from gis.errors import ConfigError
from scoring.ahp import ahp_weights, check_consistency

# Saaty, T.L. (2008) "Decision making with the analytic hierarchy process", Int. J. Services
# Sciences 1(1):83–98, the "which drink is consumed more in the US" matrix (also in AHPy's
# examples). Order: coffee, wine, tea, beer, sodas, milk, water. Published derived weights
# .177 .019 .042 .116 .190 .129 .327 and C.R. = 0.022.
DRINKS = [
    [1, 9, 5, 2, 1, 1, 1 / 2],
    [1 / 9, 1, 1 / 3, 1 / 9, 1 / 9, 1 / 9, 1 / 9],
    [1 / 5, 3, 1, 1 / 3, 1 / 4, 1 / 3, 1 / 9],
    [1 / 2, 9, 3, 1, 1 / 2, 1, 1 / 3],
    [1, 9, 4, 2, 1, 2, 1 / 2],
    [1, 9, 3, 1, 1 / 2, 1, 1 / 3],
    [2, 9, 9, 3, 2, 3, 1],
]
DRINKS_WEIGHTS = [0.177, 0.019, 0.042, 0.116, 0.190, 0.129, 0.327]
DRINKS_CR = 0.022

# Saaty, T.L. (1990) "How to make a decision: the analytic hierarchy process", European Journal
# of Operational Research 48:9–26, Table 1: the eight criteria for buying a house (size,
# transportation, neighbourhood, age, yard space, modern facilities, general condition,
# financing). Published priority vector .173 .054 .188 .018 .031 .036 .167 .333,
# λmax = 9.669, C.I. = 0.238, C.R. = 0.169 — an inconsistent matrix (CR > 0.10).
HOUSE = [
    [1, 5, 3, 7, 6, 6, 1 / 3, 1 / 4],
    [1 / 5, 1, 1 / 3, 5, 3, 3, 1 / 5, 1 / 7],
    [1 / 3, 3, 1, 6, 3, 4, 6, 1 / 5],
    [1 / 7, 1 / 5, 1 / 6, 1, 1 / 3, 1 / 4, 1 / 7, 1 / 8],
    [1 / 6, 1 / 3, 1 / 3, 3, 1, 1 / 2, 1 / 5, 1 / 6],
    [1 / 6, 1 / 3, 1 / 4, 4, 2, 1, 1 / 5, 1 / 6],
    [3, 5, 1 / 6, 7, 5, 5, 1, 1 / 2],
    [4, 7, 5, 8, 6, 6, 2, 1],
]
HOUSE_WEIGHTS = [0.173, 0.054, 0.188, 0.018, 0.031, 0.036, 0.167, 0.333]
HOUSE_LAMBDA, HOUSE_CI, HOUSE_CR = 9.669, 0.238, 0.169

# Saaty's random index for n = 7 and 8, from his tables (Saaty 1980/2005).
RI = {7: 1.32, 8: 1.41}


def power_iteration(a: list[list[float]]) -> tuple[np.ndarray, float]:
    """Principal eigenvector (sum 1) and eigenvalue of a positive matrix by power iteration —
    independent of the eigen-decomposition used by the implementation."""
    m = np.asarray(a, dtype=float)
    w = np.full(len(m), 1.0 / len(m))
    for _ in range(1000):
        nxt = m @ w
        nxt /= nxt.sum()
        if np.max(np.abs(nxt - w)) < 1e-15:
            break
        w = nxt
    lam = float(np.mean((m @ w) / w))
    return w, lam


@pytest.mark.parametrize(
    ("matrix", "published_w", "published_cr"),
    [(DRINKS, DRINKS_WEIGHTS, DRINKS_CR), (HOUSE, HOUSE_WEIGHTS, HOUSE_CR)],
    ids=["saaty2008-drinks", "saaty1990-house"],
)
def test_published_weights_and_cr(matrix, published_w, published_cr):
    n = len(matrix)
    res = ahp_weights(matrix)
    w_pi, lam_pi = power_iteration(matrix)
    # against the independent computation, tightly
    assert res.weights == pytest.approx(w_pi, abs=1e-9)
    assert res.lambda_max == pytest.approx(lam_pi, abs=1e-9)
    assert res.ci == pytest.approx((lam_pi - n) / (n - 1), abs=1e-9)
    assert res.cr == pytest.approx((lam_pi - n) / (n - 1) / RI[n], abs=1e-9)
    # against the published three-decimal values
    assert res.weights == pytest.approx(published_w, abs=5e-4)
    assert round(res.cr, 3) == published_cr
    assert res.weights.sum() == pytest.approx(1.0)


def test_house_lambda_and_ci_as_published():
    res = ahp_weights(HOUSE)
    assert round(res.lambda_max, 3) == HOUSE_LAMBDA
    assert round(res.ci, 3) == HOUSE_CI


def test_consistent_matrix_gives_its_ratios_exactly():
    w = np.array([0.5, 0.25, 0.15, 0.1])
    a = w[:, None] / w[None, :]  # a_ij = w_i / w_j: perfectly consistent
    res = ahp_weights(a)
    assert res.weights == pytest.approx(w, abs=1e-12)
    assert res.lambda_max == pytest.approx(4.0, abs=1e-9)
    assert res.ci == pytest.approx(0.0, abs=1e-9)
    assert res.cr == pytest.approx(0.0, abs=1e-9)
    assert res.consistent


def test_two_criteria_are_always_consistent():
    res = ahp_weights([[1, 3], [1 / 3, 1]])
    assert res.weights == pytest.approx([0.75, 0.25])
    assert res.cr == 0.0 and res.consistent


def test_cr_over_limit_is_refused_showing_the_cr():
    res = ahp_weights(HOUSE)
    assert not res.consistent
    with pytest.raises(ConfigError, match=r"CR = 0\.169 exceeds 0\.10") as exc:
        check_consistency(res, where="house.csv")
    assert "house.csv" in str(exc.value)


def test_cr_within_limit_passes():
    res = ahp_weights(DRINKS)
    assert check_consistency(res) is res


def test_saaty_three_decimal_reciprocals_are_accepted():
    # 0.333 for 1/3 is within the 1 % tolerance
    res = ahp_weights([[1, 3, 5], [0.333, 1, 2], [0.2, 0.5, 1]])
    assert res.weights.sum() == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("matrix", "labels", "message"),
    [
        (
            [[1, 2, 3], [1 / 2, 1, 2], [1 / 2, 1 / 2, 1]],
            None,
            r"not reciprocal: a\[1,3\] = 3 but a\[3,1\] = 0\.5 \(should be 0\.3333\)",
        ),
        (
            [[1, 2, 3], [1 / 2, 1, 2], [1 / 2, 1 / 2, 1]],
            ["slope", "power", "road"],
            r"not reciprocal: a\[slope,road\] = 3 but a\[road,slope\] = 0\.5",
        ),
        ([[1, 2], [1 / 2, 2]], None, r"diagonal entries must be 1, but a\[2,2\] = 2"),
        ([[1, 2], [1 / 2, 2]], ["a", "b"], r"diagonal entries must be 1, but a\[b,b\] = 2"),
        ([[1, 2, 3], [1 / 2, 1, 2]], None, r"square matrix of at least 2×2, got shape \(2, 3\)"),
        ([[1]], None, r"at least 2×2"),
        ([[1, 0], [0, 1]], None, "positive finite numbers"),
        ([[1, -2], [-0.5, 1]], None, "positive finite numbers"),
        ([[1, float("nan")], [1, 1]], None, "positive finite numbers"),
        (np.ones((16, 16)), None, "at most 15 criteria"),
    ],
)
def test_bad_matrices_are_refused(matrix, labels, message):
    with pytest.raises(ConfigError, match=message):
        ahp_weights(matrix, where="m.csv", labels=labels)
