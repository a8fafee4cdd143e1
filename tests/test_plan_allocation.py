"""Allocate mode of the plan report: projects placed one after another, sharing land and capacity."""

from __future__ import annotations

import csv

import pytest
from openpyxl import load_workbook
from rich.console import Console

from app.exports.plan_report import plan_report_table, report_records, write_plan_report
from app.i18n import render, render_value, text
from scoring.plan_allocation import allocate_projects
from scoring.plan_projects import PlanProject, load_plan_projects
from scoring.plan_report import ALLOC_COLUMNS, COLUMNS, allocation_order, plan_report
from tests.admission_fixtures import ZONE_FILE, jiaokou, ledger, make_parcels, parcel, project

#: The report's headers in each language (with and without the allocation columns).
HEADERS_ZH = tuple(text(m, "zh") for _, m in COLUMNS)
HEADERS_EN = tuple(text(m, "en") for _, m in COLUMNS)
ALLOC_HEADERS_ZH = tuple(text(m, "zh") for _, m in ALLOC_COLUMNS)
ALLOC_HEADERS_EN = tuple(text(m, "en") for _, m in ALLOC_COLUMNS)


def zh(message) -> str:
    return render(message, "zh")


def en(message) -> str:
    return render(message, "en")


def plan_project(number: int, **kw) -> PlanProject:
    """A 铝基新材料 plan project: 1 亿元 investment and 1 亿元/年 output (10000 万元 each) justify
    min(10000/250, 10000/200) = 40 亩 (表9-6); it declares 20 亩."""
    base = dict(
        number=number,
        name=f"铝基项目{number}",
        summary="测试",
        group="铝镁新材料类规划项目",
        investment_yi=1,
        output_yi=1,
        phase="计划实施",
        industry="铝镁新材料",
        branch="铝基新材料",
        land_mu=20,
    )
    base.update(kw)
    return PlanProject(**base)


def two_parcels():
    """A (25 亩, score 90) and B (25 亩, score 70) in sc-almg (双池), not adjacent: for a 20 亩
    demand A ranks first (90 × 20/25 = 72 > 70 × 20/25 = 56)."""
    return make_parcels(parcel("A", mu=25, score=90, col=0), parcel("B", mu=25, score=70, col=3))


@pytest.fixture(scope="module")
def competing():
    plans = [plan_project(1), plan_project(2), plan_project(3)]
    return plan_report(jiaokou(), two_parcels(), plans, ledger=ledger(), allocate=True)


def test_independent_mode_gives_the_same_best_parcel_to_everyone():
    plans = [plan_project(1), plan_project(2), plan_project(3)]
    report = plan_report(jiaokou(), two_parcels(), plans, ledger=ledger())
    assert [r.best(1) for r in report.rows] == [["A"], ["A"], ["A"]]
    assert report.summary is None and all(r.allocation is None for r in report.rows)
    assert list(report.to_records()[0]) == [k for k, _ in COLUMNS]
    assert list(report_records(report)[0]) == list(HEADERS_ZH)


def test_first_project_gets_the_best_parcel_the_second_the_next(competing):
    a1, a2, a3 = (r.allocation for r in competing.rows)
    assert (a1.placed, a1.parcel_ids, a1.area_mu, a1.park) == (True, ("A",), 25.0, "shuangchi")
    assert (a2.placed, a2.parcel_ids, a2.area_mu) == (True, ("B",), 25.0)
    # the third finds no land left: its own best sites (A, B) went to projects 1 and 2
    assert not a3.placed and a3.cause == "land_taken" and a3.parcel_ids == ()
    assert "单独评估时的推荐地块（A、B）已分配给前序项目（1. 铝基项目1、2. 铝基项目2）" in zh(a3.reason)
    assert "its own best sites (A, B) went to earlier projects (1. 铝基项目1, 2. 铝基项目2)" in en(a3.reason)
    # the plan projects declare no power or water (nor monitoring, 三废): they need data
    assert [r.verdict for r in competing.rows] == ["needs_data", "needs_data", "fail"]
    assert competing.rows[1].best() == ["B"]  # the second project never sees A


