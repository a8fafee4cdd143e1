"""``/api/v1/land/contracts``, ``/land/contracts/import`` and ``/supervision`` on SpatiaLite and
PostGIS: who may read and import, bad files refused with rows and columns and nothing written,
and the supervision JSON (the shape of ``parksite supervise --json``).

Contracts (the API zone's parcels SC-101, SC-102, SC-103 of 80 × 80 m = 9.6 亩):
甲 agreed to start 2024-01-15 and has not started; 乙 started 2023-02-01 and is not completed.
On 2025-02-01: 甲 is idle since 2025-01-15 (17 days, fee 20 % × 80 = 16 万元, take-back from
2026-01-15); 乙 is on the clearance list since 2025-02-01 (0 days, rectify by 2026-02-01).
"""

from __future__ import annotations

from shapely.geometry import shape

from tests.api_fixtures import auth

HEADER = "企业名称,地块编号,面积（亩）,签订日期,出让价款（万元）,约定开工日期,实际开工日期"
GOOD = (
    HEADER
    + "\n甲公司,SC-101,9.6,2023-11-01,80,2024-01-15,\n乙公司,SC-102;SC-103,19.2,2022-12-01,160,2023-01-15,2023-02-01\n"
)
BAD = HEADER + "\n甲公司,SC-101,9.6,2023-11-01,80,2024-01-15,\n丙公司,SC-999,5,2023/01/01,50,2023-03-01,\n"


def upload(client, text: str, role: str = "manager", name: str = "contracts.csv"):
    return client.post(
        "/api/v1/land/contracts/import",
        files={"file": (name, text.encode("utf-8"), "text/csv")},
        headers=auth(client, role),
    )


def test_reads_need_a_login_and_imports_a_manager(client):
    assert client.get("/api/v1/supervision").status_code == 401
    assert client.get("/api/v1/land/contracts").status_code == 401
    r = client.get("/api/v1/supervision", params={"as_of": "2025-02-01"}, headers=auth(client, "viewer"))
    assert r.status_code == 200 and r.json() == {"as_of": "2025-02-01", "cases": []}
    denied = upload(client, GOOD, role="planner")
    assert denied.status_code == 403 and denied.json()["error"] == "PermissionDeniedError"
    assert client.get("/api/v1/land/contracts", headers=auth(client, "viewer")).json()["contracts"] == []


def test_bad_file_is_refused_with_rows_and_columns_and_nothing_written(client):
    r = upload(client, BAD)
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["error"] == "SchemaError"
    assert [(p["row"], p["column"], p["problem"]["id"]) for p in body["problems"]] == [
        (3, "地块编号", "error.land.parcel_unknown"),
        (3, "签订日期", "error.land.date"),
    ]
    assert "row 3, column “签订日期”: “2023/01/01” is not a date in the form YYYY-MM-DD" in body["message_en"]
    assert "第 3 行“地块编号”：数据库中没有地块 SC-999" in body["message_zh"]
    assert client.get("/api/v1/land/contracts", headers=auth(client, "viewer")).json()["contracts"] == []
    wrong = upload(client, GOOD, name="contracts.txt")
    assert wrong.status_code == 400 and wrong.json()["error"] == "InputFileError"


