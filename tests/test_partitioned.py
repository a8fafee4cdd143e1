"""Windowed DEM reading (gis/dem_window.py) and the partitioned run (scoring/partitioned.py)
against the whole-DEM, one-process run (scoring/batch.py) on a synthetic zone.

The zone is the benchmark's (benchmarks/bench_scoring.py): a hilly 10 km × 10 km DEM of
1,000 × 1,000 cells of 10 m, a lattice of roads with S224, rivers, parks, substations, water
and gates, and 2,000 rotated rectangular parcels; one test repeats the comparison at the
issue's size, 20,000 parcels on a 3,000 × 3,000-cell DEM (about 30 s on the 2-core machine).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from affine import Affine
from rasterio.crs import CRS as RioCRS

from benchmarks.bench_scoring import CELL_M, X0, Y0, ZONE_FILE
from gis.dem_window import MARGIN_CELLS, WindowedDem
from gis.errors import ConfigError, LimitExceededError
from gis.raster import write_float_geotiff
from gis.zonal import TerrainSurface
from scoring.batch import score_zone_parcels
from scoring.context import ZoneContext
from scoring.measure import measure_batch
from scoring.partitioned import (
    concat_in_order,
    measure_partition,
    partition_base,
    plan_partitions,
    score_zone_parcels_partitioned,
)
from scoring.suitability import insert_ranks, parcel_results, prepare, resolve_settings, result_frame
from scoring.zone import load_zone
from tests.scale_zone import (  # the zone and its fixtures
    DEM_SIZE,
    EXACT_COLUMNS,
    N_PARCELS,
    assert_same_table,
    assert_scored_in_partitions,
    build_zone_files,
    windowed_ctx,
)
from tests.test_suitability import zone_measures

# --------------------------------------------------------------------------- windows


def test_window_is_aligned_to_the_dem_grid_with_its_margin(zone_files):
    src = WindowedDem.open(zone_files["dem"])
    assert (src.width, src.height) == (DEM_SIZE, DEM_SIZE)
    # a 25 × 25 m box starting 3 m into cell (col 10, row from the top 989) …
    box = (X0 + 103.0, Y0 + 103.0, X0 + 128.0, Y0 + 128.0)
    w = src.window(box)
    # columns 10 … 12 are touched (x 100 … 130); with 3 cells of margin: 7 … 15
    assert (w.col_off, w.width) == (10 - MARGIN_CELLS, 3 + 2 * MARGIN_CELLS)
    # rows: y 100 … 130 from the bottom are rows 987 … 989 from the top
    assert (w.row_off, w.height) == (987 - MARGIN_CELLS, 3 + 2 * MARGIN_CELLS)
    surface = src.read(box)
    assert surface.dem.shape == (9, 9)
    assert surface.dem.transform.c == X0 + 70.0 and surface.dem.transform.f == Y0 + 160.0
    assert surface.extent == (X0, Y0, X0 + DEM_SIZE * CELL_M, Y0 + DEM_SIZE * CELL_M)
    # at the DEM's corner the window is cut to the DEM
    corner = src.window((X0 - 50.0, Y0 - 50.0, X0 + 5.0, Y0 + 5.0))
    assert (corner.col_off, corner.width, corner.row_off + corner.height) == (0, 1 + MARGIN_CELLS, DEM_SIZE)
    assert src.read((X0 - 500.0, Y0 - 500.0, X0 - 100.0, Y0 - 100.0)) is None


def test_window_slope_and_elevations_equal_the_whole_dem(whole_ctx, zone_files):
    whole = whole_ctx.surfaces[0]
    src = WindowedDem.open(zone_files["dem"])
    box = (X0 + 2003.0, Y0 + 4507.0, X0 + 2950.0, Y0 + 5120.0)
    part = src.read(box)
    w = src.window(box)
    rows = slice(w.row_off, w.row_off + w.height)
    cols = slice(w.col_off, w.col_off + w.width)
    assert np.array_equal(part.dem.values, whole.dem.values[rows, cols])
    # the window's outer ring has no slope; inside it the slope is the whole DEM's, bit for bit
    inner = (slice(1, -1), slice(1, -1))
    assert np.array_equal(part.slope_deg.values[inner], whole.slope_deg.values[rows, cols][inner])
    assert np.isnan(part.slope_deg.values[0]).all()


def test_partition_measures_on_windows_equal_the_whole_dem(whole_ctx, zone_files):
    parcels = zone_files["parcels"].reset_index(drop=True)
    base = partition_base(windowed_ctx(zone_files, 10**9))
    parts = plan_partitions(np.asarray(parcels.geometry.values), base.dem_sources, 400)
    rows = parts[1]
    got = measure_partition(base, parcels.iloc[rows])
    want = measure_batch(whole_ctx, parcels.iloc[rows])
    pd.testing.assert_frame_equal(got.measures, want, check_exact=False, rtol=1e-9, atol=1e-9)
    assert got.scored is None  # measured only
    # the window is a small part of the DEM
    assert 0 < got.window_cells < 0.35 * DEM_SIZE * DEM_SIZE


def test_a_partition_scores_its_parcels_as_the_whole_zone_does(zone_files, one_process):
    """Every per-parcel result column a partition computes equals the one-process table's for
    its parcels; the rank (zone-wide) is left to the caller."""
    parcels = zone_files["parcels"].reset_index(drop=True)
    base = partition_base(windowed_ctx(zone_files, 10**9))
    parts = plan_partitions(np.asarray(parcels.geometry.values), base.dem_sources, 400)
    settings = resolve_settings(zone_files["zone"].scoring)
    checked = 0
    for rows in parts[:3]:
        got = measure_partition(base, parcels.iloc[rows], scoring=settings)
        assert got.scored is not None and "rank" not in got.scored.columns
        want = one_process.iloc[rows]
        assert list(got.scored.index) == list(want.index)
        pd.testing.assert_frame_equal(
            got.scored, pd.DataFrame(want[list(got.scored.columns)]), check_exact=False, rtol=1e-9, atol=1e-9
        )
        exact = [c for c in EXACT_COLUMNS if c != "rank"]
        pd.testing.assert_frame_equal(got.scored[exact], pd.DataFrame(want[exact]), check_exact=True)
        assert set(got.constraint_hits) == {c.id for c in zone_files["zone"].scoring.constraints}
        assert sum(got.constraint_hits.values()) >= int(want["excluded"].sum())
        checked += len(rows)
    assert checked == 1200 and len(got.scored.columns) > 20


def test_plan_partitions_cover_every_parcel_once_in_compact_runs(zone_files):
    geoms = np.asarray(zone_files["parcels"].geometry.values)
    src = WindowedDem.open(zone_files["dem"])
    parts = plan_partitions(geoms, [src], 250)
    assert len(parts) == 8 and all(len(p) == 250 for p in parts)
    assert np.array_equal(np.sort(np.concatenate(parts)), np.arange(len(geoms)))
    # Hilbert runs are compact: each partition's box holds far less than the zone (random
    # chunks of 250 of 2,000 parcels would each span nearly all of it)
    zone_area = shapely.area(shapely.box(*shapely.total_bounds(geoms)))
    boxes = [shapely.area(shapely.box(*shapely.total_bounds(geoms[p]))) for p in parts]
    assert max(boxes) < 0.35 * zone_area
    # a window cap smaller than a 250-parcel window splits partitions further
    capped = WindowedDem.open(zone_files["dem"], max_cells=40_000)
    small = plan_partitions(geoms, [capped], 250)
    assert len(small) > len(parts)
    assert all(capped.window_cells(tuple(shapely.total_bounds(geoms[p]))) <= 40_000 for p in small)


def test_pieces_put_together_have_the_dtypes_of_the_whole_frame():
    """A partition whose parcels are all excluded has no weakest criterion at all: its column
    is ``object`` where the zone's is text; put together, the table is the one-process one."""
    measures = zone_measures(600).reset_index(drop=True)
    measures.loc[:99, "slope_over_limit_share"] = 0.9  # the first partition: all excluded
    cfg = load_zone(ZONE_FILE).scoring
    settings = resolve_settings(cfg)
    pieces = [
        parcel_results(prepare(measures.iloc[a:b], cfg, settings=settings)) for a, b in ((0, 100), (100, 600))
    ]
    assert pieces[0]["excluded"].all() and pieces[0]["weakest"].dtype == object
    assert pieces[1]["weakest"].dtype != object
    whole = result_frame(prepare(measures, cfg))
    pd.testing.assert_frame_equal(insert_ranks(concat_in_order(pieces[::-1], 600)), whole, check_exact=True)
    with pytest.raises(RuntimeError, match="rows"):
        concat_in_order(pieces[1:], 600)


