"""``/api/v1/figures`` (managers), ``/api/v1/evaluation``, ``/evaluation/trend`` and
``/zone-report`` (signed-in users) on the synthetic zone of tests/api_fixtures.py, whose only
enterprises are 天鹏冶炼 (SC-0002, 15 亩 of M3) and 山西某铝业 (extra parcels of M2)."""

from __future__ import annotations

from shapely.geometry import shape

from tests.api_fixtures import auth

HEAD = "enterprise,land_mu,tax_wan,power_10k_kwh,scale,producing_year\n"
# 规下 both (亩均税收 50 + 单位电耗税收 50; benchmarks 2 × the group's value of the year):
# tax/亩 = (30 + 30) / (15 + 30) = 1.333 → benchmark 2.667; tax/power = 60 / (10 + 30) = 1.5 → 3.
# 天鹏冶炼: 2 / 2.667 = 0.75 → 37.5; 3 / 3 = 1 → 50 → 87.5.
# 山西某铝业: 1 / 2.667 = 0.375 → 18.75; 1 / 3 → 16.67 → 35.42.
CSV = HEAD + "天鹏冶炼,15,30,10,规下,2010\n山西某铝业,30,30,30,规下,2012\n"


def test_figures_import_needs_a_manager_and_refuses_bad_rows(client):
    files = {"file": ("f.csv", CSV.encode(), "text/csv")}
    assert client.post("/api/v1/figures?year=2025", files=files).status_code == 401
    r = client.post("/api/v1/figures?year=2025", files=files, headers=auth(client, "planner"))
    assert r.status_code == 403
    bad = HEAD + "天鹏冶炼,15,30,10,规下,2010\n无名厂,30,30,30,规下,2012\n"
    r = client.post(
        "/api/v1/figures?year=2025&lang=en",
        files={"file": ("bad.csv", bad.encode(), "text/csv")},
        headers=auth(client, "manager"),
    )
    assert r.status_code in (400, 422), r.text
    assert "row 3" in r.text and "无名厂" in r.text
    r = client.get("/api/v1/evaluation?year=2025", headers=auth(client, "viewer"))
    assert r.status_code >= 400  # nothing was written: no figures for 2025


def test_evaluation_and_zone_report(client):
    r = client.post(
        "/api/v1/figures?year=2025",
        files={"file": ("f.csv", CSV.encode(), "text/csv")},
        headers=auth(client, "manager"),
    )
    assert r.status_code == 200, r.text
    assert (r.json()["added"], r.json()["updated"]) == (2, 0)
    assert client.get("/api/v1/evaluation?year=2025").status_code == 401
    r = client.get("/api/v1/evaluation?year=2025&lang=en", headers=auth(client, "viewer"))
    assert r.status_code == 200, r.text
    data = r.json()
    assert {"year", "method", "enterprises"} <= set(data) and data["illustrative"] is False
    got = {e["name"]: e for e in data["enterprises"]}
    assert (got["天鹏冶炼"]["score"], got["天鹏冶炼"]["rank"], got["天鹏冶炼"]["class"]) == (87.5, 1, "A")
    assert (got["山西某铝业"]["score"], got["山西某铝业"]["class"]) == (35.42, "B")  # share ahead 1/2
    assert got["天鹏冶炼"]["parcel_ids"] == ["SC-0002"]
    assert data["years"] == [2025]
    trend = client.get("/api/v1/evaluation/trend", headers=auth(client, "viewer")).json()
    assert trend["years"] == [
        {"year": 2025, "counts": {"A": 1, "B": 1, "C": 0, "D": 0, "T": 0}, "enterprises": 2}
    ]

    r = client.get("/api/v1/zone-report?year=2025&lang=en", headers=auth(client, "viewer"))
    assert r.status_code == 200, r.text
    rep = r.json()
    zone = next(a for a in rep["areas"] if a["id"] == "zone")
    ind = {i["id"]: i for i in zone["indicators"]}
    assert ind["industrial_share"]["value"] == 100  # every occupied parcel is M2 or M3
    mu = zone["inputs"]["industrial_built_mu"]
    assert ind["industrial_tax"]["value"] == round(60 / mu, 2)
    assert ind["supply_rate"]["value"] is None and ind["supply_rate"]["no_data"].startswith(
        "no data: needs the land that meets supply conditions"
    )
    assert ind["built_rate"]["no_data"].startswith("no data: no land contracts on record")
    progress = {p["id"]: p for p in rep["progress"]}
    assert progress["tax_total"]["current"] == 0.006  # 60 万元 = 0.006 亿元
    assert progress["tax_intensity"]["current"] == round(60 / 45, 4)
    assert (
        progress["output_intensity"]["baseline"] == 316.52 and progress["output_intensity"]["current"] is None
    )


