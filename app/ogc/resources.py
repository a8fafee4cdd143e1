"""The resources of OGC API – Features, one function each: landing page, conformance, API
definition, collections, a collection, its schema, its items and one item.

Each takes the :class:`~app.ogc.service.OGCService`, the request and a database session (and
the path parameters), negotiates JSON or HTML and returns the response; domain errors propagate
(the router turns them into OGC exception documents).
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi.responses import Response
from shapely.geometry.base import BaseGeometry
from sqlalchemy.orm import Session
from starlette.datastructures import QueryParams
from starlette.requests import Request

from app.ogc import params as P
from app.ogc.collections import COLLECTIONS
from app.ogc.crs import CRS84_URI, bbox_in_storage, uri_for
from app.ogc.deps import resolve_zone
from app.ogc.negotiation import HTML, negotiate, require_json
from app.ogc.openapi import OPENAPI_MEDIA_TYPE, build_openapi
from app.ogc.service import (
    CONFORMANCE,
    GEOJSON,
    HTML_TYPE,
    JSON_TYPE,
    REL_CONFORMANCE,
    REL_DATA,
    SCHEMA_TYPE,
    OGCService,
    link,
    now_utc,
    script_json,
    url,
)


def zone_context(svc: OGCService, session: Session) -> tuple[str, str, str]:
    """Return the published zone's ``(id, name, storage CRS URI)`` (kept by the service's memo)."""

    def read() -> tuple[str, str, str]:
        zone = resolve_zone(session, svc.zone_id)
        return zone.id, zone.name, uri_for(f"EPSG:{zone.srid}")

    result: tuple[str, str, str] = svc.remember(session, ("zone", svc.zone_id), read)
    return result


def landing(svc: OGCService, request: Request, session: Session) -> Response:
    """The landing page: links to the API definition, conformance, collections and exports."""
    P.check_known(request.query_params, P.PARAMS_PLAIN)
    fmt = negotiate(request)
    zid, zname, storage = zone_context(svc, session)
    base = svc.base(request)
    links = [
        link(url(base, f="json"), "self", JSON_TYPE, "this document"),
        link(url(base, f="html"), "alternate", HTML_TYPE, "this document as HTML"),
        link(f"{base}/api", "service-desc", OPENAPI_MEDIA_TYPE, "the API definition (OpenAPI 3.0)"),
        link(url(f"{base}/api", f="html"), "service-doc", HTML_TYPE, "the API documentation"),
        link(
            url(f"{base}/conformance", f="json"),
            "conformance",
            JSON_TYPE,
            "conformance classes implemented",
        ),
        link(
            url(f"{base}/conformance", f="json"),
            REL_CONFORMANCE,
            JSON_TYPE,
            "conformance classes implemented",
        ),
        link(url(f"{base}/collections", f="json"), "data", JSON_TYPE, "the feature collections"),
        link(url(f"{base}/collections", f="json"), REL_DATA, JSON_TYPE, "the feature collections"),
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
            links.append(link(f"{root}{svc.exports_url}/{kind}", "enclosure", media, title))
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


def conformance(svc: OGCService, request: Request) -> Response:
    """The conformance classes implemented (``CONFORMANCE``)."""
    P.check_known(request.query_params, P.PARAMS_PLAIN)
    doc = {"conformsTo": list(CONFORMANCE)}
    if negotiate(request) == HTML:
        return svc.render(request, "conformance.html", {"title": "Conformance 一致性", "doc": doc})
    return svc.json(doc)


def api_definition(svc: OGCService, request: Request, session: Session) -> Response:
    """The API definition (OpenAPI 3.0), or its HTML documentation."""
    P.check_known(request.query_params, P.PARAMS_PLAIN)
    fmt = negotiate(request)
    zid, zname, storage = zone_context(svc, session)
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


def collections(svc: OGCService, request: Request, session: Session) -> Response:
    """The feature collections of the zone, each with its extent and CRSs."""
    P.check_known(request.query_params, P.PARAMS_PLAIN)
    fmt = negotiate(request)
    zid, _, storage = zone_context(svc, session)
    base = svc.base(request)
    docs = [
        svc.collection_doc(base, spec, svc.features(session, zid, cid), storage)
        for cid, spec in COLLECTIONS.items()
    ]
    doc = {
        "links": [
            link(url(f"{base}/collections", f="json"), "self", JSON_TYPE, "this document"),
            link(url(f"{base}/collections", f="html"), "alternate", HTML_TYPE, "this document as HTML"),
        ],
        "collections": docs,
        "crs": svc.crs_list(storage),
    }
    if fmt == HTML:
        return svc.render(request, "collections.html", {"title": "Collections 图层", "doc": doc})
    return svc.json(doc)


def collection(svc: OGCService, request: Request, session: Session, collection_id: str) -> Response:
    """One feature collection's document."""
    P.check_known(request.query_params, P.PARAMS_PLAIN)
    fmt = negotiate(request)
    zid, _, storage = zone_context(svc, session)
    source = svc.features(session, zid, collection_id)
    doc = svc.collection_doc(svc.base(request), source.spec, source, storage)
    if fmt == HTML:
        return svc.render(
            request, "collection.html", {"title": doc["title"], "doc": doc, "fields": svc.fields(source)}
        )
    return svc.json(doc)


