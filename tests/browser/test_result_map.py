"""The result map of ``parksite score … --map result.html`` (app/exports/result_map.py) opened
from disk in Chromium with the network off: every scored parcel is drawn, the hillshade image
shows, a popup gives the score and breakdown, nothing is fetched and the console stays clean.
Screenshots: tests/_artifacts/screenshots/result_map_{zh,en}.png."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
import typer
from typer.testing import CliRunner

from app.commands.score import register
from app.exports.result_map import asset_urls

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
ZONE_FILE = ROOT / "data" / "zones" / "jiaokou.yaml"
SAMPLE = ROOT / "data" / "parcels" / "jiaokou.gpkg"
SHOTS = ROOT / "tests" / "_artifacts" / "screenshots"


@pytest.fixture(scope="module")
def maps(tmp_path_factory) -> dict[str, Path]:
    """The sample zone's parcels scored by the CLI, with the map in Chinese and in English."""
    app = typer.Typer()
    register(app)

    @app.callback()
    def _root() -> None:
        pass

    folder = tmp_path_factory.mktemp("map")
    out: dict[str, Path] = {}
    for lang in ("zh", "en"):
        res = CliRunner().invoke(
            app,
            [
                "score",
                str(SAMPLE),
                "--zone",
                str(ZONE_FILE),
                "--out",
                str(folder / f"{lang}.gpkg"),
                "--map",
                str(folder / f"result_{lang}.html"),
                "--lang",
                lang,
            ],
        )
        assert res.exit_code == 0, res.output
        out[lang] = folder / f"result_{lang}.html"
        out[f"{lang}.gpkg"] = folder / f"{lang}.gpkg"
    return out


def open_offline(browser: Any, path: Path) -> tuple[Any, Any, list[str], list[str]]:
    """Open ``path`` in a context with the network off; return (context, page, console errors
    and page errors, requests that tried to leave the file)."""
    ctx = browser.new_context(offline=True, viewport={"width": 1100, "height": 760})
    outside: list[str] = []

    def route(r: Any) -> None:
        if r.request.url.startswith(("file:", "data:")):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    ctx.route("**/*", route)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri())
    page.wait_for_selector("path.leaflet-interactive")
    return ctx, page, errors, outside


def test_result_map_is_self_contained(maps):
    for lang in ("zh", "en"):
        doc = maps[lang].read_text(encoding="utf-8")
        assert asset_urls(doc) == []
        # no script or style is loaded from anywhere: every <script> is inline, no <link>
        assert not re.search(r"<script[^>]+src=", doc) and "<link" not in doc
        assert "L.imageOverlay" in doc or "imageOverlay" in doc  # the hillshade


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_result_map_draws_every_parcel_offline(browser, maps, lang):
    scored = gpd.read_file(maps[f"{lang}.gpkg"])
    ctx, page, errors, outside = open_offline(browser, maps[lang])
    try:
        drawn = page.locator("path.leaflet-interactive").count()
        assert drawn == len(scored) and drawn > 300
        # the hillshade overlay is an image that loaded (a data URI)
        assert page.evaluate(
            "() => [...document.querySelectorAll('img.leaflet-image-layer')].every(i => i.complete && i.naturalWidth > 0)"
        )
        assert page.locator("img.leaflet-image-layer").count() >= 1
        legend = page.locator("#result-legend").inner_text()
        control = page.locator(".leaflet-control-layers").inner_text()
        if lang == "zh":
            assert "优" in legend and "排除" in legend and "山体阴影" in control and "地块" in control
        else:
            assert "excellent" in legend and "excluded" in legend and "Hillshade" in control
        # a popup with the score and the breakdown of the best-scored parcel that is not excluded
        ok = scored[~scored["excluded"].astype(bool)]
        best = ok.loc[ok["score"].idxmax()]
        page.evaluate(
            """(pid) => { for (const k in window) { const m = window[k];
                 if (m && m instanceof L.Map) { m.eachLayer(l => { if (l.feature && l.feature.properties.parcel_id === pid) {
                   m.fitBounds(l.getBounds(), {maxZoom: 16});
                   l.fire('click', {latlng: l.getBounds().getCenter()}, true); } }); } } }""",
            best["parcel_id"],
        )
        popup = page.locator(".leaflet-popup-content").inner_text()
        page.wait_for_timeout(400)  # the popup's fade-in, before the screenshot
        assert best["parcel_id"] in popup and f"{best['score']:.1f}" in popup
        assert ("坡度" if lang == "zh" else "Slope") in popup
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"result_map_{lang}.png"))
        assert errors == [] and outside == []
    finally:
        ctx.close()
