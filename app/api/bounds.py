"""Bounds of every integer the API takes in a path or query: ids, versions, paging, tiles.

An integer the database cannot hold (SQLite's ``OverflowError`` beyond 2⁶³ − 1, PostgreSQL's
``integer`` beyond 2³¹ − 1) must never reach it: each such parameter is declared here with its
range, so the OpenAPI document states it and FastAPI refuses a value outside it with a 400
(:mod:`app.api.validation`) before the route runs. Ids above :data:`MAX_ID` cannot exist (the
tables' integer keys are 32-bit on PostgreSQL), so refusing them loses nothing.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

#: The largest integer id or version number (PostgreSQL ``integer``; SQLite allows more).
MAX_ID = 2**31 - 1
#: The largest ``offset`` of a paged list (no collection comes near it).
MAX_OFFSET = 2**31 - 1
#: The deepest zoom of the XYZ tiles (web mercator; ~2 cm pixels, far below any DEM's cells).
MAX_ZOOM = 24

#: A recorded project's id (path).
ProjectId = Annotated[int, Path(ge=1, le=MAX_ID, description="the project's id")]
#: A version number of a cluster or parcel (path).
Version = Annotated[int, Path(ge=1, le=MAX_ID, description="a version number (1 = as imported)")]
#: ``offset`` of a paged list (query).
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="items to skip")]
#: Tile coordinates (path): zoom, column, row.
TileZ = Annotated[int, Path(ge=0, le=MAX_ZOOM, description="zoom level")]
TileXY = Annotated[int, Path(ge=0, le=2**MAX_ZOOM - 1, description="column or row (< 2^z)")]