def schema(svc: OGCService, request: Request, session: Session, collection_id: str) -> Response:
    """The JSON Schema of a collection's features (``describedby``)."""
    P.check_known(request.query_params, P.PARAMS_PLAIN)
    require_json(request)  # a JSON Schema has no HTML page: f=html or f=AAA is a 400
    zid, _, _ = zone_context(svc, session)
    source = svc.features(session, zid, collection_id)
    return svc.json(svc.schema_doc(svc.base(request), source.spec, svc.fields(source)), SCHEMA_TYPE)


@dataclass(frozen=True)
class _ItemsQuery:
    """The parsed query of an items request: page, output CRS and the bbox in the storage CRS."""

    limit: int
    offset: int
    target: str
    area: BaseGeometry | None
    empty: bool

    @classmethod
    def parse(cls, svc: OGCService, qp: QueryParams, storage: str) -> _ItemsQuery:
        """Parse ``limit``, ``offset``, ``crs``, ``bbox-crs``, ``bbox`` and ``datetime`` (400 if bad)."""
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
        return cls(limit, offset, target, area, empty)


def _page_offsets(q: _ItemsQuery, matched: int) -> dict[str, int]:
    """Return the offsets of the ``next`` and ``prev`` pages that exist (of ``matched`` features)."""
    nxt = q.offset + q.limit if q.offset + q.limit < matched else None
    prv = max(0, q.offset - q.limit) if q.offset > 0 else None
    return {rel: off for rel, off in (("next", nxt), ("prev", prv)) if off is not None}


def _items_links(
    base: str, collection_id: str, href: str, keep: dict[str, str], q: _ItemsQuery, pages: dict[str, int]
) -> list[dict[str, str]]:
    """Return the links of an items page: self, alternate (HTML), next/prev, the collection."""
    links = [
        link(url(href, **keep, offset=q.offset or None, f="json"), "self", GEOJSON, "this page"),
        link(
            url(href, **keep, offset=q.offset or None, f="html"),
            "alternate",
            HTML_TYPE,
            "this page as HTML",
        ),
    ]
    for rel, off in pages.items():
        links.append(
            link(
                url(href, **{**keep, "limit": str(q.limit)}, offset=off, f="json"),
                rel,
                GEOJSON,
                f"{rel} page",
            )
        )
    links.append(
        link(
            url(f"{base}/collections/{collection_id}", f="json"),
            "collection",
            JSON_TYPE,
            "the collection",
        )
    )
    return links


def items(svc: OGCService, request: Request, session: Session, collection_id: str) -> Response:
    """A page of a collection's features (``limit``, ``offset``, ``bbox``, ``crs``), with paging links."""
    qp = request.query_params
    P.check_known(qp, P.PARAMS_ITEMS)
    fmt = negotiate(request)
    zid, _, storage = zone_context(svc, session)
    source = svc.features(session, zid, collection_id)
    q = _ItemsQuery.parse(svc, qp, storage)
    page = source.page(area=q.area, empty=q.empty, limit=q.limit, offset=q.offset)
    features = svc.encode(page.features, q.target, storage)

    base = svc.base(request)
    href = f"{base}/collections/{collection_id}/items"
    keep = {k: v for k, v in qp.items() if k not in ("f", "offset")}
    if "limit" in keep:
        keep["limit"] = str(q.limit)
    pages = _page_offsets(q, page.matched)
    doc = {
        "type": "FeatureCollection",
        "features": features,
        "links": _items_links(base, collection_id, href, keep, q, pages),
        "timeStamp": now_utc(),
        "numberMatched": page.matched,
        "numberReturned": len(features),
    }
    headers = {"Content-Crs": f"<{q.target}>"}
    if fmt == HTML:
        map_features = features if q.target == CRS84_URI else svc.encode(page.features, CRS84_URI, storage)
        html_links = {
            rel: url(href, **{**keep, "limit": str(q.limit)}, offset=off, f="html")
            for rel, off in pages.items()
        }
        return svc.render(
            request,
            "items.html",
            {
                "title": f"{source.spec.title} {source.spec.title_en}",
                "doc": doc,
                "spec": source.spec,
                "fields": svc.fields(source),
                "offset": q.offset,
                "limit": q.limit,
                "crs": q.target,
                "html_links": html_links,
                "map_geojson": script_json({"type": "FeatureCollection", "features": map_features}),
            },
            headers=headers,
        )
    return svc.json(doc, GEOJSON, headers=headers)


def item(
    svc: OGCService, request: Request, session: Session, collection_id: str, feature_id: str
) -> Response:
    """One feature of a collection, in the requested ``crs``."""
    qp = request.query_params
    P.check_known(qp, P.PARAMS_ITEM)
    fmt = negotiate(request)
    zid, _, storage = zone_context(svc, session)
    source = svc.features(session, zid, collection_id)
    target = P.parse_crs_param(qp, "crs", svc.crs_list(storage))
    feature = source.get(feature_id)
    doc = svc.encode([feature], target, storage)[0]
    base = svc.base(request)
    href = f"{base}/collections/{collection_id}/items/{feature_id}"
    keep = {k: v for k, v in qp.items() if k != "f"}
    doc["links"] = [
        link(url(href, **keep, f="json"), "self", GEOJSON, "this feature"),
        link(url(href, **keep, f="html"), "alternate", HTML_TYPE, "this feature as HTML"),
        link(
            url(f"{base}/collections/{collection_id}", f="json"),
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
                "map_geojson": script_json(map_doc),
            },
            headers=headers,
        )
    return svc.json(doc, GEOJSON, headers=headers)
