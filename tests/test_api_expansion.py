"""``POST /api/v1/check`` for an existing enterprise's expansion (``project.expansion_of``), on
SpatiaLite and PostGIS: the synthetic zone of tests/api_fixtures.py, where 山西某铝业 holds
SC-105, SC-110 and SC-115 (80 × 80 m each: 9.6 亩, 28.8 亩 in all) and SC-0001 is a vacant
15 亩 parcel of the 铝镁 cluster."""

from __future__ import annotations

from tests.api_fixtures import auth

#: 表9-6 铝镁新材料: investment ≥ 250, output ≥ 200 万元/亩.
PROJECT = {
    "name": "山西某铝业扩建项目",
    "industry": "铝镁新材料",
    "branch": "铝基新材料",
    "investment_wan": 6000,
    "output_wan": 9000,
    "land_mu": 10,
    "water_m3_per_day": 100,
    "power_kw": 900,
    "online_monitoring": True,
    "waste_treatment_pct": 98,
    "expansion_of": "山西某铝业",
    "existing_investment_wan": 4000,
    "existing_output_wan": 20000,
}


def _check(client, parcel_id: str, project: dict, lang: str = "zh"):
    return client.post(
        "/api/v1/check",
        json={"parcel_id": parcel_id, "project": project, "lang": lang},
        headers=auth(client, "viewer"),
    )


def test_expansion_on_new_land_counts_the_enterprise_after_it(client):
    r = _check(client, "SC-0001", PROJECT)
    assert r.status_code == 200, r.text
    out = r.json()
    rules = {x["rule"]: x for x in out["rules"]}
    e = out["expansion"]
    assert (e["enterprise"], e["existing_land_mu"], e["basis"]) == ("山西某铝业", 28.8, "total")
    assert sorted(e["existing_parcel_ids"]) == ["SC-105", "SC-110", "SC-115"]
    assert e["existing_land_basis"] == "所持地块 SC-105、SC-110、SC-115"
    # (4000 + 6000) ÷ (28.8 + 15) = 228.31 < 250; (20000 + 9000) ÷ 43.8 = 662.1 ≥ 200
    inv, outp = rules["investment_intensity"], rules["output_intensity"]
    assert (inv["status"], inv["value"]) == ("fail", round(10000 / 43.8, 4))
    assert (outp["status"], outp["value"]) == ("pass", round(29000 / 43.8, 4))
    assert "新增部分单独计为 6000 万元 ÷ 15 亩 = 400 万元/亩" in inv["message"]
    assert out["verdict"] == "fail"
    # declared existing land overrides the parcels: (10000) ÷ (40 + 15) = 181.82
    r = _check(client, "SC-0001", PROJECT | {"existing_land_mu": 40})
    assert {x["rule"]: x for x in r.json()["rules"]}["investment_intensity"]["value"] == round(10000 / 55, 4)


def test_upgrade_on_its_own_parcel(client):
    # SC-105 is its own (existing): not taken, no new land; 10000 ÷ 28.8 = 347.22 ≥ 250
    r = _check(client, "SC-105", PROJECT | {"land_mu": None}, "en")
    assert r.status_code == 200, r.text
    rules = {x["rule"]: x for x in r.json()["rules"]}
    assert rules["parcel_vacant"]["status"] == "pass"
    assert (
        rules["parcel_vacant"]["message"] == "already held by the expanding enterprise '山西某铝业': SC-105"
    )
    assert rules["land_demand"]["status"] == "pass"
    assert (rules["investment_intensity"]["status"], rules["investment_intensity"]["value"]) == (
        "pass",
        round(10000 / 28.8, 4),
    )
    # another enterprise's project on the same parcel: taken
    other = {k: v for k, v in PROJECT.items() if not k.startswith(("existing_", "expansion_"))}
    r = _check(client, "SC-105", other)
    assert {x["rule"]: x for x in r.json()["rules"]}["parcel_vacant"]["status"] == "fail"


def test_unknown_enterprise_is_named(client):
    r = _check(client, "SC-0001", PROJECT | {"expansion_of": "山西某铝厂"}, "en")
    assert r.status_code == 404, r.text
    body = r.text
    assert "山西某铝厂" in body and "山西某铝业" in body  # the value and the close name