# --------------------------------------------------------------------------- whole runs


def test_partitioned_run_equals_the_one_process_run(zone_files, one_process, one_process_run):
    run = score_zone_parcels_partitioned(
        windowed_ctx(zone_files, 10**9), zone_files["parcels"], partition_size=300
    )
    assert_same_table(run.parcels, one_process)
    assert_scored_in_partitions(run, one_process_run)
    assert run.summary.n_parcels == N_PARCELS
    assert sum(run.summary.by_class.values()) == N_PARCELS
    for name, count in run.summary.by_class.items():
        assert count == int((one_process["class"] == name).sum())


def test_partitioned_run_with_sensitivity_equals_the_one_process_run(zone_files, whole_ctx):
    """The sensitivity analysis needs the whole zone's values: the caller computes it."""
    parcels = zone_files["parcels"].iloc[:600]
    one = score_zone_parcels(whole_ctx, parcels, sensitivity=True, n_draws=50)
    run = score_zone_parcels_partitioned(
        windowed_ctx(zone_files, 10**9), parcels, partition_size=150, sensitivity=True, n_draws=50
    )
    assert "mc_rank_std" in run.parcels.columns and "oat_max_rank_shift" in run.parcels.columns
    assert_same_table(run.parcels, one.parcels)
    assert_scored_in_partitions(run, one)


