"""The 地块选址报告 (app/reports/parcel.py): rendered to PDF for the sample zone by
``parksite report parcel`` and by ``GET /api/v1/reports/parcels/{id}``, read back with
pdftotext / pdfplumber: the parcel id, the verdict, the breakdown rows and the Chinese text are
there, and the pages that should carry a map or chart do. The first page of each is written as
a PNG (pdftoppm) to tests/_artifacts/screenshots/ to be looked at."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pdfplumber
import pytest
import typer
from typer.testing import CliRunner

from app.commands.report import register
from app.scoring_io.cache import load_scored_parcels
from gis.figures import hillshade
from scoring.zone import load_zone

ROOT = Path(__file__).resolve().parent.parent
ZONE_FILE = ROOT / "data" / "zones" / "jiaokou.yaml"
SHOTS = ROOT / "tests" / "_artifacts" / "screenshots"

needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")


@pytest.fixture(scope="module")
def cli() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.callback()
    def _root() -> None:  # keeps "report" a sub-command group
        pass

    return app


def run(cli: typer.Typer, *args: object):
    return CliRunner().invoke(cli, ["report", *map(str, args)], env={"COLUMNS": "200"})


def pdf_text(path: Path) -> str:
    """The PDF's text, pages separated by form feeds (pdftotext keeps the reading order)."""
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def first_page_png(pdf: Path, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    stem = SHOTS / name
    subprocess.run(
        ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(stem)], check=True
    )
    return stem.with_suffix(".png")


def pages_with_images(pdf: Path) -> list[tuple[str, int]]:
    """Each page's text and the number of images placed on it (maps and charts are PNGs)."""
    with pdfplumber.open(pdf) as doc:
        return [(p.extract_text() or "", len(p.images)) for p in doc.pages]


@pytest.fixture(scope="module")
def scored():
    return load_scored_parcels(ZONE_FILE).set_index("parcel_id")


@pytest.fixture(scope="module")
def best_vacant(scored) -> str:
    """The best-scored vacant, not excluded parcel of the sample zone."""
    ok = scored[(scored["status"] == "vacant") & ~scored["excluded"].astype(bool)]
    return str(ok["score"].idxmax())


