"""The report buttons beyond the map's: 评价结果 PDF on the dashboard, 通知书 PDF per case and
全部通知书 PDF on the supervision page, and 审查意见 PDF per project in the register; each
downloads the PDF the API makes, in the page's language. Screenshots in zh and en."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from pathlib import Path

import httpx
import pytest

from .helpers import Watch, almg_project_on_best_parcel, login

pytestmark = pytest.mark.browser


def pdf_text(path: Path) -> str:
    return re.sub(
        r"\s+",
        "",
        subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout,
    )


def save(f, click: str, tmp_path: Path, name: str) -> tuple[str, str]:
    """Click ``click``, wait for its download, and return (suggested file name, the PDF's text)."""
    with f.expect_download(timeout=180_000) as dl:
        f.click(click)
    out = tmp_path / name
    dl.value.save_as(out)
    return dl.value.suggested_filename, pdf_text(out)


def english(w: Watch) -> None:
    w.page.click("#lang-btn")
    w.page.wait_for_function("() => document.documentElement.lang.startsWith('en')", timeout=60_000)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_dashboard_evaluation_pdf(w: Watch, lang: str, tmp_path: Path) -> None:
    w.allow(r"401|Unauthorized")  # before login
    f = w.page
    w.goto("/dashboard")
    if lang == "en":
        english(w)
    login(w)
    f.wait_for_selector("#dash-ranking tr[data-enterprise]", timeout=60_000)
    f.wait_for_selector("#dash-eval-pdf:not([disabled])")
    name, text = save(f, "#dash-eval-pdf", tmp_path, "eval.pdf")
    assert name == f"evaluation-2025-{lang}.pdf"
    if lang == "zh":
        assert "2025年度亩均效益评价结果" in text and "双池污水厂" in text and "D类（倒逼整治类）名单" in text
    else:
        assert "Mu-averagebenefitevaluation2025" in text and "TheDlist" in text
    w.shot(f"44_dashboard_eval_pdf_{lang}")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_supervision_notice_buttons(w: Watch, lang: str, tmp_path: Path) -> None:
    f = w.page
    w.goto("/supervision")
    if lang == "en":
        english(w)
    login(w)
    f.wait_for_selector("#supervision-body tr .notice-pdf-btn")
    today = dt.date.today().isoformat()
    # one case's letter (the first row: 示例逾期企业, not completed)
    name, text = save(f, "#supervision-body tr:first-child .notice-pdf-btn", tmp_path, "one.pdf")
    assert re.fullmatch(rf"notices-{today}-contract\d+-{lang}\.pdf", name), name
    assert "示例逾期企业（虚构）" in text and "示例闲置企业" not in text
    assert ("列入清退目录通知书" if lang == "zh" else "Noticeofentryontheclearancelist") in text
    # every letter of the day
    name, text = save(f, "#supervision-notices-pdf", tmp_path, "all.pdf")
    assert name == f"notices-{today}-{lang}.pdf"
    assert "示例逾期企业（虚构）" in text and "示例闲置企业（虚构）" in text
    assert ("土地闲置费" if lang == "zh" else "Idle-landfee") in text
    w.shot(f"45_supervision_notice_buttons_{lang}")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_register_review_opinion_button(w: Watch, api: httpx.Client, lang: str, tmp_path: Path) -> None:
    pid, project = almg_project_on_best_parcel(api, f"报告按钮测试项目 {lang}")
    saved = api.post("/projects", json={"parcel_id": pid, "project": project})
    assert saved.status_code == 201, saved.text
    f = w.page
    w.goto("/")
    if lang == "en":
        english(w)
    login(w)
    f.click("#tab-register-btn")
    row = f"#tab-register .register-row[data-id='{saved.json()['id']}']"
    f.wait_for_selector(f"{row} .review-pdf-btn")
    name, text = save(f, f"{row} .review-pdf-btn", tmp_path, "review.pdf")
    assert name == f"review-{pid}-{lang}.pdf"
    assert pid in text and re.sub(r"\s+", "", project["name"]) in text
    assert ("项目准入审查意见" if lang == "zh" else "Projectadmissionreviewopinion") in text
    # the button sits under the project's name, no wider than the name column was
    width = f.evaluate(
        "(sel) => { const t = document.querySelector(sel).closest('table'); return [t.scrollWidth, t.parentElement.clientWidth]; }",
        row,
    )
    w.shot(f"46_register_review_pdf_{lang}")
    assert width[0] <= width[1] + 1, width