def test_a_scoring_error_in_a_partition_is_the_one_process_error(zone_files, whole_ctx):
    """A constraint message that cannot be formatted fails only where a parcel breaks the
    constraint: the partitions hand the scoring back and the whole table is scored as in one
    process, with the same error."""
    zone = zone_files["zone"]
    bad = [
        c.model_copy(update={"message": "{value:d}"}) if c.id == "steep" else c
        for c in zone.scoring.constraints
    ]
    bad_zone = zone.model_copy(update={"scoring": zone.scoring.model_copy(update={"constraints": bad})})
    parcels = zone_files["parcels"].iloc[:800]
    with pytest.raises(ConfigError) as one:
        score_zone_parcels(dataclasses.replace(whole_ctx, zone=bad_zone), parcels)
    windowed = dataclasses.replace(windowed_ctx(zone_files, 10**9), zone=bad_zone)
    with pytest.raises(ConfigError) as partitioned:
        score_zone_parcels_partitioned(windowed, parcels, partition_size=200)
    assert str(partitioned.value) == str(one.value) and "steep" in str(one.value)


def test_20000_parcels_partitioned_equal_the_one_process_run(tmp_path):
    """The issue's check at its size: 20,000 parcels on a 3,000 × 3,000-cell DEM (30 km), in
    partitions of 5,000 (as a 2-worker cluster cuts them), each on its DEM window, give the
    one-process table."""
    files = build_zone_files(tmp_path, dem_size=3000, n_parcels=20_000)
    whole = ZoneContext.build(files["zone"], files["layers"], [files["dem"]])
    one = score_zone_parcels(whole, files["parcels"]).parcels
    del whole  # its DEM and slope: the windowed run holds only windows
    run = score_zone_parcels_partitioned(windowed_ctx(files, 10**9), files["parcels"], partition_size=5000)
    assert len(one) == 20_000 and run.summary.n_parcels == 20_000
    assert_same_table(run.parcels, one)
    assert "ranking" in run.summary.steps  # scored in the partitions
    assert one["eligible"].any() and one["excluded"].any()  # both kinds of parcel are compared


def test_a_dem_larger_than_the_memory_cap_still_scores_through_windows(zone_files, one_process, monkeypatch):
    cap = 120_000  # cells: an eighth of the 1,000,000-cell DEM
    with pytest.raises(LimitExceededError):
        ZoneContext.build(zone_files["zone"], zone_files["layers"], [zone_files["dem"]], max_cells=cap)
    seen: list[int] = []
    ctx = windowed_ctx(zone_files, cap)
    assert ctx.surfaces == [] and ctx.dem_sources[0].cells > cap

    real_read = WindowedDem.read

    def counting_read(self: WindowedDem, bounds, margin: int = MARGIN_CELLS) -> TerrainSurface | None:
        surface = real_read(self, bounds, margin)
        seen.append(0 if surface is None else surface.dem.values.size)
        return surface

    monkeypatch.setattr(WindowedDem, "read", counting_read)
    run = score_zone_parcels_partitioned(ctx, zone_files["parcels"])
    assert_same_table(run.parcels, one_process)
    assert len(seen) > 8 and max(seen) <= cap


def test_a_window_over_the_cap_is_refused(zone_files):
    src = WindowedDem.open(zone_files["dem"], max_cells=100)
    with pytest.raises(LimitExceededError, match="window"):
        src.read((X0 + 100.0, Y0 + 100.0, X0 + 300.0, Y0 + 300.0))


def test_windowed_context_refuses_a_dem_in_another_crs(zone_files, tmp_path):
    from gis.errors import CRSError

    other = write_float_geotiff(
        tmp_path / "utm.tif",
        np.zeros((10, 10), np.float32),
        Affine(10, 0, 500000, 0, -10, 4000000),
        RioCRS.from_epsg(32649),
    )
    with pytest.raises(CRSError):
        ZoneContext.build(zone_files["zone"], zone_files["layers"], [Path(other)], windowed=True)
