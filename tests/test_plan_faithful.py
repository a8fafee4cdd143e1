"""The plan's own projects, faithfully: the zone file says what 表8-1 and 表9-6 say (and marks what
is its own judgement or illustrative), the plan's projects keep to the park they name, they are
placed in the plan's 建设时序, and the plan report counts and explains its verdicts.
"""

from __future__ import annotations

from collections import Counter

import pytest

from app.i18n import render
from scoring.admission import check_project
from scoring.industry import classify_industry
from scoring.plan_projects import load_plan_projects
from scoring.plan_report import plan_report
from scoring.rules_plan import cluster_admits
from tests.admission_fixtures import ZONE_FILE, jiaokou, ledger, make_parcels, parcel


@pytest.fixture(scope="module")
def plan():
    return {p.number: p for p in load_plan_projects()}


# --------------------------------------------------------------------------- the zone file


@pytest.mark.parametrize(
    "number, admitting",
    [
        # 3D打印: 表8-1 names it in the 高技术产业（制造业）组团 and the 综合服务组团
        (31, {"st-hitech", "sc-service", "sc-reserve"}),
        # 固废综合利用 and 绿色环保型包装材料: 表8-1 names them in the 智能制造及资源综合利用组团
        (37, {"sc-smart", "sc-reserve"}),
        (38, {"sc-smart", "sc-reserve"}),
        # a catch-all project 表8-1 does not name anywhere: only 产业备用地 (under review)
        (39, {"sc-reserve"}),
    ],
)
def test_catch_all_projects_named_by_table_8_1(plan, number, admitting):
    z = jiaokou()
    cls = classify_industry(z, plan[number].to_project())
    assert cls.kind == "encouraged"
    assert {c.id for _, c in z.clusters() if cluster_admits(z, c, cls) != "fail"} == admitting
    named = {c.id for _, c in z.clusters() if cluster_admits(z, c, cls) == "pass"}
    assert named == admitting - {"sc-reserve"}


def test_admissions_say_whose_judgement_they_are():
    z = jiaokou()
    for _, cl in z.clusters():
        for a in cl.admits or []:
            assert a.basis in {"plan", "parksite"}, (cl.id, a.industry)
            assert (a.basis == "parksite") == bool(a.note), (cl.id, a.industry)
    # a check on a cluster admitting by 表8-1 says so; one admitting by the zone file's reading too
    r = check_project(
        jiaokou(),
        make_parcels(parcel("P", cluster="st-almg")).iloc[0],
        _project(branch="镁基新材料（含镁铝合金）"),
        ledger(),
    )
    assert render(r.rule("cluster").message, "zh").endswith("（依据表8-1）")
    r = check_project(jiaokou(), make_parcels(parcel("P", cluster="st-almg")).iloc[0], _project(), ledger())
    cl = r.rule("cluster")
    assert cl.status == "pass"
    assert "本系统判断，非表8-1：表8-1的“镁铝新材料”读作包括铝基新材料" in render(cl.message, "zh")
    assert render(cl.source, "zh").endswith("本系统判断（非表8-1）")
    assert "parksite's judgement" in render(cl.source, "en")


def test_table_9_6_water_energy_norm_on_every_row():
    rows = jiaokou().admission
    assert len(rows) == 7
    for row in rows:
        assert row.water_energy and row.water_energy.startswith(
            "根据实际生产工艺及产品参考相关行业规范条件、清洁生产标准指南等"
        ), row.industry


def test_facilities_the_plan_does_not_name_are_illustrative():
    z = jiaokou()
    flags = {f.name: f.illustrative for p in z.parks for f in p.services.facilities}
    assert flags == {
        "水头110kV变电站": True,
        "西山水库": True,
        "双池110kV变电站": False,
        "双池岩溶水井": True,
        "交口县第二污水处理厂": False,
    }
    assert all(z.facility(n).note and z.facility(n).note_en for n, ill in flags.items() if ill)
    # every service the zone file names is listed with its flag
    named = {
        n
        for p in z.parks
        for n in [p.services.substation, p.services.wastewater_plant, *p.services.water]
        if n is not None
    }
    assert named == set(flags)


