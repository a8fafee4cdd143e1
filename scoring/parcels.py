"""Parcels in memory, made ready for measuring: checked, in the zone CRS, with ids.

:func:`prepare_parcels` applies the rules of :func:`gis.layers.prepare_layer` (a CRS, polygons,
repairs) to a GeoDataFrame and puts the parcel ids in ``parcel_id`` (:data:`ID_COLUMN`);
:func:`assign_ids` is that id step alone, shared with the file reader
:func:`app.scoring_io.parcel_files.read_parcels`.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np

from gis.layers import LayerReport, prepare_layer
from gis.repair import feature_label
from scoring.context import dedupe_notes
from scoring.zone import ZoneConfig

#: The id column of scored parcels.
ID_COLUMN = "parcel_id"


def assign_ids(
    gdf: gpd.GeoDataFrame, report: LayerReport, id_field: str | None, where: str
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Put the parcel ids in ``parcel_id`` (first column) — from ``id_field``, else an existing
    ``parcel_id``, else row numbers 1 … n — and return the frame and notes (how the ids were
    made, and each geometry repair named by its id). SchemaError for empty or repeated ids."""
    notes: list[str] = []
    if id_field is None and ID_COLUMN in gdf.columns:
        id_field = ID_COLUMN
    if id_field is not None and report.id_field != id_field:
        # The reader's own id rules and messages (unique, non-empty); the geometry is already
        # repaired, so nothing else changes.
        prepare_layer(gdf, where=where, target_crs=None, id_field=id_field, repair=False)
    gdf = gdf.copy()
    if id_field is None:
        gdf.insert(0, ID_COLUMN, np.arange(1, len(gdf) + 1))
        notes.append(
            f"{where}: no {ID_COLUMN!r} field and no --id-field: parcels are numbered by "
            f"row (1 … {len(gdf)}) in {ID_COLUMN!r}"
        )
    elif id_field != ID_COLUMN:
        if ID_COLUMN in gdf.columns:
            gdf = gdf.rename(columns={ID_COLUMN: f"input_{ID_COLUMN}"})
            notes.append(
                f"{where}: ids taken from {id_field!r}; the input's own {ID_COLUMN!r} "
                f"is kept as 'input_{ID_COLUMN}'"
            )
        gdf.insert(0, ID_COLUMN, gdf[id_field].to_numpy())
    else:
        gdf = gdf[[ID_COLUMN, *[c for c in gdf.columns if c != ID_COLUMN]]]
    ids = gdf[ID_COLUMN].to_numpy()
    label = id_field or ID_COLUMN
    for r in report.repairs:
        notes.append(
            f"{where}: repaired {feature_label(r.row, ids[r.row], label)}: {r.reason}; area "
            f"{r.area_before_m2:,.1f} → {r.area_after_m2:,.1f} m² ({r.area_change_m2:+,.1f} m²)"
        )
    return gdf, notes


def prepare_parcels(
    parcels: gpd.GeoDataFrame,
    zone: ZoneConfig,
    *,
    id_field: str | None = None,
    where: str = "parcels",
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Check ``parcels`` (a CRS, polygons; invalid ones repaired), reproject them to the zone CRS
    and put their ids in ``parcel_id`` (see :func:`assign_ids`): the rules of
    :func:`app.scoring_io.parcel_files.read_parcels` for parcels already in memory. Returns the
    parcels (index 0 … n − 1) and notes (reprojection, how ids were made, each repair)."""
    gdf, report = prepare_layer(
        parcels, where=where, target_crs=zone.zone.crs, geometry="polygon", id_field=id_field
    )
    notes = [f"{where}: reprojected from {report.source_crs} to {report.crs}"] if report.reprojected else []
    gdf, id_notes = assign_ids(gdf, report, id_field, where)
    return gdf, dedupe_notes(notes + id_notes)
