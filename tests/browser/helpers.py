"""What the browser tests share besides fixtures: the server and page records (:class:`Server`,
:class:`Watch`), the development admin, and page and geometry helpers.

Screenshots of the states are written to ``tests/_artifacts/screenshots/`` (not committed).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import Polygon

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "tests" / "_artifacts" / "screenshots"
CHROMIUM = os.environ.get("PARKSITE_CHROMIUM", "/usr/bin/chromium")
ADMIN = ("admin", "parksite-dev")  # app.db.users.DEV_ADMIN_NAME / DEV_ADMIN_PASSWORD (dev mode)
VIEWPORT = {"width": 1400, "height": 900}
TO_ZONE = Transformer.from_crs("EPSG:4326", "EPSG:4546", always_xy=True)
TO_WGS = Transformer.from_crs("EPSG:4546", "EPSG:4326", always_xy=True)


@dataclass
class Server:
    url: str
    state: Path
    token: str = ""

    def client(self) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return httpx.Client(base_url=self.url + "/api/v1", headers=headers, timeout=60)


@dataclass
class Watch:
    """A page with what it asked for and what its console said."""

    page: Any
    server: Server
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    allowed: list[re.Pattern[str]] = field(default_factory=list)

    def allow(self, pattern: str) -> None:
        """Expect console errors matching ``pattern`` (e.g. the 422 of a refused write)."""
        self.allowed.append(re.compile(pattern))

    def goto(self, path: str = "/") -> None:
        self.page.goto(self.server.url + path)
        self.page.wait_for_selector("body[data-ready='1']", timeout=20_000)

    def shot(self, name: str) -> Path:
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{name}.png"
        self.page.wait_for_timeout(400)  # let fades (tabs, toasts) finish
        self.page.screenshot(path=str(path))
        return path

    def unexpected_errors(self) -> list[str]:
        return [e for e in self.errors if not any(p.search(e) for p in self.allowed)]


def dialog_shown(w: Watch, modal_id: str) -> str:
    """Wait until a Bootstrap dialog has faded in and focused one of its fields; return its id.

    Typing while the dialog fades in races Bootstrap's focus trap, which focuses the dialog at
    the end of the fade; a user waits for the caret, and so do the tests."""
    return w.page.wait_for_function(
        """(id) => {
            const m = document.getElementById(id);
            const a = document.activeElement;
            return m.classList.contains("show") && a && a !== m && m.contains(a) && a.id;
        }""",
        arg=modal_id,
    ).json_value()


def login(w: Watch, user: str = ADMIN[0], password: str = ADMIN[1]) -> None:
    w.page.click("#login-btn")
    assert dialog_shown(w, "login-modal") == "login-username"
    w.page.fill("#login-username", user)
    w.page.fill("#login-password", password)
    w.page.click("#login-submit")
    w.page.wait_for_selector("#user-name")


def fit(w: Watch, geom: Any, max_zoom: int = 17) -> None:
    """Show a WGS 84 geometry on the map (no animation) and wait for the parcels of the view."""
    minx, miny, maxx, maxy = geom.bounds
    w.page.evaluate(
        """([s, w_, n, e, z]) => new Promise((resolve) => {
            const ps = window.parksite;
            ps.map.once("parcels:loaded", resolve);
            // without animation Leaflet fires moveend at once, even for an unchanged view, so
            // the parcels are always reloaded; the timer only guards a load that never ends
            ps.map.fitBounds([[s, w_], [n, e]], {animate: false, padding: [60, 60], maxZoom: z});
            setTimeout(resolve, 30000);
        })""",
        [miny, minx, maxy, maxx, max_zoom],
    )


def to_page(w: Watch, lon: float, lat: float) -> tuple[float, float]:
    """Return the page pixel of a lon/lat on the map."""
    x, y = w.page.evaluate(
        "([lat, lon]) => { const p = window.parksite.map.latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }",
        [lat, lon],
    )
    box = w.page.locator("#map").bounding_box()
    return box["x"] + x, box["y"] + y


def to_zone(g: Any) -> Any:
    """Return a WGS 84 geometry in EPSG:4546."""
    return shapely.transform(g, lambda xy: np.column_stack(TO_ZONE.transform(xy[:, 0], xy[:, 1])))


def to_wgs(g: Any) -> Any:
    """Return an EPSG:4546 geometry in WGS 84."""
    return shapely.transform(g, lambda xy: np.column_stack(TO_WGS.transform(xy[:, 0], xy[:, 1])))


def largest_part(g: Any) -> Polygon:
    return max(getattr(g, "geoms", [g]), key=lambda p: p.area)


def almg_project_on_best_parcel(api: httpx.Client, name: str) -> tuple[str, dict[str, Any]]:
    """Return the best-scored vacant parcel of 铝镁新材料产业组团 (sc-almg) and an 铝基新材料 project
    (6 亿元, 15 亿元/年) that asks for its area (亩, one decimal) — no power or water declared."""
    feats = api.get("/parcels", params={"cluster": "sc-almg", "status": "vacant", "limit": 1000}).json()[
        "features"
    ]
    parcel = max(
        (f for f in feats if not f["properties"]["excluded"]), key=lambda f: f["properties"]["score"] or 0
    )
    project = {
        "name": name,
        "industry": "铝镁新材料",
        "branch": "铝基新材料",
        "investment_wan": 60000,
        "output_wan": 150000,
        "tax_wan": 3000,
        "land_mu": round(parcel["properties"]["area_mu"], 1),
        "water_m3_per_day": None,
        "power_kw": None,
        "online_monitoring": True,
        "waste_treatment_pct": 98,
    }
    return parcel["properties"]["parcel_id"], project


def check_project_on(w: Watch, pid: str, project: dict[str, Any]) -> None:
    """Find parcel ``pid`` with the search box, open 项目准入 and fill the project form."""
    # the title of a parcel already open would satisfy the wait below at once, and the search's
    # own selection would then switch back to the parcel tab after 项目准入 was opened
    w.page.evaluate("() => { const t = document.querySelector('#parcel-title'); if (t) t.textContent = ''; }")
    w.page.fill("#search-input", pid)
    w.page.press("#search-input", "Enter")
    w.page.wait_for_function("(id) => document.querySelector('#parcel-title')?.textContent === id", arg=pid)
    w.page.click("#tab-check-btn")
    assert w.page.locator("#check-parcel").inner_text() == pid
    f = w.page
    f.fill("#f-name", project["name"])
    f.select_option("#f-industry", project["industry"])
    f.select_option("#f-branch", project["branch"])
    f.fill("#f-investment", str(project["investment_wan"]))
    f.fill("#f-output", str(project["output_wan"]))
    f.fill("#f-tax", str(project["tax_wan"]))
    f.fill("#f-land", str(project["land_mu"]))
    f.select_option("#f-monitoring", "true" if project["online_monitoring"] else "false")
    f.fill("#f-waste", str(project["waste_treatment_pct"]))
    for key, sel in (("power_kw", "#f-power"), ("water_m3_per_day", "#f-water")):
        if project.get(key) is not None:
            f.fill(sel, str(project[key]))