def test_capacity_messages_mark_illustrative_facilities():
    r = check_project(jiaokou(), make_parcels(parcel("P")).iloc[0], _project(), ledger())
    assert "双池岩溶水井（示意设施，规划未列出）" in render(r.rule("water_supply").message, "zh")
    assert "双池岩溶水井 (illustrative facility, not named by the plan)" in render(
        r.rule("water_supply").message, "en"
    )
    assert "示意" not in render(r.rule("power_capacity").message, "zh")  # 双池110kV变电站 is the plan's


def _project(**kw):
    from tests.admission_fixtures import project

    return project(**kw)


# --------------------------------------------------------------------------- the 47 projects


def test_plan_projects_name_their_parks(plan):
    assert {n: p.park for n, p in plan.items() if p.park} == {30: "shuitou", 46: "shuitou", 47: "shuangchi"}
    assert Counter(p.phase for p in plan.values()) == {"计划实施": 25, "谋划储备": 16, "前期储备": 6}


@pytest.fixture(scope="module")
def sample():
    """The bundled sample zone, scored from its files (no database)."""
    from app.commands.admission import load_context

    return load_context(ZONE_FILE)


def test_sample_plan_report_counts_and_parks(sample):
    zone, parcels, cap = sample
    report = plan_report(zone, parcels, load_plan_projects(), ledger=cap)
    counts = report.counts()
    assert set(counts) == {"pass", "review", "needs_data", "fail"}
    assert sum(counts.values()) == 47
    assert counts == {s: sum(r.verdict == s for r in report.rows) for s in counts}
    # the grouped reasons cover every project that does not pass, once
    groups = report.reasons()
    covered = [n for g in groups for n in g.numbers]
    assert sorted(covered) == sorted(r.plan.number for r in report.rows if r.verdict != "pass")
    for g in groups:
        assert counts[g.verdict] >= len(g.numbers)
        assert render(g.message(), "zh") and render(g.message(), "en")
    # every pass or needs_data project is on land in the park it names
    parks = {p.number: p.park for p in load_plan_projects()}
    for r in report.rows:
        if r.verdict in {"pass", "needs_data"}:
            assert r.park is not None
            if parks[r.plan.number]:
                assert r.park == parks[r.plan.number], r.plan.number
                assert all(c.park == parks[r.plan.number] for c in r.recommendation.candidates)
    rows = {r.plan.number: r for r in report.rows}
    assert rows[47].verdict == "needs_data" and rows[47].park == "shuangchi"
    # №46 names 水头: only the 公共服务中心 admits 商贸服务 there and the sample has no vacant land in it
    assert rows[46].verdict == "fail" and rows[46].recommendation.closest.rule("park").status == "pass"
    # №31 (3D打印) is recommended in a cluster 表8-1 names for it before 产业备用地
    assert rows[31].recommendation.candidates[0].cluster in {"st-hitech", "sc-service"}


def test_sample_allocation_follows_the_plans_phases(sample):
    zone, parcels, cap = sample
    plans = load_plan_projects()
    report = plan_report(zone, parcels, plans, ledger=cap, allocate=True)
    rank = {"计划实施": 0, "谋划储备": 1, "前期储备": 2}
    order = sorted(report.rows, key=lambda r: r.allocation.order)
    assert [r.allocation.order for r in order] == list(range(1, 48))
    assert [(rank[r.plan.phase], r.plan.number) for r in order] == sorted(
        (rank[p.phase], p.number) for p in plans
    )
    named = {p.number: p.park for p in plans if p.park}
    for r in report.rows:
        if r.allocation.placed and r.plan.number in named:
            assert r.allocation.park == named[r.plan.number]
