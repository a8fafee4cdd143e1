"""``/tiles/{hillshade|slope}/{z}/{x}/{y}.png``: XYZ tiles of the zone's terrain (see ``app.api.tiles``)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from fastapi.responses import Response

from app.api.bounds import TileXY, TileZ
from app.api.deps import SessionDep, StateDep, Viewer
from app.api.models import ErrorBody
from app.api.tiles import render_hillshade, render_slope
from app.api.zone_memo import context_of, served

router = APIRouter(tags=["tiles"])


@router.get(
    "/tiles/{kind}/{z}/{x}/{y}.png",
    response_class=Response,
    responses={
        200: {"content": {"image/png": {}}, "description": "a 256 × 256 RGBA PNG"},
        404: {"model": ErrorBody, "description": "outside the tile pyramid"},
    },
    summary="Hillshade or slope-class tile (web mercator XYZ) from the zone's DEMs",
)
def get_tile(
    kind: Literal["hillshade", "slope"],
    z: TileZ,
    x: TileXY,
    y: TileXY,
    session: SessionDep,
    state: StateDep,
    user: Viewer,
) -> Response:
    """Return the tile; slope classes 0–2°, 2–5°, 5° – natural limit, steeper; transparent off the DEMs."""
    zone = served(state, session)  # once per data version: a cached tile asks the database nothing
    key = (zone.id, zone.imported_at.isoformat(), kind, z, x, y)
    png = state.tiles.get(key)
    if png is None:
        ctx = context_of(state, session, zone.id)
        png = (
            render_hillshade(ctx.surfaces, z, x, y)
            if kind == "hillshade"
            else render_slope(ctx.surfaces, z, x, y, ctx.natural_limit_pct)
        )
        state.tiles.put(key, png)
    return Response(png, media_type="image/png", headers={"Cache-Control": "public, max-age=3600"})
