"""Paging of feature collections: ``limit`` (default 500, max 5000), ``offset`` and ``bbox``.

Collections carry ``numberMatched`` (features matching the filters), ``numberReturned`` and
``links`` (``self``, and ``next``/``prev`` when there are more pages) as OGC API - Features does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query, Request

from app.api.bounds import Offset
from app.api.geojson import parse_bbox

DEFAULT_LIMIT = 500
MAX_LIMIT = 5000


@dataclass
class PageParams:
    """The paging and bbox query parameters of a collection request."""

    bbox: tuple[float, float, float, float] | None
    limit: int
    offset: int


def page_params(
    bbox: Annotated[
        str | None, Query(description="WGS 84 minx,miny,maxx,maxy", examples=["111.40,36.90,111.60,37.10"])
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="features per page")] = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> PageParams:
    """Return the parsed paging parameters (SchemaError 422 for a malformed bbox)."""
    return PageParams(parse_bbox(bbox), limit, offset)


Paging = Annotated[PageParams, Depends(page_params)]


def links(request: Request, p: PageParams, total: int, returned: int) -> list[dict[str, Any]]:
    """Return the ``self``/``next``/``prev`` links of a page."""

    def at(offset: int) -> str:
        return str(request.url.include_query_params(offset=offset, limit=p.limit))

    out = [{"href": str(request.url), "rel": "self", "type": "application/geo+json"}]
    if p.offset + returned < total:
        out.append({"href": at(p.offset + p.limit), "rel": "next", "type": "application/geo+json"})
    if p.offset > 0:
        out.append({"href": at(max(0, p.offset - p.limit)), "rel": "prev", "type": "application/geo+json"})
    return out