def test_import_then_supervision_json(client):
    r = upload(client, GOOD)
    assert r.status_code == 200, r.text
    assert r.json() == {"created": 2, "updated": 0, "unchanged": 0, "dry_run": False}
    contracts = client.get("/api/v1/land/contracts", headers=auth(client, "viewer")).json()["contracts"]
    assert [(c["enterprise"], c["parcel_ids"], c["agreed_start"], c["started"]) for c in contracts] == [
        ("乙公司", ["SC-102", "SC-103"], "2023-01-15", "2023-02-01"),
        ("甲公司", ["SC-101"], "2024-01-15", None),
    ]
    assert contracts[0]["committed"]["basis"] == "targets"
    r = client.get("/api/v1/supervision", params={"as_of": "2025-02-01"}, headers=auth(client, "viewer"))
    assert r.status_code == 200
    assert r.json() == {
        "as_of": "2025-02-01",
        "cases": [
            {
                "enterprise": "乙公司",
                "parcel_ids": ["SC-102", "SC-103"],
                "rule": "not_completed",
                "status": "clearance_list",
                "since": "2025-02-01",
                "days_overdue": 0,
                "action": "clearance_list",
                "fee_wan": None,
                "next_deadline": "2026-02-01",
                "source": r.json()["cases"][0]["source"],
            },
            {
                "enterprise": "甲公司",
                "parcel_ids": ["SC-101"],
                "rule": "idle_not_started",
                "status": "idle",
                "since": "2025-01-15",
                "days_overdue": 17,
                "action": "idle_fee",
                "fee_wan": 16.0,
                "next_deadline": "2026-01-15",
                "source": r.json()["cases"][1]["source"],
            },
        ],
    }
    assert "第九章" in r.json()["cases"][0]["source"] and "第53号" in r.json()["cases"][1]["source"]
    # the day before 乙's two years: only 甲
    day_before = client.get("/api/v1/supervision?as_of=2025-01-31", headers=auth(client, "viewer")).json()
    assert [c["enterprise"] for c in day_before["cases"]] == ["甲公司"]
    bad_day = client.get("/api/v1/supervision?as_of=2025-13-01", headers=auth(client, "viewer"))
    assert bad_day.status_code == 400  # a query parameter that is not a date (one error shape: 400)
    rules = client.get("/api/v1/supervision/rules", headers=auth(client, "viewer")).json()
    assert [r["id"] for r in rules["rules"]][:2] == ["idle_takeback", "idle_not_started"]
    assert all(r["source"] for r in rules["rules"])
    # importing again changes nothing
    assert upload(client, GOOD).json() == {"created": 0, "updated": 0, "unchanged": 2, "dry_run": False}


def test_dry_run_checks_and_keeps_nothing(client):
    bad = client.post(
        "/api/v1/land/contracts/import?dry_run=true",
        files={"file": ("c.csv", BAD.encode("utf-8"), "text/csv")},
        headers=auth(client, "manager"),
    )
    assert bad.status_code == 422
    assert [(p["row"], p["column"]) for p in bad.json()["problems"]] == [(3, "地块编号"), (3, "签订日期")]
    assert bad.json()["problems"][0]["text"] == "数据库中没有地块 SC-999"
    r = client.post(
        "/api/v1/land/contracts/import?dry_run=true",
        files={"file": ("c.csv", GOOD.encode("utf-8"), "text/csv")},
        headers=auth(client, "manager"),
    )
    assert r.status_code == 200 and r.json() == {"created": 2, "updated": 0, "unchanged": 0, "dry_run": True}
    assert client.get("/api/v1/land/contracts", headers=auth(client, "viewer")).json()["contracts"] == []
    assert upload(client, GOOD).json() == {"created": 2, "updated": 0, "unchanged": 0, "dry_run": False}


def test_supervision_map_marks_the_parcels_of_each_case(client):
    viewer = auth(client, "viewer")
    assert client.get("/api/v1/supervision/map").status_code == 401
    upload(client, GOOD)
    r = client.get("/api/v1/supervision/map", params={"as_of": "2025-02-01"}, headers=viewer)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/geo+json")
    fc = r.json()
    assert fc["as_of"] == "2025-02-01"
    got = {f["id"]: f["properties"] for f in fc["features"]}
    assert sorted(got) == ["SC-101:idle_not_started", "SC-102:not_completed", "SC-103:not_completed"]
    idle = got["SC-101:idle_not_started"]
    assert (idle["parcel_id"], idle["enterprise"], idle["since"], idle["days_overdue"]) == (
        "SC-101",
        "甲公司",
        "2025-01-15",
        17,
    )
    assert (idle["action"], idle["fee_wan"], idle["next_deadline"], idle["illustrative"]) == (
        "idle_fee",
        16.0,
        "2026-01-15",
        False,
    )
    assert idle["rule_name"] == "闲置土地：满一年未动工" and idle["rule_name_en"]
    assert got["SC-102:not_completed"]["parcels"] == ["SC-102", "SC-103"]
    # the outline is the parcel's own, 80 × 80 m, in WGS 84
    parcel = client.get("/api/v1/parcels/SC-101", headers=viewer).json()
    geom = next(f["geometry"] for f in fc["features"] if f["id"] == "SC-101:idle_not_started")
    assert shape(geom).equals_exact(shape(parcel["geometry"]), 1e-7)
    before = client.get("/api/v1/supervision/map", params={"as_of": "2025-01-14"}, headers=viewer).json()
    assert before["features"] == []
