"""Slope (Horn) and DEM opening: hand-computed planes, gdaldem agreement, bad inputs, CLI."""

from __future__ import annotations

import math
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pyproj
import pytest
import rasterio
import typer
from scipy import ndimage
from typer.testing import CliRunner

import gis.slope
from app.commands.slope import register
from gis.errors import CRSError, InputFileError, LimitExceededError, MissingCRSError
from gis.raster import DEFAULT_MAX_CELLS, read_dem, read_grid, reproject_grid
from gis.slope import horn_gradient, slope_array, write_slope
from tests.rasters import ZONE_X0, ZONE_Y0, north_up, plane, write_raster, write_vrt

#: Debian gdal-bin's gdaldem, the reference slope (installed by scripts/setup.sh --test).
GDALDEM = shutil.which("gdaldem") or "/usr/bin/gdaldem"


# --------------------------------------------------------------------------- hand-computed planes

# z = a·x + b·y has gradient (a, b) everywhere, so slope = atan(hypot(a, b)).
PLANES = [
    # a, b, expected degrees (by hand), expected percent
    (0.3, 0.4, 26.56505117707799, 50.0),  # hypot = 0.5, atan(0.5)
    (0.1, 0.0, 5.710593137499643, 10.0),  # atan(0.1)
    (0.0, -0.15, 8.530765609948133, 15.0),  # atan(0.15): the CJJ 83 natural limit
    (-1.0, 1.0, 54.735610317245346, 141.4213562373095),  # atan(√2)
    (0.0, 0.0, 0.0, 0.0),
]


@pytest.mark.parametrize(("a", "b", "deg", "pct"), PLANES)
@pytest.mark.parametrize(("dx", "dy"), [(10.0, 10.0), (10.0, 4.0), (2.5, 7.0)])
def test_tilted_plane_has_constant_slope(
    a: float, b: float, deg: float, pct: float, dx: float, dy: float
) -> None:
    assert math.degrees(math.atan(math.hypot(a, b))) == pytest.approx(deg, abs=1e-12)
    t = north_up(ZONE_X0, ZONE_Y0, dx, dy)
    z = plane(a, b, (12, 15), t)
    s_deg = slope_array(z, t.a, t.e, "degrees")
    s_pct = slope_array(z, t.a, t.e, "percent")
    assert np.allclose(s_deg[1:-1, 1:-1], deg, atol=1e-3)
    assert np.allclose(s_pct[1:-1, 1:-1], pct, atol=1e-3)
    assert s_deg.dtype == np.float32


@pytest.mark.parametrize(("a", "b"), [(0.3, 0.4), (-0.2, 0.05), (0.0, -0.1)])
def test_gradient_follows_crs_axes_for_north_up_and_south_up_rows(a: float, b: float) -> None:
    """dz/dy is the derivative towards +y (north) whatever the sign of the row spacing."""
    t_north = north_up(ZONE_X0, ZONE_Y0, 10.0)  # dy = -10: row 0 is the northern edge
    z_north = plane(a, b, (8, 9), t_north)
    gx, gy = horn_gradient(z_north, 10.0, -10.0)
    assert np.allclose(gx[1:-1, 1:-1], a, atol=1e-4)
    assert np.allclose(gy[1:-1, 1:-1], b, atol=1e-4)
    # The same terrain stored south-up (row 0 southernmost, dy = +10).
    z_south = z_north[::-1]
    gx_s, gy_s = horn_gradient(z_south, 10.0, 10.0)
    assert np.allclose(gx_s[1:-1, 1:-1], a, atol=1e-4)
    assert np.allclose(gy_s[1:-1, 1:-1], b, atol=1e-4)
    # Getting the sign wrong flips the northward gradient (the test would catch it).
    _, gy_wrong = horn_gradient(z_south, 10.0, -10.0)
    if b:
        assert np.allclose(gy_wrong[1:-1, 1:-1], -b, atol=1e-4)


def test_edges_and_cells_next_to_nodata_are_nodata() -> None:
    z = np.full((7, 8), 100.0, dtype=np.float32)
    z[3, 4] = np.nan
    s = slope_array(z, 10.0, -10.0)
    expected_nan = np.zeros(z.shape, bool)
    expected_nan[[0, -1], :] = True
    expected_nan[:, [0, -1]] = True
    expected_nan[2:5, 3:6] = True  # the 3 × 3 block around the nodata cell
    assert np.array_equal(np.isnan(s), expected_nan)
    assert np.all(s[~expected_nan] == 0.0)


