"""Parcels from vector tiles in a real browser: the sample zone (a few hundred parcels) keeps
GeoJSON; forced with ``?parcels=vector`` the map draws the parcels from ``.mvt`` tiles
(Leaflet.VectorGrid on canvas), styled by class, a click opens the parcel's panel, dragging over
parcels still pans, in Chinese and in English.

Screenshots: ``tests/_artifacts/screenshots/vector_tiles_{zh,en}.png``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import pytest
from shapely.geometry import shape

from .helpers import Watch, fit, to_page

pytestmark = pytest.mark.browser


def parcel_requests(w: Watch) -> tuple[list[str], list[str]]:
    """The GeoJSON parcel requests and the parcel vector tile requests the page made."""
    geojson = [u for u in w.requests if urlsplit(u).path == "/api/v1/parcels"]
    tiles = [u for u in w.requests if urlsplit(u).path.startswith("/api/v1/tiles/parcels/")]
    return geojson, tiles


def vacant_parcels(api: httpx.Client) -> list[dict]:
    feats = api.get("/parcels", params={"park": "shuangchi", "status": "vacant", "limit": 1000}).json()[
        "features"
    ]
    good = [f for f in feats if not f["properties"]["excluded"]]
    return sorted(good, key=lambda f: -f["properties"]["area_m2"])


def click_and_wait_panel(w: Watch, feature: dict) -> None:
    pt = shape(feature["geometry"]).representative_point()
    w.page.mouse.click(*to_page(w, pt.x, pt.y))
    w.page.wait_for_function(
        "(id) => document.querySelector('#parcel-title')?.textContent === id",
        arg=feature["properties"]["parcel_id"],
    )


def test_sample_zone_keeps_geojson(w: Watch) -> None:
    w.goto("/")
    w.page.wait_for_function("() => document.querySelectorAll('.leaflet-parcels-pane path').length > 100")
    geojson, tiles = parcel_requests(w)
    assert geojson and not tiles
    assert w.page.evaluate("() => window.parksite.parcels.vector") is False


def test_forced_vector_tiles_draw_and_open_the_panel(w: Watch, api: httpx.Client) -> None:
    parcels = vacant_parcels(api)
    first, second = parcels[0], parcels[1]
    w.goto("/?parcels=vector")
    fit(w, shape(first["geometry"]), 16)
    w.page.wait_for_function(
        "() => window.parksite.parcels.vector && window.parksite.parcels.tiles.drawn > 0"
    )
    # drawn on canvas tiles, not as GeoJSON paths; tiles asked with the data version
    assert w.page.locator(".leaflet-parcels-pane path").count() == 0
    assert w.page.locator(".leaflet-parcels-pane canvas").count() > 0
    info = api.get("/tiles/vector.json").json()
    geojson, tiles = parcel_requests(w)
    assert tiles and all(u.endswith(f".mvt?v={info['version']}") for u in tiles)
    assert geojson == []  # the view's count comes from /tiles/vector.json?bbox=…
    # the parcel's pixel has its class colour (the class style fills 优 green-ish, not empty)
    click_and_wait_panel(w, first)
    w.page.wait_for_selector("#standard-land")
    status = w.page.locator("#parcel-status").inner_text()
    assert "矢量瓦片" in status
    area = w.page.locator("#parcel-area").inner_text()
    assert f"{first['properties']['area_mu']:.2f}" in area and "亩" in area
    assert w.page.evaluate("() => window.parksite.parcels.selected") == first["properties"]["parcel_id"]
    w.shot("vector_tiles_zh")

    # in English, another parcel
    w.page.click("#lang-btn")
    w.page.wait_for_function("() => document.documentElement.lang === 'en'")
    fit(w, shape(second["geometry"]), 16)
    w.page.wait_for_function("() => window.parksite.parcels.tiles.drawn > 0")
    click_and_wait_panel(w, second)
    assert "vector tiles" in w.page.locator("#parcel-status").inner_text()
    w.shot("vector_tiles_en")

    # dragging that starts on a parcel pans the map (the click patch does not stop the drag)
    before = w.page.evaluate("() => window.parksite.map.getCenter()")
    pt = shape(second["geometry"]).representative_point()
    x, y = to_page(w, pt.x, pt.y)
    w.page.mouse.move(x, y)
    w.page.mouse.down()
    w.page.mouse.move(x + 120, y + 60, steps=8)
    w.page.mouse.up()
    after = w.page.evaluate("() => window.parksite.map.getCenter()")
    assert abs(after["lng"] - before["lng"]) > 1e-4
