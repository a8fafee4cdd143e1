"""Database look-ups for the API: which zone is served, and pages of parks, clusters and parcels.

The API serves one zone: the only zone in the database, or — when there are several — the one
named by ``Settings.zone_file``. Pages are ordered by their natural key (``park_id``,
``cluster_id``, ``parcel_id``) so that ``limit``/``offset`` paging neither repeats nor misses a
feature while the data does not change. A ``bbox`` (WGS 84) is transformed to the zone CRS
(densified edges) and matched with ``ST_Intersects``; on SpatiaLite the R*Tree spatial index
narrows the candidates first (PostGIS uses its GiST index by itself).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import ColumnElement, Select, bindparam, false, func, select, text
from sqlalchemy.orm import Session, aliased

from app.api.scores import geom_sha1, latest_run_id
from app.db.layers import get_zone
from app.db.models import (
    ZONE_SRID,
    AuditEntryRow,
    ClusterRow,
    ParcelRow,
    ParcelScoreRow,
    ParkRow,
    ScoreRunRow,
    ZoneRow,
)
from app.db.notes import ENTITY_IDS
from app.db.rules import stored_config
from app.settings import Settings
from gis.errors import NotFoundError
from gis.messages import msg
from scoring.suitability import EXCLUDED_CLASS, EXCLUDED_CLASS_EN
from scoring.zone import ZoneConfig, load_zone


@lru_cache(maxsize=4)
def _zone_id_of_file(path: str, mtime_ns: int) -> str | None:
    try:
        return load_zone(path).zone.id
    except Exception:  # an unreadable zone file just does not pick a zone
        return None


def served_zone(session: Session, settings: Settings) -> ZoneRow:
    """Return the zone the API serves (see the module docstring); NotFoundError when there is none."""
    ids = list(session.scalars(select(ZoneRow.id).order_by(ZoneRow.id)))
    if not ids:
        raise NotFoundError(
            "the database holds no zone",
            where="database",
            hint="import one: `parksite import --sample` (or restart `parksite serve`)",
            msg=msg("error.db.no_zone"),
        )
    zone_id = ids[0]
    if len(ids) > 1:
        p = Path(settings.zone_file)
        wanted = _zone_id_of_file(str(p), p.stat().st_mtime_ns) if p.is_file() else None
        if wanted in ids:
            zone_id = wanted
    return get_zone(session, zone_id)


@dataclass(frozen=True)
class ServedZone:
    """What the read routes need of the served zone, without its row: kept per data version by
    :func:`app.api.zone_memo.served` so that a request loads neither the zone row (its whole
    stored zone file) nor the newest score run again. Shared by every thread: do not change it."""

    id: str
    #: the zone CRS, e.g. ``EPSG:4546``
    crs: str
    #: sha256 of the zone file's rules as imported
    config_sha256: str
    #: the zone file's rules as imported (:func:`config_of`)
    config: ZoneConfig
    #: the English name of each score class (:func:`class_names_en`)
    names_en: dict[str, str]
    #: id of the zone's newest score run with status ``done``; None before the first
    run_id: int | None
    #: when the zone was imported (UTC)
    imported_at: dt.datetime


def served_zone_state(session: Session, settings: Settings) -> ServedZone:
    """Return :class:`ServedZone` of :func:`served_zone`, read now (three small queries)."""
    zone = served_zone(session, settings)
    cfg = stored_config(zone)
    run = session.scalar(
        select(func.max(ScoreRunRow.id)).where(ScoreRunRow.zone_id == zone.id, ScoreRunRow.status == "done")
    )
    return ServedZone(
        id=zone.id,
        crs=zone.crs,
        config_sha256=zone.config_sha256,
        config=cfg,
        names_en=class_names_en(cfg),
        run_id=None if run is None else int(run),
        imported_at=zone.imported_at,
    )


def config_of(zone: ZoneRow | ServedZone) -> ZoneConfig:
    """Return the zone file's rules as imported (cached per rules hash). Its clusters are the
    zone file's: for admission use :func:`app.db.rules.zone_rules` (the database's clusters)."""
    return zone.config if isinstance(zone, ServedZone) else stored_config(zone)


def class_names_en(cfg: ZoneConfig) -> dict[str, str]:
    """Return the English name of each score class (and of the excluded class)."""
    return {c.name: c.name_en for c in cfg.scoring.classes} | {EXCLUDED_CLASS: EXCLUDED_CLASS_EN}


@dataclass
class Page:
    """One page of rows and the number of rows matching the filters."""

    rows: list[Any]
    total: int


def _spatial(stmt: Select, session: Session, model: Any, table: str, area: BaseGeometry | None) -> Select:
    if area is None:
        return stmt
    wkt = shapely.to_wkt(area, rounding_precision=3)
    stmt = stmt.where(func.ST_Intersects(model.geom, func.ST_GeomFromText(wkt, ZONE_SRID)))
    if session.get_bind().dialect.name == "sqlite":
        minx, miny, maxx, maxy = area.bounds
        stmt = stmt.where(
            model.id.in_(
                text(
                    "SELECT rowid FROM SpatialIndex WHERE f_table_name = :t AND f_geometry_column = 'geom' "
                    "AND search_frame = BuildMbr(:minx, :miny, :maxx, :maxy, :srid)"
                ).bindparams(t=table, minx=minx, miny=miny, maxx=maxx, maxy=maxy, srid=ZONE_SRID)
            )
        )
    return stmt


#: The label of the matching rows' count added to a page's rows by ``_page(counted=True)``.
TOTAL = "total_matched"


def _page(
    session: Session, stmt: Select, order: list[Any], limit: int, offset: int, *, counted: bool = False
) -> Page:
    """Return a page of ``stmt``; ``counted``: its rows (named columns) carry the number of
    matching rows as column :data:`TOTAL` (a window count: one statement, one scan), and the
    count is asked apart only for a page past the end."""
    if not counted:
        total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
        rows = session.execute(stmt.order_by(*order).limit(limit).offset(offset)).all()
        return Page(rows, int(total or 0))
    rows = session.execute(
        stmt.add_columns(func.count().over().label(TOTAL)).order_by(*order).limit(limit).offset(offset)
    ).all()
    if rows:
        return Page(rows, int(rows[0]._mapping[TOTAL]))
    if offset == 0:
        return Page(rows, 0)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    return Page(rows, int(total or 0))


def parks_page(session: Session, zone_id: str, *, area: BaseGeometry | None, limit: int, offset: int) -> Page:
    """Return a page of the zone's parks (by park_id): Park rows and their WKB."""
    stmt = select(ParkRow, func.ST_AsBinary(ParkRow.geom)).where(ParkRow.zone_id == zone_id)
    return _page(session, _spatial(stmt, session, ParkRow, "parks", area), [ParkRow.code], limit, offset)


