"""Topological edits of a park's clusters (组团): an outline that makes its neighbours yield, a
split along a line, a merge of two neighbours — each one transaction of versioned, audited writes.

The geometry is :mod:`gis.topology`'s; this module reads and writes the rows. Every cluster that
changes must be named with the version the caller saw (``versions``: cluster id → version, from
``If-Match``): a cluster that changes without one is refused with
:class:`app.errors.PreconditionRequiredError` naming it (HTTP 428), one at another version with
:class:`app.errors.VersionConflictError` (412). Nothing is written unless everything is: the
caller owns the transaction and rolls it back on any error.

* :func:`reshape_cluster` — a new outline; neighbours give up what it covers, the land it frees
  goes to the neighbour across the moved edge or stays unassigned (inside the park, in no
  cluster; :mod:`app.db.unassigned` lists it).
* :func:`create_with_yield` — a new cluster whose outline its neighbours give up.

Split and merge are in :mod:`app.db.cluster_split_merge`.

Parcels are re-assigned by where they now lie (:mod:`app.db.parcel_assignment`) by the edit
functions of :mod:`app.db.cluster_edits` that each step uses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import notes
from app.db.cluster_edits import create_cluster, lock_park, update_cluster
from app.db.cluster_outline import fit_in_park
from app.db.geometry import RepairTolerance, clean_polygon, from_db, to_db
from app.db.models import ClusterRow, ParkRow, UserRow
from app.db.versioning import (
    EditResult,
    actor_name,
    area_m2_mu,
    cluster_state,
    conflict_error,
    load_entity,
    vertex_limit,
    write_version,
)
from app.errors import PreconditionRequiredError
from gis.errors import GeometryError, SchemaError
from gis.messages import Message, Name, joined, msg
from gis.topology import Reshape, reshape_with_yield


@dataclass
class TopologyEdit:
    """What a topological edit wrote: every cluster written (``written``, in order), every one
    deleted (``deleted``), the parcels that changed cluster (``reassigned``: parcel id, cluster
    before, cluster after — one line per parcel however often it moved) and the land left in no
    cluster by this edit (``unassigned_m2``, m²)."""

    written: list[EditResult] = field(default_factory=list)
    deleted: list[EditResult] = field(default_factory=list)
    unassigned_m2: float = 0.0

    @property
    def reassigned(self) -> list[tuple[str, str | None, str | None]]:
        first: dict[str, str | None] = {}
        last: dict[str, str | None] = {}
        for r in [*self.deleted, *self.written]:
            for pid, old, new in r.reassigned:
                first.setdefault(pid, old)
                last[pid] = new
        return [(pid, first[pid], last[pid]) for pid in first if first[pid] != last[pid]]


def current_versions(session: Session, zone_id: str) -> dict[str, int]:
    """Return ``{cluster id: version}`` of every cluster of the zone as it is now (for a scripted
    edit that acts on the current state: the CLI without ``--if-match``)."""
    rows = session.execute(select(ClusterRow.code, ClusterRow.version).where(ClusterRow.zone_id == zone_id))
    return {code: version for code, version in rows}


def require_versions(rows: Sequence[ClusterRow], versions: Mapping[str, int]) -> None:
    """Raise PreconditionRequiredError naming the clusters of ``rows`` without a version."""
    missing = [r for r in rows if r.code not in versions]
    if not missing:
        return
    codes = [r.code for r in missing]
    err = PreconditionRequiredError(
        f"If-Match names no version of cluster(s) {', '.join(codes)}, which this edit changes",
        where="If-Match",
        hint="send the ETag of every cluster involved (one If-Match tag each)",
        msg=msg("error.etag.clusters_missing", clusters=joined([notes.name_of(r) for r in missing])),
    )
    err.details = {"clusters": codes}  # type: ignore[attr-defined]
    raise err


def check_version(session: Session, row: ClusterRow, versions: Mapping[str, int]) -> None:
    """Raise 428 when ``versions`` has no version of ``row``, 412 when it has another."""
    require_versions([row], versions)
    if row.version != versions[row.code]:
        raise conflict_error(session, "cluster", row.id, versions[row.code])


def _park_neighbours(session: Session, park_id: int, exclude: int | None) -> list[ClusterRow]:
    return list(
        session.scalars(
            select(ClusterRow)
            .where(
                ClusterRow.park_id == park_id, ClusterRow.id != (exclude or -1), ClusterRow.geom.is_not(None)
            )
            .order_by(ClusterRow.code)
            .execution_options(populate_existing=True)
        )
    )


def _write_outline(
    session: Session, row: ClusterRow, geom: BaseGeometry, expected: int, actor: str | None, note: Any
) -> EditResult:
    """Write a neighbour's new outline (already checked by the topology) as a new, audited version."""
    before, old_geom = cluster_state(row)
    area_m2, area_mu = area_m2_mu(geom)
    values = {"geom": to_db(geom), "area_m2": area_m2, "area_mu": area_mu}
    return write_version(
        session,
        "cluster",
        row.id,
        expected,
        values,
        actor,
        action="update",
        before=before,
        before_geom=old_geom,
        note=note,
    )


