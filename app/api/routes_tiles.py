"""``/tiles/{hillshade|slope}/{z}/{x}/{y}.png``: XYZ tiles of the zone's terrain (rendered by
``app.api.tiles``, kept in memory and on disk by ``app.api.terrain_cache``)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from fastapi.responses import Response

from app.api.bounds import TileXY, TileZ
from app.api.deps import SessionDep, StateDep, Viewer
from app.api.models import ErrorBody
from app.api.terrain_cache import terrain_tile

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
    """Return the tile; slope classes 0–2°, 2–5°, 5° – natural limit, steeper; transparent off the DEMs.

    Read from this process's memory, else from the tiles on disk that every worker shares
    (seeded by ``parksite tiles seed`` and at ``parksite serve``), else rendered and kept."""
    _, png = terrain_tile(state, session, kind, z, x, y)
    return Response(png, media_type="image/png", headers={"Cache-Control": "public, max-age=3600"})
