"""Creating, editing and deleting clusters (组团): versioned, audited writes.

Each outline is checked by the one rule of :mod:`app.db.cluster_outline`, and the parcels it
touches are re-assigned (:mod:`app.db.parcel_assignment`). Cluster geometry edits are serialised
per park on PostgreSQL (``SELECT … FOR UPDATE`` on the park row) so two edits of neighbouring
clusters cannot both pass the overlap check; SQLite has one writer at a time anyway.

A cluster's ``admits`` (the industries it admits, 表8-1) is checked against the zone file's
positive list (:func:`app.db.rules.check_admits`); null means "not set yet".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.db import audit, notes
from app.db.cluster_outline import check_cluster_outline
from app.db.geometry import RepairTolerance, clean_polygon, to_db
from app.db.models import CLUSTER_KINDS, ClusterRow, ParkRow, UserRow, ZoneRow, utcnow
from app.db.parcel_assignment import reassign_parcels
from app.db.rules import check_admits, stored_config
from app.db.versioning import (
    EditResult,
    actor_name,
    area_m2_mu,
    cluster_state,
    conflict_error,
    load_entity,
    refuse_unknown_fields,
    versioned_update,
    vertex_limit,
    write_version,
)
from gis.errors import ConflictError, GeometryError, NotFoundError, SchemaError
from gis.messages import Message, Name, msg

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


def checked_admits(session: Session, zone_id: str, admits: Any, where: str) -> list[dict[str, Any]] | None:
    """Return ``admits`` checked against the zone file's positive list (None: not set yet)."""
    if admits is None:
        return None
    zone = session.get(ZoneRow, zone_id)
    if zone is None:
        raise NotFoundError(
            f"no zone {zone_id!r}", where=where, msg=msg("error.zone.not_found", zone=zone_id)
        )
    return check_admits(stored_config(zone), admits, where=where)


