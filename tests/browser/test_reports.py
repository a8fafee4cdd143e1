"""The report buttons of the map page: 下载地块选址报告 in the parcel panel and 下载审查意见 in the
check result download the PDFs the API makes (app/reports), in the page's language."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest

from .helpers import SHOTS, Watch, almg_project_on_best_parcel, check_project_on, login

pytestmark = pytest.mark.browser


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout


def test_parcel_panel_and_check_result_download_their_pdfs(
    w: Watch, api: httpx.Client, tmp_path: Path
) -> None:
    pid, project = almg_project_on_best_parcel(api, "年产10万吨铝基新材料项目")
    w.goto("/")
    login(w)
    check_project_on(w, pid, project)  # opens the parcel in the panel, then the check form
    f = w.page
    # the check result's review opinion
    f.click("#check-btn")
    f.wait_for_selector("#check-result #review-pdf-btn")
    with f.expect_download(timeout=120_000) as dl:
        f.click("#review-pdf-btn")
    review = tmp_path / "review.pdf"
    dl.value.save_as(review)
    assert dl.value.suggested_filename == f"review-{pid}-zh.pdf"
    text = pdf_text(review)
    assert "项目准入审查意见" in text and pid in text and "审查结论" in text
    w.shot("13_check_review_button")
    # the parcel panel's site report
    f.click("#tab-parcel-btn")
    f.wait_for_selector("#parcel-report")
    with f.expect_download(timeout=120_000) as dl:
        f.click("#parcel-report")
    report = tmp_path / "parcel.pdf"
    dl.value.save_as(report)
    assert dl.value.suggested_filename == f"parcel-{pid}-zh.pdf"
    text = pdf_text(report)
    assert "地块选址报告" in text and pid in text and "标准地指标表" in text
    f.locator("#parcel-report").scroll_into_view_if_needed()
    w.shot("14_parcel_report_button")
    SHOTS.mkdir(parents=True, exist_ok=True)
