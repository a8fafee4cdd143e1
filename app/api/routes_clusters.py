"""``/clusters``: list, read, create, edit, delete, history and restore of clusters (组团), and
the deleted ones: ``GET /clusters/deleted`` lists them, ``POST /clusters/{id}/undelete`` brings
one back from the audit log as a new version (checked like a new cluster).

Writes need a planner (or higher) token and — except creation — ``If-Match`` with the ETag of the
version being changed. Outlines are GeoJSON polygons in WGS 84, transformed to the zone CRS and
checked by the edit functions (:mod:`app.db.edits`, one rule for every write, restores included)
inside the write transaction, with the park row locked on PostGIS: at most
``Settings.max_vertices`` vertices (413), a polygon (422; repaired when it crosses itself, unless
the repair changes its area by more than ``Settings.repair_area_tolerance_*``: then 422
``OutlineRepairError`` with the repaired outline offered as ``repair.geometry``),
inside its park and not overlapping another cluster (422 ``ClusterGeometryError``; the body's
``problem`` names the park or the other cluster and gives the offending part as
``problem.geometry``, WGS 84). Slivers under 10 cm wide beyond the park or over a neighbour —
what rounding does to a shared edge read from the API and sent back — are cut off and reported
in ``repairs``.

``admits`` (表8-1: ``[{industry, branches}]``, industries of the positive list) is optional on
creation: without it the cluster admits nothing yet, and the admission check says "review" for
its parcels until it is set (``PUT`` with ``admits``; ``null`` unsets it again).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import numpy as np
import shapely
from fastapi import APIRouter, Body, Header, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from app.api.bounds import Version
from app.api.cluster_writes import (
    drawn_park,
    edit_response,
    feature_changes,
    simplified_outlines,
    simplified_properties,
    unchanged_response,
)
from app.api.deleted import DeletedClusterCollection, deleted_collection
from app.api.deps import Planner, SessionDep, StateDep, Viewer, WriteSessionDep
from app.api.etags import IfMatch, expected_version, matches, tag_versions
from app.api.features import cluster_feature
from app.api.geojson import (
    bbox_to_zone,
    collection_text,
    feature,
    feature_text,
    geometry_from_request,
    geometry_json,
    request_crs,
)
from app.api.history import history_response
from app.api.lang import LangDep
from app.api.models import (
    ClusterCollection,
    ClusterCreate,
    ClusterDeleted,
    ClusterFeature,
    ClusterUpdate,
    ConflictBody,
    EditedCluster,
    ErrorBody,
    HistoryResponse,
)
from app.api.models_topology import ClusterFeatureIn
from app.api.paging import Paging, links
from app.api.routes_zone import GEOJSON, GeoJSONResponse
from app.api.store import (
    cluster_properties,
    clusters_page,
    entity_id_by_key,
    find_cluster,
    park_of,
    served_zone,
)
from app.db.cluster_topology import TopologyEdit, create_with_yield, reshape_cluster
from app.db.edits import (
    EditResult,
    create_cluster,
    delete_cluster,
    restore,
    update_cluster,
)
from app.db.geometry import RepairTolerance
from app.db.lookups import current_version
from app.db.models import ZoneRow
from app.db.undelete import undelete_cluster
from app.db.versioning import conflict_error
from gis.errors import SchemaError
from gis.messages import Name, msg

router = APIRouter(tags=["clusters"])

ERRORS = {
    401: {"model": ErrorBody, "description": "not logged in"},
    403: {"model": ErrorBody, "description": "role below planner"},
    404: {"model": ErrorBody},
    413: {"model": ErrorBody, "description": "too many vertices / body too large"},
    422: {"model": ErrorBody, "description": "invalid polygon, outside its park, overlapping a cluster"},
}
PRECONDITIONS = {
    412: {"model": ConflictBody, "description": "stale If-Match: body has the current version and feature"},
    428: {"model": ErrorBody, "description": "If-Match missing"},
}


#: ``?neighbours=``: refuse an outline over another cluster (default), or let the others yield.
NeighboursQuery = Annotated[
    Literal["refuse", "yield"],
    Query(
        description="refuse (default): an outline over another cluster is refused; yield: the "
        "neighbours give up what it covers, freed land goes to the neighbour across the moved "
        "edge (or stays unassigned). Every cluster that changes needs its If-Match tag."
    ),
]
#: ``Content-Crs``: the CRS of the body's geometries when not WGS 84.
ContentCrs = Annotated[
    str | None,
    Header(
        alias="Content-Crs",
        description="CRS of the body's geometries, e.g. <http://www.opengis.net/def/crs/EPSG/0/4546>; "
        "default WGS 84 (CRS84)",
    ),
]


#: ``?simplify=``: outlines simplified for editing, in metres.
SimplifyQuery = Annotated[
    float | None,
    Query(
        gt=0,
        le=5,
        description="simplify the outlines for editing within this tolerance (m, zone CRS): every "
        "cluster of the park together, so shared edges stay shared; properties simplify_m and "
        "deviation_m (how far the outline shown lies from the stored one at most). A PUT of the "
        "outline shown saves exactly it (with neighbours=yield the neighbours follow).",
    ),
]


def edited(session: Session, zone: ZoneRow, result: EditResult, status: int = 200) -> JSONResponse:
    """Return one written cluster as :func:`app.api.cluster_writes.edit_response` does."""
    return edit_response(session, zone, TopologyEdit(written=[result]), status)


@router.get(
    "/clusters",
    response_class=GeoJSONResponse,
    responses={200: {"model": ClusterCollection, "content": {GEOJSON: {}}}, 422: {"model": ErrorBody}},
    summary="Clusters (组团) as a GeoJSON FeatureCollection in WGS 84",
)
def list_clusters(
    request: Request,
    session: SessionDep,
    state: StateDep,
    user: Viewer,
    paging: Paging,
    park: Annotated[str | None, Query(description="park id(s), comma-separated")] = None,
    simplify: SimplifyQuery = None,
) -> GeoJSONResponse:
    """Return the zone's clusters ordered by cluster_id, paged, optionally within ``bbox``.

    Every cluster of the zone's rules is listed; one without an outline yet has ``geometry``
    null (it never matches a ``bbox``) and gets one by ``PUT`` with a geometry.
    """
    zone = served_zone(session, state.settings)
    area = bbox_to_zone(paging.bbox, zone.crs) if paging.bbox else None
    page = clusters_page(session, zone.id, area=area, park=park, limit=paging.limit, offset=paging.offset)
    geoms = shapely.from_wkb(np.array([None if w is None else bytes(w) for *_, w in page.rows], dtype=object))
    props = [cluster_properties(c, pc) for c, pc, _ in page.rows]
    if simplify is not None:
        shown = simplified_outlines(session, {c.park_id for c, _, _ in page.rows}, simplify)
        for k, (c, _, _) in enumerate(page.rows):
            if c.code in shown:
                geoms[k], dev = shown[c.code]
                props[k] = simplified_properties(props[k], simplify, dev)
    texts = geometry_json(geoms, zone.crs)
    feats = [feature_text(c.code, g, p) for (c, _, _), g, p in zip(page.rows, texts, props)]
    return GeoJSONResponse(
        collection_text(
            feats,
            {
                "numberMatched": page.total,
                "numberReturned": len(feats),
                "links": links(request, paging, page.total, len(feats)),
            },
        )
    )


# Declared before /clusters/{cluster_id}: the first matching route wins.
@router.get(
    "/clusters/deleted",
    response_class=GeoJSONResponse,
    responses={200: {"model": DeletedClusterCollection, "content": {GEOJSON: {}}}},
    summary="Deleted clusters (组团) that can be restored, as a GeoJSON FeatureCollection in WGS 84",
)
def list_deleted_clusters(
    session: SessionDep, state: StateDep, user: Viewer, lang: LangDep
) -> GeoJSONResponse:
    """Return the zone's deleted clusters whose code is not in use again, newest deletion first:
    their last state (name, park, kind, outline), ``version`` (the deletion's, as ``DELETE``
    answered), ``deleted_at``/``deleted_by`` and the area in m² and 亩. Readable by whoever can
    read a cluster's history."""
    zone = served_zone(session, state.settings)
    return GeoJSONResponse(deleted_collection(session, zone, lang))


