"""Coordinate reference systems at the boundary: parse, name, and require projected or equal CRSs.

A layer or raster with no CRS is an error (:class:`gis.errors.MissingCRSError`), never a guess;
measuring needs a projected CRS in metres; two inputs measured together must share one CRS.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
from pyproj import CRS
from pyproj.exceptions import CRSError as ProjCRSError

from gis.errors import CRSError, MissingCRSError
from gis.messages import msg


def crs_label(crs: CRS | None) -> str:
    """Return ``EPSG:4546``-style text for a CRS with an authority code, else its name."""
    if crs is None:
        return "no CRS"
    auth = crs.to_authority(min_confidence=90)
    return f"{auth[0]}:{auth[1]}" if auth else crs.name


def parse_crs(value: Any, *, where: str = "CRS") -> CRS:
    """Parse ``value`` (``"EPSG:4546"``, WKT, a pyproj CRS…) into a pyproj CRS or raise CRSError."""
    if value is None:
        raise MissingCRSError(
            "no CRS given", where=where, hint="give one, e.g. EPSG:4546", msg=msg("error.crs.none_given")
        )
    try:
        return CRS.from_user_input(value)
    except ProjCRSError as exc:
        raise CRSError(
            f"{value!r} is not a CRS pyproj understands ({exc})",
            where=where,
            hint="use an authority code such as EPSG:4546",
            msg=msg("error.crs.unknown", value=repr(value)),
        ) from exc


def require_projected(crs: CRS | None, *, where: str) -> CRS:
    """Return ``crs`` if it is projected in metres; MissingCRSError if None, CRSError otherwise."""
    if crs is None:
        raise MissingCRSError(
            "has no CRS; declare it (e.g. a .prj / assign EPSG:4546 in QGIS) and try again",
            where=where,
            msg=msg("error.crs.missing"),
        )
    crs = CRS.from_user_input(crs)
    if not crs.is_projected:
        raise CRSError(
            f"is in {crs_label(crs)}, a {'geographic' if crs.is_geographic else 'non-projected'} "
            "CRS; distances and areas need a projected CRS in metres",
            where=where,
            hint="reproject to the zone's projected CRS (in metres)",
            msg=msg("error.crs.not_projected", crs=crs_label(crs)),
        )
    units = {a.unit_name for a in crs.axis_info}
    if not units <= {"metre", "meter"}:
        raise CRSError(
            f"is in {crs_label(crs)} whose unit is {', '.join(sorted(units))}, not metres",
            where=where,
            hint="reproject to the zone's projected CRS (in metres)",
            msg=msg("error.crs.not_metres", crs=crs_label(crs), units=sorted(units)),
        )
    return crs


def require_same_crs(
    reference: gpd.GeoDataFrame | gpd.GeoSeries,
    layers: Mapping[str, gpd.GeoDataFrame | gpd.GeoSeries | None],
    *,
    reference_name: str = "parcels",
) -> CRS:
    """Check ``reference`` is in a projected metric CRS and every non-None layer shares it.

    Returns the reference CRS; raises MissingCRSError / CRSError naming the layer otherwise.
    """
    crs = require_projected(reference.crs, where=reference_name)
    for name, layer in layers.items():
        if layer is None:
            continue
        if layer.crs is None:
            raise MissingCRSError(
                "has no CRS; declare it (e.g. a .prj / assign EPSG:4546 in QGIS) and try again",
                where=f"layer {name!r}",
                msg=msg("error.crs.missing"),
            )
        if layer.crs != crs:
            raise CRSError(
                f"is in {crs_label(layer.crs)} but {reference_name} are in {crs_label(crs)}",
                where=f"layer {name!r}",
                hint="read every layer with the same target CRS",
                msg=msg(
                    "error.crs.differs",
                    crs=crs_label(layer.crs),
                    reference=reference_name,
                    reference_crs=crs_label(crs),
                ),
            )
    return crs
