"""The main map's land-use layers and the managers' table uploads (issue 17), on the served
sample: its illustrative yearly figures (2022–2025) and its three illustrative contracts (one
idle: agreed start a year and 60 days ago, not started; one overdue for completion).

* 亩均效益评价分类: every evaluated enterprise's parcels filled with its 2025 class colour (as
  GET /evaluation/map says), the legend naming the classes, a popup with enterprise, year,
  class, score and rank;
* 闲置/逾期地块: the idle contract's parcel outlined in the idle colour, its popup (rule, days
  overdue 60, action), the legend's rules; the supervision list links to it on the map;
* the dashboard's figures upload: a bad row refused by row and column (nothing written), a
  good file checked, then imported (the new year appears).
Screenshots in zh and en.
"""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from shapely.geometry import shape

from .helpers import Watch, login

pytestmark = pytest.mark.browser

CLASS_COLORS = {"A": "#1a9850", "B": "#91cf60", "C": "#fdae61", "D": "#d73027", "T": "#8c8c8c"}
NO_CLASS = "#cccccc"


def _english(w: Watch) -> None:
    w.page.click("#lang-btn")
    w.page.wait_for_function("() => document.documentElement.lang.startsWith('en')", timeout=60_000)


def _show_layer(w: Watch, name: str) -> None:
    """Switch layer ``name`` on in the layer control and wait until it is drawn."""
    w.page.evaluate(
        """(name) => { window.__drawn = false;
           window.parksite.map.once('landlayer:drawn', () => { window.__drawn = true; }); }""",
        name,
    )
    w.page.hover(".leaflet-control-layers")
    w.page.click(f".leaflet-control-layers-overlays span[data-layer='{name}']")
    w.page.wait_for_function("() => window.__drawn === true", timeout=60_000)
    w.page.mouse.move(700, 450)


