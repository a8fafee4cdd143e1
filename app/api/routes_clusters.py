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

from typing import Annotated, Any

import numpy as np
import shapely
from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from app.api.bounds import Version
from app.api.deleted import DeletedClusterCollection, deleted_collection
from app.api.deps import Planner, SessionDep, StateDep, Viewer, WriteSessionDep
from app.api.etags import expected_version, matches
from app.api.features import cluster_feature, edit_body
from app.api.geojson import (
    bbox_to_zone,
    collection_text,
    feature_text,
    geometry_from_request,
    geometry_json,
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
from gis.errors import SchemaError
from gis.messages import msg

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


def edited(session: Session, zone: ZoneRow, result: EditResult, status: int = 200) -> JSONResponse:
    """Return the written cluster as a Feature with its new ETag, repairs and re-assigned parcels.

    ``repairs``/``repairs_zh`` as in :func:`app.api.features.edit_body`."""
    feat, tag = cluster_feature(session, zone, result.key)
    session.commit()
    body = edit_body(feat, result) | {
        "reassigned": [{"parcel_id": p, "from": a, "to": b} for p, a, b in result.reassigned]
    }
    headers = {"ETag": tag}
    if status == 201:
        headers["Location"] = f"/api/v1/clusters/{result.key}"
    return JSONResponse(body, status_code=status, headers=headers, media_type=GEOJSON)


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
) -> GeoJSONResponse:
    """Return the zone's clusters ordered by cluster_id, paged, optionally within ``bbox``.

    Every cluster of the zone's rules is listed; one without an outline yet has ``geometry``
    null (it never matches a ``bbox``) and gets one by ``PUT`` with a geometry.
    """
    zone = served_zone(session, state.settings)
    area = bbox_to_zone(paging.bbox, zone.crs) if paging.bbox else None
    page = clusters_page(session, zone.id, area=area, park=park, limit=paging.limit, offset=paging.offset)
    geoms = shapely.from_wkb(np.array([None if w is None else bytes(w) for *_, w in page.rows], dtype=object))
    texts = geometry_json(geoms, zone.crs)
    feats = [feature_text(c.code, g, cluster_properties(c, pc)) for (c, pc, _), g in zip(page.rows, texts)]
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
) -> Any:
    zone = served_zone(session, state.settings)
    feat, tag = cluster_feature(session, zone, cluster_id)
    if matches(if_none_match, tag):
        return Response(status_code=304, headers={"ETag": tag})
    return JSONResponse(feat, headers={"ETag": tag}, media_type=GEOJSON)


@router.post(
    "/clusters",
    status_code=201,
    response_model=EditedCluster,
    responses={
        201: {"content": {GEOJSON: {}}, "headers": {"ETag": {}, "Location": {}}},
        409: {"model": ErrorBody, "description": "cluster_id taken"},
        **ERRORS,
    },
    summary="Create a cluster (planner+)",
)
def post_cluster(body: ClusterCreate, session: WriteSessionDep, state: StateDep, user: Planner) -> Any:
    """Create a cluster in a park; parcels it covers by at least half move into it (audited)."""
    zone = served_zone(session, state.settings)
    where = f"cluster {body.cluster_id}"
    park_of(session, zone.id, body.park)  # NotFoundError naming the parks
    mv = state.settings.max_vertices
    geom = geometry_from_request(body.geometry, zone.crs, max_vertices=mv, where=f"{where}: geometry")
    result = create_cluster(
        session,
        zone.id,
        body.park,
        body.cluster_id,
        body.name,
        geom,
        user,
        kind=body.kind,
        name_en=body.name_en,
        directions=body.directions,
        admits=body.admits,
        admits_encouraged_under_review=body.admits_encouraged_under_review,
        attrs=body.attrs,
        max_vertices=mv,
        repair_tolerance=RepairTolerance.from_settings(state.settings),
    )
    return edited(session, zone, result, 201)


@router.put(
    "/clusters/{cluster_id}",
    response_model=EditedCluster,
    responses={200: {"content": {GEOJSON: {}}, "headers": {"ETag": {}}}, **ERRORS, **PRECONDITIONS},
    summary="Edit a cluster (planner+, If-Match)",
)
def put_cluster(
    cluster_id: str,
    body: ClusterUpdate,
    session: WriteSessionDep,
    state: StateDep,
    user: Planner,
    if_match: Annotated[str | None, Header()] = None,
) -> Any:
    """Change a cluster's fields and/or outline; only the fields sent change (null clears)."""
    zone = served_zone(session, state.settings)
    where = f"cluster {cluster_id}"
    version = expected_version(if_match, cluster_id, where=where)
    changes = body.model_dump(exclude_unset=True)
    if not changes:
        raise SchemaError(
            "the request changes nothing",
            where=where,
            hint='send the fields to change, e.g. {"name": …} or {"geometry": …}',
            msg=msg("error.edit.nothing"),
        )
    c, _, _ = find_cluster(session, zone.id, cluster_id)
    mv = state.settings.max_vertices
    if changes.get("geometry") is not None:
        changes["geometry"] = geometry_from_request(
            changes["geometry"], zone.crs, max_vertices=mv, where=f"{where}: geometry"
        )
    tolerance = RepairTolerance.from_settings(state.settings)
    result = update_cluster(
        session, c.id, changes, version, user, max_vertices=mv, repair_tolerance=tolerance
    )
    return edited(session, zone, result)


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
    if_match: Annotated[str | None, Header()] = None,
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
    if_match: Annotated[str | None, Header()] = None,
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
