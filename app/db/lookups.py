"""Small look-ups of clusters and parcels: a row's id by its natural key, its current version,
the clusters that have an outline.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import ClusterRow, ParcelRow


def parcel_row_id(session: Session, zone_id: str, parcel_id: str) -> int | None:
    """Return the database id of parcel ``parcel_id`` (e.g. ``SC-0001``) of the zone, or None."""
    return session.scalar(
        select(ParcelRow.id).where(ParcelRow.zone_id == zone_id, ParcelRow.parcel_id == parcel_id)
    )


def current_version(session: Session, entity: str, entity_id: int) -> int | None:
    """Return the version of cluster/parcel ``entity_id`` now; None when it was deleted."""
    model = ClusterRow if entity == "cluster" else ParcelRow
    row = session.get(model, entity_id)
    return None if row is None else row.version


def outlined_cluster_codes(session: Session, zone_id: str) -> set[str]:
    """Return the codes (``cluster_id``) of the zone's clusters that have an outline."""
    return set(
        session.scalars(
            select(ClusterRow.code).where(ClusterRow.zone_id == zone_id, ClusterRow.geom.is_not(None))
        )
    )