def _fit_layer(w: Watch, name: str) -> None:
    w.page.evaluate(
        "(n) => window.parksite.map.fitBounds(window.parksite.land[n].group.getBounds(), {animate: false, maxZoom: 16})",
        name,
    )


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_class_layer_colours_parcels_by_class(w: Watch, api: httpx.Client, lang: str) -> None:
    fc = api.get("/evaluation/map").json()
    assert fc["year"] == 2025 and fc["illustrative"] is True
    expected = {f["id"]: CLASS_COLORS.get(f["properties"]["class"] or "", NO_CLASS) for f in fc["features"]}
    assert {"#1a9850", "#91cf60"} <= set(expected.values())  # the sample has A and B firms
    w.goto("/")
    login(w)
    if lang == "en":
        _english(w)
    _show_layer(w, "evaluation")
    drawn = w.page.evaluate(
        """() => { const out = {}; window.parksite.land.evaluation.group.eachLayer((l) => {
             out[l.feature.id] = l.options.fillColor; }); return out; }"""
    )
    assert drawn == expected
    # the layer's paths are in the map (its own pane), filled with the class colours
    fills = w.page.evaluate(
        "() => [...document.querySelectorAll('.leaflet-landuse-pane path')].map((p) => p.getAttribute('fill'))"
    )
    assert len(fills) == len(expected) and set(fills) == set(expected.values())
    legend = w.page.locator("#legend-evaluation li").all_inner_texts()
    assert len(legend) == 6
    title = w.page.locator(".legend-control").inner_text()
    if lang == "zh":
        assert "亩均效益评价分类（2025 年）" in title and "示例数据（虚构）" in title
        assert legend[0].startswith("A ") and legend[4] == "T 不参与排名"
    else:
        assert "Per-mu benefit classes (2025)" in title and "Illustrative" in title
        assert legend[4] == "T not ranked"
    # a click on an A firm's parcel: its popup and the parcel selected
    pid, f = next((f["id"], f) for f in fc["features"] if f["properties"]["class"] == "A")
    _fit_layer(w, "evaluation")
    w.page.evaluate(
        """(id) => { const ls = []; window.parksite.land.evaluation.group.eachLayer((l) => { if (l.feature.id === id) ls.push(l); });
             window.parksite.map.fitBounds(ls[0].getBounds(), {animate: false, maxZoom: 16}); ls[0].fire('click', {latlng: ls[0].getBounds().getCenter()});
             ls[0].openPopup(ls[0].getBounds().getCenter()); }""",
        pid,
    )
    popup = w.page.locator(".leaflet-popup-content")
    popup.wait_for()
    text = popup.inner_text()
    p = f["properties"]
    assert p["enterprise"] in text and "2025" in text and f"{p['score']:.2f}" in text
    assert (f"排名\t{p['rank']}" if lang == "zh" else f"Rank\t{p['rank']}") in text
    assert w.page.evaluate("() => window.parksite.parcels.selected") == pid
    w.shot(f"land_evaluation_layer_{lang}")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_idle_layer_marks_the_idle_contracts_parcel(w: Watch, api: httpx.Client, lang: str) -> None:
    today = dt.date.today().isoformat()
    fc = api.get("/supervision/map", params={"as_of": today}).json()
    idle = next(f for f in fc["features"] if f["properties"]["rule"] == "idle_not_started")
    pid = idle["properties"]["parcel_id"]
    assert idle["properties"]["enterprise"] == "示例闲置企业（虚构）" and idle["properties"]["illustrative"]
    w.goto("/")
    login(w)
    if lang == "en":
        _english(w)
    _show_layer(w, "supervision")
    styles = w.page.evaluate(
        """() => { const out = {}; window.parksite.land.supervision.group.eachLayer((l) => {
             out[l.feature.id] = [l.options.color, l.options.dashArray]; }); return out; }"""
    )
    assert styles[f"{pid}:idle_not_started"] == ["#e91e63", None]
    assert any(k.endswith(":not_completed") and v == ["#ff6d00", "8 4"] for k, v in styles.items())
    legend = w.page.locator("#legend-supervision li[data-rule='idle_not_started']")
    assert "text-muted" not in (legend.get_attribute("class") or "")
    assert legend.inner_text() == (
        "闲置：超过约定开工日期满一年未动工"
        if lang == "zh"
        else "Idle: not started a year after the agreed date"
    )
    assert "text-muted" in (
        w.page.locator("#legend-supervision li[data-rule='idle_takeback']").get_attribute("class") or ""
    )
    assert w.page.locator("#landmap-as-of").input_value() == today
    w.page.evaluate(
        """(id) => { window.parksite.land.supervision.group.eachLayer((l) => { if (l.feature.id === id) {
             window.parksite.map.fitBounds(l.getBounds(), {animate: false, maxZoom: 16}); l.openPopup(l.getBounds().getCenter()); } }); }""",
        f"{pid}:idle_not_started",
    )
    text = w.page.locator(".leaflet-popup-content").inner_text()
    assert "示例闲置企业（虚构）" in text and "60" in text and idle["properties"]["since"] in text
    if lang == "zh":
        assert "征收土地闲置费" in text and "示例数据（虚构）" in text
    else:
        assert "Levy the idle-land fee" in text and "Illustrative" in text
    w.shot(f"land_supervision_layer_{lang}")

    # a year and a day on (the legend's date): the idle parcel is a take-back case
    later = (dt.date.today() + dt.timedelta(days=367)).isoformat()
    w.page.evaluate(
        "() => { window.__drawn = false; window.parksite.map.once('landlayer:drawn', () => { window.__drawn = true; }); }"
    )
    w.page.fill("#landmap-as-of", later)
    w.page.dispatch_event("#landmap-as-of", "change")
    w.page.wait_for_function("() => window.__drawn === true")
    rules = w.page.evaluate(
        "() => { const r = []; window.parksite.land.supervision.group.eachLayer((l) => r.push(l.feature.id)); return r; }"
    )
    assert f"{pid}:idle_takeback" in rules and f"{pid}:idle_not_started" not in rules


