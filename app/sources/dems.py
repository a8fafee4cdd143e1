"""DEMs given for a zone, made ready for slope: as they are, or mosaicked into the zone's CRS.

A DEM already in the zone's CRS is used as it is (one per park is fine). DEMs in any other CRS
— public tiles in EPSG:4326 above all — are mosaicked per CRS and reprojected to the zone's CRS
at a resolution the user sees (:func:`gis.dem_tiles.mosaic_dem`), then written as one GeoTIFF:
next to the zone file for an import (the database keeps its path), into a temporary folder for
a score run. :func:`plan_dems` decides and reads; :func:`write_planned` writes;
:func:`prepared_dem_paths` does both for the length of a ``with`` block.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from pyproj import CRS

from gis.dem_tiles import DemReport, mosaic_dem
from gis.raster import Grid, open_geotiff, write_float_geotiff


@dataclass
class DemMosaic:
    """DEM tiles of one CRS mosaicked into the zone CRS: the grid, its report, where it goes."""

    tiles: list[Path]
    grid: Grid
    report: DemReport
    out: Path | None = None


@dataclass
class DemPlan:
    """The zone's DEMs: those used as they are (``as_is``) and the mosaics to write."""

    as_is: list[Path] = field(default_factory=list)
    mosaics: list[DemMosaic] = field(default_factory=list)

    def paths(self) -> list[Path]:
        """Every DEM file the zone uses once the mosaics are written."""
        return self.as_is + [m.out for m in self.mosaics if m.out is not None]


def _crs_key(path: Path) -> tuple[str, bool]:
    with open_geotiff(path) as src:
        return src.crs.to_wkt(), bool(src.crs.is_geographic)


def plan_dems(
    paths: Sequence[str | Path],
    zone_crs: str,
    *,
    resolution: float | None = None,
    clip: tuple[float, float, float, float] | None = None,
) -> DemPlan:
    """Sort the DEMs into those used as they are and mosaics (one per foreign CRS, read and
    reprojected now). Raises the errors of :func:`gis.dem_tiles.mosaic_dem`."""
    zone = CRS.from_user_input(zone_crs)
    plan = DemPlan()
    groups: dict[str, list[Path]] = {}
    for p in map(Path, paths):
        wkt, _ = _crs_key(p)
        if CRS.from_wkt(wkt) == zone:
            plan.as_is.append(p)
        else:
            groups.setdefault(wkt, []).append(p)
    for tiles in groups.values():
        grid, report = mosaic_dem(tiles, zone_crs, resolution=resolution, clip=clip)
        plan.mosaics.append(DemMosaic(tiles, grid, report))
    return plan


def mosaic_name(zone_id: str, mosaic: DemMosaic) -> str:
    """The file name of a mosaic, ``<zone>_dem_<EPSG code>_<resolution>m_<digest>.tif``; the
    digest of its cells and grid keeps a different mosaic from overwriting one a database
    already refers to."""
    code = mosaic.report.target_crs.replace("EPSG:", "")
    res = f"{mosaic.report.resolution_m:g}".replace(".", "p")
    digest = hashlib.sha256(mosaic.grid.values.tobytes() + repr(tuple(mosaic.grid.transform)).encode())
    return f"{zone_id}_dem_{code}_{res}m_{digest.hexdigest()[:8]}.tif"


def write_planned(plan: DemPlan, folder: Path, zone_id: str) -> list[Path]:
    """Write the plan's mosaics into ``folder`` (created) and return the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for m in plan.mosaics:
        m.out = folder / mosaic_name(zone_id, m)
        write_float_geotiff(m.out, m.grid.values, m.grid.transform, m.grid.crs)
        written.append(m.out)
    return written


@contextmanager
def prepared_dem_paths(
    paths: Sequence[str | Path],
    zone_crs: str,
    *,
    resolution: float | None = None,
    clip: tuple[float, float, float, float] | None = None,
) -> Iterator[tuple[list[Path], list[str]]]:
    """Yield the DEM paths to measure on — mosaics written into a temporary folder, removed
    when the block ends — and notes saying what was mosaicked and how."""
    plan = plan_dems(paths, zone_crs, resolution=resolution, clip=clip)
    if not plan.mosaics:
        yield plan.as_is, []
        return
    with tempfile.TemporaryDirectory(prefix="parksite-dem-") as tmp:
        write_planned(plan, Path(tmp), "score")
        notes = [line for m in plan.mosaics for line in m.report.lines()]
        yield plan.paths(), notes
