"""The land basis in the 项目准入 form: the hint shows the formula the verdict uses, the verdict
states the basis, and a parcel's part inside a river control line is a warning drawn on the map.

The sample zone's SC-0183 lies partly inside 大麦郊河's control line; SC-0091 (37.54 亩) is too
small to split off a 30 亩 project (7.54 亩 would remain, under the 10 亩 minimum)."""

from __future__ import annotations

import httpx
import pytest

from .helpers import Watch, check_project_on, login

pytestmark = pytest.mark.browser

PROJECT = {
    "name": "铝基新材料用地核算测试",
    "industry": "铝镁新材料",
    "branch": "铝基新材料",
    "investment_wan": 9000,
    "output_wan": 9000,
    "tax_wan": 300,
    "land_mu": 30,
    "online_monitoring": True,
    "waste_treatment_pct": 98,
}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_form_and_the_verdict_state_the_land_basis(w: Watch, api: httpx.Client, lang: str) -> None:
    zh = lang == "zh"
    expected = {}
    for pid in ("SC-0183", "SC-0091"):
        r = api.post("/check", json={"parcel_id": pid, "project": PROJECT, "lang": lang})
        assert r.status_code == 200, r.text
        expected[pid] = r.json()
    land = expected["SC-0183"]["land"]
    assert land["basis"] == "split" and land["deductions"][0]["name"] == "大麦郊河"
    assert expected["SC-0091"]["land"]["basis"] == "net"

    f = w.page
    w.goto("/")
    if not zh:
        f.click("#lang-btn")
        f.wait_for_function("() => document.documentElement.lang.startsWith('en')", timeout=60_000)
    login(w)

    # SC-0091: the hint divides by the whole parcel, as the verdict will, and says why
    check_project_on(w, "SC-0091", PROJECT)
    inv = next(x for x in expected["SC-0091"]["rules"] if x["rule"] == "investment_intensity")
    f.wait_for_function(
        "() => document.querySelector('#intensity-hint .hint-basis') !== null", timeout=60_000
    )
    hint = f.locator("#intensity-hint .hint-formula").first.inner_text()
    want = (
        "投资强度 = 9000 万元 ÷ 37.54 亩（整块可建设净用地）= 239.77 万元/亩"
        if zh
        else (
            "investment intensity = 9000 10k yuan ÷ 37.54 mu (whole net buildable land) = 239.77 10k yuan/mu"
        )
    )
    assert hint == want and inv["message"].startswith(want)
    assert ("10 亩" if zh else "10 mu") in f.locator("#intensity-hint .hint-basis").inner_text()
    w.shot(f"{lang}_30_land_hint_whole_parcel")

    # SC-0183's panel: not excluded, but its part in 大麦郊河's control line is named and scales
    # the score (no longer "no exclusion" without a word)
    parcel = api.get("/parcels/SC-0183").json()["properties"]
    assert 0 < parcel["land_factor"] < 1
    f.fill("#search-input", "SC-0183")
    f.press("#search-input", "Enter")
    f.click("#tab-parcel-btn")
    f.wait_for_selector("#parcel-partial")
    partial = f.locator("#parcel-partial").inner_text()
    assert "大麦郊河" in partial and f"{100 * parcel['land_factor']:.1f}".rstrip("0").rstrip(".") in partial
    assert float(f.locator("#parcel-score").inner_text()) == pytest.approx(parcel["score"], abs=0.05)
    w.shot(f"{lang}_29_parcel_partly_constrained")

    # SC-0183: 30 亩 split off; the part in 大麦郊河's control line is a warning, drawn hatched
    check_project_on(w, "SC-0183", PROJECT)
    want = (
        "投资强度 = 9000 万元 ÷ 30 亩（申报用地）= 300 万元/亩"
        if zh
        else ("investment intensity = 9000 10k yuan ÷ 30 mu (declared land) = 300 10k yuan/mu")
    )
    f.wait_for_function(
        "(want) => document.querySelector('#intensity-hint .hint-formula')?.textContent === want",
        arg=want,
        timeout=60_000,
    )
    f.click("#check-btn")
    f.wait_for_selector("#check-result")
    block = f.locator("#land-basis")
    assert block.get_attribute("data-basis") == "split"
    text = block.inner_text()
    assert ("用地核算" if zh else "Land basis") in text
    assert land["basis_label"] in text and "大麦郊河" in f.locator("#land-parts").inner_text()
    assert f.locator("#land-split").count() == 1
    row = f.locator(".rules-table tr[data-rule='encroachment']")
    assert "level-warning" in row.get_attribute("class") and "rule-pass" in row.get_attribute("class")
    assert row.locator(".level-badge").inner_text() == ("注意" if zh else "note")
    inv = f.locator(".rules-table tr.rule-msg").nth(
        [x["rule"] for x in expected["SC-0183"]["rules"]].index("investment_intensity")
    )
    assert want in inv.inner_text()
    # drawn: the river part hatched red, the granted piece, the remainder and the cut
    f.wait_for_function("() => document.querySelectorAll('path.land-deduction').length >= 1")
    assert f.locator("path.land-granted").count() == 1 and f.locator("path.land-remainder").count() == 1
    fill = f.evaluate("() => getComputedStyle(document.querySelector('path.land-deduction')).fill")
    assert "land-hatch" in fill
    f.locator("#check-result").scroll_into_view_if_needed()
    w.shot(f"{lang}_31_land_basis_and_encroachment")
    row.scroll_into_view_if_needed()
    w.shot(f"{lang}_32_encroachment_warning")