def clusters_page(
    session: Session, zone_id: str, *, area: BaseGeometry | None, park: str | None, limit: int, offset: int
) -> Page:
    """Return a page of the zone's clusters (by cluster_id): (Cluster, park code, WKB) rows."""
    stmt = (
        select(ClusterRow, ParkRow.code, func.ST_AsBinary(ClusterRow.geom))
        .join(ParkRow, ParkRow.id == ClusterRow.park_id)
        .where(ClusterRow.zone_id == zone_id)
    )
    if park:
        stmt = stmt.where(ParkRow.code.in_(park.split(",")))
    return _page(
        session, _spatial(stmt, session, ClusterRow, "clusters", area), [ClusterRow.code], limit, offset
    )


class _Run(Enum):
    LATEST = "latest"


#: ``run`` of :func:`parcel_select`: the newest ``done`` score run, looked up by the statement.
LATEST = _Run.LATEST
#: A score run for :func:`parcel_select`: its id, None for none (no scores), or :data:`LATEST`.
RunRef = int | None | Literal[_Run.LATEST]


def score_run_clause(zone_id: str, run: RunRef) -> ColumnElement[bool]:
    """Return the condition that a ``ParcelScoreRow`` is of score run ``run`` (see :data:`RunRef`)."""
    if run is LATEST:
        return ParcelScoreRow.run_id == latest_run_id(zone_id)
    if run is None:
        return false()
    return ParcelScoreRow.run_id == run


