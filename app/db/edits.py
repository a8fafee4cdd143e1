"""Versioned edits of clusters and parcels, with optimistic concurrency and an audit trail.

Every write names the version it starts from. The check is in the UPDATE itself
(``UPDATE … SET version = version + 1 WHERE id = ? AND version = ?``): when no row matches, some
other writer got there first and :class:`VersionConflictError` (a ``ConflictError``, HTTP 412)
carries the current version and state. Two writers starting from the same version: exactly one
wins, also under PostgreSQL with concurrent transactions (the second UPDATE waits for the first
transaction's row lock, then re-checks ``version`` and matches nothing).

Cluster geometry edits are also serialised per park on PostgreSQL (``SELECT … FOR UPDATE`` on
the park row) so two edits of neighbouring clusters cannot both pass the overlap check. SQLite
has one writer at a time anyway.

Cluster outlines: one rule, checked here inside the write transaction — an outline must be a
polygon (repaired when invalid), lie inside its park and overlap no other cluster of the zone.
Slivers thinner than 2 × ``SNAP_M`` beyond the park boundary or over a neighbour (what rounding
does to a shared edge read from the API in WGS 84 and sent back) are cut off and reported; what
is left beyond ``OUTSIDE_PARK_TOLERANCE_M2`` / ``OVERLAP_TOLERANCE_M2`` is refused with
:class:`app.errors.ClusterGeometryError` (HTTP 422), which carries the offending part. A restore
is checked like any edit.

A cluster's ``admits`` (the industries it admits, 表8-1) is checked against the zone file's
positive list (:func:`app.db.rules.check_admits`); null means "not set yet".

Every write records an audit entry (:mod:`app.db.audit`) with the state before and after and
notes in English and Chinese (:mod:`app.db.messages`).
Functions here flush but never commit: the caller owns the transaction, and on any error rolls
it back (``with factory.begin() as session: …``).

Parcel ↔ cluster assignment rule (used after every cluster geometry change, cluster creation
and deletion, and a parcel geometry change): a parcel belongs to the cluster of its park that
covers at least half of the parcel's area (``ASSIGN_MIN_SHARE``); clusters do not overlap, so at
most one can. A parcel covered less than half by every cluster has no cluster. Only parcels
that were in the edited cluster or touch its old or new outline are re-assigned.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from app.db import audit, messages
from app.db.geometry import clean_polygon, from_db, to_db, to_multi
from app.db.messages import Msg
from app.db.models import (
    CLUSTER_KINDS,
    PARCEL_STATUSES,
    ZONE_SRID,
    Cluster,
    Enterprise,
    Parcel,
    Park,
    User,
    Zone,
    utcnow,
)
from app.db.rules import check_admits, stored_config
from app.db.users import require
from app.errors import ClusterGeometryError, VersionConflictError
from app.settings import get_settings
from gis.errors import ConflictError, GeometryError, NotFoundError, SchemaError
from gis.repair import keep_kind
from gis.units import MU_M2

#: Overlap between two clusters tolerated as digitising noise, m².
OVERLAP_TOLERANCE_M2 = 1.0
#: Area of a cluster allowed outside its park (digitising noise), m².
OUTSIDE_PARK_TOLERANCE_M2 = 1.0
#: Share of a parcel's area a cluster must cover for the parcel to belong to it (0–1).
ASSIGN_MIN_SHARE = 0.5
#: Slivers beyond the park or over a neighbour thinner than twice this (m) are cut off, not
#: refused: an outline read as WGS 84 and sent back moves its shared edges by millimetres.
SNAP_M = 0.05

CLUSTER_EDITABLE = (
    "name",
    "name_en",
    "kind",
    "directions",
    "admits",
    "admits_encouraged_under_review",
    "attrs",
    "geometry",
)
PARCEL_EDITABLE = ("status", "enterprise", "land_use", "cluster", "attrs", "geometry")

ENTITIES = {"cluster": Cluster, "parcel": Parcel}


__all__ = [
    "ASSIGN_MIN_SHARE",
    "CLUSTER_EDITABLE",
    "ClusterGeometryError",
    "EditResult",
    "OUTSIDE_PARK_TOLERANCE_M2",
    "OVERLAP_TOLERANCE_M2",
    "PARCEL_EDITABLE",
    "SNAP_M",
    "VersionConflictError",
    "assign_cluster",
    "check_cluster_outline",
    "cluster_state",
    "create_cluster",
    "delete_cluster",
    "history",
    "parcel_state",
    "restore",
    "update_cluster",
    "update_parcel",
    "versioned_update",
]


@dataclass
class EditResult:
    """What a write did: the entity, its new version and state, repairs, re-assigned parcels.

    ``state`` holds the attributes after the write and ``geometry_wkt`` the geometry (zone CRS);
    ``repairs`` what was done to the outline (repairs, slivers cut; each a ``Msg``, English with
    ``.zh``); ``reassigned`` lists ``(parcel_id, old cluster code, new cluster code)``.
    """

    entity: str
    id: int
    key: str
    action: str
    version: int
    state: dict[str, Any] | None
    geometry_wkt: str | None
    repairs: list[str] = field(default_factory=list)
    reassigned: list[tuple[str, str | None, str | None]] = field(default_factory=list)


# --------------------------------------------------------------------------- helpers


def _actor(user: User | str | None, action: str) -> str | None:
    """Return the user name to record; a ``User`` must be allowed ``action``."""
    if isinstance(user, User):
        require(user, action)
        return user.name
    return user


def cluster_state(c: Cluster) -> tuple[dict[str, Any], BaseGeometry | None]:
    """Return ``(attributes, geometry)`` of a cluster as the audit log stores them."""
    return (
        {
            "code": c.code,
            "park_id": c.park_id,
            "name": c.name,
            "name_en": c.name_en,
            "kind": c.kind,
            "directions": c.directions,
            "admits": c.admits,
            "admits_encouraged_under_review": c.admits_encouraged_under_review,
            "area_m2": c.area_m2,
            "area_mu": c.area_mu,
            "attrs": c.attrs,
            "version": c.version,
        },
        from_db(c.geom),
    )


def parcel_state(session: Session, p: Parcel) -> tuple[dict[str, Any], BaseGeometry | None]:
    """Return ``(attributes, geometry)`` of a parcel as the audit log stores them."""
    cluster_code = None
    if p.cluster_id is not None:
        cluster_code = session.scalar(select(Cluster.code).where(Cluster.id == p.cluster_id))
    return (
        {
            "parcel_id": p.parcel_id,
            "park_id": p.park_id,
            "cluster_id": p.cluster_id,
            "cluster": cluster_code,
            "status": p.status,
            "enterprise": p.enterprise,
            "land_use": p.land_use,
            "area_m2": p.area_m2,
            "area_mu": p.area_mu,
            "attrs": p.attrs,
            "version": p.version,
        },
        from_db(p.geom),
    )


def _state(session: Session, entity: str, obj: Any) -> tuple[dict[str, Any], BaseGeometry | None]:
    return cluster_state(obj) if entity == "cluster" else parcel_state(session, obj)


def _load(session: Session, entity: str, entity_id: int) -> Any:
    model = ENTITIES[entity]
    obj = session.get(model, entity_id, populate_existing=True)
    if obj is None:
        raise NotFoundError(f"no {entity} with id {entity_id}", where=entity)
    return obj


def _conflict(session: Session, entity: str, entity_id: int, expected: int) -> VersionConflictError:
    """Build the conflict error from the entity's current (committed) state."""
    model = ENTITIES[entity]
    obj = session.get(model, entity_id, populate_existing=True)
    if obj is None:
        return VersionConflictError(
            f"{entity} {entity_id} was deleted by someone else",
            entity=entity,
            entity_id=entity_id,
            expected_version=expected,
            current_version=None,
            current_state=None,
            where=f"{entity} {entity_id}",
            hint="reload the map",
        )
    attrs, geom = _state(session, entity, obj)
    state = {**attrs, "geometry_wkt": audit.to_wkt(geom)}
    key = obj.code if entity == "cluster" else obj.parcel_id
    return VersionConflictError(
        f"{entity} {key} is at version {obj.version}, not {expected}: someone else changed it",
        entity=entity,
        entity_id=entity_id,
        expected_version=expected,
        current_version=obj.version,
        current_state=state,
        where=f"{entity} {key}",
        hint="reload it, re-apply your change and save again",
    )


