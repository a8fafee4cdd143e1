"""The 亩均效益评价结果 (app/reports/evaluation.py): ``parksite report evaluation`` for the sample
zone's illustrative figures, and ``GET /api/v1/reports/evaluation/{year}.pdf`` on the synthetic
zone of tests/api_fixtures.py (SpatiaLite and PostGIS), read back with pdftotext / pdfplumber:
the method with its sources, every enterprise's class row, the D list and policies, the counts,
the map by class and the chart. First pages written as PNGs to tests/_artifacts/screenshots/."""

from __future__ import annotations

import re

import pytest
import typer

from tests.api_fixtures import auth
from tests.report_sample_db import report_app, run_report
from tests.test_report_parcel import SHOTS, first_page_png, needs_poppler, pages_with_images, pdf_text


@pytest.fixture(scope="module")
def cli() -> typer.Typer:
    return report_app()


def run(cli, *args):
    return run_report(cli, "evaluation", *args)


@pytest.fixture(scope="module")
def sample_eval(sample_db):
    """The sample's evaluation of 2025 as the database gives it."""
    from sqlalchemy import create_engine

    from app.api.store import served_zone
    from app.db.engine import session_factory
    from app.scoring_io.evaluation import evaluation_in_db
    from app.settings import DEFAULT_ZONE_FILE, Settings

    engine = create_engine(sample_db)
    try:
        with session_factory(engine)() as s:
            return evaluation_in_db(s, served_zone(s, Settings()).id, DEFAULT_ZONE_FILE, 2025)
    finally:
        engine.dispose()


@needs_poppler
def test_evaluation_report_of_the_sample_zone(cli, sample_db, sample_eval, tmp_path):
    out = tmp_path / "eval.pdf"
    res = run(cli, "--year", 2025, "--database-url", sample_db, "--out", out, "--date", "2026-03-02")
    assert res.exit_code == 0, res.output
    txt = pdf_text(out)
    flat = re.sub(r"\s+", "", txt)
    counts = sample_eval.class_counts()
    for want in (
        "2025年度亩均效益评价结果",
        "交口经济技术开发区",
        "2026-03-02",
        "parksite示例数据（虚构，示意）",  # the sample's figures are said to be invented
        "二、评价方法",
        "亩均税收",
        "单位电耗税收",
        "浙政发〔2018〕5号",  # the method's sources
        "本系统默认值",
        "三、分类结果：规上企业",
        "三、分类结果：规下企业",
        "四、D类（倒逼整治类）名单",
        "优先发展类",
        "差别化电价加价",  # the D policy
        f"A类{counts['A']}家、B类{counts['B']}家、C类{counts['C']}家、D类{counts['D']}家",
        f"T类（不参与排名）{counts['T']}家",
    ):
        assert want in flat, want
    # every enterprise has its row: rank, name, score and class as scoring computed them
    from tests.test_report_review import table_rows

    rows = {
        re.sub(r"\s+", "", r[1] or ""): [re.sub(r"\s+", "", c or "") for c in r]
        for r in table_rows(out)
        if len(r) >= 2
    }
    firsts = {re.sub(r"\s+", "", r[0] or "") for r in table_rows(out)}
    for e in sample_eval.enterprises:
        if e.scope == "out":  # listed apart, name and land
            assert re.sub(r"\s+", "", e.name) in firsts, e.name
            continue
        row = rows.get(re.sub(r"\s+", "", e.name))
        assert row is not None, e.name
        assert row[-2] == f"{e.score:.2f}", (e.name, row)
        if e.klass == "T":
            assert row[0] == "—" and row[-1].startswith("T（不参与排名"), row
        else:
            assert (row[0], row[-1]) == (str(e.rank), e.klass), row
        assert len(row) == 3 + len(e.items) + 2  # rank, name, land, each indicator, score, class
    # each indicator's benchmark of the year is printed (rounded as shown)
    for g, inds in sample_eval.benchmarks.items():
        for value in inds.values():
            assert value is not None
            shown = f"{value:,.2f}" if value < 100 else f"{value:,.1f}" if value < 1000 else f"{value:,.0f}"
            assert shown in txt, (g, value)
    # exempt enterprises say why: 山西道尔铝业 produces from 2025 (new), 双池污水厂 is 公用事业
    t_cells = {r[-1] for r in rows.values() if r[-1].startswith("T（")}
    assert t_cells == {"T（不参与排名：投产不满规定年限）", "T（不参与排名：豁免行业）"}, t_cells
    pages = pages_with_images(out)
    assert pages[0][1] >= 2, "the first page has the chart and the map by class"
    assert "图1各组别各类企业数" in re.sub(r"\s+", "", pages[0][0])
    assert "图2企业用地按评价类别着色" in re.sub(r"\s+", "", pages[0][0])
    assert all(n == 0 for _, n in pages[1:]), "the tables carry no figure"
    first_page_png(out, "report_evaluation_zh_p1")
    import subprocess

    table_page = next(i for i, (t, _) in enumerate(pages, 1) if "分类结果" in t)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "70",
            "-f",
            str(table_page),
            "-l",
            str(table_page),
            "-singlefile",
            str(out),
            str(SHOTS / "report_evaluation_zh_table"),
        ],
        check=True,
    )