@lru_cache(maxsize=32)
def _parcel_select(zone_id: str, run: RunRef, detail: bool, by_code: bool) -> Select:
    # built once per zone and run: SQLAlchemy then also reuses the statement's cache key
    cl = aliased(ClusterRow)
    cols: list[Any] = [
        ParcelRow.id,
        ParcelRow.parcel_id,
        ParkRow.code.label("park"),
        cl.code.label("cluster"),
        ParcelRow.status,
        ParcelRow.enterprise,
        ParcelRow.land_use,
        ParcelRow.area_m2,
        ParcelRow.area_mu,
        ParcelRow.version,
        ParcelRow.updated_at,
        ParcelRow.updated_by,
        func.ST_AsBinary(ParcelRow.geom).label("wkb"),
        ParcelScoreRow.score,
        ParcelScoreRow.score_class.label("class"),
        ParcelScoreRow.excluded,
        ParcelScoreRow.breakdown["geom_sha1"].as_string().label("geom_sha1"),
    ]
    if detail:
        cols += [ParcelScoreRow.reasons, ParcelScoreRow.breakdown]
    stmt = (
        select(*cols)
        .join(ParkRow, ParkRow.id == ParcelRow.park_id)
        .outerjoin(cl, cl.id == ParcelRow.cluster_id)
        .outerjoin(
            ParcelScoreRow,
            (ParcelScoreRow.parcel_id == ParcelRow.id) & score_run_clause(zone_id, run),
        )
        .where(ParcelRow.zone_id == zone_id)
    )
    return stmt.where(ParcelRow.parcel_id == bindparam("code")) if by_code else stmt


def parcel_select(zone_id: str, run: RunRef = LATEST) -> Select:
    """Return the SELECT of parcel rows with their park, cluster and score of run ``run``
    (default: the newest ``done`` run, looked up by the statement).

    Columns: id, parcel_id, park, cluster, status, enterprise, land_use, area_m2, area_mu,
    version, updated_at, updated_by, wkb, score, class, excluded, geom_sha1 (of the scored
    geometry).
    """
    return _parcel_select(zone_id, run, False, False)


def parcels_page(
    session: Session,
    zone_id: str,
    *,
    area: BaseGeometry | None,
    park: str | None,
    cluster: str | None,
    status: str | None,
    limit: int,
    offset: int,
    run: RunRef = LATEST,
) -> Page:
    """Return a page of parcel rows (see :func:`parcel_select`, scores of ``run``) ordered by
    parcel_id, counted in the same statement.

    ``park``, ``cluster`` and ``status`` are comma-separated lists of accepted values.
    """
    stmt = parcel_select(zone_id, run)
    if park:
        stmt = stmt.where(ParkRow.code.in_(park.split(",")))
    if cluster:
        cl = stmt.selected_columns.cluster
        stmt = stmt.where(cl.in_(cluster.split(",")))
    if status:
        stmt = stmt.where(ParcelRow.status.in_(status.split(",")))
    return _page(
        session,
        _spatial(stmt, session, ParcelRow, "parcels", area),
        [ParcelRow.parcel_id, ParcelRow.id],
        limit,
        offset,
        counted=True,
    )


def parcel_properties(row: Any, names_en: dict[str, str]) -> dict[str, Any]:
    """Return the list properties of a parcel row of :func:`parcel_select`."""
    klass = row.__getattribute__("class")
    return {
        "parcel_id": row.parcel_id,
        "park": row.park,
        "cluster": row.cluster,
        "status": row.status,
        "enterprise": row.enterprise,
        "land_use": row.land_use,
        "area_m2": None if row.area_m2 is None else round(row.area_m2, 2),
        "area_mu": None if row.area_mu is None else round(row.area_mu, 4),
        "score": row.score,
        "class": klass,
        "class_en": names_en.get(klass) if klass else None,
        "excluded": row.excluded,
        "score_stale": bool(row.geom_sha1 and row.geom_sha1 != geom_sha1(row.wkb)),
        "version": row.version,
    }


