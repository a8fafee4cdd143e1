"""GeoJSON at the API boundary: WGS 84 (CRS84, lon/lat) out, WGS 84 in, the zone CRS inside.

Output geometries are transformed from the zone CRS (EPSG:4546) to OGC:CRS84 with pyproj and
rounded to 8 decimals (about 1 mm); collections are assembled as JSON text around GEOS's own
GeoJSON writer (``shapely.to_geojson``), so large pages do not go through Python objects
coordinate by coordinate. Input geometries (request bodies) are GeoJSON in WGS 84 (RFC 7946: no
``crs`` member); their vertices are counted against ``Settings.max_vertices`` *before* anything
else is done with them, their coordinates are checked to be longitudes/latitudes, and they are
transformed to the zone CRS.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError as ProjCRSError
from shapely.geometry import shape as shape_from_geojson
from shapely.geometry.base import BaseGeometry

from gis.errors import CRSError, GeometryError, LimitExceededError, SchemaError
from gis.messages import msg

#: The CRS of every geometry the API sends or accepts: WGS 84 longitude/latitude (RFC 7946).
WGS84 = "OGC:CRS84"
#: Decimals kept in WGS 84 output (1e-8° ≈ 1 mm): an outline read and sent back moves < 1 mm.
DECIMALS = 8

GEOMETRY_TYPES = (
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
    "Polygon",
    "MultiPolygon",
    "GeometryCollection",
)


@lru_cache(maxsize=8)
def _transformer(src: str, dst: str) -> Transformer:
    """Return a transformer between two CRSs, axis order x/y (lon/lat).

    It is rebuilt from its PROJ pipeline: pyproj makes a fresh transformer in every thread that
    uses one, and from a pipeline that takes under a millisecond where ``from_crs`` searches the
    PROJ database again (~0.3 s) — once per worker thread of the server.
    """
    try:
        chosen = Transformer.from_crs(CRS.from_user_input(src), CRS.from_user_input(dst), always_xy=True)
    except ProjCRSError as exc:  # a zone row with a CRS pyproj does not know
        raise CRSError(
            f"cannot transform between {src} and {dst} ({exc})",
            where="zone CRS",
            msg=msg("error.geojson.transform", source=str(src), target=str(dst)),
        ) from exc
    return Transformer.from_pipeline(chosen.definition) if chosen.definition else chosen


@lru_cache(maxsize=32)
def _same_crs(a: str, b: str) -> bool:
    return bool(CRS.from_user_input(a).equals(CRS.from_user_input(b)))


@lru_cache(maxsize=32)
def _geographic(crs: str) -> bool:
    return bool(CRS.from_user_input(crs).is_geographic)


def to_wgs84(geoms: Sequence[BaseGeometry | None] | np.ndarray, zone_crs: str) -> np.ndarray:
    """Return the geometries (zone CRS) transformed to WGS 84 and rounded to ``DECIMALS``."""
    arr = np.asarray(geoms, dtype=object)
    if arr.size == 0:
        return arr
    tr = _transformer(zone_crs, WGS84)

    def fn(coords: np.ndarray) -> np.ndarray:
        x, y = tr.transform(coords[:, 0], coords[:, 1])
        return np.round(np.column_stack([x, y]), DECIMALS)

    return shapely.transform(arr, fn)


def to_zone(geom: BaseGeometry, zone_crs: str, source: str = WGS84) -> BaseGeometry:
    """Return a geometry in ``source`` (default WGS 84) transformed to the zone CRS."""
    if source != WGS84 and _same_crs(source, zone_crs):
        return geom
    tr = _transformer(source, zone_crs)

    def fn(coords: np.ndarray) -> np.ndarray:
        x, y = tr.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geom, fn)


def bbox_to_zone(bbox: tuple[float, float, float, float], zone_crs: str) -> BaseGeometry:
    """Return a WGS 84 ``(minx, miny, maxx, maxy)`` box as a polygon in the zone CRS.

    The box's edges are densified (21 points each) before transforming, so the result follows
    the curved outline of the box in the projected CRS.
    """
    minx, miny, maxx, maxy = bbox
    ring = shapely.segmentize(shapely.box(minx, miny, maxx, maxy), max(maxx - minx, maxy - miny) / 20)
    return to_zone(ring, zone_crs)


def bounds_to_wgs84(bounds: Sequence[float], zone_crs: str) -> list[float] | None:
    """Return zone-CRS ``(minx, miny, maxx, maxy)`` as a WGS 84 bbox (densified), None if empty."""
    if bounds is None or not all(math.isfinite(float(b)) for b in bounds):
        return None
    box = shapely.segmentize(shapely.box(*bounds), max(bounds[2] - bounds[0], bounds[3] - bounds[1], 1) / 20)
    (g,) = to_wgs84([box], zone_crs)
    return [round(float(v), DECIMALS) for v in g.bounds]


def parse_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    """Return ``minx,miny,maxx,maxy`` (WGS 84 degrees) parsed from a query string, or None.

    Raises SchemaError for anything that is not four finite numbers with min < max inside
    −180…180 / −90…90.
    """
    if text is None or not text.strip():
        return None
    parts = [p.strip() for p in text.split(",")]
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise SchemaError(
            f"bbox {text!r} is not four numbers minx,miny,maxx,maxy",
            where="bbox",
            hint="give WGS 84 longitudes and latitudes, e.g. bbox=111.4,36.9,111.6,37.1",
            msg=msg("error.bbox.not_four", text=text),
        )
    minx, miny, maxx, maxy = values
    if not (-180 <= minx < maxx <= 180 and -90 <= miny < maxy <= 90):
        raise SchemaError(
            f"bbox {text!r} is not a WGS 84 box with min < max",
            where="bbox",
            hint="longitudes −180…180 first, then latitudes −90…90",
            msg=msg("error.bbox.not_wgs84", text=text),
        )
    return minx, miny, maxx, maxy


# --------------------------------------------------------------------------- input geometry


def _count_positions(coords: Any, depth: int = 0) -> int:
    """Return the number of positions in a GeoJSON ``coordinates`` array (no geometry built)."""
    if depth > 6:
        raise GeometryError(
            "coordinates are nested too deeply", where="geometry", msg=msg("error.geojson.too_deep")
        )
    if not isinstance(coords, (list, tuple)) or not coords:
        return 0
    if isinstance(coords[0], (int, float)) and not isinstance(coords[0], bool):
        return 1
    return sum(_count_positions(c, depth + 1) for c in coords)


def count_vertices(obj: Mapping[str, Any]) -> int:
    """Return the number of positions in a GeoJSON geometry (or Feature) without parsing it."""
    if obj.get("type") == "Feature":
        obj = obj.get("geometry") or {}
    if obj.get("type") == "GeometryCollection":
        return sum(count_vertices(g) for g in obj.get("geometries") or [] if isinstance(g, Mapping))
    return _count_positions(obj.get("coordinates"))


def request_crs(content_crs: str | None, member: Any = None, *, where: str = "crs") -> str | None:
    """Return the CRS a request declares for its geometries, None when it declares none (WGS 84).

    ``member`` is a GeoJSON ``crs`` member (``{"type": "name", "properties": {"name": …}}``, as
    GDAL writes it), ``content_crs`` the ``Content-Crs`` header (``<URI>``, OGC API – Features
    Part 4); both accept ``EPSG:4546``, ``urn:ogc:def:crs:EPSG::4546`` and
    ``http://www.opengis.net/def/crs/EPSG/0/4546``. Raises CRSError for a CRS PROJ does not know
    or for two that differ.
    """
    found: list[str] = []
    if member is not None:
        name = member.get("properties", {}).get("name") if isinstance(member, Mapping) else None
        if not isinstance(name, str) or not name.strip():
            raise CRSError(
                f"the crs member {member!r} has no name",
                where=where,
                hint='give {"type": "name", "properties": {"name": "EPSG:4546"}}',
                msg=msg("error.geojson.crs_unknown", crs=str(member)),
            )
        found.append(name.strip())
    if content_crs is not None and content_crs.strip():
        found.append(content_crs.strip().strip("<>").strip())
    if not found:
        return None
    crss = []
    for text in found:
        try:
            crss.append(CRS.from_user_input(text))
        except ProjCRSError as exc:
            raise CRSError(
                f"unknown CRS {text!r}",
                where=where,
                hint="give an EPSG code, e.g. EPSG:4546",
                msg=msg("error.geojson.crs_unknown", crs=text),
            ) from exc
    if len(crss) == 2 and not crss[0].equals(crss[1]):
        raise CRSError(
            f"the crs member ({found[0]}) and Content-Crs ({found[1]}) differ",
            where=where,
            hint="declare the CRS once",
            msg=msg("error.geojson.crs_differ", member=found[0], header=found[1]),
        )
    return crss[0].to_string()


def geometry_from_request(
    obj: Any, zone_crs: str, *, max_vertices: int, where: str = "geometry", crs: str | None = None
) -> BaseGeometry:
    """Return a GeoJSON geometry (or Feature) from a request, in the zone CRS.

    ``crs`` is the CRS the request declared (:func:`request_crs`); None means WGS 84 as RFC 7946
    has it. Refuses, naming ``where``: anything not a GeoJSON geometry object (GeometryError),
    more than ``max_vertices`` positions (LimitExceededError, checked first), a ``crs`` member
    on the geometry when the request declared none (CRSError — RFC 7946 GeoJSON is WGS 84) and,
    in a geographic CRS, coordinates outside −180…180 / −90…90 (CRSError: projected coordinates
    sent as GeoJSON). The geometry is not repaired here; the edit functions check and repair it
    in the zone CRS.
    """
    if not isinstance(obj, Mapping) or "type" not in obj:
        raise GeometryError(
            "is not a GeoJSON geometry object",
            where=where,
            hint='send {"type": "Polygon", "coordinates": [...]} in WGS 84',
            msg=msg("error.geojson.not_object"),
        )
    n = count_vertices(obj)
    if n > max_vertices:
        raise LimitExceededError(
            f"has {n:,} vertices, more than the limit of {max_vertices:,}",
            where=where,
            hint="simplify the outline (QGIS ▸ Simplify)",
            msg=msg("error.geometry.too_many_vertices", n=f"{n:,}", limit=f"{max_vertices:,}"),
        )
    if "crs" in obj and crs is None:
        raise CRSError(
            "has a 'crs' member; GeoJSON geometries must be WGS 84 longitude/latitude",
            where=where,
            hint="drop 'crs' and send WGS 84 coordinates (RFC 7946)",
            msg=msg("error.geojson.crs_member"),
        )
    geo = obj.get("geometry") if obj.get("type") == "Feature" else obj
    if not isinstance(geo, Mapping) or geo.get("type") not in GEOMETRY_TYPES:
        raise GeometryError(
            f"has type {obj.get('type')!r}, not a GeoJSON geometry",
            where=where,
            hint=f"use one of {', '.join(GEOMETRY_TYPES)}",
            msg=msg("error.geojson.bad_type", type=str(obj.get("type")), types=list(GEOMETRY_TYPES)),
        )
    try:
        geom = shape_from_geojson(geo)
    except Exception as exc:  # shapely raises several types for malformed coordinates
        raise GeometryError(
            f"cannot be read as GeoJSON ({exc})",
            where=where,
            hint="check the coordinates arrays",
            msg=msg("error.geojson.unreadable", detail=str(exc)),
        ) from exc
    if geom.is_empty:
        raise GeometryError(
            "is empty", where=where, hint="draw the geometry", msg=msg("error.geometry.empty")
        )
    xy = shapely.get_coordinates(geom)
    if not np.isfinite(xy).all():
        raise GeometryError("has non-finite coordinates", where=where, msg=msg("error.geojson.not_finite"))
    minx, miny = xy.min(axis=0)
    maxx, maxy = xy.max(axis=0)
    source = WGS84 if crs is None else crs
    geographic = crs is None or _geographic(crs)
    if geographic and (minx < -180 or maxx > 180 or miny < -90 or maxy > 90):
        raise CRSError(
            f"coordinates ({minx:.1f}, {miny:.1f}) … ({maxx:.1f}, {maxy:.1f}) are not WGS 84 "
            "longitude/latitude",
            where=where,
            hint="send GeoJSON in WGS 84 (lon, lat); the server transforms it to the zone CRS",
            msg=msg("error.geojson.not_lonlat"),
        )
    return to_zone(shapely.force_2d(geom), zone_crs, source)


# --------------------------------------------------------------------------- output


def jsonable(value: Any) -> Any:
    """Return ``value`` as plain JSON data: numpy scalars unwrapped, NaN/±inf → None."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, np.ndarray)):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, (str, int, bool)):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    try:
        import pandas as pd

        if value is pd.NA or value is pd.NaT:
            return None
    except ImportError:  # pragma: no cover
        pass
    return str(value)


