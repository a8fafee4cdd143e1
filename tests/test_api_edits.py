"""Writes through the API, each test on a database of its own (SpatiaLite and PostGIS): roles,
cluster and parcel edits with ETags (200/201, 412, 428), outline checks (422 outside the park /
overlapping, with the offending part), limits (413), history and restore, and the audit trail."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import mapping, shape
from sqlalchemy import select

from app.db.users import ROLE_IDS
from app.i18n import text
from tests.api_fixtures import auth, make_client, version_tag
from tests.conftest import X0, Y0

TO_WGS84 = Transformer.from_crs("EPSG:4546", "OGC:CRS84", always_xy=True)
TO_ZONE = Transformer.from_crs("OGC:CRS84", "EPSG:4546", always_xy=True)


def wgs84(geom: shapely.Geometry) -> dict:
    """A zone-CRS geometry as WGS 84 GeoJSON (as a browser would send it)."""
    return mapping(shapely.transform(geom, lambda c: np.column_stack(TO_WGS84.transform(c[:, 0], c[:, 1]))))


def zone_geom(geojson: dict) -> shapely.Geometry:
    return shapely.transform(shape(geojson), lambda c: np.column_stack(TO_ZONE.transform(c[:, 0], c[:, 1])))


def put(client, url: str, body: dict, role: str = "planner", tag: str | None = None):
    headers = auth(client, role)
    if tag is not None:
        headers["If-Match"] = tag
    return client.put(url, json=body, headers=headers)


def etag_of(client, url: str) -> str:
    return version_tag(client.get(url))


def parcel_cluster(client, pid: str) -> str | None:
    return client.get(f"/api/v1/parcels/{pid}").json()["properties"]["cluster"]


# --------------------------------------------------------------------------- roles


def test_roles_guard_every_write(client):
    """Anonymous → 401 (WWW-Authenticate: Bearer); a role below the action's → 403; none of them writes."""
    project = {"name": "p", "industry": "铝镁新材料", "investment_wan": 1000, "output_wan": 1000}
    new_cluster = {
        "cluster_id": "st-x",
        "park": "shuitou",
        "name": "x",
        "geometry": wgs84(shapely.box(X0 - 2400, Y0 + 50, X0 - 2100, Y0 + 450)),
    }
    requests = [
        ("post", "/api/v1/clusters", {"json": new_cluster}, "planner"),
        (
            "put",
            "/api/v1/clusters/sc-almg",
            {"json": {"name": "x"}, "headers": {"If-Match": '"sc-almg-v1"'}},
            "planner",
        ),
        ("delete", "/api/v1/clusters/sc-almg", {"headers": {"If-Match": '"sc-almg-v1"'}}, "planner"),
        ("post", "/api/v1/clusters/sc-almg/restore/1", {"headers": {"If-Match": '"sc-almg-v1"'}}, "planner"),
        (
            "put",
            "/api/v1/parcels/SC-0001",
            {"json": {"status": "existing"}, "headers": {"If-Match": '"SC-0001-v1"'}},
            "planner",
        ),
        ("post", "/api/v1/parcels/SC-0001/restore/1", {"headers": {"If-Match": '"SC-0001-v1"'}}, "planner"),
        (
            "post",
            "/api/v1/check",
            {"json": {"parcel_id": "SC-0001", "project": project, "record": True}},
            "manager",
        ),
        ("post", "/api/v1/score-runs", {}, "manager"),
        (
            "post",
            "/api/v1/jobs",
            {"files": {"file": ("p.geojson", b"{}", "application/geo+json")}},
            "analyst",
        ),
    ]
    below = {
        "analyst": ["viewer"],
        "planner": ["viewer", "analyst"],
        "manager": ["viewer", "analyst", "planner"],
    }
    for method, url, kwargs, needed in requests:
        r = getattr(client, method)(url, **kwargs)
        assert r.status_code == 401, (method, url, r.text)
        assert r.headers["www-authenticate"] == "Bearer" and r.json()["error"] == "NotAuthenticatedError"
        for role in below[needed]:
            headers = {**kwargs.get("headers", {}), **auth(client, role)}
            r = getattr(client, method)(url, **{**kwargs, "headers": headers})
            assert r.status_code == 403, (method, url, role, r.text)
            assert r.json()["error"] == "PermissionDeniedError"
            assert text(ROLE_IDS[needed], "zh") in r.json()["message"]
    assert etag_of(client, "/api/v1/clusters/sc-almg") == '"sc-almg-v1"'
    assert etag_of(client, "/api/v1/parcels/SC-0001") == '"SC-0001-v1"'
    assert client.get("/api/v1/jobs", headers=auth(client, "manager")).json()["jobs"] == []


