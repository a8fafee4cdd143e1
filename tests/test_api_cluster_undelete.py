"""Deleted clusters through the API (SpatiaLite and PostGIS, a database per test):
``GET /clusters/deleted`` lists them with their last state and area, ``POST
/clusters/{id}/undelete`` brings one back as a new audited version, checked like a new cluster.

The synthetic zone's st-almg is the box X0 − 3000 … X0 − 2500 × Y0 … Y0 + 500 in park shuitou
(500 × 500 m = 250 000 m² = 375 亩); its only parcel ST-0001 (X0 − 2900 … X0 − 2800 ×
Y0 + 100 … Y0 + 200) lies inside it.
"""

from __future__ import annotations

import pytest
import shapely
from sqlalchemy import func, select

from tests.api_fixtures import auth, version_tag
from tests.conftest import X0, Y0
from tests.test_api_edits import parcel_cluster, wgs84, zone_geom

ST_ALMG = shapely.box(X0 - 3000, Y0, X0 - 2500, Y0 + 500)


def db_state(client, code: str) -> tuple[shapely.Geometry | None, int]:
    """Return cluster ``code``'s outline as stored (zone CRS; None if there is no such row) and
    the number of audit entries."""
    from app.db.geometry import from_db
    from app.db.models import AuditEntryRow, ClusterRow

    with client.app.state.api.factory() as s:
        g = s.scalar(select(ClusterRow.geom).where(ClusterRow.code == code))
        n = s.scalar(select(func.count()).select_from(AuditEntryRow))
    return (None if g is None else from_db(g)), n


def delete(client, code: str, tag: str) -> dict:
    r = client.delete(f"/api/v1/clusters/{code}", headers={**auth(client, "planner"), "If-Match": tag})
    assert r.status_code == 200, r.text
    return r.json()


def undelete(client, code: str, role: str | None = "planner"):
    return client.post(f"/api/v1/clusters/{code}/undelete", headers=auth(client, role) if role else {})


def deleted_ids(client) -> list[str]:
    return [f["id"] for f in client.get("/api/v1/clusters/deleted").json()["features"]]


