"""OGC API – Features (read) for a zone: the routes, their JSON and HTML encodings.

``ogc_router(...)`` returns a FastAPI ``APIRouter`` meant to be included under ``/ogc``
(:func:`app.ogc.mount` does that). Resources: landing page, ``/conformance``, ``/api``
(OpenAPI 3.0), ``/collections``, ``/collections/{id}``, ``/collections/{id}/items``,
``/collections/{id}/items/{featureId}`` and ``/collections/{id}/schema`` (JSON Schema of a
feature, linked as ``describedby``: clients such as GDAL take field types from it).

Errors: a domain error becomes the OGC exception document ``{"code", "description"}`` with the
HTTP status of ``app/errors.py`` (unknown collection or feature → 404, invalid parameter → 400).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import numpy as np
from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from shapely.geometry import mapping
from sqlalchemy.orm import Session
from starlette.requests import Request

from app.errors import http_status_for
from app.ogc import params as P
from app.ogc.collections import COLLECTIONS, CollectionSpec, Field
from app.ogc.crs import (
    CRS84_URI,
    EXTRA_CRS,
    bbox_in_storage,
    bounds_to_crs84,
    service_crs,
    to_output_axes,
    transform_gis,
    uri_for,
)
from app.ogc.deps import default_session, resolve_zone
from app.ogc.negotiation import HTML, negotiate
from app.ogc.openapi import OPENAPI_MEDIA_TYPE, build_openapi
from app.ogc.source import Feature, ZoneFeatures
from gis.errors import ParksiteError

GEOJSON = "application/geo+json"
JSON_TYPE = "application/json"
HTML_TYPE = "text/html"
SCHEMA_TYPE = "application/schema+json"

#: Conformance classes, declared only for what is implemented.
CONFORMANCE: tuple[str, ...] = (
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
)

REL_CONFORMANCE = "http://www.opengis.net/def/rel/ogc/1.0/conformance"
REL_DATA = "http://www.opengis.net/def/rel/ogc/1.0/data"

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))

#: Error codes of the OGC exception document by HTTP status.
_CODES = {400: "InvalidParameterValue", 404: "NotFound", 409: "Conflict", 413: "TooLarge", 422: "InvalidData"}


def _link(href: str, rel: str, type_: str, title: str | None = None) -> dict[str, str]:
    out = {"href": href, "rel": rel, "type": type_}
    if title:
        out["title"] = title
    return out


def _url(base: str, path: str = "", **query: Any) -> str:
    q = {k: v for k, v in query.items() if v is not None}
    return f"{base}{path}" + (f"?{urlencode(q)}" if q else "")


def _script_json(obj: Any) -> str:
    """Return JSON safe to embed in a <script> element (no "</script>" can close it)."""
    return json.dumps(obj, ensure_ascii=False).replace("<", "\\u003c")


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class OGCService:
    """The state behind the routes: session dependency, zone, paging limits and CRSs."""

    def __init__(
        self,
        *,
        zone_id: str | None,
        default_limit: int,
        max_limit: int,
        extra_crs: Sequence[str],
        static_url: str,
        exports_url: str | None,
    ):
        if not 1 <= default_limit <= max_limit:
            raise ValueError(f"need 1 ≤ default_limit ({default_limit}) ≤ max_limit ({max_limit})")
        self.zone_id = zone_id
        self.default_limit = default_limit
        self.max_limit = max_limit
        self.extra_crs = tuple(uri_for(c) for c in extra_crs)
        self.static_url = static_url.rstrip("/")
        self.exports_url = exports_url

    # ------------------------------------------------------------------ helpers

    def base(self, request: Request) -> str:
        return str(request.url_for("ogc_landing")).rstrip("/")

    def crs_list(self, storage: str) -> list[str]:
        return list(dict.fromkeys([CRS84_URI, storage, *self.extra_crs]))

    def render(
        self,
        request: Request,
        template: str,
        context: dict[str, Any],
        *,
        headers: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> HTMLResponse:
        ctx = {"static_url": self.static_url, "base": self.base(request), **context}
        return TEMPLATES.TemplateResponse(
            request, template, ctx, headers={"Vary": "Accept", **(headers or {})}, status_code=status_code
        )

    def json(
        self, content: Any, media_type: str = JSON_TYPE, headers: dict[str, str] | None = None
    ) -> Response:
        body = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        return Response(
            body.encode("utf-8"), media_type=media_type, headers={"Vary": "Accept", **(headers or {})}
        )

    def error(self, request: Request, exc: ParksiteError) -> Response:
        status = http_status_for(exc)
        code = _CODES.get(status, "ServerError")
        try:
            wants_html = negotiate(request) == HTML
        except ParksiteError:
            wants_html = False
        if wants_html:
            return self.render(
                request,
                "error.html",
                {"title": code, "status": status, "message": str(exc)},
                status_code=status,
            )
        body = json.dumps({"code": code, "description": str(exc)}, ensure_ascii=False)
        return Response(body.encode("utf-8"), status_code=status, media_type=JSON_TYPE)

    # ------------------------------------------------------------------ documents

    def collection_doc(
        self, base: str, spec: CollectionSpec, source: ZoneFeatures, storage: str
    ) -> dict[str, Any]:
        href = f"{base}/collections/{spec.id}"
        doc: dict[str, Any] = {
            "id": spec.id,
            "title": f"{spec.title} {spec.title_en}",
            "description": spec.description,
            "itemType": "feature",
            "links": [
                _link(_url(href, f="json"), "self", JSON_TYPE, "this document"),
                _link(_url(href, f="html"), "alternate", HTML_TYPE, "this document as HTML"),
                _link(_url(f"{href}/items", f="json"), "items", GEOJSON, "the features as GeoJSON"),
                _link(_url(f"{href}/items", f="html"), "items", HTML_TYPE, "the features as HTML"),
                _link(f"{href}/schema", "describedby", SCHEMA_TYPE, "JSON Schema of a feature"),
            ],
            "crs": self.crs_list(storage),
            "storageCrs": storage,
        }
        bounds = source.bounds()
        if bounds is not None:
            doc["extent"] = {"spatial": {"bbox": [bounds_to_crs84(bounds, storage)], "crs": CRS84_URI}}
        return doc

    def fields(self, source: ZoneFeatures) -> list[Field]:
        return [*source.spec.fields, *source.extra_fields()]

    def schema_doc(self, base: str, spec: CollectionSpec, fields: list[Field]) -> dict[str, Any]:
        props = {}
        for f in fields:
            p: dict[str, Any] = {"type": f.type, "title": f.title}
            if f.unit:
                p["description"] = f"unit: {f.unit}"
            if f.name == "scored_at":
                p["format"] = "date-time"
            props[f.name] = p
        return {
            "$schema": "https://json-schema.org/draft/2019-09/schema",
            "$id": f"{base}/collections/{spec.id}/schema",
            "title": f"{spec.title} {spec.title_en}",
            "description": f"a GeoJSON feature of {spec.id}; properties may be null",
            "type": "object",
            "required": ["type", "geometry", "properties"],
            "properties": {
                "type": {"type": "string", "enum": ["Feature"]},
                "id": {"type": "string", "description": f"the feature's {spec.id_field}"},
                "geometry": {"type": "object", "description": f"GeoJSON {spec.geometry}"},
                "properties": {"type": "object", "properties": props},
            },
        }

    def encode(self, features: list[Feature], target: str, storage: str) -> list[dict[str, Any]]:
        """Return GeoJSON features with coordinates in ``target`` (its own axis order)."""
        geoms = np.array([f.geometry for f in features], dtype=object)
        present = np.array([g is not None for g in geoms], dtype=bool)
        out_geoms = np.full(len(features), None, dtype=object)
        if present.any():
            moved = transform_gis(geoms[present], storage, target)
            out_geoms[present] = to_output_axes(moved, service_crs(target))
        return [
            {
                "type": "Feature",
                "id": f.id,
                "geometry": None if g is None else mapping(g),
                "properties": f.properties,
            }
            for f, g in zip(features, out_geoms)
        ]


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
) -> APIRouter:
    """Return the OGC API – Features router (include it with ``prefix="/ogc"``).

    ``get_session`` is the FastAPI dependency yielding a database session (default
    :func:`app.ogc.deps.default_session`); ``zone_id`` the zone to publish (default: the only
    zone in the database, else that of the settings' zone file). ``default_limit`` and
    ``max_limit`` are the declared page sizes; ``extra_crs`` the CRSs offered besides CRS84 and
    the zone's. ``static_url`` is where the vendored Leaflet/Bootstrap are served (HTML pages);
    ``exports_url`` where the exchange files are (linked from the landing page; None: no link);
    ``dependencies`` run before every route (e.g. a sign-in check).
    """
    svc = OGCService(
        zone_id=zone_id,
        default_limit=default_limit,
        max_limit=max_limit,
        extra_crs=extra_crs,
        static_url=static_url,
        exports_url=exports_url,
    )
    session_dep = Depends(get_session or default_session)
    router = APIRouter(include_in_schema=False, dependencies=list(dependencies))

    def guarded(fn: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(fn)
        def wrapper(request: Request, *args: Any, **kwargs: Any) -> Response:
            try:
                return fn(request, *args, **kwargs)
            except ParksiteError as exc:
                return svc.error(request, exc)

        return wrapper

    def zone_context(session: Session) -> tuple[str, str, str]:
        zone = resolve_zone(session, svc.zone_id)
        storage = uri_for(f"EPSG:{zone.srid}")
        return zone.id, zone.name, storage

    @router.get("", name="ogc_landing")
    @guarded
    def landing(request: Request, session: Session = session_dep) -> Response:
        P.check_known(request.query_params, P.PARAMS_PLAIN)
        fmt = negotiate(request)
        zid, zname, storage = zone_context(session)
        base = svc.base(request)
        links = [
            _link(_url(base, f="json"), "self", JSON_TYPE, "this document"),
            _link(_url(base, f="html"), "alternate", HTML_TYPE, "this document as HTML"),
            _link(f"{base}/api", "service-desc", OPENAPI_MEDIA_TYPE, "the API definition (OpenAPI 3.0)"),
            _link(_url(f"{base}/api", f="html"), "service-doc", HTML_TYPE, "the API documentation"),
            _link(
                _url(f"{base}/conformance", f="json"),
                "conformance",
                JSON_TYPE,
                "conformance classes implemented",
            ),
            _link(
                _url(f"{base}/conformance", f="json"),
                REL_CONFORMANCE,
                JSON_TYPE,
                "conformance classes implemented",
            ),
            _link(_url(f"{base}/collections", f="json"), "data", JSON_TYPE, "the feature collections"),
            _link(_url(f"{base}/collections", f="json"), REL_DATA, JSON_TYPE, "the feature collections"),
        ]
        if svc.exports_url:
            root = str(request.base_url).rstrip("/") + request.scope.get("root_path", "")
            for kind, media, title in (
                ("gpkg", "application/geopackage+sqlite3", "GeoPackage of the whole zone"),
                ("shapefile", "application/zip", "parcels as a zipped Shapefile"),
                (
                    "xlsx",
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    "workbook of parcels and project verdicts",
                ),
            ):
                links.append(_link(f"{root}{svc.exports_url}/{kind}", "enclosure", media, title))
        doc = {
            "title": f"{zname} — OGC API – Features",
            "description": f"Parks, clusters, parcels (with their latest suitability score) "
            f"and infrastructure of zone {zid}; storage CRS {storage}.",
            "links": links,
        }
        if fmt == HTML:
            return svc.render(
                request,
                "landing.html",
                {"title": doc["title"], "doc": doc, "zone_id": zid, "storage": storage},
            )
        return svc.json(doc)

    router.add_api_route("/", landing, methods=["GET"], name="ogc_landing_slash", include_in_schema=False)

    @router.get("/conformance", name="ogc_conformance")
    @guarded
    def conformance(request: Request) -> Response:
        P.check_known(request.query_params, P.PARAMS_PLAIN)
        doc = {"conformsTo": list(CONFORMANCE)}
        if negotiate(request) == HTML:
            return svc.render(request, "conformance.html", {"title": "Conformance 一致性", "doc": doc})
        return svc.json(doc)

    @router.get("/api", name="ogc_api")
    @guarded
    def api(request: Request, session: Session = session_dep) -> Response:
        P.check_known(request.query_params, P.PARAMS_PLAIN)
        fmt = negotiate(request)
        zid, zname, storage = zone_context(session)
        doc = build_openapi(
            svc.base(request),
            crs_list=svc.crs_list(storage),
            storage_crs=storage,
            default_limit=svc.default_limit,
            max_limit=svc.max_limit,
            title=f"{zname} — OGC API – Features",
            description=f"Features of zone {zid} (parksite).",
        )
        if fmt == HTML:
            return svc.render(request, "api.html", {"title": doc["info"]["title"], "doc": doc})
        return svc.json(doc, OPENAPI_MEDIA_TYPE)

    @router.get("/collections", name="ogc_collections")
    @guarded
    def collections(request: Request, session: Session = session_dep) -> Response:
        P.check_known(request.query_params, P.PARAMS_PLAIN)
        fmt = negotiate(request)
        zid, _, storage = zone_context(session)
        base = svc.base(request)
        docs = [
            svc.collection_doc(base, spec, ZoneFeatures(session, zid, cid), storage)
            for cid, spec in COLLECTIONS.items()
        ]
        doc = {
            "links": [
                _link(_url(f"{base}/collections", f="json"), "self", JSON_TYPE, "this document"),
                _link(_url(f"{base}/collections", f="html"), "alternate", HTML_TYPE, "this document as HTML"),
            ],
            "collections": docs,
            "crs": svc.crs_list(storage),
        }
        if fmt == HTML:
            return svc.render(request, "collections.html", {"title": "Collections 图层", "doc": doc})
        return svc.json(doc)

    @router.get("/collections/{collection_id}", name="ogc_collection")
    @guarded
    def collection(request: Request, collection_id: str, session: Session = session_dep) -> Response:
        P.check_known(request.query_params, P.PARAMS_PLAIN)
        fmt = negotiate(request)
        zid, _, storage = zone_context(session)
        source = ZoneFeatures(session, zid, collection_id)
        doc = svc.collection_doc(svc.base(request), source.spec, source, storage)
        if fmt == HTML:
            return svc.render(
                request, "collection.html", {"title": doc["title"], "doc": doc, "fields": svc.fields(source)}
            )
        return svc.json(doc)

    @router.get("/collections/{collection_id}/schema", name="ogc_schema")
    @guarded
    def schema(request: Request, collection_id: str, session: Session = session_dep) -> Response:
        P.check_known(request.query_params, P.PARAMS_PLAIN)
        zid, _, _ = zone_context(session)
        source = ZoneFeatures(session, zid, collection_id)
        return svc.json(svc.schema_doc(svc.base(request), source.spec, svc.fields(source)), SCHEMA_TYPE)

    @router.get("/collections/{collection_id}/items", name="ogc_items")
    @guarded
    def items(request: Request, collection_id: str, session: Session = session_dep) -> Response:
        qp = request.query_params
        P.check_known(qp, P.PARAMS_ITEMS)
        fmt = negotiate(request)
        zid, _, storage = zone_context(session)
        source = ZoneFeatures(session, zid, collection_id)
        offered = svc.crs_list(storage)
        limit = P.parse_limit(qp, svc.default_limit, svc.max_limit)
        offset = P.parse_offset(qp)
        target = P.parse_crs_param(qp, "crs", offered)
        bbox_crs = P.parse_crs_param(qp, "bbox-crs", offered)
        bbox = P.parse_bbox(qp, bbox_crs)
        P.parse_datetime(qp)
        area, empty = None, False
        if bbox is not None:
            area = bbox_in_storage(bbox.bounds, bbox.crs, storage)
            empty = area is None
        page = source.page(area=area, empty=empty, limit=limit, offset=offset)
        features = svc.encode(page.features, target, storage)

        base = svc.base(request)
        href = f"{base}/collections/{collection_id}/items"
        keep = {k: v for k, v in qp.items() if k not in ("f", "offset")}
        if "limit" in keep:
            keep["limit"] = str(limit)
        links = [
            _link(_url(href, **keep, offset=offset or None, f="json"), "self", GEOJSON, "this page"),
            _link(
                _url(href, **keep, offset=offset or None, f="html"),
                "alternate",
                HTML_TYPE,
                "this page as HTML",
            ),
        ]
        nxt = offset + limit if offset + limit < page.matched else None
        prv = max(0, offset - limit) if offset > 0 else None
        for rel, off in (("next", nxt), ("prev", prv)):
            if off is not None:
                links.append(
                    _link(
                        _url(href, **{**keep, "limit": str(limit)}, offset=off, f="json"),
                        rel,
                        GEOJSON,
                        f"{rel} page",
                    )
                )
        links.append(
            _link(
                _url(f"{base}/collections/{collection_id}", f="json"),
                "collection",
                JSON_TYPE,
                "the collection",
            )
        )
        doc = {
            "type": "FeatureCollection",
            "features": features,
            "links": links,
            "timeStamp": _now(),
            "numberMatched": page.matched,
            "numberReturned": len(features),
        }
        headers = {"Content-Crs": f"<{target}>"}
        if fmt == HTML:
            map_features = features if target == CRS84_URI else svc.encode(page.features, CRS84_URI, storage)
            html_links = {
                rel: _url(href, **{**keep, "limit": str(limit)}, offset=off, f="html")
                for rel, off in (("next", nxt), ("prev", prv))
                if off is not None
            }
            return svc.render(
                request,
                "items.html",
                {
                    "title": f"{source.spec.title} {source.spec.title_en}",
                    "doc": doc,
                    "spec": source.spec,
                    "fields": svc.fields(source),
                    "offset": offset,
                    "limit": limit,
                    "crs": target,
                    "html_links": html_links,
                    "map_geojson": _script_json({"type": "FeatureCollection", "features": map_features}),
                },
                headers=headers,
            )
        return svc.json(doc, GEOJSON, headers=headers)

    @router.get("/collections/{collection_id}/items/{feature_id}", name="ogc_item")
    @guarded
    def item(
        request: Request, collection_id: str, feature_id: str, session: Session = session_dep
    ) -> Response:
        qp = request.query_params
        P.check_known(qp, P.PARAMS_ITEM)
        fmt = negotiate(request)
        zid, _, storage = zone_context(session)
        source = ZoneFeatures(session, zid, collection_id)
        target = P.parse_crs_param(qp, "crs", svc.crs_list(storage))
        feature = source.get(feature_id)
        doc = svc.encode([feature], target, storage)[0]
        base = svc.base(request)
        href = f"{base}/collections/{collection_id}/items/{feature_id}"
        keep = {k: v for k, v in qp.items() if k != "f"}
        doc["links"] = [
            _link(_url(href, **keep, f="json"), "self", GEOJSON, "this feature"),
            _link(_url(href, **keep, f="html"), "alternate", HTML_TYPE, "this feature as HTML"),
            _link(
                _url(f"{base}/collections/{collection_id}", f="json"),
                "collection",
                JSON_TYPE,
                "the collection",
            ),
        ]
        headers = {"Content-Crs": f"<{target}>"}
        if fmt == HTML:
            map_doc = doc if target == CRS84_URI else svc.encode([feature], CRS84_URI, storage)[0]
            return svc.render(
                request,
                "item.html",
                {
                    "title": f"{source.spec.title} {feature.id}",
                    "doc": doc,
                    "spec": source.spec,
                    "fields": svc.fields(source),
                    "crs": target,
                    "map_geojson": _script_json(map_doc),
                },
                headers=headers,
            )
        return svc.json(doc, GEOJSON, headers=headers)

    return router
