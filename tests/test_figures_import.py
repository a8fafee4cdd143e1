"""``parksite figures import`` and ``parksite evaluate`` on the database (SpatiaLite and PostGIS):
a bad row is refused with its row and column and nothing is written; a good file is written,
audited, and evaluated from the database like the file alone; ``evaluate --figures`` needs no
database and prints the JSON of the issue."""

from __future__ import annotations

import json
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import func, select
from typer.testing import CliRunner

from app.cli import cli
from app.commands.lang import error_line
from app.db.models import AuditEntryRow, EnterpriseRow, EnterpriseYearlyRow

ZONE_FILE = "data/zones/jiaokou.yaml"
HEAD_ZH = "企业名称,用地面积（亩）,税收（万元）,工业增加值（万元）,综合能耗（吨标准煤）,用电量（万千瓦时）,规模,投产年份,行业类型"
HEAD_EN = "enterprise,land_mu,tax_wan,value_added_wan,energy_tce,power_10k_kwh,scale,producing_year,kind"
# 规下 only (亩均税收 50 + 单位电耗税收 50, benchmarks 2 × the zone's value of the year):
# zone tax/亩 = (40 + 20) / (10 + 20) = 2 → benchmark 4; zone tax/power = 60 / (20 + 20) = 1.5 → 3.
# 甲: 4/4 → 50 + (40/20)/3 → 33.33 = 83.33; 乙: 1/4 → 12.5 + (20/20)/3 → 16.67 = 29.17.
GOOD = "\n".join(
    [HEAD_EN, "甲,10,40,,,20,below,2015,", "乙,20,20,,,20,below,2016,", "丙,5,1,,,1,below,2024,"]
)


def _run(*args: str):
    return CliRunner().invoke(cli, list(args))


def _enterprises(zone_db, *names: str) -> None:
    with zone_db.begin() as s:
        for n in names:
            s.add(EnterpriseRow(zone_id="jiaokou", name=n, attrs={}))


def _count(zone_db) -> int:
    with zone_db() as s:
        return s.scalar(select(func.count()).select_from(EnterpriseYearlyRow))


def test_bad_rows_are_refused_with_row_and_column_and_nothing_is_written(zone_db, db_url, tmp_path: Path):
    _enterprises(zone_db, "甲", "乙")
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "\n".join([HEAD_ZH, "甲,10,40,,,20,规下,2015,", "乙,20,二十,,,20,规下,2016,"]), encoding="utf-8"
    )
    r = _run("--lang", "en", "figures", "import", str(bad), "--year", "2025", "--database-url", db_url)
    assert r.exit_code != 0
    assert "row 3, column “税收（万元）”: “二十” is not a number" in error_line(r.exception, "en")
    assert _count(zone_db) == 0
    unknown = tmp_path / "unknown.csv"
    unknown.write_text(
        "\n".join([HEAD_ZH, "甲,10,40,,,20,规下,2015,", "丁,20,20,,,20,规下,2016,"]), encoding="utf-8"
    )
    r = _run("figures", "import", str(unknown), "--year", "2025", "--database-url", db_url)
    assert r.exit_code != 0
    assert "第 3 行，“企业名称”列：本开发区没有企业“丁”" in error_line(r.exception, "zh")
    assert _count(zone_db) == 0  # 甲's good row was not written either


def test_import_then_evaluate_from_the_database(zone_db, db_url, tmp_path: Path):
    _enterprises(zone_db, "甲", "乙", "丙")
    good = tmp_path / "good.csv"
    good.write_text(GOOD, encoding="utf-8")
    r = _run("--lang", "en", "figures", "import", str(good), "--year", "2025", "--database-url", db_url)
    assert r.exit_code == 0, r.output
    assert "imported the 2025 figures of 3 enterprises (3 new, 0 updated)" in r.output
    assert _count(zone_db) == 3
    with zone_db() as s:
        row = s.scalars(select(EnterpriseYearlyRow).where(EnterpriseYearlyRow.tax_wan == 40)).one()
        assert (row.year, row.land_mu, row.power_10k_kwh, row.scale, row.producing_year) == (
            2025,
            10,
            20,
            "below",
            2015,
        )
        audit = s.scalars(select(AuditEntryRow).where(AuditEntryRow.entity == "enterprise_yearly")).one()
        assert audit.after_attrs["added"] == 3
    r = _run("figures", "import", str(good), "--year", "2025", "--database-url", db_url)
    assert r.exit_code == 0 and "更新 3" in r.output and _count(zone_db) == 3
    r = _run("evaluate", "--year", "2025", "--json", "--zone", ZONE_FILE, "--database-url", db_url)
    assert r.exit_code == 0, r.output
    from_db = json.loads(r.output)
    r = _run("evaluate", "--year", "2025", "--json", "--zone", ZONE_FILE, "--figures", str(good))
    assert r.exit_code == 0, r.output
    assert json.loads(r.output) == from_db
    got = {e["name"]: e for e in from_db["enterprises"]}
    assert (got["甲"]["score"], got["甲"]["rank"], got["甲"]["class"]) == (83.33, 1, "A")
    assert (got["乙"]["score"], got["乙"]["rank"], got["乙"]["class"]) == (29.17, 2, "B")
    assert got["丙"]["class"] == "T" and got["丙"]["rank"] is None  # producing since 2024 < 2 years


