"""Per-parcel slope statistics: hand-computed terrains, exactextract agreement, DEM choice, errors."""

from __future__ import annotations

import logging
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from exactextract import exact_extract
from exactextract.raster import NumPyRasterSource
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box

from gis.errors import (
    CRSError,
    GeometryError,
    InputFileError,
    LimitExceededError,
    MissingCRSError,
    NoOverlapError,
)
from gis.raster import read_dem
from gis.slope import slope_grid
from gis.terrain import measure_terrain, measure_terrain_on_surfaces
from gis.zonal import (
    SortedGroups,
    extract_cells,
    load_surface,
    share_column,
    slope_columns,
    weighted_quantile_by_group,
    zonal_slope,
)
from tests.rasters import ZONE_CRS, ZONE_X0, ZONE_Y0, north_up, plane

RES = 10.0
T = north_up(ZONE_X0, ZONE_Y0, RES)  # upper-left corner of every test DEM
#: The Jiaokou zone's slope limits (%) (scoring.slope_limits of data/zones/jiaokou.yaml).
LIMITS = [15.0, 10.0]


def cell_box(col0: float, row0: float, col1: float, row1: float) -> Polygon:
    """A box from cell edge (col0, row0) to (col1, row1) in grid units of T (rows go south)."""
    return box(ZONE_X0 + col0 * RES, ZONE_Y0 - row1 * RES, ZONE_X0 + col1 * RES, ZONE_Y0 - row0 * RES)


def parcels(*geoms, crs: str | None = ZONE_CRS, index=None) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"n": range(len(geoms))}, geometry=list(geoms), crs=crs, index=index)


def deg(pct: float) -> float:
    return math.degrees(math.atan(pct / 100))


# --------------------------------------------------------------------------- hand-computed


@pytest.mark.parametrize(
    ("a", "b", "mean_deg", "mean_pct", "lt15", "lt10", "over"),
    [
        # slope = atan(hypot(a, b)); shares are 1 or 0 on a plane.
        (0.05, 0.0, 2.862405226111748, 5.0, 1.0, 1.0, 0.0),
        (0.0, 0.12, 6.842773412630925, 12.0, 1.0, 0.0, 0.0),
        (0.3, 0.4, 26.56505117707799, 50.0, 0.0, 0.0, 1.0),
    ],
)
def test_plane_statistics(make_raster, a, b, mean_deg, mean_pct, lt15, lt10, over) -> None:
    dem = make_raster(plane(a, b, (40, 40), T), transform=T)
    # A rotated square and a triangle well inside the DEM: partial cells everywhere on the edges.
    sq = shapely.affinity.rotate(cell_box(10, 10, 25, 25), 30)
    tri = Polygon(
        [(ZONE_X0 + 55, ZONE_Y0 - 305), (ZONE_X0 + 300, ZONE_Y0 - 290), (ZONE_X0 + 120, ZONE_Y0 - 60)]
    )
    out = zonal_slope(parcels(sq, tri), dem, [15, 10])
    assert list(out.columns) == [
        "slope_mean_deg",
        "slope_max_deg",
        "slope_p90_deg",
        "slope_mean_pct",
        "slope_share_lt_15pct",
        "slope_share_lt_10pct",
        "slope_over_limit_share",
    ]
    for col, expected in [
        ("slope_mean_deg", mean_deg),
        ("slope_max_deg", mean_deg),
        ("slope_p90_deg", mean_deg),
    ]:
        assert np.allclose(out[col], expected, atol=1e-4), col
    assert np.allclose(out["slope_mean_pct"], mean_pct, atol=1e-4)
    assert np.allclose(out["slope_share_lt_15pct"], lt15)
    assert np.allclose(out["slope_share_lt_10pct"], lt10)
    assert np.allclose(out["slope_over_limit_share"], over)


