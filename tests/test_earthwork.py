"""Earthwork: planes, a cone, clamped slopes (hand-computed), an independent least-squares oracle."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import shapely
from exactextract import exact_extract
from shapely.geometry import Point, box

from gis.earthwork import EARTHWORK_COLUMNS, earthwork
from gis.errors import NoOverlapError
from gis.terrain import measure_terrain, measure_terrain_batch, terrain_columns
from gis.units import MU_M2
from gis.zonal import load_surface, zonal_slope
from tests.rasters import ZONE_CRS, ZONE_X0, ZONE_Y0, cell_centres, north_up, plane


def parcels(*geoms, index=None) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"n": range(len(geoms))}, geometry=list(geoms), crs=ZONE_CRS, index=index)


def square(cx: float, cy: float, half: float):
    return box(cx - half, cy - half, cx + half, cy + half)


# --------------------------------------------------------------------------- planes


@pytest.mark.parametrize(("a", "b"), [(0.05, 0.03), (0.0, -0.099), (0.0, 0.0)])
def test_plane_within_the_limit_needs_no_earthwork(make_raster, a: float, b: float) -> None:
    t = north_up(ZONE_X0, ZONE_Y0, 10.0)
    dem = make_raster(plane(a, b, (60, 60), t), transform=t)
    g = [
        square(ZONE_X0 + 300, ZONE_Y0 - 300, 120),
        shapely.affinity.rotate(square(ZONE_X0 + 200, ZONE_Y0 - 400, 60), 17),
    ]
    out = earthwork(parcels(*g), dem, 10)
    # Only the float32 rounding of the elevations is left: at most half a float32 step of
    # ~1000 m elevations (6.1e-5 m) per cell, from the DEM and again from the fitted plane.
    areas = np.array([x.area for x in g])
    bound = areas * float(np.spacing(np.float32(1000.0)))  # 0.61 m³ per ha
    for col in EARTHWORK_COLUMNS[:4]:
        assert (out[col].to_numpy() < bound).all(), col
    assert (out["earthwork_lim_m3_per_mu"] < 0.2).all()


@pytest.mark.parametrize(("a", "b"), [(0.2, 0.0), (0.0, 0.2), (0.0, -0.2), (-0.2, 0.0)])
def test_steep_plane_clamped_to_the_limit_gives_the_wedge(make_raster, a: float, b: float) -> None:
    """20 % plane, 10 % limit, 100 m × 100 m parcel on 10 m cells.

    The clamped plane keeps the aspect and passes through the mean, so the residual is
    0.1 · u (u: distance along the slope from the centre line): cut = fill = L · ∫₀^{L/2} 0.1·u du
    = 0.1 · L³ / 8 = 12 500 m³. On the cells (centres at u = 5, 15, …, 45) the midpoint rule
    is exact: 0.1 · (5 + 15 + 25 + 35 + 45) · 10 m · 100 m = 12 500 m³.
    """
    t = north_up(ZONE_X0, ZONE_Y0, 10.0)
    dem = make_raster(plane(a, b, (40, 40), t), transform=t)
    parcel = box(ZONE_X0 + 100, ZONE_Y0 - 300, ZONE_X0 + 200, ZONE_Y0 - 200)
    out = earthwork(parcels(parcel), dem, 10).iloc[0]
    assert out["earthwork_fit_cut_m3"] == pytest.approx(0, abs=0.5)
    assert out["earthwork_fit_fill_m3"] == pytest.approx(0, abs=0.5)
    assert out["earthwork_lim_cut_m3"] == pytest.approx(12_500, rel=1e-5)
    assert out["earthwork_lim_fill_m3"] == pytest.approx(12_500, rel=1e-5)
    # (12 500 + 12 500) m³ / (10 000 m² / 666.67 m²/亩 = 15 亩) = 1666.67 m³/亩
    assert out["earthwork_lim_m3_per_mu"] == pytest.approx(25_000 / 15, rel=1e-5)


def test_clamp_keeps_the_aspect_direction(make_raster) -> None:
    """z = 0.12·x + 0.16·y (20 %, aspect 36.87° from east), limit 10 %, disk of radius ρ = 200 m.

    Kept aspect: residual 0.1·u along (0.6, 0.8); cut = ∫ over a half disk of 0.1·u
    = 0.1 · (2/3) · ρ³ = 533 333 m³. Clamping only the x component (or the y component) would
    leave a residual gradient of 0.161 (or 0.12 − …) and a clearly different volume.
    Tolerance 0.1 % (about 0.03 % seen): cell-centre values on 10 m cells along the disk's
    curved edge.
    """
    t = north_up(ZONE_X0, ZONE_Y0, 10.0)
    dem = make_raster(plane(0.12, 0.16, (60, 60), t), transform=t)
    disk = Point(ZONE_X0 + 300, ZONE_Y0 - 300).buffer(200, quad_segs=256)
    out = earthwork(parcels(disk), dem, 10).iloc[0]
    expected = 0.1 * 2 / 3 * 200**3
    assert out["earthwork_lim_cut_m3"] == pytest.approx(expected, rel=1e-3)
    assert out["earthwork_lim_fill_m3"] == pytest.approx(expected, rel=1e-3)
    assert out["earthwork_fit_cut_m3"] < 5.0


def test_limit_zero_levels_the_parcel_flat(make_raster) -> None:
    t = north_up(ZONE_X0, ZONE_Y0, 10.0)
    dem = make_raster(plane(0.2, 0.0, (40, 40), t), transform=t)
    parcel = box(ZONE_X0 + 100, ZONE_Y0 - 300, ZONE_X0 + 200, ZONE_Y0 - 200)
    out = earthwork(parcels(parcel), dem, 0).iloc[0]
    # residual 0.2·u: twice the 10 % wedge
    assert out["earthwork_lim_cut_m3"] == pytest.approx(25_000, rel=1e-5)


# --------------------------------------------------------------------------- the cone


def test_cone_to_its_best_fit_horizontal_plane(make_raster) -> None:
    """z = 1000 + h·(1 − r/R) over a square of half side s centred on the apex, 1 m cells.

    By symmetry the best-fit plane is horizontal at the mean elevation, z̄ = 1000 + h·(1 − r̄/R)
    with r̄ = s·(√2 + asinh 1)/3 the mean distance from a square's centre. The cut is the cone
    above z̄ — within the disk r < r̄, which lies inside the square:
    cut = (h/R) ∫₀^r̄ (r̄ − r)·2πr dr = π·h·r̄³ / (3R); fill = cut (least squares balances).
    The cells sample the surface at their centres, so the grid value differs from the integral
    by the midpoint rule's error (kinks at the apex and along r = r̄): about 3e-5 here at 1 m
    cells; the test allows 2e-4. The grid sum itself is reproduced to 1e-6.
    """
    h, R, s = 20.0, 200.0, 100.0
    t = north_up(ZONE_X0, ZONE_Y0, 1.0)
    shape = (220, 220)
    x, y = cell_centres(t, shape)
    cx, cy = ZONE_X0 + 110, ZONE_Y0 - 110  # a cell corner: the cell centres are symmetric
    z = (1000 + h * (1 - np.hypot(x - cx, y - cy) / R)).astype(np.float32)
    dem = make_raster(z, transform=t)
    out = earthwork(parcels(square(cx, cy, s)), dem, 10).iloc[0]

    r_bar = s * (math.sqrt(2) + math.asinh(1)) / 3
    analytic = math.pi * h * r_bar**3 / (3 * R)  # ≈ 46 917 m³
    assert analytic == pytest.approx(46_917, rel=1e-4)
    for col in (
        "earthwork_fit_cut_m3",
        "earthwork_fit_fill_m3",
        "earthwork_lim_cut_m3",
        "earthwork_lim_fill_m3",
    ):
        assert out[col] == pytest.approx(analytic, rel=2e-4), col

    inside = (np.abs(x - cx) < s) & (np.abs(y - cy) < s)  # the 200 × 200 cells, weight 1 m² each
    zi = z[inside].astype(np.float64)
    grid_cut = np.maximum(zi - zi.mean(), 0).sum()
    assert out["earthwork_fit_cut_m3"] == pytest.approx(grid_cut, rel=1e-6)
    assert out["earthwork_lim_m3_per_mu"] == pytest.approx(2 * grid_cut / (4 * s * s / MU_M2), rel=1e-6)


# --------------------------------------------------------------------------- degenerate parcels


def test_one_cell_wide_strip_and_single_cell(make_raster) -> None:
    t = north_up(ZONE_X0, ZONE_Y0, 10.0)
    dem = make_raster(plane(0.2, 0.0, (20, 20), t), transform=t)
    strip = box(ZONE_X0 + 50, ZONE_Y0 - 60, ZONE_X0 + 150, ZONE_Y0 - 50)  # 10 cells in a row, along the slope
    tiny = box(ZONE_X0 + 52, ZONE_Y0 - 98, ZONE_X0 + 58, ZONE_Y0 - 92)  # inside one cell
    out = earthwork(parcels(strip, tiny), dem, 10)
    # The strip's plane is only defined along x (pseudo-inverse): fitted exactly, clamped to 10 %:
    # cut = 0.1 · (5 + 15 + 25 + 35 + 45) m · 100 m² = 1250 m³.
    assert out.iloc[0]["earthwork_fit_cut_m3"] == pytest.approx(0, abs=0.01)
    assert out.iloc[0]["earthwork_lim_cut_m3"] == pytest.approx(1250, rel=1e-5)
    assert out.iloc[0]["earthwork_lim_fill_m3"] == pytest.approx(1250, rel=1e-5)
    assert (out.iloc[1] == 0).all()


def test_parcel_without_dem_data_is_nan(make_raster) -> None:
    t = north_up(ZONE_X0, ZONE_Y0, 10.0)
    z = plane(0.2, 0.0, (20, 20), t)
    z[:10, :10] = -9999.0
    dem = make_raster(z, transform=t, nodata=-9999.0)
    out = earthwork(
        parcels(
            box(ZONE_X0 + 10, ZONE_Y0 - 80, ZONE_X0 + 80, ZONE_Y0 - 10),
            box(ZONE_X0 + 110, ZONE_Y0 - 180, ZONE_X0 + 180, ZONE_Y0 - 110),
            index=["hole", "ok"],
        ),
        dem,
        10,
    )
    assert out.loc["hole"].isna().all()
    assert out.loc["ok"].notna().all()
    assert out.attrs["parcels_without_dem"] == ["hole"]


def test_parcel_partly_over_nodata_is_levelled_on_the_cells_with_data(make_raster) -> None:
    # A 100 × 100 m parcel on a 20 % plane whose west half is nodata: only the east half
    # (five 10 m cells along the slope, 100 m across) counts. Clamped to 10 % it leaves 0.1 · u
    # at the cell centres u = 0, ±10, ±20 m from the middle: cut = fill = 0.1 · (10 + 20) m ·
    # 10 m · 100 m = 3000 m³, per 亩 of the 5000 m² with data.
    t = north_up(ZONE_X0, ZONE_Y0, 10.0)
    z = plane(0.2, 0.0, (30, 30), t)
    z[:, :15] = -9999.0
    dem = make_raster(z, transform=t, nodata=-9999.0)
    out = earthwork(parcels(box(ZONE_X0 + 100, ZONE_Y0 - 200, ZONE_X0 + 200, ZONE_Y0 - 100)), dem, 10).iloc[0]
    assert out["earthwork_fit_cut_m3"] == pytest.approx(0, abs=0.01)
    assert out["earthwork_lim_cut_m3"] == pytest.approx(3000, rel=1e-5)
    assert out["earthwork_lim_fill_m3"] == pytest.approx(3000, rel=1e-5)
    assert out["earthwork_lim_m3_per_mu"] == pytest.approx(6000 / (5000 / MU_M2), rel=1e-5)


def test_no_overlap_raises(make_raster) -> None:
    t = north_up(ZONE_X0, ZONE_Y0, 10.0)
    dem = make_raster(plane(0.2, 0.0, (20, 20), t), transform=t)
    with pytest.raises(NoOverlapError):
        earthwork(parcels(square(ZONE_X0 - 5000, ZONE_Y0, 50)), dem)


@pytest.mark.parametrize("limit", [-1, float("nan")])
def test_bad_planned_limit(make_raster, limit: float) -> None:
    t = north_up(ZONE_X0, ZONE_Y0, 10.0)
    dem = make_raster(plane(0.2, 0.0, (20, 20), t), transform=t)
    with pytest.raises(ValueError, match="planned_limit_pct"):
        earthwork(parcels(square(ZONE_X0 + 100, ZONE_Y0 - 100, 30)), dem, limit)


# --------------------------------------------------------------------------- independent oracle


def rough_terrain(shape, seed=5) -> np.ndarray:
    rng = np.random.default_rng(seed)
    r, c = np.mgrid[0 : shape[0], 0 : shape[1]]
    return (
        1200
        + 0.9 * c * 10 * 0.3
        - 0.2 * r * 10
        + 25 * np.sin(c / 6.0) * np.cos(r / 9.0)
        + rng.normal(0, 1.5, shape)
    ).astype(np.float32)


def random_parcels(n: int, seed: int = 2) -> list:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        cx, cy = ZONE_X0 + rng.uniform(120, 680), ZONE_Y0 - rng.uniform(120, 680)
        k = rng.integers(3, 8)
        ang = np.sort(rng.uniform(0, 2 * np.pi, k))
        rad = rng.uniform(20, 110, k)
        out.append(shapely.Polygon(np.c_[cx + rad * np.cos(ang), cy + rad * np.sin(ang)]).buffer(0))
    return out


def oracle(values, coverage, xs, ys, cell_area, limit) -> tuple[float, float, float, float]:
    """Per-parcel weighted least squares with numpy.linalg.lstsq on exactextract's own outputs."""
    w = coverage * cell_area
    A = np.c_[np.ones_like(xs), xs - xs.mean(), ys - ys.mean()]
    sw = np.sqrt(w)
    coef, *_ = np.linalg.lstsq(A * sw[:, None], values * sw, rcond=None)
    r = values - A @ coef
    fit = (w * np.maximum(r, 0)).sum(), (w * np.maximum(-r, 0)).sum()
    g = coef[1:]
    m = np.hypot(*g)
    if m > limit:
        g = g * limit / m
    rest = values - A[:, 1:] @ g
    c0 = (w * rest).sum() / w.sum()  # least-squares offset for the clamped gradient
    r = rest - c0
    return (*fit, (w * np.maximum(r, 0)).sum(), (w * np.maximum(-r, 0)).sum())