def dumps(data: Any) -> str:
    """Return compact JSON text (UTF-8 characters kept, NaN refused: pass data through jsonable)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def feature_text(fid: Any, geometry_json: str | None, properties: Mapping[str, Any]) -> str:
    """Return one GeoJSON Feature as JSON text (``geometry_json`` from ``shapely.to_geojson``)."""
    return (
        '{"type":"Feature","id":'
        + dumps(jsonable(fid))
        + ',"geometry":'
        + (geometry_json or "null")
        + ',"properties":'
        + dumps(jsonable(properties))
        + "}"
    )


def geometry_json(geoms: Sequence[BaseGeometry | None] | np.ndarray, zone_crs: str) -> list[str | None]:
    """Return each zone-CRS geometry as WGS 84 GeoJSON text (None stays None)."""
    arr = np.asarray(geoms, dtype=object)
    if arr.size == 0:
        return []
    out = shapely.to_geojson(to_wgs84(arr, zone_crs))
    return [None if g is None else str(g) for g in out]


def feature(
    fid: Any, geom: BaseGeometry | None, properties: Mapping[str, Any], zone_crs: str
) -> dict[str, Any]:
    """Return one Feature (geometry in WGS 84) as a dict."""
    (gj,) = geometry_json([geom], zone_crs)
    return json.loads(feature_text(fid, gj, properties))


def collection_text(features: Iterable[str], members: Mapping[str, Any] | None = None) -> str:
    """Return a FeatureCollection as JSON text from Feature texts and extra top-level members."""
    head = '{"type":"FeatureCollection"'
    for k, v in (members or {}).items():
        head += "," + dumps(k) + ":" + dumps(jsonable(v))
    return head + ',"features":[' + ",".join(features) + "]}"
