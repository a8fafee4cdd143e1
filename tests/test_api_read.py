"""Read routes of the API on a small scored zone, on SpatiaLite and PostGIS: zone, parks, clusters,
parcels (properties, WGS 84 geometry, filters, bbox, paging), details with ETags, layers,
standard land, recommendation, login, and the error shapes."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import shape

from gis.units import MU_M2
from tests.api_fixtures import PASSWORD, auth, make_client, version_tag
from tests.conftest import X0, Y0

TO_WGS84 = Transformer.from_crs("EPSG:4546", "OGC:CRS84", always_xy=True)
TO_ZONE = Transformer.from_crs("OGC:CRS84", "EPSG:4546", always_xy=True)

ALL_PARCELS = sorted(["SC-0001", "SC-0002", "SC-0003", "ST-0001", *[f"SC-{n}" for n in range(101, 119)]])
PROJECT = {
    "name": "年产10万吨铝基新材料项目",
    "industry": "铝镁新材料",
    "branch": "铝基新材料",
    "investment_wan": 60000,
    "output_wan": 150000,
    "land_mu": 20,
    "online_monitoring": True,
    "waste_treatment_pct": 98,
}


def zone_geom(geojson: dict) -> shapely.Geometry:
    """A WGS 84 GeoJSON geometry back in EPSG:4546."""
    return shapely.transform(shape(geojson), lambda c: np.column_stack(TO_ZONE.transform(c[:, 0], c[:, 1])))


def near(geom: shapely.Geometry, expected: shapely.Geometry, tol_m: float = 0.05) -> bool:
    """Whether two zone-CRS geometries match within ``tol_m`` (the WGS 84 rounding is ~1 cm)."""
    return shapely.hausdorff_distance(geom, expected) < tol_m


def wgs84_bbox(minx: float, miny: float, maxx: float, maxy: float) -> str:
    g = shapely.transform(
        shapely.segmentize(shapely.box(minx, miny, maxx, maxy), 10),
        lambda c: np.column_stack(TO_WGS84.transform(c[:, 0], c[:, 1])),
    )
    return ",".join(f"{v:.8f}" for v in g.bounds)


def ids(collection: dict) -> list[str]:
    return [f["id"] for f in collection["features"]]


# --------------------------------------------------------------------------- zone


def test_zone_describes_rules_extent_and_layers(ro_client):
    r = ro_client.get("/api/v1/zone")
    assert r.status_code == 200
    z = r.json()
    assert (z["id"], z["crs"]) == ("jiaokou", "EPSG:4546")
    # parks and parcels span X0 − 3000 … X0 + 1000, Y0 … Y0 + 600 (EPSG:4546)
    lon0, lat0 = TO_WGS84.transform(X0 - 3000, Y0)
    lon1, lat1 = TO_WGS84.transform(X0 + 1000, Y0 + 600)
    assert z["bbox"][0] == pytest.approx(min(lon0, TO_WGS84.transform(X0 - 3000, Y0 + 600)[0]), abs=1e-6)
    assert z["bbox"][3] == pytest.approx(max(lat1, TO_WGS84.transform(X0 - 3000, Y0 + 600)[1]), abs=1e-6)
    assert {p["id"] for p in z["parks"]} == {"shuitou", "shuangchi"}
    in_db = {c["id"] for c in z["clusters"] if c["in_database"]}
    assert in_db == {"sc-almg", "sc-smart", "st-almg"}
    assert any(i["name"] == "铝镁新材料" for i in z["positive_list"]["industries"])
    almg = next(a for a in z["admission"] if a["industry"] == "铝镁新材料产业")
    assert (almg["investment_intensity_wan_per_mu"], almg["output_intensity_wan_per_mu"]) == (250, 200)
    assert sum(c["weight"] for c in z["scoring"]["criteria"]) == pytest.approx(1.0)
    assert z["scoring"]["latest_run"]["n_parcels"] == 22
    assert "rivers-control" in z["layers"]
    assert z["tiles"]["slope"] == "/api/v1/tiles/slope/{z}/{x}/{y}.png"


def test_openapi_documents_every_route(ro_client):
    paths = ro_client.get("/api/v1/openapi.json").json()["paths"]
    for p in (
        "/api/v1/auth/token",
        "/api/v1/me",
        "/api/v1/zone",
        "/api/v1/health",
        "/api/v1/parks",
        "/api/v1/clusters",
        "/api/v1/clusters/{cluster_id}",
        "/api/v1/clusters/{cluster_id}/history",
        "/api/v1/clusters/{cluster_id}/restore/{version}",
        "/api/v1/parcels",
        "/api/v1/parcels/{parcel_id}",
        "/api/v1/parcels/{parcel_id}/history",
        "/api/v1/parcels/{parcel_id}/restore/{version}",
        "/api/v1/parcels/{parcel_id}/standard-land",
        "/api/v1/check",
        "/api/v1/recommend",
        "/api/v1/layers/{name}",
        "/api/v1/jobs",
        "/api/v1/jobs/{job_id}",
        "/api/v1/jobs/{job_id}/result",
        "/api/v1/score-runs",
        "/api/v1/tiles/{kind}/{z}/{x}/{y}.png",
    ):
        assert p in paths, p
    assert "412" in paths["/api/v1/clusters/{cluster_id}"]["put"]["responses"]


# --------------------------------------------------------------------------- collections


def test_parks_come_with_areas_and_wgs84_outlines(ro_client):
    fc = ro_client.get("/api/v1/parks").json()
    assert ids(fc) == ["shuangchi", "shuitou"]
    sc = fc["features"][0]
    assert sc["properties"]["area_m2"] == pytest.approx(600_000)
    assert sc["properties"]["area_mu"] == pytest.approx(600_000 / MU_M2, abs=1e-3)  # 900 亩
    assert near(zone_geom(sc["geometry"]), shapely.box(X0, Y0, X0 + 1000, Y0 + 600))


@pytest.mark.parametrize(
    ("query", "park"), [({}, None), ({"park": "shuitou"}, "shuitou"), ({"park": "shuangchi,shuitou"}, None)]
)
def test_clusters_filter_by_park(ro_client, query, park):
    zone = ro_client.get("/api/v1/zone").json()
    fc = ro_client.get("/api/v1/clusters", params=query).json()
    # every cluster of the zone file is in the database; three have an outline in the layers
    expected = sorted(c["id"] for c in zone["clusters"] if park in (None, c["park"]))
    assert ids(fc) == expected and fc["numberMatched"] == len(expected)
    drawn = [f["id"] for f in fc["features"] if f["geometry"] is not None]
    assert drawn == [
        c
        for c in ["sc-almg", "sc-smart", "st-almg"]
        if park in (None, c[:2].replace("sc", "shuangchi").replace("st", "shuitou"))
    ]
    almg = next((f for f in fc["features"] if f["id"] == "sc-almg"), None)
    if almg is not None:
        assert almg["properties"]["area_m2"] == pytest.approx(300_000)  # 500 × 600 m
        assert almg["properties"]["admits"][0]["industry"] == "铝镁新材料"
        assert near(zone_geom(almg["geometry"]), shapely.box(X0, Y0, X0 + 500, Y0 + 600))


def test_parcel_properties_and_geometry(ro_client):
    fc = ro_client.get("/api/v1/parcels").json()
    assert fc["numberMatched"] == 22 and ids(fc) == ALL_PARCELS
    p = next(f for f in fc["features"] if f["id"] == "SC-101")
    props = p["properties"]
    assert set(props) >= {
        "parcel_id",
        "park",
        "cluster",
        "status",
        "enterprise",
        "area_m2",
        "area_mu",
        "score",
        "class",
        "class_en",
        "excluded",
        "version",
    }
    assert (props["park"], props["cluster"], props["status"], props["version"]) == (
        "shuangchi",
        "sc-almg",
        "vacant",
        1,
    )
    assert props["area_m2"] == pytest.approx(6400.0)
    assert props["area_mu"] == pytest.approx(9.6)  # 6400 m² ÷ 666.67 m²/亩
    assert 0 <= props["score"] <= 100 and props["class_en"] in ("excellent", "good", "fair", "poor")
    assert props["excluded"] is False and props["score_stale"] is False
    assert p["geometry"]["type"] == "MultiPolygon"
    lon, lat = p["geometry"]["coordinates"][0][0][0]
    assert 111 < lon < 112 and 36 < lat < 38  # lon/lat order, WGS 84
    assert near(zone_geom(p["geometry"]), shapely.box(X0 + 10, Y0 + 410, X0 + 90, Y0 + 490))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "existing"}, ["SC-0002", "SC-105", "SC-110", "SC-115"]),
        ({"status": "existing,reserved"}, ["SC-0002", "SC-105", "SC-110", "SC-115", "ST-0001"]),
        ({"park": "shuitou"}, ["ST-0001"]),
        ({"cluster": "sc-smart", "status": "existing"}, ["SC-0002", "SC-105", "SC-115"]),
        ({"cluster": "nope"}, []),
    ],
)
def test_parcel_filters(ro_client, query, expected):
    fc = ro_client.get("/api/v1/parcels", params=query).json()
    assert ids(fc) == expected and fc["numberMatched"] == len(expected)


def test_bbox_selects_the_parcels_it_touches(ro_client):
    # the eight 80 m parcels of sc-almg's two rows, and nothing else
    bbox = wgs84_bbox(X0 + 5, Y0 + 405, X0 + 365, Y0 + 585)
    fc = ro_client.get("/api/v1/parcels", params={"bbox": bbox}).json()
    assert ids(fc) == ["SC-101", "SC-102", "SC-103", "SC-104", "SC-110", "SC-111", "SC-112", "SC-113"]
    assert fc["numberMatched"] == 8
    far = wgs84_bbox(X0 + 5000, Y0 + 5000, X0 + 5100, Y0 + 5100)
    assert ro_client.get("/api/v1/parcels", params={"bbox": far}).json()["features"] == []
    clusters = ro_client.get("/api/v1/clusters", params={"bbox": bbox}).json()
    assert ids(clusters) == ["sc-almg"]  # clusters without an outline never match a bbox


@pytest.mark.parametrize("limit", [1, 5, 7, 22, 5000])
def test_paging_neither_misses_nor_repeats_a_parcel(ro_client, limit):
    seen, url, pages = [], f"/api/v1/parcels?limit={limit}", 0
    while url:
        page = ro_client.get(url).json()
        assert page["numberMatched"] == 22
        assert page["numberReturned"] == len(page["features"]) <= limit
        seen += ids(page)
        rels = {link["rel"]: link["href"] for link in page["links"]}
        assert ("prev" in rels) == (pages > 0)
        url = rels.get("next")
        pages += 1
    assert seen == ALL_PARCELS
    assert pages == math.ceil(22 / limit)


def test_paging_with_a_bbox_and_an_offset_past_the_end(ro_client):
    bbox = wgs84_bbox(X0 + 5, Y0 + 405, X0 + 365, Y0 + 585)
    first = ro_client.get("/api/v1/parcels", params={"bbox": bbox, "limit": 5}).json()
    second = ro_client.get("/api/v1/parcels", params={"bbox": bbox, "limit": 5, "offset": 5}).json()
    assert ids(first) + ids(second) == [
        "SC-101",
        "SC-102",
        "SC-103",
        "SC-104",
        "SC-110",
        "SC-111",
        "SC-112",
        "SC-113",
    ]
    beyond = ro_client.get("/api/v1/parcels", params={"offset": 100}).json()
    assert (beyond["numberMatched"], beyond["numberReturned"]) == (22, 0)


@pytest.mark.parametrize(
    ("query", "status", "kind"),
    [
        ({"bbox": "1,2,3"}, 422, "SchemaError"),
        ({"bbox": "a,b,c,d"}, 422, "SchemaError"),
        ({"bbox": "112,37,111,38"}, 422, "SchemaError"),  # min > max
        ({"bbox": "540000,4090000,541000,4091000"}, 422, "SchemaError"),  # projected numbers
        ({"limit": 0}, 400, None),
        ({"limit": 5001}, 400, None),
        ({"offset": -1}, 400, None),
    ],
)
def test_bad_collection_parameters(ro_client, query, status, kind):
    r = ro_client.get("/api/v1/parcels", params=query)
    assert r.status_code == status
    body = r.json()
    if kind:  # domain errors: {error, message, where, hint}
        assert body["error"] == kind and body["where"] == "bbox" and body["message"]
    else:  # request validation: the same shape, with the fields in errors (issue 16)
        assert body["error"] == "InvalidParameterError" and body["message"]
        assert body["errors"][0]["loc"][0] == "query" and body["where"] == f"query: {next(iter(query))}"


# --------------------------------------------------------------------------- details


def test_parcel_detail_has_breakdown_measures_sheet_and_etag(ro_client):
    r = ro_client.get("/api/v1/parcels/SC-0001")
    assert r.status_code == 200 and version_tag(r) == '"SC-0001-v1"'
    p = r.json()["properties"]
    zone = ro_client.get("/api/v1/zone").json()
    assert [b["criterion"] for b in p["breakdown"]] == [c["id"] for c in zone["scoring"]["criteria"]]
    assert sum(b["contribution"] for b in p["breakdown"]) == pytest.approx(p["score"], abs=0.01)
    assert sum(b["weight"] for b in p["breakdown"]) == pytest.approx(1.0)
    slope = next(b for b in p["breakdown"] if b["measure"] == "slope_mean_deg")
    assert slope["raw"] == pytest.approx(p["measures"]["slope_mean_deg"])
    assert p["measures"]["area_m2"] == pytest.approx(10_000.0)
    # the parcel lies 100–200 m east of X0: the plane rises 2 m per 100 m, the hill adds a little
    assert 1.0 < p["measures"]["slope_mean_deg"] < 4.0
    assert {"earthwork_fit_cut_m3", "road_dist_m", "power_dist_m", "outside_park_share"} <= set(p["measures"])
    assert p["reasons"] == [] and p["excluded"] is False
    sheet = p["standard_land"]
    assert sheet["parcel_id"] == "SC-0001" and sheet["area_mu"] == pytest.approx(15.0)
    almg = next(i for i in sheet["industries"] if i["industry"] == "铝镁新材料")
    assert almg["min_investment_wan"] == pytest.approx(15 * 250)  # 15 亩 × 250 万元/亩
    assert almg["min_output_wan"] == pytest.approx(15 * 200)


def test_existing_parcel_has_no_standard_land_sheet(ro_client):
    p = ro_client.get("/api/v1/parcels/SC-0002").json()["properties"]
    assert p["standard_land"] is None and p["enterprise"] == "天鹏冶炼"
    r = ro_client.get("/api/v1/parcels/SC-0002/standard-land")
    assert r.status_code == 409 and r.json()["error"] == "ConflictError"
    assert "已建用地" in r.json()["message"]  # Chinese unless asked otherwise
    r = ro_client.get("/api/v1/parcels/SC-0002/standard-land", params={"lang": "en"})
    assert "SC-0002 is existing" in r.json()["message"] and "vacant" in r.json()["message"]
    ok = ro_client.get("/api/v1/parcels/SC-101/standard-land", params={"lang": "en"})
    assert ok.status_code == 200 and ok.json()["area_mu"] == pytest.approx(9.6)


def test_if_none_match_gives_304(ro_client):
    tag = ro_client.get("/api/v1/clusters/sc-almg").headers["etag"]
    assert tag == '"sc-almg-v1"'
    assert ro_client.get("/api/v1/clusters/sc-almg", headers={"If-None-Match": tag}).status_code == 304
    assert (
        ro_client.get("/api/v1/parcels/SC-0003", headers={"If-None-Match": '"SC-0003-v1"'}).status_code == 304
    )
    assert (
        ro_client.get("/api/v1/parcels/SC-0003", headers={"If-None-Match": '"SC-0003-v0"'}).status_code == 200
    )


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/parcels/XX-9",
        "/api/v1/clusters/nope",
        "/api/v1/layers/pipes",
        "/api/v1/parcels/XX-9/history",
        "/api/v1/clusters/nope/history",
        "/api/v1/parcels/XX-9/standard-land",
    ],
)
def test_unknown_things_are_404_with_a_message(ro_client, url):
    r = ro_client.get(url)
    assert r.status_code == 404
    body = r.json()
    assert body["error"] == "NotFoundError" and body["message"] and "where" in body


def test_history_of_an_unedited_parcel_is_its_import(ro_client):
    h = ro_client.get("/api/v1/parcels/SC-0001/history").json()
    assert h["current_version"] == 1 and [v["version"] for v in h["versions"]] == [1]
    assert near(zone_geom(h["versions"][0]["geometry"]), shapely.box(X0 + 100, Y0 + 100, X0 + 200, Y0 + 200))


# --------------------------------------------------------------------------- layers


@pytest.mark.parametrize(
    ("name", "expected_ids"),
    [
        ("roads", ["R1"]),
        ("rivers", ["RV1"]),
        ("rivers-control", ["回龙河"]),
        ("substations", ["SS1"]),
        ("water", ["W1", "W2"]),
        ("places", ["P1", "P2"]),
    ],
)
def test_layers(ro_client, name, expected_ids):
    fc = ro_client.get(f"/api/v1/layers/{name}").json()
    assert ids(fc) == expected_ids


def test_layer_fields_and_river_control_zone(ro_client):
    road = ro_client.get("/api/v1/layers/roads").json()["features"][0]
    assert road["properties"]["class"] == "provincial" and road["properties"]["name"] == "S224"
    assert road["geometry"]["type"] == "LineString"
    zone = ro_client.get("/api/v1/layers/rivers-control").json()["features"][0]
    assert zone["properties"]["control_distance_m"] == 30.0
    # 282.84 m of centre line × 2 × 30 m, flat caps
    assert zone_geom(zone["geometry"]).area == pytest.approx(math.hypot(200, 200) * 60, rel=1e-4)


# --------------------------------------------------------------------------- recommendation, login


def test_anonymous_users_may_ask_for_a_recommendation(ro_client):
    r = ro_client.post("/api/v1/recommend", json={"project": PROJECT, "top": 3, "lang": "en"})
    assert r.status_code == 200, r.text
    rec = r.json()
    assert rec["demand_mu"] == 20 and rec["max_justified_mu"] == pytest.approx(240)  # 60000 万元 ÷ 250
    assert 1 <= len(rec["candidates"]) <= 3
    best = rec["candidates"][0]
    assert best["rank"] == 1 and best["area_mu"] >= 20
    # no single vacant parcel has 20 亩: the candidates are groups of adjacent 9.6-亩 parcels in sc-almg
    assert len(best["parcel_ids"]) == 3 and best["area_mu"] == pytest.approx(28.8)
    assert set(best["parcel_ids"]) <= {"SC-101", "SC-102", "SC-103", "SC-104", "SC-111", "SC-112", "SC-113"}
    site = zone_geom(best["geometry"])
    assert site.area == pytest.approx(3 * 6400, rel=1e-4)


@pytest.mark.parametrize(
    ("project", "where"),
    [
        ({"name": "x", "industry": "铝镁新材", "investment_wan": 1, "output_wan": 1}, "project: industry"),
        ({"name": "x", "industry": "铝镁新材料", "investment_wan": -5, "output_wan": 1}, "project"),
    ],
)
def test_bad_projects_are_422_naming_the_field(ro_client, project, where):
    r = ro_client.post("/api/v1/recommend", json={"project": project})
    assert r.status_code == 422
    assert r.json()["error"] == "SchemaError" and r.json()["where"] == where


def test_login_and_me(ro_client):
    r = ro_client.post("/api/v1/auth/token", data={"username": "planner", "password": PASSWORD})
    assert r.status_code == 200
    token = r.json()
    assert token["token_type"] == "bearer" and token["role"] == "planner"
    me = ro_client.get("/api/v1/me", headers={"Authorization": f"Bearer {token['access_token']}"})
    assert me.json() == {"name": "planner", "role": "planner"}


@pytest.mark.parametrize(("user", "password"), [("planner", "wrong-password"), ("nobody", PASSWORD)])
def test_bad_logins_are_401_alike(ro_client, user, password):
    r = ro_client.post("/api/v1/auth/token", data={"username": user, "password": password})
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert r.json()["error"] == "NotAuthenticatedError"


@pytest.mark.parametrize("header", ["Bearer not-a-jwt", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.x"])
def test_a_bad_token_is_401_even_for_reads(ro_client, header):
    r = ro_client.get("/api/v1/parcels", headers={"Authorization": header})
    assert r.status_code == 401 and "登录凭证无效" in r.json()["message"]


def test_an_expired_token_is_401(ro_client):
    import datetime as dt

    import jwt

    past = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    token = jwt.encode(
        {"sub": "admin", "iat": past, "exp": past + dt.timedelta(minutes=5)},
        ro_client.app.state.api.secret,
        algorithm="HS256",
    )
    r = ro_client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401 and "登录已过期" in r.json()["message"]


def test_me_without_a_token_is_401(ro_client):
    assert ro_client.get("/api/v1/me").status_code == 401


def test_require_login_closes_reads(api_db, tmp_path, monkeypatch):
    monkeypatch.setenv("PARKSITE_REQUIRE_LOGIN", "1")
    with make_client(api_db, tmp_path) as c:
        r = c.get("/api/v1/parcels")
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
        assert c.get("/api/v1/parcels", headers=auth(c, "viewer")).status_code == 200


def test_cors_is_closed_unless_configured(api_db, tmp_path, ro_client):
    origin = {"Origin": "https://gis.example.cn"}
    assert "access-control-allow-origin" not in ro_client.get("/api/v1/zone", headers=origin).headers
    with make_client(api_db, tmp_path, cors_origins=["https://gis.example.cn"]) as c:
        r = c.get("/api/v1/zone", headers=origin)
        assert r.headers["access-control-allow-origin"] == "https://gis.example.cn"
        assert "ETag" in r.headers["access-control-expose-headers"]


def test_the_signing_key_is_generated_once_and_kept(api_db, tmp_path):
    from app.security import secret_key
    from app.settings import Settings

    s = Settings(database_url=api_db, state_dir=tmp_path)
    key = secret_key(s)
    assert len(key) >= 32 and (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert secret_key(s) == key


def test_the_map_pages_and_the_ogc_service_are_mounted(ro_client):
    assert ro_client.get("/").status_code == 200
    r = ro_client.get("/ogc/collections", params={"f": "json"})
    assert r.status_code == 200 and r.json()["collections"]


def test_zone_gives_its_crs_as_proj4_and_the_slope_limits(ro_client):
    """The map needs no hard-coded projection: crs_proj4 projects like EPSG:4546 (pyproj)."""
    from pyproj import CRS

    z = ro_client.get("/api/v1/zone").json()
    proj4 = z["crs_proj4"]
    assert proj4.startswith("+proj=tmerc") and "+lon_0=111" in proj4 and "+x_0=500000" in proj4
    from_proj4 = Transformer.from_crs("OGC:CRS84", CRS.from_proj4(proj4), always_xy=True)
    x, y = from_proj4.transform(111.45, 36.95)
    x0, y0 = TO_ZONE.transform(111.45, 36.95)
    assert math.hypot(x - x0, y - y0) < 0.001
    s = z["scoring"]
    assert (s["natural_slope_limit"], s["planned_slope_limit"]) == ("natural", "planned")
    limits = {lk["id"]: lk for lk in s["slope_limits"]}
    assert (limits["natural"]["max_pct"], limits["planned"]["max_pct"]) == (15.0, 10.0)
    # atan(0.15) = 8.5308°, atan(0.10) = 5.7106°
    assert limits["natural"]["max_deg"] == pytest.approx(8.5308, abs=1e-4)
    assert limits["planned"]["max_deg"] == pytest.approx(5.7106, abs=1e-4)
    assert limits["natural"]["source"].startswith("CJJ 83-2016")


def test_require_login_is_a_setting(api_db, tmp_path, monkeypatch):
    """Settings.require_login (env PARKSITE_REQUIRE_LOGIN) decides; the app reads no environment."""
    from app.settings import Settings

    monkeypatch.delenv("PARKSITE_REQUIRE_LOGIN", raising=False)
    assert Settings().require_login is False
    monkeypatch.setenv("PARKSITE_REQUIRE_LOGIN", "true")
    assert Settings().require_login is True
    monkeypatch.delenv("PARKSITE_REQUIRE_LOGIN")
    with make_client(api_db, tmp_path / "closed", require_login=True) as c:
        assert c.get("/api/v1/zone").status_code == 401
        assert c.get("/api/v1/zone", headers=auth(c, "viewer")).status_code == 200
    with make_client(api_db, tmp_path / "open", require_login=False) as c:
        assert c.get("/api/v1/zone").status_code == 200
