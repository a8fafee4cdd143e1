"""The language switch: English after a click, kept after a reload, Chinese again."""

from __future__ import annotations

import pytest

from .helpers import Watch

pytestmark = pytest.mark.browser


def test_language_switch_is_persisted(w: Watch) -> None:
    w.goto("/")
    w.page.click("#lang-btn")
    assert w.page.locator("#tab-parcel-btn").inner_text().strip() == "Parcel"
    # parts made once by Leaflet follow the switch too: the coordinates hint, the attribution
    assert w.page.locator("#coords").inner_text() == "move the mouse for coordinates"
    attribution = w.page.locator(".leaflet-control-attribution").inner_text()
    assert "Hillshade: zone DEM" in attribution and "山体阴影" not in attribution
    w.page.reload()
    w.page.wait_for_selector("body[data-ready='1']")
    assert w.page.locator("#tab-parcel-btn").inner_text().strip() == "Parcel"
    assert w.page.evaluate("document.documentElement.lang") == "en"
    assert "excellent" in w.page.locator(".legend-control").inner_text()
    w.page.click(".park-zoom a[data-park='shuitou']")
    w.page.wait_for_timeout(500)
    w.shot("12_map_english")
    w.page.click("#lang-btn")
    assert w.page.locator("#tab-parcel-btn").inner_text().strip() == "地块"
