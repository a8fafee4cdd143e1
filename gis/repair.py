"""Repair of invalid geometries with shapely 2 ``make_valid``, each repair reported.

Only invalid geometries are touched. For a layer of a known kind (polygon, line, point) only the
parts of that dimension are kept, so a polygon with a spike comes back as the polygon without the
spike (the spike is a zero-area line). A geometry with nothing of its kind left is unrepairable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import shapely

from gis.errors import GeometryError
from gis.messages import Joined, Message, joined, msg

GeometryKind = Literal["polygon", "line", "point"]

#: shapely type ids of the single and multi types of each kind.
KIND_TYPE_IDS: dict[str, tuple[int, int]] = {"point": (0, 4), "line": (1, 5), "polygon": (3, 6)}


def feature_label(position: int, feature_id: Any = None, id_field: str | None = None) -> str:
    """Return how a feature is named in messages: ``feature 3 (parcel_id=SC-0003)``.

    ``position`` is 0-based; messages count features from 1 in file order.
    """
    if id_field is not None and feature_id is not None:
        return f"feature {position + 1} ({id_field}={feature_id})"
    return f"feature {position + 1}"


def describe_features(
    positions: Sequence[int] | np.ndarray,
    ids: Sequence[Any] | None = None,
    id_field: str | None = None,
    limit: int = 10,
) -> str:
    """Return a short list of features for a message, at most ``limit`` named and a count of the rest."""
    positions = list(positions)
    labels = [
        feature_label(int(p), None if ids is None else ids[k], id_field)
        for k, p in enumerate(positions[:limit])
    ]
    text = ", ".join(labels)
    if len(positions) > limit:
        text += f" and {len(positions) - limit} more"
    return text


def feature_message(position: int, feature_id: Any = None, id_field: str | None = None) -> Message:
    """Return a feature as people read it (:func:`feature_label` as a message)."""
    if id_field is not None and feature_id is not None:
        return msg("gis.feature_id", n=position + 1, field=id_field, id=_plain(feature_id))
    return msg("gis.feature", n=position + 1)


def features_message(
    positions: Sequence[int] | np.ndarray,
    ids: Sequence[Any] | None = None,
    id_field: str | None = None,
    limit: int = 10,
) -> Message | Joined:
    """Return :func:`describe_features` as a message: at most ``limit`` features and a count of the rest."""
    positions = list(positions)
    items = joined(
        feature_message(int(p), None if ids is None else ids[k], id_field)
        for k, p in enumerate(positions[:limit])
    )
    if len(positions) > limit:
        return msg("gis.features_more", items=items, more=len(positions) - limit)
    return items


@dataclass(frozen=True)
class GeometryRepair:
    """One repaired geometry.

    ``row`` is the 0-based position in the layer (messages print it 1-based), ``feature_id`` the
    value of the layer's id field (or None), ``reason`` shapely's ``is_valid_reason`` before the
    repair, areas in m² (in the layer's CRS units² for a projected CRS in metres).
    """

    row: int
    feature_id: Any
    reason: str
    area_before_m2: float
    area_after_m2: float

    @property
    def area_change_m2(self) -> float:
        """Area after minus area before, m²."""
        return self.area_after_m2 - self.area_before_m2

    def describe(self, id_field: str | None = None) -> str:
        """Return a one-line human description of the repair (English, for logs)."""
        return (
            f"{feature_label(self.row, self.feature_id, id_field)}: {self.reason}; repaired, "
            f"area {self.area_before_m2:,.1f} → {self.area_after_m2:,.1f} m² "
            f"({self.area_change_m2:+,.1f} m²)"
        )

    def message(self, id_field: str | None = None) -> Message:
        """Return the repair as a message (feature, reason, areas in m² before and after)."""
        return msg(
            "gis.repaired",
            feature=feature_message(self.row, self.feature_id, id_field),
            reason=self.reason,
            before=f"{self.area_before_m2:,.1f}",
            after=f"{self.area_after_m2:,.1f}",
            change=f"{self.area_change_m2:+,.1f}",
        )


def keep_kind(geoms: np.ndarray, kind: GeometryKind) -> np.ndarray:
    """Return ``geoms`` reduced to their parts of ``kind`` (vectorised).

    A geometry already of the kind is returned as is; a collection is reduced to its parts of the
    kind (one part → the single type, several → the multi type); None where no part is left.
    """
    single, multi = KIND_TYPE_IDS[kind]
    geoms = np.asarray(geoms, dtype=object)
    out = np.full(len(geoms), None, dtype=object)
    types = shapely.get_type_id(geoms)
    ok = np.isin(types, (single, multi)) & ~shapely.is_empty(geoms)
    out[ok] = geoms[ok]
    rest = np.flatnonzero(~ok & (types >= 0))
    if rest.size == 0:
        return out
    # Two rounds of get_parts flatten a collection that holds multi-geometries.
    parts, idx = shapely.get_parts(geoms[rest], return_index=True)
    parts2, idx2 = shapely.get_parts(parts, return_index=True)
    owner = rest[idx[idx2]]
    keep = (shapely.get_type_id(parts2) == single) & ~shapely.is_empty(parts2)
    parts2, owner = parts2[keep], owner[keep]
    if parts2.size == 0:
        return out
    counts = np.bincount(owner, minlength=len(geoms))
    one = counts[owner] == 1
    out[owner[one]] = parts2[one]
    many = np.flatnonzero(counts > 1)
    if many.size:
        sel = counts[owner] > 1
        # shapely builds one multi-geometry per distinct index, in sorted index order.
        build = {
            "polygon": shapely.multipolygons,
            "line": shapely.multilinestrings,
            "point": shapely.multipoints,
        }[kind]
        order = np.argsort(owner[sel], kind="stable")
        _, dense = np.unique(owner[sel][order], return_inverse=True)
        out[many] = build(parts2[sel][order], indices=dense)
    return out


def _plain(value: Any) -> Any:
    """Return a numpy scalar as the plain Python value (ids read well in messages and JSON)."""
    return value.item() if isinstance(value, np.generic) else value


def _areas_m2(geoms: np.ndarray, crs: Any) -> np.ndarray:
    """Areas in m²: planar in a projected CRS, via the local UTM zone for a geographic one."""
    series = gpd.GeoSeries(geoms, crs=crs)
    if crs is not None and series.crs.is_geographic:
        series = series.to_crs(series.estimate_utm_crs())
    return np.asarray(series.area, dtype=float)


def repair_geometries(
    gdf: gpd.GeoDataFrame,
    *,
    kind: GeometryKind | None = None,
    id_field: str | None = None,
    where: str = "layer",
) -> tuple[gpd.GeoDataFrame, list[GeometryRepair]]:
    """Repair the invalid geometries of ``gdf`` with ``shapely.make_valid`` (vectorised).

    Returns a copy of ``gdf`` with repaired geometries and the list of repairs (row, id,
    ``is_valid_reason`` before, area before/after in m²). With ``kind`` only parts of that kind
    are kept (e.g. the polygonal part of a polygon layer). Null or empty geometries are left
    alone (the reader refuses them separately). Raises ``GeometryError`` naming the features that
    cannot be repaired (nothing of ``kind`` left).
    """
    geoms = np.asarray(gdf.geometry.array, dtype=object)
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    invalid = np.flatnonzero(present & ~shapely.is_valid(geoms))
    if invalid.size == 0:
        return gdf, []
    before = geoms[invalid]
    reasons = shapely.is_valid_reason(before)
    fixed = shapely.make_valid(before)
    if kind is not None:
        fixed = keep_kind(fixed, kind)
    lost = shapely.is_missing(fixed) | shapely.is_empty(fixed)
    ids = gdf[id_field].to_numpy()[invalid] if id_field else None
    if lost.any():
        bad = invalid[lost]
        why = "; ".join(sorted(set(reasons[lost])))[:300]
        raise GeometryError(
            f"cannot repair {describe_features(bad, None if ids is None else ids[lost], id_field)}: "
            f"nothing {'of kind ' + kind + ' ' if kind else ''}is left after make_valid ({why})",
            where=where,
            hint="redraw these features in QGIS (Vector ▸ Geometry Tools ▸ Check Validity)",
            msg=msg(
                "error.gis.unrepairable",
                features=features_message(bad, None if ids is None else ids[lost], id_field),
                reason=why,
            ),
        )
    area_before = _areas_m2(before, gdf.crs)
    area_after = _areas_m2(fixed, gdf.crs)
    out = gdf.copy()
    new = geoms.copy()
    new[invalid] = fixed
    out[out.geometry.name] = gpd.GeoSeries(new, index=gdf.index, crs=gdf.crs)
    repairs = [
        GeometryRepair(
            int(r),
            None if ids is None else _plain(ids[k]),
            str(reasons[k]),
            float(area_before[k]),
            float(area_after[k]),
        )
        for k, r in enumerate(invalid)
    ]
    return out, repairs
