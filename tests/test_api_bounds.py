"""Issue 16, defect 3: integers out of range were a 500 (SQLite's OverflowError). Every id and
paging number of the API and of the OGC service is bounded in the OpenAPI documents and a value
beyond the bound is a 400 in the one error shape; an id within the bound that does not exist is a
404; an offset past the end is an empty page. On SpatiaLite and PostGIS (``ro_client``).

The first three URLs are the issue's own.
"""

from __future__ import annotations

import pytest

from app.api.bounds import MAX_ID, MAX_OFFSET
from tests.api_fixtures import auth

BIG = "381294662727292678045696"  # > 2⁶³: SQLite raised OverflowError


@pytest.mark.parametrize(
    ("url", "status"),
    [
        # the URLs
        (f"/api/v1/projects/{BIG}", 400),
        ("/api/v1/parcels?offset=9223372036854775808", 400),
        ("/ogc/collections/parcels/items?offset=99999999999999999999999", 400),
        # just beyond and at the bounds
        (f"/api/v1/projects/{MAX_ID + 1}", 400),
        (f"/api/v1/projects/{MAX_ID}", 404),
        ("/api/v1/projects/0", 400),
        ("/api/v1/projects/-1", 400),
        (f"/api/v1/projects?offset={MAX_OFFSET + 1}", 400),
        (f"/api/v1/projects?offset={MAX_OFFSET}", 200),
        ("/api/v1/projects?limit=9223372036854775808", 400),
        (f"/api/v1/parcels?offset={MAX_OFFSET + 1}", 400),
        (f"/api/v1/parcels?offset={MAX_OFFSET}", 200),
        ("/api/v1/parcels?limit=99999999999999999999", 400),
        ("/api/v1/clusters?offset=-1", 400),
        ("/api/v1/jobs?limit=9223372036854775808", 400),
        (f"/api/v1/tiles/hillshade/{BIG}/0/0.png", 400),
        ("/api/v1/tiles/hillshade/25/0/0.png", 400),
        (f"/api/v1/tiles/slope/3/{2**24}/0.png", 400),
        (f"/ogc/collections/parcels/items?offset={MAX_OFFSET + 1}", 400),
        (f"/ogc/collections/parcels/items?offset={MAX_OFFSET}", 200),
        ("/ogc/collections/roads/items?limit=9223372036854775808", 400),
        ("/ogc/collections/roads/items?limit=5000", 200),  # above the maximum: served as the maximum
        (f"/ogc/collections/parcels/items/{BIG}", 404),  # feature ids are text: no such feature
    ],
)
def test_integers_out_of_range_are_400_never_500(ro_client, url, status):
    r = ro_client.get(url, headers=auth(ro_client, "viewer"))
    assert r.status_code == status, r.text
    if status >= 400:
        body = r.json()
        assert body["error"] and body["message"] and "where" in body, body
    if status == 400 and url.startswith("/api/v1"):
        assert body["error"] == "InvalidParameterError" and body["errors"][0]["in"] in ("path", "query")


def test_restore_of_an_impossible_version_is_400(ro_client):
    r = ro_client.post(
        f"/api/v1/clusters/sc-almg/restore/{BIG}",
        headers={**auth(ro_client, "planner"), "If-Match": '"sc-almg-v1"'},
    )
    assert r.status_code == 400, r.text
    assert r.json()["errors"][0]["field"] == "version"


def test_offset_past_the_end_is_an_empty_page(ro_client):
    r = ro_client.get(f"/api/v1/parcels?offset={MAX_OFFSET}")
    assert r.status_code == 200
    body = r.json()
    assert body["features"] == [] and body["numberReturned"] == 0 and body["numberMatched"] == 22
    r = ro_client.get(f"/ogc/collections/parcels/items?offset={MAX_OFFSET}&f=json")
    assert r.json()["features"] == [] and r.json()["numberMatched"] == 22


def test_the_bounds_are_in_both_openapi_documents(ro_client):
    doc = ro_client.get("/openapi.json").json()
    project = doc["paths"]["/api/v1/projects/{project_id}"]["get"]["parameters"]
    (pid,) = [p for p in project if p["name"] == "project_id"]
    assert pid["schema"]["minimum"] == 1 and pid["schema"]["maximum"] == MAX_ID
    parcels = {p["name"]: p for p in doc["paths"]["/api/v1/parcels"]["get"]["parameters"]}
    assert parcels["offset"]["schema"]["maximum"] == MAX_OFFSET
    assert parcels["limit"]["schema"]["maximum"] == 5000
    ogc = ro_client.get("/ogc/api?f=json").json()
    assert ogc["components"]["parameters"]["offset"]["schema"]["maximum"] == MAX_OFFSET