def test_a_disabled_account_loses_access_at_once(client):
    from app.db.users import disable_user

    headers = auth(client, "planner")
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    with client.app.state.api.factory.begin() as s:
        disable_user(s, "planner", by="test")
    r = client.get("/api/v1/me", headers=headers)
    assert r.status_code == 401 and "已停用" in r.json()["message"]


# --------------------------------------------------------------------------- clusters


def test_create_a_cluster(client):
    outline = shapely.box(X0 - 2400, Y0 + 50, X0 - 2100, Y0 + 450)  # 300 × 400 m, free land of shuitou
    body = {
        "cluster_id": "st-new",
        "park": "shuitou",
        "name": "新组团",
        "name_en": "New cluster",
        "kind": "reserve",
        "geometry": wgs84(outline),
    }
    r = client.post("/api/v1/clusters", json=body, headers=auth(client, "planner"))
    assert r.status_code == 201, r.text
    assert version_tag(r) == '"st-new-v1"' and r.headers["location"] == "/api/v1/clusters/st-new"
    props = r.json()["properties"]
    assert (props["park"], props["kind"], props["version"], props["updated_by"]) == (
        "shuitou",
        "reserve",
        1,
        "planner",
    )
    assert props["area_m2"] == pytest.approx(120_000, rel=1e-6)  # computed in EPSG:4546
    assert props["area_mu"] == pytest.approx(180, rel=1e-6)
    assert shapely.hausdorff_distance(zone_geom(r.json()["geometry"]), outline) < 0.05
    again = client.post("/api/v1/clusters", json=body, headers=auth(client, "planner"))
    assert again.status_code == 409 and again.json()["error"] == "ConflictError"


@pytest.mark.parametrize(
    ("outline", "kind", "other", "area"),
    [
        # 80 × 100 m inside sc-almg
        (shapely.box(X0 + 400, Y0 + 50, X0 + 480, Y0 + 150), "overlap", {"cluster": "sc-almg"}, 8000.0),
        # shuitou ends at X0 − 2000: 100 × 50 m lie outside
        (shapely.box(X0 - 2100, Y0 + 400, X0 - 1900, Y0 + 450), "outside_park", {"park": "shuitou"}, 5000.0),
    ],
)
def test_outlines_outside_the_park_or_overlapping_are_422_with_the_place(client, outline, kind, other, area):
    park = "shuangchi" if kind == "overlap" else "shuitou"
    body = {"cluster_id": "x-new", "park": park, "name": "x", "geometry": wgs84(outline)}
    r = client.post("/api/v1/clusters", json=body, headers=auth(client, "planner"))
    assert r.status_code == 422, r.text
    err = r.json()
    assert err["error"] == "ClusterGeometryError" and err["where"] == "cluster x-new"
    assert err["problem"]["kind"] == kind and err["problem"] | other == err["problem"]
    assert err["problem"]["area_m2"] == pytest.approx(area, rel=1e-3)
    assert f"{area:,.1f}" in err["message"] or f"{area:,.0f}" in err["message"]
    assert zone_geom(err["problem"]["geometry"]).area == pytest.approx(area, rel=1e-3)
    assert client.get("/api/v1/clusters/x-new").status_code == 404