def test_figures_dry_run_checks_everything_and_keeps_nothing(client):
    manager = auth(client, "manager")
    bad = HEAD + "天鹏冶炼,15,30,10,规下,2010\n无名厂,-3,30,30,规下,2012\n"
    r = client.post(
        "/api/v1/figures?year=2025&dry_run=true",
        files={"file": ("bad.csv", bad.encode(), "text/csv")},
        headers=manager,
    )
    assert r.status_code in (400, 422), r.text
    # each bad cell by row and column (the file's header), what is wrong as a catalogue message
    assert [(p["row"], p["column"], p["problem"]["id"]) for p in r.json()["problems"]] == [
        (3, "land_mu", "error.figures.negative")
    ]
    assert r.json()["problems"][0]["text"] == "“-3”为负数"  # rendered in the answer's language (zh)
    unknown = HEAD + "天鹏冶炼,15,30,10,规下,2010\n无名厂,30,30,30,规下,2012\n"
    r = client.post(
        "/api/v1/figures?year=2025&dry_run=true",
        files={"file": ("u.csv", unknown.encode(), "text/csv")},
        headers=manager,
    )
    assert [(p["row"], p["column"], p["problem"]["id"]) for p in r.json()["problems"]] == [
        (3, "企业名称", "error.figures.unknown_enterprise")
    ]
    assert r.json()["problems"][0]["text"].startswith("本开发区没有企业“无名厂”")
    r = client.post(
        "/api/v1/figures?year=2025&dry_run=true&lang=en",
        files={"file": ("f.csv", CSV.encode(), "text/csv")},
        headers=manager,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["added"], body["updated"], body["dry_run"]) == (2, 0, True)
    assert "dry run, nothing written" in body["message"]
    trend = client.get("/api/v1/evaluation/trend", headers=auth(client, "viewer")).json()
    assert trend["years"] == []  # the dry run kept nothing
    r = client.post(
        "/api/v1/figures?year=2025", files={"file": ("f.csv", CSV.encode(), "text/csv")}, headers=manager
    )
    assert (r.json()["added"], r.json()["dry_run"]) == (2, False)


def test_evaluation_map_colours_each_enterprise_parcels_by_class(client):
    viewer = auth(client, "viewer")
    assert client.get("/api/v1/evaluation/map").status_code == 401
    empty = client.get("/api/v1/evaluation/map", headers=viewer)
    assert empty.status_code == 200 and empty.headers["content-type"].startswith("application/geo+json")
    assert (empty.json()["year"], empty.json()["features"]) == (None, [])
    client.post(
        "/api/v1/figures?year=2025",
        files={"file": ("f.csv", CSV.encode(), "text/csv")},
        headers=auth(client, "manager"),
    )
    fc = client.get("/api/v1/evaluation/map", headers=viewer).json()  # the latest year: 2025
    assert (fc["year"], fc["years"], fc["illustrative"]) == (2025, [2025], False)
    assert [c["id"] for c in fc["classes"]] == ["A", "B", "C", "D"]
    by_id = {f["id"]: f for f in fc["features"]}
    tp = by_id["SC-0002"]["properties"]
    assert (tp["enterprise"], tp["class"], tp["score"], tp["rank"], tp["scope"]) == (
        "天鹏冶炼",
        "A",
        87.5,
        1,
        "below",
    )
    ev = client.get("/api/v1/evaluation?year=2025", headers=viewer).json()
    alu = next(e for e in ev["enterprises"] if e["name"] == "山西某铝业")
    assert alu["parcel_ids"] and sorted(
        f["id"] for f in fc["features"] if f["properties"]["enterprise"] == "山西某铝业"
    ) == sorted(alu["parcel_ids"])
    assert {
        f["properties"]["class"] for f in fc["features"] if f["properties"]["enterprise"] == "山西某铝业"
    } == {"B"}
    # the outline is the parcel's own, in WGS 84 (the same as /parcels/{id})
    parcel = client.get("/api/v1/parcels/SC-0002", headers=viewer).json()
    assert shape(by_id["SC-0002"]["geometry"]).equals_exact(shape(parcel["geometry"]), 1e-7)
    lon, lat = shape(by_id["SC-0002"]["geometry"]).centroid.coords[0]
    assert 100 < lon < 125 and 30 < lat < 45
    assert client.get("/api/v1/evaluation/map?year=2024", headers=viewer).status_code >= 400