def test_row_blocks_join_seamlessly(monkeypatch) -> None:
    z = np.random.default_rng(1).normal(1000, 5, (23, 17)).astype(np.float32)
    z[9, 4] = np.nan
    whole = slope_array(z, 10.0, -10.0)
    gx, gy = horn_gradient(z, 10.0, -10.0)
    monkeypatch.setattr(gis.slope, "_BLOCK_CELLS", 40)  # two rows per block
    np.testing.assert_array_equal(slope_array(z, 10.0, -10.0), whole)
    bx, by = horn_gradient(z, 10.0, -10.0)
    np.testing.assert_array_equal(bx, gx)
    np.testing.assert_array_equal(by, gy)


def test_tiny_arrays_are_all_nodata() -> None:
    assert np.isnan(slope_array(np.zeros((2, 5), np.float32), 1.0, -1.0)).all()


def test_known_window_by_hand() -> None:
    # a b c / d e f / g h i with dx = 10, dy = -10:
    # dz/dx = ((3 + 2·6 + 9) − (1 + 2·4 + 7)) / 80 = (24 − 16) / 80 = 0.1
    # dz/dy = ((7 + 2·8 + 9) − (1 + 2·2 + 3)) / (8 · −10) = (32 − 8) / −80 = −0.3
    z = np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]], dtype=np.float32)
    gx, gy = horn_gradient(z, 10.0, -10.0)
    assert gx[1, 1] == pytest.approx(0.1, abs=1e-6)
    assert gy[1, 1] == pytest.approx(-0.3, abs=1e-6)
    s = slope_array(z, 10.0, -10.0, "percent")
    assert s[1, 1] == pytest.approx(100 * math.hypot(0.1, 0.3), abs=1e-4)


# --------------------------------------------------------------------------- gdaldem agreement