def test_summary_totals(competing):
    s = competing.summary
    assert (s.placed, s.not_placed) == (2, 1)
    assert s.causes["placed"] == 2 and s.causes["land_taken"] == 1
    assert s.land_mu == {"shuitou": 0.0, "shuangchi": 50.0} and s.total_mu == 50.0
    allocated = [pid for r in competing.rows for pid in r.allocation.parcel_ids]
    assert sorted(allocated) == ["A", "B"]  # no parcel twice
    assert s.total_mu == sum(two_parcels().set_index("parcel_id").loc[allocated, "area_mu"])
    # plan projects declare no power or water: nothing is drawn, 双池 keeps 50 − 40 = 10 MVA spare
    power = next(c for c in s.capacity if c.park == "shuangchi" and c.service == "power")
    assert (power.spare_before, power.spare_after, power.unit) == (10.0, 10.0, "MVA")
    st_power = next(c for c in s.capacity if c.park == "shuitou" and c.service == "power")
    assert (
        st_power.spare_after is None
        and "规划设施" in zh(st_power.reason)
        and "planned" in en(st_power.reason)
    )
    rows = dict((zh(k), render_value(v, "zh")) for k, v in s.rows())
    assert rows["已分配项目"] == 2 and rows["未分配项目"] == 1 and rows["双池镇园区 分配用地（亩）"] == 50.0
    assert rows["双池镇园区 供电剩余容量（MVA）"] == 10.0 and rows["未分配：用地已被前序项目占用"] == 1
    assert rows["说明"].startswith("未扣减任何容量")
    english = dict((en(k), render_value(v, "en")) for k, v in s.rows())
    assert english["projects placed"] == 2 and english["Shuangchi park land allocated (mu)"] == 50.0


@pytest.mark.parametrize(
    "phases, expected",
    [
        # same 建设时序: 序号 decides, whatever the order of the file
        (("计划实施", "计划实施"), [(1, ("A",), 1), (2, ("B",), 2)]),
        # 计划实施 before 谋划储备 before 前期储备 (the zone file's project_phases), then 序号
        (("谋划储备", "计划实施"), [(1, ("B",), 2), (2, ("A",), 1)]),
        (("前期储备", "谋划储备"), [(1, ("B",), 2), (2, ("A",), 1)]),
        (("计划实施", "前期储备"), [(1, ("A",), 1), (2, ("B",), 2)]),
    ],
)
def test_phase_order_decides(phases, expected):
    plans = [plan_project(2, phase=phases[1]), plan_project(1, phase=phases[0])]
    report = plan_report(jiaokou(), two_parcels(), plans, ledger=ledger(), allocate=True)
    rows = sorted(report.rows, key=lambda r: r.plan.number)
    assert [(r.plan.number, r.allocation.parcel_ids, r.allocation.order) for r in rows] == expected


def test_phase_order_is_read_from_the_zone_file():
    z = jiaokou()
    assert [p.name for p in z.project_phases.order] == ["计划实施", "谋划储备", "前期储备"]
    reordered = z.model_copy(
        update={"project_phases": z.project_phases.model_copy(update={"order": z.project_phases.order[::-1]})}
    )
    plans = [plan_project(1, phase="计划实施"), plan_project(2, phase="前期储备")]
    assert allocation_order(z, plans) == [0, 1]
    assert allocation_order(reordered, plans) == [1, 0]


