"""The supervision page (供后监管) and the map's marks, on the sample's illustrative contracts.

``parksite serve`` on an empty state loads three illustrative contracts dated from the day it
starts (app/sample/contracts.py): one idle (agreed start 1 year + 60 days ago, not started),
one overdue for completion (started 2 years + 90 days ago), one on time. Today the list has two
cases: not_completed (90 days overdue) and idle_not_started (60 days overdue, fee 20 % of the
price); a year and a day later the idle one is a take-back case.
"""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from shapely.geometry import shape

from scoring.supervision import add_years

from .helpers import Watch, fit, login

pytestmark = pytest.mark.browser


def _rows(w: Watch) -> list[dict[str, str]]:
    return w.page.evaluate(
        """() => [...document.querySelectorAll('#supervision-body tr')].map((tr) => ({
            rule: tr.dataset.rule, enterprise: tr.dataset.enterprise,
            days: tr.querySelector('.days-overdue').textContent.trim(), text: tr.innerText}))"""
    )


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_supervision_list(w: Watch, api: httpx.Client, lang: str) -> None:
    zh = lang == "zh"
    f = w.page
    w.goto("/supervision")
    if not zh:
        f.click("#lang-btn")
        f.wait_for_function("() => document.documentElement.lang.startsWith('en')", timeout=60_000)
    # signed out: no cases, a note asking to log in
    assert f.locator("#supervision-body tr").count() == 0
    assert ("请先登录" if zh else "Log in to see") in f.locator("#supervision-access").inner_text()
    login(w)
    f.wait_for_selector("#supervision-body tr")
    today = dt.date.today()
    assert f.locator("#supervision-date").input_value() == today.isoformat()
    rows = _rows(w)
    assert [(r["rule"], r["days"]) for r in rows] == [("not_completed", "90"), ("idle_not_started", "60")]
    assert [r["enterprise"] for r in rows] == ["示例逾期企业（虚构）", "示例闲置企业（虚构）"]
    contracts = {c["enterprise"]: c for c in api.get("/land/contracts").json()["contracts"]}
    idle = contracts["示例闲置企业（虚构）"]
    fee = f"{idle['price_wan'] * 0.2:,.2f}"
    if zh:
        assert "开工后两年未建成" in rows[0]["text"] and "列入清退目录" in rows[0]["text"]
        assert "闲置土地：满一年未动工" in rows[1]["text"] and f"闲置费 {fee} 万元" in rows[1]["text"]
        assert "第53号" in rows[1]["text"]
    else:
        assert "Not completed two years after starting" in rows[0]["text"]
        assert "Put on the clearance list" in rows[0]["text"]
        assert f"fee {fee} 10k yuan" in rows[1]["text"] and "Levy the idle-land fee" in rows[1]["text"]
    assert idle["parcel_ids"][0] in rows[1]["text"]
    # every row is labelled illustrative, and so is the page
    assert f.locator("#supervision-body .illustrative-badge").count() == 2
    assert f.locator("#supervision-illustrative").is_visible()
    assert ("共 2 件" if zh else "2 case(s)") in f.locator("#supervision-count").inner_text()
    w.shot(f"supervision_{lang}_today")

    # a year and a day on: the idle parcel is proposed for take-back, the other still listed
    later = add_years(today, 1) + dt.timedelta(days=1)
    f.fill("#supervision-date", later.isoformat())
    f.click("#supervision-show")
    f.wait_for_function("() => document.querySelector('#supervision-body tr[data-rule=\"idle_takeback\"]')")
    assert [r["rule"] for r in _rows(w)] == ["not_completed", "idle_takeback"]
    w.shot(f"supervision_{lang}_later")


def test_map_marks_idle_and_overdue_parcels(w: Watch, api: httpx.Client) -> None:
    cases = api.get("/supervision", params={"as_of": dt.date.today().isoformat()}).json()["cases"]
    by_rule = {c["rule"]: c["parcel_ids"][0] for c in cases}
    w.goto("/")
    login(w)
    for rule, color in (("idle_not_started", "#e91e63"), ("not_completed", "#ff6d00")):
        pid = by_rule[rule]
        fit(w, shape(api.get(f"/parcels/{pid}").json()["geometry"]))
        w.page.wait_for_function(
            "([id, c]) => { const l = window.parksite.parcels.byId.get(id); return l && l.options.color === c; }",
            arg=[pid, color],
        )
        if rule == "idle_not_started":
            # the parcel panel says so too, with a link to the list
            w.page.evaluate("(id) => window.parksite.parcels.select(id, {zoom: false})", pid)
            badge = w.page.locator("#parcel-supervised")
            badge.wait_for()
            assert badge.inner_text() == "供后监管 · 闲置 · 示例闲置企业（虚构）"
            assert badge.get_attribute("href").endswith("/supervision")
            w.shot("supervision_map_idle")
    assert w.page.locator("#legend-idle").count() == 1 and w.page.locator("#legend-overdue").count() == 1
    w.shot("supervision_map_overdue")