@needs_poppler
def test_evaluation_report_in_english(cli, sample_db, tmp_path):
    out = tmp_path / "en.pdf"
    res = run(cli, "--year", 2024, "--database-url", sample_db, "--out", out, "--lang", "en")
    assert res.exit_code == 0, res.output
    txt = pdf_text(out)
    for want in (
        "Mu-average benefit evaluation 2024",
        "Jiaokou Economic-Technical Development Zone",
        "The method",
        "Tax per mu",
        "3. Classes:",
        "The D list",
        "Pressed to rectify",
        "invented, illustrative",
    ):
        assert want in txt, want
    assert "亩均效益评价结果" not in txt and "评价方法" not in txt
    first_page_png(out, "report_evaluation_en_p1")


def test_a_year_without_figures_is_refused_naming_the_years(cli, sample_db, tmp_path):
    out = tmp_path / "x.pdf"
    res = run(cli, "--year", 2019, "--database-url", sample_db, "--out", out, "--lang", "en")
    assert res.exit_code == 3, res.output  # NotFoundError's exit code in app/errors.py
    assert "2019" in res.output and "2022, 2023, 2024, 2025" in res.output
    assert not out.exists()


# --------------------------------------------------------------------------- the API

# 规下 both (亩均税收 50 + 单位电耗税收 50; benchmarks 2 × the group's value of the year), see
# tests/test_api_evaluation.py: 天鹏冶炼 87.5 (rank 1, A), 山西某铝业 35.42 (rank 2, B).
CSV = "enterprise,land_mu,tax_wan,power_10k_kwh,scale,producing_year\n天鹏冶炼,15,30,10,规下,2010\n山西某铝业,30,30,30,规下,2012\n"


@needs_poppler
def test_api_evaluation_pdf(client, tmp_path):
    r = client.post(
        "/api/v1/figures?year=2025",
        files={"file": ("f.csv", CSV.encode(), "text/csv")},
        headers=auth(client, "manager"),
    )
    assert r.status_code == 200, r.text
    assert client.get("/api/v1/reports/evaluation/2025.pdf").status_code == 401
    r = client.get("/api/v1/reports/evaluation/2025.pdf", headers=auth(client, "viewer"))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    assert 'filename="evaluation-2025-zh.pdf"' in r.headers["content-disposition"]
    out = tmp_path / "api.pdf"
    out.write_bytes(r.content)
    txt = pdf_text(out)
    flat = re.sub(r"\s+", "", txt)
    # the 规下 benchmarks: 2 × 60/45 = 2.67 万元/亩 and 2 × 60/40 = 3.00 万元/万千瓦时
    assert "基准2.67" in flat and "基准3.00" in flat
    tp = next(ln for ln in txt.splitlines() if "天鹏冶炼" in ln)
    assert tp.split()[0] == "1" and "87.50" in tp and tp.rstrip().endswith("A")
    al = next(ln for ln in txt.splitlines() if "山西某铝业" in ln)
    assert al.split()[0] == "2" and "35.42" in al and al.rstrip().endswith("B")
    assert "2.00" in tp and "37.5分" in re.sub(r"\s+", "", txt)  # 天鹏: 30/15 = 2 万元/亩 → 37.5 points
    assert "开发区数据库" in flat and "示例数据" not in flat.split("第1")[0][:400]
    assert "本年度无D类企业" in flat
    pages = pages_with_images(out)
    assert pages[0][1] >= 2  # chart and the map by class (SC-0002 is 天鹏冶炼's)
    first_page_png(out, "report_evaluation_api_zh_p1")
    en = client.get("/api/v1/reports/evaluation/2025.pdf?lang=en", headers=auth(client, "viewer"))
    assert en.status_code == 200 and "evaluation-2025-en.pdf" in en.headers["content-disposition"]
    # errors through the one table: no figures → 404 naming the years; a year out of range → 400
    r = client.get("/api/v1/reports/evaluation/2019.pdf", headers=auth(client, "viewer"))
    assert r.status_code == 404 and r.json()["error"] == "NotFoundError", r.text
    assert "2019" in r.json()["message"] and "2025" in r.json()["message"]
    assert (
        client.get("/api/v1/reports/evaluation/99999.pdf", headers=auth(client, "viewer")).status_code == 400
    )


def test_class_count_chart_draws_one_bar_per_class_and_group():
    import io

    from PIL import Image

    from gis.figures import class_count_chart

    png = class_count_chart(
        ["规上", "规下"], ["A", "B"], [[2, 0], [1, 3]], ["#1a9850", "#91cf60"], ylabel="n"
    )
    img = Image.open(io.BytesIO(png))
    assert img.format == "PNG" and img.width > 400
    # class A's green is drawn (bars of 2 and 1), as is B's (a bar of 3)
    colours = {c for _, c in img.convert("RGB").getcolors(1 << 20)}
    assert (0x1A, 0x98, 0x50) in colours and (0x91, 0xCF, 0x60) in colours
    with pytest.raises(ValueError):
        class_count_chart(["a"], ["A", "B"], [[1]], ["#000000", "#ffffff"], ylabel="n")
