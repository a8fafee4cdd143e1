"""``create_app(settings)``: the FastAPI application (API under ``/api/v1``, the map's pages).

Built by a factory — never at import time — so tests and ``parksite serve`` pass their own
settings. The app owns an engine and session factory for ``Settings.resolved_database_url()``,
a background job runner and a tile cache (``app.state.api``, an :class:`ApiState`). At startup
it checks that the database answers (``app.db.probe``) and its schema is current (else: run
``parksite db upgrade``) and marks jobs and score runs a previous process left unfinished as
``interrupted`` (``app.api.recover``), then starts the warm-up (``app.api.warmup``: the zone's
measuring context and admission state built in a background thread, ``Settings.warm_on_start``);
at shutdown it stops the warm-up and the job runner and disposes of the engine. The map's pages (``app.web.mount``) and the OGC API – Features service
with the exports (``app.ogc.mount``: ``/ogc``, ``/api/v1/exports``) are mounted when those
packages exist. Background jobs live in the process that started them (their state in the
database); `parksite serve --workers N` runs N such processes on one database. Responses over
1 KB are gzip-compressed when the client accepts it (PNG tiles are not), those of 64 KiB or more
on a worker thread, and a gzipped body's strong ETag names the encoding (:mod:`app.api.compression`;
static files are compressed once and kept, :class:`app.web.pages.GzippedFiles`); the static
layers get ETags and 304s (:mod:`app.api.layer_etags`).

Errors: a domain error (``gis.errors.ParksiteError`` and the app's own) becomes
``{"error": type, "message", "where", "hint"}`` with the status of :data:`app.errors.ERROR_TABLE`;
``message`` is in the request's language (``?lang=``, else ``Accept-Language``, else Chinese) when
the error carries a catalogue message (:func:`error_body`)
(some add members: a 412 has ``current_version`` and ``feature``; a 422 about a cluster outline
(``ClusterGeometryError``) has ``problem``: ``{kind: outside_park | overlap, park | cluster,
area_m2, geometry}`` with the offending part in WGS 84; a 422 for an outline whose repair would
change its area (``OutlineRepairError``) has ``repair``: ``{area_m2_drawn, area_m2_repaired,
geometry}`` with the repaired outline in WGS 84, and ``message_zh``). 401 answers carry ``WWW-Authenticate: Bearer``;
a login refused after too many failures (429, :mod:`app.api.throttle`, whose counts live in
the database, shared by every worker; ``app.state.login_throttle``) carries ``Retry-After`` and has ``retry_after`` (s) and
``message_zh``.
Request validation errors have the same shape (:mod:`app.api.validation`): 400
(``InvalidParameterError``) for a path or query parameter that is malformed or out of its bounds
(every id and paging number is bounded, :mod:`app.api.bounds`), 422 (``InvalidBodyError``) for a
body, with ``errors`` listing each field; so do the framework's own 404/405
(:func:`app.error_shape.http_error_body`). The OpenAPI document (:mod:`app.api.openapi_doc`) is
served at ``/api/v1/openapi.json`` and ``/openapi.json``. A request with a body passes the request
gate (:mod:`app.api.gate`) first: the user's role is checked (401/403) and the body's size
(413: ``Settings.max_json_mb`` for JSON, ``Settings.max_body_mb`` for uploads) before it is read,
and a JSON body with more arrays than any accepted geometry can have is refused unparsed. CORS is closed unless ``Settings.cors_origins``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.types import Scope

from app.api.deps import ApiState, login_required
from app.api.gate import RequestGate, gated_routes
from app.db.spatialite import preload_native_libraries
from app.error_shape import base_error_body, http_error_body
from app.errors import (
    AdmissionRefusedError,
    ClusterGeometryError,
    LoginThrottledError,
    NotAuthenticatedError,
    OutlineRepairError,
    VersionConflictError,
    http_status_for,
)
from app.i18n import DEFAULT_LANG, render
from app.settings import Settings, get_settings
from gis.errors import ParksiteError
from gis.messages import msg

__all__ = ["API_PREFIX", "create_app", "error_body", "preload_native_libraries", "problem_of"]

API_PREFIX = "/api/v1"
log = logging.getLogger("parksite.api")


def error_body(exc: ParksiteError, lang: str = DEFAULT_LANG) -> dict[str, Any]:
    """Return the JSON body of a domain error (:func:`app.error_shape.base_error_body`: ``error``,
    ``message`` in ``lang``, ``where``, ``hint``, any ``details`` the raiser attached), with the
    ``message_zh``/``message_en`` of a refused admission, the ``problem`` of a
    ``ClusterGeometryError`` and the ``repair`` of an ``OutlineRepairError``."""
    body = base_error_body(exc, lang)
    if isinstance(exc, AdmissionRefusedError):
        body |= {
            "message_zh": render(exc.user_message(), "zh"),
            "message_en": render(exc.user_message(), "en"),
        }
    if isinstance(exc, ClusterGeometryError):
        body["problem"] = problem_of(exc)
    if isinstance(exc, OutlineRepairError):
        body["repair"] = repair_of(exc)
    return body


def repair_of(exc: OutlineRepairError) -> dict[str, Any]:
    """Return the ``repair`` member of an outline refused because its repair changes its area:
    the areas (m²) as drawn and as repaired, and the repaired outline (GeoJSON, WGS 84) that the
    user may accept by sending it."""
    import shapely

    from app.api.geojson import to_wgs84

    (g,) = to_wgs84([exc.repaired], exc.crs)
    return {
        "area_m2_drawn": round(exc.drawn_m2, 1),
        "area_m2_repaired": round(exc.repaired_m2, 1),
        "geometry": shapely.geometry.mapping(g),
    }


def problem_of(exc: ClusterGeometryError) -> dict[str, Any]:
    """Return the ``problem`` member of a refused cluster outline: kind, the park or cluster,
    the offending area (m²) and part (GeoJSON, WGS 84)."""
    import shapely

    from app.api.geojson import to_wgs84

    other = {"park": exc.park} if exc.kind == "outside_park" else {"cluster": exc.cluster}
    geometry = None
    if exc.geometry is not None and not exc.geometry.is_empty:
        (g,) = to_wgs84([exc.geometry], exc.crs)
        geometry = shapely.geometry.mapping(g)
    return {"kind": exc.kind, **other, "area_m2": round(float(exc.area_m2), 1), "geometry": geometry}


def _headers(exc: ParksiteError) -> dict[str, str]:
    if isinstance(exc, LoginThrottledError):
        return {"Retry-After": str(exc.retry_after)}
    return {"WWW-Authenticate": "Bearer"} if isinstance(exc, NotAuthenticatedError) else {}


def error_response(exc: ParksiteError, scope: Scope) -> JSONResponse:
    """Return the response of a domain error raised before any route ran (the request gate), in
    the request's language."""
    from app.api.lang import request_lang

    body = error_body(exc, request_lang(Request(scope)))
    return JSONResponse(body, status_code=http_status_for(exc), headers=_headers(exc))


