"""DEM tiles in EPSG:4326 mosaicked and reprojected to the zone's CRS (gis/dem_tiles.py):
slope on the result agrees with slope on the same DEM in the zone CRS; tiles in feet, with an
undeclared no-data value or nonsense elevations are refused; the resolution is reported."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from shapely import box

from gis.dem_tiles import default_resolution, mosaic_dem
from gis.errors import CRSError, InputFileError, NoOverlapError
from gis.raster import read_dem
from gis.zonal import TerrainSurface, extract_cells, slope_stats
from tests.own_data import X0, Y0, ZONE_CRS, write_geographic_tiles, write_zone_dem


@pytest.fixture(scope="module")
def dems(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dem")
    zone_dem = write_zone_dem(folder / "zone.tif")
    return zone_dem, write_geographic_tiles(zone_dem, folder / "tiles")


def _parcels(n: int = 40, size: float = 60.0, seed: int = 1) -> list:
    rng = np.random.default_rng(seed)
    xs = rng.uniform(X0, X0 + 1000 - size, n)
    ys = rng.uniform(Y0, Y0 + 1000 - size, n)
    return [box(x, y, x + size, y + size) for x, y in zip(xs, ys)]


def _mean_slope(grid, parcels) -> np.ndarray:
    cells = extract_cells(np.asarray(parcels, dtype=object), grid)
    return slope_stats(cells, TerrainSurface(grid).slope_deg, [15.0])["slope_mean_deg"].to_numpy()


def test_tiles_give_the_slope_of_the_dem_in_the_zone_crs(dems):
    zone_dem, tiles = dems
    with rasterio.open(tiles[0]) as src:
        assert src.crs.to_epsg() == 4326 and src.nodata == -32768
    grid, report = mosaic_dem(tiles, ZONE_CRS)
    assert grid.crs.to_epsg() == 4546 and report.geographic and len(report.tiles) == 4
    assert report.resolution_m == default_resolution(report.cell_m) == 10.0
    assert not report.resolution_given and "--dem-resolution" in " ".join(report.lines())
    assert 8 < report.cell_m[0] < report.cell_m[1] < 12  # 1″-like cells are narrower east–west
    parcels = _parcels()
    reference = _mean_slope(read_dem(zone_dem), parcels)
    mosaic = _mean_slope(grid, parcels)
    assert np.isfinite(reference).all() and np.isfinite(mosaic).all()
    assert 1.0 < float(np.median(reference)) < 20.0  # real hills, not a flat test
    assert float(np.median(np.abs(mosaic - reference))) < 0.3


def test_the_resolution_is_the_users_and_the_mosaic_is_clipped(dems):
    _, tiles = dems
    clip = (X0 + 100, Y0 + 100, X0 + 300, Y0 + 300)
    grid, report = mosaic_dem(tiles, ZONE_CRS, resolution=25.0, clip=clip, margin_m=50)
    assert report.resolution_given and grid.dx == pytest.approx(25.0) and abs(grid.dy) == pytest.approx(25.0)
    left, bottom, right, top = grid.bounds
    assert left <= clip[0] - 40 and right >= clip[2] + 40 and right - left < 450
    assert sum(t.used for t in report.tiles) == 1  # the south-west tile alone covers it
    with pytest.raises(NoOverlapError, match="no DEM tile covers"):
        mosaic_dem(tiles, ZONE_CRS, clip=(X0 + 50_000, Y0, X0 + 51_000, Y0 + 1000))


def _copy(src_path, dst_path, *, values=None, nodata="same", units=None):
    with rasterio.open(src_path) as src:
        profile = src.profile
        data = src.read(1) if values is None else values(src.read(1))
    if nodata != "same":
        profile["nodata"] = nodata
    with rasterio.open(dst_path, "w", **profile) as dst:
        dst.write(data, 1)
        if units:
            dst.set_band_unit(1, units)
    return dst_path


def test_feet_undeclared_nodata_and_nonsense_are_refused(dems, tmp_path):
    _, tiles = dems
    feet = _copy(tiles[0], tmp_path / "feet.tif", units="ft")
    with pytest.raises(InputFileError, match="in ft, not metres"):
        mosaic_dem([feet], ZONE_CRS)
    undeclared = _copy(tiles[0], tmp_path / "undeclared.tif", nodata=None)
    with pytest.raises(InputFileError, match=r"hold -32768, a no-data value the file does not declare"):
        mosaic_dem([undeclared], ZONE_CRS)
    # Elevations in feet with no unit said: 3 500–4 000 "metres" are possible, 30 000 are not.
    scaled = _copy(tiles[0], tmp_path / "x10.tif", values=lambda a: np.where(a > -1000, a * 10, a))
    with pytest.raises(InputFileError, match="not metres of terrain"):
        mosaic_dem([scaled], ZONE_CRS)


def test_tiles_in_two_crs_are_refused(dems, tmp_path):
    zone_dem, tiles = dems
    with pytest.raises(CRSError, match="give tiles in one CRS"):
        mosaic_dem([tiles[0], zone_dem], ZONE_CRS)
