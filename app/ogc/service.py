"""The OGC API – Features service's state and its documents: paging limits, CRSs, links,
HTML pages (Jinja templates), JSON bodies, the OGC exception document, collection and schema
documents, and features encoded as GeoJSON in a requested CRS.

An error is the OGC exception document ``{"code", "description"}`` and, in the same object, the
application's one error shape (:mod:`app.error_shape`: ``error``, ``message`` in the
``Accept-Language``'s language, ``where``, ``hint``), or an HTML page when HTML was asked for.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Hashable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import numpy as np
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from shapely.geometry import mapping
from sqlalchemy.orm import Session
from starlette.requests import Request

from app.error_shape import base_error_body
from app.errors import http_status_for
from app.exports.score_runs import latest_score_run
from app.i18n import negotiate as negotiate_lang
from app.ogc.collections import CollectionSpec, Field
from app.ogc.crs import CRS84_URI, bounds_to_crs84, service_crs, to_output_axes, transform_gis, uri_for
from app.ogc.negotiation import HTML, negotiate
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

#: ``memo(session, key, build)``: ``build()``'s value for ``key``, kept while the database's data
#: does not change (e.g. :meth:`app.db.data_version.DataVersionCache.memo`).
Memo = Callable[[Session, Hashable, Callable[[], Any]], Any]

#: Error codes of the OGC exception document by HTTP status.
_CODES = {400: "InvalidParameterValue", 404: "NotFound", 409: "Conflict", 413: "TooLarge", 422: "InvalidData"}


def link(href: str, rel: str, type_: str, title: str | None = None) -> dict[str, str]:
    """Return an OGC link object (``href``, ``rel``, ``type`` and, if given, ``title``)."""
    out = {"href": href, "rel": rel, "type": type_}
    if title:
        out["title"] = title
    return out


def url(base: str, path: str = "", **query: Any) -> str:
    """Return ``base + path`` with the query parameters that are not None."""
    q = {k: v for k, v in query.items() if v is not None}
    return f"{base}{path}" + (f"?{urlencode(q)}" if q else "")


def script_json(obj: Any) -> str:
    """Return JSON safe to embed in a <script> element (no "</script>" can close it)."""
    return json.dumps(obj, ensure_ascii=False).replace("<", "\\u003c")


def now_utc() -> str:
    """Return the current UTC time as ISO 8601 text to the second, e.g. ``2024-05-01T08:00:00Z``."""
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
        memo: Memo | None = None,
    ):
        if not 1 <= default_limit <= max_limit:
            raise ValueError(f"need 1 ≤ default_limit ({default_limit}) ≤ max_limit ({max_limit})")
        self.zone_id = zone_id
        self.default_limit = default_limit
        self.max_limit = max_limit
        self.extra_crs = tuple(uri_for(c) for c in extra_crs)
        self.static_url = static_url.rstrip("/")
        self.exports_url = exports_url
        self.memo = memo

    # ------------------------------------------------------------------ helpers

    def remember(self, session: Session, key: Hashable, build: Callable[[], Any]) -> Any:
        """Return ``build()``, kept by ``memo`` while the data holds when the service has one."""
        return build() if self.memo is None else self.memo(session, ("ogc", *key), build)

    def features(self, session: Session, zone_id: str, collection: str) -> ZoneFeatures:
        """Return the collection's features of ``zone_id`` — a zone this request has resolved
        (:func:`app.ogc.resources.zone_context`) — with the newest score run kept by ``memo``."""
        return ZoneFeatures(
            session,
            zone_id,
            collection,
            latest_run=lambda: self.remember(
                session, ("run", zone_id), lambda: latest_score_run(session, zone_id)
            ),
            zone_resolved=True,
        )

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
        lang = negotiate_lang(request.headers.get("accept-language"))
        doc = {"code": code, "description": str(exc), **base_error_body(exc, lang)}
        body = json.dumps(doc, ensure_ascii=False)
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
                link(url(href, f="json"), "self", JSON_TYPE, "this document"),
                link(url(href, f="html"), "alternate", HTML_TYPE, "this document as HTML"),
                link(url(f"{href}/items", f="json"), "items", GEOJSON, "the features as GeoJSON"),
                link(url(f"{href}/items", f="html"), "items", HTML_TYPE, "the features as HTML"),
                link(f"{href}/schema", "describedby", SCHEMA_TYPE, "JSON Schema of a feature"),
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