@pytest.fixture(scope="module")
def zh_pdf(cli, best_vacant, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report") / "zh.pdf"
    res = run(
        cli, "parcel", best_vacant, "--zone", ZONE_FILE, "--out", out, "--date", "2026-03-01", "--lang", "zh"
    )
    assert res.exit_code == 0, res.output
    assert "已写入" in res.output
    return out


@needs_poppler
def test_parcel_report_in_chinese_has_facts_verdict_breakdown_and_sheet(zh_pdf, scored, best_vacant):
    row = scored.loc[best_vacant]
    text = pdf_text(zh_pdf)
    for want in (
        "地块选址报告",
        "交口经济技术开发区",
        "2026-03-01",
        best_vacant,
        f"{row['area_m2']:,.0f} m²（{row['area_mu']:.2f} 亩）",  # area in m² and 亩, rounded
        f"{row['score']:.1f}（{row['class']}）",
        "结论：可作为工业项目选址",
        "示例（示意）数据",  # the sample zone's data is stated to be illustrative
        "平均坡度",
        "整平至规划坡度上限",
        "经路网至最近园区出入口",
        "位于河流管控范围内的面积占比",
        "标准地指标表",
        "投资强度",
        "建筑系数",
    ):
        assert want in text, want
    # every criterion of the zone is a row of the breakdown table with its weight and points
    zone = load_zone(ZONE_FILE)
    lines = text[text.index("评价因子") :].splitlines()
    for c in zone.scoring.criteria:
        hit = [ln for ln in lines if ln.split()[:1] == [c.name] and "%" in ln]
        assert hit, c.name
        assert f"{row[f'contrib_{c.id}']:.1f}" in hit[0].split()[-1], (c.name, hit[0])
    # page numbers "第 n / N" and the zone name in every page's header
    pages = text.split("\f")[:-1]
    assert len(pages) >= 4
    for n, page in enumerate(pages, 1):
        assert re.search(rf"第\s*{n}\s*/\s*{len(pages)}", page) and "交口经济技术开发区" in page


@needs_poppler
def test_parcel_report_pages_carry_their_maps_and_chart(zh_pdf):
    pages = pages_with_images(zh_pdf)
    # page 1: the location map; the slope page: the slope-class map; the breakdown page: the chart
    assert pages[0][1] >= 1 and "区位图" in pages[0][0]
    slope = next(p for p in pages if "坡度分级图" in p[0])
    chart = next(p for p in pages if "各评价因子的得分贡献" in p[0])
    assert slope[1] >= 1 and chart[1] >= 1
    sheet = next(p for p in pages if "六、标准地指标表" in p[0])
    assert sheet[1] == 0  # the sheet is a table, no figure
    png = first_page_png(zh_pdf, "report_parcel_zh_p1")
    assert png.stat().st_size > 20_000


@needs_poppler
def test_excluded_and_built_parcels_say_so(cli, scored, tmp_path):
    excluded = str(scored[scored["excluded"].astype(bool) & (scored["status"] == "vacant")].index[0])
    out = tmp_path / "excluded.pdf"
    assert run(cli, "parcel", excluded, "--zone", ZONE_FILE, "--out", out).exit_code == 0
    text = pdf_text(out)
    assert "结论：不宜作为工业项目选址" in text
    assert scored.loc[excluded, "reasons"][:12] in text.replace("\n", "")
    built = str(scored[scored["status"] == "existing"].index[0])
    out = tmp_path / "built.pdf"
    assert run(cli, "parcel", built, "--zone", ZONE_FILE, "--out", out).exit_code == 0
    text = pdf_text(out)
    assert "地块已被使用" in text and "本地块不出具标准地指标表" in text


@needs_poppler
def test_parcel_report_in_english(cli, best_vacant, tmp_path):
    out = tmp_path / "en.pdf"
    res = run(cli, "parcel", best_vacant, "--zone", ZONE_FILE, "--out", out, "--lang", "en")
    assert res.exit_code == 0, res.output
    text = pdf_text(out)
    for want in (
        "Parcel site report",
        "Jiaokou Economic-Technical Development Zone",
        "Verdict: suitable",
        "Suitability breakdown",
        "Standard land",
        "illustrative sample data",
    ):
        assert want in text, want
    assert re.search(r"Page\s*1\s*/", text)
    assert "地块选址报告" not in text and "结论" not in text
    first_page_png(out, "report_parcel_en_p1")


def test_unknown_parcel_is_refused_and_writes_nothing(cli, tmp_path):
    out = tmp_path / "none.pdf"
    res = run(cli, "parcel", "NO-SUCH", "--zone", ZONE_FILE, "--out", out, "--lang", "en")
    assert res.exit_code != 0
    assert "NO-SUCH" in res.output
    assert not out.exists() and not list(tmp_path.iterdir())


def test_bad_date_is_refused(cli, tmp_path):
    res = run(
        cli, "parcel", "ST-0001", "--zone", ZONE_FILE, "--out", tmp_path / "x.pdf", "--date", "1.3.2026"
    )
    assert res.exit_code == 2 and "YYYY-MM-DD" in res.output


def test_hillshade_lights_slopes_facing_the_light():
    """A flat cell gets sin(altitude); a 45° slope facing the light (north-west) gets 1 and one
    facing away (south-east) 0, with light from 315° at 45°."""
    flat = hillshade(np.zeros((5, 5)), 10.0, -10.0)
    assert np.allclose(flat, np.sin(np.deg2rad(45)))
    x = np.arange(5) * 10.0
    # elevation rising towards the south-east by 1 m per metre along the diagonal: z = (x − y)/√2
    yy, xx = np.meshgrid(-x, x, indexing="ij")  # row 0 is north: y falls with the row
    z = (xx - yy) / np.sqrt(2)
    faces_nw = hillshade(z, 10.0, -10.0)
    faces_se = hillshade(-z, 10.0, -10.0)
    assert np.allclose(faces_nw[1:-1, 1:-1], 1.0, atol=1e-6)
    assert np.allclose(faces_se[1:-1, 1:-1], 0.0, atol=1e-6)
    nan = np.zeros((3, 3))
    nan[1, 1] = np.nan
    assert np.isnan(hillshade(nan, 10.0, -10.0)[1, 1])


# --------------------------------------------------------------------------- the API


@needs_poppler
def test_api_serves_the_parcel_report_as_pdf(ro_client, tmp_path):
    """``GET /api/v1/reports/parcels/SC-101`` on the synthetic zone of tests/api_fixtures.py:
    a vacant 80 × 80 m parcel of sc-almg (6,400 m² = 9.60 亩); not the sample's data."""
    r = ro_client.get("/api/v1/reports/parcels/SC-101", params={"date": "2026-03-02"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    assert 'filename="parcel-SC-101-zh.pdf"' in r.headers["content-disposition"]
    out = tmp_path / "api.pdf"
    out.write_bytes(r.content)
    text = pdf_text(out)
    for want in (
        "地块选址报告",
        "SC-101",
        "6,400 m²（9.60 亩）",
        "2026-03-02",
        "结论：",
        "开发区数据库",
        "评价因子",
    ):
        assert want in text, want
    assert "示例（示意）数据" not in text
    pages = pages_with_images(out)
    assert pages[0][1] >= 1
    first_page_png(out, "report_parcel_api_zh_p1")
    en = ro_client.get("/api/v1/reports/parcels/SC-101", headers={"Accept-Language": "en"})
    assert en.status_code == 200 and "parcel-SC-101-en.pdf" in en.headers["content-disposition"]
    (tmp_path / "en.pdf").write_bytes(en.content)
    assert "Parcel site report" in pdf_text(tmp_path / "en.pdf")


def test_api_parcel_report_of_an_unknown_parcel_is_404(ro_client):
    r = ro_client.get("/api/v1/reports/parcels/NOPE")
    assert r.status_code == 404 and "NOPE" in r.text
