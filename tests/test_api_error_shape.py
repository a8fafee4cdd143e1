"""Issue 16, defect 8: the API document and the error shape.

* ``/openapi.json`` is served (as well as ``/api/v1/openapi.json``), the OGC service's at
  ``/ogc/api``;
* GeoJSON answers are declared as object schemas (a ``$ref`` alone, not ``type: string`` beside
  it) and errors as ``ErrorBody`` in ``application/json``;
* one error shape everywhere: request validation (400 parameters, 422 bodies), the framework's
  404/405, domain errors, the exports and the OGC service all answer ``{error, message, where,
  hint}``, the message in the request's language from the catalogue;
* OGC: ``f=AAA`` is a 400 naming the allowed values (on ``/schema`` too), ``datetime=`` (empty)
  is the parameter left out.

On SpatiaLite and PostGIS (``ro_client``).
"""

from __future__ import annotations

import pytest

from tests.api_fixtures import auth

SHAPE = {"error", "message", "where", "hint"}


def test_openapi_json_is_served_at_the_root_and_under_the_prefix(ro_client):
    root = ro_client.get("/openapi.json")
    assert root.status_code == 200
    assert root.json() == ro_client.get("/api/v1/openapi.json").json()
    assert root.json()["paths"]["/api/v1/parcels"]
    ogc = ro_client.get("/ogc/api?f=json")
    assert ogc.status_code == 200 and ogc.json()["openapi"].startswith("3.0")


def test_geojson_answers_are_object_schemas(ro_client):
    doc = ro_client.get("/openapi.json").json()
    schemas = doc["components"]["schemas"]
    for path in ("/api/v1/parks", "/api/v1/clusters", "/api/v1/parcels"):
        schema = doc["paths"][path]["get"]["responses"]["200"]["content"]["application/geo+json"]["schema"]
        assert schema == {"$ref": schema["$ref"]}, (path, schema)
        target = schemas[schema["$ref"].rsplit("/", 1)[1]]
        kind = target["properties"]["type"]
        assert (
            target["type"] == "object"
            and kind.get("const", kind.get("enum", [None])[0]) == "FeatureCollection"
        )
    one = doc["paths"]["/api/v1/parcels/{parcel_id}"]["get"]["responses"]["200"]["content"]
    ref = one["application/geo+json"]["schema"]["$ref"]
    kind = schemas[ref.rsplit("/", 1)[1]]["properties"]["type"]
    assert kind.get("const", kind.get("enum", [None])[0]) == "Feature"
    # nowhere a schema that is a string and a $ref at once, nor an empty JSON media type
    for item in doc["paths"].values():
        for op in item.values():
            for status, response in op["responses"].items():
                for media, entry in response.get("content", {}).items():
                    if media.endswith("json"):
                        assert entry.get("schema"), (op["operationId"], status, media)
                        assert not ("$ref" in entry["schema"] and "type" in entry["schema"])


def test_every_error_is_declared_as_error_body(ro_client):
    doc = ro_client.get("/openapi.json").json()
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    for path, item in doc["paths"].items():
        for method, op in item.items():
            responses = op["responses"]
            assert {"400", "401", "403", "404", "500"} <= set(responses), (method, path)
            if op.get("requestBody"):
                assert {"413", "422"} <= set(responses), (method, path)
            for status, response in responses.items():
                if status[0] in "45":
                    assert list(response["content"]) == ["application/json"], (method, path, status)
                    ref = response["content"]["application/json"]["schema"]["$ref"]
                    assert ref.endswith(("/ErrorBody", "/ConflictBody")), (method, path, status)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("zh", "limit 不能小于 1（收到 0）"), ("en", "limit must be at least 1 (got 0)")],
)
def test_a_bad_parameter_is_400_in_the_error_shape_and_the_request_language(ro_client, lang, expected):
    r = ro_client.get("/api/v1/parcels?limit=0", headers={"Accept-Language": lang})
    assert r.status_code == 400
    body = r.json()
    assert SHAPE <= set(body) and "detail" not in body
    assert body["error"] == "InvalidParameterError" and body["where"] == "query: limit"
    assert body["message"] == expected
    assert body["message_zh"] == "limit 不能小于 1（收到 0）"
    assert body["errors"] == [
        {
            "loc": ["query", "limit"],
            "in": "query",
            "field": "limit",
            "type": "greater_than_equal",
            "message": expected,
        }
    ]


def test_several_bad_parameters_are_all_listed(ro_client):
    r = ro_client.get("/api/v1/parcels?limit=abc&offset=-3&lang=en")
    assert r.status_code == 400
    body = r.json()
    assert [e["field"] for e in body["errors"]] == ["limit", "offset"]
    assert body["errors"][0]["message"] == "limit must be a whole number, not “abc”"
    assert body["message"] == "limit must be a whole number, not “abc” (and 1 more: see errors)"