def test_matches_an_independent_weighted_least_squares(make_raster) -> None:
    t = north_up(ZONE_X0, ZONE_Y0, 10.0)
    z = rough_terrain((80, 80))
    dem = make_raster(z, transform=t)
    geoms = random_parcels(30)
    gdf = parcels(*geoms)
    ours = earthwork(gdf, dem, 10)
    ref = exact_extract(str(dem), gdf, ["values", "coverage", "center_x", "center_y"], output="pandas")
    clamped = 0
    for i, row in ref.iterrows():
        exp = oracle(
            row["values"].astype(np.float64), row["coverage"], row["center_x"], row["center_y"], 100.0, 0.10
        )
        got = ours.iloc[i][list(EARTHWORK_COLUMNS[:4])].to_numpy()
        assert np.allclose(got, exp, rtol=1e-6, atol=1e-3), i
        clamped += not np.isclose(exp[2], exp[0])
    assert 5 < clamped < 30  # the terrain gives both steep (clamped) and gentle parcels
    # Least squares balances cut and fill.
    assert np.allclose(ours["earthwork_fit_cut_m3"], ours["earthwork_fit_fill_m3"], rtol=1e-6)
    assert np.allclose(ours["earthwork_lim_cut_m3"], ours["earthwork_lim_fill_m3"], rtol=1e-6)
    area_mu = np.array([g.area for g in geoms]) / MU_M2
    assert np.allclose(
        ours["earthwork_lim_m3_per_mu"],
        (ours["earthwork_lim_cut_m3"] + ours["earthwork_lim_fill_m3"]) / area_mu,
        rtol=1e-6,
    )


