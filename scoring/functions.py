"""Value functions: map a raw measure (in its own unit) to a suitability value in [0, 1].

Each function is a pydantic model selected by its ``type`` field, so a zone file declares it as
data, e.g. ``{type: linear, x0: 3000, x1: 200}`` (0 at 3 km, 1 at 200 m). ``evaluate`` works on
whole numpy arrays; NaN in gives NaN out (a missing measure is not a zero).
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Fn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def evaluate(self, x: np.ndarray | float) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError


class Linear(_Fn):
    """0 at ``x0`` and 1 at ``x1``, linear between, clipped outside. ``x0 > x1`` decreases."""

    type: Literal["linear"] = "linear"
    x0: float
    x1: float

    @model_validator(mode="after")
    def _distinct(self) -> Linear:
        if self.x0 == self.x1:
            raise ValueError("x0 and x1 must differ")
        return self

    def evaluate(self, x: np.ndarray | float) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        return np.clip((x - self.x0) / (self.x1 - self.x0), 0.0, 1.0)


class Piecewise(_Fn):
    """Linear interpolation through ``points`` [[x, value], …] (x increasing); flat outside."""

    type: Literal["piecewise"] = "piecewise"
    points: list[tuple[float, Annotated[float, Field(ge=0, le=1)]]] = Field(min_length=2)

    @model_validator(mode="after")
    def _increasing(self) -> Piecewise:
        xs = [p[0] for p in self.points]
        if any(b <= a for a, b in zip(xs, xs[1:])):
            raise ValueError("points must have strictly increasing x")
        return self

    def evaluate(self, x: np.ndarray | float) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        xs, vs = zip(*self.points)
        out = np.interp(x, xs, vs)
        return np.where(np.isnan(x), np.nan, out)


class Logistic(_Fn):
    """1 / (1 + exp(−k (x − midpoint))); a negative ``steepness`` k makes it decreasing."""

    type: Literal["logistic"] = "logistic"
    midpoint: float
    steepness: float

    @model_validator(mode="after")
    def _nonzero(self) -> Logistic:
        if self.steepness == 0:
            raise ValueError("steepness must not be 0")
        return self

    def evaluate(self, x: np.ndarray | float) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        with np.errstate(over="ignore"):
            return 1.0 / (1.0 + np.exp(-self.steepness * (x - self.midpoint)))


class Gaussian(_Fn):
    """exp(−(x − ideal)² / (2 spread²)): 1 at the ideal value, falling off either side."""

    type: Literal["gaussian"] = "gaussian"
    ideal: float
    spread: float = Field(gt=0)

    def evaluate(self, x: np.ndarray | float) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        return np.exp(-((x - self.ideal) ** 2) / (2.0 * self.spread**2))


class Step(_Fn):
    """Threshold classes: the value of the first step whose ``upto`` the measure is below
    (``x < upto``); ``above`` beyond the last step. Steps must have increasing ``upto``."""

    type: Literal["step"] = "step"
    steps: list[tuple[float, Annotated[float, Field(ge=0, le=1)]]] = Field(min_length=1)
    above: float = Field(0.0, ge=0, le=1)

    @model_validator(mode="after")
    def _increasing(self) -> Step:
        ups = [s[0] for s in self.steps]
        if any(b <= a for a, b in zip(ups, ups[1:])):
            raise ValueError("steps must have strictly increasing 'upto' thresholds")
        return self

    def evaluate(self, x: np.ndarray | float) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        ups = np.array([s[0] for s in self.steps])
        vals = np.array([s[1] for s in self.steps] + [self.above])
        idx = np.searchsorted(ups, x, side="right")
        return np.where(np.isnan(x), np.nan, vals[idx])


class Categorical(_Fn):
    """A value per category (e.g. substation voltage in kV → value); ``default`` otherwise."""

    type: Literal["categorical"] = "categorical"
    values: dict[str, Annotated[float, Field(ge=0, le=1)]] = Field(min_length=1)
    default: float = Field(0.0, ge=0, le=1)

    def evaluate(self, x: np.ndarray | float) -> np.ndarray:
        arr = np.asarray(x, dtype=object)
        # pd.isna also catches pandas' NA (nullable Int64/string columns) and NaT, not just NaN.
        missing = np.asarray(pd.isna(arr), dtype=bool)
        out = np.full(arr.shape, np.nan)
        if not missing.all():
            # Look up each distinct category once: columns hold few categories, many parcels.
            codes, uniques = pd.factorize(arr[~missing])
            table = np.array([self.values.get(_category_key(u), self.default) for u in uniques])
            out[~missing] = table[codes]
        return out


def _category_key(v: object) -> str:
    """Categories are matched as text; 110.0 and 110 both match "110"."""
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    return str(v)


ValueFunction = Annotated[
    Linear | Piecewise | Logistic | Gaussian | Step | Categorical, Field(discriminator="type")
]
