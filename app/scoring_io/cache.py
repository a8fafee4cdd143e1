"""The process-wide cache of a zone's own parcels, measured and scored.

:func:`load_scored_parcels` scores the parcels of a zone file's GeoPackage (layer ``parcels``)
once per process and returns copies while the zone file, the GeoPackage and the DEMs are
unchanged. The CLI's check, recommendation and plan report read the parcels through it.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd

from app.scoring_io.parcel_files import PARCELS_LAYER, read_parcels
from app.scoring_io.zone_files import load_zone_context, zone_layers_path
from scoring.batch import score_zone_parcels
from scoring.parcels import ID_COLUMN
from scoring.zone import load_zone, zone_data_path

_CACHE: dict[Path, tuple[tuple, gpd.GeoDataFrame]] = {}
_CACHE_LOCK = threading.Lock()


def _mtimes(paths: Sequence[Path]) -> tuple:
    return tuple((str(p), p.stat().st_mtime_ns if p.exists() else None) for p in paths)


def load_scored_parcels(zone_file: Path | str) -> gpd.GeoDataFrame:
    """Return the zone's own parcels (layer ``parcels`` of ``data.layers``, ids in ``parcel_id``)
    measured and scored, as a GeoDataFrame in the zone CRS (index 0 … n − 1, columns as
    :func:`scoring.batch.score_zone_parcels`). Cached per process until the zone file, GeoPackage or a DEM
    changes (by modification time); each call returns a copy."""
    zone_file = Path(zone_file).resolve()
    zone = load_zone(zone_file)
    gpkg = zone_layers_path(zone_file, zone)
    files = [zone_file, gpkg, *(zone_data_path(zone_file, d) for d in zone.data.dems)]
    key = _mtimes(files)
    with _CACHE_LOCK:
        hit = _CACHE.get(zone_file)
        if hit is not None and hit[0] == key:
            return hit[1].copy()
        parcels, notes = read_parcels(gpkg, zone, layer=PARCELS_LAYER, id_field=ID_COLUMN)
        ctx = load_zone_context(zone_file, zone=zone)
        run = score_zone_parcels(ctx, parcels, notes=notes + ctx.notes)
        scored = run.parcels
        scored.attrs = {"summary": run.summary.to_dict()}
        _CACHE[zone_file] = (key, scored)
        return scored.copy()
