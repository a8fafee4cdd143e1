"""Parcel files: reading a parcel layer for scoring, writing scored parcels.

:func:`read_parcels` reads a parcel layer (GeoPackage, GeoJSON, Shapefile, DXF) with
:func:`gis.layers.read_layer` — a layer without CRS is refused, others are reprojected to the
zone CRS and invalid geometry is repaired, each repair reported — and gives the parcels their ids
(:func:`scoring.parcels.assign_ids`). :func:`write_scored_parcels` writes scored parcels
(GeoPackage in the zone CRS, GeoJSON in WGS 84 per RFC 7946, CSV without geometry) atomically;
:func:`output_format` checks an output name before any work.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from gis.dxf import DxfOptions
from gis.errors import InputFileError
from gis.layers import read_layer
from gis.messages import msg
from scoring.context import Note, dedupe_notes, layer_where
from scoring.parcels import assign_ids
from scoring.zone import ZoneConfig

#: The GeoPackage layer holding a zone's parcels.
PARCELS_LAYER = "parcels"


def _pick_parcel_layer(path: Path, layer: str | None) -> str | None:
    """The GeoPackage layer to read: ``layer``, else ``parcels`` when the file has several
    spatial layers and one of them is called so (as the zone's own GeoPackage), else None."""
    if layer is not None or path.suffix.lower() != ".gpkg" or not path.is_file():
        return layer
    try:
        spatial = [str(n) for n, g in pyogrio.list_layers(path) if g is not None]
    except Exception:  # let read_layer report an unreadable file
        return None
    return PARCELS_LAYER if len(spatial) > 1 and PARCELS_LAYER in spatial else None


def read_parcels(
    path: str | Path,
    zone: ZoneConfig,
    *,
    layer: str | None = None,
    id_field: str | None = None,
    crs: str | None = None,
    encoding: str | None = None,
    dxf: DxfOptions | None = None,
    mapping: str | Path | None = None,
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Read a parcel layer (GeoPackage, GeoJSON, Shapefile plain or zipped, DXF) for scoring in
    ``zone``.

    The layer must have a CRS — its own, else ``crs`` (never guessed: without either it is
    refused with the CRSs its coordinates fit); it is reprojected to the zone CRS and invalid
    polygons are repaired. ``encoding`` is the text encoding of a Shapefile's table or a
    drawing (else declared or detected); ``dxf`` picks a drawing's layers and labels. With
    ``mapping`` (a field-mapping file) the file is read and mapped by its ``parcels`` entry
    (:mod:`app.sources.convert`). Ids: ``id_field`` if given (must exist, unique, non-empty),
    else an existing ``parcel_id`` field (a drawing's ``label``), else row numbers 1 … n; they
    are put in ``parcel_id`` (first column). A GeoPackage with several layers is read at
    ``layer``, or at ``parcels``.

    Returns the parcels (index 0 … n − 1) and notes: what was read, reprojected, repaired (each
    repair with its parcel), how ids were made. Raises InputFileError, MissingCRSError,
    CRSError, SchemaError, GeometryError.
    """
    p = Path(path)
    layer = _pick_parcel_layer(p, layer)
    if mapping is not None:
        from app.sources.convert import convert_mapped

        gdf, report = convert_mapped("parcels", mapping, zone, file=p, crs=crs, encoding=encoding)
    else:
        if id_field is None and p.suffix.lower() == ".dxf":
            id_field = "label"  # the text inside each polygon
        gdf, report = read_layer(
            p,
            layer,
            target_crs=zone.zone.crs,
            geometry="polygon",
            id_field=id_field,
            crs=crs,
            encoding=encoding,
            dxf=dxf,
        )
    where = str(p) + (f" [layer {report.layer}]" if report.layer else "")
    shown = layer_where(str(p), report.layer)
    notes: list[Note] = [
        msg("note.read", n=report.features, where=shown, driver=report.driver, crs=report.source_crs)
    ]
    if report.crs_given:
        notes.append(msg("note.at", where=shown, note=msg("import.layer.crs_given", crs=report.source_crs)))
    if report.reprojected:
        notes.append(msg("note.reprojected", where=shown, source=report.source_crs, target=report.crs))
        if report.transformation is not None and report.transformation.older_datum:
            older = msg("import.layer.older_datum", datum=report.transformation.older_datum)
            notes.append(msg("note.at", where=shown, note=older))
    if report.encoding is not None and report.encoding.how != "ascii":
        from app.sources.findings import encoding_message

        notes.append(msg("note.at", where=shown, note=encoding_message(report.encoding)))
    if report.dxf is not None:
        from app.sources.findings import dxf_messages

        notes += [msg("note.at", where=shown, note=m) for _, m in dxf_messages(report.dxf)]
    notes += [msg("note.at", where=shown, note=n) for n in report.notes]
    gdf, id_notes = assign_ids(gdf, report, id_field, where, shown)
    return gdf, dedupe_notes(notes + id_notes)


# --------------------------------------------------------------------------- writing

#: Output formats by file name ending.
OUTPUT_FORMATS: dict[str, str] = {".gpkg": "GPKG", ".geojson": "GeoJSON", ".json": "GeoJSON", ".csv": "CSV"}


def output_format(out: str | Path) -> str:
    """Return the output driver for ``out`` by its extension; InputFileError for any other."""
    p = Path(out)
    fmt = OUTPUT_FORMATS.get(p.suffix.lower())
    if fmt is None:
        raise InputFileError(
            f"unknown output format {p.suffix or '(no extension)'!r}",
            where=str(p),
            hint="name the output .gpkg (GeoPackage, zone CRS), .geojson (WGS 84) or .csv (attributes)",
            msg=msg("error.output.unknown_format", suffix=p.suffix or "—"),
        )
    if not p.parent.exists() or not p.parent.is_dir():
        raise InputFileError(
            "the output folder does not exist",
            where=str(p.parent),
            hint="create it first, or write elsewhere",
            msg=msg("error.output.no_folder"),
        )
    if p.exists() and p.is_dir():
        raise InputFileError(
            "is a folder, not a file",
            where=str(p),
            hint="give a file name",
            msg=msg("error.output.is_folder"),
        )
    return fmt


def write_scored_parcels(
    parcels: gpd.GeoDataFrame, out: str | Path, *, layer: str = "scored_parcels"
) -> Path:
    """Write scored parcels to ``out`` by extension and return its path.

    ``.gpkg``: GeoPackage layer ``layer`` in the parcels' (zone) CRS. ``.geojson``/``.json``:
    GeoJSON in WGS 84, RFC 7946 (unreachable ``inf`` distances become null). ``.csv``: UTF-8
    (with BOM, for spreadsheets) attributes without geometry plus ``centroid_lon`` /
    ``centroid_lat`` (WGS 84°). The file is written next to ``out`` under a temporary name and
    renamed into place only when complete: on any failure ``out`` is left as it was.
    """
    out = Path(out)
    fmt = output_format(out)
    tmp = out.with_name(f".{out.stem}.{uuid.uuid4().hex[:8]}.tmp{out.suffix}")
    try:
        if fmt == "GPKG":
            parcels.to_file(tmp, layer=layer, driver="GPKG", engine="pyogrio")
        elif fmt == "GeoJSON":
            gj = parcels.to_crs("EPSG:4326")  # lon/lat order (geopandas uses always_xy)
            numeric = gj.select_dtypes(include="number").columns
            gj[numeric] = gj[numeric].replace([np.inf, -np.inf], np.nan)
            gj.to_file(tmp, driver="GeoJSON", engine="pyogrio", layer_options={"RFC7946": "YES"})
        else:
            table = pd.DataFrame(parcels.drop(columns=[parcels.geometry.name]))
            centroids = gpd.GeoSeries(parcels.geometry.centroid, crs=parcels.crs).to_crs("EPSG:4326")
            table["centroid_lon"] = centroids.x.round(7).to_numpy()
            table["centroid_lat"] = centroids.y.round(7).to_numpy()
            table.to_csv(tmp, index=False, encoding="utf-8-sig")
        os.replace(tmp, out)
    finally:
        for leftover in (tmp, *(tmp.with_name(tmp.name + s) for s in ("-journal", "-wal", "-shm"))):
            if leftover.exists():
                leftover.unlink()
    return out