def rough_dem(shape: tuple[int, int], seed: int = 7) -> np.ndarray:
    """Hills plus noise plus a cliff, around 1200 m: slopes from 0° to > 60°."""
    rng = np.random.default_rng(seed)
    rows, cols = shape
    r, c = np.mgrid[0:rows, 0:cols]
    z = 1200 + 40 * np.sin(c / 7.0) * np.cos(r / 11.0) + rng.normal(0, 3.0, shape)
    z[:, cols // 2 :] += 25.0  # a 25 m cliff
    return z.astype(np.float32)


@pytest.mark.parametrize("units", ["degrees", "percent"])
@pytest.mark.parametrize(("dx", "dy"), [(10.0, 10.0), (12.5, 7.5)])
@pytest.mark.parametrize("block_cells", [None, 97])
def test_agrees_with_gdaldem(
    make_raster, tmp_path: Path, monkeypatch, units: str, dx: float, dy: float, block_cells: int | None
) -> None:
    if block_cells:  # many row blocks (one row each), joined across the nodata hole
        monkeypatch.setattr(gis.slope, "_BLOCK_CELLS", block_cells)
    z = rough_dem((60, 80))
    z[20:23, 30:34] = -9999.0  # a nodata hole
    z[0, 5] = -9999.0
    dem = make_raster(z, transform=north_up(ZONE_X0, ZONE_Y0, dx, dy), nodata=-9999.0)
    ours_path = tmp_path / "ours.tif"
    theirs_path = tmp_path / "gdaldem.tif"
    cmd = [GDALDEM, "slope", str(dem), str(theirs_path), "-q"] + (["-p"] if units == "percent" else [])
    subprocess.run(cmd, check=True)
    write_slope(dem, ours_path, units=units)  # type: ignore[arg-type]
    with rasterio.open(theirs_path) as g, rasterio.open(ours_path) as o:
        theirs = g.read(1, masked=True)
        ours = o.read(1, masked=True)
        assert o.transform == g.transform
        assert o.nodata == -9999.0
    assert np.array_equal(np.ma.getmaskarray(ours), np.ma.getmaskarray(theirs))
    valid = ~np.ma.getmaskarray(ours)
    assert valid.sum() > 0.8 * z.size
    diff = np.abs(ours.data[valid] - theirs.data[valid])
    assert diff.max() < 0.01  # 0.01° (or 0.01 %); in practice about 0.001, float32 rounding in gdaldem
    assert np.ptp(ours.data[valid]) > (40 if units == "degrees" else 80)  # really rough terrain


def test_write_slope_writes_float32_deflate_on_the_same_grid(make_raster, tmp_path: Path) -> None:
    t = north_up(ZONE_X0, ZONE_Y0, 10.0)
    dem = make_raster(plane(0.3, 0.4, (10, 12), t), transform=t)
    out = tmp_path / "slope.tif"
    write_slope(dem, out, units="percent")
    with rasterio.open(out) as src:
        assert src.dtypes == ("float32",)
        assert src.compression is not None and src.compression.value.lower() == "deflate"
        assert src.transform == t
        assert src.crs.to_epsg() == 4546
        assert src.nodata == -9999.0
        band = src.read(1)
    assert np.all(band[[0, -1], :] == -9999.0)
    assert np.allclose(band[1:-1, 1:-1], 50.0, atol=1e-3)


def test_write_slope_refuses_to_overwrite_its_input(make_raster) -> None:
    t = north_up(ZONE_X0, ZONE_Y0, 10.0)
    dem = make_raster(plane(0.1, 0.0, (5, 5), t), transform=t)
    with pytest.raises(InputFileError, match="overwrite"):
        write_slope(dem, dem)


def test_south_up_geotiff_is_read_north_up(make_raster) -> None:
    t_north = north_up(ZONE_X0, ZONE_Y0, 10.0)
    z = plane(0.0, 0.2, (6, 7), t_north)  # rises to the north
    bottom = ZONE_Y0 - 6 * 10.0
    t_south = rasterio.Affine(10.0, 0.0, ZONE_X0, 0.0, 10.0, bottom)
    path = make_raster(z[::-1].copy(), transform=t_south)
    grid = read_dem(path)
    assert grid.transform == t_north
    assert np.array_equal(grid.values, z)
    gx, gy = horn_gradient(grid.values, grid.dx, grid.dy)
    assert np.allclose(gy[1:-1, 1:-1], 0.2, atol=1e-4)


# --------------------------------------------------------------------------- geographic DEMs


def _geographic_plane(make_raster, a: float, b: float) -> Path:
    """A plane built in EPSG:4546, warped (bilinear) to geographic EPSG:4490 and written out."""
    t = north_up(ZONE_X0, ZONE_Y0, 10.0)
    z = plane(a, b, (120, 120), t)
    src = make_raster(z, transform=t, name="projected.tif")
    geo = reproject_grid(read_grid(src), "EPSG:4490")
    return make_raster(
        np.where(np.isnan(geo.values), -9999.0, geo.values).astype(np.float32),
        transform=geo.transform,
        crs="EPSG:4490",
        name="geographic.tif",
    )


def test_geographic_dem_is_refused_with_a_clear_message(make_raster) -> None:
    path = _geographic_plane(make_raster, 0.1, 0.0)
    with pytest.raises(CRSError, match="geographic") as info:
        read_dem(path)
    assert "EPSG:4490" in str(info.value) and "--to-crs" in str(info.value)


def test_geographic_dem_reprojected_to_the_zone_crs_gives_the_right_slope(
    make_raster, tmp_path: Path
) -> None:
    # z = 0.3·x + 0.4·y in metres → 26.565° (hand value, table above); bilinear keeps planes planar.
    path = _geographic_plane(make_raster, 0.3, 0.4)
    grid = write_slope(path, tmp_path / "s.tif", dst_crs="EPSG:4546", resolution=10.0)
    assert grid.crs.to_epsg() == 4546 and grid.dx == pytest.approx(10.0)
    # Bilinear warping is exact for a plane except where the kernel runs off the data: leave the
    # two outermost rings of valid data out and compare the rest cell by cell.
    inner = ndimage.binary_erosion(~np.isnan(grid.values), iterations=2)
    assert inner.sum() > 10_000
    assert np.abs(grid.values[inner] - 26.56505117707799).max() < 0.01


@pytest.mark.parametrize("dst_crs", ["EPSG:4546", pyproj.CRS("EPSG:4546"), pyproj.CRS("EPSG:4546").to_wkt()])
def test_target_crs_equal_to_the_dems_keeps_the_grid(make_raster, dst_crs) -> None:
    t = north_up(ZONE_X0, ZONE_Y0, 10.0)
    z = plane(0.1, 0.2, (30, 40), t)
    grid = read_dem(make_raster(z, transform=t), dst_crs=dst_crs)
    assert grid.transform == t
    np.testing.assert_array_equal(grid.values, z)  # not resampled


def test_feet_projected_crs_is_refused(make_raster) -> None:
    t = north_up(1_000_000.0, 500_000.0, 30.0)
    path = make_raster(plane(0.1, 0.0, (5, 5), t), transform=t, crs="EPSG:2263")  # NY state plane, US ft
    with pytest.raises(CRSError, match="not metres"):
        read_dem(path)


# --------------------------------------------------------------------------- bad inputs


def _bad_input(kind: str, tmp_path: Path) -> Path | str:
    t = north_up(ZONE_X0, ZONE_Y0, 10.0)
    z = plane(0.1, 0.0, (20, 20), t)
    good = write_raster(tmp_path / "good.tif", z, transform=t)
    if kind == "missing":
        return tmp_path / "nope.tif"
    if kind == "directory":
        return tmp_path
    if kind == "no_crs":
        return write_raster(tmp_path / "nocrs.tif", z, transform=t, crs=None)
    if kind == "no_transform":
        return write_raster(tmp_path / "nogt.tif", z, transform=None)
    if kind == "rotated":
        return write_raster(
            tmp_path / "rot.tif", z, transform=rasterio.Affine(10, 2, ZONE_X0, 2, -10, ZONE_Y0)
        )
    if kind == "png":
        return write_raster(
            tmp_path / "dem.png", (z % 200).astype(np.uint8), transform=t, driver="PNG", nodata=None
        )
    if kind == "png_named_tif":
        p = write_raster(
            tmp_path / "dem.png", (z % 200).astype(np.uint8), transform=t, driver="PNG", nodata=None
        )
        return Path(shutil.copy(p, tmp_path / "dem_png.tif"))
    if kind == "vrt_named_tif":
        return write_vrt(tmp_path / "evil.tif", good)
    if kind == "text":
        (tmp_path / "notes.tif").write_text("elevation 1200\n", encoding="utf-8")
        return tmp_path / "notes.tif"
    if kind == "empty":
        (tmp_path / "empty.tif").write_bytes(b"")
        return tmp_path / "empty.tif"
    if kind in ("vsicurl", "http", "https", "s3", "vsizip", "gtiff_dir"):
        return {
            "vsicurl": "/vsicurl/https://example.com/dem.tif",
            "http": "http://example.com/dem.tif",
            "https": "https://example.com/dem.tif",
            "s3": "s3://bucket/dem.tif",
            "vsizip": f"/vsizip/{tmp_path}/dem.zip/dem.tif",
            "gtiff_dir": f"GTIFF_DIR:1:{good}",
        }[kind]
    raise AssertionError(kind)


@pytest.mark.parametrize(
    ("kind", "error", "message"),
    [
        ("missing", InputFileError, "not found"),
        ("directory", InputFileError, "not a regular file"),
        ("no_crs", MissingCRSError, "no CRS"),
        ("no_transform", InputFileError, "no geotransform"),
        ("rotated", InputFileError, "rotated"),
        ("png", InputFileError, "not a TIFF"),
        ("png_named_tif", InputFileError, "not a TIFF"),
        ("vrt_named_tif", InputFileError, "VRT"),
        ("text", InputFileError, "not a TIFF"),
        ("empty", InputFileError, "not a TIFF"),
        ("vsicurl", InputFileError, "remote"),
        ("http", InputFileError, "remote"),
        ("https", InputFileError, "remote"),
        ("s3", InputFileError, "remote"),
        ("vsizip", InputFileError, "remote"),
        ("gtiff_dir", InputFileError, "remote"),
    ],
)
def test_bad_dem_inputs_are_refused(tmp_path: Path, kind: str, error: type, message: str) -> None:
    path = _bad_input(kind, tmp_path)
    with pytest.raises(error, match=message) as info:
        read_dem(path)
    assert str(path) in str(info.value)  # the message says where


def test_cell_limit_is_checked_from_the_header(make_raster) -> None:
    t = north_up(ZONE_X0, ZONE_Y0, 10.0)
    path = make_raster(np.zeros((3, 20, 30), np.float32), transform=t)  # 3 bands
    assert read_dem(path, max_cells=1800).shape == (20, 30)
    with pytest.raises(LimitExceededError, match=r"30 × 20 × 3 band\(s\) = 1,800 cells"):
        read_dem(path, max_cells=1799)


def test_default_cell_limit_refuses_a_huge_sparse_geotiff_without_reading_it(tmp_path: Path) -> None:
    # 40 000 × 20 000 = 800 M cells declared in the header, but a sparse file of a few hundred kB.
    path = tmp_path / "huge.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=40_000,
        height=20_000,
        count=1,
        dtype="uint8",
        crs="EPSG:4546",
        transform=north_up(ZONE_X0, ZONE_Y0, 10.0),
        tiled=True,
        sparse_ok=True,
    ):
        pass
    assert path.stat().st_size < 2_000_000
    assert 800_000_000 > DEFAULT_MAX_CELLS
    with pytest.raises(LimitExceededError, match="800,000,000 cells"):
        read_dem(path)


