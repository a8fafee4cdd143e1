"""OGC API – Features (Part 1 Core, GeoJSON, HTML, OpenAPI 3.0; Part 2 CRS by reference) of a
zone's layers, and the exchange files over HTTP — "Open in QGIS".

* :func:`ogc_router` — the feature service (include under ``/ogc``).
* :func:`app.ogc.exports_api.exports_router` — ``GET /api/v1/exports/{kind}``.
* :func:`mount` — both on an application.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from fastapi import FastAPI
from sqlalchemy.orm import Session

from app.error_shape import domain_error_response
from app.ogc.exports_api import exports_router
from app.ogc.router import CONFORMANCE, ogc_router
from gis.errors import ParksiteError

PREFIX = "/ogc"
EXPORTS_PREFIX = "/api/v1"


def mount(
    app: FastAPI,
    *,
    get_session: Callable[..., Iterator[Session]] | None = None,
    zone_id: str | None = None,
    prefix: str = PREFIX,
    exports_prefix: str = EXPORTS_PREFIX,
    export_dependencies: Sequence[Any] = (),
    link_exports: bool = True,
    exports: bool = True,
    **options: Any,
) -> FastAPI:
    """Add the feature service under ``prefix`` and ``GET {exports_prefix}/exports/{kind}`` to
    ``app``; return ``app``.

    ``get_session`` is the app's session dependency (default: ``app.state.session_factory``,
    else the settings' database). ``export_dependencies`` guard the exports route (e.g. sign-in);
    ``link_exports`` False leaves them out of the landing page (for anonymous visitors they
    would answer 401); ``exports`` False leaves the exports route out altogether.
    A domain error raised by the exports is answered in the one error shape
    (:func:`app.error_shape.domain_error_response`) unless ``app`` has its own handler.
    Other ``options`` go to :func:`ogc_router` (``default_limit``, ``max_limit``, ``extra_crs``,
    ``static_url``).
    """
    app.include_router(
        ogc_router(
            get_session=get_session,
            zone_id=zone_id,
            exports_url=f"{exports_prefix}/exports" if link_exports and exports else None,
            **options,
        ),
        prefix=prefix,
    )
    if ParksiteError not in app.exception_handlers:  # the API's own handler, else the one shape
        app.add_exception_handler(ParksiteError, domain_error_response)
    if exports:
        app.include_router(
            exports_router(get_session=get_session, zone_id=zone_id, dependencies=export_dependencies),
            prefix=exports_prefix,
        )
    return app


__all__ = ["CONFORMANCE", "EXPORTS_PREFIX", "PREFIX", "exports_router", "mount", "ogc_router"]
