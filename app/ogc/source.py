"""Features of a zone read from the database, filtered and paged in SQL.

Filtering (``bbox`` as an area in the storage CRS, EPSG:4546), counting (``numberMatched``),
ordering (by the natural key, so pages are stable) and paging (``LIMIT``/``OFFSET``) all happen
in the database on either backend (SpatiaLite or PostGIS), so a page costs the same whatever the
layer's size. Geometry comes back as shapely objects in the storage CRS, GIS axis order.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Select, and_, func, literal, select
from sqlalchemy.orm import Session, aliased

from app.db.layers import get_zone
from app.db.models import (
    ZONE_SRID,
    ClusterRow,
    InfrastructureFeatureRow,
    ParcelRow,
    ParcelScoreRow,
    ParkRow,
    ZoneRow,
)
from app.exports.score_runs import LatestRun, latest_score_run, reasons_text
from app.ogc.collections import COLLECTIONS, CollectionSpec, Field
from gis.errors import NotFoundError

#: Infrastructure collections: the layer's ``kind`` column is published under this name.
_KIND_FIELD = {"roads": "class", "water": "kind"}


@dataclass
class Feature:
    """One feature: its id, properties (declared fields first) and geometry (storage CRS)."""

    id: str
    properties: dict[str, Any]
    geometry: BaseGeometry | None


@dataclass
class Page:
    """A page of features and how many match the filter in all."""

    features: list[Feature]
    matched: int


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, np.generic):
        return _clean(value.item())
    if isinstance(value, dt.datetime):
        return value.isoformat().replace("+00:00", "Z")
    return value


def _geom(wkb: Any) -> BaseGeometry | None:
    return None if wkb is None else shapely.from_wkb(bytes(wkb))


class ZoneFeatures:
    """The features of one collection of one zone, read through a session."""

    def __init__(
        self,
        session: Session,
        zone_id: str,
        collection: str,
        *,
        latest_run: Callable[[], LatestRun | None] | None = None,
        zone_resolved: bool = False,
    ):
        """``latest_run`` gives the zone's newest score run (default: read when first needed);
        ``zone_resolved``: the caller has found the zone in the database already (else a page
        or a feature asks again, for its NotFoundError)."""
        self.session = session
        self.zone_id = zone_id
        self._latest_run = latest_run
        self._zone_resolved = zone_resolved
        if collection not in COLLECTIONS:
            raise NotFoundError(
                f"no collection {collection!r}", hint=f"collections are {', '.join(COLLECTIONS)}"
            )
        self.spec: CollectionSpec = COLLECTIONS[collection]
        self._run: LatestRun | None | bool = False

    # ------------------------------------------------------------------ SQL per collection

    def _run_info(self) -> LatestRun | None:
        if self._run is False:
            self._run = (self._latest_run or (lambda: latest_score_run(self.session, self.zone_id)))()
        return self._run  # type: ignore[return-value]

    def _base(self) -> tuple[Select, Any, Any, list[str]]:
        """Return (select, geometry column, key column, column names) for the collection."""
        z, cid = self.zone_id, self.spec.id
        if cid == "parks":
            cols = ["park_id", "name", "name_en", "area_m2", "area_mu", "attrs"]
            q = select(
                ParkRow.code,
                ParkRow.name,
                ParkRow.name_en,
                ParkRow.area_m2,
                ParkRow.area_mu,
                ParkRow.attrs,
                func.ST_AsBinary(ParkRow.geom),
            ).where(ParkRow.zone_id == z)
            return q, ParkRow.geom, ParkRow.code, cols
        if cid == "clusters":
            cols = [
                "cluster_id",
                "park_id",
                "name",
                "name_en",
                "kind",
                "area_m2",
                "area_mu",
                "version",
                "attrs",
            ]
            q = (
                select(
                    ClusterRow.code,
                    ParkRow.code,
                    ClusterRow.name,
                    ClusterRow.name_en,
                    ClusterRow.kind,
                    ClusterRow.area_m2,
                    ClusterRow.area_mu,
                    ClusterRow.version,
                    ClusterRow.attrs,
                    func.ST_AsBinary(ClusterRow.geom),
                )
                .join(ParkRow, ParkRow.id == ClusterRow.park_id)
                .where(ClusterRow.zone_id == z)
            )
            return q, ClusterRow.geom, ClusterRow.code, cols
        if cid == "parcels":
            cl = aliased(ClusterRow)
            run = self._run_info()
            cols = [
                "parcel_id",
                "park",
                "cluster",
                "status",
                "area_m2",
                "area_mu",
                "enterprise",
                "land_use",
                "version",
                "score",
                "score_class",
                "excluded",
                "reasons",
                "attrs",
            ]
            q = (
                select(
                    ParcelRow.parcel_id,
                    ParkRow.code,
                    cl.code,
                    ParcelRow.status,
                    ParcelRow.area_m2,
                    ParcelRow.area_mu,
                    ParcelRow.enterprise,
                    ParcelRow.land_use,
                    ParcelRow.version,
                    ParcelScoreRow.score,
                    ParcelScoreRow.score_class,
                    ParcelScoreRow.excluded,
                    ParcelScoreRow.reasons,
                    ParcelRow.attrs,
                    func.ST_AsBinary(ParcelRow.geom),
                )
                .join(ParkRow, ParkRow.id == ParcelRow.park_id)
                .outerjoin(cl, cl.id == ParcelRow.cluster_id)
                .outerjoin(
                    ParcelScoreRow,
                    and_(
                        ParcelScoreRow.parcel_id == ParcelRow.id,
                        ParcelScoreRow.run_id == (run.id if run else literal(-1)),
                    ),
                )
                .where(ParcelRow.zone_id == z)
            )
            return q, ParcelRow.geom, ParcelRow.parcel_id, cols
        f = InfrastructureFeatureRow
        cols = [self.spec.id_field, "name", _KIND_FIELD.get(cid, "kind"), "status", "attrs"]
        q = select(f.code, f.name, f.kind, f.status, f.attrs, func.ST_AsBinary(f.geom)).where(
            f.zone_id == z, f.layer == cid
        )
        return q, f.geom, f.code, cols

    def _feature(self, row: Sequence[Any], cols: list[str]) -> Feature:
        values = dict(zip(cols, row[:-1]))
        attrs = values.pop("attrs", None) or {}
        props: dict[str, Any] = {}
        for field in self.spec.fields:
            props[field.name] = _clean(values.get(field.name, attrs.get(field.name)))
        if self.spec.id == "parcels":
            run = self._run_info()
            props["reasons"] = reasons_text(values.get("reasons"))
            scored = values.get("score_class") is not None or values.get("score") is not None
            props["score_run"] = run.id if run and scored else None
            props["scored_at"] = _clean(run.finished_at) if run and scored and run.finished_at else None
            props["excluded"] = bool(values["excluded"]) if values.get("excluded") is not None else None
        for k, v in attrs.items():
            if k not in props:
                props[k] = _clean(v)
        return Feature(id=str(props[self.spec.id_field]), properties=props, geometry=_geom(row[-1]))

    # ------------------------------------------------------------------ queries

    def page(self, *, area: BaseGeometry | None = None, empty: bool = False, limit: int, offset: int) -> Page:
        """Return the features intersecting ``area`` (storage CRS; None = all) from ``offset``.

        ``empty`` means the filter matches nothing (a bbox outside the storage CRS's area of use).
        The features and their count come in one statement (a window count); the count is asked
        apart only for a page past the end.
        """
        if not self._zone_resolved:
            get_zone(self.session, self.zone_id)
        if empty:
            return Page([], 0)
        q, geom_col, key, cols = self._base()
        if area is not None:
            q = q.where(func.ST_Intersects(geom_col, func.ST_GeomFromWKB(shapely.to_wkb(area), ZONE_SRID)))
        rows = self.session.execute(
            q.add_columns(func.count().over()).order_by(key).limit(limit).offset(offset)
        ).all()
        if rows:
            matched = int(rows[0][-1])
        elif offset == 0:
            matched = 0
        else:
            matched = int(self.session.scalar(select(func.count()).select_from(q.subquery())) or 0)
        return Page([self._feature(r[:-1], cols) for r in rows], matched)

    def get(self, feature_id: str) -> Feature:
        """Return one feature by its id; ``NotFoundError`` naming the collection otherwise."""
        if not self._zone_resolved:
            get_zone(self.session, self.zone_id)
        q, _, key, cols = self._base()
        row = self.session.execute(q.where(key == feature_id)).first()
        if row is None:
            raise NotFoundError(
                f"no feature {feature_id!r} in collection {self.spec.id!r}",
                where=f"zone {self.zone_id}",
                hint=f"list the features at /collections/{self.spec.id}/items",
            )
        return self._feature(row, cols)

    def bounds(self) -> tuple[float, float, float, float] | None:
        """Return the layer's bounds in the storage CRS (GIS order), or None when it is empty."""
        _, geom_col, _, _ = self._base()
        table = geom_col.class_
        q = select(func.ST_AsBinary(geom_col)).where(table.zone_id == self.zone_id, geom_col.is_not(None))
        if table is InfrastructureFeatureRow:
            q = q.where(InfrastructureFeatureRow.layer == self.spec.id)
        geoms = shapely.from_wkb([bytes(b) for b in self.session.scalars(q)])
        if len(geoms) == 0:
            return None
        return tuple(float(v) for v in shapely.total_bounds(geoms))  # type: ignore[return-value]

    def extra_fields(self) -> list[Field]:
        """Return the layer's fields beyond the declared ones (from ``attrs``), typed by value."""
        _, geom_col, _, _ = self._base()
        table = geom_col.class_
        q = select(table.attrs).where(table.zone_id == self.zone_id)
        if table is InfrastructureFeatureRow:
            q = q.where(InfrastructureFeatureRow.layer == self.spec.id)
        types: dict[str, str | None] = {}
        declared = set(self.spec.field_names)
        for attrs in self.session.scalars(q):
            for k, v in (attrs or {}).items():
                if k in declared:
                    continue
                if v is None:
                    types.setdefault(k, None)
                    continue
                t = (
                    "boolean"
                    if isinstance(v, bool)
                    else "integer"
                    if isinstance(v, int)
                    else "number"
                    if isinstance(v, float)
                    else "string"
                )
                old = types.get(k)
                if old is None:
                    types[k] = t
                elif old != t:
                    types[k] = "number" if {old, t} == {"integer", "number"} else "string"
        return [Field(k, t or "string", k) for k, t in types.items()]  # type: ignore[arg-type]


def zone_ids(session: Session) -> list[str]:
    """Return the ids of the zones in the database, sorted."""
    return list(session.scalars(select(ZoneRow.id).order_by(ZoneRow.id)))
