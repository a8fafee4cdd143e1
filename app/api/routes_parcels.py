"""``/parcels``: list (paged, bbox, filters), read (with score breakdown and 标准地 sheet), edit,
history, restore, and the 标准地 sheet on its own.

Edits need a planner (or higher) token and ``If-Match``. A changed geometry is re-measured only
by the next score run: until then the parcel shows ``score_stale: true``.
"""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
import shapely
from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse, Response

from app.api.bounds import Version
from app.api.deps import ParcelEditor, SessionDep, StateDep, Viewer, WriteSessionDep
from app.api.etags import etag, expected_version, matches
from app.api.features import edit_body, parcel_feature, standard_land
from app.api.geojson import bbox_to_zone, collection_text, feature_text, geometry_from_request, geometry_json
from app.api.history import history_response
from app.api.lang import LangDep
from app.api.models import (
    ConflictBody,
    EditedParcel,
    ErrorBody,
    HistoryResponse,
    ParcelCollection,
    ParcelDetail,
    ParcelUpdate,
    StandardLandResponse,
)
from app.api.paging import Paging, links
from app.api.routes_zone import GEOJSON, GeoJSONResponse
from app.api.scores import scored_table
from app.api.store import (
    entity_id_by_key,
    find_parcel,
    parcel_properties,
    parcels_page,
    served_zone,
)
from app.api.zone_memo import rules_of, served
from app.db.edits import EditResult, restore, update_parcel
from app.db.geometry import RepairTolerance
from app.db.lookups import current_version, parcel_row_id
from app.db.models import ZoneRow
from gis.errors import GeometryError, NotFoundError, SchemaError
from gis.messages import msg

router = APIRouter(tags=["parcels"])

ERRORS = {
    401: {"model": ErrorBody, "description": "not logged in"},
    403: {"model": ErrorBody, "description": "role below planner"},
    404: {"model": ErrorBody},
    413: {"model": ErrorBody},
    422: {"model": ErrorBody},
    412: {"model": ConflictBody, "description": "stale If-Match: body has the current version and feature"},
    428: {"model": ErrorBody, "description": "If-Match missing"},
}


def _edited(session: Any, zone: ZoneRow, result: EditResult, lang: str) -> JSONResponse:
    feat, tag = parcel_feature(session, zone, result.key, lang=lang)
    session.commit()
    body = edit_body(feat, result)
    return JSONResponse(body, headers={"ETag": tag}, media_type=GEOJSON)


@router.get(
    "/parcels",
    response_class=GeoJSONResponse,
    responses={200: {"model": ParcelCollection, "content": {GEOJSON: {}}}, 422: {"model": ErrorBody}},
    summary="Parcels (地块) with their scores, as a GeoJSON FeatureCollection in WGS 84",
)
def list_parcels(
    request: Request,
    session: SessionDep,
    state: StateDep,
    user: Viewer,
    paging: Paging,
    park: Annotated[str | None, Query(description="park id(s), comma-separated")] = None,
    cluster: Annotated[str | None, Query(description="cluster id(s), comma-separated")] = None,
    status: Annotated[
        str | None, Query(description="existing, vacant, reserved, public (comma-separated)")
    ] = None,
) -> GeoJSONResponse:
    """Return parcels ordered by parcel_id: ``limit`` (≤ 5000) from ``offset``, within ``bbox``."""
    zone = served(state, session)  # once per data version
    area = bbox_to_zone(paging.bbox, zone.crs) if paging.bbox else None
    page = parcels_page(
        session,
        zone.id,
        area=area,
        park=park,
        cluster=cluster,
        status=status,
        limit=paging.limit,
        offset=paging.offset,
        run=zone.run_id,
    )
    names_en = zone.names_en
    geoms = shapely.from_wkb(np.array([bytes(r.wkb) for r in page.rows], dtype=object))
    texts = geometry_json(geoms, zone.crs)
    feats = [feature_text(r.parcel_id, g, parcel_properties(r, names_en)) for r, g in zip(page.rows, texts)]
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


