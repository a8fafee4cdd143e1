"""The versions of a cluster or parcel (from the audit log) and restoring an old one."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import audit, notes
from app.db.cluster_edits import CLUSTER_EDITABLE, update_cluster
from app.db.models import ClusterRow, UserRow
from app.db.notes import ENTITY_IDS
from app.db.parcel_edits import PARCEL_EDITABLE, update_parcel
from app.db.versioning import ENTITIES, EditResult, entity_state
from gis.errors import NotFoundError, SchemaError
from gis.messages import msg


def history(session: Session, entity: str, entity_id: int) -> list[audit.Version]:
    """Return the versions of a cluster or parcel, oldest first (state after each write).

    The current version is always included (an imported, never edited entity has one version).
    """
    if entity not in ENTITIES:
        raise SchemaError(f"unknown entity {entity!r}", hint="use 'cluster' or 'parcel'")
    out = audit.versions(session, entity, entity_id)
    obj = session.get(ENTITIES[entity], entity_id, populate_existing=True)
    if obj is not None and obj.version not in {v.version for v in out}:
        attrs, geom = entity_state(session, entity, obj)
        out.append(
            audit.Version(
                obj.version,
                "import",
                obj.updated_by,
                obj.updated_at,
                attrs,
                geom,
                notes.current_state(),
            )
        )
    if not out:
        raise NotFoundError(
            f"no {entity} with id {entity_id} and no history of one",
            where=entity,
            msg=msg("error.history.none", what=msg(ENTITY_IDS[entity]), id=entity_id),
        )
    return sorted(out, key=lambda v: v.version)


def restore(
    session: Session,
    entity: str,
    entity_id: int,
    version: int,
    user: UserRow | str | None,
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
            msg=msg(
                "error.history.no_version",
                what=msg(ENTITY_IDS[entity]),
                id=entity_id,
                version=version,
                versions=sorted(past),
            ),
        )
    obj = session.get(ENTITIES[entity], entity_id, populate_existing=True)
    if obj is None:
        raise NotFoundError(
            f"{entity} {entity_id} was deleted; it cannot be restored here",
            where=entity,
            msg=msg("error.history.deleted", what=msg(ENTITY_IDS[entity]), id=entity_id),
        )
    expected = obj.version if expected_version is None else expected_version
    old = past[version]
    fields = CLUSTER_EDITABLE if entity == "cluster" else PARCEL_EDITABLE
    changes = {k: old.attrs[k] for k in fields if k != "geometry" and k in old.attrs}
    if (
        entity == "parcel"
        and changes.get("cluster") is not None
        and session.scalar(
            select(ClusterRow.id).where(
                ClusterRow.park_id == obj.park_id, ClusterRow.code == changes["cluster"]
            )
        )
        is None
    ):
        del changes["cluster"]  # that cluster is gone: assign by the rule instead
    if old.geometry is not None:
        changes["geometry"] = old.geometry
    note = notes.restored(version)
    if entity == "cluster":
        return update_cluster(
            session, entity_id, changes, expected, user, action="restore", note=note, max_vertices=10**9
        )
    return update_parcel(
        session, entity_id, changes, expected, user, action="restore", note=note, max_vertices=10**9
    )
