"""Project admission (准入登记): ``POST/DELETE /api/v1/projects/{id}/admission``, ``GET /projects``,
and the capacity ledger of ``/check`` and ``/recommend`` drawing admitted projects down.

The synthetic zone's 双池110kV变电站 has capacity_mva 100 and load_mva 60: 40 MVA spare. With the
ledger's power factor 0.9, project A (27 000 kW) needs 27 000 / 1000 / 0.9 = 30 MVA and fits;
project B (13 500 kW) needs 15 MVA: it fits alone (15 ≤ 40) but not after A (15 > 40 − 30 = 10).
Water: 双池岩溶水井 2000 − 1200 = 800 m³/d spare; A takes 500, B needs 200 (≤ 300 after A).
Every check in this zone says "review" (交口县第二污水处理厂 is not in the layers), so an
admission needs a reason.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.i18n import render
from tests.api_fixtures import auth

BASE = {
    "industry": "铝镁新材料",
    "branch": "铝基新材料",
    "investment_wan": 60000,
    "output_wan": 150000,
    "online_monitoring": True,
    "waste_treatment_pct": 98,
}
A = {**BASE, "name": "项目A", "land_mu": 10, "power_kw": 27000, "water_m3_per_day": 500}
B = {**BASE, "name": "项目B", "land_mu": 9, "power_kw": 13500, "water_m3_per_day": 200}
REASON = "污水由企业自建设施处理，经管委会复核同意"


def rules(result: dict) -> dict[str, dict]:
    return {r["rule"]: r for r in result["rules"]}


def check(client, parcel: str, project: dict, *, record: bool = True, lang: str = "en") -> dict:
    r = client.post(
        "/api/v1/check",
        json={"parcel_id": parcel, "project": project, "record": record, "lang": lang},
        headers=auth(client, "manager"),
    )
    assert r.status_code == 200, r.text
    return r.json()


def admit(client, project_id: int, parcels: list[str], reason: str | None = REASON, role: str = "manager"):
    body: dict = {"parcel_ids": parcels}
    if reason is not None:
        body["reason"] = reason
    return client.post(f"/api/v1/projects/{project_id}/admission", json=body, headers=auth(client, role))


def snapshot(client) -> tuple:
    """What an admission writes: admissions, admission parcels, project statuses, audit rows."""
    from app.db.models import AdmissionParcelRow, AuditEntryRow, ProjectAdmissionRow, ProjectRow

    with client.app.state.api.factory() as s:
        return (
            s.scalar(select(func.count()).select_from(ProjectAdmissionRow)),
            s.scalar(select(func.count()).select_from(AdmissionParcelRow)),
            sorted(s.execute(select(ProjectRow.id, ProjectRow.status)).all()),
            s.scalar(select(func.count()).select_from(AuditEntryRow)),
        )


def test_capacity_draws_down_as_projects_are_admitted_and_comes_back_on_revoke(client):
    a = check(client, "SC-0001", A)
    pa = rules(a)["power_capacity"]
    assert (pa["status"], pa["value"], pa["threshold"]) == ("pass", 30.0, 40.0)  # 27000/1000/0.9 ≤ 100 − 60
    assert a["verdict"] == "review"
    a_id = a["recorded"]["project_id"]

    b_alone = check(client, "SC-101", B, record=False)
    pb = rules(b_alone)["power_capacity"]
    assert (pb["status"], pb["value"], pb["threshold"]) == ("pass", 15.0, 40.0)
    assert "admitted" not in pb["message"]

    r = admit(client, a_id, ["SC-0001"])
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["status"] == "admitted"
    adm = out["admission"]
    assert (adm["park"], adm["parcel_ids"], adm["verdict"], adm["reason"], adm["admitted_by"]) == (
        "shuangchi",
        ["SC-0001"],
        "review",
        REASON,
        "manager",
    )
    assert adm["check_id"] == a["recorded"]["check_ids"][0] and adm["revoked_at"] is None

    # B after A: 15 MVA > 40 − 30 = 10 MVA spare; water 200 ≤ 800 − 500 = 300 m³/d
    b = check(client, "SC-101", B)
    by = rules(b)
    assert (by["power_capacity"]["status"], by["power_capacity"]["value"]) == ("fail", 15.0)
    assert by["power_capacity"]["threshold"] == pytest.approx(10.0)
    assert "after the 1 admitted project of the park" in by["power_capacity"]["message"]
    assert (by["water_supply"]["status"], by["water_supply"]["threshold"]) == ("pass", 300.0)
    assert b["verdict"] == "fail"
    assert "spare capacity after 1 admitted project(s)" in b["notes"]
    zh = rules(check(client, "SC-101", B, record=False, lang="zh"))["power_capacity"]["message"]
    assert "已扣除本园区 1 个已准入项目的用量" in zh
    # the recommendation sees the same ledger: no site for B while A holds 30 MVA
    r = client.post("/api/v1/recommend", json={"project": B, "lang": "en"}, headers=auth(client, "manager"))
    assert r.status_code == 200, r.text
    assert r.json()["candidates"] == []
    # B's check failed, so B cannot be admitted
    r = admit(client, b["recorded"]["project_id"], ["SC-101"])
    assert r.status_code == 409 and r.json()["reason"] == "check_failed"

    # revoke A: capacity comes back, B fits again
    r = client.delete(
        f"/api/v1/projects/{a_id}/admission", params={"reason": "企业放弃"}, headers=auth(client, "manager")
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "revoked" and r.json()["admission"] is None
    assert (
        r.json()["last_admission"]["parcel_ids"] == ["SC-0001"] and r.json()["last_admission"]["revoked_at"]
    )
    (old,) = r.json()["admissions"]
    assert (old["revoked_by"], old["revoke_reason"]) == ("manager", "企业放弃") and old["revoked_at"]
    b2 = check(client, "SC-101", B)
    p2 = rules(b2)["power_capacity"]
    assert (p2["status"], p2["threshold"]) == ("pass", 40.0)
    assert admit(client, b2["recorded"]["project_id"], ["SC-101"]).status_code == 200
    r = client.post("/api/v1/recommend", json={"project": B, "lang": "en"}, headers=auth(client, "manager"))
    assert all("SC-101" not in c["parcel_ids"] for c in r.json()["candidates"])  # taken by B now


def test_capacity_refused_at_admission_when_another_was_admitted_since_the_check(client):
    b = check(client, "SC-101", B)  # checked while the 40 MVA were free: passes the power rule
    assert rules(b)["power_capacity"]["status"] == "pass"
    a = check(client, "SC-0001", A)
    assert admit(client, a["recorded"]["project_id"], ["SC-0001"]).status_code == 200
    before = snapshot(client)
    r = admit(client, b["recorded"]["project_id"], ["SC-101"])
    assert r.status_code == 409, r.text
    body = r.json()
    assert body["reason"] == "capacity"
    assert (
        "power load 15.00 MVA > spare 10.00 MVA" in body["message_en"] and "1 admitted" in body["message_en"]
    )
    assert "用电负荷 15.00 MVA > 剩余容量 10.00 MVA" in body["message_zh"]
    assert body["message"] == body["message_zh"]  # the answer's language: Chinese unless asked otherwise
    assert snapshot(client) == before


def test_refusals_change_nothing(client):
    ok = check(client, "SC-0001", A)
    failed = check(client, "SC-0002", A)  # 天鹏冶炼 occupies it
    assert failed["verdict"] == "fail"
    before = snapshot(client)

    r = admit(client, failed["recorded"]["project_id"], ["SC-0002"])
    assert (r.status_code, r.json()["reason"]) == (409, "check_failed")
    assert "准入核查未通过" in r.json()["message_zh"] and "SC-0002" in r.json()["message"]

    for reason in (None, "   "):
        r = admit(client, ok["recorded"]["project_id"], ["SC-0001"], reason=reason)
        assert (r.status_code, r.json()["reason"]) == (409, "reason_required"), r.text
        assert "请填写准入理由" in r.json()["message_zh"]

    r = admit(client, ok["recorded"]["project_id"], ["SC-0003"])  # checked on SC-0001 only
    assert (r.status_code, r.json()["reason"]) == (409, "not_checked")
    r = admit(client, ok["recorded"]["project_id"], ["XX-1"])
    assert r.status_code == 404
    r = admit(client, 99999, ["SC-0001"])
    assert r.status_code == 404
    r = client.delete(
        f"/api/v1/projects/{ok['recorded']['project_id']}/admission", headers=auth(client, "manager")
    )
    assert (r.status_code, r.json()["reason"]) == (409, "not_admitted")
    r = client.post(
        f"/api/v1/projects/{ok['recorded']['project_id']}/admission",
        json={"reason": "x"},
        headers=auth(client, "manager"),
    )
    assert r.status_code == 422

    # 401 anonymous, 403 below manager (and nothing written)
    r = client.post(
        f"/api/v1/projects/{ok['recorded']['project_id']}/admission",
        json={"parcel_ids": ["SC-0001"], "reason": REASON},
    )
    assert r.status_code == 401 and r.headers["WWW-Authenticate"] == "Bearer"
    assert admit(client, ok["recorded"]["project_id"], ["SC-0001"], role="planner").status_code == 403
    assert client.delete(f"/api/v1/projects/{ok['recorded']['project_id']}/admission").status_code == 401
    assert (
        client.delete(
            f"/api/v1/projects/{ok['recorded']['project_id']}/admission", headers=auth(client, "viewer")
        ).status_code
        == 403
    )
    assert snapshot(client) == before


def test_a_taken_parcel_is_refused_and_fails_later_checks(client):
    first = check(client, "SC-0001", A)
    second = check(client, "SC-0001", {**B, "name": "项目C"})  # checked before A was admitted
    assert rules(second)["parcel_vacant"]["status"] == "pass"
    assert admit(client, first["recorded"]["project_id"], ["SC-0001"]).status_code == 200
    r = admit(client, first["recorded"]["project_id"], ["SC-0001"])
    assert (r.status_code, r.json()["reason"]) == (409, "already_admitted")
    before = snapshot(client)
    r = admit(client, second["recorded"]["project_id"], ["SC-0001"])
    assert (r.status_code, r.json()["reason"]) == (409, "parcel_taken")
    assert "项目A" in r.json()["message_zh"] and "已被已准入项目" in r.json()["message_zh"]
    assert snapshot(client) == before
    # a new check on the taken parcel says it is not vacant
    again = rules(check(client, "SC-0001", {**B, "name": "项目D"}, record=False, lang="zh"))["parcel_vacant"]
    assert again["status"] == "fail" and "已登记准入项目「项目A」" in again["message"]


def test_audit_rows_and_project_listing(client):
    from app.db.models import AuditEntryRow, ParcelRow, ProjectAdmissionRow

    a = check(client, "SC-0001", A)
    pid = a["recorded"]["project_id"]
    with client.app.state.api.factory() as s:
        parcel_version = s.scalar(select(ParcelRow.version).where(ParcelRow.parcel_id == "SC-0001"))
    assert admit(client, pid, ["SC-0001"]).status_code == 200
    assert (
        client.delete(f"/api/v1/projects/{pid}/admission", headers=auth(client, "admin")).status_code == 200
    )
    with client.app.state.api.factory() as s:
        log = list(
            s.scalars(
                select(AuditEntryRow)
                .where(AuditEntryRow.entity == "project", AuditEntryRow.entity_id == str(pid))
                .order_by(AuditEntryRow.id)
            )
        )
        assert [(e.action, e.user_name) for e in log] == [
            ("create", "manager"),
            ("admit", "manager"),
            ("revoke", "admin"),
        ]
        admit_entry, revoke_entry = log[1], log[2]
        assert admit_entry.before_attrs == {"status": "reviewed"}  # saved with its check
        assert admit_entry.after_attrs["status"] == "admitted"
        assert admit_entry.after_attrs["admission"]["parcel_ids"] == ["SC-0001"]
        assert admit_entry.note_zh.startswith("登记准入：SC-0001（需复核）")
        assert admit_entry.note.startswith("admitted on SC-0001 (review)")
        assert revoke_entry.after_attrs["admission"]["revoked_by"] == "admin"
        assert revoke_entry.note_zh == "撤销准入：SC-0001"
        (adm,) = s.scalars(select(ProjectAdmissionRow))
        assert [(p.parcel_code, p.parcel_id is not None) for p in adm.parcels] == [("SC-0001", True)]
        # the parcel itself is not edited: admission is not land supply
        assert s.scalar(select(ParcelRow.version).where(ParcelRow.parcel_id == "SC-0001")) == parcel_version

    # re-admission after a revoke is a new admission
    assert admit(client, pid, ["SC-0001"]).status_code == 200
    other = check(client, "SC-101", B)["recorded"]["project_id"]
    viewer = auth(client, "viewer")  # projects are read signed in (any role)
    r = client.get("/api/v1/projects", params={"status": "admitted"}, headers=viewer)
    assert r.status_code == 200
    assert [(p["id"], p["status"], p["admission"]["parcel_ids"]) for p in r.json()["projects"]] == [
        (pid, "admitted", ["SC-0001"])
    ]
    everything = client.get("/api/v1/projects", headers=viewer).json()
    assert everything["numberMatched"] == 2 and [p["id"] for p in everything["projects"]] == [other, pid]
    d = client.get(f"/api/v1/projects/{pid}", headers=viewer).json()
    assert d["name"] == "项目A" and [c["parcel_id"] for c in d["checks"]] == ["SC-0001"]
    assert [x["revoked_at"] is None for x in d["admissions"]] == [True, False]
    assert client.get("/api/v1/projects/99999", headers=viewer).status_code == 404


# --------------------------------------------------------------------------- the scoring side (no database)


def test_replay_counts_a_project_that_no_longer_fits_in_full():
    from gis.errors import ConflictError
    from tests.admission_fixtures import ledger, project

    led = ledger()  # 双池110kV变电站: 10 MVA spare in the admission fixtures
    big = project(name="A", power_kw=10800, water_m3_per_day=None)  # 10800 / 1000 / 0.9 = 12 MVA
    with pytest.raises(ConflictError):
        led.admit("shuangchi", big)
    assert led.admitted_in("shuangchi") == []
    led.admit("shuangchi", big, ["P1"], force=True)  # replaying an admission made before a cut
    assert led.supply("shuangchi", "power").spare == pytest.approx(-2.0)  # 10 − 12
    assert [a.project for a in led.admitted_in("shuangchi")] == ["A"] and led.admitted_in("shuitou") == []


def test_a_parcel_taken_by_an_admitted_project_is_not_vacant_and_not_recommended():
    from scoring.admission import check_project
    from scoring.recommend import recommend
    from tests.admission_fixtures import jiaokou, make_parcels, parcel, project

    free = make_parcels(parcel("P1")).iloc[0]
    taken = free.copy()
    taken["admitted_project"] = "项目A"
    r = check_project(jiaokou(), taken, project())
    pv = r.rule("parcel_vacant")
    assert (pv.status, render(pv.value, "en")) == ("fail", "admitted")
    assert render(pv.message, "zh") == "P1已登记准入项目「项目A」，不是空闲用地"
    assert render(pv.message, "en") == "P1 is taken by the admitted project '项目A', not vacant"
    assert check_project(jiaokou(), free, project()).rule("parcel_vacant").status == "pass"
    table = make_parcels(parcel("P1"), parcel("P2"))
    assert [
        c["parcel_ids"] for c in recommend(jiaokou(), table, project(), top=5).to_dict()["candidates"]
    ] == [["P1"], ["P2"]]
    table["admitted_project"] = ["项目A", None]
    rec = recommend(jiaokou(), table, project(), top=5)
    assert [c["parcel_ids"] for c in rec.to_dict()["candidates"]] == [["P2"]]


def test_a_check_that_needs_data_is_recorded_and_refused_at_admission(client):
    """A project that declares no 三废达标处理率 and no power load: the check says needs_data and
    names the fields (in the answer's language); it is stored as such and cannot be admitted."""
    short = {**A, "name": "缺资料项目", "waste_treatment_pct": None, "power_kw": None}
    d = check(client, "SC-0001", short, lang="zh")
    assert d["verdict"] == "needs_data" and d["missing_fields"] == ["waste_treatment_pct", "power_kw"]
    by_rule = rules(d)
    assert by_rule["waste_treatment"]["status"] == "needs_data"
    assert by_rule["waste_treatment"]["fields"] == ["waste_treatment_pct"]
    assert by_rule["waste_treatment"]["message"].endswith("请填写“三废达标处理率（%）”")
    assert by_rule["power_capacity"]["fields"] == ["power_kw"]
    assert by_rule["investment_intensity"]["fields"] == []
    before = snapshot(client)
    r = admit(client, d["recorded"]["project_id"], ["SC-0001"], reason=REASON)
    assert (r.status_code, r.json()["reason"]) == (409, "needs_data"), r.text
    assert "三废达标处理率（%）、用电负荷（kW）" in r.json()["message_zh"]
    assert "Three wastes treated to standard (%), Power load (kW)" in r.json()["message_en"]
    assert snapshot(client) == before


def test_the_routes_are_in_the_openapi_document(ro_client):
    paths = ro_client.get("/api/v1/openapi.json").json()["paths"]
    assert set(paths["/api/v1/projects/{project_id}/admission"]) == {"post", "delete"}
    assert "409" in paths["/api/v1/projects/{project_id}/admission"]["post"]["responses"]
    assert "get" in paths["/api/v1/projects"] and "get" in paths["/api/v1/projects/{project_id}"]
    schemas = ro_client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    statuses = ["pass", "needs_data", "review", "fail"]
    assert schemas["CheckResponse"]["properties"]["verdict"]["enum"] == statuses
    assert schemas["RuleOut"]["properties"]["status"]["enum"] == statuses


def test_two_admissions_racing_for_the_last_capacity_one_wins(client, fresh_db, tmp_path):
    """A (30 MVA) and B (15 MVA) each fit the 40 MVA spare, not both. Both are admitted by two
    real HTTP clients while the test holds the zone's write lock (the zone row ``FOR UPDATE`` on
    PostGIS, ``BEGIN IMMEDIATE`` on SpatiaLite), so both requests wait at the same point; when it
    is released exactly one wins and the other is refused for capacity."""
    import threading
    import time

    import httpx
    from sqlalchemy import text

    from app.api.tx import write_transaction
    from app.db.models import ProjectAdmissionRow
    from tests.test_api_concurrency import running_server, token

    ids = [
        check(client, "SC-0001", A)["recorded"]["project_id"],
        check(client, "SC-101", B)["recorded"]["project_id"],
    ]
    parcels = ["SC-0001", "SC-101"]
    answers: list[httpx.Response | None] = [None, None]
    with running_server(fresh_db, tmp_path / "race") as base:
        headers = {"Authorization": f"Bearer {token(base, 'manager')}"}

        def go(i: int) -> None:
            with httpx.Client(base_url=base, headers=headers, timeout=60) as c:
                answers[i] = c.post(
                    f"/api/v1/projects/{ids[i]}/admission",
                    json={"parcel_ids": [parcels[i]], "reason": REASON},
                )

        threads = [threading.Thread(target=go, args=(i,)) for i in range(2)]
        with write_transaction(client.app.state.api.factory) as s:
            if s.get_bind().dialect.name == "postgresql":
                s.execute(text("SELECT id FROM zones FOR UPDATE"))
            for t in threads:
                t.start()
            time.sleep(1.5)
            assert answers == [None, None]  # both wait for the lock
        for t in threads:
            t.join()
    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    assert next(a for a in answers if a.status_code == 409).json()["reason"] == "capacity"
    with client.app.state.api.factory() as s:
        assert len(list(s.scalars(select(ProjectAdmissionRow)))) == 1