def reshape_cluster(
    session: Session,
    cluster_id: int,
    changes: Mapping[str, Any],
    versions: Mapping[str, int],
    user: UserRow | str | None,
    *,
    max_vertices: int | None = None,
    repair_tolerance: RepairTolerance | None = None,
) -> TopologyEdit:
    """Give a cluster a new outline (``changes["geometry"]``, zone CRS) and let its neighbours
    yield: each gives up what the new outline covers, and the land the cluster no longer covers
    goes to the neighbour across the moved edge, or stays unassigned in the park.

    ``changes`` may hold the other editable fields too (as :func:`update_cluster`). Every cluster
    that changes needs its version in ``versions`` (428 naming those without, 412 when stale).
    The new outline is cleaned and checked like any (inside its park, vertex limit, repairs);
    a neighbour it would cover whole is refused (merge or delete it instead). Returns the
    written clusters (the edited one first) and the area (m²) left unassigned.
    """
    actor = actor_name(user, "edit_clusters")
    c = load_entity(session, "cluster", cluster_id)
    where = f"cluster {c.code}"
    check_version(session, c, versions)
    park = lock_park(session, c.park_id)
    shown = notes.name_of(c)
    if changes.get("geometry") is None:
        raise GeometryError(
            "neighbours=yield needs a new outline",
            where=f"{where}: geometry",
            hint="send the cluster's new outline",
            msg=msg("error.cluster.no_outline"),
        )
    new, repairs = clean_polygon(
        changes["geometry"],
        where=where,
        max_vertices=vertex_limit(max_vertices),
        repair_tolerance=repair_tolerance,
        subject=msg("audit.cluster", cluster=shown),
    )
    new, cuts = fit_in_park(park, new, where=where, name=shown)
    plan, neighbour_results, own = _yield_neighbours(
        session, park, c.id, from_db(c.geom), new, versions, actor, shown
    )
    result = update_cluster(
        session,
        c.id,
        {**changes, "geometry": plan.outline},
        c.version,
        user,
        max_vertices=max_vertices,
        repair_tolerance=repair_tolerance,
        note=notes.join([*own, *repairs, *cuts]),
    )
    result.repairs = [*repairs, *cuts, *result.repairs]
    return TopologyEdit(written=[result, *neighbour_results], unassigned_m2=plan.unassigned_m2)