def test_nodata_and_nan_become_nan(make_raster) -> None:
    t = north_up(ZONE_X0, ZONE_Y0, 10.0)
    z = np.full((4, 4), 500.0, np.float32)
    z[1, 1] = -9999.0
    z[2, 2] = np.nan
    grid = read_dem(make_raster(z, transform=t, nodata=-9999.0))
    assert np.isnan(grid.values).sum() == 2
    assert grid.values.dtype == np.float32


def test_internal_mask_band_becomes_nan(tmp_path: Path) -> None:
    path = tmp_path / "masked.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=3,
        height=2,
        count=1,
        dtype="float32",
        crs="EPSG:4546",
        transform=north_up(ZONE_X0, ZONE_Y0, 10.0),
    ) as dst:
        dst.write(np.full((1, 2, 3), 700.0, np.float32))
        dst.write_mask(np.array([[255, 0, 255], [255, 255, 0]], np.uint8))
    grid = read_dem(path)
    assert np.array_equal(np.isnan(grid.values), [[False, True, False], [False, False, True]])


def test_integer_dem_is_read_as_float_with_nodata(make_raster) -> None:
    t = north_up(ZONE_X0, ZONE_Y0, 10.0)
    z = np.array([[1000, 1001], [1002, 0]], dtype=np.int16)
    grid = read_dem(make_raster(z, transform=t, nodata=0))
    assert grid.values.dtype == np.float32
    assert np.array_equal(np.isnan(grid.values), [[False, False], [False, True]])


