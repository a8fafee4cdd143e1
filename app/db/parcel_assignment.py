"""Parcel ↔ cluster assignment: a parcel belongs to the cluster of its park that covers at least
half of the parcel's area (``ASSIGN_MIN_SHARE``); clusters do not overlap, so at most one can. A
parcel covered less than half by every cluster has no cluster.

The rule is applied after every cluster geometry change, cluster creation and deletion, and a
parcel geometry change; only parcels that were in the edited cluster or touch its old or new
outline are re-assigned, each move a versioned, audited write.
"""

from __future__ import annotations

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import audit, notes
from app.db.geometry import from_db
from app.db.models import ClusterRow, ParcelRow, ParkRow, utcnow
from app.db.versioning import parcel_state, versioned_update

#: Share of a parcel's area a cluster must cover for the parcel to belong to it (0–1).
ASSIGN_MIN_SHARE = 0.5


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


def reassign_parcels(
    session: Session,
    park: ParkRow,
    touched: list[BaseGeometry | None],
    cluster_ids: set[int],
    user: str | None,
    note: notes.Note,
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
            select(ClusterRow.id, ClusterRow.code, ClusterRow.geom).where(ClusterRow.park_id == park.id)
        ).all()
    ]
    codes = {cid: code for cid, code, _ in clusters}
    shapes = [(cid, g) for cid, _, g in clusters if g is not None and cid != exclude]
    outlines = [g for g in touched if g is not None]
    area = shapely.union_all(outlines) if outlines else None
    moved = []
    rows = session.execute(
        select(
            ParcelRow.id, ParcelRow.parcel_id, ParcelRow.version, ParcelRow.cluster_id, ParcelRow.geom
        ).where(ParcelRow.park_id == park.id)
    ).all()
    for pid, code, version, old_cid, g in rows:
        pg = from_db(g)
        if old_cid not in cluster_ids and (area is None or not pg.intersects(area)):
            continue
        new_cid = assign_cluster(pg, shapes)
        if new_cid == old_cid:
            continue
        obj = session.get(ParcelRow, pid, populate_existing=True)
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