def ramp_dem(rows: int, cols: int, r0: int, b: float) -> np.ndarray:
    """Flat south of row r0; north of it rising with gradient b (z = 10·b·max(r0 − row, 0)).

    Horn slope by hand (the terrain is constant along x, so dz/dy = (z[r−1] − z[r+1]) / 20):
    rows < r0: b; row r0: (10b − 0)/20 = b/2; rows > r0: 0.
    """
    r = np.arange(rows, dtype=np.float64)[:, None] * np.ones((1, cols))
    return (1000.0 + 10.0 * b * np.maximum(r0 - r, 0.0)).astype(np.float32)


def test_mixed_parcel_by_hand(make_raster) -> None:
    b, r0 = 0.25, 20  # 25 % north of row 20, 12.5 % on row 20, flat south of it
    dem = make_raster(ramp_dem(40, 30, r0, b), transform=T)
    # 10 rows × 10 cols aligned on cells: 4 steep rows (16..19), the transition row 20, 5 flat rows.
    out = zonal_slope(parcels(cell_box(5, 16, 15, 26)), dem, [15, 10]).iloc[0]
    steep, half = math.degrees(math.atan(0.25)), math.degrees(math.atan(0.125))
    assert out["slope_mean_deg"] == pytest.approx((4 * steep + half) / 10, abs=1e-5)
    assert out["slope_max_deg"] == pytest.approx(steep, abs=1e-5)
    assert out["slope_mean_pct"] == pytest.approx((4 * 25 + 12.5) / 10, abs=1e-4)
    assert out["slope_share_lt_15pct"] == pytest.approx(0.6)  # flat 5 rows + the 12.5 % row
    assert out["slope_share_lt_10pct"] == pytest.approx(0.5)
    assert out["slope_over_limit_share"] == pytest.approx(0.4)
    # exactextract's weighted quantile by hand: distinct values 0, half, steep with weights 5, 1, 4
    # (n = 3, Σw = 10): s = 0, 1·1 + 2·5 = 11, 2·4 + 2·6 = 20; target 0.9 · 10 · 2 = 18 lies
    # between s = 11 (half) and s = 20 (steep).
    p90 = half + (18 - 11) * (steep - half) / (20 - 11)
    assert out["slope_p90_deg"] == pytest.approx(p90, abs=1e-5)


def test_half_cells_count_half(make_raster) -> None:
    b, r0 = 0.25, 20
    dem = make_raster(ramp_dem(40, 30, r0, b), transform=T)
    # Rows 19.5 .. 21.5: half of steep row 19, transition row 20, half of flat row 21 → weights ½, 1, ½.
    out = zonal_slope(parcels(cell_box(5, 19.5, 15, 21.5)), dem, [15, 10]).iloc[0]
    steep, half = math.degrees(math.atan(0.25)), math.degrees(math.atan(0.125))
    assert out["slope_mean_deg"] == pytest.approx((0.5 * steep + half) / 2, abs=1e-5)
    assert out["slope_share_lt_10pct"] == pytest.approx(0.25)
    assert out["slope_share_lt_15pct"] == pytest.approx(0.75)
    assert out["slope_over_limit_share"] == pytest.approx(0.25)


@pytest.mark.parametrize(
    ("limit", "column"),
    [
        (15, "slope_share_lt_15pct"),
        (10.0, "slope_share_lt_10pct"),
        (7.5, "slope_share_lt_7.5pct"),
        (25, "slope_share_lt_25pct"),
    ],
)
def test_share_column_names(limit: float, column: str) -> None:
    assert share_column(limit) == column


def test_extra_limits_and_natural_limit(make_raster) -> None:
    dem = make_raster(ramp_dem(40, 30, 20, 0.25), transform=T)
    out = zonal_slope(parcels(cell_box(5, 16, 15, 26)), dem, [15, 10, 30, 12.5], natural_limit_pct=30).iloc[0]
    assert list(out.index) == slope_columns([15, 10, 30, 12.5])
    assert out["slope_share_lt_30pct"] == pytest.approx(1.0)
    assert out["slope_share_lt_12.5pct"] == pytest.approx(0.5)  # 12.5 % is not strictly below 12.5 %
    assert out["slope_over_limit_share"] == pytest.approx(0.0)  # nothing is ≥ 30 %


