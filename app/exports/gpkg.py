"""The whole zone as one GeoPackage (EPSG:4546), ready to edit in QGIS and import again.

Layers ``parks``, ``clusters``, ``parcels``, ``roads``, ``rivers``, ``substations``, ``water``
and ``places`` hold exactly the fields of the sample GeoPackage (``docs/architecture.md``) plus
any extra fields the layers were imported with, and no database columns: edited in QGIS, the
file goes back with ``parksite import --zone ZONE.yaml --layers FILE.gpkg --replace`` and only
what was edited changes. Features without geometry (clusters of the zone file never drawn) are
left out: the zone file creates them again on import.

Read-only layers the importer ignores: ``parcel_scores`` (parcels with their latest score,
class, exclusion and the occupying enterprise's intensities, for maps), ``check_results``
(project verdicts, no geometry) and ``export_info`` (zone, time, score run; no geometry).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from app.db.import_layers import LAYERS
from app.exports.data import ZoneData
from app.exports.tables import atomic_path, check_rows

#: Layers written only for reading (not imported).
EXTRA_LAYERS = ("parcel_scores", "check_results", "export_info")


def info_rows(data: ZoneData) -> pd.DataFrame:
    """Return the export's facts as key/value rows."""
    run = data.run
    return pd.DataFrame(
        [
            ("zone_id", data.zone_id),
            ("zone_name", data.zone_name),
            ("crs", data.crs),
            ("exported_at", data.exported_at.isoformat(timespec="seconds")),
            ("score_run", "" if run is None else str(run.id)),
            ("scored_at", "" if run is None or run.finished_at is None else run.finished_at.isoformat()),
            ("config_sha256", data.config_sha256),
        ],
        columns=["key", "value"],
    )


def write_geopackage(data: ZoneData, out: str | Path) -> Path:
    """Write the zone's layers, scores and check results to the GeoPackage ``out``; return it."""
    with atomic_path(out) as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for name in LAYERS:
            gdf = data.layers[name]
            gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
            if len(gdf):
                pyogrio.write_dataframe(gdf, tmp, layer=name, driver="GPKG")
        scores = data.scores.drop(columns=[c for c in ("id", "version") if c in data.scores])
        scores = scores[scores.geometry.notna()]
        if len(scores):
            pyogrio.write_dataframe(
                gpd.GeoDataFrame(scores, geometry="geometry"), tmp, layer="parcel_scores", driver="GPKG"
            )
        checks = (
            check_rows(data)
            .drop(columns=["checked_at"])
            .assign(
                checked_at=data.checks["checked_at"].map(
                    lambda t: None if t is None or pd.isna(t) else t.isoformat()
                )
            )
        )
        pyogrio.write_dataframe(checks, tmp, layer="check_results", driver="GPKG")
        pyogrio.write_dataframe(info_rows(data), tmp, layer="export_info", driver="GPKG")
    return Path(out)
