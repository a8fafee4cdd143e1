"""Public DEM tiles (ASTER GDEM, SRTM, Copernicus GLO-30) made into one DEM in the zone's CRS.

Public DEMs come as tiles in geographic coordinates (EPSG:4326, about 1″ ≈ 30 m), several of
them across one zone. Slope needs metres, and slope across a tile edge needs both tiles, so
:func:`mosaic_dem`:

1. checks every tile from its header (:func:`gis.raster.open_geotiff`: local GeoTIFF, a CRS, a
   size limit), that the tiles share one CRS, and that their band is not in feet;
2. mosaics them with ``rasterio.merge.merge`` (clipped to the area the caller needs, in the
   tiles' CRS), each tile's own no-data value honoured;
3. checks the elevations: a value such as −32768 that fills cells without being declared no
   data is refused (declare it), and so is any elevation outside −450 … 8 900 m (feet, a
   scale, or garbage — not terrain on Earth);
4. reprojects the mosaic to the zone's CRS (:func:`gis.raster.reproject_grid`, bilinear) at a
   resolution the caller gives, else one computed from the tiles' cell size in metres at the
   mosaic's centre (the square root of the cell's east–west × north–south metres, rounded),
   and reports it with the transformation used (:class:`DemReport`).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import rasterio
import rasterio.merge
from pyproj import CRS as ProjCRS
from pyproj import Geod
from rasterio.crs import CRS
from rasterio.warp import transform_bounds

from gis.crs_suggest import TransformInfo, transformation
from gis.errors import CRSError, InputFileError, LimitExceededError, NoOverlapError
from gis.messages import msg
from gis.raster import DEFAULT_MAX_CELLS, Grid, open_geotiff, reproject_grid, require_metric_crs

#: Elevations (metres) outside this range are not terrain on Earth (Dead Sea shore, Everest).
ELEVATION_RANGE_M: tuple[float, float] = (-450.0, 8_900.0)

#: Values public DEMs use for "no data"; found in cells without being declared, they are refused.
NODATA_SENTINELS: tuple[float, ...] = (-32768.0, -32767.0, -9999.0, 32767.0, -3.4028234663852886e38)

#: Band unit names that mean feet.
FEET_UNITS = frozenset({"ft", "foot", "feet", "us-ft", "ftus", "us survey foot", "international foot"})

_GEOD = Geod(ellps="WGS84")


@dataclass(frozen=True)
class DemTile:
    """One input DEM from its header: path, CRS, size, cell size (CRS units), bounds, no data."""

    path: Path
    crs: str
    width: int
    height: int
    cell_x: float
    cell_y: float
    bounds: tuple[float, float, float, float]
    nodata: float | None
    used: bool = True


@dataclass
class DemReport:
    """What making the DEM did: the tiles, their CRS and cell size (also in metres), the
    resolution and CRS of the result, the transformation, the elevation range and no-data share.
    ``resolution_given`` says whether the caller chose the resolution."""

    tiles: list[DemTile]
    source_crs: str
    geographic: bool
    cell_m: tuple[float, float]
    centre_lat: float
    target_crs: str
    resolution_m: float
    resolution_given: bool
    transformation: TransformInfo
    shape: tuple[int, int] = (0, 0)
    elevation_m: tuple[float, float] = (math.nan, math.nan)
    nodata_share: float = 0.0
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """Return the report as English lines."""
        used = [t for t in self.tiles if t.used]
        t0 = used[0] if used else self.tiles[0]
        if self.geographic:
            cell = (
                f"{t0.cell_x * 3600:.2f}″ × {t0.cell_y * 3600:.2f}″ ≈ {self.cell_m[0]:.1f} m × "
                f"{self.cell_m[1]:.1f} m at {self.centre_lat:.2f}°N"
            )
        else:
            cell = f"{self.cell_m[0]:.1f} m × {self.cell_m[1]:.1f} m"
        how = (
            "as given" if self.resolution_given else "from the tiles' cell size; --dem-resolution changes it"
        )
        out = [
            f"{len(used)} DEM tile(s) in {self.source_crs} (cells {cell}) mosaicked"
            + (
                f" ({len(self.tiles) - len(used)} outside the area left out)"
                if len(used) < len(self.tiles)
                else ""
            ),
            f"reprojected to {self.target_crs} at {self.resolution_m:g} m cells, bilinear ({how}): "
            f"{self.shape[1]} × {self.shape[0]} cells",
            self.transformation.describe(),
            f"elevations {self.elevation_m[0]:,.1f} … {self.elevation_m[1]:,.1f} m; "
            f"{self.nodata_share:.1%} of cells without data",
        ]
        return out + self.notes


def _tile(path: Path, max_cells: int) -> tuple[DemTile, CRS, str | None, float, float]:
    with open_geotiff(path, max_cells=max_cells) as src:
        dtype = np.dtype(src.dtypes[0])
        if dtype.kind not in "iuf":
            raise InputFileError(
                f"band 1 has data type {dtype}, not a number",
                where=str(path),
                msg=msg("error.dem.not_numeric", dtype=str(dtype)),
            )
        t = src.transform
        tile = DemTile(
            path=path,
            crs=_label(src.crs),
            width=src.width,
            height=src.height,
            cell_x=abs(float(t.a)),
            cell_y=abs(float(t.e)),
            bounds=tuple(float(v) for v in src.bounds),  # type: ignore[arg-type]
            nodata=None if src.nodata is None else float(src.nodata),
        )
        unit = (src.units[0] or "").strip().lower() if src.units else ""
        return tile, src.crs, unit or None, float(src.scales[0]), float(src.offsets[0])


def _label(crs: CRS) -> str:
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.to_string()[:60]


def cell_size_m(crs: CRS, cell_x: float, cell_y: float, lon: float, lat: float) -> tuple[float, float]:
    """Return a cell's (east–west, north–south) size in metres at (lon, lat) (degrees): measured
    on the WGS 84 ellipsoid for a geographic CRS, the cell size itself for a metric one."""
    if crs.is_geographic:
        _, _, dx = _GEOD.inv(lon, lat, lon + cell_x, lat)
        _, _, dy = _GEOD.inv(lon, lat, lon, lat + cell_y)
        return float(dx), float(dy)
    require_metric_crs(crs, "DEM tiles")
    return cell_x, cell_y


def default_resolution(cell_m: tuple[float, float]) -> float:
    """The resolution (m) a DEM is reprojected to by default: √(east–west × north–south) of its
    cells, rounded to whole metres (at least 1)."""
    return float(max(1, round(math.sqrt(cell_m[0] * cell_m[1]))))


def check_elevations(values: np.ndarray, *, where: str, declared_nodata: Sequence[float | None]) -> None:
    """Refuse elevations that are not metres of terrain: undeclared no-data sentinels in cells
    (InputFileError naming the value and the fix) or values outside :data:`ELEVATION_RANGE_M`."""
    valid = values[np.isfinite(values)]
    if valid.size == 0:
        raise NoOverlapError(
            "has no elevation in the area needed",
            where=where,
            hint="give the tiles covering the zone",
            msg=msg("error.dem.no_elevation"),
        )
    for s in NODATA_SENTINELS:
        if any(d is not None and np.isclose(d, s) for d in declared_nodata):
            continue
        n = int(np.count_nonzero(valid == np.float32(s)))
        if n:
            raise InputFileError(
                f"{n:,} cell(s) hold {s:g}, a no-data value the file does not declare",
                where=where,
                hint=f"declare it (gdal_edit.py -a_nodata {s:g} TILE.tif) and try again",
                msg=msg("error.dem.undeclared_nodata", n=f"{n:,}", value=f"{s:g}"),
            )
    lo, hi = float(valid.min()), float(valid.max())
    if lo < ELEVATION_RANGE_M[0] or hi > ELEVATION_RANGE_M[1]:
        raise InputFileError(
            f"elevations run from {lo:,.1f} to {hi:,.1f}, outside {ELEVATION_RANGE_M[0]:g} … "
            f"{ELEVATION_RANGE_M[1]:g} m: not metres of terrain (feet? a scale factor? undeclared no data?)",
            where=where,
            hint="give the DEM in metres with its no-data value declared",
            msg=msg(
                "error.dem.not_metres",
                low=f"{lo:,.1f}",
                high=f"{hi:,.1f}",
                min=f"{ELEVATION_RANGE_M[0]:g}",
                max=f"{ELEVATION_RANGE_M[1]:g}",
            ),
        )


def mosaic_dem(
    paths: Sequence[str | Path],
    dst_crs: str,
    *,
    resolution: float | None = None,
    clip: tuple[float, float, float, float] | None = None,
    margin_m: float = 500.0,
    max_cells: int = DEFAULT_MAX_CELLS,
) -> tuple[Grid, DemReport]:
    """Mosaic the DEM tiles at ``paths`` and reproject them to ``dst_crs`` (see the module).

    ``resolution`` is the output cell size in metres (default: :func:`default_resolution`);
    ``clip`` (left, bottom, right, top in ``dst_crs``, grown by ``margin_m``) limits the mosaic
    to the area needed, and tiles outside it are left out. Returns the DEM as a
    :class:`~gis.raster.Grid` in ``dst_crs`` (NaN = no data) and the :class:`DemReport`.
    Raises InputFileError, MissingCRSError, CRSError, LimitExceededError, NoOverlapError.
    """
    if not paths:
        raise InputFileError(
            "no DEM given",
            where="--dem",
            hint="give the DEM tiles covering the zone",
            msg=msg("error.dem.none_given"),
        )
    if resolution is not None and not (0 < resolution <= 1000):
        raise InputFileError(
            f"resolution {resolution} m is not in (0, 1000]",
            where="--dem-resolution",
            msg=msg("error.dem.resolution", resolution=resolution),
        )
    dst = CRS.from_user_input(dst_crs)
    require_metric_crs(dst, f"target CRS {dst_crs}")
    read = [_tile(Path(p), max_cells) for p in paths]
    tiles = [r[0] for r in read]
    src_crs = read[0][1]
    for (tile, crs, unit, scale, offset), path in zip(read, paths):
        if crs != src_crs:
            raise CRSError(
                f"is in {tile.crs} but {tiles[0].path.name} is in {tiles[0].crs}",
                where=str(path),
                hint="give tiles in one CRS (reproject the odd one with gdalwarp)",
                msg=msg(
                    "error.dem.mixed_crs",
                    crs=str(tile.crs),
                    other=tiles[0].path.name,
                    other_crs=str(tiles[0].crs),
                ),
            )
        if unit in FEET_UNITS:
            raise InputFileError(
                f"its elevations are in {unit}, not metres",
                where=str(path),
                hint="convert to metres (gdal_calc.py --calc='A*0.3048') and try again",
                msg=msg("error.dem.unit", unit=str(unit)),
            )
        if scale != 1.0 or offset != 0.0:
            raise InputFileError(
                f"its band has scale {scale:g} and offset {offset:g}",
                where=str(path),
                hint="write the elevations in metres (gdal_translate -unscale)",
                msg=msg("error.dem.scaled", scale=f"{scale:g}", offset=f"{offset:g}"),
            )
    area = None
    if clip is not None:
        grown = (clip[0] - margin_m, clip[1] - margin_m, clip[2] + margin_m, clip[3] + margin_m)
        area = transform_bounds(dst, src_crs, *grown, densify_pts=21)
        tiles = [
            DemTile(**{**t.__dict__, "used": _intersects(t.bounds, area)})  # type: ignore[arg-type]
            for t in tiles
        ]
        if not any(t.used for t in tiles):
            raise NoOverlapError(
                "no DEM tile covers the zone's layers",
                where=", ".join(Path(p).name for p in paths),
                hint="give the tiles that cover the zone",
                msg=msg("error.dem.no_tile_covers"),
            )
    used = [t for t in tiles if t.used]
    left = max(min(t.bounds[0] for t in used), area[0]) if area else min(t.bounds[0] for t in used)
    bottom = max(min(t.bounds[1] for t in used), area[1]) if area else min(t.bounds[1] for t in used)
    right = min(max(t.bounds[2] for t in used), area[2]) if area else max(t.bounds[2] for t in used)
    top = min(max(t.bounds[3] for t in used), area[3]) if area else max(t.bounds[3] for t in used)
    cells = (right - left) / used[0].cell_x * (top - bottom) / used[0].cell_y
    if cells > max_cells:
        raise LimitExceededError(
            f"the mosaic would be {cells:,.0f} cells, over the limit of {max_cells:,}",
            where="--dem",
            hint="give only the tiles covering the zone",
            msg=msg("error.dem.too_many_cells", cells=f"{cells:,.0f}", limit=f"{max_cells:,}"),
        )
    with ExitStack() as stack:
        srcs = [stack.enter_context(rasterio.open(t.path)) for t in used]
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=PendingDeprecationWarning, module="rasterio")
            mosaic, transform = rasterio.merge.merge(
                srcs, bounds=(left, bottom, right, top), nodata=np.nan, dtype="float32", indexes=[1]
            )
    values = mosaic[0].astype(np.float32, copy=False)
    names = ", ".join(t.path.name for t in used)
    check_elevations(values, where=names, declared_nodata=[t.nodata for t in used])
    lon, lat = _centre_lonlat(src_crs, (left, bottom, right, top))
    cell_m = cell_size_m(src_crs, used[0].cell_x, used[0].cell_y, lon, lat)
    res = float(resolution) if resolution is not None else default_resolution(cell_m)
    grid = Grid(values=values, transform=transform, crs=src_crs, source=f"mosaic of {names}")
    out = reproject_grid(grid, dst, resolution=res, max_cells=max_cells)
    valid = out.values[np.isfinite(out.values)]
    report = DemReport(
        tiles=tiles,
        source_crs=_label(src_crs),
        geographic=bool(src_crs.is_geographic),
        cell_m=cell_m,
        centre_lat=lat,
        target_crs=_label(dst),
        resolution_m=res,
        resolution_given=resolution is not None,
        transformation=transformation(ProjCRS.from_wkt(src_crs.to_wkt()), ProjCRS.from_wkt(dst.to_wkt())),
        shape=out.shape,
        elevation_m=(float(valid.min()), float(valid.max())) if valid.size else (math.nan, math.nan),
        nodata_share=1.0 - valid.size / max(out.values.size, 1),
    )
    return Grid(
        values=out.values, transform=out.transform, crs=out.crs, source=f"{names} → {report.target_crs}"
    ), report


def _intersects(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and a[2] > b[0] and a[1] < b[3] and a[3] > b[1]


def _centre_lonlat(crs: CRS, bounds: tuple[float, float, float, float]) -> tuple[float, float]:
    if crs.is_geographic:
        return (bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2
    w, s, e, n = transform_bounds(crs, "EPSG:4326", *bounds)
    return (w + e) / 2, (s + n) / 2
