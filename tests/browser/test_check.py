"""The 项目准入 tab: a project's check (verdict table), the recommended parcels on the map, and
registering a checked project as admitted."""

from __future__ import annotations

import httpx
import pytest

from .helpers import Watch, almg_project_on_best_parcel, check_project_on, login

pytestmark = pytest.mark.browser


def test_project_check_shows_verdict_table_and_recommendation(w: Watch, api: httpx.Client) -> None:
    pid, project = almg_project_on_best_parcel(api, "年产10万吨铝基新材料项目")
    r = api.post("/check", json={"parcel_id": pid, "project": project, "lang": "zh", "record": False})
    assert r.status_code == 200, r.text
    expected = r.json()
    w.goto("/")
    login(w)
    check_project_on(w, pid, project)
    f = w.page
    # the hint asks the server for the land basis (the verdict's own formula): wait for it
    f.wait_for_function("() => document.querySelector('#intensity-hint').textContent.includes('投资强度 =')")
    f.click("#check-btn")
    f.wait_for_selector("#check-result")
    rows = f.locator(".rules-table tbody tr[data-rule]")
    assert rows.count() == len(expected["rules"])
    for i, rule in enumerate(expected["rules"]):
        assert rows.nth(i).get_attribute("data-rule") == rule["rule"]
        assert f"rule-{rule['status']}" in rows.nth(i).get_attribute("class")
    # no power or water declared: 需补充资料 (blue), not 需复核 — the fields to fill are named and outlined
    assert expected["verdict"] == "needs_data"
    assert expected["missing_fields"] == ["power_kw", "water_m3_per_day"]
    assert f.locator("#check-verdict").inner_text().strip() == "需补充资料"
    assert "text-bg-info" in f.locator("#check-verdict .badge").get_attribute("class")
    assert (
        f.locator("#check-missing").inner_text()
        == "需补充资料：请在表单中填写 用电负荷（kW）、用水量（m³/d），再重新检查"
    )
    assert f.locator("#project-form .needs-data").evaluate_all("els => els.map((e) => e.name)") == [
        "water_m3_per_day",
        "power_kw",
    ]
    assert "投资强度" in f.locator(".rules-table").inner_text()
    w.shot("09_check_verdict_table")
    # the same project as 规模控制 氧化铝 with power and water declared: 需复核 (amber), nothing to fill
    f.select_option("#f-branch", "氧化铝")
    f.fill("#f-power", "1000")
    f.fill("#f-water", "20")
    f.click("#check-btn")
    f.wait_for_function("() => document.querySelector('#check-verdict')?.textContent.trim() === '需复核'")
    assert "text-bg-warning" in f.locator("#check-verdict .badge").get_attribute("class")
    assert f.locator("#check-missing").count() == 0 and f.locator("#project-form .needs-data").count() == 0
    w.shot("09b_check_review_not_needs_data")

    r = api.post("/recommend", json={"project": project, "top": 5, "lang": "zh"})
    assert r.status_code == 200, r.text
    rec = r.json()
    f.click("#recommend-btn")
    f.wait_for_selector("#recommend-result")
    n = len(rec["candidates"])
    assert n >= 1
    assert f.locator(".candidate").count() == n
    f.wait_for_function("(n) => document.querySelectorAll('.rank-marker').length === n", arg=n)
    assert f.locator(".rank-marker span").all_inner_texts() == [str(c["rank"]) for c in rec["candidates"]]
    f.click(".candidate[data-rank='1']")
    w.shot("10_recommendation_on_map")