def test_a_bad_body_is_422_in_the_error_shape(ro_client):
    r = ro_client.post(
        "/api/v1/recommend",
        json={"project": {"name": "x"}, "top": 500, "colour": "red"},
        headers={**auth(ro_client, "viewer"), "Accept-Language": "en"},
    )
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["error"] == "InvalidBodyError" and "detail" not in body
    by_field = {e["field"]: e for e in body["errors"]}
    assert by_field["top"]["message"] == "top must be at most 50 (got 500)"
    assert by_field["colour"]["message"] == "unknown field colour: leave it out"
    assert all(e["in"] == "body" for e in body["errors"])


def test_malformed_json_is_422_in_the_error_shape(ro_client):
    r = ro_client.post(
        "/api/v1/recommend",
        content=b'{"project": ',
        headers={**auth(ro_client, "viewer"), "Content-Type": "application/json", "Accept-Language": "zh"},
    )
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["error"] == "InvalidBodyError" and body["message"].startswith("请求体不是有效的 JSON")


@pytest.mark.parametrize(
    ("method", "url", "status", "error"),
    [
        ("get", "/api/v1/nothing-here", 404, "NotFoundError"),
        ("delete", "/api/v1/parks", 405, "MethodNotAllowed"),
    ],
)
def test_framework_errors_have_the_same_shape(ro_client, method, url, status, error):
    r = ro_client.request(method, url, headers={"Accept-Language": "en"})
    assert r.status_code == status
    body = r.json()
    assert SHAPE <= set(body) and body["error"] == error and "detail" not in body
    assert body["where"] == f"{method.upper()} {url}" and "/openapi.json" in body["message"]


def test_export_errors_have_the_same_shape(ro_client):
    r = ro_client.get("/api/v1/exports/gpkg?zone=nowhere", headers=auth(ro_client, "viewer"))
    assert r.status_code == 404
    body = r.json()
    assert body["error"] == "NotFoundError" and body["message"] and "detail" not in body
    r = ro_client.get("/api/v1/exports/pdf", headers=auth(ro_client, "viewer"))
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "kind"


@pytest.mark.parametrize(
    "url",
    [
        "/ogc/collections/parks/schema?f=AAA",
        "/ogc/collections/parks/items?f=AAA",
        "/ogc/collections/parks?f=AAA",
        "/ogc?f=AAA",
    ],
)
def test_ogc_unknown_format_is_400_naming_the_allowed_values(ro_client, url):
    r = ro_client.get(url, headers={"Accept-Language": "en"})
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["code"] == "InvalidParameterValue" and body["error"] == "InvalidParameter"
    assert body["where"] == "f"
    allowed = "json" if "/schema" in url else "json, html"
    assert body["message"].endswith(f"the allowed values are {allowed}"), body["message"]


def test_ogc_schema_has_no_html_page(ro_client):
    r = ro_client.get("/ogc/collections/parks/schema?f=html", headers={"Accept-Language": "en"})
    assert r.status_code == 400 and r.headers["content-type"].startswith("text/html")
    assert "the allowed values are json" in r.text


def test_ogc_empty_datetime_is_the_parameter_left_out(ro_client):
    r = ro_client.get("/ogc/collections/parks/items?datetime=&f=json")
    assert r.status_code == 200, r.text
    assert r.json()["numberMatched"] == 2
    assert ro_client.get("/ogc/collections/parks/items?datetime=..&f=json").status_code == 400


def test_ogc_errors_carry_the_api_error_shape_too(ro_client):
    r = ro_client.get("/ogc/collections/lakes?f=json", headers={"Accept-Language": "zh"})
    assert r.status_code == 404
    body = r.json()
    assert body["code"] == "NotFound" and body["description"]
    assert SHAPE <= set(body) and body["error"] == "NotFoundError"


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("zh", "bbox=1,2,3 应为 4 个（或 6 个）有限数字：minx,miny,maxx,maxy，按 bbox-crs 的轴序"),
        (
            "en",
            "bbox=1,2,3 must be 4 (or 6) finite numbers: minx,miny,maxx,maxy in the axis order of bbox-crs",
        ),
    ],
)
def test_ogc_parameter_errors_are_in_the_request_language(ro_client, lang, expected):
    r = ro_client.get("/ogc/collections/parcels/items?bbox=1,2,3&f=json", headers={"Accept-Language": lang})
    assert r.status_code == 400
    body = r.json()
    assert body["message"] == expected and body["where"] == "bbox"
    assert "4 or 6 finite numbers" in body["description"]  # the OGC exception text stays English


def test_an_unexpected_error_is_a_500_in_the_same_shape(api_db, tmp_path):
    from fastapi.testclient import TestClient

    from app.api.factory import create_app
    from app.settings import Settings

    app = create_app(Settings(database_url=api_db, state_dir=tmp_path, secret_key="k" * 48))

    def boom() -> None:
        raise RuntimeError("a defect")

    app.add_api_route("/api/v1/boom", boom)
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get("/api/v1/boom", headers={"Accept-Language": "en"})
    assert r.status_code == 500
    body = r.json()
    assert body["error"] == "InternalError" and body["where"] == "GET /api/v1/boom"
    assert body["message"].startswith("the server failed to answer this request")
    assert body["message_zh"].startswith("服务器未能完成此请求") and "a defect" not in r.text