# --------------------------------------------------------------------------- CLI


def _cli() -> typer.Typer:
    cli = typer.Typer()
    register(cli)

    @cli.command("noop")  # a second command so typer keeps "slope" as a sub-command name
    def _noop() -> None:  # pragma: no cover
        pass

    return cli


@pytest.mark.parametrize(("units", "expected"), [("degrees", 26.56505117707799), ("percent", 50.0)])
def test_cli_writes_slope(make_raster, tmp_path: Path, units: str, expected: float) -> None:
    t = north_up(ZONE_X0, ZONE_Y0, 10.0)
    dem = make_raster(plane(0.3, 0.4, (10, 10), t), transform=t)
    out = tmp_path / "out.tif"
    result = CliRunner().invoke(_cli(), ["slope", str(dem), str(out), "--units", units])
    assert result.exit_code == 0, result.output
    assert "OK" in result.output
    with rasterio.open(out) as src:
        assert np.allclose(src.read(1)[1:-1, 1:-1], expected, atol=1e-3)


@pytest.mark.parametrize(
    ("kind", "exit_code", "message"),
    [("missing", 2, "file not found"), ("no_crs", 4, "no CRS"), ("vrt_named_tif", 2, "VRT")],
)
def test_cli_bad_input_exits_with_the_domain_error(
    tmp_path: Path, kind: str, exit_code: int, message: str
) -> None:
    from app.commands.lang import set_lang

    set_lang("en")  # this Typer app has no --lang: the messages are asserted in English
    path = _bad_input(kind, tmp_path)
    out = tmp_path / "out.tif"
    result = CliRunner().invoke(_cli(), ["slope", str(path), str(out)])
    assert result.exit_code == exit_code
    assert message in result.output
    assert not out.exists()


def test_cli_geographic_dem_needs_to_crs(make_raster, tmp_path: Path) -> None:
    path = _geographic_plane(make_raster, 0.1, 0.0)
    out = tmp_path / "out.tif"
    result = CliRunner().invoke(_cli(), ["slope", str(path), str(out)])
    assert result.exit_code == 4 and "geographic" in result.output
    result = CliRunner().invoke(
        _cli(), ["slope", str(path), str(out), "--to-crs", "EPSG:4546", "--resolution", "10"]
    )
    assert result.exit_code == 0, result.output
    assert out.exists()


def test_cli_rejects_unknown_units(make_raster, tmp_path: Path) -> None:
    t = north_up(ZONE_X0, ZONE_Y0, 10.0)
    dem = make_raster(plane(0.1, 0.0, (5, 5), t), transform=t)
    result = CliRunner().invoke(_cli(), ["slope", str(dem), str(tmp_path / "o.tif"), "--units", "radians"])
    assert result.exit_code != 0
    assert not (tmp_path / "o.tif").exists()
