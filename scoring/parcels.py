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
from gis.messages import msg
from gis.repair import GeometryRepair
from scoring.context import Note, dedupe_notes
from scoring.zone import ZoneConfig

#: The id column of scored parcels.
ID_COLUMN = "parcel_id"


def assign_ids(
    gdf: gpd.GeoDataFrame, report: LayerReport, id_field: str | None, where: str, shown: Note | None = None
) -> tuple[gpd.GeoDataFrame, list[Note]]:
    """Put the parcel ids in ``parcel_id`` (first column) — from ``id_field``, else an existing
    ``parcel_id``, else row numbers 1 … n — and return the frame and notes (how the ids were
    made, and each geometry repair named by its id). SchemaError for empty or repeated ids.

    ``where`` names the input in errors; ``shown`` in notes (default ``where``)."""
    notes: list[Note] = []
    label_where = where if shown is None else shown
    if id_field is None and ID_COLUMN in gdf.columns:
        id_field = ID_COLUMN
    if id_field is not None and report.id_field != id_field:
        # The reader's own id rules and messages (unique, non-empty); the geometry is already
        # repaired, so nothing else changes.
        prepare_layer(gdf, where=where, target_crs=None, id_field=id_field, repair=False)
    gdf = gdf.copy()
    if id_field is None:
        gdf.insert(0, ID_COLUMN, np.arange(1, len(gdf) + 1))
        notes.append(msg("note.ids_by_row", where=label_where, column=ID_COLUMN, n=len(gdf)))
    elif id_field != ID_COLUMN:
        if ID_COLUMN in gdf.columns:
            gdf = gdf.rename(columns={ID_COLUMN: f"input_{ID_COLUMN}"})
            notes.append(msg("note.ids_from", where=label_where, field=id_field, column=ID_COLUMN))
        gdf.insert(0, ID_COLUMN, gdf[id_field].to_numpy())
    else:
        gdf = gdf[[ID_COLUMN, *[c for c in gdf.columns if c != ID_COLUMN]]]
    ids = gdf[ID_COLUMN].to_numpy()
    label = id_field or ID_COLUMN
    for r in report.repairs:
        repaired = GeometryRepair(r.row, ids[r.row], r.reason, r.area_before_m2, r.area_after_m2)
        notes.append(msg("note.at", where=label_where, note=repaired.message(label)))
    return gdf, notes


def prepare_parcels(
    parcels: gpd.GeoDataFrame,
    zone: ZoneConfig,
    *,
    id_field: str | None = None,
    where: str = "parcels",
) -> tuple[gpd.GeoDataFrame, list[Note]]:
    """Check ``parcels`` (a CRS, polygons; invalid ones repaired), reproject them to the zone CRS
    and put their ids in ``parcel_id`` (see :func:`assign_ids`): the rules of
    :func:`app.scoring_io.parcel_files.read_parcels` for parcels already in memory. Returns the
    parcels (index 0 … n − 1) and notes (reprojection, how ids were made, each repair)."""
    gdf, report = prepare_layer(
        parcels, where=where, target_crs=zone.zone.crs, geometry="polygon", id_field=id_field
    )
    notes: list[Note] = (
        [msg("note.reprojected", where=where, source=report.source_crs, target=report.crs)]
        if report.reprojected
        else []
    )
    gdf, id_notes = assign_ids(gdf, report, id_field, where)
    return gdf, dedupe_notes(notes + id_notes)