def cluster_properties(c: ClusterRow, park_code: str) -> dict[str, Any]:
    """Return the properties of a cluster feature."""
    return {
        "cluster_id": c.code,
        "park": park_code,
        "name": c.name,
        "name_en": c.name_en,
        "kind": c.kind,
        "directions": c.directions,
        "admits": c.admits,
        "admits_encouraged_under_review": c.admits_encouraged_under_review,
        "area_m2": None if c.area_m2 is None else round(c.area_m2, 2),
        "area_mu": None if c.area_mu is None else round(c.area_mu, 4),
        "version": c.version,
        "updated_at": c.updated_at,
        "updated_by": c.updated_by,
    }


def park_properties(p: ParkRow) -> dict[str, Any]:
    """Return the properties of a park feature."""
    return {
        "park_id": p.code,
        "name": p.name,
        "name_en": p.name_en,
        "area_m2": None if p.area_m2 is None else round(p.area_m2, 2),
        "area_mu": None if p.area_mu is None else round(p.area_mu, 4),
    }


def find_cluster(session: Session, zone_id: str, code: str) -> tuple[ClusterRow, str, bytes | None]:
    """Return ``(cluster, park code, WKB)`` of cluster ``code``; NotFoundError otherwise."""
    row = session.execute(
        select(ClusterRow, ParkRow.code, func.ST_AsBinary(ClusterRow.geom))
        .join(ParkRow, ParkRow.id == ClusterRow.park_id)
        .where(ClusterRow.zone_id == zone_id, ClusterRow.code == code)
        .execution_options(populate_existing=True)
    ).first()
    if row is None:
        raise NotFoundError(
            f"no cluster {code!r} in zone {zone_id}",
            where=f"cluster {code}",
            hint="list them with GET /api/v1/clusters",
            msg=msg("error.cluster.not_found", cluster=code),
        )
    return row[0], row[1], row[2]


def find_parcel(
    session: Session, zone_id: str, code: str, *, run: RunRef = LATEST, detail: bool = False
) -> Any:
    """Return the :func:`parcel_select` row of parcel ``code`` (scores of ``run``); with
    ``detail`` also the score's ``reasons`` and whole ``breakdown``; NotFoundError otherwise."""
    row = session.execute(_parcel_select(zone_id, run, detail, True), {"code": code}).first()
    if row is None:
        raise NotFoundError(
            f"no parcel {code!r} in zone {zone_id}",
            where=f"parcel {code}",
            hint="list them with GET /api/v1/parcels",
            msg=msg("error.parcel.not_found", parcel=code),
        )
    return row


def entity_id_by_key(session: Session, zone_id: str, entity: str, key: str) -> int:
    """Return the database id of a cluster/parcel by its code, also after it was deleted.

    A deleted entity is found in the audit log (its newest entry with that key); NotFoundError
    when neither the table nor the log knows it.
    """
    model = ClusterRow if entity == "cluster" else ParcelRow
    col = ClusterRow.code if entity == "cluster" else ParcelRow.parcel_id
    found = session.scalar(select(model.id).where(model.zone_id == zone_id, col == key))
    if found is not None:
        return int(found)
    logged = session.scalar(
        select(AuditEntryRow.entity_id)
        .where(
            AuditEntryRow.entity == entity, AuditEntryRow.entity_key == key, AuditEntryRow.zone_id == zone_id
        )
        .order_by(AuditEntryRow.id.desc())
        .limit(1)
    )
    if logged is None:
        raise NotFoundError(
            f"no {entity} {key!r} in zone {zone_id}, now or in its history",
            where=f"{entity} {key}",
            msg=msg(
                "error.history.not_found",
                what=msg(ENTITY_IDS[entity]) if entity in ENTITY_IDS else entity,
                key=str(key),
            ),
        )
    return int(logged)


def park_of(session: Session, zone_id: str, code: str) -> ParkRow:
    """Return park ``code`` of the zone; NotFoundError naming the parks otherwise."""
    park = session.scalar(select(ParkRow).where(ParkRow.zone_id == zone_id, ParkRow.code == code))
    if park is None:
        known = list(
            session.scalars(select(ParkRow.code).where(ParkRow.zone_id == zone_id).order_by(ParkRow.code))
        )
        raise NotFoundError(
            f"no park {code!r} in zone {zone_id} (parks: {', '.join(known)})",
            where="park",
            hint="give one of the zone's park ids",
            msg=msg("error.park.not_found", park=code, parks=list(known)),
        )
    return park