async def domain_error(request: Request, exc: Exception) -> JSONResponse:
    """Exception handler: a domain error → its status (ERROR_TABLE) and body."""
    assert isinstance(exc, ParksiteError)
    from app.api.lang import request_lang

    status = http_status_for(exc)
    body = error_body(exc, request_lang(request))
    headers = _headers(exc)
    if isinstance(exc, VersionConflictError):
        from app.api.features import current_feature

        state: ApiState = request.app.state.api

        def load() -> Any:
            with state.factory() as session:
                return current_feature(session, exc.entity, exc.entity_id)

        current = await run_in_threadpool(load)
        body["current_version"] = exc.current_version
        body["feature"] = current[0] if current else None
        if current:
            headers["ETag"] = current[1]
    return JSONResponse(body, status_code=status, headers=headers)


async def validation_error(request: Request, exc: Exception) -> JSONResponse:
    """Exception handler: a request that fails FastAPI's validation → the one error shape
    (:mod:`app.api.validation`: 400 for parameters, 422 for bodies), in the request's language."""
    from fastapi.exceptions import RequestValidationError

    from app.api.lang import request_lang
    from app.api.validation import request_error

    assert isinstance(exc, RequestValidationError)
    err = request_error(list(exc.errors()))
    return JSONResponse(error_body(err, request_lang(request)), status_code=http_status_for(err))