# --------------------------------------------------------------------------- measure_terrain


def test_measure_terrain_returns_every_column_consistently(make_raster) -> None:
    t = north_up(ZONE_X0, ZONE_Y0, 10.0)
    dem = make_raster(rough_terrain((80, 80)), transform=t)
    gdf = parcels(*random_parcels(12), index=[f"SC-{i:04d}" for i in range(12)])
    out = measure_terrain(gdf, [dem], [15, 10], 10)
    assert (
        list(out.columns)
        == terrain_columns([15, 10])
        == [
            "slope_mean_deg",
            "slope_max_deg",
            "slope_p90_deg",
            "slope_mean_pct",
            "slope_share_lt_15pct",
            "slope_share_lt_10pct",
            "slope_over_limit_share",
            "earthwork_fit_cut_m3",
            "earthwork_fit_fill_m3",
            "earthwork_lim_cut_m3",
            "earthwork_lim_fill_m3",
            "earthwork_lim_m3_per_mu",
        ]
    )
    assert list(out.index) == list(gdf.index)
    assert out.notna().all().all()
    np.testing.assert_allclose(
        out[zonal_slope(gdf, dem, [15, 10]).columns], zonal_slope(gdf, dem, [15, 10]), rtol=1e-12
    )
    np.testing.assert_allclose(out[list(EARTHWORK_COLUMNS)], earthwork(gdf, dem, 10), rtol=1e-12)
    assert np.allclose(out["slope_over_limit_share"], 1 - out["slope_share_lt_15pct"])