@router.get(
    "/clusters/{cluster_id}",
    response_model=ClusterFeature,
    responses={
        200: {"content": {GEOJSON: {}}, "headers": {"ETag": {"description": '"<id>-v<version>"'}}},
        304: {"description": "If-None-Match names the current version"},
        404: {"model": ErrorBody},
    },
    summary="One cluster as a GeoJSON Feature, with its ETag",
)
def get_cluster(
    session: SessionDep,
    state: StateDep,
    user: Viewer,
    cluster_id: str,
    if_none_match: Annotated[str | None, Header()] = None,
    simplify: SimplifyQuery = None,
) -> Any:
    """Return the cluster; with ``simplify`` its outline as simplified for editing (with all the
    park's clusters, so the edges it shares stay shared)."""
    zone = served_zone(session, state.settings)
    feat, tag = cluster_feature(session, zone, cluster_id)
    if matches(if_none_match, tag):
        return Response(status_code=304, headers={"ETag": tag})
    if simplify is not None and feat["geometry"] is not None:
        c, _, _ = find_cluster(session, zone.id, cluster_id)
        geom, dev = simplified_outlines(session, [c.park_id], simplify)[cluster_id]
        feat = feature(cluster_id, geom, simplified_properties(feat["properties"], simplify, dev), zone.crs)
    return JSONResponse(feat, headers={"ETag": tag}, media_type=GEOJSON)


