"""Illustrative DEMs: a regional trend, rolling hills from smoothed noise, valleys where the
rivers run and the steep slopes the plan's boundaries name (山底, 山半坡).

The plan gives only the band (1,000–2,000 m) and the trend (county high in the west and north,
low in the east and south; Shuitou higher than Shuangchi); everything else is invented.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from affine import Affine

from app.sample.layout import ParkLayout, rng_for
from gis.synthetic import distance_to_lines, smooth_noise

#: DEM cell size (m) and the margin (m) around each park.
CELL_M = 10.0
MARGIN_M = 400.0
NODATA = -9999.0


@dataclass(frozen=True)
class Relief:
    """Shape parameters of one park's terrain (metres; slopes as fractions)."""

    base_m: float  # elevation at the park anchor before valleys and hills
    east_gradient: float  # dz/dx (negative: falls to the east)
    north_gradient: float  # dz/dy (positive: rises to the north)
    hills_m: tuple[float, float]  # amplitude of broad / small hills
    valley_depth_m: float
    valley_width_m: float
    steep_side: str  # side of the park where a mountain foot rises: "east" or "south"
    steep_slope: float  # slope of that mountain side (fraction)
    steep_inset_m: float  # how far inside the park's edge the mountain foot starts


RELIEF = {
    "shuitou": Relief(1480.0, -0.022, 0.028, (11.0, 2.5), 24.0, 220.0, "east", 0.24, 150.0),
    "shuangchi": Relief(1095.0, -0.014, 0.010, (10.0, 2.5), 22.0, 230.0, "south", 0.22, 200.0),
}


@dataclass(frozen=True)
class Dem:
    park_id: str
    elevation: np.ndarray  # float32 metres, (rows, cols)
    transform: Affine


def _softplus(v: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, v)


def dem_grid(layout: ParkLayout) -> tuple[Affine, tuple[int, int]]:
    """Return ``(transform, (rows, cols))`` of the park's DEM: ``CELL_M`` cells covering the
    park plus ``MARGIN_M``, aligned to whole multiples of the cell size."""
    minx, miny, maxx, maxy = layout.outline.bounds
    x0 = math.floor((minx - MARGIN_M) / CELL_M) * CELL_M
    y1 = math.ceil((maxy + MARGIN_M) / CELL_M) * CELL_M
    cols = int(math.ceil((maxx + MARGIN_M - x0) / CELL_M))
    rows = int(math.ceil((y1 - (miny - MARGIN_M)) / CELL_M))
    return Affine(CELL_M, 0.0, x0, 0.0, -CELL_M, y1), (rows, cols)


def synth_dem(layout: ParkLayout, seed: int) -> Dem:
    """Return the park's illustrative DEM (float32 metres, EPSG:4546, ``CELL_M`` cells)."""
    rel = RELIEF[layout.park_id]
    rng = rng_for(seed, f"dem-{layout.park_id}")
    transform, shape = dem_grid(layout)
    rows, cols = np.indices(shape, dtype=float)
    x = transform.c + (cols + 0.5) * CELL_M - layout.anchor[0]
    y = transform.f - (rows + 0.5) * CELL_M - layout.anchor[1]

    z = rel.base_m + rel.east_gradient * x + rel.north_gradient * y
    dist = distance_to_lines([r.geometry for r in layout.rivers], transform, shape)
    valley = np.exp(-((dist / rel.valley_width_m) ** 2))
    hills = rel.hills_m[0] * smooth_noise(shape, 30.0, rng) + rel.hills_m[1] * smooth_noise(shape, 8.0, rng)
    z += hills * (1.0 - 0.8 * valley) - rel.valley_depth_m * valley

    # a few knolls: some parcels mostly steep
    minx, miny, maxx, maxy = layout.outline.bounds
    for _ in range(2):
        kx = rng.uniform(minx + 300, maxx - 300) - layout.anchor[0]
        ky = rng.uniform(miny + 200, maxy - 200) - layout.anchor[1]
        radius = rng.uniform(180, 230)
        z += rng.uniform(30, 40) * np.exp(-((x - kx) ** 2 + (y - ky) ** 2) / radius**2)

    # the mountain foot named in the park's bounds (水头: 铁金村山底 to the east; 双池: 中南洼山半坡
    # to the south), rising at ``steep_slope`` beyond a line just inside the park's edge
    soft = 60.0
    if rel.steep_side == "east":
        foot = maxx - layout.anchor[0] - rel.steep_inset_m
        z += rel.steep_slope * soft * _softplus((x - foot) / soft)
    else:
        foot = miny - layout.anchor[1] + rel.steep_inset_m
        z += rel.steep_slope * soft * _softplus((foot - y) / soft)
    return Dem(layout.park_id, np.round(z, 2).astype(np.float32), transform)
