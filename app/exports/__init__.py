"""Exchange files of a zone: GeoPackage, zipped Shapefile, CSV and XLSX.

* :func:`write_geopackage` — every layer (importable again), ``parcel_scores``, ``check_results``.
* :func:`write_shapefile_zip` — parcels with scores; ``.cpg`` UTF-8; 10-character field names.
* :func:`write_csv` — parcel scores or project verdicts, UTF-8 with BOM.
* :func:`write_workbook` — one sheet per park, project verdicts, summary and notes.
* :func:`export_zone` — any of them by kind, from a database session.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from sqlalchemy.orm import Session

from app.exports.data import ZoneData, load_zone_data
from app.exports.gpkg import write_geopackage
from app.exports.shapefile import write_shapefile_zip
from app.exports.tables import write_csv
from app.exports.workbook import write_workbook

Kind = Literal["gpkg", "shapefile", "csv", "xlsx"]

#: kind → (file suffix, media type).
KINDS: dict[str, tuple[str, str]] = {
    "gpkg": (".gpkg", "application/geopackage+sqlite3"),
    "shapefile": (".zip", "application/zip"),
    "csv": (".csv", "text/csv; charset=utf-8"),
    "xlsx": (".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}


def write_kind(data: ZoneData, kind: str, out: str | Path, **options: Any) -> Path:
    """Write ``data`` as ``kind`` (gpkg, shapefile, csv, xlsx) to ``out``; return the path.

    Options: shapefile ``crs``; csv ``table`` ("scores"/"verdicts"); csv and xlsx ``lang`` ("zh"/
    "en": headers and values; ``headers`` is the csv option's older name).
    """
    lang = options.get("lang") or options.get("headers") or "zh"
    if kind == "gpkg":
        return write_geopackage(data, out)
    if kind == "shapefile":
        return write_shapefile_zip(data, out, crs=options.get("crs"))
    if kind == "csv":
        return write_csv(data, out, table=options.get("table", "scores"), headers=lang)
    if kind == "xlsx":
        return write_workbook(data, out, lang)
    raise ValueError(f"unknown export kind {kind!r}; kinds are {', '.join(KINDS)}")


def export_zone(session: Session, zone_id: str, kind: str, out: str | Path, **options: Any) -> Path:
    """Read zone ``zone_id`` from the database and write it as ``kind`` to ``out``."""
    return write_kind(load_zone_data(session, zone_id), kind, out, **options)


__all__ = [
    "KINDS",
    "ZoneData",
    "export_zone",
    "load_zone_data",
    "write_csv",
    "write_geopackage",
    "write_kind",
    "write_shapefile_zip",
    "write_workbook",
]
