"""Deleted clusters (组团): list them from the audit log and re-create one (undelete).

A deleted cluster leaves its last state in the audit log: the ``delete`` entry's ``before``
attributes and geometry (zone CRS). :func:`deleted_clusters` lists the zone's clusters whose
newest audit entry is a deletion and whose code is not in use again; :func:`undelete_cluster`
writes that state back under the cluster's old database id, as a new version (the deletion's
version + 1, audited as a ``restore``), so its history stays one line:
``… → delete (v n) → restore (v n + 1)``.

The re-created cluster goes through the checks of a new one (:func:`app.db.edits.create_cluster`):
kind, name and ``admits`` (positive list) are checked, the outline must lie inside its park and
overlap no current cluster (``ClusterGeometryError``, HTTP 422, with the offending part), and the
parcels it covers by at least half are re-assigned to it (audited). Like the edit functions,
these flush but never commit: a refusal raised here leaves the caller's transaction to roll back.
Concurrent undeletes of one cluster queue on the park row lock (PostgreSQL) or SQLite's write lock
(``BEGIN IMMEDIATE``, :mod:`app.api.tx`): the first wins, the others get ``ConflictError``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.db import audit, notes
from app.db.cluster_edits import checked_admits, lock_park
from app.db.cluster_outline import check_cluster_outline
from app.db.geometry import clean_polygon, to_db
from app.db.models import CLUSTER_KINDS, AuditEntryRow, ClusterRow, ParkRow, utcnow
from app.db.parcel_assignment import reassign_parcels
from app.db.versioning import EditResult, actor_name, area_m2_mu, cluster_state
from gis.errors import ConflictError, NotFoundError, SchemaError
from gis.messages import Message, Name, msg

__all__ = ["DeletedCluster", "deleted_clusters", "undelete_cluster", "undeleted_note"]

#: An outline that was stored once is not refused for its vertex count (as in ``restore``).
_NO_VERTEX_LIMIT = 10**9


@dataclass(frozen=True)
class DeletedCluster:
    """A deleted cluster as the audit log keeps it.

    ``version`` is the version the deletion is recorded as (what ``DELETE`` answered; the
    restored state is ``version - 1``); ``attrs`` the attributes before the deletion;
    ``geometry`` the outline in the zone CRS (None for a cluster that had none);
    ``area_m2`` (m², computed from ``geometry`` in the zone CRS) and ``area_mu`` (亩).
    ``park`` is the park's code, None when the park is gone; ``note`` the deletion's audit note
    (a re-import's "not in re-import"; None for an edit).
    """

    entity_id: int
    code: str
    park: str | None
    version: int
    deleted_at: dt.datetime | None
    deleted_by: str | None
    attrs: dict[str, Any]
    geometry: BaseGeometry | None
    area_m2: float | None
    area_mu: float | None
    note: notes.Note | None


def undeleted_note(version: int) -> Message:
    """The audit note of an undelete: ``restored version N after its deletion``."""
    return notes.undeleted(version)


def _latest_entries(zone_id: str) -> Any:
    """Return a subquery of the id of each cluster's newest audit entry in ``zone_id``."""
    return (
        select(func.max(AuditEntryRow.id).label("id"))
        .where(
            AuditEntryRow.entity == "cluster",
            AuditEntryRow.zone_id == zone_id,
            AuditEntryRow.version.is_not(None),
        )
        .group_by(AuditEntryRow.entity_id)
        .subquery()
    )


def _deleted(entry: AuditEntryRow, park_codes: dict[int, str]) -> DeletedCluster:
    """Return the deleted cluster a ``delete`` audit entry describes."""
    attrs = dict(entry.before_attrs or {})
    geom = None if entry.before_wkt is None else shapely.from_wkt(entry.before_wkt)
    area_m2, area_mu = area_m2_mu(geom)
    return DeletedCluster(
        entity_id=int(entry.entity_id),
        code=entry.entity_key or str(attrs.get("code")),
        park=park_codes.get(attrs.get("park_id")),
        version=int(entry.version),
        deleted_at=entry.at,
        deleted_by=entry.user_name,
        attrs=attrs,
        geometry=geom,
        area_m2=area_m2,
        area_mu=area_mu,
        note=audit.note_of(entry),
    )


def deleted_clusters(session: Session, zone_id: str) -> list[DeletedCluster]:
    """Return the zone's deleted clusters that are not present again, newest deletion first.

    A cluster is listed when its newest audit entry is a deletion and no current cluster of the
    zone has its code; of several deleted clusters with one code only the newest is listed
    (the one :func:`undelete_cluster` restores).
    """
    latest = _latest_entries(zone_id)
    entries = session.scalars(
        select(AuditEntryRow)
        .join(latest, AuditEntryRow.id == latest.c.id)
        .where(AuditEntryRow.action == "delete")
        .order_by(AuditEntryRow.id.desc())
    ).all()
    present = set(session.scalars(select(ClusterRow.code).where(ClusterRow.zone_id == zone_id)))
    park_codes = dict(
        session.execute(select(ParkRow.id, ParkRow.code).where(ParkRow.zone_id == zone_id)).all()
    )
    out: list[DeletedCluster] = []
    seen: set[str] = set()
    for e in entries:
        if e.entity_key in present or e.entity_key in seen:
            continue
        seen.add(e.entity_key)
        out.append(_deleted(e, park_codes))
    return out


def _last_entry(session: Session, zone_id: str, code: str) -> AuditEntryRow | None:
    """Return the newest versioned audit entry of cluster ``code`` in the zone, None if none."""
    return session.scalar(
        select(AuditEntryRow)
        .where(
            AuditEntryRow.entity == "cluster",
            AuditEntryRow.entity_key == code,
            AuditEntryRow.zone_id == zone_id,
            AuditEntryRow.version.is_not(None),
        )
        .order_by(AuditEntryRow.id.desc())
        .limit(1)
    )


def _exists_again(session: Session, zone_id: str, code: str, entity_id: int | None, where: str) -> None:
    """Raise ``ConflictError`` (409) when a cluster ``code`` exists in the zone, or a row holds
    the deleted cluster's database id ``entity_id``."""
    version = session.scalar(
        select(ClusterRow.version).where(ClusterRow.zone_id == zone_id, ClusterRow.code == code)
    )
    if version is not None:
        raise ConflictError(
            f"cluster {code!r} exists (version {version}); only a deleted cluster can be restored",
            where=where,
            hint="edit it, or restore one of its versions from its history",
            msg=msg("error.undelete.exists", cluster=code, version=version),
        )
    if entity_id is not None and session.get(ClusterRow, entity_id) is not None:
        raise ConflictError(
            f"the database id of deleted cluster {code!r} is in use again",
            where=where,
            hint="draw the cluster anew",
            msg=msg("error.undelete.id_reused", cluster=code),
        )


def undelete_cluster(
    session: Session, zone_id: str, code: str, user: Any, *, max_vertices: int | None = None
) -> EditResult:
    """Re-create deleted cluster ``code`` from its last audited state as a new version.

    The cluster gets its old database id back and version = the deletion's version + 1; the
    write is audited as ``restore`` (note :func:`undeleted_note`) and the parcels it covers by
    at least half move into it (each move audited). Returns the ``EditResult`` (action
    ``restore``). Raises ``NotFoundError`` (404) when no cluster ``code`` was deleted in the
    zone (or its park is gone), ``ConflictError`` (409) when a cluster ``code`` exists (again),
    ``ClusterGeometryError`` (422) when its outline now overlaps a cluster or leaves its park,
    ``SchemaError`` (422) when its kind or admitted industries are no longer valid.
    ``max_vertices`` defaults to no limit: the outline was accepted once.
    """
    actor = actor_name(user, "edit_clusters")
    where = f"cluster {code}"
    last = _last_entry(session, zone_id, code)
    if last is None or last.action != "delete":
        _exists_again(session, zone_id, code, None, where)
        raise NotFoundError(
            f"no deleted cluster {code!r} in zone {zone_id}",
            where=where,
            hint="list them with GET /api/v1/clusters/deleted",
            msg=msg("error.undelete.not_found", cluster=code),
        )
    entity_id = int(last.entity_id)
    before = dict(last.before_attrs or {})
    park = session.scalar(
        select(ParkRow.id).where(ParkRow.zone_id == zone_id, ParkRow.id == before.get("park_id"))
    )
    if park is None:
        raise NotFoundError(
            f"the park of deleted cluster {code!r} no longer exists",
            where=where,
            hint="draw the cluster anew in one of the zone's parks",
            msg=msg("error.undelete.no_park", cluster=code),
        )
    park = lock_park(session, park)  # serialises concurrent undeletes on PostgreSQL
    _exists_again(session, zone_id, code, entity_id, where)
    kind = before.get("kind") or "industrial"
    if kind not in CLUSTER_KINDS:
        raise SchemaError(
            f"unknown kind {kind!r}",
            where=where,
            hint=f"use one of {', '.join(CLUSTER_KINDS)}",
            msg=msg("error.cluster.kind", kind=kind, kinds=list(CLUSTER_KINDS)),
        )
    name = str(before.get("name") or "").strip()
    if not name:
        raise SchemaError(
            "the deleted cluster has no name",
            where=where,
            hint="draw the cluster anew with a name",
            msg=msg("error.undelete.no_name"),
        )
    admits = checked_admits(session, zone_id, before.get("admits"), where)
    restored_version = int(last.version) - 1
    repairs: list[Message] = []
    geom = None if last.before_wkt is None else shapely.from_wkt(last.before_wkt)
    shown = Name(name, before.get("name_en") or name)
    if geom is not None:
        geom, repairs = clean_polygon(
            geom,
            where=where,
            max_vertices=_NO_VERTEX_LIMIT if max_vertices is None else max_vertices,
            subject=msg("audit.cluster", cluster=shown),
        )
        geom, cuts = check_cluster_outline(session, park, geom, exclude_id=None, where=where, name=shown)
        repairs = [*repairs, *cuts]
    area_m2, area_mu = area_m2_mu(geom)
    version = int(last.version) + 1
    c = ClusterRow(
        id=entity_id,
        zone_id=zone_id,
        park_id=park.id,
        code=code,
        name=name,
        name_en=before.get("name_en"),
        kind=kind,
        directions=before.get("directions"),
        admits=admits,
        admits_encouraged_under_review=bool(before.get("admits_encouraged_under_review")),
        attrs=before.get("attrs") or {},
        geom=None if geom is None else to_db(geom),
        area_m2=area_m2,
        area_mu=area_mu,
        version=version,
        updated_at=utcnow(),
        updated_by=actor,
    )
    session.add(c)
    try:
        session.flush()
    except IntegrityError as exc:  # restored meanwhile by a writer the park lock did not queue
        raise ConflictError(
            f"cluster {code!r} was restored or re-created meanwhile",
            where=where,
            hint="reload the clusters",
            msg=msg("error.undelete.meanwhile", cluster=code),
        ) from exc
    after, _ = cluster_state(c)
    audit.record(
        session,
        user=actor,
        action="restore",
        entity="cluster",
        entity_id=entity_id,
        entity_key=code,
        zone_id=zone_id,
        version=version,
        after_attrs=after,
        after_geom=geom,
        note=notes.join([undeleted_note(restored_version), *repairs]),
    )
    moved = (
        []
        if geom is None
        else reassign_parcels(session, park, [geom], set(), actor, undeleted_note(restored_version))
    )
    return EditResult(
        "cluster", entity_id, code, "restore", version, after, audit.to_wkt(geom), repairs, moved
    )
