"""The service's API definition (OpenAPI 3.0), built from the collections it publishes.

Each collection gets its own ``/collections/{id}/items`` path (as OGC API – Features
recommends, and as GDAL reads it: the ``limit`` parameter's ``default`` and ``maximum`` there
set GDAL's page size). Parameters follow Part 1 (``bbox``, ``limit``, ``offset``,
``datetime``) and Part 2 (``crs``, ``bbox-crs``, each with the collection's CRS list as enum).
"""

from __future__ import annotations

from typing import Any

from app.ogc.collections import COLLECTIONS
from app.ogc.params import MAX_INTEGER

OPENAPI_MEDIA_TYPE = "application/vnd.oai.openapi+json;version=3.0"

_TYPES = {"string": "string", "number": "number", "integer": "integer", "boolean": "boolean"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/parameters/{name}"}


def _responses(
    media: str, schema: dict[str, Any], *, html: bool = True, not_found: bool = False
) -> dict[str, Any]:
    content: dict[str, Any] = {media: {"schema": schema}}
    if html:
        content["text/html"] = {"schema": {"type": "string"}}
    out: dict[str, Any] = {
        "200": {"description": "OK", "content": content},
        "400": {"$ref": "#/components/responses/InvalidParameter"},
        "500": {"$ref": "#/components/responses/ServerError"},
    }
    if not_found:
        out["404"] = {"$ref": "#/components/responses/NotFound"}
    return out


def build_openapi(
    base_url: str,
    *,
    crs_list: list[str],
    storage_crs: str,
    default_limit: int,
    max_limit: int,
    title: str,
    description: str,
) -> dict[str, Any]:
    """Return the OpenAPI 3.0 document of the service rooted at ``base_url`` (e.g. …/ogc)."""
    fc = {"$ref": "#/components/schemas/featureCollectionGeoJSON"}
    paths: dict[str, Any] = {
        "/": {
            "get": {
                "summary": "Landing page",
                "operationId": "getLandingPage",
                "tags": ["Capabilities"],
                "parameters": [_ref("f")],
                "responses": _responses("application/json", {"$ref": "#/components/schemas/landingPage"}),
            }
        },
        "/conformance": {
            "get": {
                "summary": "Conformance classes implemented",
                "operationId": "getConformance",
                "tags": ["Capabilities"],
                "parameters": [_ref("f")],
                "responses": _responses("application/json", {"$ref": "#/components/schemas/confClasses"}),
            }
        },
        "/api": {
            "get": {
                "summary": "This API definition",
                "operationId": "getAPI",
                "tags": ["Capabilities"],
                "parameters": [_ref("f")],
                "responses": _responses(OPENAPI_MEDIA_TYPE, {"type": "object"}),
            }
        },
        "/collections": {
            "get": {
                "summary": "The feature collections",
                "operationId": "getCollections",
                "tags": ["Capabilities"],
                "parameters": [_ref("f")],
                "responses": _responses("application/json", {"$ref": "#/components/schemas/collections"}),
            }
        },
    }
    for cid, spec in COLLECTIONS.items():
        props = {
            f.name: {
                "type": _TYPES[f.type],
                "title": f.title + (f"（{f.unit}）" if f.unit else ""),
                "nullable": True,
            }
            for f in spec.fields
        }
        paths[f"/collections/{cid}"] = {
            "get": {
                "summary": f"{spec.title} {spec.title_en}: collection metadata",
                "operationId": f"describe_{cid}",
                "tags": [cid],
                "parameters": [_ref("f")],
                "responses": _responses(
                    "application/json", {"$ref": "#/components/schemas/collection"}, not_found=True
                ),
            }
        }
        paths[f"/collections/{cid}/items"] = {
            "get": {
                "summary": f"{spec.title} {spec.title_en}: features",
                "description": spec.description,
                "operationId": f"get_{cid}_features",
                "tags": [cid],
                "parameters": [
                    _ref("bbox"),
                    _ref("bbox-crs"),
                    _ref("crs"),
                    _ref("limit"),
                    _ref("offset"),
                    _ref("datetime"),
                    _ref("f"),
                ],
                "responses": _responses(
                    "application/geo+json",
                    {
                        "allOf": [
                            fc,
                            {
                                "type": "object",
                                "properties": {
                                    "features": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "properties": {
                                                "properties": {"type": "object", "properties": props}
                                            },
                                        },
                                    }
                                },
                            },
                        ]
                    },
                ),
            }
        }
        paths[f"/collections/{cid}/items/{{featureId}}"] = {
            "get": {
                "summary": f"{spec.title} {spec.title_en}: one feature by {spec.id_field}",
                "operationId": f"get_{cid}_feature",
                "tags": [cid],
                "parameters": [_ref("featureId"), _ref("crs"), _ref("f")],
                "responses": _responses(
                    "application/geo+json", {"$ref": "#/components/schemas/featureGeoJSON"}, not_found=True
                ),
            }
        }
        paths[f"/collections/{cid}/schema"] = {
            "get": {
                "summary": f"{spec.title} {spec.title_en}: JSON Schema of a feature",
                "operationId": f"get_{cid}_schema",
                "tags": [cid],
                "parameters": [_ref("f-json")],
                "responses": _responses(
                    "application/schema+json", {"type": "object"}, html=False, not_found=True
                ),
            }
        }

    link = {
        "type": "object",
        "required": ["href", "rel"],
        "properties": {
            "href": {"type": "string"},
            "rel": {"type": "string"},
            "type": {"type": "string"},
            "title": {"type": "string"},
        },
    }
    links = {"type": "array", "items": {"$ref": "#/components/schemas/link"}}
    exception = {
        "type": "object",
        "description": "the OGC exception document and, in the same object, the application's "
        "error shape {error, message, where, hint} (message in the Accept-Language's language)",
        "required": ["code", "error", "message"],
        "properties": {
            "code": {"type": "string"},
            "description": {"type": "string"},
            "error": {"type": "string"},
            "message": {"type": "string"},
            "where": {"type": "string", "nullable": True},
            "hint": {"type": "string", "nullable": True},
            "message_zh": {"type": "string"},
            "message_en": {"type": "string"},
        },
    }
    error_content = {
        "application/json": {"schema": {"$ref": "#/components/schemas/exception"}},
        "text/html": {"schema": {"type": "string"}},
    }
    crs_param = {"type": "string", "format": "uri", "enum": crs_list}
    return {
        "openapi": "3.0.3",
        "info": {
            "title": title,
            "description": description,
            "version": "1.0.0",
            "license": {"name": "data: see the zone's plan; service: parksite"},
        },
        "servers": [{"url": base_url}],
        "tags": [
            {"name": "Capabilities"},
            *({"name": cid, "description": s.title_en} for cid, s in COLLECTIONS.items()),
        ],
        "paths": paths,
        "components": {
            "parameters": {
                "f": {
                    "name": "f",
                    "in": "query",
                    "required": False,
                    "description": "encoding of the response (overrides the Accept header)",
                    "schema": {"type": "string", "enum": ["json", "html"]},
                    "style": "form",
                    "explode": False,
                },
                "f-json": {
                    "name": "f",
                    "in": "query",
                    "required": False,
                    "description": "encoding of the response: a JSON Schema has only JSON",
                    "schema": {"type": "string", "enum": ["json"]},
                    "style": "form",
                    "explode": False,
                },
                "bbox": {
                    "name": "bbox",
                    "in": "query",
                    "required": False,
                    "style": "form",
                    "explode": False,
                    "description": "lower corner, upper corner, in the axis order of bbox-crs "
                    "(default CRS84: lon,lat). Features whose geometry "
                    "intersects the box are selected.",
                    "schema": {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
                },
                "bbox-crs": {
                    "name": "bbox-crs",
                    "in": "query",
                    "required": False,
                    "description": "CRS of bbox (default CRS84)",
                    "style": "form",
                    "explode": False,
                    "schema": {**crs_param, "default": crs_list[0]},
                },
                "crs": {
                    "name": "crs",
                    "in": "query",
                    "required": False,
                    "style": "form",
                    "explode": False,
                    "description": f"CRS of the response coordinates, in its own axis order "
                    f"(default CRS84; storage CRS {storage_crs})",
                    "schema": {**crs_param, "default": crs_list[0]},
                },
                "limit": {
                    "name": "limit",
                    "in": "query",
                    "required": False,
                    "style": "form",
                    "explode": False,
                    "description": f"features per page (default {default_limit}; larger "
                    f"values are served as {max_limit})",
                    "schema": {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": max_limit,
                        "default": default_limit,
                    },
                },
                "offset": {
                    "name": "offset",
                    "in": "query",
                    "required": False,
                    "style": "form",
                    "explode": False,
                    "description": "number of features to skip",
                    "schema": {"type": "integer", "minimum": 0, "maximum": MAX_INTEGER, "default": 0},
                },
                "datetime": {
                    "name": "datetime",
                    "in": "query",
                    "required": False,
                    "style": "form",
                    "explode": False,
                    "description": "RFC 3339 instant or interval; checked, but the "
                    "collections hold no time-stamped features",
                    "schema": {"type": "string"},
                },
                "featureId": {
                    "name": "featureId",
                    "in": "path",
                    "required": True,
                    "description": "the feature's id (parcel_id, road_id, …)",
                    "schema": {"type": "string"},
                },
            },
            "schemas": {
                "link": link,
                "exception": exception,
                "landingPage": {
                    "type": "object",
                    "required": ["links"],
                    "properties": {
                        "title": {"type": "string"},
                        "description": {"type": "string"},
                        "links": links,
                    },
                },
                "confClasses": {
                    "type": "object",
                    "required": ["conformsTo"],
                    "properties": {"conformsTo": {"type": "array", "items": {"type": "string"}}},
                },
                "collection": {
                    "type": "object",
                    "required": ["id", "links"],
                    "properties": {
                        "id": {"type": "string"},
                        "title": {"type": "string"},
                        "description": {"type": "string"},
                        "links": links,
                        "extent": {"type": "object"},
                        "itemType": {"type": "string"},
                        "crs": {"type": "array", "items": {"type": "string"}},
                        "storageCrs": {"type": "string"},
                    },
                },
                "collections": {
                    "type": "object",
                    "required": ["links", "collections"],
                    "properties": {
                        "links": links,
                        "collections": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/collection"},
                        },
                    },
                },
                "featureGeoJSON": {
                    "type": "object",
                    "required": ["type", "geometry", "properties"],
                    "properties": {
                        "type": {"type": "string", "enum": ["Feature"]},
                        "id": {"type": "string"},
                        "geometry": {"type": "object", "nullable": True},
                        "properties": {"type": "object", "nullable": True},
                        "links": links,
                    },
                },
                "featureCollectionGeoJSON": {
                    "type": "object",
                    "required": ["type", "features"],
                    "properties": {
                        "type": {"type": "string", "enum": ["FeatureCollection"]},
                        "features": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/featureGeoJSON"},
                        },
                        "links": links,
                        "timeStamp": {"type": "string", "format": "date-time"},
                        "numberMatched": {"type": "integer", "minimum": 0},
                        "numberReturned": {"type": "integer", "minimum": 0},
                    },
                },
            },
            "responses": {
                "InvalidParameter": {
                    "description": "a query parameter is unknown or invalid",
                    "content": error_content,
                },
                "NotFound": {
                    "description": "no such collection or feature",
                    "content": error_content,
                },
                "ServerError": {
                    "description": "a server error",
                    "content": error_content,
                },
            },
        },
    }