def test_moving_a_shared_edge_reassigns_parcels(client):
    # SC-0003 (x 440–540) lies 60 % in sc-almg (x 0–500): shrinking sc-almg to x 0–400 leaves it
    # in no cluster (sc-smart covers only 40 %); growing sc-smart to x 400–1000 then takes it in.
    tag = etag_of(client, "/api/v1/clusters/sc-almg")
    r = put(
        client,
        "/api/v1/clusters/sc-almg",
        {"geometry": wgs84(shapely.box(X0, Y0, X0 + 400, Y0 + 600))},
        tag=tag,
    )
    assert r.status_code == 200, r.text
    assert version_tag(r) == '"sc-almg-v2"'
    assert r.json()["properties"]["area_m2"] == pytest.approx(240_000, rel=1e-6)
    assert r.json()["reassigned"] == [{"parcel_id": "SC-0003", "from": "sc-almg", "to": None}]
    assert parcel_cluster(client, "SC-0003") is None
    assert etag_of(client, "/api/v1/parcels/SC-0003") == '"SC-0003-v2"'

    wide = shapely.box(X0 + 400, Y0, X0 + 1000, Y0 + 600)
    tag = etag_of(client, "/api/v1/clusters/sc-smart")
    r = put(client, "/api/v1/clusters/sc-smart", {"geometry": wgs84(wide)}, tag=tag)
    assert r.status_code == 200, r.text
    assert r.json()["reassigned"] == [{"parcel_id": "SC-0003", "from": None, "to": "sc-smart"}]
    assert parcel_cluster(client, "SC-0003") == "sc-smart"

    # and back over sc-smart's new land: an overlap of 100 × 600 m
    tag = etag_of(client, "/api/v1/clusters/sc-almg")
    r = put(
        client,
        "/api/v1/clusters/sc-almg",
        {"geometry": wgs84(shapely.box(X0, Y0, X0 + 500, Y0 + 600))},
        tag=tag,
    )
    assert r.status_code == 422 and r.json()["problem"]["cluster"] == "sc-smart"
    assert r.json()["problem"]["area_m2"] == pytest.approx(60_000, rel=1e-3)


def test_if_match_rules(client):
    url = "/api/v1/clusters/sc-almg"
    r = put(client, url, {"name": "一期"})
    assert r.status_code == 428 and r.json()["error"] == "PreconditionRequiredError"
    assert put(client, url, {"name": "一期"}, tag="*").status_code == 428
    ok = put(client, url, {"name": "一期"}, tag='"sc-almg-v1"')
    assert ok.status_code == 200 and version_tag(ok) == '"sc-almg-v2"'
    assert ok.json()["properties"]["name"] == "一期"
    for stale in ('"sc-almg-v1"', 'W/"sc-almg-v2"', '"sc-smart-v2"'):
        r = put(client, url, {"name": "二期"}, tag=stale)
        assert r.status_code == 412, stale
        body = r.json()
        assert body["error"] == "VersionConflictError" and body["current_version"] == 2
        assert body["feature"]["properties"]["name"] == "一期" and body["feature"]["id"] == "sc-almg"
        assert version_tag(r) == '"sc-almg-v2"'
    assert client.get(url).json()["properties"]["name"] == "一期"


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        (
            {"geometry": {"type": "LineString", "coordinates": [[111.45, 36.94], [111.46, 36.95]]}},
            422,
            "GeometryError",
        ),
        (
            {
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [
                        [[540000, 4090000], [540100, 4090000], [540100, 4090100], [540000, 4090000]]
                    ],
                }
            },
            422,
            "CRSError",
        ),
        ({"geometry": {"type": "Polygon", "coordinates": "nonsense"}}, 422, "GeometryError"),
        ({"geometry": None}, 422, "GeometryError"),
        ({}, 422, "SchemaError"),
        ({"kind": "casino"}, 422, None),  # pydantic: not one of the kinds
        ({"colour": "red"}, 422, None),  # pydantic: unknown field
    ],
)
def test_bad_cluster_edits(client, body, status, error):
    r = put(client, "/api/v1/clusters/sc-almg", body, tag='"sc-almg-v1"')
    assert r.status_code == status, r.text
    if error:
        assert r.json()["error"] == error and r.json()["message"]
    else:
        assert r.json()["error"] == "InvalidBodyError" and r.json()["errors"][0]["loc"][0] == "body"
    assert etag_of(client, "/api/v1/clusters/sc-almg") == '"sc-almg-v1"'