def test_a_deleted_cluster_is_listed_and_comes_back_as_a_new_version(client):
    original = client.get("/api/v1/clusters/st-almg").json()["properties"]
    stored, _ = db_state(client, "st-almg")
    assert stored.area == pytest.approx(250_000, rel=1e-9)
    assert client.get("/api/v1/clusters/deleted").json()["features"] == []

    gone = delete(client, "st-almg", '"st-almg-v1"')
    assert gone["version"] == 2 and gone["reassigned"] == [
        {"parcel_id": "ST-0001", "from": "st-almg", "to": None}
    ]
    assert parcel_cluster(client, "ST-0001") is None

    # listed for anyone who may read history (reads are open here): last state, who, when, area
    r = client.get("/api/v1/clusters/deleted")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/geo+json")
    fc = r.json()
    assert fc["type"] == "FeatureCollection" and fc["numberMatched"] == 1
    (f,) = fc["features"]
    p = f["properties"]
    assert (f["id"], p["cluster_id"], p["park"], p["name"], p["kind"]) == (
        "st-almg",
        "st-almg",
        "shuitou",
        original["name"],
        original["kind"],
    )
    assert (p["version"], p["deleted_version"], p["deleted_by"]) == (2, 1, "planner")
    assert p["deleted_at"] and p["area_m2"] == pytest.approx(250_000, rel=1e-6)
    assert p["area_mu"] == pytest.approx(375, rel=1e-6)
    assert zone_geom(f["geometry"]).area == pytest.approx(250_000, rel=1e-5)  # WGS 84 (rounded) → zone CRS

    r = undelete(client, "st-almg")
    assert r.status_code == 201, r.text
    assert version_tag(r) == '"st-almg-v3"' and r.headers["location"] == "/api/v1/clusters/st-almg"
    body = r.json()
    assert body["action"] == "restore" and body["repairs"] == []
    assert body["reassigned"] == [{"parcel_id": "ST-0001", "from": None, "to": "st-almg"}]
    props = body["properties"]
    assert props["version"] == gone["version"] + 1 == 3 and props["updated_by"] == "planner"
    for key in ("park", "name", "name_en", "kind", "directions", "admits", "area_m2", "area_mu"):
        assert props[key] == original[key], key
    back, _ = db_state(client, "st-almg")
    assert back.equals_exact(stored, 1e-9)  # the very outline, in the zone CRS
    assert parcel_cluster(client, "ST-0001") == "st-almg"
    assert version_tag(client.get("/api/v1/clusters/st-almg")) == '"st-almg-v3"'
    assert deleted_ids(client) == []

    # the history reads on in one line: the deletion, then the restore
    h = client.get("/api/v1/clusters/st-almg/history").json()
    assert h["current_version"] == 3
    assert [(v["version"], v["action"], v["user"]) for v in h["versions"]] == [
        (1, "import", None),
        (2, "delete", "planner"),
        (3, "restore", "planner"),
    ]
    assert (h["versions"][2]["note_en"], h["versions"][2]["note_zh"]) == (
        "restored version 1 after its deletion",
        "删除后恢复第 1 版",
    )
    assert zone_geom(h["versions"][2]["geometry"]).area == pytest.approx(250_000, rel=1e-5)

    # the audit rows of the restore: the cluster, and the parcel moving back into it
    from app.db.models import AuditEntryRow

    with client.app.state.api.factory() as s:
        rows = s.execute(
            select(
                AuditEntryRow.entity,
                AuditEntryRow.entity_key,
                AuditEntryRow.action,
                AuditEntryRow.version,
                AuditEntryRow.user_name,
                AuditEntryRow.before_wkt,
                AuditEntryRow.after_wkt,
            )
            .order_by(AuditEntryRow.id.desc())
            .limit(2)
        ).all()
    (pe, pk, pa, pv, pu, _, _), (ce, ck, ca, cv, cu, cbefore, cafter) = rows
    assert (ce, ck, ca, cv, cu, cbefore) == ("cluster", "st-almg", "restore", 3, "planner", None)
    assert shapely.from_wkt(cafter).equals_exact(stored, 1e-9)
    assert (pe, pk, pa, pv, pu) == ("parcel", "ST-0001", "reassign", 3, "planner")

    # and it is an ordinary cluster again: editable at its new version
    r = client.put(
        "/api/v1/clusters/st-almg",
        json={"name": "铝镁一期"},
        headers={**auth(client, "planner"), "If-Match": '"st-almg-v3"'},
    )
    assert r.status_code == 200 and version_tag(r) == '"st-almg-v4"'


def test_an_undelete_over_a_cluster_drawn_since_is_422_and_changes_nothing(client):
    delete(client, "st-almg", '"st-almg-v1"')
    # a new cluster on part of the freed land, over ST-0001: 200 × 200 m of st-almg's outline
    new = shapely.box(X0 - 2950, Y0 + 50, X0 - 2750, Y0 + 250)
    r = client.post(
        "/api/v1/clusters",
        json={"cluster_id": "st-new", "park": "shuitou", "name": "新组团", "geometry": wgs84(new)},
        headers=auth(client, "planner"),
    )
    assert r.status_code == 201, r.text
    assert parcel_cluster(client, "ST-0001") == "st-new"
    _, audit_before = db_state(client, "st-almg")

    r = undelete(client, "st-almg")
    assert r.status_code == 422, r.text
    err = r.json()  # the problem body of a refused creation
    assert (err["error"], err["where"], err["problem"]["kind"], err["problem"]["cluster"]) == (
        "ClusterGeometryError",
        "cluster st-almg",
        "overlap",
        "st-new",
    )
    assert err["problem"]["area_m2"] == pytest.approx(40_000, rel=1e-3)
    assert zone_geom(err["problem"]["geometry"]).area == pytest.approx(40_000, rel=1e-3)
    # nothing changed: no cluster, no audit entry, the parcel stays, still listed as deleted
    assert db_state(client, "st-almg") == (None, audit_before)
    assert client.get("/api/v1/clusters/st-almg").status_code == 404
    assert parcel_cluster(client, "ST-0001") == "st-new"
    assert deleted_ids(client) == ["st-almg"]

    # the land freed again, the undelete goes through and ST-0001 moves back
    delete(client, "st-new", '"st-new-v1"')
    assert deleted_ids(client) == ["st-new", "st-almg"]  # newest deletion first
    r = undelete(client, "st-almg")
    assert r.status_code == 201, r.text
    assert r.json()["properties"]["version"] == 3
    assert r.json()["reassigned"] == [{"parcel_id": "ST-0001", "from": None, "to": "st-almg"}]
    assert deleted_ids(client) == ["st-new"]