@router.post(
    "/clusters",
    status_code=201,
    response_model=EditedCluster,
    responses={
        201: {"content": {GEOJSON: {}}, "headers": {"ETag": {}, "Location": {}}},
        409: {"model": ErrorBody, "description": "cluster_id taken"},
        **ERRORS,
        428: {
            "model": ErrorBody,
            "description": "neighbours=yield: a neighbour that yields has no If-Match tag",
        },
    },
    summary="Create a cluster (planner+); with neighbours=yield it may cover its neighbours",
)
def post_cluster(
    body: ClusterCreate,
    session: WriteSessionDep,
    state: StateDep,
    user: Planner,
    request: Request,
    neighbours: NeighboursQuery = "refuse",
    content_crs: ContentCrs = None,
) -> Any:
    """Create a cluster; parcels it covers by at least half move into it (audited).

    The park is the one the outline is drawn in (``park`` may be omitted; a ``park`` that is not
    where the outline lies is refused, naming both). ``neighbours=refuse`` (default): an outline
    over another cluster is refused (422). ``neighbours=yield``: the clusters it covers give that
    land up, each as a new version — send one ``If-Match`` tag per such cluster (428 naming
    those without one, 412 if one changed since); ``clusters`` in the answer lists them with
    their new ETags.
    """
    zone = served_zone(session, state.settings)
    where = f"cluster {body.cluster_id}"
    mv = state.settings.max_vertices
    crs = request_crs(content_crs, where=f"{where}: Content-Crs")
    geom = geometry_from_request(
        body.geometry, zone.crs, max_vertices=mv, where=f"{where}: geometry", crs=crs
    )
    park = drawn_park(session, zone.id, geom, body.park, Name(body.name, body.name_en or body.name))
    fields = {
        "kind": body.kind,
        "name_en": body.name_en,
        "directions": body.directions,
        "admits": body.admits,
        "admits_encouraged_under_review": body.admits_encouraged_under_review,
        "attrs": body.attrs,
        "max_vertices": mv,
        "repair_tolerance": RepairTolerance.from_settings(state.settings),
    }
    if neighbours == "yield":
        versions = tag_versions(", ".join(request.headers.getlist("if-match")))
        edit = create_with_yield(
            session, zone.id, park.code, body.cluster_id, body.name, geom, versions, user, **fields
        )
    else:
        edit = TopologyEdit(
            written=[
                create_cluster(session, zone.id, park.code, body.cluster_id, body.name, geom, user, **fields)
            ]
        )
    return edit_response(session, zone, edit, 201)


