"""A zone file's layers GeoPackage and DEMs, read into a :class:`scoring.context.ZoneContext`.

:func:`load_zone_context` reads the zone's GeoPackage (``data.layers``: parks, roads, rivers,
substations, water, places) and DEMs (``data.dems``), or the files given instead;
:func:`read_zone_layers` reads the layers alone, :func:`dem_extents` the DEMs' extents from
their headers.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import pyogrio
from pyproj import CRS
from rasterio.warp import transform_bounds

from app.sources.dems import prepared_dem_paths
from gis.crs import parse_crs
from gis.errors import ConfigError, InputFileError
from gis.layers import read_layer
from gis.messages import msg
from gis.raster import DEFAULT_MAX_CELLS, open_geotiff
from scoring.context import ZONE_LAYERS, Note, ZoneContext, layer_report_notes
from scoring.zone import ZoneConfig, load_zone, zone_data_path


def zone_layers_path(zone_file: str | Path, zone: ZoneConfig) -> Path:
    """Return the zone's GeoPackage (``data.layers`` resolved against the zone file)."""
    if not zone.data.layers:
        raise ConfigError(
            "the zone file names no layers GeoPackage (data.layers)",
            where=str(zone_file),
            hint="add data.layers to the zone file, or pass --layers GPKG",
            msg=msg("error.pipeline.no_layers"),
        )
    return zone_data_path(zone_file, zone.data.layers)


def read_zone_layers(
    gpkg: str | Path, zone: ZoneConfig
) -> tuple[dict[str, gpd.GeoDataFrame | None], list[Note]]:
    """Read the ``ZONE_LAYERS`` from a GeoPackage into the zone CRS.

    Returns the layers (None for a layer the file lacks) and notes (absent layers,
    reprojection, repairs). Raises the errors of :func:`gis.layers.read_layer`: a missing file,
    a layer without CRS or without a required field, bad geometry.
    """
    path = Path(gpkg)
    if not path.is_file():
        raise InputFileError(
            "zone layers GeoPackage not found",
            where=str(path),
            hint="check data.layers in the zone file or the --layers path",
            msg=msg("error.pipeline.layers_not_found"),
        )
    try:
        present = {str(n) for n, _ in pyogrio.list_layers(path)}
    except Exception as exc:  # pyogrio raises DataSourceError for a file GDAL cannot open
        raise InputFileError(
            f"cannot be read as a GeoPackage ({exc})",
            where=str(path),
            hint="give the zone's GeoPackage (.gpkg)",
            msg=msg("error.file.not_gpkg", detail=str(exc)),
        ) from exc
    layers: dict[str, gpd.GeoDataFrame | None] = {}
    notes: list[Note] = []
    for name, spec in ZONE_LAYERS.items():
        if name not in present:
            layers[name] = None
            notes.append(msg("note.gpkg_no_layer", path=path.name, layer=name))
            continue
        gdf, report = read_layer(
            path, name, target_crs=zone.zone.crs, geometry=spec.geometry, required=spec.required
        )
        layers[name] = gdf
        notes += layer_report_notes(report)
    return layers, notes


def dem_extents(
    dem_paths: Sequence[str | Path], crs: CRS
) -> list[tuple[str, tuple[float, float, float, float]]]:
    """Return ``(file name, (left, bottom, right, top))`` of each DEM in ``crs``, from the
    GeoTIFF headers alone (no pixel read). Raises the errors of :func:`gis.raster.open_geotiff`
    (missing file, not a GeoTIFF, no CRS, too many cells)."""
    out = []
    for p in dem_paths:
        with open_geotiff(p) as src:
            b = src.bounds
            bounds = (
                transform_bounds(src.crs, crs.to_wkt(), *b)
                if CRS.from_user_input(src.crs.to_wkt()) != crs
                else tuple(b)
            )
        left, bottom, right, top = (float(v) for v in bounds)
        out.append((Path(p).name, (left, bottom, right, top)))
    return out


def load_zone_context(
    zone_file: str | Path,
    *,
    layers_path: str | Path | None = None,
    dem_paths: Sequence[str | Path] | None = None,
    zone: ZoneConfig | None = None,
    max_cells: int = DEFAULT_MAX_CELLS,
    dem_resolution: float | None = None,
    dem_clip: tuple[float, float, float, float] | None = None,
    windowed: bool = False,
) -> ZoneContext:
    """Load a zone file's context: its layers (``data.layers``, or ``layers_path``) and DEMs
    (``data.dems``, or ``dem_paths``). DEMs outside the zone CRS (public tiles in EPSG:4326)
    are mosaicked and reprojected at ``dem_resolution`` metres over ``dem_clip`` (zone CRS
    bounds) first (:func:`app.sources.dems.prepared_dem_paths`). With ``windowed`` no DEM is
    read (they must be in the zone CRS): partitions read their windows later
    (:mod:`scoring.partitioned`). See :meth:`ZoneContext.build` for what is checked."""
    zone_file = Path(zone_file)
    zone = zone if zone is not None else load_zone(zone_file)
    gpkg = Path(layers_path) if layers_path is not None else zone_layers_path(zone_file, zone)
    dems = list(dem_paths) if dem_paths else [zone_data_path(zone_file, d) for d in zone.data.dems]
    if not dems:
        raise InputFileError(
            "no DEM to measure slope and earthwork on",
            where=f"{zone_file} data.dems",
            hint="list the zone's DEMs under data.dems in the zone file, or pass --dem DEM.tif",
            msg=msg("error.pipeline.no_dem"),
        )
    dem_extents(
        dems, parse_crs(zone.zone.crs, where="zone.crs")
    )  # a bad DEM fails before the layers are read
    layers, notes = read_zone_layers(gpkg, zone)
    if windowed:
        return ZoneContext.build(
            zone,
            layers,
            dems,
            zone_file=zone_file,
            notes=notes,
            max_cells=max_cells,
            check_layers=False,
            windowed=True,
        )
    with prepared_dem_paths(dems, zone.zone.crs, resolution=dem_resolution, clip=dem_clip) as (
        ready,
        dem_notes,
    ):
        return ZoneContext.build(
            zone,
            layers,
            ready,
            zone_file=zone_file,
            notes=notes + dem_notes,
            max_cells=max_cells,
            check_layers=False,
        )