def test_a_self_intersecting_outline_is_refused_with_the_repair_offered(client):
    """A bow-tie's area as drawn is 0 (its lobes cancel); the repair's two triangles have
    60 000 m²: 422 ``OutlineRepairError`` with the repaired outline in ``repair.geometry``, nothing
    saved; sending that outline creates the cluster."""
    a, b = (X0 - 2400, Y0 + 50), (X0 - 2100, Y0 + 450)
    bowtie = shapely.Polygon([a, (b[0], a[1]), (a[0], b[1]), b, a])
    body = {"cluster_id": "st-bow", "park": "shuitou", "name": "x", "geometry": wgs84(bowtie)}
    r = client.post("/api/v1/clusters", json=body, headers=auth(client, "planner"))
    assert r.status_code == 422, r.text
    out = r.json()
    assert out["error"] == "OutlineRepairError" and "Self-intersection" in out["message"]
    assert "边界无效" in out["message_zh"] and "repaired outline offered" in out["message_en"]
    assert (out["repair"]["area_m2_drawn"], out["repair"]["area_m2_repaired"]) == (0.0, 60_000.0)
    offered = zone_geom(out["repair"]["geometry"])
    assert offered.area == pytest.approx(60_000, rel=1e-4) and offered.is_valid
    assert client.get("/api/v1/clusters/st-bow").status_code == 404
    r = client.post(
        "/api/v1/clusters",
        json={**body, "geometry": out["repair"]["geometry"]},
        headers=auth(client, "planner"),
    )
    assert r.status_code == 201, r.text
    assert r.json()["repairs"] == [] and r.json()["properties"]["area_m2"] == pytest.approx(60_000, rel=1e-4)


def test_a_bowtie_edit_leaves_the_cluster_and_its_parcels_alone(client):
    """Editing sc-smart into a bow-tie over its own land used to save two triangles and detach
    the parcels outside them; now 422, version and parcels unchanged (parcels too)."""
    before = {p: parcel_cluster(client, p) for p in ("SC-0002", "SC-105", "SC-114")}
    a, b = (X0 + 520, Y0), (X0 + 1000, Y0 + 600)
    bowtie = shapely.Polygon([a, (b[0], a[1]), (a[0], b[1]), b, a])
    r = put(client, "/api/v1/clusters/sc-smart", {"geometry": wgs84(bowtie)}, tag='"sc-smart-v1"')
    assert r.status_code == 422 and r.json()["error"] == "OutlineRepairError", r.text
    assert etag_of(client, "/api/v1/clusters/sc-smart") == '"sc-smart-v1"'
    assert {p: parcel_cluster(client, p) for p in before} == before
    c, d = (X0 + 10, Y0 + 410), (X0 + 90, Y0 + 490)
    r = put(
        client,
        "/api/v1/parcels/SC-101",
        {"geometry": wgs84(shapely.Polygon([c, (d[0], c[1]), (c[0], d[1]), d, c]))},
        tag='"SC-101-v1"',
    )
    assert r.status_code == 422 and r.json()["error"] == "OutlineRepairError", r.text
    assert zone_geom(r.json()["repair"]["geometry"]).area == pytest.approx(3_200, rel=1e-4)
    assert etag_of(client, "/api/v1/parcels/SC-101") == '"SC-101-v1"'


def test_the_repair_tolerance_is_a_setting(fresh_db, tmp_path):
    a, b = (X0 - 2400, Y0 + 50), (X0 - 2100, Y0 + 450)
    bowtie = shapely.Polygon([a, (b[0], a[1]), (a[0], b[1]), b, a])
    body = {"cluster_id": "st-bow", "park": "shuitou", "name": "x", "geometry": wgs84(bowtie)}
    with make_client(fresh_db, tmp_path, repair_area_tolerance_share=1.0) as c:  # anything goes
        r = c.post("/api/v1/clusters", json=body, headers=auth(c, "planner"))
        assert r.status_code == 201, r.text
        assert r.json()["repairs"] and "Self-intersection" in r.json()["repairs"][0]
        assert r.json()["properties"]["area_m2"] == pytest.approx(60_000, rel=1e-4)


