"""Versioned rows (clusters and parcels): their state as the audit log keeps it, and the
optimistic-concurrency UPDATE every write goes through.

Every write names the version it starts from. The check is in the UPDATE itself
(``UPDATE … SET version = version + 1 WHERE id = ? AND version = ?``): when no row matches, some
other writer got there first and :class:`VersionConflictError` (a ``ConflictError``, HTTP 412)
carries the current version and state. Two writers starting from the same version: exactly one
wins, also under PostgreSQL with concurrent transactions (the second UPDATE waits for the first
transaction's row lock, then re-checks ``version`` and matches nothing).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from shapely.geometry.base import BaseGeometry
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.db import audit
from app.db.geometry import from_db
from app.db.models import ClusterRow, ParcelRow, UserRow, utcnow
from app.db.notes import ENTITY_IDS, Note, name_of
from app.db.users import require
from app.errors import VersionConflictError
from app.settings import get_settings
from gis.errors import NotFoundError, SchemaError
from gis.messages import Message, joined, msg
from gis.units import MU_M2

#: The versioned entities by name (as the audit log names them).
ENTITIES = {"cluster": ClusterRow, "parcel": ParcelRow}


@dataclass
class EditResult:
    """What a write did: the entity, its new version and state, repairs, re-assigned parcels.

    ``state`` holds the attributes after the write and ``geometry_wkt`` the geometry (zone CRS);
    ``repairs`` what was done to the outline (repairs, slivers cut; each a message, rendered at
    the edge); ``reassigned`` lists ``(parcel_id, old cluster code, new cluster code)``.
    """

    entity: str
    id: int
    key: str
    action: str
    version: int
    state: dict[str, Any] | None
    geometry_wkt: str | None
    repairs: list[Message] = field(default_factory=list)
    reassigned: list[tuple[str, str | None, str | None]] = field(default_factory=list)


def actor_name(user: UserRow | str | None, action: str) -> str | None:
    """Return the user name to record; a ``UserRow`` must be allowed ``action``."""
    if isinstance(user, UserRow):
        require(user, action)
        return user.name
    return user


def cluster_state(c: ClusterRow) -> tuple[dict[str, Any], BaseGeometry | None]:
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


def parcel_state(session: Session, p: ParcelRow) -> tuple[dict[str, Any], BaseGeometry | None]:
    """Return ``(attributes, geometry)`` of a parcel as the audit log stores them."""
    cluster_code = None
    if p.cluster_id is not None:
        cluster_code = session.scalar(select(ClusterRow.code).where(ClusterRow.id == p.cluster_id))
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


def entity_state(session: Session, entity: str, obj: Any) -> tuple[dict[str, Any], BaseGeometry | None]:
    """Return ``(attributes, geometry)`` of a cluster or parcel row as the audit log stores them."""
    return cluster_state(obj) if entity == "cluster" else parcel_state(session, obj)


def load_entity(session: Session, entity: str, entity_id: int) -> Any:
    """Return the cluster/parcel row re-read from the database; NotFoundError when it is gone."""
    model = ENTITIES[entity]
    obj = session.get(model, entity_id, populate_existing=True)
    if obj is None:
        raise NotFoundError(
            f"no {entity} with id {entity_id}",
            where=entity,
            msg=msg("error.history.no_entity", what=msg(ENTITY_IDS[entity]), id=entity_id),
        )
    return obj


def conflict_error(session: Session, entity: str, entity_id: int, expected: int) -> VersionConflictError:
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
            msg=msg("error.version.deleted", what=msg(ENTITY_IDS[entity])),
        )
    attrs, geom = entity_state(session, entity, obj)
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
        msg=msg(
            "error.version.conflict",
            what=msg(ENTITY_IDS[entity]),
            name=name_of(obj) if entity == "cluster" else key,
            expected=expected,
            current=obj.version,
        ),
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
        raise conflict_error(session, entity, entity_id, expected)
    return expected + 1


def write_version(
    session: Session,
    entity: str,
    entity_id: int,
    expected: int,
    values: Mapping[str, Any],
    actor: str | None,
    *,
    action: str,
    before: Mapping[str, Any] | None,
    before_geom: BaseGeometry | None,
    note: Note | None = None,
    repairs: list[Message] | None = None,
) -> EditResult:
    """Write ``values`` to a cluster/parcel row still at ``expected`` (stamping who and when),
    re-read it and record the audit entry (before → after, with ``note``).

    Returns the EditResult of the new version; raises ``VersionConflictError`` when the row
    moved on. The one place where an edit of an existing row becomes a version.
    """
    version = versioned_update(
        session, entity, entity_id, expected, {**values, "updated_at": utcnow(), "updated_by": actor}
    )
    obj = load_entity(session, entity, entity_id)
    after, geom = entity_state(session, entity, obj)
    key = obj.code if entity == "cluster" else obj.parcel_id
    audit.record(
        session,
        user=actor,
        action=action,
        entity=entity,
        entity_id=obj.id,
        entity_key=key,
        zone_id=obj.zone_id,
        version=version,
        before_attrs=before,
        after_attrs=after,
        before_geom=before_geom,
        after_geom=geom,
        note=note,
    )
    return EditResult(entity, obj.id, key, action, version, after, audit.to_wkt(geom), list(repairs or []))


def area_m2_mu(geom: BaseGeometry | None) -> tuple[float | None, float | None]:
    """Return the area of ``geom`` (zone CRS) in m² and 亩; ``(None, None)`` for no geometry."""
    if geom is None:
        return None, None
    return float(geom.area), float(geom.area) / MU_M2


def refuse_unknown_fields(changes: Mapping[str, Any], allowed: tuple[str, ...], entity: str) -> None:
    """Raise ``SchemaError`` naming the fields of ``changes`` that are not in ``allowed``."""
    bad = sorted(set(changes) - set(allowed))
    if bad:
        raise SchemaError(
            f"cannot change field(s) {', '.join(bad)}",
            where=entity,
            hint=f"editable fields: {', '.join(allowed)}",
            msg=msg("error.edit.fields", fields=joined(bad), allowed=joined(allowed)),
        )


def vertex_limit(max_vertices: int | None) -> int:
    """Return ``max_vertices``, or ``Settings.max_vertices`` when it is None."""
    return get_settings().max_vertices if max_vertices is None else max_vertices
