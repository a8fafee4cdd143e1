"""Splitting a cluster (组团) along a line into two, and merging two neighbouring clusters of one
park — each one transaction of versioned, audited writes (:mod:`app.db.cluster_topology` for
the rules of versions, 428 and 412; :mod:`gis.topology` for the geometry). Parcels follow the
cluster they now lie in."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from shapely.geometry.base import BaseGeometry
from sqlalchemy.orm import Session

from app.db import notes
from app.db.cluster_edits import create_cluster, delete_cluster, lock_park, update_cluster
from app.db.cluster_topology import TopologyEdit, check_version, require_versions
from app.db.geometry import from_db
from app.db.models import ClusterRow, ParkRow, UserRow
from app.db.versioning import actor_name, conflict_error, load_entity
from gis.errors import GeometryError, SchemaError
from gis.messages import joined, msg
from gis.topology import merge_polygons, split_polygon

#: Fields of a new part (split) or of the merged cluster that the caller may give; those not
#: given are the original cluster's.
PART_FIELDS = ("name", "name_en", "kind", "directions", "admits", "admits_encouraged_under_review", "attrs")


def _part_fields(c: ClusterRow, given: Mapping[str, Any], where: str) -> dict[str, Any]:
    """Return the fields of a new part: those given, the original cluster's for the rest (but
    no English name when only a new Chinese one is given)."""
    unknown = sorted(set(given) - set(PART_FIELDS) - {"cluster_id"})
    if unknown:
        raise SchemaError(
            f"unknown field(s) {', '.join(unknown)}",
            where=where,
            hint=f"give {', '.join(PART_FIELDS)}",
            msg=msg("error.edit.fields", fields=joined(unknown), allowed=joined(PART_FIELDS)),
        )
    inherited = {
        "name": c.name,
        "name_en": c.name_en,
        "kind": c.kind,
        "directions": c.directions,
        "admits": c.admits,
        "admits_encouraged_under_review": c.admits_encouraged_under_review,
        "attrs": c.attrs,
    }
    if "name" in given and "name_en" not in given:
        inherited["name_en"] = None  # a new name: the old English one would name another cluster
    return inherited | {k: v for k, v in given.items() if k in PART_FIELDS}


def split_cluster(
    session: Session,
    cluster_id: int,
    line: BaseGeometry,
    parts: Sequence[Mapping[str, Any]],
    expected_version: int,
    user: UserRow | str | None,
    *,
    max_vertices: int | None = None,
) -> TopologyEdit:
    """Split a cluster along ``line`` (zone CRS, drawn across it) into two clusters.

    ``parts`` are two mappings: the part left of the line as drawn, then the part right of it;
    each with ``cluster_id`` and any of ``PART_FIELDS`` (the rest are the original's). A part
    whose ``cluster_id`` is the cluster's own keeps its identity (a new version of it); otherwise
    the cluster is deleted and both parts are created. The areas of the parts add up to the
    cluster's. Parcels follow the part they now lie in.
    """
    actor = actor_name(user, "edit_clusters")
    c = load_entity(session, "cluster", cluster_id)
    where = f"cluster {c.code}"
    if c.version != expected_version:
        raise conflict_error(session, "cluster", cluster_id, expected_version)
    park = lock_park(session, c.park_id)
    shown = notes.name_of(c)
    codes = [str(p.get("cluster_id") or "") for p in parts]
    if len(parts) != 2 or not all(codes) or codes[0] == codes[1]:
        raise SchemaError(
            "a split needs two parts with two different cluster ids",
            where=f"{where}: parts",
            hint='send "parts": [{"cluster_id": …, "name": …}, {"cluster_id": …, "name": …}]',
            msg=msg("error.topology.split_parts"),
        )
    geom = from_db(c.geom)
    if geom is None:
        raise GeometryError(
            "the cluster has no outline to split",
            where=where,
            msg=msg("error.cluster.no_outline"),
        )
    pieces = split_polygon(geom, line, subject=shown)
    fields = [_part_fields(c, p, f"{where}: parts[{k}]") for k, p in enumerate(parts)]
    edit = TopologyEdit()
    note = msg("audit.cluster_split", cluster=shown, first=fields[0]["name"], second=fields[1]["name"])
    keep = codes.index(c.code) if c.code in codes else None
    if keep is not None:
        edit.written.append(
            update_cluster(
                session,
                c.id,
                {**fields[keep], "geometry": pieces[keep]},
                expected_version,
                user,
                max_vertices=max_vertices,
                note=note,
            )
        )
    else:
        edit.deleted.append(delete_cluster(session, c.id, expected_version, user, note=note))
    for k in (0, 1):
        if k == keep:
            continue
        f = fields[k]
        edit.written.append(
            create_cluster(
                session,
                park.zone_id,
                park.code,
                codes[k],
                f["name"],
                pieces[k],
                actor,
                kind=f["kind"],
                name_en=f["name_en"],
                directions=f["directions"],
                admits=f["admits"],
                admits_encouraged_under_review=bool(f["admits_encouraged_under_review"]),
                attrs=f["attrs"],
                max_vertices=max_vertices,
                note=note,
            )
        )
    if keep == 1:
        edit.written.reverse()  # left part first
    return edit


def merge_clusters(
    session: Session,
    cluster_id: int,
    other_id: int,
    versions: Mapping[str, int],
    fields: Mapping[str, Any],
    user: UserRow | str | None,
    *,
    max_vertices: int | None = None,
) -> TopologyEdit:
    """Merge cluster ``other_id`` into ``cluster_id`` (two neighbours of one park): the first
    gets the union of both outlines as a new version (with ``fields``, any of ``PART_FIELDS``;
    the rest stay its own), the other is deleted, its parcels move to the merged cluster.

    Both need their version in ``versions`` (428 / 412). Clusters of two parks, or that share no
    edge, are refused (``GeometryError`` naming both clusters and parks).
    """
    actor_name(user, "edit_clusters")
    a = load_entity(session, "cluster", cluster_id)
    b = load_entity(session, "cluster", other_id)
    where = f"cluster {a.code}"
    if a.id == b.id:
        raise SchemaError(
            "a cluster cannot be merged with itself",
            where=f"{where}: with",
            msg=msg("error.topology.merge_self", cluster=notes.name_of(a)),
        )
    require_versions([a, b], versions)
    for row in (a, b):
        check_version(session, row, versions)
    if a.park_id != b.park_id:
        pa, pb = session.get(ParkRow, a.park_id), session.get(ParkRow, b.park_id)
        raise GeometryError(
            f"clusters {a.code} and {b.code} lie in different parks",
            where=f"{where}: with",
            hint="merge clusters of one park",
            msg=msg(
                "error.topology.other_park",
                cluster=notes.name_of(a),
                park=notes.name_of(pa),
                other=notes.name_of(b),
                other_park=notes.name_of(pb),
            ),
        )
    lock_park(session, a.park_id)
    ga, gb = from_db(a.geom), from_db(b.geom)
    if ga is None or gb is None:
        raise GeometryError(
            "a cluster without an outline cannot be merged",
            where=where,
            msg=msg("error.cluster.no_outline"),
        )
    merged = merge_polygons(ga, gb, subject=notes.name_of(a), other=notes.name_of(b))
    given = _part_fields(a, fields, where)
    changes = {k: v for k, v in given.items() if k in fields or (k == "name_en" and "name" in fields)}
    note = msg("audit.cluster_merged", cluster=notes.name_of(a), other=notes.name_of(b))
    edit = TopologyEdit()
    edit.deleted.append(delete_cluster(session, b.id, versions[b.code], user, note=note))
    edit.written.append(
        update_cluster(
            session,
            a.id,
            {**changes, "geometry": merged},
            versions[a.code],
            user,
            max_vertices=max_vertices,
            note=note,
        )
    )
    return edit


__all__ = ["PART_FIELDS", "merge_clusters", "split_cluster"]
