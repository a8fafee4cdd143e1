"""Editing parcels (地块): status, occupant, land use, cluster, attributes and outline, as
versioned, audited writes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import notes
from app.db.geometry import RepairTolerance, clean_polygon, from_db, to_db
from app.db.models import PARCEL_STATUSES, ClusterRow, EnterpriseRow, UserRow
from app.db.parcel_assignment import assign_cluster
from app.db.versioning import (
    EditResult,
    actor_name,
    area_m2_mu,
    conflict_error,
    load_entity,
    parcel_state,
    refuse_unknown_fields,
    vertex_limit,
    write_version,
)
from gis.errors import SchemaError
from gis.messages import Message, msg

PARCEL_EDITABLE = ("status", "enterprise", "land_use", "cluster", "attrs", "geometry")


def _enterprise_id(session: Session, zone_id: str, name: str | None) -> int | None:
    """Return the id of the zone's enterprise called ``name``, creating it if new."""
    if name is None or not str(name).strip():
        return None
    name = str(name).strip()
    eid = session.scalar(
        select(EnterpriseRow.id).where(EnterpriseRow.zone_id == zone_id, EnterpriseRow.name == name)
    )
    if eid is None:
        e = EnterpriseRow(zone_id=zone_id, name=name, attrs={})
        session.add(e)
        session.flush()
        eid = e.id
    return eid


def update_parcel(
    session: Session,
    parcel_id: int,
    changes: Mapping[str, Any],
    expected_version: int,
    user: UserRow | str | None,
    *,
    max_vertices: int | None = None,
    repair_tolerance: RepairTolerance | None = None,
    action: str = "update",
    note: notes.Note | None = None,
) -> EditResult:
    """Apply ``changes`` to a parcel that must still be at ``expected_version``.

    ``changes`` may hold ``PARCEL_EDITABLE`` fields: ``status`` (existing, vacant, reserved,
    public), ``enterprise`` (name; linked to the zone's enterprises), ``land_use``, ``cluster``
    (a cluster code of the parcel's park, or None), ``attrs`` (replaces the extra
    attributes as a whole) and ``geometry`` (polygon in the
    zone CRS; area recomputed; without an explicit ``cluster`` the parcel is re-assigned by the
    rule). Returns an ``EditResult``; raises as :func:`update_cluster`.
    """
    actor = actor_name(user, "edit_parcels")
    refuse_unknown_fields(changes, PARCEL_EDITABLE, "parcel")
    p = load_entity(session, "parcel", parcel_id)
    where = f"parcel {p.parcel_id}"
    if p.version != expected_version:
        raise conflict_error(session, "parcel", parcel_id, expected_version)
    before, old_geom = parcel_state(session, p)
    values: dict[str, Any] = {}
    if "status" in changes:
        if changes["status"] not in PARCEL_STATUSES:
            raise SchemaError(
                f"unknown status {changes['status']!r}",
                where=where,
                hint=f"use one of {', '.join(PARCEL_STATUSES)}",
                msg=msg("error.parcel.status", status=str(changes["status"]), statuses=list(PARCEL_STATUSES)),
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
            cid = session.scalar(
                select(ClusterRow.id).where(ClusterRow.park_id == p.park_id, ClusterRow.code == code)
            )
            if cid is None:
                raise SchemaError(
                    f"no cluster {code!r} in the parcel's park",
                    where=where,
                    hint="pick a cluster of the same park",
                    msg=msg("error.parcel.cluster_elsewhere", cluster=code),
                )
            values["cluster_id"] = cid
    repairs: list[Message] = []
    new_geom = old_geom
    if "geometry" in changes:
        new_geom, repairs = clean_polygon(
            changes["geometry"],
            where=where,
            max_vertices=vertex_limit(max_vertices),
            repair_tolerance=repair_tolerance,
            subject=msg("audit.parcel", parcel=p.parcel_id),
        )
        values["geom"] = to_db(new_geom)
        values["area_m2"], values["area_mu"] = area_m2_mu(new_geom)
        if "cluster" not in changes:
            shapes = [
                (cid, from_db(g))
                for cid, g in session.execute(
                    select(ClusterRow.id, ClusterRow.geom).where(
                        ClusterRow.park_id == p.park_id, ClusterRow.geom.is_not(None)
                    )
                ).all()
            ]
            values["cluster_id"] = assign_cluster(new_geom, shapes)
    return write_version(
        session,
        "parcel",
        parcel_id,
        expected_version,
        values,
        actor,
        action=action,
        before=before,
        before_geom=old_geom,
        note=notes.join([note, *repairs]),
        repairs=repairs,
    )
