"""The 项目准入审查意见 (app/reports/review.py) of ``parksite report project`` for the sample zone
and the plan's project №1 (tests/data/projects/almg_ok.yaml), read back with pdftotext and
pdfplumber: the project's figures, the verdict, one row per admission rule, the land basis,
the recommended sites with their map, the signature block. First pages written as PNGs to
tests/_artifacts/screenshots/."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from app.i18n import text
from scoring.admission import rule_label
from tests.report_sample_db import report_app, run_report
from tests.test_report_parcel import ZONE_FILE, first_page_png, needs_poppler, pages_with_images, pdf_text

PROJECT = Path(__file__).resolve().parent / "data" / "projects" / "almg_ok.yaml"
PROJECT_FILE = PROJECT


@pytest.fixture(scope="module")
def cli() -> typer.Typer:
    return report_app()


def run(cli, *args):
    return run_report(cli, "project", *args)


def table_rows(pdf: Path) -> list[list[str | None]]:
    """Every row of every table in the PDF (pdfplumber), cells as text."""
    import pdfplumber

    with pdfplumber.open(pdf) as doc:
        return [row for page in doc.pages for table in page.extract_tables() for row in table]


@needs_poppler
def test_review_opinion_of_a_site_under_review(cli, tmp_path):
    # SC-0018 is the first site recommended for project №1 (a 表9-6 figure needs review there)
    out = tmp_path / "review.pdf"
    res = run(
        cli,
        "--project",
        PROJECT,
        "--parcel",
        "SC-0018",
        "--zone",
        ZONE_FILE,
        "--out",
        out,
        "--date",
        "2026-03-03",
        "--lang",
        "zh",
    )
    assert res.exit_code == 0, res.output
    txt = pdf_text(out)
    flat = re.sub(r"\s+", "", txt)
    for want in (
        "项目准入审查意见",
        "交口经济技术开发区",
        "2026-03-03",
        "年产10万吨铝基新材料项目",
        "SC-0018",
        "60,000万元",
        "150,000万元/年",
        "20.00亩",  # the project's figures
        "审查结论：需复核",
        "二、准入条件逐项审查",
        "项目可支撑的最大用地",
        "240.00亩",
        "净用地面积",  # the land basis of the check
        "拟出让面积",
        "占压情况",
        "三、推荐地块",
        "#1",
        "经办人",
        "审核人",
        "审查单位（盖章）",
        "示例（示意）数据",
    ):
        assert want in flat, want
    # every rule the check applied is a row of the rules table, in the check's order, named as
    # the catalogue names it, with its outcome beside it (as `parksite check --json` gives them)
    from app.commands.admission import register as register_admission

    adm = typer.Typer()
    register_admission(adm)
    checked = CliRunner().invoke(
        adm, ["check", "--parcel", "SC-0018", "--project", str(PROJECT), "--zone", str(ZONE_FILE), "--json"]
    )
    assert checked.exit_code == 0, checked.output
    want_rules = json.loads(checked.output)["rules"]
    rows = [[re.sub(r"\s+", "", c or "") for c in r] for r in table_rows(out) if len(r) == 6]
    rows = [r for r in rows if r[0] != "审查事项"]  # the header, repeated on each page
    assert [r[0] for r in rows] == [re.sub(r"\s+", "", text(rule_label(c["rule"]), "zh")) for c in want_rules]
    assert [r[1] for r in rows] == [
        re.sub(r"\s+", "", text(f"status.{c['status']}", "zh")) for c in want_rules
    ]
    assert len(rows) >= 10 and "需复核" in [r[1] for r in rows]
    assert "表9-6" in flat and "表8-1" in flat  # the rules' sources
    pages = pages_with_images(out)
    with_map = [i for i, (t, n) in enumerate(pages) if "推荐地块" in t and n >= 1]
    assert with_map, "the recommended sites' page has its map"
    assert pages[0][1] == 0  # the first page is the project and the verdict, no figure
    first_page_png(out, "report_review_zh_p1")
    # the map page as a PNG too, to look at
    import subprocess

    from tests.test_report_parcel import SHOTS

    n = with_map[0] + 1
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "70",
            "-f",
            str(n),
            "-l",
            str(n),
            "-singlefile",
            str(out),
            str(SHOTS / "report_review_zh_map"),
        ],
        check=True,
    )


@needs_poppler
def test_review_opinion_of_a_failing_site_and_in_english(cli, tmp_path):
    out = tmp_path / "fail.pdf"
    assert (
        run(cli, "--project", PROJECT, "--parcel", "SC-0001", "--zone", ZONE_FILE, "--out", out).exit_code
        == 0
    )
    flat = re.sub(r"\s+", "", pdf_text(out))
    assert "审查结论：不通过" in flat and "不同意按现方案准入" in flat
    en = tmp_path / "en.pdf"
    res = run(
        cli, "--project", PROJECT, "--parcel", "SC-0018", "--zone", ZONE_FILE, "--out", en, "--lang", "en"
    )
    assert res.exit_code == 0, res.output
    t = pdf_text(en)
    for want in (
        "Project admission review opinion",
        "Verdict: review",
        "Admission conditions",
        "Recommended parcels",
        "Reviewed by",
    ):
        assert want in t, want
    assert "项目准入审查意见" not in t
    first_page_png(en, "report_review_en_p1")


def test_review_opinion_of_an_unknown_parcel_is_refused(cli, tmp_path):
    out = tmp_path / "x.pdf"
    res = run(
        cli, "--project", PROJECT, "--parcel", "NOPE-1", "--zone", ZONE_FILE, "--out", out, "--lang", "en"
    )
    assert res.exit_code != 0 and "NOPE-1" in res.output
    assert not out.exists()


# --------------------------------------------------------------------------- the API


@needs_poppler
def test_api_review_opinion_of_a_check_and_of_a_saved_project(client, tmp_path):
    """On the synthetic zone of tests/api_fixtures.py: SC-0001 is 15 亩; 60 000 万元 ÷ 15 亩 = 4 000
    万元/亩 against 250 (表9-6), verdict review (the wastewater plant is not in the layers)."""
    from tests.api_fixtures import auth
    from tests.test_api_checks import PROJECT

    body = {"parcel_id": "SC-0001", "project": PROJECT}
    assert client.post("/api/v1/reports/review", json=body).status_code == 401  # signed in, as a check
    r = client.post(
        "/api/v1/reports/review", json=body, params={"date": "2026-03-04"}, headers=auth(client, "viewer")
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    assert 'filename="review-SC-0001-zh.pdf"' in r.headers["content-disposition"]
    out = tmp_path / "api.pdf"
    out.write_bytes(r.content)
    flat = re.sub(r"\s+", "", pdf_text(out))
    for want in (
        "项目准入审查意见",
        "2026-03-04",
        PROJECT["name"],
        "SC-0001",
        "审查结论：需复核",
        "15.00亩",
        "240.00亩",
        "开发区数据库",
    ):
        assert want in flat, want
    rows = [[re.sub(r"\s+", "", c or "") for c in r_] for r_ in table_rows(out) if len(r_) == 6]
    rows = [r_ for r_ in rows if r_[0] != "审查事项"]  # the header, repeated on each page
    checked = client.post("/api/v1/check", json=body, headers=auth(client, "viewer")).json()["rules"]
    # one row per rule the check applied, in its order
    assert [r_[0] for r_ in rows] == [re.sub(r"\s+", "", text(rule_label(c["rule"]), "zh")) for c in checked]
    inv = next(r_ for r_ in rows if r_[0] == text(rule_label("investment_intensity"), "zh"))
    assert inv[1] == "通过" and inv[2].startswith("4,000") and inv[3].startswith("250")
    first_page_png(out, "report_review_api_zh_p1")

    # saved to the register with its check, then printed from the saved project
    saved = client.post("/api/v1/projects", json=body, headers=auth(client, "manager"))
    assert saved.status_code == 201, saved.text
    pid = saved.json()["id"]
    again = client.get(
        f"/api/v1/reports/projects/{pid}", headers={**auth(client, "viewer"), "Accept-Language": "en"}
    )
    assert again.status_code == 200, again.text
    (tmp_path / "saved.pdf").write_bytes(again.content)
    t = pdf_text(tmp_path / "saved.pdf")
    assert "Project admission review opinion" in t and "SC-0001" in t and "Verdict: review" in t
    # a saved project without a check has no site: say so
    bare = client.post("/api/v1/projects", json={"project": PROJECT}, headers=auth(client, "manager"))
    r = client.get(f"/api/v1/reports/projects/{bare.json()['id']}", headers=auth(client, "viewer"))
    assert r.status_code == 422 and "parcel=" in r.text
    assert client.get("/api/v1/reports/projects/99999", headers=auth(client, "viewer")).status_code == 404


@needs_poppler
def test_cli_review_opinion_of_a_saved_project(cli, client, fresh_db, tmp_path):
    """``parksite report project --saved ID`` prints the register's project on its recorded site,
    as ``GET /api/v1/reports/projects/{id}`` does (the synthetic zone: SC-0001, verdict review)."""
    from tests.api_fixtures import auth
    from tests.test_api_checks import PROJECT

    saved = client.post(
        "/api/v1/projects", json={"parcel_id": "SC-0001", "project": PROJECT}, headers=auth(client, "manager")
    )
    assert saved.status_code == 201, saved.text
    pid = saved.json()["id"]
    out = tmp_path / "saved.pdf"
    res = run(cli, "--saved", pid, "--database-url", fresh_db, "--out", out, "--date", "2026-03-05")
    assert res.exit_code == 0, res.output
    flat = re.sub(r"\s+", "", pdf_text(out))
    for want in ("项目准入审查意见", PROJECT["name"], "SC-0001", "审查结论：需复核", "2026-03-05", "15.00亩"):
        assert want in flat, want
    # the same project on other parcels, in English
    en = tmp_path / "en.pdf"
    res = run(
        cli, "--saved", pid, "--parcel", "SC-0002", "--database-url", fresh_db, "--out", en, "--lang", "en"
    )
    assert res.exit_code == 0, res.output
    assert "SC-0002" in pdf_text(en) and "Project admission review opinion" in pdf_text(en)
    # a project saved without a check has no site; an unknown id; both or neither source
    bare = client.post("/api/v1/projects", json={"project": PROJECT}, headers=auth(client, "manager"))
    res = run(
        cli,
        "--saved",
        bare.json()["id"],
        "--database-url",
        fresh_db,
        "--out",
        tmp_path / "x.pdf",
        "--lang",
        "en",
    )
    assert res.exit_code == 5 and "--parcel" in res.output
    res = run(cli, "--saved", 99999, "--database-url", fresh_db, "--out", tmp_path / "x.pdf")
    assert res.exit_code == 3
    assert run(cli, "--out", tmp_path / "x.pdf").exit_code == 2
    assert run(cli, "--saved", pid, "--project", PROJECT_FILE, "--out", tmp_path / "x.pdf").exit_code == 2
    assert not (tmp_path / "x.pdf").exists()