def test_a_checked_project_is_registered_as_admitted(w: Watch, api: httpx.Client) -> None:
    # 登记准入 after a check: a 需复核 verdict asks for a reason; a parcel taken meanwhile by another
    # admitted project shows the refusal; once it is free again the admission succeeds (a toast)
    pid, project = almg_project_on_best_parcel(api, "登记准入测试项目")
    project = {**project, "branch": "氧化铝", "power_kw": 1000, "water_m3_per_day": 20}
    r = api.post("/check", json={"parcel_id": pid, "project": project, "lang": "zh", "record": False})
    assert r.status_code == 200, r.text
    assert r.json()["verdict"] == "review"  # 氧化铝 is 规模控制 (表9-5): a person must judge
    w.allow(r"status of 409")
    w.goto("/")
    login(w)
    check_project_on(w, pid, project)
    f = w.page
    f.click("#check-btn")
    f.wait_for_selector("#check-result #save-btn")  # a check is stored only when saved
    assert api.get("/projects").json()["numberMatched"] == 0
    f.click("#save-btn")
    f.wait_for_selector("#check-result #admit-btn")
    assert f.locator("#admit-btn").inner_text().strip() == "登记准入"
    f.click("#admit-btn")  # no reason for a 需复核 verdict: asked for, nothing sent
    assert f.locator("#admit-refused").inner_text() == "结论为需复核：请填写准入理由。"
    assert api.get("/projects", params={"status": "admitted"}).json()["numberMatched"] == 0

    # another project is admitted on the parcel meanwhile: the refusal is shown in Chinese
    other = api.post("/projects", json={"parcel_id": pid, "project": {**project, "name": "抢先项目"}}).json()
    other_id = other["id"]
    r = api.post(f"/projects/{other_id}/admission", json={"parcel_id": pid, "reason": "测试"})
    assert r.status_code == 200, r.text
    f.fill("#admit-reason", "污水处理厂扩建后复核")
    f.click("#admit-btn")
    f.wait_for_selector("#admit-modal.show")
    f.click("#admit-confirm")
    f.wait_for_function(
        "() => document.querySelector('#admit-refused')?.textContent.includes('已被已准入项目')"
    )
    assert "抢先项目" in f.locator("#admit-refused").inner_text()
    w.shot("12_admission_refused")

    assert api.delete(f"/projects/{other_id}/admission").status_code == 200
    f.wait_for_selector("#admit-modal", state="hidden")
    f.click("#admit-btn")
    f.wait_for_selector("#admit-modal.show")
    f.click("#admit-confirm")
    # the admission writes and re-reads capacity: allow for a loaded CI machine
    f.wait_for_selector(
        f".toast[data-kind='ok']:has-text('项目「{project['name']}」已登记准入：{pid}')", timeout=60_000
    )
    f.wait_for_selector("#admit-state", timeout=60_000)
    (mine,) = api.get("/projects", params={"status": "admitted"}).json()["projects"]
    assert (mine["name"], mine["admission"]["parcel_ids"], mine["admission"]["reason"]) == (
        project["name"],
        [pid],
        "污水处理厂扩建后复核",
    )
    w.shot("13_admission_registered")
    assert api.delete(f"/projects/{mine['id']}/admission").status_code == 200  # leave the parcel free


OPEN_WELL = """(name) => {
  const p = window.parksite;
  const m = p.overlays.water.getLayers().find((l) => l.feature && l.feature.properties.name === name);
  p.map.setView(m.getLatLng(), 17, { animate: false });
  m.openPopup();
}"""


def test_illustrative_facility_and_needs_data_in_both_languages(w: Watch, api: httpx.Client) -> None:
    """A facility the plan does not name (双池岩溶水井) is marked illustrative in its popup, on its
    marker and in the legend; 需补充资料 reads as "needs data" in English, the fields named."""
    w.goto("/")
    login(w)
    page = w.page
    page.evaluate("() => window.parksite.map.addLayer(window.parksite.overlays.water)")
    page.wait_for_function("() => window.parksite.overlays.water.getLayers().length > 0")
    page.evaluate(OPEN_WELL, "双池岩溶水井")
    note = page.locator(".leaflet-popup .illustrative-note")
    assert note.inner_text().strip().startswith("示意设施（规划未列出）")
    assert "未列出水井" in note.inner_text()
    assert page.locator(".awesome-marker.illustrative").count() >= 1
    assert page.locator("#legend-illustrative").inner_text().strip() == "示意设施（规划未列出）"
    w.shot("14_illustrative_facility_zh")
    page.click("#lang-btn")
    page.wait_for_function("() => document.documentElement.lang.startsWith('en')")
    page.evaluate(OPEN_WELL, "双池岩溶水井")
    note = page.locator(".leaflet-popup .illustrative-note")
    assert note.inner_text().strip().startswith("Illustrative facility (not named by the plan)")
    assert "names no wells" in note.inner_text()
    w.shot("14_illustrative_facility_en")
    page.locator(".leaflet-popup-close-button").click()

    pid, project = almg_project_on_best_parcel(api, "Needs-data project")
    check_project_on(w, pid, project)
    page.click("#check-btn")
    page.wait_for_selector("#check-result")
    assert page.locator("#check-verdict").inner_text().strip() == "needs data"
    assert page.locator("#check-missing").inner_text() == (
        "Needs data: fill in Power load (kW), Water (m³/d) in the form and check again"
    )
    w.shot("09_check_needs_data_en")