def test_supervision_list_links_to_the_parcel_on_the_map(w: Watch, api: httpx.Client) -> None:
    w.goto("/supervision")
    login(w)
    link = w.page.locator("#supervision-body tr[data-rule='idle_not_started'] a.parcel-link").first
    link.wait_for()
    pid = link.inner_text().strip()
    with w.page.expect_navigation():
        link.click()
    w.page.wait_for_selector("body[data-ready='1']", timeout=60_000)
    assert w.page.evaluate("() => window.parksite.parcels.selected") == pid
    assert w.page.evaluate("() => window.parksite.map.hasLayer(window.parksite.land.supervision.group)")
    centre = w.page.evaluate("() => { const c = window.parksite.map.getCenter(); return [c.lng, c.lat]; }")
    parcel = api.get(f"/parcels/{pid}").json()
    bounds = shape(parcel["geometry"]).buffer(0.002).bounds
    assert bounds[0] < centre[0] < bounds[2] and bounds[1] < centre[1] < bounds[3]
    w.shot("land_supervision_link")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_figures_upload_refuses_a_bad_row_then_imports(
    w: Watch, api: httpx.Client, lang: str, tmp_path
) -> None:
    w.allow(r"401|422|400|Unauthorized|Unprocessable|Bad Request")  # before login; the refused file
    names = sorted({f["properties"]["enterprise"] for f in api.get("/evaluation/map").json()["features"]})[:2]
    head = "enterprise,land_mu,tax_wan,power_10k_kwh,scale,producing_year\n"
    bad = tmp_path / "bad.csv"
    bad.write_text(
        head + f"{names[0]},15,30,10,规下,2010\n{names[1]},abc,30,30,规下,2012\n", encoding="utf-8"
    )
    good = tmp_path / "good.csv"
    good.write_text(
        head + f"{names[0]},15,30,10,规下,2010\n{names[1]},30,30,30,规下,2012\n", encoding="utf-8"
    )
    year = 2026 if lang == "zh" else 2027
    w.goto("/dashboard")
    assert not w.page.locator("#figures-import").is_visible()  # signed out: no upload
    login(w)
    if lang == "en":
        _english(w)
        # the dashboard reads its notes again in English: let it finish (the screenshots show it)
        w.page.wait_for_function(
            "() => document.getElementById('dash-main').dataset.lang === 'en'"
            " && document.getElementById('dash-zone').textContent.includes('no data:')",
            timeout=60_000,
        )
    w.page.wait_for_selector("#figures-import form")
    w.page.fill("#figures-import-year", str(year))
    w.page.dispatch_event("#figures-import-year", "change")
    w.page.set_input_files("#figures-import-file", str(bad))
    w.page.click("#figures-import-check")
    row = w.page.locator(".table-import-problems tr[data-row='3']")
    row.wait_for()
    assert row.get_attribute("data-column") == "land_mu"
    assert "abc" in row.inner_text()
    assert w.page.locator("#figures-import-run").is_disabled()
    status = w.page.locator("#figures-import .table-import-status").inner_text()
    assert ("未写入任何数据" if lang == "zh" else "nothing was written") in status
    w.page.locator("#figures-import").scroll_into_view_if_needed()
    w.shot(f"land_figures_upload_refused_{lang}")
    assert year not in api.get("/evaluation/map").json()["years"]

    w.page.set_input_files("#figures-import-file", str(good))
    w.page.click("#figures-import-check")
    w.page.wait_for_selector("#figures-import .table-import-status[data-dry-run='1']")
    assert w.page.locator(".table-import-problems").count() == 0
    assert year not in api.get("/evaluation/map").json()["years"]  # checked, nothing written
    w.page.click("#figures-import-run")
    w.page.wait_for_selector("#figures-import .table-import-status[data-dry-run='0']")
    done = w.page.locator("#figures-import .table-import-status").inner_text()
    assert (
        f"已导入 {year} 年 2 家企业" if lang == "zh" else f"Imported the {year} figures of 2 enterprises"
    ) in done
    w.page.wait_for_function(
        "(y) => document.getElementById('dash-main').dataset.year === String(y)", arg=year
    )
    assert year in api.get("/evaluation/map").json()["years"]
    w.shot(f"land_figures_upload_done_{lang}")


def test_contracts_upload_on_the_supervision_page(w: Watch, api: httpx.Client, tmp_path) -> None:
    w.allow(r"401|422|400|Unauthorized|Unprocessable|Bad Request")  # before login; the refused file
    held = {p for c in api.get("/land/contracts").json()["contracts"] for p in c["parcel_ids"]}
    vacant = api.get("/parcels", params={"status": "vacant", "limit": 50}).json()["features"]
    pid = next(f["properties"]["parcel_id"] for f in vacant if f["properties"]["parcel_id"] not in held)
    head = "企业名称,地块编号,面积（亩）,签订日期,出让价款（万元）,约定开工日期,实际开工日期\n"
    bad = tmp_path / "bad.csv"
    bad.write_text(head + "测试企业,SC-9999,5,2026-01-01,50,2026-03-01,\n", encoding="utf-8")
    good = tmp_path / "good.csv"
    soon = dt.date.today() + dt.timedelta(days=30)
    good.write_text(head + f"测试企业,{pid},5,{dt.date.today()},50,{soon},\n", encoding="utf-8")
    w.goto("/supervision")
    login(w)
    w.page.wait_for_selector("#contracts-import form")
    w.page.set_input_files("#contracts-import-file", str(bad))
    w.page.click("#contracts-import-check")
    row = w.page.locator("#contracts-import .table-import-problems tr[data-row='2']")
    row.wait_for()
    assert row.get_attribute("data-column") == "地块编号" and "SC-9999" in row.inner_text()
    assert w.page.locator("#contracts-import-run").is_disabled()
    w.shot("land_contracts_upload_refused_zh")
    w.page.set_input_files("#contracts-import-file", str(good))
    w.page.click("#contracts-import-check")
    w.page.wait_for_selector("#contracts-import .table-import-status[data-dry-run='1']")
    assert "测试企业" not in {c["enterprise"] for c in api.get("/land/contracts").json()["contracts"]}
    w.page.click("#contracts-import-run")
    w.page.wait_for_selector("#contracts-import .table-import-status[data-dry-run='0']")
    assert "新增 1 份合同" in w.page.locator("#contracts-import .table-import-status").inner_text()
    got = [c for c in api.get("/land/contracts").json()["contracts"] if c["enterprise"] == "测试企业"]
    assert [c["parcel_ids"] for c in got] == [[pid]]
