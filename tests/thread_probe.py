"""Run concurrent work that shares one zone's geometry between threads, in a process of its own,
so that a crash (a segfault of GEOS) is seen by the test as an exit code instead of killing it.

``python -m tests.thread_probe exclusion THREADS ROUNDS`` — measure the same parcels against one
:class:`gis.exclusion.ExclusionZones` from THREADS threads, ROUNDS times each; prints
``{"ok": true, "same": <all results equal to the single-threaded one>}``.
"""

from __future__ import annotations

import json
import sys
import threading

import geopandas as gpd
import numpy as np
import shapely

from tests.conftest import X0, Y0

CRS = "EPSG:4546"


def grid_parcels(n: int, seed: int) -> gpd.GeoDataFrame:
    """``n`` 40 × 40 m parcels scattered over the Shuangchi park, its edges and the river."""
    rng = np.random.default_rng(seed)
    x = X0 - 50 + rng.uniform(0, 1100, n)
    y = Y0 - 50 + rng.uniform(0, 950, n)
    return gpd.GeoDataFrame(
        {"parcel_id": [f"T-{seed}-{i}" for i in range(n)]},
        geometry=shapely.box(x, y, x + 40, y + 40),
        crs=CRS,
    )


def wiggly_layers() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """A river and a park with many vertices (so that prepared geometries build real indexes)."""
    t = np.linspace(0, 1, 600)
    river = shapely.LineString(np.c_[X0 - 100 + 1300 * t, Y0 + 300 + 120 * np.sin(t * 40)])
    a = np.linspace(0, 2 * np.pi, 1500)
    park = shapely.Polygon(
        np.c_[X0 + 500 + 480 * np.cos(a), Y0 + 400 + (380 + 15 * np.sin(a * 60)) * np.sin(a)]
    )
    rivers = gpd.GeoDataFrame({"name": ["r"], "control_distance_m": [30.0]}, geometry=[river], crs=CRS)
    parks = gpd.GeoDataFrame({"park_id": ["p"]}, geometry=[park], crs=CRS)
    return rivers, parks


def probe_exclusion(threads: int, rounds: int) -> dict:
    from gis.exclusion import exclusion_zones, measure_exclusion

    rivers, parks = wiggly_layers()
    zones = exclusion_zones(rivers, parks, tile_m=100.0)
    parcels = grid_parcels(300, 0)
    expected = measure_exclusion(parcels, zones=zones)
    same: list[bool] = []

    def work() -> None:
        for _ in range(rounds):
            got = measure_exclusion(parcels, zones=zones)
            same.append(
                np.allclose(got["river_share"], expected["river_share"], equal_nan=True)
                and np.allclose(got["outside_park_share"], expected["outside_park_share"], equal_nan=True)
            )

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return {"ok": True, "same": all(same) and len(same) == threads * rounds}


def main(argv: list[str]) -> None:
    if argv[:1] != ["exclusion"]:
        raise SystemExit(f"unknown probe {argv[:1]}: use exclusion THREADS ROUNDS")
    print(json.dumps(probe_exclusion(int(argv[1]), int(argv[2]))))


if __name__ == "__main__":
    main(sys.argv[1:])
