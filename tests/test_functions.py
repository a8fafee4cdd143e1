"""Value functions (scoring/functions.py): hand-computed values, NaN handling, validation."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from pydantic import TypeAdapter, ValidationError

from scoring.functions import Categorical, Gaussian, Linear, Logistic, Piecewise, Step, ValueFunction

FN = TypeAdapter(ValueFunction)

LINEAR_UP = {"type": "linear", "x0": 0, "x1": 10}
LINEAR_DOWN = {"type": "linear", "x0": 5000, "x1": 500}  # 0 at 5 km, 1 at 500 m
PIECEWISE = {"type": "piecewise", "points": [[0, 1], [2, 1], [5, 0.8], [8.53, 0.35], [15, 0]]}
LOGISTIC = {"type": "logistic", "midpoint": 2000, "steepness": -0.002}
GAUSSIAN = {"type": "gaussian", "ideal": 300, "spread": 1500}
STEP = {"type": "step", "steps": [[50, 1.0], [200, 0.7], [500, 0.4]], "above": 0.1}
CATEGORICAL = {
    "type": "categorical",
    "values": {"220": 1.0, "110": 1.0, "35": 0.6, "10": 0.3},
    "default": 0.1,
}

ALL = [LINEAR_UP, LINEAR_DOWN, PIECEWISE, LOGISTIC, GAUSSIAN, STEP, CATEGORICAL]


VALUES = [
    # linear increasing: (x − 0) / 10, clipped
    (LINEAR_UP, 5.0, 0.5),
    (LINEAR_UP, 2.5, 0.25),
    (LINEAR_UP, -1.0, 0.0),
    (LINEAR_UP, 12.0, 1.0),
    # linear decreasing: (x − 5000) / (500 − 5000)
    (LINEAR_DOWN, 500.0, 1.0),
    (LINEAR_DOWN, 2750.0, 0.5),
    (LINEAR_DOWN, 3875.0, 0.25),
    (LINEAR_DOWN, 5000.0, 0.0),
    (LINEAR_DOWN, 9000.0, 0.0),
    (LINEAR_DOWN, 0.0, 1.0),
    # piecewise: interpolate between the points, flat outside
    (PIECEWISE, 1.0, 1.0),
    (PIECEWISE, 3.5, 0.9),  # halfway from (2, 1) to (5, 0.8)
    (PIECEWISE, 10.0, 0.35 * 5 / 6.47),  # on (8.53, 0.35)–(15, 0): 0.35·(15−10)/(15−8.53)
    (PIECEWISE, 15.0, 0.0),
    (PIECEWISE, 40.0, 0.0),
    (PIECEWISE, -3.0, 1.0),
    # logistic 1/(1 + exp(0.002 (x − 2000)))
    (LOGISTIC, 2000.0, 0.5),
    (LOGISTIC, 2000.0 + 500 * math.log(9), 0.1),  # exp(ln 9) = 9 → 1/10
    (LOGISTIC, 2000.0 - 500 * math.log(3), 0.75),  # exp(−ln 3) = 1/3 → 3/4
    (LOGISTIC, 1e7, 0.0),  # exp overflows to inf → 0, quietly
    # gaussian exp(−(x − 300)² / (2·1500²))
    (GAUSSIAN, 300.0, 1.0),
    (GAUSSIAN, 1800.0, math.exp(-0.5)),
    (GAUSSIAN, -1200.0, math.exp(-0.5)),
    (GAUSSIAN, 300.0 + 1500 * math.sqrt(2 * math.log(2)), 0.5),
    # step: the first step with x < upto; 'above' beyond the last
    (STEP, 0.0, 1.0),
    (STEP, 49.9, 1.0),
    (STEP, 50.0, 0.7),
    (STEP, 199.0, 0.7),
    (STEP, 200.0, 0.4),
    (STEP, 499.0, 0.4),
    (STEP, 500.0, 0.1),
    (STEP, 1e9, 0.1),
    # categorical, matched as text: 110.0 and 110 are "110"
    (CATEGORICAL, 110.0, 1.0),
    (CATEGORICAL, 110, 1.0),
    (CATEGORICAL, "110", 1.0),
    (CATEGORICAL, np.float32(35.0), 0.6),
    (CATEGORICAL, 10, 0.3),
    (CATEGORICAL, 66, 0.1),  # not listed → default
    (CATEGORICAL, 35.5, 0.1),  # "35.5" is not "35"
    (CATEGORICAL, "35kV", 0.1),
]
NAMES = {id(LINEAR_UP): "linear_up", id(LINEAR_DOWN): "linear_down"}


@pytest.mark.parametrize(
    ("spec", "x", "expected"), VALUES, ids=[f"{NAMES.get(id(s), s['type'])}({x!r})" for s, x, _ in VALUES]
)
def test_value(spec, x, expected):
    fn = FN.validate_python(spec)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow / invalid-value warnings either
        got = fn.evaluate(x)
    assert np.shape(got) == ()
    assert float(got) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("spec", ALL, ids=[NAMES.get(id(s), s["type"]) for s in ALL])
def test_nan_in_nan_out_and_shape_kept(spec):
    fn = FN.validate_python(spec)
    x = np.array([[np.nan, 1.0], [2.0, np.nan]])
    got = fn.evaluate(x)
    assert got.shape == (2, 2)
    assert np.isnan(got[0, 0]) and np.isnan(got[1, 1])
    assert np.all((got[0, 1] >= 0) & (got[0, 1] <= 1))
    assert np.isnan(fn.evaluate(np.nan))


def test_categorical_missing_values_of_every_kind_are_nan():
    fn = FN.validate_python(CATEGORICAL)
    assert np.array_equal(
        fn.evaluate(pd.array([110, None, 35], dtype="Int64")), [1.0, np.nan, 0.6], equal_nan=True
    )
    assert np.array_equal(fn.evaluate(pd.Series(["110", None, "x"])), [1.0, np.nan, 0.1], equal_nan=True)
    assert np.array_equal(fn.evaluate([None, 220.0, float("nan")]), [np.nan, 1.0, np.nan], equal_nan=True)
    assert fn.evaluate(np.array([], dtype=float)).shape == (0,)


@pytest.mark.parametrize(
    ("spec", "cls"),
    [
        (LINEAR_UP, Linear),
        (PIECEWISE, Piecewise),
        (LOGISTIC, Logistic),
        (GAUSSIAN, Gaussian),
        (STEP, Step),
        (CATEGORICAL, Categorical),
    ],
)
def test_discriminator_picks_the_model(spec, cls):
    assert isinstance(FN.validate_python(spec), cls)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"type": "linear", "x0": 3, "x1": 3}, "x0 and x1 must differ"),
        ({"type": "linear", "x0": 3}, "Field required"),
        ({"type": "linear", "x0": 0, "x1": 1, "slope": 2}, "Extra inputs are not permitted"),
        ({"type": "piecewise", "points": [[0, 1], [0, 0.5]]}, "strictly increasing x"),
        ({"type": "piecewise", "points": [[0, 1], [5, 1.5]]}, "less than or equal to 1"),
        ({"type": "piecewise", "points": [[0, 1]]}, "at least 2 items"),
        ({"type": "logistic", "midpoint": 1, "steepness": 0}, "steepness must not be 0"),
        ({"type": "gaussian", "ideal": 1, "spread": 0}, "greater than 0"),
        ({"type": "gaussian", "ideal": 1, "spread": -5}, "greater than 0"),
        ({"type": "step", "steps": [[200, 0.5], [50, 1.0]]}, "strictly increasing 'upto'"),
        ({"type": "step", "steps": [[50, 1.0]], "above": 2}, "less than or equal to 1"),
        ({"type": "step", "steps": []}, "at least 1 item"),
        ({"type": "categorical", "values": {}}, "at least 1 item"),
        ({"type": "categorical", "values": {"110": -0.1}}, "greater than or equal to 0"),
        ({"type": "categorical", "values": {"110": 1}, "default": 1.2}, "less than or equal to 1"),
        ({"type": "cubic", "a": 1}, "does not match any of the expected tags"),
        ({"x0": 0, "x1": 1}, "Unable to extract tag"),
    ],
)
def test_bad_parameters_are_refused(spec, message):
    with pytest.raises(ValidationError, match=message):
        FN.validate_python(spec)