def test_capacity_runs_out():
    """双池 substation: 50 MVA, 40 MVA load → 10 MVA spare. Project 1 needs 8100 kW ÷ 0.9 = 9 MVA,
    project 2 4500 kW ÷ 0.9 = 5 MVA: each fits alone, but after project 1 only 1 MVA is left."""
    start = ledger()
    p1 = project(name="一号", power_kw=8100)
    p2 = project(name="二号", power_kw=4500)
    steps, summary = allocate_projects(jiaokou(), two_parcels(), [p1, p2], ledger=start)
    a1, a2 = steps[0].allocation, steps[1].allocation
    assert a1.placed and a1.parcel_ids == ("A",)
    assert a1.drawn["双池110kV变电站"] == pytest.approx(9.0) and a1.drawn_units["双池110kV变电站"] == "MVA"
    assert a1.drawn["双池岩溶水井"] == pytest.approx(500.0)  # water 500 m³/d
    assert a1.drawn["交口县第二污水处理厂"] == pytest.approx(400.0)  # 0.8 × 500 m³/d
    assert "扣减 双池110kV变电站 9 MVA" in zh(a1.reason)
    assert not a2.placed and a2.cause == "capacity"
    assert "双池镇园区供电需 5 MVA > 剩余 1 MVA" in zh(a2.reason)
    assert "power needs 5 MVA > 1 MVA spare" in en(a2.reason)
    assert steps[1].recommendation.candidates == ()  # B is free, but fails the power rule now
    assert steps[1].recommendation.closest.rule("power_capacity").status == "fail"
    # alone, project 2 is placed
    alone, _ = allocate_projects(jiaokou(), two_parcels(), [p2], ledger=start)
    assert alone[0].allocation.placed and alone[0].allocation.parcel_ids == ("A",)
    left = {(c.park, c.service): c for c in summary.capacity}
    assert left[("shuangchi", "power")].spare_before == pytest.approx(10.0)
    assert left[("shuangchi", "power")].spare_after == pytest.approx(1.0)
    assert left[("shuangchi", "water")].spare_after == pytest.approx(2000.0 - 500.0)
    assert left[("shuangchi", "wastewater")].spare_after == pytest.approx(1000.0 - 400.0)
    assert summary.land_mu["shuangchi"] == 25.0 and (summary.placed, summary.not_placed) == (1, 1)
    assert summary.causes["capacity"] == 1
    # the caller's ledger is not changed
    assert start.facilities["双池110kV变电站"].used == 40.0 and start.admitted == []


def test_no_admitting_land():
    # a 生物健康 project: sc-almg does not admit it, and there is no other parcel
    p = plan_project(1, industry="生物健康产业", branch="健康食品", name="食品")
    report = plan_report(jiaokou(), two_parcels(), [p], ledger=ledger(), allocate=True)
    a = report.rows[0].allocation
    assert not a.placed and a.cause == "no_land"
    assert zh(a.reason).startswith("未分配（无准入用地）：没有准入本项目的组团空闲地块")
    assert en(a.reason).startswith(
        "not placed (no admitting land): no vacant parcel in a cluster that admits"
    )


def test_too_big_even_alone():
    # 10 亿元 investment and output justify 400 亩; 0.8 × 400 = 320 亩 > any group of A and B
    p = plan_project(1, investment_yi=10, output_yi=10, land_mu=None)
    report = plan_report(jiaokou(), two_parcels(), [p], ledger=ledger(), allocate=True)
    a = report.rows[0].allocation
    assert not a.placed and a.cause == "rules" and "与其他项目的分配无关" in zh(a.reason)
    assert "320 亩" in zh(a.reason) and "320 mu" in en(a.reason)


