"""The map page: loading offline in Chinese, parcels read per view in pages, the layer control,
a parcel's score breakdown and exclusion reasons, the search box."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import httpx
import pytest
from shapely.geometry import shape

from .helpers import TO_ZONE, Watch, fit, to_page

pytestmark = pytest.mark.browser


def test_map_loads_offline_in_chinese(w: Watch) -> None:
    w.goto("/")
    page = w.page
    page.wait_for_function("() => document.querySelectorAll('.leaflet-parcels-pane path').length > 100")
    page.wait_for_selector(".park-label")
    # Chinese interface, legend with the plan's classes, no editing tools for an anonymous user
    assert page.locator("#tab-parcel-btn").inner_text().strip() == "地块"
    assert page.locator("#tab-check-btn").inner_text().strip() == "项目准入"
    legend = page.locator(".legend-control").inner_text()
    for word in ("优", "良", "中", "差", "排除", "园区边界", "组团边界"):
        assert word in legend
    assert page.locator("#cluster-tools").count() == 0
    assert "地块：已显示" in page.locator("#parcel-status").inner_text()
    # the default basemap is the zone's own hillshade
    assert any("/api/v1/tiles/hillshade/" in u for u in w.requests)
    assert not any("/api/v1/tiles/slope/" in u for u in w.requests)
    # parcels were asked for the visible box, in pages
    parcel_reqs = [u for u in w.requests if urlsplit(u).path == "/api/v1/parcels"]
    assert parcel_reqs and all("bbox=" in u and "limit=" in u for u in parcel_reqs)
    # mouse coordinates: lon/lat and EPSG:4546 x/y that agree with pyproj
    box = page.locator("#map").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    text = page.locator("#coords").inner_text()
    m = re.search(r"经度 ([\d.]+)°\s+纬度 ([\d.]+)°.*EPSG:4546 X ([\d.]+)\s+Y ([\d.]+)", text)
    assert m, text
    lon, lat, x, y = map(float, m.groups())
    ex, ey = TO_ZONE.transform(lon, lat)
    assert abs(ex - x) < 0.2 and abs(ey - y) < 0.2
    w.shot("01_map_loaded")


def test_parcels_are_read_for_the_view_in_pages(w: Watch, api: httpx.Client) -> None:
    w.goto("/")
    page = w.page
    # the zoom is animated: wait for its end and for the parcels of the new view, not the old
    page.evaluate(
        "() => { const m = window.parksite.map; window.__viewLoaded = false; m.once("
        "'moveend', () => m.once('parcels:loaded', () => { window.__viewLoaded = true; })); }"
    )
    page.click(".park-zoom a[data-park='shuangchi']")
    page.wait_for_function("() => window.__viewLoaded === true")
    assert page.evaluate("() => window.parksite.parcels.byId.size") > 0
    bounds = page.evaluate(
        "() => { const b = window.parksite.map.getBounds().pad(0.15); "
        "return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; }"
    )
    bbox = ",".join(f"{v:.6f}" for v in bounds)
    matched = api.get("/parcels", params={"bbox": bbox, "limit": 1}).json()["numberMatched"]
    total = api.get("/parcels", params={"limit": 1}).json()["numberMatched"]
    assert 0 < matched < total  # the view holds part of the zone
    # pages of 40: the page reads every parcel of the view, and only those, page by page
    page.evaluate("() => { window.parksite.parcels.pageSize = 40; }")
    before = len(w.requests)
    page.evaluate(
        "() => new Promise((r) => { window.parksite.map.once('parcels:loaded', r); window.parksite.parcels.reload(); })"
    )
    reqs = [u for u in w.requests[before:] if urlsplit(u).path == "/api/v1/parcels"]
    # (a load the map's own last move started may have been cancelled first: count the last one)
    last = max(i for i, u in enumerate(reqs) if "offset=0" in u)
    reqs = reqs[last:]
    assert len(reqs) == -(-matched // 40)
    assert [int(re.search(r"offset=(\d+)", u).group(1)) for u in reqs] == list(range(0, matched, 40))
    assert page.evaluate("() => window.parksite.parcels.byId.size") == matched
    assert f"共 {matched}" in page.locator("#parcel-status").inner_text()


def test_layers_toggle(w: Watch) -> None:
    w.goto("/")
    page = w.page
    page.click(".park-zoom a[data-park='shuangchi']")
    page.wait_for_function("() => document.querySelectorAll('.leaflet-parcels-pane path').length > 100")
    page.hover(".leaflet-control-layers")

    def toggle(layer: str) -> None:
        page.locator(f".leaflet-control-layers-overlays label:has(span[data-layer='{layer}']) input").click()

    def on_map(layer: str) -> bool:
        return page.evaluate("(k) => window.parksite.map.hasLayer(window.parksite.overlays[k])", layer)

    roads = "document.querySelectorAll('.leaflet-infra-pane path[stroke=\"#d62728\"]').length"
    assert page.evaluate(roads) > 0
    toggle("roads")
    assert not on_map("roads") and page.evaluate(roads) == 0
    toggle("roads")
    assert on_map("roads") and page.evaluate(roads) > 0

    toggle("parcels")
    assert page.locator(".leaflet-parcels-pane path").count() == 0
    toggle("parcels")
    page.wait_for_function("() => document.querySelectorAll('.leaflet-parcels-pane path').length > 100")

    # river control lines are drawn as their own polygons, one per river
    assert page.locator("path.river-control").count() == 3

    with page.expect_response(lambda r: "/api/v1/tiles/slope/" in r.url and r.status == 200):
        toggle("slope")
    assert on_map("slope")
    assert "8.5°" in page.locator("#legend-slope").inner_text()

    toggle("places")
    page.wait_for_function("() => window.parksite.overlays.places.getLayers().length > 0")

    # parcels styled by status: the legend and a vacant parcel's fill follow
    page.click("#style-status")
    assert "空闲" in page.locator("#legend-parcels").inner_text()
    fill = page.evaluate("""() => { for (const [, l] of window.parksite.parcels.byId)
        if (l.feature.properties.status === 'vacant') return l.options.fillColor; }""")
    assert fill == "#2ca02c"
    page.click("#style-cluster")
    assert "智能制造及资源综合利用组团" in page.locator("#legend-parcels").inner_text()
    page.click("#style-status")
    page.mouse.move(10, 400)  # let the layer control fold
    w.shot("02_layers_slope_by_status")


def test_click_parcel_shows_breakdown(w: Watch, api: httpx.Client) -> None:
    feats = api.get("/parcels", params={"park": "shuangchi", "status": "vacant", "limit": 1000}).json()[
        "features"
    ]
    good = max(
        (f for f in feats if not f["properties"]["excluded"]), key=lambda f: f["properties"]["area_m2"]
    )
    pid = good["properties"]["parcel_id"]
    detail = api.get(f"/parcels/{pid}").json()["properties"]
    geom = shape(good["geometry"])

    w.goto("/")
    fit(w, geom, 16)
    pt = geom.representative_point()
    w.page.mouse.click(*to_page(w, pt.x, pt.y))
    w.page.wait_for_function("(id) => document.querySelector('#parcel-title')?.textContent === id", arg=pid)
    w.page.wait_for_selector("#standard-land")
    area = w.page.locator("#parcel-area").inner_text()
    assert "m²" in area and "亩" in area
    assert f"{detail['area_mu']:.2f}" in area
    bars = w.page.evaluate("() => window.Chart.getChart('breakdown-chart').data.datasets[0].data")
    assert bars == pytest.approx([b["contribution"] or 0 for b in detail["breakdown"]])
    assert len(bars) == len(detail["breakdown"]) >= 5
    assert sum(bars) == pytest.approx(detail["score"], abs=0.2)
    assert "无" in w.page.locator("#parcel-reasons").inner_text()
    assert w.page.locator("[data-measure='earthwork_lim_m3_per_mu']").count() == 1
    w.shot("03_parcel_breakdown")

    # an excluded parcel lists why
    excluded = next(f for f in feats if f["properties"]["excluded"])
    eid = excluded["properties"]["parcel_id"]
    reasons = api.get(f"/parcels/{eid}").json()["properties"]["reasons"]
    eg = shape(excluded["geometry"])
    fit(w, eg, 16)
    ep = eg.representative_point()
    w.page.mouse.click(*to_page(w, ep.x, ep.y))
    w.page.wait_for_function("(id) => document.querySelector('#parcel-title')?.textContent === id", arg=eid)
    items = w.page.locator("#parcel-reasons li").all_inner_texts()
    assert items == reasons and items
    assert "排除" in w.page.locator(".class-badge").inner_text()
    w.shot("04_parcel_excluded")


def test_search_by_enterprise_name(w: Watch, api: httpx.Client) -> None:
    feats = api.get("/parcels", params={"status": "existing", "limit": 1000}).json()["features"]
    target = next(f["properties"] for f in feats if f["properties"]["enterprise"])
    name = target["enterprise"]
    w.goto("/")
    w.page.fill("#search-input", name)
    w.page.press("#search-input", "Enter")
    holders = [
        f["properties"]["parcel_id"]
        for f in feats
        if f["properties"]["enterprise"] and name in f["properties"]["enterprise"]
    ]
    if len(holders) > 1:
        w.page.click(f"#search-results button:has-text('{target['parcel_id']}')")
    w.page.wait_for_function(
        "(id) => document.querySelector('#parcel-title')?.textContent === id", arg=target["parcel_id"]
    )
    assert name in w.page.locator(".parcel-facts").inner_text()
