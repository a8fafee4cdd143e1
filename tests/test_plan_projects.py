"""The plan's 47 appendix projects as data, and the plan report that places them."""

from __future__ import annotations

import csv
from collections import Counter

import pytest
import typer
import yaml
from openpyxl import load_workbook
from rich.console import Console
from typer.testing import CliRunner

from app.exports.plan_report import plan_report_table, report_records, write_plan_report
from app.i18n import render, text
from gis.errors import InputFileError, SchemaError
from scoring.admission import justified_area
from scoring.industry import classify_industry
from scoring.plan_projects import PLAN_PROJECTS_FILE, load_plan_projects
from scoring.plan_report import COLUMNS, plan_report
from tests.admission_fixtures import jiaokou, layers, ledger, make_parcels, parcel, write_zone_with_layers

#: The report's headers in Chinese.
HEADERS_ZH = tuple(text(m, "zh") for _, m in COLUMNS)


@pytest.fixture(scope="module")
def plan():
    return {p.number: p for p in load_plan_projects()}


def test_all_47_projects(plan):
    assert sorted(plan) == list(range(1, 48))
    assert Counter(p.group for p in plan.values()) == {
        "铝镁新材料类规划项目": 8,
        "智能制造类规划项目": 7,
        "新能源产业类规划项目": 11,
        "生物健康产业类规划项目": 4,
        "高技术产业（制造业）类规划项目": 5,
        "资源综合利用规划项目": 5,
        "现代物流规划项目": 3,
        "高技术服务业规划项目": 2,
        "商贸服务规划项目": 2,
    }
    assert Counter(p.phase for p in plan.values()) == {"计划实施": 25, "谋划储备": 16, "前期储备": 6}
    assert sum(p.investment_yi for p in plan.values()) == pytest.approx(620.45)
    assert sum(p.output_yi for p in plan.values()) == pytest.approx(702.65)


@pytest.mark.parametrize(
    "number, name, investment_yi, output_yi, phase, industry, branch",
    [
        (1, "年产10万吨铝基新材料项目", 6, 15, "计划实施", "铝镁新材料", "铝基新材料"),
        (3, "50万吨/年电解铝生产项目", 33, 30, "计划实施", "其它国家鼓励发展的产业项目", None),
        (4, "年产10万吨镁铝合金生产项目", 200, 85, "计划实施", "铝镁新材料", "镁基新材料（含镁铝合金）"),
        (6, "锂电隔膜涂敷用微纳米高纯氧化铝产业化项目", 0.25, 0.5, "谋划储备", "铝镁新材料", "铝基新材料"),
        (19, "交口县抽水蓄能电站项目", 55, 60, "计划实施", "新能源产业", "“新能源+储能”"),
        (22, "2MW新型变桨式风力发电机", 180, 250, "计划实施", "新能源产业", "新能源装备制造"),
        (25, "轴承制造生产项目", 2, 3, "谋划储备", "智能制造产业", "高性能通用零部件"),
        (28, "绿色健康食品深加工项目", 0.4, 0.7, "前期储备", "生物健康产业", "健康食品"),
        (42, "大型集中式仓储设施建设项目", 0.6, 0.15, "计划实施", "现代服务业", "现代物流"),
        (47, "双池商业综合体建设项目", 1.5, 3, "谋划储备", "现代服务业", "商贸服务"),
    ],
)
def test_exact_figures(plan, number, name, investment_yi, output_yi, phase, industry, branch):
    p = plan[number]
    assert (p.name, p.investment_yi, p.output_yi, p.phase, p.industry, p.branch) == (
        name,
        investment_yi,
        output_yi,
        phase,
        industry,
        branch,
    )


def test_conversion_to_wan(plan):
    assert (plan[1].investment_wan, plan[1].output_wan) == (60000.0, 150000.0)
    assert (plan[6].investment_wan, plan[6].output_wan) == (2500.0, 5000.0)
    assert (plan[2].investment_wan, plan[2].output_wan) == (16000.0, 23000.0)
    p = plan[25].to_project()
    assert p.name == "25. 轴承制造生产项目" and p.land_mu == 45 and p.power_kw is None