def test_records_and_files(competing, tmp_path):
    recs = report_records(competing, "zh")
    assert list(recs[0]) == list(HEADERS_ZH + ALLOC_HEADERS_ZH)
    r1 = recs[0]
    assert (r1["分配结果"], r1["分配地块"], r1["分配园区"], r1["分配组团"], r1["分配面积（亩）"]) == (
        "已分配",
        "A",
        "双池镇园区",
        "铝镁新材料产业组团",
        25.0,
    )
    # 10000 万元 on 25 亩
    assert r1["分配用地投资强度（万元/亩）"] == 400.0 and r1["分配用地产出强度（万元/亩）"] == 400.0
    assert recs[2]["分配结果"] == "用地已被前序项目占用" and recs[2]["分配地块"] is None
    english = report_records(competing, "en")
    assert list(english[0]) == list(HEADERS_EN + ALLOC_HEADERS_EN)
    assert english[1]["Allocation"] == "placed" and english[1]["Allocated parcels"] == "B"
    assert english[1]["Allocated park"] == "Shuangchi park" and english[1]["Allocated area (mu)"] == 25.0

    path = write_plan_report(competing, tmp_path / "alloc.csv")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == list(HEADERS_ZH + ALLOC_HEADERS_ZH) and len(rows) == 3
    assert [r["分配地块"] for r in rows] == ["A", "B", ""]

    xlsx = write_plan_report(competing, tmp_path / "alloc.xlsx", lang="en")
    wb = load_workbook(xlsx)
    assert [c.value for c in wb["Plan projects"][1]] == list(HEADERS_EN + ALLOC_HEADERS_EN)
    summary = {r[0]: r[1] for r in wb["Summary"].iter_rows(values_only=True) if r[0]}
    assert summary["projects placed"] == 2 and summary["Shuangchi park land allocated (mu)"] == 50

    console = Console(record=True, width=220)
    console.print(plan_report_table(competing))
    text = console.export_text()
    assert "分配地块" in text and "已分配" in text and "用地已被前序项目占用" in text


def test_sample_zone_allocation_invariants():
    """Allocate mode on the bundled sample zone (real pipeline and layers): invariants only."""
    from app.commands.admission import load_context

    zone, parcels, cap = load_context(ZONE_FILE)
    report = plan_report(zone, parcels, load_plan_projects(), ledger=cap, allocate=True)
    rows = report.rows
    assert [r.plan.number for r in rows] == list(range(1, 48))  # appendix order
    allocated = [pid for r in rows for pid in r.allocation.parcel_ids]
    assert len(allocated) == len(set(allocated))  # no parcel twice
    s = report.summary
    placed = [r for r in rows if r.allocation.placed]
    assert s.placed + s.not_placed == 47 and s.placed == len(placed) > 0
    assert all(r.verdict != "fail" and r.allocation.parcel_ids for r in placed)
    assert all(not r.allocation.placed and r.allocation.cause != "placed" for r in rows if r not in placed)
    by_id = parcels.set_index(parcels["parcel_id"].astype(str))
    assert set(allocated) <= set(by_id.index)
    assert by_id.loc[allocated, "status"].astype(str).isin({"vacant", "reserved"}).all()
    assert s.total_mu == pytest.approx(float(by_id.loc[allocated, "area_mu"].sum()))
    for park in s.land_mu:
        mu = sum(r.allocation.area_mu for r in placed if r.allocation.park == park)
        assert s.land_mu[park] == pytest.approx(mu)
    # no allocation's net buildable area (what the project is granted: river control zones and
    # steep land deducted, scoring.land) exceeds its project's justified area
    net = by_id["area_mu"] * by_id["buildable_share"]
    assert all(float(net[list(r.allocation.parcel_ids)].sum()) <= r.max_justified_mu + 1e-6 for r in placed)


def test_xlsx_colours_the_allocation_column(competing, tmp_path):
    wb = load_workbook(write_plan_report(competing, tmp_path / "alloc.xlsx"))
    ws = wb["规划项目选址"]
    col = list(HEADERS_ZH + ALLOC_HEADERS_ZH).index("分配结果")
    assert [ws[i][col].value for i in (2, 3, 4)] == ["已分配", "已分配", "用地已被前序项目占用"]
    assert ws[2][col].fill.fgColor.rgb.endswith("C6EFCE") and ws[4][col].fill.fgColor.rgb.endswith("FFC7CE")
    summary = [list(r) for r in wb["汇总"].iter_rows(values_only=True)]
    assert summary[1:5] == [["通过", 0], ["需补充资料", 2], ["需复核", 0], ["不通过", 1]]
    why = [list(r) for r in wb["原因"].iter_rows(values_only=True)]
    assert why[0][:2] == ["不通过", 1] and why[1][:2] == ["需补充资料", 2]
    assert ["已分配项目", 2] in summary and ["合计分配用地（亩）", 50] in summary
