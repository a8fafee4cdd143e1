"""``POST /api/v1/check``: a project checked on a parcel or a site, the rules' values, recording."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.api_fixtures import auth

#: 60 000 万元 investment, 150 000 万元 output: 240 亩 justified at 250 万元/亩 (表9-6 铝镁).
PROJECT = {
    "name": "年产10万吨铝基新材料项目",
    "industry": "铝镁新材料",
    "branch": "铝基新材料",
    "investment_wan": 60000,
    "output_wan": 150000,
    "land_mu": 10,
    "water_m3_per_day": 500,
    "power_kw": 4500,
    "online_monitoring": True,
    "waste_treatment_pct": 98,
}


def rules(result: dict) -> dict[str, dict]:
    return {r["rule"]: r for r in result["rules"]}


def test_a_check_is_computed_and_saved_only_when_asked(client):
    r = client.post(
        "/api/v1/check",
        json={"parcel_id": "SC-0001", "project": PROJECT, "lang": "en"},
        headers=auth(client, "viewer"),  # any signed-in user may check; nothing is stored
    )
    assert r.status_code == 200, r.text
    out = r.json()
    by = rules(out)
    assert (out["parcel_ids"], out["area_mu"], out["max_justified_mu"]) == (["SC-0001"], 15.0, 240.0)
    assert (by["investment_intensity"]["value"], by["investment_intensity"]["threshold"]) == (
        4000.0,
        250.0,
    )  # 60000 ÷ 15
    assert (by["output_intensity"]["value"], by["output_intensity"]["threshold"]) == (10000.0, 200.0)
    assert by["cluster"]["status"] == "pass" and by["parcel_vacant"]["status"] == "pass"
    assert by["land_demand"]["status"] == "pass" and by["land_demand"]["threshold"] == 10.0
    # 4500 kW ÷ 0.9 = 5 MVA ≤ 100 − 60 MVA spare at 双池110kV变电站; 500 ≤ 2000 − 1200 m³/d at 双池岩溶水井
    assert (
        by["power_capacity"]["status"],
        by["power_capacity"]["value"],
        by["power_capacity"]["threshold"],
    ) == ("pass", 5.0, 40.0)
    assert (by["water_supply"]["status"], by["water_supply"]["threshold"]) == ("pass", 800.0)
    assert by["wastewater_capacity"]["status"] == "review"  # 交口县第二污水处理厂 is not in the layers
    assert out["verdict"] == "review"
    assert (
        "investment intensity = 60000 10k yuan ÷ 15 mu (whole net buildable land) = 4000"
        in by["investment_intensity"]["message"]
    )

    from app.db.models import CheckResultRow, ProjectRow

    assert out["recorded"] is None
    with client.app.state.api.factory() as s:
        assert s.scalar(select(func.count()).select_from(ProjectRow)) == 0
        assert s.scalar(select(func.count()).select_from(CheckResultRow)) == 0
    save = {"parcel_id": "SC-0001", "project": PROJECT, "lang": "en"}
    assert client.post("/api/v1/projects", json=save, headers=auth(client, "planner")).status_code == 403
    r = client.post("/api/v1/projects", json=save, headers=auth(client, "manager"))
    assert r.status_code == 201, r.text
    saved = r.json()
    assert saved["status"] == "reviewed" and [c["parcel_id"] for c in saved["checks"]] == ["SC-0001"]
    assert saved["checks"][0]["verdict"] == "review" and saved["checked_parcel_ids"] == ["SC-0001"]
    out["recorded"] = {"project_id": saved["id"], "check_ids": [saved["checks"][0]["id"]]}
    with client.app.state.api.factory() as s:
        project = s.get(ProjectRow, out["recorded"]["project_id"])
        assert (project.name, project.investment_wan, project.land_mu, project.created_by) == (
            PROJECT["name"],
            60000,
            10,
            "manager",
        )
        (check,) = s.scalars(select(CheckResultRow))
        assert check.id == out["recorded"]["check_ids"][0]
        assert (check.parcel_code, check.verdict, check.checked_by) == ("SC-0001", "review", "manager")
        assert [x["rule"] for x in check.rules] == [x["rule"] for x in out["rules"]]


def test_a_site_of_adjacent_parcels_and_no_recording(client):
    body = {"parcel_ids": ["SC-101", "SC-102"], "project": {**PROJECT, "land_mu": 19}, "record": False}
    r = client.post("/api/v1/check", json=body, headers=auth(client, "manager"))
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["area_mu"] == pytest.approx(19.2) and out["recorded"] is None  # 2 × 9.6 亩
    assert rules(out)["land_demand"]["status"] == "pass"
    from app.db.models import CheckResultRow

    with client.app.state.api.factory() as s:
        assert list(s.scalars(select(CheckResultRow))) == []


def test_the_zone_state_is_built_once_per_data_version_and_an_edit_is_seen_at_once(client):
    """Checks reuse the zone's rules, scored table and capacity ledger while the data version
    holds (app.api.zone_memo); a parcel edit in this process moves it, and the next check sees
    the edit (the version is kept for an hour here, so only the edit can move it)."""
    state = client.app.state.api
    state.versions.ttl_s = 3600
    body = {"parcel_id": "SC-0001", "project": PROJECT, "record": False}
    first = client.post("/api/v1/check", json=body, headers=auth(client, "manager"))
    assert rules(first.json())["parcel_vacant"]["status"] == "pass"
    built = state.versions._memo[("admission", "jiaokou")]
    again = client.post("/api/v1/check", json=body, headers=auth(client, "manager"))
    assert again.json()["verdict"] == first.json()["verdict"]
    assert state.versions._memo[("admission", "jiaokou")] is built  # not rebuilt
    r = client.put(
        "/api/v1/parcels/SC-0001",
        json={"status": "existing", "enterprise": "示例企业"},
        headers={**auth(client, "planner"), "If-Match": '"SC-0001-v1"'},
    )
    assert r.status_code == 200, r.text
    after = client.post("/api/v1/check", json=body, headers=auth(client, "manager"))
    assert rules(after.json())["parcel_vacant"]["status"] == "fail" and after.json()["verdict"] == "fail"
    assert state.versions._memo[("admission", "jiaokou")] is not built


def test_an_occupied_parcel_fails(client):
    r = client.post(
        "/api/v1/check",
        json={"parcel_id": "SC-0002", "project": PROJECT, "record": False},
        headers=auth(client, "manager"),
    )
    assert r.json()["verdict"] == "fail" and rules(r.json())["parcel_vacant"]["status"] == "fail"
    # the default language is Chinese
    message = rules(r.json())["parcel_vacant"]["message"]
    assert "天鹏冶炼" in message and "空闲" in message


@pytest.mark.parametrize(
    ("body", "status", "where"),
    [
        ({"parcel_id": "XX-1"}, 404, "check: parcel_id"),
        ({"parcel_id": "SC-0001", "parcel_ids": ["SC-0002"]}, 422, "check"),
        ({}, 422, "check"),
        ({"parcel_ids": ["SC-101", "SC-105"]}, 422, "parcels: cluster"),  # two clusters
        ({"parcel_id": "SC-0001", "project": {**PROJECT, "land_mu": "10亩"}}, 422, "project"),
    ],
)
def test_bad_checks(client, body, status, where):
    r = client.post(
        "/api/v1/check", json={"project": PROJECT, "record": True, **body}, headers=auth(client, "manager")
    )
    assert r.status_code == status, r.text
    assert r.json()["where"] == where and r.json()["message"]


# --------------------------------------------------------------------------- clusters drawn on the map

#: A new-energy project: 8 亩 fits any one 80 × 80 m parcel (9.6 亩); intensities far above 表9-6.
ENERGY = {
    "name": "储能电池组装项目",
    "industry": "新能源产业",
    "branch": "新能源装备制造",
    "investment_wan": 20000,
    "output_wan": 40000,
    "land_mu": 8,
    "water_m3_per_day": 50,
    "power_kw": 900,
    "online_monitoring": True,
    "waste_treatment_pct": 100,
}
#: The parcels of the two north rows east of x 500 (sc-smart in the zone file); SC-105 and
#: SC-115 are occupied.
NORTH_EAST = {f"SC-{n}" for n in (*range(105, 110), *range(114, 119))}


def _draw_energy_cluster(client, admits):
    """Shrink sc-smart to its southern 400 m and draw sc-energy over the northern 200 m."""
    from shapely import box

    from tests.conftest import X0, Y0
    from tests.test_api_edits import wgs84

    planner = auth(client, "planner")
    r = client.put(
        "/api/v1/clusters/sc-smart",
        json={"geometry": wgs84(box(X0 + 500, Y0, X0 + 1000, Y0 + 400))},
        headers={**planner, "If-Match": '"sc-smart-v1"'},
    )
    assert r.status_code == 200, r.text
    body = {
        "cluster_id": "sc-energy",
        "park": "shuangchi",
        "name": "新能源组团",
        "name_en": "New energy",
        "geometry": wgs84(box(X0 + 500, Y0 + 400, X0 + 1000, Y0 + 600)),
    }
    if admits is not None:
        body["admits"] = admits
    r = client.post("/api/v1/clusters", json=body, headers=planner)
    assert r.status_code == 201, r.text
    assert {m["parcel_id"] for m in r.json()["reassigned"]} == NORTH_EAST
    assert {m["to"] for m in r.json()["reassigned"]} == {"sc-energy"}


def test_a_cluster_drawn_on_the_map_admits_what_it_says(client):
    """No cluster of the zone file's Shuangchi park admits new energy; one drawn on the map with
    admits 新能源产业 does: its parcels pass the cluster rule and are the recommendation."""
    _draw_energy_cluster(client, [{"industry": "新能源产业"}])
    r = client.post("/api/v1/recommend", json={"project": ENERGY, "lang": "en", "top": 20})
    assert r.status_code == 200, r.text
    cands = r.json()["candidates"]
    assert cands and {c["cluster"] for c in cands} == {"sc-energy"}
    # every vacant parcel of the new cluster, one by one (each 9.6 亩 ≥ 8 亩)
    assert sorted(p for c in cands for p in c["parcel_ids"]) == sorted(NORTH_EAST - {"SC-105", "SC-115"})
    assert all("cluster" not in c["review"] for c in cands)
    r = client.post(
        "/api/v1/check",
        json={"parcel_id": "SC-106", "project": ENERGY, "lang": "en", "record": False},
        headers=auth(client, "manager"),
    )
    assert r.status_code == 200, r.text
    cluster_rule = rules(r.json())["cluster"]
    assert (cluster_rule["status"], cluster_rule["threshold"]) == ("pass", "New energy")
    assert cluster_rule["message"] == "New energy admits New energy / New-energy equipment manufacturing"
    assert cluster_rule["source"] == "cluster drawn on the map"
    # the zone description lists the new cluster, with its admits set
    z = client.get("/api/v1/zone").json()
    energy = next(c for c in z["clusters"] if c["id"] == "sc-energy")
    assert (energy["park"], energy["in_database"], energy["admits_set"]) == ("shuangchi", True, True)
    assert "sc-energy" in next(p for p in z["parks"] if p["id"] == "shuangchi")["clusters"]


def test_a_cluster_without_admits_makes_its_parcels_review_until_they_are_set(client):
    client.app.state.api.versions.ttl_s = 3600  # rules kept per data version: only the edits move it
    _draw_energy_cluster(client, None)
    assert client.get("/api/v1/clusters/sc-energy").json()["properties"]["admits"] is None
    check = {"parcel_id": "SC-106", "project": ENERGY, "record": False}
    r = client.post("/api/v1/check", json={**check, "lang": "en"}, headers=auth(client, "manager"))
    assert r.status_code == 200, r.text
    cluster_rule = rules(r.json())["cluster"]
    assert cluster_rule["status"] == "review" and r.json()["verdict"] == "review"
    assert cluster_rule["message"] == (
        "New energy admits nothing yet: review — set the industries it admits on the map"
    )
    r = client.post("/api/v1/check", json={**check, "lang": "zh"}, headers=auth(client, "manager"))
    assert rules(r.json())["cluster"]["message"].startswith("新能源组团尚未设定准入产业，需复核")
    # without lang, the Accept-Language header decides
    r = client.post(
        "/api/v1/check", json=check, headers={**auth(client, "manager"), "Accept-Language": "en-GB,en;q=0.9"}
    )
    assert rules(r.json())["cluster"]["message"].startswith("New energy admits nothing yet")
    r = client.post("/api/v1/recommend", json={"project": ENERGY, "lang": "en", "top": 20})
    assert r.status_code == 200, r.text
    cands = r.json()["candidates"]
    assert cands and {c["cluster"] for c in cands} == {"sc-energy"}
    assert all("cluster" in c["review"] and "admits nothing yet" in c["reason"] for c in cands)
    assert (
        next(c for c in client.get("/api/v1/zone").json()["clusters"] if c["id"] == "sc-energy")["admits_set"]
        is False
    )
    # the 标准地 sheet of such a parcel lists no industry and says why
    sheet = client.get("/api/v1/parcels/SC-106/standard-land", params={"lang": "en"}).json()
    assert sheet["industries"] == [] and "admits nothing yet" in sheet["notes"][0]

    # setting the admits is what the next check sees
    r = client.put(
        "/api/v1/clusters/sc-energy",
        json={"admits": [{"industry": "新能源产业"}]},
        headers={**auth(client, "planner"), "If-Match": '"sc-energy-v1"'},
    )
    assert r.status_code == 200, r.text
    r = client.post("/api/v1/check", json={**check, "lang": "en"}, headers=auth(client, "manager"))
    assert rules(r.json())["cluster"]["status"] == "pass"
    # … and admits that leave new energy out make it fail there, naming where it is admitted
    r = client.put(
        "/api/v1/clusters/sc-energy",
        json={"admits": [{"industry": "生物健康产业"}]},
        headers={**auth(client, "planner"), "If-Match": '"sc-energy-v2"'},
    )
    assert r.status_code == 200, r.text
    r = client.post("/api/v1/check", json={**check, "lang": "en"}, headers=auth(client, "manager"))
    assert rules(r.json())["cluster"]["status"] == "fail"
    r = client.post("/api/v1/recommend", json={"project": ENERGY, "lang": "en"})
    assert r.status_code == 200 and r.json()["candidates"] == []


def test_a_project_saved_without_a_site_is_negotiating(client):
    r = client.post("/api/v1/projects", json={"project": PROJECT}, headers=auth(client, "manager"))
    assert r.status_code == 201, r.text
    assert (r.json()["status"], r.json()["checks"]) == ("negotiating", [])
    viewer = auth(client, "viewer")  # recorded projects are read by signed-in users
    listed = client.get("/api/v1/projects", params={"status": "negotiating"}, headers=viewer).json()
    assert [p["id"] for p in listed["projects"]] == [r.json()["id"]]
    assert (
        client.get("/api/v1/projects", params={"status": "reviewed"}, headers=viewer).json()["numberMatched"]
        == 0
    )


def test_the_check_states_its_land_basis(client):
    # SC-0001 is 100 × 100 m = 15 亩 inside 双池 with no river and no steep land: net 15 亩;
    # 10 亩 declared would leave 5 亩 < 10, so the whole 15 亩 are granted: 60000 ÷ 15 = 4000
    r = client.post(
        "/api/v1/check",
        json={"parcel_id": "SC-0001", "project": PROJECT, "lang": "zh"},
        headers=auth(client, "viewer"),
    )
    assert r.status_code == 200, r.text
    out = r.json()
    land = out["land"]
    assert (land["parcel_mu"], land["net_mu"], land["granted_mu"], land["declared_mu"]) == (
        15.0,
        15.0,
        15.0,
        10.0,
    )
    assert (land["basis"], land["split"], land["deductions"], land["computed_from"]) == (
        "net",
        None,
        [],
        "geometry",
    )
    assert (
        land["reason"]
        == "申报用地 10 亩，分割后剩余 5 亩，小于最小剩余 10 亩，不宜分割，按整块可建设净用地 15 亩计"
    )
    assert land["geometry"] == {"type": "FeatureCollection", "features": []}
    by = rules(out)
    assert by["investment_intensity"]["message"].startswith(
        "投资强度 = 60000 万元 ÷ 15 亩（整块可建设净用地）= 4000"
    )
    assert "按申报用地 10 亩计为 6000 万元/亩" in by["investment_intensity"]["message"]
    assert (by["inside_parks"]["status"], by["encroachment"]["level"]) == ("pass", None)
    # the form's hint asks for the same formula before the check
    h = client.post(
        "/api/v1/check/land",
        json={
            "parcel_id": "SC-0001",
            "land_mu": 10,
            "investment_wan": 60000,
            "output_wan": 150000,
            "lang": "zh",
        },
        headers=auth(client, "viewer"),
    )
    assert h.status_code == 200, h.text
    hint = h.json()
    assert (
        hint["formulas"]["investment_intensity"]
        == "投资强度 = 60000 万元 ÷ 15 亩（整块可建设净用地）= 4000 万元/亩"
    )
    assert hint["formulas"]["investment_intensity"] in by["investment_intensity"]["message"]
    assert hint["granted_mu"] == 15.0
    assert client.post("/api/v1/check/land", json={"parcel_id": "SC-0001"}).status_code == 401
    schema = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert {"parcel_mu", "net_mu", "granted_mu", "declared_mu", "basis", "split"} <= set(
        schema["LandOut"]["properties"]
    )


def test_a_parcel_reaching_outside_the_park_fails_and_the_part_is_drawn(client):
    # SC-0001 moved 50 m north: y from Y0 + 550 to Y0 + 650, the park ends at Y0 + 600, so
    # 100 × 50 = 5 000 m² (7.5 亩) lie outside: inside_parks fails, the part is deducted and drawn
    import numpy as np
    import shapely
    from pyproj import Transformer
    from shapely import box
    from shapely.geometry import mapping, shape

    from tests.conftest import X0, Y0

    to_wgs = Transformer.from_crs("EPSG:4546", "OGC:CRS84", always_xy=True)
    to_zone = Transformer.from_crs("OGC:CRS84", "EPSG:4546", always_xy=True)
    moved = box(X0 + 100, Y0 + 550, X0 + 200, Y0 + 650)
    geo = shapely.transform(moved, lambda c: np.column_stack(to_wgs.transform(c[:, 0], c[:, 1])))
    r = client.put(
        "/api/v1/parcels/SC-0001",
        json={"geometry": mapping(geo)},
        headers=auth(client, "planner") | {"If-Match": '"SC-0001-v1"'},
    )
    assert r.status_code == 200, r.text
    r = client.post(
        "/api/v1/check",
        json={"parcel_id": "SC-0001", "project": PROJECT, "lang": "en"},
        headers=auth(client, "viewer"),
    )
    assert r.status_code == 200, r.text
    out = r.json()
    by = rules(out)
    assert by["inside_parks"]["status"] == "fail" and out["verdict"] == "fail"
    assert by["inside_parks"]["value"] == pytest.approx(5000.0, rel=1e-3)
    assert "outside the parks" in by["inside_parks"]["message"]
    [part] = out["land"]["deductions"]
    assert part["kind"] == "outside_park" and part["area_mu"] == pytest.approx(7.5, rel=1e-3)
    assert out["land"]["net_mu"] == pytest.approx(7.5, rel=1e-3)
    [feat] = out["land"]["geometry"]["features"]
    assert feat["properties"]["role"] == "deduction"
    drawn = shapely.transform(
        shape(feat["geometry"]), lambda c: np.column_stack(to_zone.transform(c[:, 0], c[:, 1]))
    )
    assert drawn.area == pytest.approx(5000.0, rel=1e-3)
    assert drawn.bounds == pytest.approx((X0 + 100, Y0 + 600, X0 + 200, Y0 + 650), abs=0.05)
    assert by["encroachment"]["level"] == "warning"