@pytest.mark.parametrize("limits", [[0], [-5], [float("nan")], [15, float("inf")]])
def test_bad_limits_are_refused(make_raster, limits) -> None:
    dem = make_raster(ramp_dem(10, 10, 5, 0.25), transform=T)
    with pytest.raises(ValueError, match="positive"):
        zonal_slope(parcels(cell_box(2, 2, 6, 6)), dem, limits)


# --------------------------------------------------------------------------- exactextract agreement


def rough(shape, seed=3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    r, c = np.mgrid[0 : shape[0], 0 : shape[1]]
    z = 1100 + 30 * np.sin(c / 5.0) * np.cos(r / 8.0) + rng.normal(0, 2.0, shape)
    z[30:33, 40:44] = np.nan  # a nodata hole
    z[50:60, 10:20] = 1100.0  # a flat patch: many equal slope values (0) in one parcel
    return z.astype(np.float32)


def random_parcels(n: int, seed: int = 11) -> list:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        cx, cy = ZONE_X0 + rng.uniform(50, 750), ZONE_Y0 - rng.uniform(50, 750)
        k = rng.integers(3, 9)
        ang = np.sort(rng.uniform(0, 2 * np.pi, k))
        rad = rng.uniform(15, 120, k)
        poly = Polygon(np.c_[cx + rad * np.cos(ang), cy + rad * np.sin(ang)]).buffer(0)
        if i % 7 == 0:  # a hole
            poly = poly.difference(Point(cx, cy).buffer(10))
        if i % 11 == 0:  # a multipolygon
            poly = MultiPolygon([poly, box(cx + 130, cy, cx + 160, cy + 25)])
        out.append(poly)
    out.append(box(ZONE_X0 + 100, ZONE_Y0 - 600, ZONE_X0 + 200, ZONE_Y0 - 500))  # over the flat patch
    out.append(box(ZONE_X0 - 55, ZONE_Y0 - 300, ZONE_X0 + 45, ZONE_Y0 - 200))  # half off the DEM
    return out


def test_statistics_equal_exactextract_operations(make_raster) -> None:
    z = rough((80, 80))
    dem_path = make_raster(np.nan_to_num(z, nan=-9999.0), transform=T, nodata=-9999.0)
    slope = slope_grid(read_dem(dem_path))
    geoms = random_parcels(40)
    gdf = parcels(*geoms)
    ours = zonal_slope(gdf, dem_path, [15, 10])

    left, bottom, right, top = slope.bounds
    src = NumPyRasterSource(slope.values, left, bottom, right, top, nodata=None, name="s")
    ref = exact_extract(src, gdf, ["mean", "max", "quantile(q=0.9)", "count"], output="pandas")
    assert np.allclose(ours["slope_mean_deg"], ref["mean"], rtol=1e-9, atol=1e-9)
    assert np.allclose(ours["slope_max_deg"], ref["max"], rtol=0, atol=1e-6)
    # exactextract returns the quantile of a float32 raster as float32 (ulp ≈ 4e-6 at 30°).
    assert np.allclose(ours["slope_p90_deg"], ref["quantile_90"], rtol=0, atol=1e-5)
    assert (ref["count"] > 0).all()
    # Shares: exactextract's mean of a 0/1 raster (NaN where slope is NaN).
    for lim in (15, 10):
        below = np.where(np.isnan(slope.values), np.nan, (slope.values < deg(lim)).astype(np.float32))
        src_b = NumPyRasterSource(below, left, bottom, right, top, nodata=None, name="b")
        share = exact_extract(src_b, gdf, ["mean"], output="pandas")["mean"]
        assert np.allclose(ours[share_column(lim)], share, atol=1e-9)
    assert np.allclose(ours["slope_over_limit_share"], 1 - ours["slope_share_lt_15pct"], atol=1e-9)
    pct = np.where(np.isnan(slope.values), np.nan, 100 * np.tan(np.radians(slope.values.astype(np.float64))))
    src_p = NumPyRasterSource(pct, left, bottom, right, top, nodata=None, name="p")
    assert np.allclose(
        ours["slope_mean_pct"], exact_extract(src_p, gdf, ["mean"], output="pandas")["mean"], rtol=1e-9
    )
    assert ours["slope_share_lt_15pct"].between(0.01, 0.99).any()  # the terrain really is mixed


def test_weighted_quantile_matches_exactextract_on_ties() -> None:
    # Values with ties (exactextract merges equal values before the quantile).
    values = np.array([3, 1, 1, 2, 2, 2, 5, 0.5, 0.5, 7], dtype=np.float32)
    weights = np.array([1, 0.5, 0.25, 1, 1, 0.5, 0.3, 1, 1, 0.2])
    group = np.array([0, 0, 0, 0, 0, 0, 0, 2, 2, 2])
    got = weighted_quantile_by_group(group, values, weights, 4, 0.9)
    # group 0 by hand: x = 1, 2, 3, 5 with w = 0.75, 2.5, 1, 0.3; n = 4, Σw = 4.55
    # s = 0, 1·2.5 + 3·0.75 = 4.75, 2·1 + 3·3.25 = 11.75, 3·0.3 + 3·4.25 = 13.65; target 0.9·4.55·3 = 12.285
    expected0 = 3 + (12.285 - 11.75) * (5 - 3) / (13.65 - 11.75)
    # group 2: x = 0.5, 7 with w = 2, 0.2; s = 0, 1·0.2 + 1·2 = 2.2; target 0.9·2.2·1 = 1.98
    expected2 = 0.5 + 1.98 * (7 - 0.5) / 2.2
    assert got[0] == pytest.approx(expected0)
    assert np.isnan(got[1]) and np.isnan(got[3])
    assert got[2] == pytest.approx(expected2)
    # The same by exactextract itself, one raster row per group.
    for g, exp in [(0, expected0), (2, expected2)]:
        sel = group == g
        mat = values[sel][None, :].astype(np.float64)
        src = NumPyRasterSource(mat, 0, 0, sel.sum(), 1)
        # Per-cell weights as coverage: a polygon covering weight × the unit cell's width.
        polys = [box(i, 0, i + w, 1) for i, w in enumerate(weights[sel])]
        geom = shapely.union_all(polys)
        ref = exact_extract(src, parcels(geom), ["quantile(q=0.9)"], output="pandas")
        assert ref["quantile_90"].iloc[0] == pytest.approx(exp)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_weighted_quantile_does_not_depend_on_the_order_of_the_cells(dtype) -> None:
    rng = np.random.default_rng(3)
    group = np.sort(rng.integers(0, 40, 3000))
    values = rng.integers(0, 25, 3000).astype(dtype) / 4  # many ties within a group
    weights = rng.uniform(0.01, 1.0, 3000)
    in_order = weighted_quantile_by_group(group, values, weights, 45, 0.9)
    shuffled = rng.permutation(3000)
    again = weighted_quantile_by_group(group[shuffled], values[shuffled], weights[shuffled], 45, 0.9)
    np.testing.assert_allclose(again, in_order, rtol=1e-12)
    assert np.isnan(in_order[40:]).all() and not np.isnan(in_order[:40]).any()
    # A group of one distinct value: that value, whatever q.
    one = weighted_quantile_by_group(np.zeros(3, int), np.full(3, 2.5, dtype), np.ones(3), 1, 0.3)
    assert one[0] == 2.5


def test_sorted_groups_sums_maxima_and_spreads_with_empty_groups() -> None:
    groups = SortedGroups.of(np.array([0, 0, 2, 2, 2, 4]), 6)
    assert list(groups.counts) == [2, 0, 3, 0, 1, 0]
    values = np.array([1.0, 2.0, 5.0, -1.0, 0.5, 7.0])
    assert list(groups.sum(values)) == [3.0, 0.0, 4.5, 0.0, 7.0, 0.0]
    np.testing.assert_array_equal(groups.max(values), [2.0, np.nan, 5.0, np.nan, 7.0, np.nan])
    assert list(groups.spread(np.arange(6.0))) == [0.0, 0.0, 2.0, 2.0, 2.0, 4.0]
    assert list(SortedGroups.of(np.array([], dtype=int), 2).sum(np.array([]))) == [0.0, 0.0]


@pytest.mark.parametrize("group, n", [([0, 2, 1], 3), ([0, 3], 3), ([-1, 0], 2)])
def test_sorted_groups_refuse_labels_out_of_order_or_range(group, n) -> None:
    with pytest.raises(ValueError, match="non-decreasing"):
        SortedGroups.of(np.array(group), n)


def test_batches_give_the_same_result(make_raster) -> None:
    z = rough((80, 80))
    dem_path = make_raster(np.nan_to_num(z, nan=-9999.0), transform=T, nodata=-9999.0)
    gdf = parcels(*random_parcels(25))
    whole = zonal_slope(gdf, dem_path, LIMITS, batch_size=None)
    for size in (1, 4, 10):
        pd.testing.assert_frame_equal(zonal_slope(gdf, dem_path, LIMITS, batch_size=size), whole)


def test_extract_cells_maps_cell_ids_to_centres(make_raster) -> None:
    dem = load_surface(make_raster(plane(0.1, 0.2, (20, 30), T), transform=T)).dem
    cells = extract_cells([cell_box(3, 4, 5, 5.5)], dem)  # cols 3–4, rows 4 (full) and 5 (half)
    assert cells.n_parcels == 1
    order = np.argsort(cells.cell_id)
    assert list(cells.cell_id[order]) == [4 * 30 + 3, 4 * 30 + 4, 5 * 30 + 3, 5 * 30 + 4]
    assert np.allclose(cells.coverage[order], [1, 1, 0.5, 0.5])
    x, y = cells.centres(dem)
    assert np.allclose(x[order], ZONE_X0 + np.array([35, 45, 35, 45]))
    assert np.allclose(y[order], ZONE_Y0 - np.array([45, 45, 55, 55]))
    # The DEM value at a cell is the plane at its centre (tests.rasters.plane).
    assert np.allclose(
        cells.gather(dem)[order], 1000 + 0.1 * (x[order] - ZONE_X0) + 0.2 * (y[order] - ZONE_Y0), atol=1e-3
    )


# --------------------------------------------------------------------------- several DEMs


def two_park_dems(make_raster) -> tuple[Path, Path]:
    """West DEM: 5 % plane; east DEM (200 m further east, a gap between): 12 % plane."""
    west = make_raster(plane(0.05, 0.0, (30, 30), T), transform=T, name="jiaokou_dem_shuitou.tif")
    t_east = north_up(ZONE_X0 + 500.0, ZONE_Y0, RES)
    east = make_raster(plane(0.0, 0.12, (30, 30), t_east), transform=t_east, name="jiaokou_dem_shuangchi.tif")
    return west, east


def test_each_parcel_is_measured_on_the_dem_that_covers_it(make_raster, caplog) -> None:
    west, east = two_park_dems(make_raster)
    gdf = parcels(
        cell_box(5, 5, 15, 15),  # west
        cell_box(55, 5, 65, 15),  # east
        cell_box(35, 5, 45, 15),  # in the gap: no DEM
        cell_box(25, 5, 34, 15),  # 4 cells on the west DEM, the rest in the gap
        index=["SC-0001", "SC-0002", "SC-0003", "SC-0004"],
    )
    with caplog.at_level(logging.WARNING, logger="gis.zonal"):
        out = zonal_slope(gdf, [west, east], [15, 10])
    assert list(out.index) == ["SC-0001", "SC-0002", "SC-0003", "SC-0004"]
    assert out.loc["SC-0001", "slope_mean_pct"] == pytest.approx(5.0, abs=1e-4)
    assert out.loc["SC-0002", "slope_mean_pct"] == pytest.approx(12.0, abs=1e-4)
    assert out.loc["SC-0002", "slope_share_lt_10pct"] == 0.0
    assert out.loc["SC-0003"].isna().all()
    # Partly covered: measured on the covered part (interior columns 25–28; column 29 is the edge).
    assert out.loc["SC-0004", "slope_mean_pct"] == pytest.approx(5.0, abs=1e-4)
    assert out.attrs["parcels_without_dem"] == ["SC-0003"]
    assert "SC-0003" in caplog.text


def test_parcel_falls_back_to_the_next_dem_when_the_best_has_no_data(make_raster) -> None:
    # DEM A spans a large extent but is all nodata in its east half; DEM B covers that east part.
    za = plane(0.05, 0.0, (30, 60), T)
    za[:, 30:] = -9999.0
    a = make_raster(za, transform=T, nodata=-9999.0, name="a.tif")
    t_b = north_up(ZONE_X0 + 350.0, ZONE_Y0, RES)
    b = make_raster(plane(0.0, 0.12, (30, 15), t_b), transform=t_b, name="b.tif")
    gdf = parcels(cell_box(38, 5, 45, 15))  # inside both extents (a tie): A, listed first, is tried first
    out = zonal_slope(gdf, [a, b], [15, 10]).iloc[0]
    assert out["slope_mean_pct"] == pytest.approx(12.0, abs=1e-4)


def test_surfaces_in_memory_give_what_the_files_give(make_raster) -> None:
    # The same DEM choice as from the files: best cover first, falling back to the next DEM
    # where the first has no data, NaN where none has.
    za = plane(0.05, 0.0, (30, 60), T)
    za[:, 30:] = -9999.0
    a = make_raster(za, transform=T, nodata=-9999.0, name="a.tif")
    t_b = north_up(ZONE_X0 + 350.0, ZONE_Y0, RES)
    b = make_raster(plane(0.0, 0.12, (30, 15), t_b), transform=t_b, name="b.tif")
    gdf = parcels(
        cell_box(38, 5, 45, 15),
        cell_box(5, 5, 15, 15),
        cell_box(70, 5, 80, 15),
        index=["FALLBACK", "WEST", "NONE"],
    )
    from_files = measure_terrain(gdf, [a, b], [15, 10])
    surfaces = [load_surface(a), load_surface(b)]
    in_memory = measure_terrain_on_surfaces(gdf, surfaces, [15, 10])
    pd.testing.assert_frame_equal(in_memory, from_files)
    assert in_memory.loc["FALLBACK", "slope_mean_pct"] == pytest.approx(12.0, abs=1e-4)
    assert in_memory.attrs["parcels_without_dem"] == ["NONE"]
    # Plain geometries: positional index, no CRS check.
    positional = measure_terrain_on_surfaces(np.asarray(gdf.geometry), surfaces, [15, 10])
    assert list(positional.index) == [0, 1, 2] and positional.attrs["parcels_without_dem"] == [2]
    np.testing.assert_array_equal(positional.to_numpy(), from_files.to_numpy())
    with pytest.raises(CRSError, match="the parcels are in EPSG:4490"):
        measure_terrain_on_surfaces(gdf.to_crs("EPSG:4490"), surfaces, LIMITS)
    with pytest.raises(MissingCRSError):
        measure_terrain_on_surfaces(gdf.set_crs(None, allow_override=True), surfaces, LIMITS)


def test_no_overlap_raises(make_raster) -> None:
    west, east = two_park_dems(make_raster)
    far = box(ZONE_X0 + 50_000, ZONE_Y0, ZONE_X0 + 50_100, ZONE_Y0 + 100)
    with pytest.raises(NoOverlapError, match="none of the 1 parcels") as info:
        zonal_slope(parcels(far), [west, east], LIMITS)
    assert "jiaokou_dem_shuitou.tif" in str(info.value)


def test_empty_parcel_layer_gives_an_empty_frame(make_raster) -> None:
    west, _ = two_park_dems(make_raster)
    out = zonal_slope(parcels(), west, [15, 10])
    assert out.empty and list(out.columns) == slope_columns([15, 10])


# --------------------------------------------------------------------------- bad inputs


def test_crs_mismatch_raises(make_raster) -> None:
    west, _ = two_park_dems(make_raster)
    gdf = parcels(cell_box(5, 5, 15, 15)).to_crs("EPSG:4490")
    with pytest.raises(CRSError, match="EPSG:4490.*EPSG:4546") as info:
        zonal_slope(gdf, west, LIMITS)
    assert "to_crs" in str(info.value)


def test_equivalent_crs_definitions_are_accepted(make_raster) -> None:
    west, _ = two_park_dems(make_raster)
    gdf = parcels(cell_box(5, 5, 15, 15))
    gdf = gdf.set_crs(gdf.crs.to_wkt(), allow_override=True)  # WKT instead of an EPSG code
    assert zonal_slope(gdf, west, LIMITS)["slope_mean_pct"].iloc[0] == pytest.approx(5.0, abs=1e-4)


def test_parcels_without_crs_raise(make_raster) -> None:
    west, _ = two_park_dems(make_raster)
    with pytest.raises(MissingCRSError, match="parcel layer has no CRS"):
        zonal_slope(parcels(cell_box(5, 5, 15, 15), crs=None), west, LIMITS)


@pytest.mark.parametrize(
    ("geom", "error", "message"),
    [
        (Point(ZONE_X0 + 50, ZONE_Y0 - 50), GeometryError, "not polygons"),
        (LineString([(ZONE_X0, ZONE_Y0 - 10), (ZONE_X0 + 90, ZONE_Y0 - 10)]), GeometryError, "not polygons"),
        (None, GeometryError, "no geometry"),
        (Polygon(), GeometryError, "no geometry"),
        (
            Polygon(
                [
                    (ZONE_X0 + 20, ZONE_Y0 - 20),
                    (ZONE_X0 + 200, ZONE_Y0 - 200),
                    (ZONE_X0 + 200, ZONE_Y0 - 20),
                    (ZONE_X0 + 20, ZONE_Y0 - 200),
                ]
            ),
            GeometryError,
            "invalid geometry.*Self-intersection",
        ),
    ],
)
def test_bad_geometries_raise(make_raster, geom, error, message) -> None:
    west, _ = two_park_dems(make_raster)
    gdf = parcels(cell_box(5, 5, 15, 15), geom, index=["ok", "bad"])
    with pytest.raises(error, match=message) as info:
        zonal_slope(gdf, west, LIMITS)
    assert "'bad'" in str(info.value)


def test_dem_problems_surface_before_measuring(make_raster, tmp_path: Path) -> None:
    west, _ = two_park_dems(make_raster)
    gdf = parcels(cell_box(5, 5, 15, 15))
    no_crs = make_raster(plane(0.05, 0, (10, 10), T), transform=T, crs=None, name="nocrs.tif")
    with pytest.raises(MissingCRSError, match="no CRS"):
        zonal_slope(gdf, [west, no_crs], LIMITS)
    with pytest.raises(InputFileError, match="not found"):
        zonal_slope(gdf, [west, tmp_path / "missing.tif"], LIMITS)
    with pytest.raises(LimitExceededError):
        zonal_slope(gdf, west, LIMITS, max_cells=100)
    geo = make_raster(
        plane(0.05, 0, (10, 10), north_up(111.5, 37.0, 0.0001)),
        transform=north_up(111.5, 37.0, 0.0001),
        crs="EPSG:4490",
        name="geo.tif",
    )
    with pytest.raises(CRSError, match="geographic"):
        zonal_slope(gdf.to_crs("EPSG:4490"), geo, LIMITS)
