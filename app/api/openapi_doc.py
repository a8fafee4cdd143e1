"""The API's OpenAPI document: FastAPI's, made to say what the API really answers.

:func:`install` replaces ``app.openapi`` by :func:`build` and serves the document at
``/openapi.json`` besides ``/api/v1/openapi.json``. :func:`build` takes FastAPI's document and,
for every operation under the API prefix (so for routes added later too):

* declares GeoJSON answers as the object schemas they are: FastAPI writes a response class's
  ``type: string`` beside the model's ``$ref`` (a schema no JSON object satisfies) and leaves
  ``application/geo+json`` empty where a route names the media type without a model; the
  ``$ref`` is kept alone, an empty JSON media type takes its sibling's schema, and a GeoJSON
  file without one (a job's result) is declared a ``FeatureCollection``; FastAPI's empty
  ``application/json`` beside a file's own media types is dropped;
* gives every error one schema, :class:`app.api.models.ErrorBody`, in ``application/json``
  (what the handlers send, whatever the route's media type), instead of FastAPI's
  ``HTTPValidationError``;
* adds the errors any operation may answer: 400 (a parameter malformed or out of its bounds,
  an input refused: a domain error's default status), 401 and 403 (sign-in and roles; ``PARKSITE_REQUIRE_LOGIN`` closes every read), 404 (no such
  entity, no zone imported), 500; an operation with a body also 413 (too large) and 422;
* gives response headers without a schema (``ETag``) a string schema.
"""

from __future__ import annotations

import copy
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse

GEOJSON = "application/geo+json"
ERROR_REF = "#/components/schemas/ErrorBody"
_ERROR_SCHEMA = {"$ref": ERROR_REF}
#: FastAPI's own validation-error schemas, replaced by ErrorBody.
_FASTAPI_ERRORS = ("#/components/schemas/HTTPValidationError", "#/components/schemas/ValidationError")

#: Errors every operation may answer, with what they mean.
_ALWAYS = {
    "400": "a parameter is malformed or out of its bounds (see errors), or the input is refused "
    "(a file of a format not taken, …)",
    "401": "not signed in, or the token is invalid or expired (every read when login is required)",
    "403": "the user's role does not allow this",
    "404": "no such entity, or no zone imported yet",
    "500": "the server failed (details in its log)",
}
_WITH_BODY = {
    "413": "the body is too large, or its geometry has too many vertices",
    "422": "the body does not match its schema (see errors), or its content is refused",
}


def _is_json(media: str) -> bool:
    return media == "application/json" or media.endswith("+json")


def _fix_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Return a media type's schema with a ``$ref`` standing alone (FastAPI adds the response
    class's ``type: string`` beside it)."""
    if "$ref" in schema and len(schema) > 1:
        return {"$ref": schema["$ref"]}
    return schema


def _fix_success(response: dict[str, Any], collection_ref: str | None) -> None:
    content = response.get("content") or {}
    for entry in content.values():
        if "schema" in entry:
            entry["schema"] = _fix_schema(entry["schema"])
    if len(content) > 1 and not (content.get("application/json") or {}).get("schema", True):
        del content["application/json"]  # FastAPI's default beside the media types a file has
    donor = next((e["schema"] for m, e in content.items() if _is_json(m) and e.get("schema")), None)
    for media, entry in content.items():
        if _is_json(media) and not entry.get("schema"):
            if donor is not None:
                entry["schema"] = copy.deepcopy(donor)
            elif media == GEOJSON and collection_ref:  # a GeoJSON file (a job's result)
                entry["schema"] = {"$ref": collection_ref}
    for header in (response.get("headers") or {}).values():
        if "schema" not in header and "content" not in header:
            header["schema"] = {"type": "string"}


def _error_response(response: dict[str, Any], description: str) -> dict[str, Any]:
    """Return an error response in ``application/json``, keeping a specific body schema
    (``ConflictBody``) where the route declared one."""
    schemas = [e.get("schema") or {} for e in (response.get("content") or {}).values()]
    schema = next(
        (_fix_schema(s) for s in schemas if s.get("$ref") and s["$ref"] not in _FASTAPI_ERRORS),
        _ERROR_SCHEMA,
    )
    out = {k: v for k, v in response.items() if k != "content"}
    out["description"] = response.get("description") or description
    out["content"] = {"application/json": {"schema": schema}}
    return out


def _fix_operation(op: dict[str, Any], collection_ref: str | None) -> None:
    responses: dict[str, Any] = op.setdefault("responses", {})
    extra = dict(_ALWAYS)
    if op.get("requestBody"):
        extra |= _WITH_BODY
    for status, description in extra.items():
        responses.setdefault(status, {"description": description})
    for status, response in list(responses.items()):
        if status.startswith(("4", "5")):
            responses[status] = _error_response(response, extra.get(status, "an error"))
        else:
            _fix_success(response, collection_ref)


def build(app: FastAPI, prefix: str) -> dict[str, Any]:
    """Return the OpenAPI document of ``app`` (built once), its operations under ``prefix``
    made exact as the module says."""
    if app.openapi_schema:
        return app.openapi_schema
    doc = get_openapi(
        title=app.title,
        version=app.version,
        openapi_version=app.openapi_version,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
        servers=app.servers,
    )
    schemas = doc.get("components", {}).get("schemas", {})
    collection_ref = "#/components/schemas/FeatureCollection" if "FeatureCollection" in schemas else None
    for path, item in doc.get("paths", {}).items():
        if not path.startswith(prefix):
            continue
        for method, op in item.items():
            if method in ("get", "put", "post", "delete", "patch"):
                _fix_operation(op, collection_ref)
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    app.openapi_schema = doc
    return doc


def install(app: FastAPI, prefix: str) -> None:
    """Make ``app.openapi`` return :func:`build`'s document and serve it at ``/openapi.json``
    too (FastAPI serves it at ``app.openapi_url``)."""

    def openapi() -> dict[str, Any]:
        return build(app, prefix)

    app.openapi = openapi  # type: ignore[method-assign]

    async def root_document() -> JSONResponse:
        return JSONResponse(app.openapi())

    if app.openapi_url != "/openapi.json":
        app.add_api_route("/openapi.json", root_document, methods=["GET"], include_in_schema=False)