@router.put(
    "/clusters/{cluster_id}",
    response_model=EditedCluster,
    responses={200: {"content": {GEOJSON: {}}, "headers": {"ETag": {}}}, **ERRORS, **PRECONDITIONS},
    summary="Edit a cluster: its GeoJSON Feature as GET gives it, or the fields to change (planner+, If-Match)",
)
def put_cluster(
    cluster_id: str,
    if_match: IfMatch,
    body: Annotated[ClusterFeatureIn | ClusterUpdate, Body()],
    session: WriteSessionDep,
    state: StateDep,
    user: Planner,
    neighbours: NeighboursQuery = "refuse",
    content_crs: ContentCrs = None,
) -> Any:
    """Change a cluster's fields and/or outline.

    The body is the cluster's Feature as ``GET`` returns it (read, edit, write back: read-only
    properties are ignored, ``cluster_id``/``park`` checked; an outline within 5 mm of the
    stored one is no change; a Feature that changes nothing writes nothing and answers
    ``action: unchanged``), or an object with only the fields to change (null clears).
    Geometry in WGS 84 unless the Feature's ``crs`` member or ``Content-Crs`` says otherwise.

    ``If-Match`` is required (428 before anything else, even a bad body). ``neighbours=refuse``
    (default): an outline over another cluster is refused (422). ``neighbours=yield``: the
    neighbours give up what the new outline covers, and land it no longer covers goes to the
    neighbour across the moved edge, or stays unassigned inside the park
    (``GET /api/v1/unassigned``). Every cluster that changes needs its ETag: one ``If-Match``
    tag per cluster (``If-Match: "sc-a-v3", "sc-b-v2"``, or several headers), or the
    Feature's ``if_match`` map id → ETag; 428 names those without one, 412 if any changed since
    (nothing is saved). Tags of clusters that do not change are ignored, so a client may send
    the tags of every cluster it shows. ``clusters`` in the answer lists every cluster changed
    with its new ETag.
    """
    zone = served_zone(session, state.settings)
    where = f"cluster {cluster_id}"
    c, park_code, _ = find_cluster(session, zone.id, cluster_id)
    extra = body.if_match if isinstance(body, ClusterFeatureIn) else None
    versions = tag_versions(if_match, extra)
    version = versions.get(cluster_id, 0)
    mv = state.settings.max_vertices
    ignored: list[str] = []
    if isinstance(body, ClusterFeatureIn):
        changes, ignored = feature_changes(
            body, c, park_of(session, zone.id, park_code), zone.crs, content_crs=content_crs, max_vertices=mv
        )
        if not changes:
            if c.version != version:
                raise conflict_error(session, "cluster", c.id, version)
            return unchanged_response(session, zone, c, ignored)
    else:
        changes = body.model_dump(exclude_unset=True)
        if not changes:
            raise SchemaError(
                "the request changes nothing",
                where=where,
                hint='send the fields to change, e.g. {"name": …} or {"geometry": …}',
                msg=msg("error.edit.nothing"),
            )
        if changes.get("geometry") is not None:
            crs = request_crs(content_crs, where=f"{where}: Content-Crs")
            changes["geometry"] = geometry_from_request(
                changes["geometry"], zone.crs, max_vertices=mv, where=f"{where}: geometry", crs=crs
            )
    tolerance = RepairTolerance.from_settings(state.settings)
    if neighbours == "yield" and changes.get("geometry") is not None:
        edit = reshape_cluster(
            session, c.id, changes, versions, user, max_vertices=mv, repair_tolerance=tolerance
        )
    else:
        result = update_cluster(
            session, c.id, changes, version, user, max_vertices=mv, repair_tolerance=tolerance
        )
        edit = TopologyEdit(written=[result])
    return edit_response(session, zone, edit, ignored=ignored)