def lock_park(session: Session, park_id: int) -> ParkRow:
    """Return the park row locked for this transaction (PostgreSQL; a plain read on SQLite)."""
    park = session.scalar(
        select(ParkRow)
        .where(ParkRow.id == park_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if park is None:
        raise NotFoundError(f"no park with id {park_id}", msg=msg("error.park.no_id", id=park_id))
    return park


def create_cluster(
    session: Session,
    zone_id: str,
    park_code: str,
    code: str,
    name: str,
    geometry: Any,
    user: UserRow | str | None,
    *,
    kind: str = "industrial",
    name_en: str | None = None,
    directions: str | None = None,
    admits: list[dict[str, Any]] | None = None,
    admits_encouraged_under_review: bool = False,
    attrs: dict[str, Any] | None = None,
    max_vertices: int | None = None,
    repair_tolerance: RepairTolerance | None = None,
    note: notes.Note | None = None,
) -> EditResult:
    """Create a cluster (version 1) in park ``park_code`` of ``zone_id``; audit and re-assign.

    The outline is checked like an edit (polygon, vertex limit, repaired if invalid, slivers cut,
    inside the park, no overlap: ``ClusterGeometryError``). ``admits`` None means "not set yet"
    (the admission check then says "review"); a list is checked against the positive list
    (``SchemaError``). Raises ``ConflictError`` if ``code`` is taken in the zone. ``note`` goes
    into the audit entry (e.g. the split it came from).
    """
    actor = actor_name(user, "edit_clusters")
    where = f"cluster {code}"
    if kind not in CLUSTER_KINDS:
        raise SchemaError(
            f"unknown kind {kind!r}",
            where=where,
            hint=f"use one of {CLUSTER_KINDS}",
            msg=msg("error.cluster.kind", kind=kind, kinds=list(CLUSTER_KINDS)),
        )
    park_id = session.scalar(select(ParkRow.id).where(ParkRow.zone_id == zone_id, ParkRow.code == park_code))
    if park_id is None:
        raise NotFoundError(
            f"no park {park_code!r} in zone {zone_id!r}",
            where=where,
            msg=msg("error.park.not_in_zone", park=park_code),
        )
    park = lock_park(session, park_id)
    if session.scalar(select(ClusterRow.id).where(ClusterRow.zone_id == zone_id, ClusterRow.code == code)):
        raise ConflictError(
            f"cluster {code!r} already exists in zone {zone_id}",
            where=where,
            hint="choose another code",
            msg=msg("error.cluster.exists", cluster=code),
        )
    admits = checked_admits(session, zone_id, admits, where)
    shown = Name(name, name_en or name)
    geom, repairs = clean_polygon(
        geometry,
        where=where,
        max_vertices=vertex_limit(max_vertices),
        repair_tolerance=repair_tolerance,
        subject=msg("audit.cluster", cluster=shown),
    )
    geom, cuts = check_cluster_outline(session, park, geom, exclude_id=None, where=where, name=shown)
    repairs = [*repairs, *cuts]
    area_m2, area_mu = area_m2_mu(geom)
    c = ClusterRow(
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
        note=notes.join([note, *repairs]),
    )
    moved = reassign_parcels(session, park, [geom], set(), actor, notes.cluster_created(shown))
    return EditResult("cluster", c.id, code, "create", 1, after, audit.to_wkt(geom), repairs, moved)


def update_cluster(
    session: Session,
    cluster_id: int,
    changes: Mapping[str, Any],
    expected_version: int,
    user: UserRow | str | None,
    *,
    max_vertices: int | None = None,
    repair_tolerance: RepairTolerance | None = None,
    action: str = "update",
    note: notes.Note | None = None,
) -> EditResult:
    """Apply ``changes`` to a cluster that must still be at ``expected_version``.

    ``changes`` may hold ``CLUSTER_EDITABLE`` fields; ``geometry`` is a shapely geometry, WKT
    or GeoJSON in the zone CRS. A new outline is checked (polygon, ≤ ``max_vertices``
    (default ``Settings.max_vertices``), repaired if invalid, slivers cut, inside its park, no
    overlap with another cluster beyond ``OVERLAP_TOLERANCE_M2``) and the parcels are
    re-assigned; ``admits`` is checked against the positive list (None: not set yet). ``note``
    (a message, or a user's own text) goes into the audit entry. Returns an
    ``EditResult``; raises ``VersionConflictError`` when someone else wrote first,
    ``ClusterGeometryError`` for an outline outside the park or over another cluster,
    ``GeometryError``/``LimitExceededError``/``SchemaError`` for bad input, ``NotFoundError``
    for an unknown id.
    """
    actor = actor_name(user, "edit_clusters")
    refuse_unknown_fields(changes, CLUSTER_EDITABLE, "cluster")
    c = load_entity(session, "cluster", cluster_id)
    where = f"cluster {c.code}"
    if c.version != expected_version:
        raise conflict_error(session, "cluster", cluster_id, expected_version)
    park = lock_park(session, c.park_id)
    before, old_geom = cluster_state(c)
    values: dict[str, Any] = {k: v for k, v in changes.items() if k != "geometry"}
    if "kind" in values and values["kind"] not in CLUSTER_KINDS:
        raise SchemaError(
            f"unknown kind {values['kind']!r}",
            where=where,
            hint=f"use one of {', '.join(CLUSTER_KINDS)}",
            msg=msg("error.cluster.kind", kind=str(values["kind"]), kinds=list(CLUSTER_KINDS)),
        )
    if "name" in values and not str(values["name"] or "").strip():
        raise SchemaError(
            "the name is empty", where=where, hint="give the cluster a name", msg=msg("error.cluster.no_name")
        )
    if "admits" in values:
        values["admits"] = checked_admits(session, c.zone_id, values["admits"], where)
    repairs: list[Message] = []
    shown = notes.name_of(c)
    new_geom = old_geom
    geometry_changed = "geometry" in changes
    if geometry_changed:
        if changes["geometry"] is None:
            raise GeometryError(
                "a cluster needs an outline; null is not accepted",
                where=f"{where}: geometry",
                hint="draw the cluster's outline",
                msg=msg("error.cluster.no_outline"),
            )
        new_geom, repairs = clean_polygon(
            changes["geometry"],
            where=where,
            max_vertices=vertex_limit(max_vertices),
            repair_tolerance=repair_tolerance,
            subject=msg("audit.cluster", cluster=shown),
        )
        new_geom, cuts = check_cluster_outline(
            session, park, new_geom, exclude_id=c.id, where=where, name=shown
        )
        repairs = [*repairs, *cuts]
        values["geom"] = to_db(new_geom)
        values["area_m2"], values["area_mu"] = area_m2_mu(new_geom)
    result = write_version(
        session,
        "cluster",
        cluster_id,
        expected_version,
        values,
        actor,
        action=action,
        before=before,
        before_geom=old_geom,
        note=notes.join([note, *repairs]),
        repairs=repairs,
    )
    if geometry_changed:
        c = load_entity(session, "cluster", cluster_id)
        result.reassigned = reassign_parcels(
            session,
            park,
            [old_geom, new_geom],
            {c.id},
            actor,
            notes.cluster_outline_changed(notes.name_of(c), result.version),
        )
    return result


def delete_cluster(
    session: Session,
    cluster_id: int,
    expected_version: int,
    user: UserRow | str | None,
    *,
    note: notes.Note | None = None,
) -> EditResult:
    """Delete a cluster still at ``expected_version``; its parcels are re-assigned (or none).

    The version check claims the row first (``UPDATE … WHERE version = ?``); the parcels are
    then re-assigned as versioned, audited writes, and the row is deleted. The audit entry
    keeps the deleted state (version = deleted version + 1, ``after`` empty) and ``note``.
    """
    actor = actor_name(user, "edit_clusters")
    c = load_entity(session, "cluster", cluster_id)
    if c.version != expected_version:
        raise conflict_error(session, "cluster", cluster_id, expected_version)
    park = lock_park(session, c.park_id)
    before, geom = cluster_state(c)
    code, zone_id, shown = c.code, c.zone_id, notes.name_of(c)
    version = versioned_update(
        session, "cluster", cluster_id, expected_version, {"updated_at": utcnow(), "updated_by": actor}
    )
    moved = reassign_parcels(
        session, park, [geom], {cluster_id}, actor, notes.cluster_deleted(shown), exclude=cluster_id
    )
    session.execute(
        delete(ClusterRow).where(ClusterRow.id == cluster_id).execution_options(synchronize_session=False)
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
        note=note,
    )
    return EditResult("cluster", cluster_id, code, "delete", version, None, None, [], moved)