def test_limits_on_vertices_and_body_size(fresh_db, tmp_path):
    ring = [(X0 - 2300 + 100 * np.cos(t), Y0 + 250 + 100 * np.sin(t)) for t in np.linspace(0, 2 * np.pi, 60)]
    body = {
        "cluster_id": "st-round",
        "park": "shuitou",
        "name": "x",
        "geometry": wgs84(shapely.Polygon(ring)),
    }
    with make_client(fresh_db, tmp_path / "a", max_vertices=50) as c:
        r = c.post("/api/v1/clusters", json=body, headers=auth(c, "planner"))
        assert r.status_code == 413 and r.json()["error"] == "LimitExceededError"
        assert "60 个顶点" in r.json()["message"] and "50" in r.json()["message"]
    with make_client(fresh_db, tmp_path / "b", max_body_mb=0.002) as c:  # 2000 bytes
        r = c.post("/api/v1/clusters", json=body, headers=auth(c, "planner"))
        assert r.status_code == 413 and r.json()["error"] == "LimitExceededError"

        def chunks():  # no Content-Length: counted while it streams
            for _ in range(10):
                yield b" " * 500

        headers = {**auth(c, "planner"), "Content-Type": "application/json", "If-Match": '"sc-almg-v1"'}
        r = c.put("/api/v1/clusters/sc-almg", content=chunks(), headers=headers)
        assert r.status_code == 413
        assert version_tag(c.get("/api/v1/clusters/sc-almg")) == '"sc-almg-v1"'


def test_delete_a_cluster_and_read_its_history(client):
    assert client.delete("/api/v1/clusters/sc-smart", headers=auth(client, "planner")).status_code == 428
    r = client.delete(
        "/api/v1/clusters/sc-smart", headers={**auth(client, "planner"), "If-Match": '"sc-smart-v1"'}
    )
    assert r.status_code == 200, r.text
    moved = {m["parcel_id"] for m in r.json()["reassigned"]}
    assert moved == {"SC-0002", *[f"SC-{n}" for n in (105, 106, 107, 108, 109, 114, 115, 116, 117, 118)]}
    assert client.get("/api/v1/clusters/sc-smart").status_code == 404
    assert parcel_cluster(client, "SC-105") is None
    h = client.get("/api/v1/clusters/sc-smart/history").json()
    assert h["current_version"] is None
    assert [(v["version"], v["action"]) for v in h["versions"]] == [(1, "import"), (2, "delete")]
    assert h["versions"][1]["attrs"] is None and h["versions"][0]["geometry"]["type"] == "MultiPolygon"


def test_history_and_restore_make_a_new_audited_version(client):
    url = "/api/v1/clusters/sc-almg"
    original = client.get(url).json()
    assert put(client, url, {"name": "一期"}, tag='"sc-almg-v1"').status_code == 200
    new_outline = shapely.box(X0, Y0, X0 + 450, Y0 + 600)
    assert put(client, url, {"geometry": wgs84(new_outline)}, tag='"sc-almg-v2"').status_code == 200
    r = client.post(f"{url}/restore/1", headers=auth(client, "planner"))
    assert r.status_code == 428
    r = client.post(f"{url}/restore/1", headers={**auth(client, "planner"), "If-Match": '"sc-almg-v2"'})
    assert r.status_code == 412 and r.json()["current_version"] == 3
    r = client.post(f"{url}/restore/1", headers={**auth(client, "admin"), "If-Match": '"sc-almg-v3"'})
    assert r.status_code == 200, r.text
    assert version_tag(r) == '"sc-almg-v4"' and r.json()["action"] == "restore"
    restored = r.json()["properties"]
    assert restored["name"] == original["properties"]["name"]
    assert restored["area_m2"] == pytest.approx(300_000, rel=1e-6)
    h = client.get(f"{url}/history").json()
    assert [(v["version"], v["action"], v["user"]) for v in h["versions"]] == [
        (1, "import", None),
        (2, "update", "planner"),
        (3, "update", "planner"),
        (4, "restore", "admin"),
    ]
    assert h["versions"][2]["attrs"]["area_m2"] == pytest.approx(270_000, rel=1e-6)
    assert h["versions"][3]["note"] == "恢复到第 1 版"  # in the request's language: Chinese by default
    # the notes in both languages: note_en (English), note_zh (Chinese)
    assert (h["versions"][3]["note_en"], h["versions"][3]["note_zh"]) == (
        "restored version 1",
        "恢复到第 1 版",
    )
    assert h["versions"][0]["note_zh"] == "首次记录的修改之前的状态"
    assert (
        client.post(
            f"{url}/restore/9", headers={**auth(client, "admin"), "If-Match": '"sc-almg-v4"'}
        ).status_code
        == 404
    )


