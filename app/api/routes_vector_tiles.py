"""``/tiles/{layer}/{z}/{x}/{y}.mvt``: vector tiles of the zone's layers (see
``app.api.vector_tiles``), and ``/tiles/vector.json``: what the web map needs to use them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query
from fastapi.responses import Response

from app.api.deps import SessionDep, StateDep, Viewer
from app.api.etags import matches
from app.api.geojson import bbox_to_zone, parse_bbox
from app.api.models import ErrorBody
from app.api.store import served_zone
from app.api.vector_tiles import build_tile, check_tile
from app.api.zone_memo import served_zone_id
from app.db.tile_layers import VECTOR_LAYERS, parcel_count, parcels_in_box

router = APIRouter(tags=["tiles"])

MVT = "application/vnd.mapbox-vector-tile"
#: How long a browser keeps a tile asked for with the current ``v`` (its URL changes on an edit).
IMMUTABLE = 365 * 24 * 3600


@router.get(
    "/tiles/vector.json",
    summary="The vector tiles' URL template, layers, the zone's data version and the map's switch",
)
def vector_tiles_info(
    session: SessionDep,
    state: StateDep,
    user: Viewer,
    bbox: Annotated[
        str | None, Query(description="a map view minLon,minLat,maxLon,maxLat (WGS 84): count its parcels")
    ] = None,
) -> dict[str, Any]:
    """Return ``url`` (with ``v`` = the data version), ``layers``, ``version``, ``parcels`` (the
    zone's count), ``vector_above`` (a view with more parcels than this uses vector tiles),
    ``min_zoom`` (below it no parcel tiles are drawn) and, given ``bbox``, ``in_view``: the
    parcels whose bounding box meets it (spatial index only: cheap, an upper bound)."""
    zone = served_zone(session, state.settings)
    version = state.versions.get(session)
    in_view = None
    if bbox:
        area = bbox_to_zone(parse_bbox(bbox), zone.crs)
        in_view = parcels_in_box(session, zone.id, area.bounds)
    return {
        "in_view": in_view,
        "url": f"/api/v1/tiles/{{layer}}/{{z}}/{{x}}/{{y}}.mvt?v={version}",
        "layers": list(VECTOR_LAYERS),
        "version": version,
        "parcels": parcel_count(session, zone.id),
        "vector_above": state.settings.vector_tiles_above,
        "min_zoom": state.settings.vector_tiles_min_zoom,
    }


@router.get(
    "/tiles/{layer}/{z}/{x}/{y}.mvt",
    response_class=Response,
    responses={
        200: {
            "content": {MVT: {}},
            "description": "a Mapbox Vector Tile (extent 4096), one layer; empty when no feature is there",
        },
        304: {"description": "If-None-Match names the current tile"},
        400: {"model": ErrorBody, "description": "unknown layer or z/x/y outside the pyramid"},
    },
    summary="Vector tile (MVT, web mercator XYZ) of parcels, clusters, parks or an infrastructure layer",
)
def get_vector_tile(
    layer: str,
    z: int,
    x: int,
    y: int,
    session: SessionDep,
    state: StateDep,
    user: Viewer,
    v: Annotated[str | None, Query(description="the data version the URL was made for")] = None,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """Return the tile; its ETag names the zone's data version, so an edit invalidates it. Asked
    with the current ``v`` it may be kept for good (``immutable``); otherwise it is revalidated."""
    check_tile(layer, z, x, y)
    # the served zone's id and the data version kept per process: a cached tile costs no query
    zone_id = served_zone_id(state, session)
    version = state.versions.get(session)
    tag = f'"{layer}-{z}-{x}-{y}-{version}"'
    scope = "private" if state.require_login else "public"
    cache = f"{scope}, max-age={IMMUTABLE}, immutable" if v == version else f"{scope}, no-cache"
    headers = {"ETag": tag, "Cache-Control": cache, "Vary": "Authorization"}
    if matches(if_none_match, tag):
        return Response(status_code=304, headers=headers)
    key = ("mvt", zone_id, version, layer, z, x, y)
    data = state.tiles.get(key)
    if data is None:
        data = build_tile(session, zone_id, layer, z, x, y)
        state.tiles.put(key, data)
    return Response(data, media_type=MVT, headers=headers)  # empty: no feature of the layer here