def test_measure_terrain_validates_limits_before_reading(tmp_path) -> None:
    with pytest.raises(ValueError):
        measure_terrain(parcels(square(ZONE_X0, ZONE_Y0, 10)), tmp_path / "nothing.tif", [15, -1], 10)
    with pytest.raises(ValueError):
        measure_terrain(parcels(square(ZONE_X0, ZONE_Y0, 10)), tmp_path / "nothing.tif", [15, 10], -3)


def test_batch_function_chunks_give_the_same_result(make_raster) -> None:
    t = north_up(ZONE_X0, ZONE_Y0, 10.0)
    surface = load_surface(make_raster(rough_terrain((80, 80)), transform=t))
    geoms = np.asarray(random_parcels(13), dtype=object)
    whole = measure_terrain_batch(geoms, surface, [15, 10], 10)
    assert list(whole.index) == list(range(13))
    for size in (1, 5, 13):
        chunked = measure_terrain_batch(geoms, surface, [15, 10], 10, chunk_size=size)
        np.testing.assert_allclose(chunked.to_numpy(), whole.to_numpy(), rtol=1e-12)  # cumsum rounding
        assert list(chunked.index) == list(range(13))
    # Batches of the caller's own making concatenate to the same thing.
    halves = [
        measure_terrain_batch(geoms[:6], surface, [15, 10]),
        measure_terrain_batch(geoms[6:], surface, [15, 10]),
    ]
    np.testing.assert_allclose(np.vstack([h.to_numpy() for h in halves]), whole.to_numpy(), rtol=1e-12)
    assert measure_terrain_batch(geoms[:0], surface, [15, 10]).empty
