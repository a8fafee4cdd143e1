"""Test helper: write small synthetic GeoTIFFs (and look-alikes) from numpy arrays.

In the spirit of rio-tiler's fixtures: a test builds an array, a transform and a CRS, and
``make_raster`` writes it into ``tmp_path``::

    def test_x(make_raster):
        t = north_up(500_000, 4_100_000, 10)
        path = make_raster(plane(a=0.1, b=0.0, shape=(20, 30), transform=t), transform=t)

The fixture is registered for every test by ``tests/conftest.py`` (``pytest_plugins``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine
from rasterio.errors import NotGeoreferencedWarning

#: The Jiaokou zone CRS (CGCS2000 / 3-degree Gauss-Krüger CM 111E).
ZONE_CRS = "EPSG:4546"
#: A point inside the zone, in ZONE_CRS metres (near 111.5°E, 37.0°N).
ZONE_X0, ZONE_Y0 = 544_000.0, 4_095_000.0


def north_up(left: float, top: float, res: float, res_y: float | None = None) -> Affine:
    """A north-up transform with its upper-left corner at (left, top) and cell size ``res``."""
    return Affine(res, 0.0, left, 0.0, -(res if res_y is None else res_y), top)


def cell_centres(transform: Affine, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """(X, Y) arrays of cell-centre coordinates for a grid of ``shape`` (rows, cols)."""
    rows, cols = shape
    c, r = np.meshgrid(np.arange(cols) + 0.5, np.arange(rows) + 0.5)
    x = transform.c + c * transform.a + r * transform.b
    y = transform.f + c * transform.d + r * transform.e
    return x, y


def plane(a: float, b: float, shape: tuple[int, int], transform: Affine, c: float = 1000.0) -> np.ndarray:
    """Elevations z = c + a·(x − x0) + b·(y − y0) at cell centres (x0, y0: the upper-left corner)."""
    x, y = cell_centres(transform, shape)
    return (c + a * (x - transform.c) + b * (y - transform.f)).astype(np.float32)


def write_raster(
    path: Path,
    array: np.ndarray,
    *,
    transform: Affine | None,
    crs: str | None = ZONE_CRS,
    nodata: float | None = -9999.0,
    driver: str = "GTiff",
    **creation: object,
) -> Path:
    """Write a 2-D (or 3-D bands-first) ``array`` to ``path`` and return ``path``.

    ``crs=None`` writes a raster without CRS; ``transform=None`` one without geotransform.
    Extra keyword arguments are GDAL creation options or profile keys (``tiled``, ``sparse_ok``…).
    """
    data = array if array.ndim == 3 else array[np.newaxis]
    profile: dict[str, object] = dict(
        driver=driver,
        width=data.shape[2],
        height=data.shape[1],
        count=data.shape[0],
        dtype=data.dtype,
        nodata=nodata,
    )
    if crs is not None:
        profile["crs"] = crs
    if transform is not None:
        profile["transform"] = transform
    profile.update(creation)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)  # transform=None on purpose
        with rasterio.open(path, "w", **profile) as dst:
            dst.write(data)
    return path


def write_vrt(path: Path, target: Path) -> Path:
    """Write a GDAL VRT at ``path`` (any name, e.g. ``evil.tif``) that points at ``target``."""
    with rasterio.open(target) as src:
        rows, cols, dtype = src.height, src.width, src.dtypes[0]
        gt = src.transform.to_gdal()
        wkt = src.crs.to_wkt() if src.crs else ""
    vrt_type = {"float32": "Float32", "float64": "Float64", "int16": "Int16", "uint8": "Byte"}[dtype]
    path.write_text(
        f"""<VRTDataset rasterXSize="{cols}" rasterYSize="{rows}">
  <SRS>{wkt}</SRS>
  <GeoTransform>{", ".join(repr(v) for v in gt)}</GeoTransform>
  <VRTRasterBand dataType="{vrt_type}" band="1">
    <SimpleSource>
      <SourceFilename relativeToVRT="0">{target}</SourceFilename>
      <SourceBand>1</SourceBand>
    </SimpleSource>
  </VRTRasterBand>
</VRTDataset>
""",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def make_raster(tmp_path: Path) -> Callable[..., Path]:
    """Factory fixture: ``make_raster(array, transform=…, crs=…, nodata=…, name="dem.tif")``."""
    counter = iter(range(1_000_000))

    def _make(array: np.ndarray, *, name: str | None = None, **kwargs: object) -> Path:
        path = tmp_path / (name or f"raster_{next(counter)}.tif")
        return write_raster(path, array, **kwargs)  # type: ignore[arg-type]

    return _make