def create_with_yield(
    session: Session,
    zone_id: str,
    park_code: str,
    code: str,
    name: str,
    geometry: Any,
    versions: Mapping[str, int],
    user: UserRow | str | None,
    *,
    max_vertices: int | None = None,
    repair_tolerance: RepairTolerance | None = None,
    **fields: Any,
) -> TopologyEdit:
    """Create a cluster whose outline (zone CRS) may cover its neighbours: they give up what it
    covers (each needs its version in ``versions``: 428 / 412), then the cluster is created as
    :func:`app.db.cluster_edits.create_cluster` does (``fields``: its keyword arguments)."""
    actor = actor_name(user, "edit_clusters")
    where = f"cluster {code}"
    park_id = session.scalar(select(ParkRow.id).where(ParkRow.zone_id == zone_id, ParkRow.code == park_code))
    if park_id is None:
        raise SchemaError(
            f"no park {park_code!r}", where=where, msg=msg("error.park.not_in_zone", park=park_code)
        )
    park = lock_park(session, park_id)
    shown = Name(name, fields.get("name_en") or name)
    new, repairs = clean_polygon(
        geometry,
        where=where,
        max_vertices=vertex_limit(max_vertices),
        repair_tolerance=repair_tolerance,
        subject=msg("audit.cluster", cluster=shown),
    )
    new, cuts = fit_in_park(park, new, where=where, name=shown)
    plan, neighbour_results, own = _yield_neighbours(session, park, None, None, new, versions, actor, shown)
    result = create_cluster(
        session,
        zone_id,
        park_code,
        code,
        name,
        new,
        user,
        max_vertices=max_vertices,
        repair_tolerance=repair_tolerance,
        note=notes.join(own),
        **fields,
    )
    result.repairs = [*repairs, *cuts, *result.repairs]
    return TopologyEdit(written=[result, *neighbour_results])


def _yield_neighbours(
    session: Session,
    park: ParkRow,
    own_id: int | None,
    old: BaseGeometry | None,
    new: BaseGeometry,
    versions: Mapping[str, int],
    actor: str | None,
    shown: Any,
) -> tuple[Reshape, list[EditResult], list[Message]]:
    """Write the park's neighbours of cluster ``own_id`` as :func:`gis.topology.reshape_with_yield`
    makes them for an outline going from ``old`` to ``new`` (each a new, audited version; 428
    naming those without a version in ``versions``). Returns the plan, the neighbours written
    and the notes for the edited cluster's audit entry (what it took, gave, left unassigned)."""
    rows = {r.id: r for r in _park_neighbours(session, park.id, own_id)}
    plan = reshape_with_yield(
        old,
        new,
        {rid: from_db(r.geom) for rid, r in rows.items()},
        subject=shown,
        names={rid: notes.name_of(r) for rid, r in rows.items()},
    )
    changed = sorted((rows[rid] for rid in plan.neighbours), key=lambda r: r.code)
    require_versions(changed, versions)
    results = []
    for row in changed:
        parts: list[Message] = []
        if row.id in plan.taken:
            parts.append(msg("audit.cluster_yielded", cluster=shown, area=notes.area(plan.taken[row.id])))
        if row.id in plan.given:
            parts.append(msg("audit.cluster_received", cluster=shown, area=notes.area(plan.given[row.id])))
        results.append(
            _write_outline(
                session, row, plan.neighbours[row.id], versions[row.code], actor, notes.join(parts)
            )
        )

    def names(ids: Mapping[int, float]) -> Any:
        return joined([notes.name_of(rows[i]) for i in sorted(ids, key=lambda i: rows[i].code)])

    own: list[Message] = []
    if plan.taken:
        own.append(
            msg("audit.cluster_took", clusters=names(plan.taken), area=notes.area(sum(plan.taken.values())))
        )
    if plan.given:
        own.append(
            msg("audit.cluster_gave", clusters=names(plan.given), area=notes.area(sum(plan.given.values())))
        )
    if plan.unassigned_m2 > 0:
        own.append(
            msg("audit.land_unassigned", park=notes.name_of(park), area=notes.area(plan.unassigned_m2))
        )
    return plan, results, own


__all__ = [
    "check_version",
    "require_versions",
    "TopologyEdit",
    "create_with_yield",
    "current_versions",
    "reshape_cluster",
]
