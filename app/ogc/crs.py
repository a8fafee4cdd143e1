"""Coordinate reference systems of the feature service (OGC API – Features Part 2).

CRSs are named by OGC URIs (``http://www.opengis.net/def/crs/EPSG/0/4546``,
``http://www.opengis.net/def/crs/OGC/1.3/CRS84``). Coordinates go out **in the axis order the
CRS defines** (Part 2, and RFC 7946 for CRS84): CRS84 is longitude/latitude, EPSG:4326 and
EPSG:4490 are latitude/longitude, and EPSG:4546 (CGCS2000 / 3-degree Gauss–Krüger CM 111°E) is
northing/easting (``pyproj.CRS("EPSG:4546").axis_info`` lists Northing first). A ``bbox`` given
with ``bbox-crs`` is read in that CRS's axis order too.

Inside, geometry is always x = easting/longitude, y = northing/latitude ("GIS order", pyproj's
``always_xy``); the swap to the CRS's order happens only on the way out and on the way in.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError as ProjCRSError
from shapely.geometry.base import BaseGeometry

CRS84_URI = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_URI = "http://www.opengis.net/def/crs/EPSG/0/{code}"

#: Extra CRSs offered besides CRS84 and the zone's CRS: WGS 84 and CGCS2000 geographic
#: (both latitude/longitude by their EPSG definitions).
EXTRA_CRS: tuple[str, ...] = (EPSG_URI.format(code=4326), EPSG_URI.format(code=4490))

#: Decimal places kept in output coordinates: 1e-9° ≈ 0.1 mm; 1e-4 m = 0.1 mm.
DEGREE_DECIMALS = 9
METRE_DECIMALS = 4


class UnknownCRS(ValueError):
    """A CRS URI this service cannot read."""


@dataclass(frozen=True)
class ServiceCRS:
    """One CRS the service offers: its URI, the pyproj CRS and how its axes are ordered."""

    uri: str
    crs: CRS
    northing_first: bool
    geographic: bool

    @property
    def label(self) -> str:
        """Return ``EPSG:4546`` / ``OGC:CRS84``."""
        auth = self.crs.to_authority(min_confidence=90)
        return f"{auth[0]}:{auth[1]}" if auth else self.crs.name

    @property
    def decimals(self) -> int:
        return DEGREE_DECIMALS if self.geographic else METRE_DECIMALS


def uri_for(crs_text: str) -> str:
    """Return the OGC URI of a CRS given as ``EPSG:4546``, ``OGC:CRS84`` or a URI."""
    text = crs_text.strip()
    if text.startswith(("http://", "https://")):
        return text.replace("https://", "http://", 1)
    auth, _, code = text.partition(":")
    if auth.upper() == "OGC" and code.upper() == "CRS84":
        return CRS84_URI
    if auth.upper() == "EPSG" and code.isdigit():
        return EPSG_URI.format(code=int(code))
    raise UnknownCRS(f"not a CRS name this service understands: {crs_text!r}")


def _first_axis_is_north(crs: CRS) -> bool:
    axes = crs.axis_info
    return bool(axes) and axes[0].direction.lower() in ("north", "south")


@lru_cache(maxsize=64)
def service_crs(uri: str) -> ServiceCRS:
    """Return the ServiceCRS of an OGC CRS URI; ``UnknownCRS`` if pyproj cannot read it."""
    norm = uri.strip().replace("https://", "http://", 1)
    try:
        if norm == CRS84_URI:
            crs = CRS.from_user_input("OGC:CRS84")
        elif norm.startswith("http://www.opengis.net/def/crs/EPSG/0/"):
            crs = CRS.from_epsg(int(norm.rsplit("/", 1)[1]))
        else:
            raise UnknownCRS(f"not an OGC CRS URI: {uri!r}")
    except (ProjCRSError, ValueError) as exc:
        raise UnknownCRS(f"cannot read the CRS {uri!r} ({exc})") from None
    return ServiceCRS(
        uri=norm, crs=crs, northing_first=_first_axis_is_north(crs), geographic=crs.is_geographic
    )


@lru_cache(maxsize=64)
def _transformer(src: str, dst: str) -> Transformer:
    return Transformer.from_crs(service_crs(src).crs, service_crs(dst).crs, always_xy=True)


@lru_cache(maxsize=64)
def _pipeline(src: str, dst: str) -> Transformer:
    """Return :func:`_transformer` rebuilt from its PROJ pipeline, for transforming coordinates
    (not bounds: a pipeline knows no area of use). pyproj remakes a shared transformer in every
    thread that uses it, and one made ``from_crs`` searches the PROJ database again for that
    (about a second per new server thread, measured), one from a pipeline under a millisecond
    (as :func:`app.api.geojson._transformer`)."""
    chosen = _transformer(src, dst)
    return Transformer.from_pipeline(chosen.definition) if chosen.definition else chosen


def transform_gis(geoms: np.ndarray, src: str, dst: str) -> np.ndarray:
    """Return ``geoms`` (GIS x/y order) transformed from CRS ``src`` to ``dst`` (URIs), GIS order."""
    if src == dst:
        return geoms
    t = _pipeline(src, dst)
    return shapely.transform(geoms, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))


def to_output_axes(geoms: np.ndarray, target: ServiceCRS) -> np.ndarray:
    """Return GIS-order geometries with coordinates in ``target``'s axis order, rounded."""

    def swap_round(xy: np.ndarray) -> np.ndarray:
        out = xy[:, ::-1] if target.northing_first else xy
        return np.round(out, target.decimals)

    return shapely.transform(geoms, swap_round)