def test_a_restore_that_now_overlaps_is_422_like_an_edit(client):
    """sc-almg shrinks to x 0–400, sc-smart grows over x 400–1000: restoring sc-almg's version 1
    (x 0–500) would overlap sc-smart by 100 × 600 m — refused like any edit, with the part."""
    assert (
        put(
            client,
            "/api/v1/clusters/sc-almg",
            {"geometry": wgs84(shapely.box(X0, Y0, X0 + 400, Y0 + 600))},
            tag='"sc-almg-v1"',
        ).status_code
        == 200
    )
    assert (
        put(
            client,
            "/api/v1/clusters/sc-smart",
            {"geometry": wgs84(shapely.box(X0 + 400, Y0, X0 + 1000, Y0 + 600))},
            tag='"sc-smart-v1"',
        ).status_code
        == 200
    )
    r = client.post(
        "/api/v1/clusters/sc-almg/restore/1", headers={**auth(client, "planner"), "If-Match": '"sc-almg-v2"'}
    )
    assert r.status_code == 422, r.text
    err = r.json()
    assert (err["error"], err["where"], err["problem"]["kind"], err["problem"]["cluster"]) == (
        "ClusterGeometryError",
        "cluster sc-almg",
        "overlap",
        "sc-smart",
    )
    assert err["problem"]["area_m2"] == pytest.approx(60_000, rel=1e-3)
    assert zone_geom(err["problem"]["geometry"]).area == pytest.approx(60_000, rel=1e-3)
    assert etag_of(client, "/api/v1/clusters/sc-almg") == '"sc-almg-v2"'


def test_a_new_cluster_after_deleting_the_newest_has_its_own_history(client):
    """Create, delete the cluster with the highest id, create another and edit it: no id is
    reused (SQLite AUTOINCREMENT), so no audit clash (was a 500) and the history is the new one's."""
    outline = wgs84(shapely.box(X0 - 2400, Y0 + 50, X0 - 2100, Y0 + 450))  # free land of shuitou
    planner = auth(client, "planner")
    for code in ("st-a", "st-b"):
        r = client.post(
            "/api/v1/clusters",
            json={"cluster_id": code, "park": "shuitou", "name": code, "geometry": outline},
            headers=planner,
        )
        assert r.status_code == 201, r.text
        if code == "st-a":
            r = client.delete("/api/v1/clusters/st-a", headers={**planner, "If-Match": '"st-a-v1"'})
            assert r.status_code == 200, r.text
    r = put(client, "/api/v1/clusters/st-b", {"name": "二号"}, tag='"st-b-v1"')
    assert r.status_code == 200, r.text
    h = client.get("/api/v1/clusters/st-b/history").json()
    assert [(v["version"], v["action"], v["attrs"]["name"]) for v in h["versions"]] == [
        (1, "create", "st-b"),
        (2, "update", "二号"),
    ]
    h = client.get("/api/v1/clusters/st-a/history").json()
    assert [(v["version"], v["action"]) for v in h["versions"]] == [(1, "create"), (2, "delete")]


@pytest.mark.parametrize(
    ("admits", "status", "stored"),
    [
        (None, 201, None),  # not given: admits nothing yet
        ([{"industry": "新能源产业"}], 201, [{"industry": "新能源产业", "branches": None}]),
        ([{"industry": "造纸业"}], 422, None),
        ([{"industry": "铝镁新材料", "branches": ["炼钢"]}], 422, None),
    ],
)
def test_a_cluster_is_created_with_or_without_admits(client, admits, status, stored):
    body = {
        "cluster_id": "st-new",
        "park": "shuitou",
        "name": "新组团",
        "geometry": wgs84(shapely.box(X0 - 2400, Y0 + 50, X0 - 2100, Y0 + 450)),
    }
    if admits is not None:
        body["admits"] = admits
    r = client.post("/api/v1/clusters", json=body, headers=auth(client, "planner"))
    assert r.status_code == status, r.text
    if status == 201:
        assert r.json()["properties"]["admits"] == stored
        assert client.get("/api/v1/clusters/st-new").json()["properties"]["admits"] == stored
    else:
        assert r.json()["error"] == "SchemaError" and r.json()["where"] == "cluster st-new: admits.0"
        assert client.get("/api/v1/clusters/st-new").status_code == 404