@router.get(
    "/parcels/{parcel_id}",
    response_model=ParcelDetail,
    responses={
        200: {"content": {GEOJSON: {}}, "headers": {"ETag": {"description": '"<id>-v<version>"'}}},
        304: {"description": "If-None-Match names the current version"},
        404: {"model": ErrorBody},
    },
    summary="One parcel with its score breakdown, measures and 标准地 sheet, and its ETag",
)
def get_parcel(
    session: SessionDep,
    state: StateDep,
    user: Viewer,
    parcel_id: str,
    lang: LangDep,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Any:
    zone = served(state, session)  # once per data version
    row = find_parcel(session, zone.id, parcel_id, run=zone.run_id, detail=True)
    tag = etag(row.parcel_id, row.version)
    if matches(if_none_match, tag):
        return Response(status_code=304, headers={"ETag": tag})
    rules = rules_of(state, session, zone.id)  # once per data version
    feat, tag = parcel_feature(session, zone, parcel_id, lang=lang, row=row, rules=rules)
    return JSONResponse(feat, headers={"ETag": tag}, media_type=GEOJSON)


@router.put(
    "/parcels/{parcel_id}",
    response_model=EditedParcel,
    responses={200: {"content": {GEOJSON: {}}, "headers": {"ETag": {}}}, **ERRORS},
    summary="Edit a parcel: status, enterprise, land use, cluster, geometry (planner+, If-Match)",
)
def put_parcel(
    parcel_id: str,
    body: ParcelUpdate,
    session: WriteSessionDep,
    state: StateDep,
    user: ParcelEditor,
    lang: LangDep,
    if_match: Annotated[str | None, Header()] = None,
) -> Any:
    """Change the fields sent (null clears enterprise/land use/cluster); returns the parcel."""
    zone = served_zone(session, state.settings)
    where = f"parcel {parcel_id}"
    version = expected_version(if_match, parcel_id, where=where)
    changes = body.model_dump(exclude_unset=True)
    if not changes:
        raise SchemaError(
            "the request changes nothing",
            where=where,
            hint='send the fields to change, e.g. {"status": "existing"}',
            msg=msg("error.edit.nothing"),
        )
    pid = parcel_row_id(session, zone.id, parcel_id)
    if pid is None:
        raise NotFoundError(
            f"no parcel {parcel_id!r} in zone {zone.id}",
            where=where,
            msg=msg("error.parcel.not_found", parcel=parcel_id),
        )
    for key in ("status", "geometry"):
        if key in changes and changes[key] is None:
            raise (
                GeometryError(f"{key} cannot be null", where=f"{where}: {key}")
                if key == "geometry"
                else SchemaError(f"{key} cannot be null", where=f"{where}: {key}")
            )
    mv = state.settings.max_vertices
    if "geometry" in changes:
        changes["geometry"] = geometry_from_request(
            changes["geometry"], zone.crs, max_vertices=mv, where=f"{where}: geometry"
        )
    tolerance = RepairTolerance.from_settings(state.settings)
    result = update_parcel(session, pid, changes, version, user, max_vertices=mv, repair_tolerance=tolerance)
    return _edited(session, zone, result, lang)


@router.get(
    "/parcels/{parcel_id}/history",
    response_model=HistoryResponse,
    responses={404: {"model": ErrorBody}},
    summary="Every version of a parcel",
)
def parcel_history(
    parcel_id: str, session: SessionDep, state: StateDep, user: Viewer, lang: LangDep
) -> HistoryResponse:
    zone = served_zone(session, state.settings)
    eid = entity_id_by_key(session, zone.id, "parcel", parcel_id)
    return history_response(
        session, zone, "parcel", eid, parcel_id, current_version(session, "parcel", eid), lang
    )


@router.post(
    "/parcels/{parcel_id}/restore/{version}",
    response_model=EditedParcel,
    responses={200: {"content": {GEOJSON: {}}, "headers": {"ETag": {}}}, **ERRORS},
    summary="Restore an old version as a new, audited version (planner+, If-Match)",
)
def restore_parcel(
    parcel_id: str,
    version: Version,
    session: WriteSessionDep,
    state: StateDep,
    user: ParcelEditor,
    lang: LangDep,
    if_match: Annotated[str | None, Header()] = None,
) -> Any:
    zone = served_zone(session, state.settings)
    expected = expected_version(if_match, parcel_id, where=f"parcel {parcel_id}")
    row = find_parcel(session, zone.id, parcel_id)
    result = restore(session, "parcel", row.id, version, user, expected_version=expected)
    return _edited(session, zone, result, lang)


@router.get(
    "/parcels/{parcel_id}/standard-land",
    response_model=StandardLandResponse,
    responses={
        404: {"model": ErrorBody},
        409: {"model": ErrorBody, "description": "the parcel is not vacant (or reserved)"},
    },
    summary="The parcel's 标准地 sheet: the indicators an investor commits to",
)
def get_standard_land(
    parcel_id: str, session: SessionDep, state: StateDep, user: Viewer, lang: LangDep
) -> dict[str, Any]:
    zone = served_zone(session, state.settings)
    table = scored_table(session, zone.id)
    hit = table[table["parcel_id"] == parcel_id]
    if hit.empty:
        raise NotFoundError(
            f"no parcel {parcel_id!r} in zone {zone.id}",
            where=f"parcel {parcel_id}",
            msg=msg("error.parcel.not_found", parcel=parcel_id),
        )
    return standard_land(session, zone, hit.iloc[0], lang)