def test_zone_report_land_indicators_from_scores_and_contract_progress(client):
    """土地开发率 / 土地供应率 from the score run's distances and the contracts; the building
    indicators from the contract progress's floor areas (a ㎡ header read too)."""
    r = client.get("/api/v1/zone-report?year=2025", headers=auth(client, "viewer"))
    before = next(a for a in r.json()["areas"] if a["id"] == "zone")
    ind = {i["id"]: i for i in before["indicators"]}
    assert ind["development_rate"]["value"] is not None  # the zone is scored: distances known
    assert ind["floor_area_ratio"]["no_data"].startswith("暂无数据：已建成用地尚无建筑面积")
    built_mu = before["inputs"]["built_mu"]

    # SC-101 (vacant, 6400 m² = 9.6 亩, M2) contracted and completed, 12 800 m² floor area on it
    text = (
        "企业名称,地块编号,面积（亩）,签订日期,出让价款（万元）,约定开工日期,实际开工日期,实际竣工日期,"
        "建筑面积（㎡）,建筑基底面积（㎡）\n"
        "乙公司,SC-101,9.6,2022-12-01,160,2023-01-15,2023-02-01,2024-06-01,12800,6400\n"
    )
    r = client.post(
        "/api/v1/land/contracts/import",
        files={"file": ("c.csv", text.encode(), "text/csv")},
        headers=auth(client, "manager"),
    )
    assert r.status_code == 200, r.text
    contract = client.get("/api/v1/land/contracts", headers=auth(client, "viewer")).json()["contracts"][0]
    assert (contract["floor_area_m2"], contract["footprint_m2"]) == (12800, 6400)

    r = client.get("/api/v1/zone-report?year=2025&lang=en", headers=auth(client, "viewer"))
    zone = next(a for a in r.json()["areas"] if a["id"] == "zone")
    ind, inputs = {i["id"]: i for i in zone["indicators"]}, zone["inputs"]
    # supplied = the built parcels + SC-101; 土地供应率 = supplied ÷ serviced
    supplied = round(built_mu + 9.6, 2)
    assert inputs["supplied_mu"] == supplied and inputs["serviced_mu"] >= supplied
    assert ind["supply_rate"]["value"] == round(100 * supplied / inputs["serviced_mu"], 2)
    assert ind["development_rate"]["value"] == round(
        100 * inputs["serviced_mu"] / (inputs["total_mu"] - inputs["unbuildable_mu"]), 2
    )
    # floor areas known on SC-101 only: 9.6 of the built land → no data, saying how much
    assert inputs["built_with_buildings_mu"] == 9.6 and inputs["floor_area_m2"] == 12800
    far = ind["floor_area_ratio"]
    assert far["value"] is None
    assert far["no_data"] == (
        f"no data: reported on only 9.6 of the {supplied:g} mu of built land; computed once all is"
        " reported (never extrapolated from part)"
    )