# --------------------------------------------------------------------------- parcels


def test_edit_a_parcel_status_and_enterprise(client):
    url = "/api/v1/parcels/SC-0001"
    r = put(client, url, {"status": "existing", "enterprise": "交口铝业有限公司"}, tag='"SC-0001-v1"')
    assert r.status_code == 200, r.text
    p = r.json()["properties"]
    assert (p["status"], p["enterprise"], p["version"], p["updated_by"]) == (
        "existing",
        "交口铝业有限公司",
        2,
        "planner",
    )
    assert p["standard_land"] is None  # no longer vacant
    assert version_tag(r) == '"SC-0001-v2"'
    fc = client.get("/api/v1/parcels", params={"status": "existing"}).json()
    assert "SC-0001" in [f["id"] for f in fc["features"]]
    r = put(client, url, {"enterprise": None, "status": "vacant"}, tag='"SC-0001-v2"')
    assert (
        r.json()["properties"]["enterprise"] is None and r.json()["properties"]["standard_land"] is not None
    )
    from app.db.models import EnterpriseRow

    with client.app.state.api.factory() as s:
        assert "交口铝业有限公司" in set(s.scalars(select(EnterpriseRow.name)))


def test_edit_a_parcel_geometry_marks_its_score_stale(client):
    url = "/api/v1/parcels/SC-0001"
    before = client.get(url).json()["properties"]
    moved = shapely.box(X0 + 100, Y0 + 100, X0 + 220, Y0 + 200)  # 120 × 100 m
    r = put(client, url, {"geometry": wgs84(moved)}, tag='"SC-0001-v1"')
    assert r.status_code == 200, r.text
    p = r.json()["properties"]
    assert p["area_m2"] == pytest.approx(12_000, rel=1e-5) and p["area_mu"] == pytest.approx(18.0, rel=1e-5)
    assert p["score_stale"] is True and p["score"] == before["score"]
    listed = next(f for f in client.get("/api/v1/parcels").json()["features"] if f["id"] == "SC-0001")
    assert listed["properties"]["score_stale"] is True
    # restoring version 1 puts the measured geometry back: no longer stale
    r = client.post(f"{url}/restore/1", headers={**auth(client, "planner"), "If-Match": '"SC-0001-v2"'})
    assert r.status_code == 200 and r.json()["properties"]["score_stale"] is False
    assert r.json()["properties"]["area_m2"] == pytest.approx(10_000, rel=1e-6)
    h = client.get(f"{url}/history").json()
    assert [v["action"] for v in h["versions"]] == ["import", "update", "restore"]


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ({"status": "sold"}, 422, None),
        ({"status": None}, 422, "SchemaError"),
        ({"cluster": "st-almg"}, 422, "SchemaError"),  # a cluster of the other park
        ({"geometry": {"type": "Point", "coordinates": [111.45, 36.94]}}, 422, "GeometryError"),
        ({"area_m2": 5}, 422, None),
    ],
)
def test_bad_parcel_edits(client, body, status, error):
    r = put(client, "/api/v1/parcels/SC-0001", body, tag='"SC-0001-v1"')
    assert r.status_code == status, r.text
    if error:
        assert r.json()["error"] == error
    assert etag_of(client, "/api/v1/parcels/SC-0001") == '"SC-0001-v1"'