async def http_error(request: Request, exc: Exception) -> JSONResponse:
    """Exception handler: an HTTP error the framework raised (no such path, method not allowed)
    → the one error shape, in the request's language."""
    from starlette.exceptions import HTTPException

    from app.api.lang import request_lang

    assert isinstance(exc, HTTPException)
    body = http_error_body(
        exc.status_code, exc.detail, f"{request.method} {request.url.path}", request_lang(request)
    )
    return JSONResponse(body, status_code=exc.status_code, headers=getattr(exc, "headers", None))


async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    """Exception handler: anything else is a 500 with a short body (details in the log)."""
    from app.api.lang import request_lang

    log.exception("unhandled error on %s %s", request.method, request.url.path)
    message = msg("error.server")
    return JSONResponse(
        {
            "error": "InternalError",
            "message": render(message, request_lang(request)),
            "where": f"{request.method} {request.url.path}",
            "hint": "see the server log",
            "message_zh": render(message, "zh"),
            "message_en": render(message, "en"),
        },
        status_code=500,
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    """Return the parksite web application for ``settings`` (default: from the environment)."""
    from app.api import (
        auth,
        routes_checks,
        routes_cluster_topology,
        routes_clusters,
        routes_contracts,
        routes_evaluation,
        routes_health,
        routes_imports,
        routes_jobs,
        routes_parcels,
        routes_projects,
        routes_reports,
        routes_rerun,
        routes_tiles,
        routes_vector_tiles,
        routes_zone,
    )
    from app.api.jobs import JobRunner
    from app.api.proxies import TrustedProxies
    from app.api.recover import recover
    from app.api.throttle import LoginThrottle
    from app.api.tiles import TileCache
    from app.api.warmup import WarmUp
    from app.db.data_version import DataVersionCache
    from app.db.engine import make_engine, session_factory
    from app.security import secret_key

    settings = settings or get_settings()
    preload_native_libraries()  # before any connection; SpatiaLite engines also do it (app.db.spatialite)
    engine = make_engine(settings.resolved_database_url())
    factory = session_factory(engine)
    state = ApiState(
        settings=settings,
        engine=engine,
        factory=factory,
        secret=secret_key(settings),
        require_login=login_required(settings),
        tiles=TileCache(),
        versions=DataVersionCache(factory),  # ETags: read at most once a second, forgotten on a write
    )
    state.warmup = WarmUp(state, enabled=settings.warm_on_start)  # app.api.warmup.STEPS

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from app.db.probe import probe
        from app.db.schema import require_current

        probe(engine)  # DatabaseUnavailableError: unreachable, missing, no PostGIS
        require_current(engine)  # ConfigError naming `parksite db upgrade` on an old schema
        if settings.recover_on_start:  # off in `parksite serve --workers N` (done once before)
            for line in recover(factory, settings).lines():  # jobs, score runs, inputs (by policy)
                log.warning("%s", line)
        state.jobs = JobRunner(factory)
        state.warmup.start()  # a background thread: requests are answered meanwhile
        try:
            yield
        finally:
            await run_in_threadpool(state.warmup.stop)  # its running step ends before the engine goes
            state.jobs.shutdown()
            engine.dispose()

    app = FastAPI(
        title="parksite API",
        version="1",
        summary="工业园区选址与用地 — site selection and land use for 交口经济技术开发区",
        description=(
            "Geometry is GeoJSON in WGS 84 (lon/lat). Map reads are open to anonymous users unless "
            "PARKSITE_REQUIRE_LOGIN; recorded projects and the exports need a signed-in user unless "
            "PARKSITE_PUBLIC_READS; writes need a bearer token (POST /api/v1/auth/token). Roles: "
            "viewer (signed in: checks, recommendations) < analyst (batch jobs) < planner (edit clusters "
            "and parcels) < manager (save, admit and revoke projects; score runs) "
            "< admin. Edits send If-Match with the ETag they read (412 if stale, 428 if missing). "
            "Every error, request validation included, is one JSON shape: {error, message, where, "
            "hint} (message in the request's language: ?lang=, else Accept-Language, else zh; "
            "message_zh and message_en give both), plus errors: [{loc, in, field, type, message}] "
            "for a request that does not match this document: 400 for a path or query parameter "
            "(ids and paging numbers are bounded), 422 for a body. This document is also served "
            "at /openapi.json; the OGC API – Features service has its own at /ogc/api."
        ),
        lifespan=lifespan,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
    )
    app.state.api = state
    app.state.login_throttle = LoginThrottle.from_settings(settings, factory)  # in the database
    app.state.trusted_proxies = TrustedProxies(settings.trusted_proxies)  # X-Forwarded-For from these
    from fastapi.exceptions import RequestValidationError
    from starlette.exceptions import HTTPException

    app.add_exception_handler(ParksiteError, domain_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(Exception, unexpected_error)
    routers = (
        auth,
        routes_health,
        routes_zone,
        routes_clusters,
        routes_cluster_topology,
        routes_parcels,
        routes_checks,
        routes_projects,
        routes_jobs,
        routes_rerun,
        routes_tiles,
        routes_vector_tiles,
        routes_imports,
        routes_evaluation,
        routes_contracts,
        routes_reports,
    )
    for module in routers:
        app.include_router(module.router, prefix=API_PREFIX)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=False,
            allow_methods=["GET", "POST", "PUT", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "If-Match", "If-None-Match"],
            expose_headers=["ETag", "Location", "Retry-After"],
        )
    app.add_middleware(
        RequestGate,
        routes=gated_routes(API_PREFIX, [m.router for m in routers]),
        max_body_bytes=int(settings.max_body_mb * 1e6),
        max_json_bytes=int(settings.max_json_mb * 1e6),
        max_vertices=settings.max_vertices,
        respond=error_response,
    )
    from app.api.layer_etags import LayerETags

    app.add_middleware(LayerETags, prefix=API_PREFIX)  # 304s for parks, clusters, layers
    from app.api.compression import GzipResponses

    app.add_middleware(GzipResponses)  # outermost: suffixed ETags are plain again for all inside
    from fastapi import Depends

    from app.api.deps import confidential, db_session, viewer
    from app.api.openapi_doc import install as install_openapi

    install_openapi(app, API_PREFIX)  # exact GeoJSON and error schemas; also at /openapi.json
    _mount_optional(app, "app.web")
    # the OGC API – Features service (/ogc): map layers, open to anonymous users unless login is
    # required; the exports (/api/v1/exports/{kind}) carry enterprises' figures and project
    # verdicts: signed-in users only unless PARKSITE_PUBLIC_READS=exports (the OGC landing page
    # links them only then, so that nobody signed out is offered links that answer 401)
    _mount_optional(
        app,
        "app.ogc",
        get_session=db_session,
        dependencies=[Depends(viewer)],
        export_dependencies=[Depends(confidential("exports"))],
        link_exports="exports" in settings.public_reads and not settings.require_login,
    )
    return app


def _mount_optional(app: FastAPI, package: str, **options: Any) -> None:
    """Call ``<package>.mount(app, **options)`` when that package exists (the map's pages,
    ``app.web``; the OGC feature service and exports, ``app.ogc``)."""
    import importlib

    try:
        module = importlib.import_module(package)
    except ModuleNotFoundError as exc:
        if exc.name != package:
            raise
        return
    module.mount(app, **options)
