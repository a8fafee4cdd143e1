"""The dashboard (/dashboard): on the served sample, with its illustrative yearly figures — 表6-1
progress, the TD/T 1029 indicators (土地开发率 and 土地供应率 from the score run and the contracts; no
data where the inputs are missing, e.g. floor areas), the classes and their
trend, the D list, the ranking, the map coloured by class, and the supervision cases of the
sample's illustrative contracts — or "not available" when /supervision answers 404 (a server
without it, simulated by answering that one request with 404). Screenshots in zh and en."""

from __future__ import annotations

import pytest

from .helpers import Watch, login

pytestmark = pytest.mark.browser


def test_dashboard_in_both_languages(w: Watch) -> None:
    w.allow(r"401|404|Unauthorized|Not Found")  # before login; the simulated 404 at the end
    w.goto("/dashboard")
    assert "登录" in w.page.locator("#dash-access").inner_text()
    assert "登录" in w.page.locator("#dash-supervision").inner_text()
    login(w)
    w.page.wait_for_selector("#dash-ranking tr[data-enterprise]", timeout=60_000)
    assert w.page.locator("#dash-access").inner_text().strip() == ""
    years = w.page.locator("#dash-year option").all_inner_texts()
    assert years == ["2022", "2023", "2024", "2025"]
    assert w.page.locator("#dash-year").input_value() == "2025"
    assert w.page.locator("#dash-illustrative").is_visible()
    intensity = w.page.locator("#dash-progress tr[data-progress='output_intensity']").inner_text()
    assert "316.52" in intensity and "≥ 300" in intensity
    share = w.page.locator("#dash-zone tr[data-indicator='industrial_share']").inner_text()
    # 水头镇园区 has no built land yet (no data); 双池镇园区 and the zone have a share
    cells = share.split("\t")
    assert cells[1] == "暂无数据" and float(cells[2]) > 0 and float(cells[3]) > 0
    # the sample is scored and has contracts: 土地开发率 and 土地供应率 for the zone; no floor areas
    for indicator in ("development_rate", "supply_rate"):
        cells = w.page.locator(f"#dash-zone tr[data-indicator='{indicator}']").inner_text().split("\t")
        assert float(cells[3]) > 0, indicator
    assert "暂无数据" in w.page.locator("#dash-zone tr[data-indicator='floor_area_ratio']").inner_text()
    # the sample's 2025: 规上 ranked 1 … 8 and 规下 1 … 9; the wastewater plant is T (公用事业)
    water = w.page.locator("#dash-ranking tr[data-enterprise='双池污水厂']").inner_text()
    assert "T" in water and "—" in water
    assert w.page.locator("#dash-d-empty").is_visible()  # fewer than 20 ranked: no D
    # the sample's contracts (one idle, one overdue for completion): cases as of today
    assert w.page.locator("#dash-supervision tr[data-case]").count() >= 1
    coloured = w.page.locator("#dash-map path.leaflet-interactive")
    assert coloured.count() >= 15
    w.shot("40_dashboard_zh")
    w.page.locator("#dash-supervision").scroll_into_view_if_needed()
    w.shot("42_dashboard_lists_zh")
    w.page.evaluate("window.scrollTo(0, 0)")

    w.page.click("#lang-btn")
    w.page.wait_for_function(
        "(t) => document.querySelector('#dash-main h4').textContent.startsWith(t)",
        arg="Per-mu",
        timeout=60_000,
    )
    # the indicator notes come from the API in the new language: wait for the reload
    w.page.wait_for_function(
        "(t) => document.querySelector('#dash-zone').textContent.includes(t)",
        arg="no data: no floor areas",
        timeout=60_000,
    )
    w.page.wait_for_selector("#dash-ranking tr[data-enterprise]", timeout=60_000)
    assert "Whole zone" in w.page.locator("#dash-zone").inner_text()
    assert "no data" in w.page.locator("#dash-zone tr[data-indicator='floor_area_ratio']").inner_text()
    assert w.page.locator("#dash-supervision tr[data-case]").count() >= 1
    w.shot("41_dashboard_en")
    w.page.locator("#dash-supervision").scroll_into_view_if_needed()
    w.shot("43_dashboard_lists_en")

    w.page.select_option("#dash-year", "2022")
    w.page.wait_for_selector("#dash-main[data-year='2022']", timeout=60_000)  # drawn for 2022
    assert w.page.locator("#dash-ranking tr[data-enterprise]").count() > 0
    # 山西道尔铝业 produces from 2025: no figures in 2022
    assert w.page.locator("#dash-ranking tr[data-enterprise='山西道尔铝业有限公司']").count() == 0
    assert not w.unexpected_errors(), w.unexpected_errors()


def test_supervision_not_available_when_the_endpoint_is_missing(w: Watch) -> None:
    w.allow(r"401|404|Unauthorized|Not Found")
    w.page.route(
        "**/api/v1/supervision*", lambda route: route.fulfill(status=404, json={"message": "Not Found"})
    )
    w.goto("/dashboard")
    login(w)
    w.page.wait_for_selector("#dash-ranking tr[data-enterprise]", timeout=60_000)
    missing = w.page.locator("#dash-supervision-missing")
    missing.wait_for(timeout=60_000)
    assert "暂不可用" in missing.inner_text()
    assert not w.unexpected_errors(), w.unexpected_errors()