def test_parcel_cluster_can_be_set_by_hand(client):
    r = put(client, "/api/v1/parcels/SC-0003", {"cluster": "sc-smart"}, tag='"SC-0003-v1"')
    assert r.status_code == 200 and r.json()["properties"]["cluster"] == "sc-smart"
    r = put(client, "/api/v1/parcels/SC-0003", {"cluster": None}, tag='"SC-0003-v2"')
    assert r.status_code == 200 and r.json()["properties"]["cluster"] is None


def test_every_write_is_in_the_audit_log(client):
    from app.db.models import AuditEntryRow

    put(client, "/api/v1/parcels/SC-0001", {"land_use": "M1"}, tag='"SC-0001-v1"')
    put(client, "/api/v1/clusters/sc-almg", {"directions": "铝镁深加工"}, tag='"sc-almg-v1"')
    with client.app.state.api.factory() as s:
        rows = s.execute(
            select(
                AuditEntryRow.entity,
                AuditEntryRow.entity_key,
                AuditEntryRow.version,
                AuditEntryRow.user_name,
                AuditEntryRow.action,
            )
            .where(AuditEntryRow.entity.in_(("parcel", "cluster")))
            .order_by(AuditEntryRow.id)
        ).all()
    assert [tuple(r) for r in rows] == [
        ("parcel", "SC-0001", 2, "planner", "update"),
        ("cluster", "sc-almg", 2, "planner", "update"),
    ]


def test_an_outline_read_and_sent_back_is_accepted(client):
    """sc-almg shares three edges with its park and one with sc-smart: the WGS 84 outline the API
    gives, sent back as it is, must not be refused for millimetre slivers."""
    feat = client.get("/api/v1/clusters/sc-almg").json()
    r = put(client, "/api/v1/clusters/sc-almg", {"geometry": feat["geometry"]}, tag='"sc-almg-v1"')
    assert r.status_code == 200, r.text
    assert r.json()["properties"]["area_m2"] == pytest.approx(300_000, abs=0.5)
    assert r.json()["reassigned"] == []


@pytest.mark.parametrize(
    ("east_edge", "status"),
    [
        (X0 + 500.04, 200),  # 4 cm over sc-smart: a sliver, cut off
        (X0 + 500.5, 422),  # 50 cm: a real overlap of 300 m²
    ],
)
def test_slivers_over_a_neighbour_are_cut_real_overlaps_refused(client, east_edge, status):
    r = put(
        client,
        "/api/v1/clusters/sc-almg",
        {"geometry": wgs84(shapely.box(X0, Y0, east_edge, Y0 + 600))},
        tag='"sc-almg-v1"',
    )
    assert r.status_code == status, r.text
    if status == 200:
        assert r.json()["properties"]["area_m2"] == pytest.approx(300_000, abs=0.5)
        # the note names the clusters by name (English in repairs, Chinese in repairs_zh)
        assert any(
            "sliver over Smart manufacturing and resource recycling cluster" in note
            for note in r.json()["repairs"]
        )
        assert any("重叠的细长碎片" in note and "亩" in note for note in r.json()["repairs_zh"])
        h = client.get("/api/v1/clusters/sc-almg/history").json()
        assert "细长碎片" in h["versions"][-1]["note"]  # Chinese unless asked otherwise
    else:
        assert r.json()["problem"]["area_m2"] == pytest.approx(300.0, rel=1e-2)


def test_a_cluster_of_the_zone_file_without_an_outline_gets_one_by_put(client):
    fc = client.get("/api/v1/clusters", params={"park": "shuitou"}).json()
    blank = next(f for f in fc["features"] if f["id"] == "st-hitech")
    assert blank["geometry"] is None and blank["properties"]["area_m2"] is None
    outline = shapely.box(X0 - 2400, Y0 + 50, X0 - 2100, Y0 + 450)
    r = put(client, "/api/v1/clusters/st-hitech", {"geometry": wgs84(outline)}, tag='"st-hitech-v1"')
    assert r.status_code == 200, r.text
    assert r.json()["properties"]["area_m2"] == pytest.approx(120_000, rel=1e-6)
    bbox = ",".join(f"{v:.6f}" for v in shapely.bounds(shape(wgs84(outline.buffer(-10)))))
    hits = client.get("/api/v1/clusters", params={"bbox": bbox}).json()
    assert [f["id"] for f in hits["features"]] == ["st-hitech"]