def versioned_update(
    session: Session, entity: str, entity_id: int, expected: int, values: Mapping[str, Any]
) -> int:
    """UPDATE a cluster/parcel row if (and only if) it is still at ``expected``; bump its version.

    Returns the new version; raises ``VersionConflictError`` (with the current state) when no
    row matched. The caller records the audit entry.
    """
    model = ENTITIES[entity]
    result = session.execute(
        update(model)
        .where(model.id == entity_id, model.version == expected)
        .values(**values, version=model.version + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise _conflict(session, entity, entity_id, expected)
    return expected + 1


def _area(geom: BaseGeometry | None) -> tuple[float | None, float | None]:
    if geom is None:
        return None, None
    return float(geom.area), float(geom.area) / MU_M2


def _unknown(changes: Mapping[str, Any], allowed: tuple[str, ...], entity: str) -> None:
    bad = sorted(set(changes) - set(allowed))
    if bad:
        raise SchemaError(
            f"cannot change field(s) {', '.join(bad)}",
            where=entity,
            hint=f"editable fields: {', '.join(allowed)}",
        )


def _max_vertices(max_vertices: int | None) -> int:
    return get_settings().max_vertices if max_vertices is None else max_vertices


# --------------------------------------------------------------------------- cluster checks


def _sliver(part: BaseGeometry) -> bool:
    """Whether a polygonal part is only a sliver (nothing left after shrinking by SNAP_M)."""
    return part.is_empty or part.buffer(-SNAP_M).is_empty


def _polygonal(geom: BaseGeometry) -> BaseGeometry | None:
    kept = keep_kind(np.array([geom], dtype=object), "polygon")[0]
    return None if kept is None or kept.is_empty else to_multi(kept)


def check_cluster_outline(
    session: Session, park: Park, geom: BaseGeometry, *, exclude_id: int | None, where: str
) -> tuple[BaseGeometry, list[Msg]]:
    """Check a (cleaned) cluster outline against its park and the zone's other clusters.

    Returns ``(outline, notes)``: slivers thinner than 2 × ``SNAP_M`` outside the park or over
    another cluster are cut off, each cut noted. Raises ``ClusterGeometryError`` (422) when more
    than ``OUTSIDE_PARK_TOLERANCE_M2`` lies outside the park or more than
    ``OVERLAP_TOLERANCE_M2`` over another cluster (``exclude_id`` is the cluster itself), and
    ``GeometryError`` when nothing is left.
    """
    crs = f"EPSG:{ZONE_SRID}"
    notes: list[Msg] = []
    park_geom = from_db(park.geom)
    if park_geom is not None:
        outside = geom.difference(park_geom)
        if outside.area > 0 and _sliver(outside):
            notes.append(
                Msg(
                    f"{where}: cut {outside.area:,.2f} m² of sliver outside park {park.code}",
                    f"{where}：裁去园区 {park.code} 外的细长碎片 {outside.area:,.2f} m²",
                )
            )
            geom = _polygonal(geom.intersection(park_geom))
            if geom is None:
                raise GeometryError(
                    "nothing is left of the outline inside the park",
                    where=where,
                    hint="draw the cluster inside its park",
                )
            outside = geom.difference(park_geom)
        if outside.area > OUTSIDE_PARK_TOLERANCE_M2:
            raise ClusterGeometryError(
                f"extends {outside.area:,.1f} m² outside its park {park.code} ({park.name})",
                kind="outside_park",
                park=park.code,
                area_m2=float(outside.area),
                geometry=outside,
                crs=crs,
                where=where,
                hint="keep the cluster inside the park boundary",
            )
    others = session.execute(
        select(Cluster.id, Cluster.code, Cluster.geom)
        .where(Cluster.zone_id == park.zone_id, Cluster.geom.is_not(None))
        .order_by(Cluster.code)
    ).all()
    for oid, code, g in others:
        if oid == exclude_id:
            continue
        other = from_db(g)
        if other is None or not other.intersects(geom):
            continue
        overlap = other.intersection(geom)
        if overlap.area > 0 and _sliver(overlap):
            notes.append(
                Msg(
                    f"{where}: cut {overlap.area:,.2f} m² of sliver over cluster {code}",
                    f"{where}：裁去与组团 {code} 重叠的细长碎片 {overlap.area:,.2f} m²",
                )
            )
            geom = _polygonal(geom.difference(other))
            if geom is None:
                raise GeometryError(
                    f"nothing is left of the outline beside cluster {code}",
                    where=where,
                    hint="draw the cluster on free land of its park",
                )
            overlap = other.intersection(geom)
        if overlap.area > OVERLAP_TOLERANCE_M2:
            raise ClusterGeometryError(
                f"overlaps cluster {code} by {overlap.area:,.1f} m² (tolerance {OVERLAP_TOLERANCE_M2:g} m²)",
                kind="overlap",
                cluster=code,
                area_m2=float(overlap.area),
                geometry=overlap,
                crs=crs,
                where=where,
                hint="move the shared edge so the clusters only touch",
            )
    return geom, notes


def _admits(session: Session, zone_id: str, admits: Any, where: str) -> list[dict[str, Any]] | None:
    """Return ``admits`` checked against the zone file's positive list (None: not set yet)."""
    if admits is None:
        return None
    zone = session.get(Zone, zone_id)
    if zone is None:
        raise NotFoundError(f"no zone {zone_id!r}", where=where)
    return check_admits(stored_config(zone), admits, where=where)


def _lock_park(session: Session, park_id: int) -> Park:
    """Return the park row locked for this transaction (PostgreSQL; a plain read on SQLite)."""
    park = session.scalar(
        select(Park).where(Park.id == park_id).with_for_update().execution_options(populate_existing=True)
    )
    if park is None:
        raise NotFoundError(f"no park with id {park_id}")
    return park


def _reassign(
    session: Session,
    park: Park,
    touched: list[BaseGeometry | None],
    cluster_ids: set[int],
    user: str | None,
    note: str,
    exclude: int | None = None,
) -> list[tuple[str, str | None, str | None]]:
    """Re-assign the park's parcels in ``cluster_ids`` or touching ``touched`` outlines.

    ``exclude`` is a cluster about to be deleted (no parcel is assigned to it). Returns
    ``(parcel_id, old cluster code, new cluster code)`` for each parcel that moved; each move
    is a versioned write with its own audit entry.
    """
    clusters = [
        (cid, code, from_db(g))
        for cid, code, g in session.execute(
            select(Cluster.id, Cluster.code, Cluster.geom).where(Cluster.park_id == park.id)
        ).all()
    ]
    codes = {cid: code for cid, code, _ in clusters}
    shapes = [(cid, g) for cid, _, g in clusters if g is not None and cid != exclude]
    outlines = [g for g in touched if g is not None]
    area = shapely.union_all(outlines) if outlines else None
    moved = []
    rows = session.execute(
        select(Parcel.id, Parcel.parcel_id, Parcel.version, Parcel.cluster_id, Parcel.geom).where(
            Parcel.park_id == park.id
        )
    ).all()
    for pid, code, version, old_cid, g in rows:
        pg = from_db(g)
        if old_cid not in cluster_ids and (area is None or not pg.intersects(area)):
            continue
        new_cid = assign_cluster(pg, shapes)
        if new_cid == old_cid:
            continue
        obj = session.get(Parcel, pid, populate_existing=True)
        before, geom = parcel_state(session, obj)
        new_version = versioned_update(
            session,
            "parcel",
            pid,
            version,
            {"cluster_id": new_cid, "updated_at": utcnow(), "updated_by": user},
        )
        after = {**before, "cluster_id": new_cid, "cluster": codes.get(new_cid), "version": new_version}
        audit.record(
            session,
            user=user,
            action="reassign",
            entity="parcel",
            entity_id=pid,
            entity_key=code,
            zone_id=park.zone_id,
            version=new_version,
            before_attrs=before,
            after_attrs=after,
            before_geom=geom,
            after_geom=geom,
            note=note,
        )
        moved.append((code, codes.get(old_cid), codes.get(new_cid)))
    return moved


def assign_cluster(parcel: BaseGeometry, clusters: list[tuple[int, BaseGeometry]]) -> int | None:
    """Return the id of the cluster covering ≥ ``ASSIGN_MIN_SHARE`` of ``parcel``'s area, or None."""
    if parcel.area <= 0:
        return None
    best, best_share = None, 0.0
    for cid, g in clusters:
        if not g.intersects(parcel):
            continue
        share = g.intersection(parcel).area / parcel.area
        if share > best_share:
            best, best_share = cid, share
    return best if best_share >= ASSIGN_MIN_SHARE else None


# --------------------------------------------------------------------------- clusters


def create_cluster(
    session: Session,
    zone_id: str,
    park_code: str,
    code: str,
    name: str,
    geometry: Any,
    user: User | str | None,
    *,
    kind: str = "industrial",
    name_en: str | None = None,
    directions: str | None = None,
    admits: list[dict[str, Any]] | None = None,
    admits_encouraged_under_review: bool = False,
    attrs: dict[str, Any] | None = None,
    max_vertices: int | None = None,
) -> EditResult:
    """Create a cluster (version 1) in park ``park_code`` of ``zone_id``; audit and re-assign.

    The outline is checked like an edit (polygon, vertex limit, repaired if invalid, slivers cut,
    inside the park, no overlap: ``ClusterGeometryError``). ``admits`` None means "not set yet"
    (the admission check then says "review"); a list is checked against the positive list
    (``SchemaError``). Raises ``ConflictError`` if ``code`` is taken in the zone.
    """
    actor = _actor(user, "edit_clusters")
    where = f"cluster {code}"
    if kind not in CLUSTER_KINDS:
        raise SchemaError(f"unknown kind {kind!r}", where=where, hint=f"use one of {CLUSTER_KINDS}")
    park_id = session.scalar(select(Park.id).where(Park.zone_id == zone_id, Park.code == park_code))
    if park_id is None:
        raise NotFoundError(f"no park {park_code!r} in zone {zone_id!r}", where=where)
    park = _lock_park(session, park_id)
    if session.scalar(select(Cluster.id).where(Cluster.zone_id == zone_id, Cluster.code == code)):
        raise ConflictError(
            f"cluster {code!r} already exists in zone {zone_id}", where=where, hint="choose another code"
        )
    admits = _admits(session, zone_id, admits, where)
    geom, repairs = clean_polygon(geometry, where=where, max_vertices=_max_vertices(max_vertices))
    geom, cuts = check_cluster_outline(session, park, geom, exclude_id=None, where=where)
    repairs = [*repairs, *cuts]
    area_m2, area_mu = _area(geom)
    c = Cluster(
        zone_id=zone_id,
        park_id=park.id,
        code=code,
        name=name,
        name_en=name_en,
        kind=kind,
        directions=directions,
        admits=admits,
        admits_encouraged_under_review=admits_encouraged_under_review,
        attrs=attrs or {},
        geom=to_db(geom),
        area_m2=area_m2,
        area_mu=area_mu,
        version=1,
        updated_at=utcnow(),
        updated_by=actor,
    )
    session.add(c)
    session.flush()
    after, _ = cluster_state(c)
    audit.record(
        session,
        user=actor,
        action="create",
        entity="cluster",
        entity_id=c.id,
        entity_key=code,
        zone_id=zone_id,
        version=1,
        after_attrs=after,
        after_geom=geom,
        note=messages.join(repairs),
    )
    moved = _reassign(session, park, [geom], set(), actor, messages.cluster_created(code))
    return EditResult("cluster", c.id, code, "create", 1, after, audit.to_wkt(geom), repairs, moved)


def update_cluster(
    session: Session,
    cluster_id: int,
    changes: Mapping[str, Any],
    expected_version: int,
    user: User | str | None,
    *,
    max_vertices: int | None = None,
    action: str = "update",
    note: str | None = None,
) -> EditResult:
    """Apply ``changes`` to a cluster that must still be at ``expected_version``.

    ``changes`` may hold ``CLUSTER_EDITABLE`` fields; ``geometry`` is a shapely geometry, WKT
    or GeoJSON in the zone CRS. A new outline is checked (polygon, ≤ ``max_vertices``
    (default ``Settings.max_vertices``), repaired if invalid, slivers cut, inside its park, no
    overlap with another cluster beyond ``OVERLAP_TOLERANCE_M2``) and the parcels are
    re-assigned; ``admits`` is checked against the positive list (None: not set yet). ``note``
    (English, or a ``Msg`` with its Chinese text) goes into the audit entry. Returns an
    ``EditResult``; raises ``VersionConflictError`` when someone else wrote first,
    ``ClusterGeometryError`` for an outline outside the park or over another cluster,
    ``GeometryError``/``LimitExceededError``/``SchemaError`` for bad input, ``NotFoundError``
    for an unknown id.
    """
    actor = _actor(user, "edit_clusters")
    _unknown(changes, CLUSTER_EDITABLE, "cluster")
    c = _load(session, "cluster", cluster_id)
    where = f"cluster {c.code}"
    if c.version != expected_version:
        raise _conflict(session, "cluster", cluster_id, expected_version)
    park = _lock_park(session, c.park_id)
    before, old_geom = cluster_state(c)
    values: dict[str, Any] = {k: v for k, v in changes.items() if k != "geometry"}
    if "kind" in values and values["kind"] not in CLUSTER_KINDS:
        raise SchemaError(
            f"unknown kind {values['kind']!r}", where=where, hint=f"use one of {', '.join(CLUSTER_KINDS)}"
        )
    if "name" in values and not str(values["name"] or "").strip():
        raise SchemaError("the name is empty", where=where, hint="give the cluster a name")
    if "admits" in values:
        values["admits"] = _admits(session, c.zone_id, values["admits"], where)
    repairs: list[Msg] = []
    new_geom = old_geom
    geometry_changed = "geometry" in changes
    if geometry_changed:
        if changes["geometry"] is None:
            raise GeometryError(
                "a cluster needs an outline; null is not accepted",
                where=f"{where}: geometry",
                hint="draw the cluster's outline",
            )
        new_geom, repairs = clean_polygon(
            changes["geometry"], where=where, max_vertices=_max_vertices(max_vertices)
        )
        new_geom, cuts = check_cluster_outline(session, park, new_geom, exclude_id=c.id, where=where)
        repairs = [*repairs, *cuts]
        values["geom"] = to_db(new_geom)
        values["area_m2"], values["area_mu"] = _area(new_geom)
    values["updated_at"] = utcnow()
    values["updated_by"] = actor
    version = versioned_update(session, "cluster", cluster_id, expected_version, values)
    c = _load(session, "cluster", cluster_id)
    after, geom = cluster_state(c)
    audit.record(
        session,
        user=actor,
        action=action,
        entity="cluster",
        entity_id=c.id,
        entity_key=c.code,
        zone_id=c.zone_id,
        version=version,
        before_attrs=before,
        after_attrs=after,
        before_geom=old_geom,
        after_geom=geom,
        note=messages.join([note, *repairs]),
    )
    moved = []
    if geometry_changed:
        moved = _reassign(
            session,
            park,
            [old_geom, new_geom],
            {c.id},
            actor,
            messages.cluster_outline_changed(c.code, version),
        )
    return EditResult("cluster", c.id, c.code, action, version, after, audit.to_wkt(geom), repairs, moved)


def delete_cluster(
    session: Session, cluster_id: int, expected_version: int, user: User | str | None
) -> EditResult:
    """Delete a cluster still at ``expected_version``; its parcels are re-assigned (or none).

    The version check claims the row first (``UPDATE … WHERE version = ?``); the parcels are
    then re-assigned as versioned, audited writes, and the row is deleted. The audit entry
    keeps the deleted state (version = deleted version + 1, ``after`` empty).
    """
    actor = _actor(user, "edit_clusters")
    c = _load(session, "cluster", cluster_id)
    if c.version != expected_version:
        raise _conflict(session, "cluster", cluster_id, expected_version)
    park = _lock_park(session, c.park_id)
    before, geom = cluster_state(c)
    code, zone_id = c.code, c.zone_id
    version = versioned_update(
        session, "cluster", cluster_id, expected_version, {"updated_at": utcnow(), "updated_by": actor}
    )
    moved = _reassign(
        session, park, [geom], {cluster_id}, actor, messages.cluster_deleted(code), exclude=cluster_id
    )
    session.execute(
        delete(Cluster).where(Cluster.id == cluster_id).execution_options(synchronize_session=False)
    )
    session.expunge(c)
    audit.record(
        session,
        user=actor,
        action="delete",
        entity="cluster",
        entity_id=cluster_id,
        entity_key=code,
        zone_id=zone_id,
        version=version,
        before_attrs=before,
        before_geom=geom,
    )
    return EditResult("cluster", cluster_id, code, "delete", version, None, None, [], moved)


# --------------------------------------------------------------------------- parcels


def _enterprise_id(session: Session, zone_id: str, name: str | None) -> int | None:
    """Return the id of the zone's enterprise called ``name``, creating it if new."""
    if name is None or not str(name).strip():
        return None
    name = str(name).strip()
    eid = session.scalar(select(Enterprise.id).where(Enterprise.zone_id == zone_id, Enterprise.name == name))
    if eid is None:
        e = Enterprise(zone_id=zone_id, name=name, attrs={})
        session.add(e)
        session.flush()
        eid = e.id
    return eid


def update_parcel(
    session: Session,
    parcel_id: int,
    changes: Mapping[str, Any],
    expected_version: int,
    user: User | str | None,
    *,
    max_vertices: int | None = None,
    action: str = "update",
    note: str | None = None,
) -> EditResult:
    """Apply ``changes`` to a parcel that must still be at ``expected_version``.

    ``changes`` may hold ``PARCEL_EDITABLE`` fields: ``status`` (existing, vacant, reserved,
    public), ``enterprise`` (name; linked to the zone's enterprises), ``land_use``, ``cluster``
    (a cluster code of the parcel's park, or None), ``attrs`` (replaces the extra
    attributes as a whole) and ``geometry`` (polygon in the
    zone CRS; area recomputed; without an explicit ``cluster`` the parcel is re-assigned by the
    rule). Returns an ``EditResult``; raises as :func:`update_cluster`.
    """
    actor = _actor(user, "edit_parcels")
    _unknown(changes, PARCEL_EDITABLE, "parcel")
    p = _load(session, "parcel", parcel_id)
    where = f"parcel {p.parcel_id}"
    if p.version != expected_version:
        raise _conflict(session, "parcel", parcel_id, expected_version)
    before, old_geom = parcel_state(session, p)
    values: dict[str, Any] = {}
    if "status" in changes:
        if changes["status"] not in PARCEL_STATUSES:
            raise SchemaError(
                f"unknown status {changes['status']!r}",
                where=where,
                hint=f"use one of {', '.join(PARCEL_STATUSES)}",
            )
        values["status"] = changes["status"]
    if "enterprise" in changes:
        name = changes["enterprise"]
        values["enterprise"] = str(name).strip() if name and str(name).strip() else None
        values["enterprise_id"] = _enterprise_id(session, p.zone_id, values["enterprise"])
    for key in ("land_use", "attrs"):
        if key in changes:
            values[key] = changes[key]
    if "cluster" in changes:
        code = changes["cluster"]
        if code is None:
            values["cluster_id"] = None
        else:
            cid = session.scalar(select(Cluster.id).where(Cluster.park_id == p.park_id, Cluster.code == code))
            if cid is None:
                raise SchemaError(
                    f"no cluster {code!r} in the parcel's park",
                    where=where,
                    hint="pick a cluster of the same park",
                )
            values["cluster_id"] = cid
    repairs: list[Msg] = []
    new_geom = old_geom
    if "geometry" in changes:
        new_geom, repairs = clean_polygon(
            changes["geometry"], where=where, max_vertices=_max_vertices(max_vertices)
        )
        values["geom"] = to_db(new_geom)
        values["area_m2"], values["area_mu"] = _area(new_geom)
        if "cluster" not in changes:
            shapes = [
                (cid, from_db(g))
                for cid, g in session.execute(
                    select(Cluster.id, Cluster.geom).where(
                        Cluster.park_id == p.park_id, Cluster.geom.is_not(None)
                    )
                ).all()
            ]
            values["cluster_id"] = assign_cluster(new_geom, shapes)
    values["updated_at"] = utcnow()
    values["updated_by"] = actor
    version = versioned_update(session, "parcel", parcel_id, expected_version, values)
    p = _load(session, "parcel", parcel_id)
    after, geom = parcel_state(session, p)
    audit.record(
        session,
        user=actor,
        action=action,
        entity="parcel",
        entity_id=p.id,
        entity_key=p.parcel_id,
        zone_id=p.zone_id,
        version=version,
        before_attrs=before,
        after_attrs=after,
        before_geom=old_geom,
        after_geom=geom,
        note=messages.join([note, *repairs]),
    )
    return EditResult("parcel", p.id, p.parcel_id, action, version, after, audit.to_wkt(geom), repairs)


# --------------------------------------------------------------------------- history


def history(session: Session, entity: str, entity_id: int) -> list[audit.Version]:
    """Return the versions of a cluster or parcel, oldest first (state after each write).

    The current version is always included (an imported, never edited entity has one version).
    """
    if entity not in ENTITIES:
        raise SchemaError(f"unknown entity {entity!r}", hint="use 'cluster' or 'parcel'")
    out = audit.versions(session, entity, entity_id)
    obj = session.get(ENTITIES[entity], entity_id, populate_existing=True)
    if obj is not None and obj.version not in {v.version for v in out}:
        attrs, geom = _state(session, entity, obj)
        out.append(
            audit.Version(
                obj.version,
                "import",
                obj.updated_by,
                obj.updated_at,
                attrs,
                geom,
                "current state",
                "当前状态",
            )
        )
    if not out:
        raise NotFoundError(f"no {entity} with id {entity_id} and no history of one", where=entity)
    return sorted(out, key=lambda v: v.version)


def restore(
    session: Session,
    entity: str,
    entity_id: int,
    version: int,
    user: User | str | None,
    *,
    expected_version: int | None = None,
) -> EditResult:
    """Write the state of ``version`` as a new version (action ``restore``), audited.

    ``expected_version`` defaults to the current version (read now); pass the version the user
    saw to be protected against a concurrent write. Raises ``NotFoundError`` for an unknown
    version or a deleted entity.
    """
    past = {v.version: v for v in history(session, entity, entity_id)}
    if version not in past or past[version].attrs is None:
        raise NotFoundError(
            f"{entity} {entity_id} has no version {version} to restore",
            where=entity,
            hint=f"versions: {sorted(past)}",
        )
    obj = session.get(ENTITIES[entity], entity_id, populate_existing=True)
    if obj is None:
        raise NotFoundError(f"{entity} {entity_id} was deleted; it cannot be restored here", where=entity)
    expected = obj.version if expected_version is None else expected_version
    old = past[version]
    fields = CLUSTER_EDITABLE if entity == "cluster" else PARCEL_EDITABLE
    changes = {k: old.attrs[k] for k in fields if k != "geometry" and k in old.attrs}
    if (
        entity == "parcel"
        and changes.get("cluster") is not None
        and session.scalar(
            select(Cluster.id).where(Cluster.park_id == obj.park_id, Cluster.code == changes["cluster"])
        )
        is None
    ):
        del changes["cluster"]  # that cluster is gone: assign by the rule instead
    if old.geometry is not None:
        changes["geometry"] = old.geometry
    note = messages.restored(version)
    if entity == "cluster":
        return update_cluster(
            session, entity_id, changes, expected, user, action="restore", note=note, max_vertices=10**9
        )
    return update_parcel(
        session, entity_id, changes, expected, user, action="restore", note=note, max_vertices=10**9
    )
