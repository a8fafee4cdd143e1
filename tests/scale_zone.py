"""The synthetic zone the partitioned and distributed runs are tested on, its fixtures and the
table comparison (registered in tests/conftest.py; used by tests/test_partitioned.py,
tests/test_distributed.py and tests/test_compose.py).

The zone is the benchmark's (benchmarks/bench_scoring.py): a hilly 10 km × 10 km DEM of
1,000 × 1,000 cells of 10 m, a lattice of roads with S224, rivers, parks, substations, water
and gates, and 2,000 rotated rectangular parcels.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from affine import Affine
from rasterio.crs import CRS as RioCRS

from benchmarks.bench_scoring import CELL_M, CRS, X0, Y0, ZONE_FILE, make_dem, make_layers, make_parcels
from gis.raster import write_float_geotiff
from scoring.batch import ScoreRun, score_zone_parcels
from scoring.context import ZoneContext
from scoring.parcels import prepare_parcels
from scoring.zone import load_zone

DEM_SIZE = 1000
N_PARCELS = 2000


def build_zone_files(tmp: Path, dem_size: int = DEM_SIZE, n_parcels: int = N_PARCELS) -> dict:
    """Write the synthetic zone's DEM (``dem_size``² cells) into ``tmp``; return its path,
    layers, zone and ``n_parcels`` parcels."""
    rng = np.random.default_rng(7)
    transform = Affine(CELL_M, 0, X0, 0, -CELL_M, Y0 + dem_size * CELL_M)
    dem = write_float_geotiff(
        tmp / "dem.tif", make_dem(dem_size, rng), transform, RioCRS.from_user_input(CRS)
    )
    layers = make_layers(dem_size, rng)
    zone = load_zone(ZONE_FILE)
    parcels, _ = prepare_parcels(make_parcels(n_parcels, dem_size, rng), zone)
    return {"dem": dem, "layers": layers, "zone": zone, "parcels": parcels}


@pytest.fixture(scope="module")
def zone_files(tmp_path_factory) -> dict:
    return build_zone_files(tmp_path_factory.mktemp("scale"))


@pytest.fixture(scope="module")
def whole_ctx(zone_files) -> ZoneContext:
    return ZoneContext.build(zone_files["zone"], zone_files["layers"], [zone_files["dem"]])


@pytest.fixture(scope="module")
def one_process_run(whole_ctx, zone_files) -> ScoreRun:
    return score_zone_parcels(whole_ctx, zone_files["parcels"])


@pytest.fixture(scope="module")
def one_process(one_process_run) -> gpd.GeoDataFrame:
    return one_process_run.parcels


def windowed_ctx(zone_files, max_cells: int) -> ZoneContext:
    return ZoneContext.build(
        zone_files["zone"], zone_files["layers"], [zone_files["dem"]], windowed=True, max_cells=max_cells
    )


#: Result columns compared bit for bit: what planners see and what ranks and classes follow
#: from (a score 0.01 apart, a class or a rank off by one fails).
EXACT_COLUMNS = (
    "score",
    "class",
    "class_en",
    "rank",
    "eligible",
    "excluded",
    "reasons",
    "reasons_en",
    "weakest",
)


def assert_same_table(a: gpd.GeoDataFrame, b: gpd.GeoDataFrame) -> None:
    """Same columns, order, dtypes, values (floats to 1e-9 relative; the scores, classes, ranks
    and reasons exactly) and geometries."""
    assert list(a.columns) == list(b.columns)
    pd.testing.assert_frame_equal(
        pd.DataFrame(a.drop(columns="geometry")),
        pd.DataFrame(b.drop(columns="geometry")),
        check_exact=False,
        rtol=1e-9,
        atol=1e-9,
    )
    exact = [c for c in EXACT_COLUMNS if c in a.columns]
    pd.testing.assert_frame_equal(pd.DataFrame(a[exact]), pd.DataFrame(b[exact]), check_exact=True)
    assert shapely.equals_exact(a.geometry.values, b.geometry.values, tolerance=0).all()


def assert_scored_in_partitions(run: ScoreRun, one: ScoreRun) -> None:
    """The partitions scored their parcels (the run's own client only ranked them) and the
    counts are the one-process run's."""
    assert run.summary.steps.get("scoring", 0) > 0 and "ranking" in run.summary.steps
    assert "ranking" not in one.summary.steps
    assert run.summary.by_class == one.summary.by_class
    assert run.summary.excluded_by_reason == one.summary.excluded_by_reason
    assert run.summary.n_eligible == one.summary.n_eligible