@router.delete(
    "/clusters/{cluster_id}",
    response_model=ClusterDeleted,
    responses={**ERRORS, **PRECONDITIONS},
    summary="Delete a cluster (planner+, If-Match); its parcels are re-assigned",
)
def delete_cluster_route(
    cluster_id: str,
    session: WriteSessionDep,
    state: StateDep,
    user: Planner,
    if_match: IfMatch,
) -> dict[str, Any]:
    """Delete a cluster; returns the deleted version and the parcels that changed cluster."""
    zone = served_zone(session, state.settings)
    version = expected_version(if_match, cluster_id, where=f"cluster {cluster_id}")
    c, _, _ = find_cluster(session, zone.id, cluster_id)
    result = delete_cluster(session, c.id, version, user)
    session.commit()
    return {
        "cluster_id": cluster_id,
        "deleted": True,
        "version": result.version,
        "reassigned": [{"parcel_id": p, "from": a, "to": b} for p, a, b in result.reassigned],
    }


@router.get(
    "/clusters/{cluster_id}/history",
    response_model=HistoryResponse,
    responses={404: {"model": ErrorBody}},
    summary="Every version of a cluster (also deleted ones)",
)
def cluster_history(
    cluster_id: str, session: SessionDep, state: StateDep, user: Viewer, lang: LangDep
) -> HistoryResponse:
    zone = served_zone(session, state.settings)
    eid = entity_id_by_key(session, zone.id, "cluster", cluster_id)
    return history_response(
        session, zone, "cluster", eid, cluster_id, current_version(session, "cluster", eid), lang
    )


@router.post(
    "/clusters/{cluster_id}/restore/{version}",
    response_model=EditedCluster,
    responses={200: {"content": {GEOJSON: {}}, "headers": {"ETag": {}}}, **ERRORS, **PRECONDITIONS},
    summary="Restore an old version as a new, audited version (planner+, If-Match)",
)
def restore_cluster(
    cluster_id: str,
    version: Version,
    session: WriteSessionDep,
    state: StateDep,
    user: Planner,
    if_match: IfMatch,
) -> Any:
    zone = served_zone(session, state.settings)
    expected = expected_version(if_match, cluster_id, where=f"cluster {cluster_id}")
    c, _, _ = find_cluster(session, zone.id, cluster_id)
    result = restore(session, "cluster", c.id, version, user, expected_version=expected)
    return edited(session, zone, result)


@router.post(
    "/clusters/{cluster_id}/undelete",
    status_code=201,
    response_model=EditedCluster,
    responses={
        201: {"content": {GEOJSON: {}}, "headers": {"ETag": {}, "Location": {}}},
        404: {"model": ErrorBody, "description": "no deleted cluster with this id"},
        409: {"model": ErrorBody, "description": "a cluster with this id exists (again)"},
        **{k: v for k, v in ERRORS.items() if k != 404},
    },
    summary="Undelete: re-create a deleted cluster from its last audited state as a new version (planner+)",
)
def undelete_cluster_route(cluster_id: str, session: WriteSessionDep, state: StateDep, user: Planner) -> Any:
    """Bring a deleted cluster back: its last state before the deletion becomes version
    (deletion's version + 1), audited as ``restore``, so ``/history`` reads on in one line.

    Checked like a new cluster: inside its park and overlapping no current cluster (422 with
    ``problem``), parcels it covers by at least half move into it (``reassigned``). No
    ``If-Match``: a deleted cluster has no ETag; a second undelete gets 409.
    """
    zone = served_zone(session, state.settings)
    result = undelete_cluster(session, zone.id, cluster_id, user)
    return edited(session, zone, result, 201)


__all__ = ["router"]
