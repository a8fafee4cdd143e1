"""现有企业扩建 in the 项目准入 form: ticking it shows the enterprise and its existing figures; the
verdict states the enterprise, what it has now and that 表9-6 is measured on the enterprise after
the expansion. SC-0091 (37.54 亩, vacant) is the new land: (10000 + 6000) 万元 ÷ (50 + 37.54) 亩 =
182.77 万元/亩 < 250 (铝镁新材料) — although the new part alone (6000 ÷ 37.54 = 159.83) is stated too."""

from __future__ import annotations

import httpx
import pytest

from .helpers import Watch, check_project_on, login

pytestmark = pytest.mark.browser

NAME = "交口县天鹏冶炼有限公司"
PROJECT = {
    "name": "天鹏冶炼扩建项目",
    "industry": "铝镁新材料",
    "branch": "铝基新材料",
    "investment_wan": 6000,
    "output_wan": 9000,
    "tax_wan": 300,
    "land_mu": 30,
    "power_kw": 900,
    "water_m3_per_day": 100,
    "online_monitoring": True,
    "waste_treatment_pct": 98,
}
EXISTING = {
    "expansion_of": NAME,
    "existing_land_mu": 50,
    "existing_investment_wan": 10000,
    "existing_output_wan": 20000,
}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_expansion_of_an_existing_enterprise(w: Watch, api: httpx.Client, lang: str) -> None:
    zh = lang == "zh"
    r = api.post("/check", json={"parcel_id": "SC-0091", "project": PROJECT | EXISTING, "lang": lang})
    assert r.status_code == 200, r.text
    expected = r.json()
    inv = next(x for x in expected["rules"] if x["rule"] == "investment_intensity")
    granted = expected["land"]["granted_mu"]  # SC-0091's net buildable area: 37.53… 亩
    assert round(granted, 2) == 37.53 or round(granted, 2) == 37.54
    assert inv["status"] == "fail" and inv["value"] == pytest.approx(16000 / (50 + granted), abs=1e-3)

    f = w.page
    w.goto("/")
    if not zh:
        f.click("#lang-btn")
        f.wait_for_function("() => document.documentElement.lang.startsWith('en')", timeout=60_000)
    login(w)
    check_project_on(w, "SC-0091", PROJECT)
    assert not f.locator("#expansion-fields").is_visible()
    f.check("#f-expansion")
    assert f.locator("#expansion-fields").is_visible()
    f.fill("#f-expansion-of", NAME)
    f.fill("#f-existing-land", "50")
    f.fill("#f-existing-investment", "10000")
    f.fill("#f-existing-output", "20000")
    w.shot(f"{lang}_40_expansion_form")
    f.click("#check-btn")
    f.wait_for_selector("#check-result #check-expansion")
    block = f.locator("#check-expansion").inner_text()
    if zh:
        assert block.startswith(
            f"现有企业扩建：{NAME}；现有用地 50 亩（申报），现有固定资产投资 10,000 万元、年产值 20,000 万元（申报）。"
        )
        assert "表9-6 强度按扩建后企业总量计" in block
    else:
        assert block.startswith(
            f"Expansion of {NAME}: existing land 50 mu (declared), fixed-asset investment so far 10,000"
        )
        assert "on the enterprise after the expansion" in block
    # new land justified: min(16000 ÷ 250, 29000 ÷ 200) = 64 亩 for the whole enterprise, less its 50
    justified = "新增用地最多可支撑 14 亩" if zh else "justify at most 14 mu of new land"
    assert justified in f.locator("#check-result").inner_text()
    row = f.locator(".rules-table tr[data-rule='investment_intensity']")
    assert "rule-fail" in row.get_attribute("class")
    message = f.locator(".rules-table tr[data-rule='investment_intensity'] + tr.rule-msg").inner_text()
    assert message.startswith(inv["message"][:40])
    assert ("新增部分单独计为 6000 万元 ÷ 37.5" if zh else "the added part alone: 6000") in message
    w.shot(f"{lang}_41_expansion_verdict")

    # an enterprise the zone does not know: the error names it
    w.allow(r"status of 404")
    f.fill("#f-expansion-of", "无名铝厂")
    f.click("#check-btn")
    f.wait_for_selector("#check-error")
    assert "无名铝厂" in f.locator("#check-error").inner_text()
    w.shot(f"{lang}_42_expansion_unknown_enterprise")
