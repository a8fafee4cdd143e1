"""OGC API – Features (read) for a zone: the routes, their JSON and HTML encodings.

``ogc_router(...)`` returns a FastAPI ``APIRouter`` meant to be included under ``/ogc``
(:func:`app.ogc.mount` does that). Resources: landing page, ``/conformance``, ``/api``
(OpenAPI 3.0), ``/collections``, ``/collections/{id}``, ``/collections/{id}/items``,
``/collections/{id}/items/{featureId}`` and ``/collections/{id}/schema`` (JSON Schema of a
feature, linked as ``describedby``: clients such as GDAL take field types from it).

Errors: a domain error becomes the OGC exception document ``{"code", "description"}`` with the
HTTP status of ``app/errors.py`` (unknown collection or feature → 404, invalid parameter → 400).

The resources are functions of :mod:`app.ogc.resources`; the state they share (limits, CRSs,
rendering) is :class:`app.ogc.service.OGCService`. This module only wires them to paths.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.requests import Request

from app.ogc import params as P
from app.ogc import resources as R
from app.ogc.crs import EXTRA_CRS
from app.ogc.deps import default_session
from app.ogc.service import CONFORMANCE, Memo, OGCService
from gis.errors import ParksiteError

__all__ = ["CONFORMANCE", "OGCService", "ogc_router"]


def _guarded(svc: OGCService, request: Request, resource: Callable[..., Response], *args: Any) -> Response:
    """Return ``resource(svc, request, *args)``; a domain error becomes the OGC exception document."""
    try:
        return resource(svc, request, *args)
    except ParksiteError as exc:
        return svc.error(request, exc)


def ogc_router(
    *,
    get_session: Callable[..., Iterator[Session]] | None = None,
    zone_id: str | None = None,
    default_limit: int = P.DEFAULT_LIMIT,
    max_limit: int = P.MAX_LIMIT,
    extra_crs: Sequence[str] = EXTRA_CRS,
    static_url: str = "/static",
    exports_url: str | None = "/api/v1/exports",
    dependencies: Sequence[Any] = (),
    memo: Memo | None = None,
) -> APIRouter:
    """Return the OGC API – Features router (include it with ``prefix="/ogc"``).

    ``get_session`` is the FastAPI dependency yielding a database session (default
    :func:`app.ogc.deps.default_session`); ``zone_id`` the zone to publish (default: the only
    zone in the database, else that of the settings' zone file). ``default_limit`` and
    ``max_limit`` are the declared page sizes; ``extra_crs`` the CRSs offered besides CRS84 and
    the zone's. ``static_url`` is where the vendored Leaflet/Bootstrap are served (HTML pages);
    ``exports_url`` where the exchange files are (linked from the landing page; None: no link);
    ``dependencies`` run before every route (e.g. a sign-in check); ``memo`` keeps the zone and
    its newest score run while the data holds (:data:`app.ogc.service.Memo`; default: read per
    request).
    """
    svc = OGCService(
        zone_id=zone_id,
        default_limit=default_limit,
        max_limit=max_limit,
        extra_crs=extra_crs,
        static_url=static_url,
        exports_url=exports_url,
        memo=memo,
    )
    session_dep = Depends(get_session or default_session)
    router = APIRouter(include_in_schema=False, dependencies=list(dependencies))
    call = functools.partial(_guarded, svc)

    @router.get("", name="ogc_landing")
    def landing(request: Request, session: Session = session_dep) -> Response:
        return call(request, R.landing, session)

    router.add_api_route("/", landing, methods=["GET"], name="ogc_landing_slash", include_in_schema=False)

    @router.get("/conformance", name="ogc_conformance")
    def conformance(request: Request) -> Response:
        return call(request, R.conformance)

    @router.get("/api", name="ogc_api")
    def api(request: Request, session: Session = session_dep) -> Response:
        return call(request, R.api_definition, session)

    @router.get("/collections", name="ogc_collections")
    def collections(request: Request, session: Session = session_dep) -> Response:
        return call(request, R.collections, session)

    @router.get("/collections/{collection_id}", name="ogc_collection")
    def collection(request: Request, collection_id: str, session: Session = session_dep) -> Response:
        return call(request, R.collection, session, collection_id)

    @router.get("/collections/{collection_id}/schema", name="ogc_schema")
    def schema(request: Request, collection_id: str, session: Session = session_dep) -> Response:
        return call(request, R.schema, session, collection_id)

    @router.get("/collections/{collection_id}/items", name="ogc_items")
    def items(request: Request, collection_id: str, session: Session = session_dep) -> Response:
        return call(request, R.items, session, collection_id)

    @router.get("/collections/{collection_id}/items/{feature_id}", name="ogc_item")
    def item(
        request: Request, collection_id: str, feature_id: str, session: Session = session_dep
    ) -> Response:
        return call(request, R.item, session, collection_id, feature_id)

    return router
