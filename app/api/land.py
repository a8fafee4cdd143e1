"""The land basis of a check drawn for the map: the constrained parts of the site and the
proposed split, as a GeoJSON FeatureCollection in WGS 84 (``land.geometry`` of ``/check``)."""

from __future__ import annotations

from typing import Any

import shapely

from app.api.geojson import to_wgs84
from gis.units import MU_M2
from scoring.land import LandBasis


def land_features(land: LandBasis, zone_crs: str) -> dict[str, Any]:
    """Return the site's constrained parts (``role: "deduction"``, with ``kind``, ``name``,
    ``area_m2``, ``area_mu``, ``label`` as a message) and, when the parcel is split, the granted
    piece, the remainder (``role: "granted"`` / ``"remainder"``, areas) and the cut line
    (``role: "cut"``), as a FeatureCollection in WGS 84. Parts known only from measures have no
    geometry and are left out."""
    items: list[tuple[Any, dict[str, Any]]] = [
        (d.geometry, {"role": "deduction", **d.to_dict()}) for d in land.deductions if d.geometry is not None
    ]
    if land.split is not None:
        s = land.split
        items += [
            (s.granted, {"role": "granted", "area_mu": round(s.granted.area / MU_M2, 4)}),
            (s.remainder, {"role": "remainder", "area_mu": round(s.remainder.area / MU_M2, 4)}),
            (s.cut, {"role": "cut"}),
        ]
    geoms = to_wgs84([g for g, _ in items], zone_crs) if items else []
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": shapely.geometry.mapping(g), "properties": p}
            for g, (_, p) in zip(geoms, items)
        ],
    }
