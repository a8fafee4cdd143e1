"""What the cluster routes share: outlines simplified for editing, reading a PUT Feature into
changes, and the answer of a write — the cluster as a Feature with its ETag, every cluster the write changed (each with its new
ETag), the parcels that changed cluster and the land left in no cluster."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import shapely
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from app.api.etags import etag
from app.api.features import cluster_feature, edit_body
from app.api.geojson import geometry_from_request, request_crs
from app.api.models_topology import CLUSTER_READ_ONLY, ClusterFeatureIn
from app.api.routes_zone import GEOJSON
from app.api.store import park_of
from app.db import notes
from app.db.cluster_edits import CLUSTER_EDITABLE
from app.db.cluster_outline import SNAP_M
from app.db.cluster_topology import TopologyEdit
from app.db.geometry import from_db
from app.db.models import ClusterRow, ParkRow, ZoneRow
from app.db.notes import name_of
from app.db.unassigned import park_outlines, park_where_drawn
from app.db.versioning import EditResult
from gis.errors import GeometryError, SchemaError
from gis.messages import Name, msg
from gis.topology import simplify_tiling
from gis.units import MU_M2

#: A PUT geometry this close to the stored outline (Hausdorff distance, m) is no change: what a
#: WGS 84 round trip at 8 decimals (about 1 mm) does to it.
SAME_OUTLINE_M = SNAP_M / 10


def simplified_outlines(
    session: Session, park_ids: Iterable[int], tolerance_m: float
) -> dict[str, tuple[Any, float]]:
    """Return ``{cluster id: (outline, deviation m)}`` of every cluster of the parks, simplified
    together within ``tolerance_m`` (:func:`gis.topology.simplify_tiling`: shared edges stay
    shared), for editing; a PUT of such an outline saves exactly it."""
    out: dict[str, tuple[Any, float]] = {}
    for rows in park_outlines(session, park_ids).values():
        geoms, dev = simplify_tiling([g for _, g in rows], tolerance_m)
        out |= {code: (g, d) for (code, _), g, d in zip(rows, geoms, dev)}
    return out


def simplified_properties(props: dict[str, Any], tolerance_m: float, deviation_m: float) -> dict[str, Any]:
    """Return a cluster's properties with ``simplify_m`` (the tolerance asked, m) and
    ``deviation_m`` (how far the outline shown lies from the stored one at most, m)."""
    return props | {"simplify_m": tolerance_m, "deviation_m": round(deviation_m, 3)}


def drawn_park(session: Session, zone_id: str, geom: Any, given: str | None, name: Name) -> ParkRow:
    """Return the park a new cluster's outline (zone CRS) is drawn in.

    ``given`` (the request's ``park``) must be that park: another is refused naming both parks;
    an unknown one is NotFoundError naming the zone's parks. An outline in no park is refused.
    """
    park = park_where_drawn(session, zone_id, geom)
    if park is None:
        if given is not None:
            park_of(session, zone_id, given)  # NotFoundError naming the parks
        raise GeometryError(
            "the outline lies in no park",
            where="geometry",
            hint="draw the cluster inside a park",
            msg=msg("error.cluster.in_no_park", cluster=name),
        )
    if given is not None and given != park.code:
        other = park_of(session, zone_id, given)
        raise GeometryError(
            f"the outline is drawn in park {park.code}, not {given}",
            where="park",
            hint="leave park out: it is the park the outline is drawn in",
            msg=msg("error.cluster.drawn_elsewhere", cluster=name, park=name_of(park), given=name_of(other)),
        )
    return park


def changed_cluster(result: EditResult) -> dict[str, Any]:
    """Return one entry of a write's ``clusters`` list (id, names, action, version, ETag, area)."""
    state = result.state or {}
    return {
        "cluster_id": result.key,
        "name": state.get("name"),
        "name_en": state.get("name_en"),
        "action": result.action,
        "version": result.version,
        "etag": None if result.action == "delete" else etag(result.key, result.version),
        "area_m2": None if state.get("area_m2") is None else round(state["area_m2"], 2),
        "area_mu": None if state.get("area_mu") is None else round(state["area_mu"], 4),
    }


def reassigned_list(moves: Iterable[tuple[str, str | None, str | None]]) -> list[dict[str, str | None]]:
    """Return parcel moves as ``[{parcel_id, from, to}]``."""
    return [{"parcel_id": p, "from": a, "to": b} for p, a, b in moves]


def edit_response(
    session: Session,
    zone: ZoneRow,
    edit: TopologyEdit,
    status: int = 200,
    *,
    ignored: Iterable[str] = (),
) -> JSONResponse:
    """Commit and return the first written cluster as a Feature (ETag header) with ``action``,
    ``repairs``, ``reassigned``, ``clusters`` (every cluster written or deleted, new ETags),
    ``unassigned_m2``/``_mu`` and ``ignored``."""
    main = edit.written[0]
    feat, tag = cluster_feature(session, zone, main.key)
    session.commit()
    body = edit_body(feat, main) | {
        "reassigned": reassigned_list(edit.reassigned),
        "clusters": [changed_cluster(r) for r in [*edit.written, *edit.deleted]],
        "unassigned_m2": round(edit.unassigned_m2, 2),
        "unassigned_mu": round(edit.unassigned_m2 / MU_M2, 4),
        "ignored": sorted(ignored),
    }
    headers = {"ETag": tag}
    if status == 201:
        headers["Location"] = f"/api/v1/clusters/{main.key}"
    return JSONResponse(body, status_code=status, headers=headers, media_type=GEOJSON)


def unchanged_response(
    session: Session, zone: ZoneRow, c: ClusterRow, ignored: Iterable[str]
) -> JSONResponse:
    """Return the cluster as it is: a PUT that changes nothing writes nothing (no new version)."""
    result = EditResult("cluster", c.id, c.code, "unchanged", c.version, None, None)
    feat, tag = cluster_feature(session, zone, c.code)
    props = feat["properties"]
    entry = changed_cluster(result) | {
        "name": props["name"],
        "name_en": props["name_en"],
        "area_m2": props["area_m2"],
        "area_mu": props["area_mu"],
    }
    body = edit_body(feat, result) | {
        "reassigned": [],
        "clusters": [entry],
        "unassigned_m2": 0.0,
        "unassigned_mu": 0.0,
        "ignored": sorted(ignored),
    }
    return JSONResponse(body, headers={"ETag": tag}, media_type=GEOJSON)


def feature_changes(
    body: ClusterFeatureIn,
    c: ClusterRow,
    park: ParkRow,
    zone_crs: str,
    *,
    content_crs: str | None,
    max_vertices: int,
) -> tuple[dict[str, Any], list[str]]:
    """Return ``(changes, ignored)`` of a PUT Feature against the cluster as stored.

    Editable properties that differ from the stored ones are changes; so is a geometry farther
    than ``SAME_OUTLINE_M`` from the stored outline (transformed from WGS 84, or from the CRS the
    Feature's ``crs`` member or ``Content-Crs`` declare). Read-only properties are ignored, but
    ``id``/``cluster_id`` must name this cluster and ``park`` its park (SchemaError, naming
    them); other properties are returned as ``ignored``.
    """
    where = f"cluster {c.code}"
    props = dict(body.properties or {})
    for key, given in (("id", body.id), ("cluster_id", props.get("cluster_id"))):
        if given is not None and str(given) != c.code:
            raise SchemaError(
                f"{key} {given!r} is not this cluster ({c.code})",
                where=f"{where}: {key}",
                hint="PUT a cluster's Feature to its own URL",
                msg=msg("error.cluster.feature_other", given=str(given), cluster=notes.name_of(c)),
            )
    if props.get("park") not in (None, park.code):
        raise SchemaError(
            f"park {props['park']!r} is not this cluster's park ({park.code})",
            where=f"{where}: park",
            hint="a cluster stays in its park: draw a new cluster in the other park",
            msg=msg(
                "error.cluster.feature_park",
                given=str(props["park"]),
                cluster=notes.name_of(c),
                park=notes.name_of(park),
            ),
        )
    current = {
        "name": c.name,
        "name_en": c.name_en,
        "kind": c.kind,
        "directions": c.directions,
        "admits": c.admits,
        "admits_encouraged_under_review": c.admits_encouraged_under_review,
        "attrs": c.attrs,
    }
    changes = {
        k: props[k] for k in CLUSTER_EDITABLE if k != "geometry" and k in props and props[k] != current.get(k)
    }
    ignored = [k for k in props if k not in CLUSTER_EDITABLE and k not in CLUSTER_READ_ONLY]
    if body.geometry is not None:
        crs = request_crs(content_crs, body.crs, where=f"{where}: crs")
        geom = geometry_from_request(
            body.geometry, zone_crs, max_vertices=max_vertices, where=f"{where}: geometry", crs=crs
        )
        old = from_db(c.geom)
        if old is None or shapely.hausdorff_distance(geom, old) > SAME_OUTLINE_M:
            changes["geometry"] = geom
    return changes, ignored


__all__ = [
    "changed_cluster",
    "drawn_park",
    "edit_response",
    "feature_changes",
    "reassigned_list",
    "simplified_outlines",
    "simplified_properties",
    "unchanged_response",
]
