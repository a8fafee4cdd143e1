"""Parcels (with their latest scores) as a zipped Shapefile that keeps Chinese text.

The zip holds ``parcels.shp/.shx/.dbf/.prj`` and ``parcels.cpg`` saying ``UTF-8`` (ArcGIS and
QGIS read the .dbf's text in that encoding), plus ``fields.csv`` (UTF-8 with BOM): each column,
its Shapefile field name (≤ 10 characters, :mod:`app.exports.labels`) and its Chinese header.

dBASE limits: a text field holds at most 254 bytes (84 Chinese characters in UTF-8); longer
``reasons`` are cut at a character boundary and end with ``…``. ``excluded`` is 1/0 (null when
not scored). Coordinates are in the zone CRS (EPSG:4546) unless ``crs`` names another.
"""

from __future__ import annotations

import tempfile
import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from app.exports.data import ZoneData
from app.exports.labels import SCORE_HEADERS, shapefile_field_map
from app.exports.tables import atomic_path
from app.i18n import text
from gis.crs import parse_crs

DBF_TEXT_BYTES = 254
LAYER = "parcels"
_COMPONENTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
#: Column → message id of its header in fields.csv.
_HEADER_OF = {
    "status": "export.col.status",
    "park": "export.col.park_id",
    "cluster": "export.col.cluster_id",
    "excluded": "export.col.excluded_flag",
    **{k: v for k, v in SCORE_HEADERS.items() if k not in ("status_label", "excluded_label")},
}


def fit_bytes(text: object, limit: int = DBF_TEXT_BYTES) -> object:
    """Return ``text`` cut to at most ``limit`` UTF-8 bytes at a character boundary (… marks a cut)."""
    if not isinstance(text, str) or len(text.encode("utf-8")) <= limit:
        return text
    room = limit - len("…".encode())
    cut = text.encode("utf-8")[:room].decode("utf-8", errors="ignore")
    return cut + "…"


def parcel_frame(data: ZoneData) -> gpd.GeoDataFrame:
    """Return parcels with names, scores and intensities, before field names are shortened."""
    s = data.scores.sort_values("parcel_id").reset_index(drop=True)
    s = s.drop(columns=[c for c in ("id", "version") if c in s.columns])
    s.insert(s.columns.get_loc("park") + 1, "park_name", s["park"].map(data.park_names))
    s.insert(s.columns.get_loc("cluster") + 1, "cluster_name", s["cluster"].map(data.cluster_names))
    s["excluded"] = s["excluded"].map(lambda v: None if pd.isna(v) else int(bool(v))).astype("Int64")
    s["figures_year"] = s["figures_year"].astype("Int64")
    for col in s.columns:
        if col != "geometry" and s[col].dtype == object:
            s[col] = s[col].map(fit_bytes)
    return gpd.GeoDataFrame(s, geometry="geometry", crs=data.scores.crs)


def write_shapefile_zip(data: ZoneData, out: str | Path, *, crs: str | None = None) -> Path:
    """Write the zipped Shapefile of the zone's parcels to ``out``; return its path."""
    gdf = parcel_frame(data)
    if crs:  # refused with CRSError (422) unless pyproj knows it, before anything is written
        gdf = gdf.to_crs(parse_crs(crs, where="crs"))
    names = shapefile_field_map(c for c in gdf.columns if c != "geometry")
    shp = gdf.rename(columns=names)
    fields = pd.DataFrame(
        {
            "column": list(names),
            "shapefile_field": list(names.values()),
            "header": [text(_HEADER_OF[c], "zh") if c in _HEADER_OF else c for c in names],
        }
    )
    with tempfile.TemporaryDirectory() as work, atomic_path(out) as tmp:
        base = Path(work) / f"{LAYER}.shp"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            pyogrio.write_dataframe(shp, base, driver="ESRI Shapefile", encoding="UTF-8")
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as z:
            for ext in _COMPONENTS:
                part = base.with_suffix(ext)
                if part.exists():
                    z.write(part, f"{LAYER}{ext}")
            z.writestr("fields.csv", fields.to_csv(index=False).encode("utf-8-sig"))
    return Path(out)
