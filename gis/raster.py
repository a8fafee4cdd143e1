"""Opening, validating, reading, reprojecting and writing DEM rasters.

Only local GeoTIFF files are accepted: a remote path (``/vsicurl/``, ``http:`` …), a VRT (even
one named ``.tif``) or any other format is refused before GDAL reads pixels, and so is a raster
with no CRS, a rotated geotransform, or more cells than a limit (checked from the header).

Slope and earthwork need horizontal coordinates in metres. :func:`read_dem` therefore **refuses**
a DEM in a geographic CRS (degrees) or in a projected CRS whose unit is not the metre, with a
:class:`~gis.errors.CRSError` that says how to fix it — unless a target CRS is given, in which case
the DEM is **reprojected** first with ``rasterio.warp`` (see :func:`reproject_dem`); e.g.
``read_dem(path, dst_crs="EPSG:4546")`` for the Jiaokou zone. Elevations are assumed to be metres.

In memory a DEM is a :class:`Grid`: a float32 array with NaN where there is no data, normalised
to north-up (row 0 is the northern edge, ``dy < 0``) and west-to-east columns.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from rasterio.crs import CRS
from rasterio.enums import MaskFlags, Resampling
from rasterio.errors import CRSError as RasterioCRSError
from rasterio.errors import NotGeoreferencedWarning, RasterioIOError
from rasterio.warp import calculate_default_transform, reproject
from rasterio.windows import Window

from gis.errors import CRSError, InputFileError, LimitExceededError, MissingCRSError
from gis.messages import msg

#: Default ceiling on width × height × bands of a raster we agree to open (400 M cells,
#: e.g. 20 000 × 20 000; a float32 band of that size is 1.6 GB).
DEFAULT_MAX_CELLS: int = 400_000_000

#: Nodata value written to float32 GeoTIFFs (the same as ``gdaldem``'s).
NODATA: float = -9999.0

# "http:", "s3:", "GTIFF_DIR:", "/vsicurl/…" — anything GDAL would not read as a plain local file.
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+._-]*:")
_TIFF_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")


@dataclass(frozen=True, eq=False)
class Grid:
    """A single-band raster in memory.

    ``values`` is a 2-D float32 array with NaN where there is no data; ``transform`` is north-up
    and axis-aligned (``transform.a > 0``, ``transform.e < 0``); ``source`` names the file (or
    what the grid was derived from) for error messages.
    """

    values: np.ndarray
    transform: Affine
    crs: CRS
    source: str

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns)."""
        return self.values.shape  # type: ignore[return-value]

    @property
    def dx(self) -> float:
        """Cell width in CRS units (> 0)."""
        return float(self.transform.a)

    @property
    def dy(self) -> float:
        """Signed cell height in CRS units (< 0: rows run north to south)."""
        return float(self.transform.e)

    @property
    def cell_area(self) -> float:
        """Cell area in CRS units squared (m² for a metric CRS)."""
        return abs(self.dx * self.dy)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(left, bottom, right, top) in CRS units."""
        rows, cols = self.shape
        left, top = self.transform.c, self.transform.f
        return (left, top + rows * self.dy, left + cols * self.dx, top)


def check_local_path(path: str | Path, *, must_exist: bool = True) -> Path:
    """Return ``path`` as a :class:`Path` after refusing remote and GDAL-virtual paths.

    Raises :class:`InputFileError` for ``/vsi…/`` paths, URLs and ``DRIVER:`` connection strings,
    and (with ``must_exist``) for a path that is not an existing regular file.
    """
    text = str(path)
    if text.lower().startswith("/vsi") or _SCHEME.match(text) or "://" in text:
        raise InputFileError(
            "remote or GDAL-virtual paths are not accepted",
            where=text,
            hint="download the file and pass a local path",
            msg=msg("error.file.remote"),
        )
    p = Path(text)
    if must_exist:
        if not p.exists():
            raise InputFileError(
                "file not found", where=text, hint="check the path", msg=msg("error.file.not_found")
            )
        if not p.is_file():
            raise InputFileError(
                "not a regular file",
                where=text,
                hint="pass a GeoTIFF file",
                msg=msg("error.raster.not_a_file"),
            )
    return p


def _check_tiff_magic(p: Path) -> None:
    try:
        with p.open("rb") as fh:
            head = fh.read(64)
    except OSError as exc:
        raise InputFileError(
            f"cannot read file: {exc.strerror}",
            where=str(p),
            msg=msg("error.file.cannot_read", detail=str(exc.strerror)),
        ) from exc
    if head[:4] in _TIFF_MAGIC:
        return
    what = "a GDAL VRT (XML)" if b"<VRTDataset" in head else "not a TIFF file"
    raise InputFileError(
        f"not a GeoTIFF: the file is {what}",
        where=str(p),
        hint="only GeoTIFF DEMs are accepted; convert with gdal_translate -of GTiff",
        msg=msg(
            "error.raster.not_geotiff",
            what=msg("error.raster.is_vrt") if b"<VRTDataset" in head else msg("error.raster.not_tiff"),
        ),
    )


def open_geotiff(path: str | Path, *, max_cells: int = DEFAULT_MAX_CELLS) -> rasterio.DatasetReader:
    """Open a local GeoTIFF after checking it from its header, and return the open dataset.

    Checks, in order: local path, existing file, TIFF magic bytes, GDAL driver ``GTiff`` (no other
    driver is allowed to open it), a CRS, an axis-aligned geotransform, and
    ``width × height × bands <= max_cells``. No pixel is read. The caller closes the dataset
    (use it as a context manager).

    Raises :class:`InputFileError`, :class:`MissingCRSError` or :class:`LimitExceededError`.
    """
    p = check_local_path(path)
    _check_tiff_magic(p)
    try:
        with warnings.catch_warnings():
            # A missing geotransform is reported below as an InputFileError.
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            # NUM_THREADS: decompress tiles on all cores (a deflate 5000² DEM reads 2–3× faster).
            src = rasterio.open(p, driver="GTiff", num_threads="ALL_CPUS")
    except RasterioIOError as exc:
        raise InputFileError(
            f"GDAL cannot open it as a GeoTIFF: {exc}",
            where=str(p),
            msg=msg("error.raster.gdal_cannot_open", detail=str(exc)),
        ) from exc
    try:
        if src.driver != "GTiff":
            raise InputFileError(
                f"opened by GDAL driver {src.driver}, not GTiff",
                where=str(p),
                msg=msg("error.raster.wrong_driver", driver=src.driver),
            )
        if src.crs is None or not src.crs.to_wkt():
            raise MissingCRSError(
                "the raster has no CRS",
                where=str(p),
                hint="assign the right one (e.g. gdal_edit.py -a_srs EPSG:4546); parksite never guesses",
                msg=msg("error.raster.no_crs"),
            )
        t = src.transform
        if t.b != 0 or t.d != 0:
            raise InputFileError(
                "rotated or sheared geotransform",
                where=str(p),
                hint="warp it to a north-up grid (gdalwarp)",
                msg=msg("error.raster.rotated"),
            )
        if t == Affine.identity():
            raise InputFileError(
                "the raster has no geotransform",
                where=str(p),
                hint="georeference it",
                msg=msg("error.raster.no_geotransform"),
            )
        cells = src.width * src.height * src.count
        if cells > max_cells:
            raise LimitExceededError(
                f"{src.width} × {src.height} × {src.count} band(s) = {cells:,} cells exceeds the "
                f"limit of {max_cells:,}",
                where=str(p),
                hint="clip the DEM to the zone or raise the limit",
                msg=msg(
                    "error.raster.too_many_cells",
                    size=f"{src.width} × {src.height} × {src.count}",
                    cells=f"{cells:,}",
                    limit=f"{max_cells:,}",
                ),
            )
    except Exception:
        src.close()
        raise
    return src


def require_metric_crs(crs: CRS, where: str) -> None:
    """Raise :class:`CRSError` unless ``crs`` is projected with metre units."""
    if crs.is_geographic:
        raise CRSError(
            f"the CRS {_crs_name(crs)} is geographic (degrees); slope and volumes need metres",
            where=where,
            hint="reproject to the zone's projected CRS first, e.g. read_dem(path, dst_crs='EPSG:4546') "
            "or `parksite slope DEM OUT --to-crs EPSG:4546`",
            msg=msg("error.raster.geographic", crs=_crs_name(crs)),
        )
    try:
        unit, factor = crs.linear_units_factor
    except RasterioCRSError as exc:
        raise CRSError(
            f"the CRS {_crs_name(crs)} has no linear unit",
            where=where,
            msg=msg("error.raster.no_linear_unit", crs=_crs_name(crs)),
        ) from exc
    if not np.isclose(factor, 1.0):
        raise CRSError(
            f"the CRS {_crs_name(crs)} is in {unit}, not metres",
            where=where,
            hint="reproject to a metric CRS (e.g. EPSG:4546)",
            msg=msg("error.raster.not_metres", crs=_crs_name(crs), unit=unit),
        )


def _crs_name(crs: CRS) -> str:
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else repr(crs.to_string()[:60])


def read_band(src: rasterio.DatasetReader, band: int, window: Window | None = None) -> np.ndarray:
    """Band ``band`` (or its ``window``) as float32 with NaN where there is no data."""
    if not 1 <= band <= src.count:
        raise InputFileError(
            f"band {band} does not exist ({src.count} band(s))",
            where=src.name,
            msg=msg("error.raster.no_band", band=band, count=src.count),
        )
    dtype = np.dtype(src.dtypes[band - 1])
    if dtype.kind not in "iuf":
        raise InputFileError(
            f"band {band} has data type {dtype}, not a number",
            where=src.name,
            msg=msg("error.raster.band_type", band=band, dtype=str(dtype)),
        )
    raw = src.read(band, window=window)
    out = raw.astype(np.float32, copy=False)  # the same array when the DEM is float32
    flags = src.mask_flag_enums[band - 1]
    if MaskFlags.all_valid in flags:
        return out
    if MaskFlags.nodata in flags:
        # Compare in the band's own type, where the nodata value is exact.
        nodata = np.asarray(src.nodatavals[band - 1]).astype(dtype)
        if np.isnan(nodata):
            return out
        invalid = raw == nodata
    else:  # an internal mask band or alpha: ask GDAL
        invalid = src.read_masks(band, window=window) == 0
    out[invalid] = np.nan
    return out


def _north_up(values: np.ndarray, t: Affine) -> tuple[np.ndarray, Affine]:
    rows, cols = values.shape
    if t.e > 0:  # south-up: flip rows so row 0 is the northern edge
        values = values[::-1]
        t = Affine(t.a, 0.0, t.c, 0.0, -t.e, t.f + t.e * rows)
    if t.a < 0:  # east-to-west columns
        values = values[:, ::-1]
        t = Affine(-t.a, 0.0, t.c + t.a * cols, 0.0, t.e, t.f)
    return np.ascontiguousarray(values), t


def read_grid(path: str | Path, *, band: int = 1, max_cells: int = DEFAULT_MAX_CELLS) -> Grid:
    """Read one band of a validated GeoTIFF (see :func:`open_geotiff`) into a north-up :class:`Grid`.

    Nodata cells (the nodata value, the GeoTIFF mask, NaN) become NaN. The CRS is not checked for
    units: use :func:`read_dem` for elevations.
    """
    with open_geotiff(path, max_cells=max_cells) as src:
        values = read_band(src, band)
        values, t = _north_up(values, src.transform)
        return Grid(values=values, transform=t, crs=src.crs, source=str(path))


def reproject_grid(
    grid: Grid,
    dst_crs: str | CRS,
    *,
    resolution: float | None = None,
    resampling: Resampling = Resampling.bilinear,
    max_cells: int = DEFAULT_MAX_CELLS,
) -> Grid:
    """Return ``grid`` warped to ``dst_crs`` with ``rasterio.warp.reproject``.

    ``resolution`` is the square output cell size in ``dst_crs`` units (default: GDAL's choice,
    which keeps about the same number of cells). Cells with no source data are NaN. Raises
    :class:`CRSError` for an unknown ``dst_crs`` and :class:`LimitExceededError` if the output
    grid would exceed ``max_cells``.
    """
    try:
        dst = CRS.from_user_input(dst_crs)
    except RasterioCRSError as exc:
        raise CRSError(
            f"unknown target CRS {dst_crs!r}",
            hint="use e.g. EPSG:4546",
            msg=msg("error.raster.unknown_target_crs", crs=repr(dst_crs)),
        ) from exc
    rows, cols = grid.shape
    left, bottom, right, top = grid.bounds
    res = None if resolution is None else (resolution, resolution)
    with warnings.catch_warnings():
        # rasterio's own use of Affine `*` (rasterio 1.4.4): not ours to fix, and noise in tests.
        warnings.filterwarnings("ignore", category=PendingDeprecationWarning, module="rasterio")
        t, width, height = calculate_default_transform(
            grid.crs, dst, cols, rows, left, bottom, right, top, resolution=res
        )
    if width * height > max_cells:
        raise LimitExceededError(
            f"reprojected grid would be {width} × {height} = {width * height:,} cells, over the "
            f"limit of {max_cells:,}",
            where=grid.source,
            hint="choose a coarser resolution",
            msg=msg(
                "error.raster.reprojected_too_large",
                size=f"{width} × {height}",
                cells=f"{width * height:,}",
                limit=f"{max_cells:,}",
            ),
        )
    out = np.full((height, width), np.nan, dtype=np.float32)
    reproject(
        source=grid.values,
        destination=out,
        src_transform=grid.transform,
        src_crs=grid.crs,
        src_nodata=np.nan,
        dst_transform=t,
        dst_crs=dst,
        dst_nodata=np.nan,
        resampling=resampling,
        # Plain bilinear weights (no kernel widening when the cell size changes) and the exact
        # transformer: then a planar DEM stays planar, and slopes survive reprojection.
        XSCALE=1,
        YSCALE=1,
        tolerance=0.0,
    )
    out, t = _north_up(out, t)
    return Grid(values=out, transform=t, crs=dst, source=f"{grid.source} (reprojected to {_crs_name(dst)})")


def reproject_dem(
    path: str | Path,
    dst_crs: str | CRS,
    *,
    resolution: float | None = None,
    resampling: Resampling = Resampling.bilinear,
    max_cells: int = DEFAULT_MAX_CELLS,
) -> Grid:
    """Read the DEM at ``path`` and return it reprojected to ``dst_crs`` (a projected CRS in metres).

    Bilinear resampling by default (exact for planar terrain). See :func:`reproject_grid`.
    """
    grid = read_grid(path, max_cells=max_cells)
    dst = (
        grid
        if _same_crs(grid.crs, dst_crs) and resolution is None
        else reproject_grid(grid, dst_crs, resolution=resolution, resampling=resampling, max_cells=max_cells)
    )
    require_metric_crs(dst.crs, f"{path} → {dst_crs}")
    return dst


def _same_crs(a: CRS, b: str | CRS) -> bool:
    try:
        return a == CRS.from_user_input(b)
    except RasterioCRSError:
        return False


def read_dem(
    path: str | Path,
    *,
    max_cells: int = DEFAULT_MAX_CELLS,
    band: int = 1,
    dst_crs: str | CRS | None = None,
    resolution: float | None = None,
) -> Grid:
    """Read a DEM (elevations in metres) into a north-up float32 :class:`Grid`, NaN = nodata.

    Without ``dst_crs`` the DEM must already be in a projected CRS in metres: a geographic DEM
    is **refused** with :class:`CRSError` (so is a non-metre projected CRS). With ``dst_crs`` the
    DEM is reprojected to it (bilinear, ``resolution`` metres) when its CRS differs.
    Raises the errors of :func:`open_geotiff` for a bad file.
    """
    if dst_crs is not None:
        if band != 1:
            raise InputFileError(
                "reprojection reads band 1 only", where=str(path), msg=msg("error.raster.band1_only")
            )
        return reproject_dem(path, dst_crs, resolution=resolution, max_cells=max_cells)
    grid = read_grid(path, band=band, max_cells=max_cells)
    require_metric_crs(grid.crs, str(path))
    return grid


def write_float_geotiff(
    path: str | Path,
    values: np.ndarray,
    transform: Affine,
    crs: CRS,
    *,
    nodata: float = NODATA,
) -> Path:
    """Write ``values`` (NaN = no data) as a float32, deflate-compressed, tiled GeoTIFF.

    NaN cells are written as ``nodata``. Returns the path written. Raises
    :class:`InputFileError` for a remote path or a missing output directory.
    """
    p = check_local_path(path, must_exist=False)
    if not p.parent.is_dir():
        raise InputFileError(
            "output directory does not exist", where=str(p.parent), msg=msg("error.file.no_output_dir")
        )
    data = np.where(np.isnan(values), np.float32(nodata), values).astype(np.float32, copy=False)
    rows, cols = data.shape
    profile = dict(
        driver="GTiff",
        width=cols,
        height=rows,
        count=1,
        dtype="float32",
        crs=crs,
        transform=transform,
        nodata=nodata,
        compress="deflate",
        predictor=3,
        tiled=True,
        blockxsize=256,
        blockysize=256,
        BIGTIFF="IF_SAFER",
    )
    if rows < 256 or cols < 256:
        profile.update(tiled=False)
        del profile["blockxsize"], profile["blockysize"]
    try:
        with rasterio.open(p, "w", **profile) as dst:
            dst.write(data, 1)
    except RasterioIOError as exc:
        raise InputFileError(
            f"cannot write GeoTIFF: {exc}",
            where=str(p),
            msg=msg("error.raster.cannot_write", detail=str(exc)),
        ) from exc
    return p