def test_undelete_is_409_while_the_cluster_exists_and_404_if_never_deleted(client):
    _, n0 = db_state(client, "sc-almg")
    r = undelete(client, "sc-almg")  # never deleted, exists
    assert r.status_code == 409 and r.json()["error"] == "ConflictError", r.text
    r = undelete(client, "st-nothing")
    assert r.status_code == 404 and r.json()["error"] == "NotFoundError", r.text
    assert r.json()["message"] == "开发区中没有已删除的组团 st-nothing"
    assert db_state(client, "sc-almg")[1] == n0

    # deleted, then a new cluster with the same id: it is present again, so not listed and 409
    delete(client, "st-almg", '"st-almg-v1"')
    r = client.post(
        "/api/v1/clusters",
        json={
            "cluster_id": "st-almg",
            "park": "shuitou",
            "name": "重画的组团",
            "geometry": wgs84(shapely.box(X0 - 2400, Y0 + 50, X0 - 2100, Y0 + 450)),
        },
        headers=auth(client, "planner"),
    )
    assert r.status_code == 201, r.text
    assert deleted_ids(client) == []
    r = undelete(client, "st-almg")
    assert r.status_code == 409, r.text
    assert client.get("/api/v1/clusters/st-almg").json()["properties"]["name"] == "重画的组团"


def test_a_second_undelete_is_409(client):
    delete(client, "st-almg", '"st-almg-v1"')
    assert undelete(client, "st-almg").status_code == 201
    r = undelete(client, "st-almg")
    assert r.status_code == 409 and "仍存在" in r.json()["message"], r.text
    assert version_tag(client.get("/api/v1/clusters/st-almg")) == '"st-almg-v3"'


def test_undelete_needs_a_planner(client):
    delete(client, "st-almg", '"st-almg-v1"')
    _, n0 = db_state(client, "st-almg")
    r = undelete(client, "st-almg", role=None)
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    r = undelete(client, "st-almg", role="viewer")
    assert r.status_code == 403 and r.json()["error"] == "PermissionDeniedError"
    assert db_state(client, "st-almg") == (None, n0)
    assert deleted_ids(client) == ["st-almg"]  # reading the list needs no login here
    assert undelete(client, "st-almg", role="manager").status_code == 201


def test_the_deleted_list_needs_a_login_when_reads_do(fresh_db, tmp_path):
    from tests.api_fixtures import make_client

    with make_client(fresh_db, tmp_path / "state", require_login=True) as c:
        assert c.get("/api/v1/clusters/deleted").status_code == 401
        r = c.get("/api/v1/clusters/deleted", headers=auth(c, "viewer"))
        assert r.status_code == 200 and r.json()["features"] == []


def test_the_routes_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "Undelete" in paths["/api/v1/clusters/{cluster_id}/undelete"]["post"]["summary"]
    assert "get" in paths["/api/v1/clusters/deleted"]


def test_a_cluster_cannot_take_the_code_of_the_deleted_list(client):
    # GET /clusters/deleted is the list: a cluster coded "deleted" could never be read
    r = client.post(
        "/api/v1/clusters",
        json={
            "cluster_id": "deleted",
            "park": "shuitou",
            "name": "路由名",
            "geometry": wgs84(shapely.box(X0 - 2400, Y0 + 50, X0 - 2100, Y0 + 450)),
        },
        headers=auth(client, "planner"),
    )
    assert r.status_code == 422, r.text
    assert r.json()["error"] == "InvalidBodyError" and "reserved" in r.json()["message"]
    assert client.get("/api/v1/clusters").json()["numberMatched"] == len(
        client.get("/api/v1/zone").json()["clusters"]
    )