def from_input_axes(
    values: tuple[float, float, float, float], source: ServiceCRS
) -> tuple[float, float, float, float]:
    """Return a bbox given in ``source``'s axis order as (minx, miny, maxx, maxy), GIS order."""
    a1, a2, b1, b2 = values
    return (a2, a1, b2, b1) if source.northing_first else (a1, a2, b1, b2)


def bbox_in_storage(
    bbox: tuple[float, float, float, float], bbox_crs: str, storage_crs: str
) -> BaseGeometry | None:
    """Return the bbox (GIS order, in ``bbox_crs``) as an area in the storage CRS, or None.

    A bbox in another CRS becomes a densified polygon (each edge in 64 pieces), so the curved
    outline of a longitude/latitude box in a projected CRS is followed to well under a metre at
    zone scale. A CRS84 box whose west edge is east of its east edge crosses the antimeridian
    (Part 1) and is split in two. The area is clipped to the storage CRS's area of use, beyond
    which the projection is meaningless; None means nothing of it lies there (no feature matches).
    """
    minx, miny, maxx, maxy = bbox
    src = service_crs(bbox_crs)
    if src.geographic and minx > maxx:
        area: BaseGeometry = shapely.union(
            shapely.box(minx, miny, 180.0, maxy), shapely.box(-180.0, miny, maxx, maxy)
        )
    else:
        area = shapely.box(minx, miny, maxx, maxy)
    if bbox_crs == storage_crs:
        return area
    storage = service_crs(storage_crs)
    aou = storage.crs.area_of_use
    lonlat = _densify(area)
    if bbox_crs != CRS84_URI:
        lonlat = transform_gis(np.array([lonlat]), bbox_crs, CRS84_URI)[0]
    if aou is not None:
        lonlat = shapely.intersection(lonlat, shapely.box(aou.west, aou.south, aou.east, aou.north))
        if lonlat.is_empty:
            return None
    return transform_gis(np.array([_densify(lonlat)]), CRS84_URI, storage_crs)[0]


def _densify(geom: BaseGeometry, pieces: int = 64) -> BaseGeometry:
    minx, miny, maxx, maxy = geom.bounds
    step = max(maxx - minx, maxy - miny) / pieces
    return shapely.segmentize(geom, step) if step > 0 else geom


def bounds_to_crs84(bounds: tuple[float, float, float, float], src: str) -> list[float]:
    """Return the CRS84 (lon/lat) bounding box of ``bounds`` given in CRS ``src`` (GIS order)."""
    if src == CRS84_URI:
        return [float(v) for v in bounds]
    t = _transformer(src, CRS84_URI)
    return [float(v) for v in t.transform_bounds(*bounds, densify_pts=21)]