def test_project_1_justifies_240_mu(plan):
    ja = justified_area(jiaokou(), plan[1].to_project())
    assert ja.mu == pytest.approx(240.0)  # min(60000/250, 150000/200)
    assert render(ja.basis, "zh") == "表9-6 铝镁新材料产业"
    assert render(ja.basis, "en") == "Table 9-6, Al-Mg new materials"


def test_every_project_classifies_and_catch_alls_have_notes(plan):
    kinds = {n: classify_industry(jiaokou(), p.to_project()).kind for n, p in plan.items()}
    assert [n for n, k in kinds.items() if k == "encouraged"] == [3, 8, 12, 31, 37, 38, 39]
    assert set(kinds.values()) == {"listed", "encouraged"}
    for n in (3, 8, 12, 31, 37, 38, 39):
        assert plan[n].note and plan[n].encouraged_description


def test_bad_plan_files(tmp_path):
    with pytest.raises(InputFileError):
        load_plan_projects(tmp_path / "none.yaml")
    data = yaml.safe_load(PLAN_PROJECTS_FILE.read_text(encoding="utf-8"))
    data["projects"][1]["number"] = 1
    (tmp_path / "dup.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(SchemaError, match=r"repeated: \[1\]"):
        load_plan_projects(tmp_path / "dup.yaml")
    data["projects"][1]["number"] = 2
    data["projects"][4]["investment_yi"] = -1.7
    (tmp_path / "neg.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(SchemaError, match=r"projects\[4\] \(number 5\).*investment_yi"):
        load_plan_projects(tmp_path / "neg.yaml")


# --------------------------------------------------------------------------- the report


def report_parcels():
    return make_parcels(
        parcel("AL-1", mu=200, score=75, cluster="sc-almg", col=0),
        parcel("AL-2", mu=300, score=90, cluster="sc-almg", col=2),
        parcel("RS-1", mu=50, score=60, cluster="sc-reserve", col=4),
        parcel("BIO-1", mu=12, score=70, cluster="sc-bio", col=6),
        parcel("EX-1", mu=15, score=90, cluster="sc-bio", col=8, status="existing", enterprise="某企业"),
    )


@pytest.fixture(scope="module")
def report(plan):
    return plan_report(jiaokou(), report_parcels(), list(plan.values()), ledger=ledger())


def test_plan_report_rows(report):
    rows = {r.plan.number: r for r in report.rows}
    assert len(rows) == 47
    # №1: justifies 240 亩, demand 0.8 × 240 = 192; AL-1 (200) fits, AL-2 (300) is too large
    r1 = rows[1]
    assert r1.max_justified_mu == pytest.approx(240.0) and r1.best() == ["AL-1"]
    assert r1.verdict == "needs_data"  # monitoring, 三废, power, water are not in the plan
    # №8 (catch-all, 表6-1 reference 200/300): min(12000/200, 18000/300) = 60, demand 48 → RS-1 (50)
    assert rows[8].max_justified_mu == pytest.approx(60.0) and rows[8].best() == ["RS-1"]
    # №28 生物健康 280/330: min(4000/280, 7000/330) = 14.29, demand 11.43 → BIO-1 (12)
    assert rows[28].max_justified_mu == pytest.approx(4000 / 280) and rows[28].best() == ["BIO-1"]
    # №4: min(2000000/250, 850000/200) = 4250 亩 — no site is that large
    r4 = rows[4]
    assert r4.max_justified_mu == pytest.approx(4250.0) and r4.verdict == "fail" and r4.best() == []
    assert "3400 亩" in render(r4.reason, "zh") and "最接近的地块 AL-2" in render(r4.reason, "zh")
    assert "nearest miss AL-2" in render(r4.reason, "en") and "亩" not in render(r4.reason, "en")
    # №25 declares 45 亩 (占地45亩): 智能制造 220/280 justifies min(20000/220, 30000/280) = 90.91;
    # its cluster has no parcel, but 产业备用地 RS-1 (50 亩) takes listed projects under review
    assert rows[25].recommendation.demand_mu == 45 and rows[25].best() == ["RS-1"]
    assert rows[25].recommendation.candidates[0].check.rule("cluster").status == "review"
    # №2: 64 亩 justified (16000/250), demand 51.2 > RS-1's 50 亩 and AL-1/AL-2 are too large
    assert rows[2].verdict == "fail" and "最接近的地块 RS-1 面积 50 亩 < 需求 51.2 亩" in render(
        rows[2].reason, "zh"
    )
    # №39 (catch-all): min(10000/200, 15000/300) = 50 → RS-1 exactly
    assert rows[39].best() == ["RS-1"]
    assert report.counts() == {"pass": 0, "review": 0, "needs_data": 5, "fail": 42}
    assert sorted(n for n, r in rows.items() if r.verdict == "needs_data") == [1, 8, 25, 28, 39]


def test_write_csv_and_xlsx(report, tmp_path):
    path = write_plan_report(report, tmp_path / "out" / "plan.csv")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == list(HEADERS_ZH) and len(rows) == 47
    assert (
        rows[0]["序号"] == "1" and rows[0]["投资（亿元）"] == "6.0" and rows[0]["投资（万元）"] == "60000.0"
    )
    assert rows[0]["最大可支撑用地（亩）"] == "240.0" and rows[0]["推荐地块/组合"] == "AL-1"
    assert rows[0]["结论"] == "需补充资料" and rows[3]["结论"] == "不通过"

    xlsx = write_plan_report(report, tmp_path / "plan.xlsx")
    wb = load_workbook(xlsx)
    ws = wb["规划项目选址"]
    assert [c.value for c in ws[1]] == list(HEADERS_ZH)
    assert ws.max_row == 48
    assert [c.value for c in ws[5]][:3] == [4, "年产10万吨镁铝合金生产项目", "铝镁新材料类规划项目"]
    verdict_col = HEADERS_ZH.index("结论")
    assert ws[5][verdict_col].value == "不通过" and ws[5][verdict_col].fill.fgColor.rgb.endswith("FFC7CE")
    assert [[c.value for c in r] for r in wb["汇总"].iter_rows()] == [
        ["区划", "jiaokou"],
        ["通过", 0],
        ["需补充资料", 5],
        ["需复核", 0],
        ["不通过", 42],
    ]
    with pytest.raises(InputFileError, match="unknown report format"):
        write_plan_report(report, tmp_path / "plan.ods")


def test_english_records_and_rich_table(report):
    rec = report.to_records()[0]  # by column key, texts as messages
    assert (
        rec["number"] == 1
        and rec["max_justified_mu"] == 240.0
        and render(rec["verdict"], "en") == "needs data"
    )
    english = report_records(report, "en")[0]
    assert (
        english["No."] == 1
        and english["Verdict"] == "needs data"
        and english["Phase"] == "planned for implementation"
    )
    console = Console(record=True, width=220)
    console.print(plan_report_table(report))
    text = console.export_text()
    assert "年产10万吨铝基新材料项目" in text and "AL-1" in text and "4250" in text


def test_cli_plan_report(tmp_path, monkeypatch):
    from app.commands.admission import register
    from app.scoring_io import cache as scored_cache

    zone_file = write_zone_with_layers(tmp_path, *layers())
    monkeypatch.setattr(scored_cache, "load_scored_parcels", lambda zf: report_parcels())
    app = typer.Typer()
    register(app)
    out = tmp_path / "report.xlsx"
    res = CliRunner().invoke(
        app, ["plan-report", "--zone", str(zone_file), "--out", str(out)], env={"COLUMNS": "200"}
    )
    assert res.exit_code == 0, res.output
    assert out.is_file() and load_workbook(out)["规划项目选址"].max_row == 48
    assert "通过 0，需补充资料 5，需复核 0，不通过 42" in res.output
    res = CliRunner().invoke(app, ["plan-report", "--zone", str(zone_file), "--out", str(tmp_path / "r.txt")])
    assert res.exit_code != 0


# --------------------------------------------------------------------------- allocate mode


def test_plan_report_allocate(plan):
    report = plan_report(jiaokou(), report_parcels(), list(plan.values()), ledger=ledger(), allocate=True)
    rows = {r.plan.number: r for r in report.rows}
    placed = {n: r.allocation.parcel_ids for n, r in rows.items() if r.allocation.placed}
    # №1 takes AL-1 (200 亩), №8 RS-1 (50 亩), №28 BIO-1 (12 亩); №25 and №39 found RS-1 alone
    # (independent report) but №8 got it first; AL-2 (300 亩) exceeds every admitted project's
    # justified area; EX-1 is not vacant
    assert placed == {1: ("AL-1",), 8: ("RS-1",), 28: ("BIO-1",)}
    for n in (25, 39):
        a = rows[n].allocation
        assert (
            a.cause == "land_taken"
            and "（RS-1）已分配给前序项目（8. 年产10万吨高端耐火材料项目）" in render(a.reason, "zh")
        )
    assert rows[2].allocation.cause == "rules"  # 51.2 亩 > RS-1 even alone
    s = report.summary
    assert (s.placed, s.not_placed) == (3, 44) and s.land_mu == {"shuitou": 0.0, "shuangchi": 262.0}
    assert report.counts() == {"pass": 0, "review": 0, "needs_data": 3, "fail": 44}


def test_cli_plan_report_allocate(tmp_path, monkeypatch):
    from app.commands.admission import register
    from app.scoring_io import cache as scored_cache

    zone_file = write_zone_with_layers(tmp_path, *layers())
    monkeypatch.setattr(scored_cache, "load_scored_parcels", lambda zf: report_parcels())
    app = typer.Typer()
    register(app)
    out = tmp_path / "alloc.csv"
    res = CliRunner().invoke(
        app,
        ["plan-report", "--zone", str(zone_file), "--out", str(out), "--allocate"],
        env={"COLUMNS": "250"},
    )
    assert res.exit_code == 0, res.output
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 47 and "分配地块" in rows[0] and "分配面积（亩）" in rows[0]
    assert [(r["序号"], r["分配地块"], r["分配面积（亩）"]) for r in rows if r["分配结果"] == "已分配"] == [
        ("1", "AL-1", "200.0"),
        ("8", "RS-1", "50.0"),
        ("28", "BIO-1", "12.0"),
    ]
    assert "已分配项目：3" in res.output and "双池镇园区 分配用地（亩）：262.0" in res.output
    res = CliRunner().invoke(
        app,
        [
            "plan-report",
            "--zone",
            str(zone_file),
            "--out",
            str(tmp_path / "a.csv"),
            "--allocate",
            "--lang",
            "en",
        ],
        env={"COLUMNS": "250"},
    )
    assert res.exit_code == 0, res.output
    with (tmp_path / "a.csv").open(encoding="utf-8-sig", newline="") as fh:
        assert next(csv.DictReader(fh))["Allocated parcels"] == "AL-1"
    assert "projects placed: 3" in res.output
    # without --allocate the CSV has no allocation columns
    res = CliRunner().invoke(app, ["plan-report", "--zone", str(zone_file), "--out", str(tmp_path / "b.csv")])
    assert res.exit_code == 0, res.output
    with (tmp_path / "b.csv").open(encoding="utf-8-sig", newline="") as fh:
        assert list(next(csv.DictReader(fh))) == list(HEADERS_ZH)
