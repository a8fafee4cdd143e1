"""The supervision notices (app/reports/notices.py): ``parksite report notices`` for the sample
zone's illustrative contracts, and ``GET /api/v1/reports/notices.pdf`` on the synthetic zone of
tests/api_fixtures.py (SpatiaLite and PostGIS), read back with pdftotext / pdfplumber: one page
per case, the addressee, the parcels (m² and 亩) with a map, the rule and its source, the dates,
days overdue, the fee, the deadline and the 管委会's signature block. First pages written as
PNGs to tests/_artifacts/screenshots/."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import typer

from scoring.supervision import add_years
from tests.api_fixtures import auth
from tests.report_sample_db import LOADED, report_app, run_report
from tests.test_api_land import GOOD, upload
from tests.test_report_parcel import first_page_png, needs_poppler, pages_with_images, pdf_text


@pytest.fixture(scope="module")
def cli() -> typer.Typer:
    return report_app()


def run(cli, *args):
    return run_report(cli, "notices", *args)


#: The map's caption: pdftotext may read it in the middle of the facts table beside it.
CAPTION = "涉及地块位置示意"


def flat(text: str) -> str:
    """The page's text without white space and without the map's caption (asserted apart)."""
    return re.sub(r"\s+", "", text).replace(CAPTION, "")


@needs_poppler
def test_notices_of_the_sample_zone(cli, sample_db, tmp_path):
    """The sample's contracts loaded on 2026-03-01 (app/sample/contracts.py): 示例闲置企业 agreed to
    start 1 year and 60 days before and has not (idle since a year after, 60 days overdue, fee
    20 % of the price, take-back two years after the agreed start); 示例逾期企业 started 2 years
    and 90 days before and has not completed (clearance list, rectify within a year)."""
    out = tmp_path / "notices.pdf"
    res = run(cli, "--as-of", LOADED, "--database-url", sample_db, "--out", out)
    assert res.exit_code == 0, res.output
    pages = pages_with_images(out)
    assert len(pages) == 2, "one page per case"
    assert all(n >= 1 for _, n in pages), "every letter has its map"
    assert all(CAPTION in re.sub(r"\s+", "", p) for p, _ in pages), "every map has its caption"
    late, idle = (flat(p) for p, _ in pages)  # in signing order: the overdue one was signed first
    agreed = add_years(LOADED, -1) - dt.timedelta(days=60)
    since = add_years(agreed, 1)
    for want in (
        "闲置土地认定及征缴土地闲置费通知书",
        "示例闲置企业（虚构）：",
        "闲置土地：满一年未动工",
        "国土资源部令第53号第二条第一款、第十四条（一）",
        f"约定开工日期{agreed.isoformat()}",
        f"情形成立日期{since.isoformat()}",
        f"逾期天数{(LOADED - since).days}天",
        "土地闲置费",
        "出让价款",
        f"下一步期限{add_years(agreed, 2).isoformat()}",
        "交口经济技术开发区管理委员会",
        "（盖章）",
        "parksite示例合同（虚构，示意）",
    ):
        assert want in idle, want
    # the fee is 20 % of the price (12 万元 per 亩 of the parcel, rounded to 0.01 万元)
    m = re.search(r"土地闲置费([\d,.]+)万元（出让价款([\d,.]+)万元×20%）", idle)
    assert m, idle
    assert float(m[1].replace(",", "")) == pytest.approx(0.2 * float(m[2].replace(",", "")), abs=0.01)
    # the parcel with its area in m² and 亩 (1 亩 = 10000/15 m²)
    rows = re.findall(r"(SC-\d{4})(\d{1,3}(?:,\d{3})+)(\d+\.\d{2})", idle)
    assert rows, idle
    pid, m2, mu = rows[-1]
    assert float(mu) == pytest.approx(float(m2.replace(",", "")) * 15 / 10000, abs=0.01)
    started = add_years(LOADED, -2) - dt.timedelta(days=90)
    for want in (
        "列入清退目录通知书",
        "示例逾期企业（虚构）：",
        "开工后两年未建成",
        "第九章三、（三）",
        f"实际开工日期{started.isoformat()}",
        f"逾期天数{(LOADED - add_years(started, 2)).days}天",
        f"下一步期限{add_years(started, 3).isoformat()}",
    ):
        assert want in late, want
    assert "示例按期企业" not in flat(pdf_text(out))  # on time: no letter
    first_page_png(out, "report_notices_zh_p1")


@needs_poppler
def test_notice_of_one_enterprise_in_english_and_errors(cli, sample_db, tmp_path):
    out = tmp_path / "one.pdf"
    res = run(
        cli,
        "--as-of",
        LOADED,
        "--enterprise",
        "示例逾期企业（虚构）",
        "--database-url",
        sample_db,
        "--out",
        out,
        "--lang",
        "en",
    )
    assert res.exit_code == 0, res.output
    pages = pages_with_images(out)
    assert len(pages) == 1 and pages[0][1] >= 1
    txt = pdf_text(out)
    for want in (
        "Notice of entry on the clearance list",
        "To 示例逾期企业（虚构）:",
        "Not completed two years after starting",
        "Days overdue",
        "Next deadline",
        "Administrative Committee of Jiaokou",
        "(seal)",
    ):
        assert flat(want) in flat(txt), want
    assert "通知书" not in txt
    first_page_png(out, "report_notices_en_p1")
    # an unknown enterprise is named, with the ones that hold contracts
    res = run(
        cli,
        "--as-of",
        LOADED,
        "--enterprise",
        "无此企业",
        "--database-url",
        sample_db,
        "--out",
        tmp_path / "x.pdf",
        "--lang",
        "en",
    )
    assert res.exit_code == 3 and "无此企业" in res.output and "示例闲置企业（虚构）" in res.output
    # a known enterprise without a case that day, and a day without cases
    res = run(
        cli,
        "--as-of",
        LOADED,
        "--enterprise",
        "示例按期企业（虚构）",
        "--database-url",
        sample_db,
        "--out",
        tmp_path / "x.pdf",
        "--lang",
        "en",
    )
    assert res.exit_code == 3 and "no supervision case" in res.output
    res = run(cli, "--as-of", "2020-01-01", "--database-url", sample_db, "--out", tmp_path / "x.pdf")
    assert res.exit_code == 3 and "2020-01-01" in res.output
    assert not (tmp_path / "x.pdf").exists()
    res = run(cli, "--as-of", "1.3.2026", "--database-url", sample_db, "--out", tmp_path / "x.pdf")
    assert res.exit_code == 2 and "--as-of" in res.output


# --------------------------------------------------------------------------- the API


@needs_poppler
def test_api_notices_pdf(client, tmp_path):
    """tests/test_api_land.py's contracts on 2025-02-01: 甲 idle since 2025-01-15 (17 days, fee
    20 % × 80 = 16.00 万元, take-back from 2026-01-15); 乙 on the clearance list since 2025-02-01
    (0 days, rectify by 2026-02-01), on SC-102 and SC-103 (80 × 80 m = 6,400 m², 9.60 亩 each)."""
    assert upload(client, GOOD).status_code == 200
    q = {"as_of": "2025-02-01"}
    assert client.get("/api/v1/reports/notices.pdf", params=q).status_code == 401
    r = client.get("/api/v1/reports/notices.pdf", params=q, headers=auth(client, "viewer"))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    assert 'filename="notices-2025-02-01-zh.pdf"' in r.headers["content-disposition"]
    out = tmp_path / "n.pdf"
    out.write_bytes(r.content)
    pages = pages_with_images(out)
    assert len(pages) == 2 and all(n >= 1 for _, n in pages)
    b, a = (flat(p) for p, _ in pages)  # in signing order: 乙 (2022) before 甲 (2023)
    for want in (
        "甲公司：",
        "约定开工日期2024-01-15",
        "情形成立日期2025-01-15",
        "逾期天数17天",
        "16.00万元（出让价款80.00万元×20%）",
        "下一步期限2026-01-15",
        "SC-1016,4009.60",
    ):
        assert want in a, want
    for want in (
        "乙公司：",
        "实际开工日期2023-02-01",
        "逾期天数0天",
        "下一步期限2026-02-01",
        "SC-1026,4009.60",
        "SC-1036,4009.60",
        "合计12,80019.20",
    ):
        assert want in b, want
    assert "示例合同" not in a + b  # imported contracts are not the sample's
    first_page_png(out, "report_notices_api_zh_p1")
    one = client.get(
        "/api/v1/reports/notices.pdf",
        params={**q, "enterprise": "乙公司", "lang": "en"},
        headers=auth(client, "viewer"),
    )
    assert one.status_code == 200 and "-en.pdf" in one.headers["content-disposition"]
    (tmp_path / "one.pdf").write_bytes(one.content)
    assert len(pages_with_images(tmp_path / "one.pdf")) == 1
    # errors through the one table
    r = client.get(
        "/api/v1/reports/notices.pdf", params={**q, "enterprise": "丙公司"}, headers=auth(client, "viewer")
    )
    assert r.status_code == 404 and "丙公司" in r.json()["message"] and "甲公司" in r.json()["message"]
    r = client.get(
        "/api/v1/reports/notices.pdf", params={"as_of": "2023-01-01"}, headers=auth(client, "viewer")
    )
    assert r.status_code == 404 and "2023-01-01" in r.json()["message"]
    r = client.get(
        "/api/v1/reports/notices.pdf", params={"as_of": "2025-13-01"}, headers=auth(client, "viewer")
    )
    assert r.status_code == 400
