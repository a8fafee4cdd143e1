"""Cluster edits that change several clusters at once: ``POST /clusters/{id}/split`` (along a
drawn line, into two), ``POST /clusters/{id}/merge`` (two neighbours of one park into one), and
``GET /unassigned`` (each park's land in no cluster). ``PUT /clusters/{id}?neighbours=yield``
is in :mod:`app.api.routes_clusters`.

Writes need a planner (or higher) token and ``If-Match`` naming every cluster involved: one tag
per cluster (``If-Match: "sc-a-v3", "sc-b-v2"`` or several headers) or, for the other clusters,
the body's ``if_match`` map id → ETag. A missing ``If-Match`` is 428 before the body is read; a
cluster involved without a tag is 428 naming it; a stale one 412 (nothing saved). Refusals name
clusters and parks by name and give areas in m² and 亩.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from app.api.cluster_writes import changed_cluster, edit_response, reassigned_list
from app.api.deps import Planner, SessionDep, StateDep, Viewer, WriteSessionDep
from app.api.etags import IfMatch, tag_versions
from app.api.features import cluster_feature
from app.api.geojson import feature, geometry_from_request, request_crs
from app.api.models import EditedCluster, ErrorBody
from app.api.models_topology import ClusterMerge, ClusterSplit, SplitResult, UnassignedCollection
from app.api.routes_clusters import ERRORS, PRECONDITIONS, ContentCrs
from app.api.routes_zone import GEOJSON, GeoJSONResponse
from app.api.store import find_cluster, park_of, served_zone
from app.db.cluster_split_merge import merge_clusters, split_cluster
from app.db.unassigned import unassigned_land

router = APIRouter(tags=["clusters"])

TOPOLOGY_ERRORS = {
    **ERRORS,
    **PRECONDITIONS,
    428: {"model": ErrorBody, "description": "If-Match missing, or no tag for a cluster involved"},
}


@router.post(
    "/clusters/{cluster_id}/split",
    response_model=SplitResult,
    responses={200: {"content": {GEOJSON: {}}}, 409: {"model": ErrorBody}, **TOPOLOGY_ERRORS},
    summary="Split a cluster along a drawn line into two (planner+, If-Match)",
)
def split_route(
    cluster_id: str,
    if_match: IfMatch,
    body: ClusterSplit,
    session: WriteSessionDep,
    state: StateDep,
    user: Planner,
    content_crs: ContentCrs = None,
) -> Any:
    """Cut the cluster along ``line`` (drawn from outside it, across, to outside again) into
    ``parts[0]`` (left of the line as drawn) and ``parts[1]`` (right of it). Each part names its
    ``cluster_id`` and any of name, name_en, kind, directions, admits,
    admits_encouraged_under_review, attrs (those not given are the split cluster's). A part
    with the cluster's own id keeps it (a new version, its history goes on); otherwise the
    cluster is deleted and both parts are new. The parts' areas add up to the cluster's; parcels
    follow the part they lie in. Answers both parts as a FeatureCollection (left, right) with
    ``clusters`` (new ETags) and ``reassigned``.
    """
    zone = served_zone(session, state.settings)
    where = f"cluster {cluster_id}"
    c, _, _ = find_cluster(session, zone.id, cluster_id)
    version = tag_versions(if_match).get(cluster_id, 0)
    line_obj = body.line.get("geometry") if body.line.get("type") == "Feature" else body.line
    crs = request_crs(content_crs, body.crs, where=f"{where}: crs")
    line = geometry_from_request(
        line_obj, zone.crs, max_vertices=state.settings.max_vertices, where=f"{where}: line", crs=crs
    )
    parts = [p.model_dump(exclude_unset=True) for p in body.parts]
    edit = split_cluster(session, c.id, line, parts, version, user, max_vertices=state.settings.max_vertices)
    feats = [cluster_feature(session, zone, r.key)[0] for r in edit.written]
    session.commit()
    return JSONResponse(
        {
            "type": "FeatureCollection",
            "features": feats,
            "clusters": [changed_cluster(r) for r in [*edit.written, *edit.deleted]],
            "reassigned": reassigned_list(edit.reassigned),
        },
        media_type=GEOJSON,
    )


@router.post(
    "/clusters/{cluster_id}/merge",
    response_model=EditedCluster,
    responses={200: {"content": {GEOJSON: {}}, "headers": {"ETag": {}}}, **TOPOLOGY_ERRORS},
    summary="Merge a neighbouring cluster of the same park into this one (planner+, If-Match of both)",
)
def merge_route(
    cluster_id: str,
    if_match: IfMatch,
    body: ClusterMerge,
    session: WriteSessionDep,
    state: StateDep,
    user: Planner,
) -> Any:
    """Merge cluster ``with`` into this one: this cluster gets both outlines (one new version,
    with the fields given: name, name_en, kind, directions, admits,
    admits_encouraged_under_review, attrs; the rest stay its own), ``with`` is deleted and its
    parcels move here. Both must be of one park and share an edge (422 naming both clusters and
    parks otherwise). ``If-Match`` must name both (one tag each, or ``if_match`` in the body for
    ``with``). Answers the merged cluster (as PUT does), ``clusters`` listing both (``with`` as
    ``delete``).
    """
    zone = served_zone(session, state.settings)
    a, _, _ = find_cluster(session, zone.id, cluster_id)
    b, _, _ = find_cluster(session, zone.id, body.with_)
    versions = tag_versions(if_match, body.if_match)
    fields = body.model_dump(exclude_unset=True, exclude={"with_", "if_match"})
    edit = merge_clusters(
        session, a.id, b.id, versions, fields, user, max_vertices=state.settings.max_vertices
    )
    return edit_response(session, zone, edit)


@router.get(
    "/unassigned",
    response_class=GeoJSONResponse,
    responses={200: {"model": UnassignedCollection, "content": {GEOJSON: {}}}, 404: {"model": ErrorBody}},
    summary="Each park's land in no cluster (未划入组团的用地), GeoJSON in WGS 84",
)
def unassigned_route(
    session: SessionDep,
    state: StateDep,
    user: Viewer,
    park: Annotated[str | None, Query(description="one park id; default every park")] = None,
) -> Any:
    """Return one Feature per park (id = park id): the land inside the park in no cluster
    (MultiPolygon, WGS 84; null when there is none), with its area in m² and 亩 and the number of
    pieces. Pieces under 1 m² or thinner than 10 cm (hairlines along shared edges) are left out.
    Land a cluster gave up with ``neighbours=yield`` and no neighbour across the moved edge is
    here until a cluster is drawn over it."""
    zone = served_zone(session, state.settings)
    if park is not None:
        park_of(session, zone.id, park)  # NotFoundError naming the parks
    feats = []
    for u in unassigned_land(session, zone.id, park):
        props = {
            "park": u.park.code,
            "park_name": u.park.name,
            "park_name_en": u.park.name_en,
            "area_m2": round(u.area_m2, 2),
            "area_mu": round(u.area_mu, 4),
            "parts": 0 if u.geometry is None else len(u.geometry.geoms),
        }
        feats.append(feature(u.park.code, u.geometry, props, zone.crs))
    return JSONResponse({"type": "FeatureCollection", "features": feats}, media_type=GEOJSON)


__all__ = ["router"]