def test_evaluate_a_file_alone_json_and_workbook(tmp_path: Path):
    good = tmp_path / "good.csv"
    good.write_text(GOOD, encoding="utf-8")
    out = tmp_path / "eval.xlsx"
    r = _run(
        "evaluate",
        "--year",
        "2025",
        "--figures",
        str(good),
        "--zone",
        ZONE_FILE,
        "--json",
        "--xlsx",
        str(out),
    )
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert {"year", "method", "enterprises"} <= set(data) and data["year"] == 2025
    assert data["illustrative"] is False
    assert {"indicators", "classes"} <= set(data["method"])
    ind = data["method"]["indicators"][0]
    assert {"id", "name", "weight", "benchmark", "cap", "unit"} <= set(ind)
    e = data["enterprises"][0]
    assert {"name", "scope", "score", "rank", "class", "items"} <= set(e)
    assert e["items"]["tax_per_mu"] == {"value": 4.0, "benchmark": 4.0, "weight": 50.0, "points": 50.0}
    wb = load_workbook(out)
    assert wb.sheetnames == ["规上企业", "规下企业", "D类名单", "未参评企业", "评价方法"]
    rows = list(wb["规下企业"].iter_rows(values_only=True))
    head = rows[0]
    assert (
        head[0] == "企业名称" and "亩均税收（万元/亩）" in head and head[-3:] == ("综合得分", "排名", "类别")
    )
    first = dict(zip(head, rows[1], strict=True))
    assert first["企业名称"] == "甲" and first["综合得分"] == 83.33 and first["类别"] == "A"
    assert first["亩均税收 得分"] == 50


def test_zone_report_cli(zone_db, db_url, tmp_path: Path):
    _enterprises(zone_db, "甲", "乙", "丙")
    good = tmp_path / "good.csv"
    good.write_text(GOOD, encoding="utf-8")
    assert _run("figures", "import", str(good), "--year", "2025", "--database-url", db_url).exit_code == 0
    r = _run(
        "zone-report",
        "--year",
        "2025",
        "--json",
        "--zone",
        ZONE_FILE,
        "--database-url",
        db_url,
        "--lang",
        "en",
    )
    assert r.exit_code == 0, r.output
    rep = json.loads(r.output)
    assert {"year", "areas", "progress", "targets_year", "baseline_year"} <= set(rep)
    assert [a["id"] for a in rep["areas"]] == ["shuitou", "shuangchi", "zone"]
    zone = next(a for a in rep["areas"] if a["id"] == "zone")
    # The small zone: SC-0002 (100 m × 100 m = 15 亩, M3, 天鹏冶炼) is the only occupied parcel.
    assert zone["inputs"]["built_mu"] == 15 and zone["inputs"]["industrial_built_mu"] == 15
    ind = {i["id"]: i for i in zone["indicators"]}
    assert ind["industrial_share"]["value"] == 100
    # 甲, 乙, 丙 occupy no parcel: no tax on industrial land to report.
    assert ind["industrial_tax"]["value"] is None and ind["industrial_tax"]["no_data"].startswith("no data")
    progress = {p["id"]: p for p in rep["progress"]}
    assert progress["tax_total"]["current"] == 0.0061  # (40 + 20 + 1) 万元
    assert progress["developed_mu"]["current"] == 15 and progress["developed_mu"]["baseline"] == 1092
    r = _run("zone-report", "--year", "2025", "--zone", ZONE_FILE, "--database-url", db_url)
    assert r.exit_code == 0 and "工业用地率" in r.output and "表6-1" in r.output


def test_evaluate_reads_an_xlsx_with_chinese_headers(tmp_path: Path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(HEAD_ZH.split(","))
    for line in GOOD.splitlines()[1:]:
        ws.append([None if c == "" else c for c in line.split(",")])
    path = tmp_path / "figures.xlsx"
    wb.save(path)
    r = _run("evaluate", "--year", "2025", "--figures", str(path), "--zone", ZONE_FILE, "--json")
    assert r.exit_code == 0, r.output
    got = {e["name"]: e for e in json.loads(r.output)["enterprises"]}
    assert (got["甲"]["score"], got["乙"]["score"]) == (83.33, 29.17)  # as from the CSV
