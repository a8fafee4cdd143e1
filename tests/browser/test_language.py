"""One language at a time, in a real browser: switch the web map and the jobs page between Chinese
and English and find no text of the other language on the map (park labels, legend,
coordinates, controls), the panels (parcel panel with its breakdown chart, check result,
recommendations), the jobs page and the charts.

The fixtures (the module's ``parksite serve``, Debian's Chromium) are in ``conftest.py``. The
switch itself is persisted (:func:`test_language_switch_is_persisted`).
Every text node, placeholder, title and aria-label of the page is read, and the charts' labels
and titles (drawn on a canvas, so read from Chart.js).

- English: no CJK character, except the proper names the data gives only in Chinese
  (:func:`proper_names`: enterprises, substations, water sources, wastewater plants, rivers,
  roads, places) and the language button, which names the other language (中文).
- Chinese: no word of Latin letters, except units, formats and names written so in Chinese too
  (:data:`LATIN_OK`) and data identifiers (parcel ids, cluster codes, job ids, user and file
  names).

Texts the API writes (rule messages and sources, recommendation reasons, job messages and
notes) are written in the language the page asks for (``Accept-Language``): the page must ask
again on a switch and show the answer; what the API writes is checked on its own by
:func:`test_api_writes_its_texts_in_the_language_asked_for`.

Screenshots: ``tests/_artifacts/screenshots/lang_*.png``.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import httpx
import pytest

from .helpers import ADMIN, ROOT, Server, Watch, almg_project_on_best_parcel, check_project_on, login

pytestmark = pytest.mark.browser

#: CJK ideographs and punctuation (、，。（）：“” full-width forms).
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
#: Words of Latin letters a Chinese page writes so: units, file formats, OpenStreetMap's name.
LATIN_OK = frozenset(
    {"km", "kV", "kW", "MVA", "DEM", "EPSG", "OpenStreetMap", "GeoPackage", "GeoJSON", "Shapefile"}
    | {"GPKG", "GEOJSON", "CSV", "tk", "PDF", "HTML"}  # file formats, written as they are
    | {"CJJ"}  # the designation of a national standard (CJJ 83-2016), as EPSG is of a CRS
)
#: The example in the cluster dialog's code field (a code is written in Latin letters).
CODE_EXAMPLE = "st-new"
PARCEL_ID = re.compile(r"\b[A-Z]{2}-\d{3,}\b")
FILE_NAME = re.compile(r"[\w.-]+\.(?:gpkg|geojson|json|zip|csv)\b")
#: A file's layer named in a note ("f.gpkg（图层 parcels）"): a data identifier, like the file name.
LAYER_NAME = re.compile(r"（图层 [\w.-]+）")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")

#: Every text of the page a user can read (text nodes, placeholders, titles, aria-labels, the
#: document title) and the charts' labels and titles; the language button is left out.
SCAN = """() => {
  const out = [];
  const left = (el) => !el || el.closest("script, style, #lang-btn");
  const where = (el) => {
    const h = el.closest("[id]");
    return h ? `#${h.id}` : el.className || el.tagName;
  };
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walk.nextNode(); n; n = walk.nextNode()) {
    const s = n.textContent.trim();
    if (s && !left(n.parentElement)) out.push([where(n.parentElement), s]);
  }
  document.body.querySelectorAll("[placeholder], [title], [aria-label]").forEach((el) => {
    if (left(el)) return;
    for (const a of ["placeholder", "title", "aria-label"]) {
      const v = (el.getAttribute(a) || "").trim();
      if (v) out.push([`${where(el)}@${a}`, v]);
    }
  });
  out.push(["title", document.title]);
  for (const c of Object.values((window.Chart && window.Chart.instances) || {})) {
    const id = `chart#${c.canvas.id}`;
    (c.data.labels || []).forEach((l) => out.push([`${id} label`, [].concat(l).join(" ")]));
    c.data.datasets.forEach((d) => d.label && out.push([`${id} dataset`, d.label]));
    for (const [k, s] of Object.entries(c.options.scales || {})) {
      if (s.title && s.title.display && s.title.text) out.push([`${id} ${k} title`, String(s.title.text)]);
    }
  }
  return out;
}"""

#: How much room the breakdown chart's labels need and have (px): the widest line of a label in
#: the axis font, and the width of the label axis.
CHART_ROOM = """() => {
  const c = window.Chart.getChart("breakdown-chart");
  const y = c.scales.y;
  c.ctx.save();
  c.ctx.font = window.Chart.helpers.toFont(y.options.ticks.font).string;
  const widest = Math.max(...c.data.labels.flat().map((l) => c.ctx.measureText(String(l)).width));
  c.ctx.restore();
  return { widest, room: y.width - (y.options.ticks.padding || 0), left: y.left };
}"""


# --------------------------------------------------------------------------- what may stay


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


@pytest.fixture(scope="module")
def proper_names(api: httpx.Client) -> frozenset[str]:
    """Names the data gives only in Chinese, shown as they are in English too: enterprises and
    the infrastructure's substations, water sources and mains, wastewater plants, rivers, roads
    and places."""
    names: set[str] = set()
    for layer in ("substations", "water", "rivers", "roads", "places"):
        fc = api.get(f"/layers/{layer}").json()
        names |= {f["properties"]["name"] for f in fc["features"] if f["properties"].get("name")}
    offset = 0
    while True:
        page = api.get("/parcels", params={"status": "existing", "limit": 1000, "offset": offset}).json()
        names |= {f["properties"]["enterprise"] for f in page["features"] if f["properties"]["enterprise"]}
        offset += len(page["features"])
        if not page["features"] or offset >= page["numberMatched"]:
            break
    assert names
    return frozenset(names)


@pytest.fixture(scope="module")
def zone(api: httpx.Client) -> dict[str, Any]:
    return api.get("/zone").json()


def strings(data: Any) -> Iterable[str]:
    """Every string in a JSON value."""
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for v in data.values():
            yield from strings(v)
    elif isinstance(data, list):
        for v in data:
            yield from strings(v)


def other_language(
    texts: Iterable[tuple[str, str]], lang: str, allowed: Iterable[str] = (), codes: Iterable[str] = ()
) -> list[tuple[str, str]]:
    """Return the (where, text) pairs with text of the language that is not ``lang``.

    ``allowed`` texts are taken as they are (proper names; texts the API wrote); ``codes`` are
    data identifiers taken out before a Chinese text is looked at (cluster codes, job ids, the
    user's name)."""
    ok = set(allowed)
    out = []
    for where, text in texts:
        if text.lstrip("· ").strip() in ok or text in ok:
            continue
        if lang == "en":
            if CJK.search(text):
                out.append((where, text))
            continue
        rest = LAYER_NAME.sub(" ", FILE_NAME.sub(" ", PARCEL_ID.sub(" ", text)))
        for code in sorted({*codes, CODE_EXAMPLE}, key=len, reverse=True):
            rest = rest.replace(code, " ")
        if [x for x in LATIN_WORD.findall(rest) if x not in LATIN_OK]:
            out.append((where, text))
    return sorted(set(out))


def scan(w: Watch) -> list[tuple[str, str]]:
    return [tuple(x) for x in w.page.evaluate(SCAN)]


def switch(w: Watch, to: str) -> None:
    """Click the language button and wait until the page is labelled in ``to``."""
    w.page.click("#lang-btn")
    w.page.wait_for_function("(l) => document.documentElement.lang.startsWith(l)", arg=to)


def shot(w: Watch, name: str) -> Path:
    return w.shot(f"lang_{name}")


# --------------------------------------------------------------------------- the map


def test_map_and_parcel_panel_speak_one_language_at_a_time(
    w: Watch, api: httpx.Client, zone: dict[str, Any], proper_names: frozenset[str]
) -> None:
    pid, _ = almg_project_on_best_parcel(api, "—")
    detail = api.get(f"/parcels/{pid}").json()["properties"]
    cluster = next(c for c in zone["clusters"] if c["id"] == detail["cluster"])
    codes = [c["id"] for c in zone["clusters"]] + [ADMIN[0]]
    page = w.page
    w.goto("/")
    page.wait_for_selector(".park-label")
    page.fill("#search-input", pid)
    page.press("#search-input", "Enter")
    page.wait_for_function("(id) => document.querySelector('#parcel-title')?.textContent === id", arg=pid)
    page.wait_for_selector("#standard-land")
    box = page.locator("#map").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 3, box["y"] + box["height"] / 2)
    assert "经度" in page.locator("#coords").inner_text()
    assert "亩" in page.locator("#parcel-area").inner_text()
    page.wait_for_function("() => !window.parksite.parcels.loading")
    assert other_language(scan(w), "zh", codes=codes) == []
    shot(w, "zh_map_parcel")

    # English: the labels written once (park names, coordinates) are written again, the parcel is
    # read again in English and its chart drawn with English criteria, whole
    switch(w, "en")
    page.wait_for_function(
        "(name) => document.querySelector('#parcel-cluster')?.textContent === name", arg=cluster["name_en"]
    )
    page.wait_for_selector("#standard-land")
    parks = sorted(p["name_en"] for p in zone["parks"])
    assert sorted(page.locator(".park-label").all_inner_texts()) == parks
    assert page.locator("#coords").inner_text().startswith("lon ")
    area = page.locator("#parcel-area").inner_text()
    assert area == f"{detail['area_m2']:,.0f} m² · {detail['area_mu']:,.2f} mu"
    labels = page.evaluate(
        "() => window.Chart.getChart('breakdown-chart').data.labels.map((l) => [].concat(l).join(' '))"
    )
    assert labels == [b["name_en"] for b in detail["breakdown"]]
    room = page.evaluate(CHART_ROOM)
    assert room["left"] >= 0 and room["widest"] <= room["room"] + 0.5, room
    # unfold the layer control for the screenshot (hovering it would fold it again as the mouse leaves)
    page.evaluate(
        "() => document.querySelector('.leaflet-control-layers').classList.add('leaflet-control-layers-expanded')"
    )
    assert other_language(scan(w), "en", proper_names) == []
    shot(w, "en_map_parcel")

    switch(w, "zh")
    page.wait_for_function(
        "(name) => document.querySelector('#parcel-cluster')?.textContent === name", arg=cluster["name"]
    )
    page.wait_for_selector("#standard-land")
    assert sorted(page.locator(".park-label").all_inner_texts()) == sorted(p["name"] for p in zone["parks"])
    assert "经度" in page.locator("#coords").inner_text()
    assert other_language(scan(w), "zh", codes=codes) == []


# --------------------------------------------------------------------------- check and recommendation


def _asked_in(resp: Any, lang: str) -> dict[str, Any]:
    """The JSON answer of a page request, after checking it asked for ``lang``."""
    assert resp.request.headers.get("accept-language") == lang
    assert resp.status == 200
    return resp.json()


def test_check_and_recommendation_are_asked_again_in_the_new_language(
    w: Watch, api: httpx.Client, zone: dict[str, Any], proper_names: frozenset[str]
) -> None:
    pid, project = almg_project_on_best_parcel(api, "语言切换测试项目")
    codes = [c["id"] for c in zone["clusters"]] + [ADMIN[0]]
    page = w.page
    is_check = lambda r: r.url.endswith("/api/v1/check") and r.request.method == "POST"  # noqa: E731
    is_rec = lambda r: r.url.endswith("/api/v1/recommend") and r.request.method == "POST"  # noqa: E731
    w.goto("/")
    login(w)
    check_project_on(w, pid, project)
    with page.expect_response(is_check) as got:
        page.click("#check-btn")
    answer = _asked_in(got.value, "zh")
    page.wait_for_selector("#check-result")
    assert other_language(scan(w), "zh", strings(answer), codes) == []
    shot(w, "zh_check")
    projects = api.get("/projects").json()["numberMatched"]

    # English: the check is asked again (not recorded twice) and shown as the API wrote it
    with page.expect_response(is_check) as got:
        switch(w, "en")
    assert json.loads(got.value.request.post_data)["record"] is False
    answer = _asked_in(got.value, "en")
    page.wait_for_function(
        "(v) => document.querySelector('#check-verdict')?.textContent.trim() === v",
        arg={"pass": "pass", "fail": "fail", "review": "review", "needs_data": "needs data"}[
            answer["verdict"]
        ],
    )
    shown = page.locator(".rules-table .rule-msg").all_inner_texts()
    assert [s.split("\n")[0].rsplit(" · ", 1)[0].strip() for s in shown] == [
        r["message"] for r in answer["rules"]
    ]
    sources = page.locator(".rules-table .rule-source").all_inner_texts()
    assert not [s for s in sources if re.fullmatch(r"· [a-z_]+\.[a-z_]+", s)], sources  # no code names
    assert api.get("/projects").json()["numberMatched"] == projects
    assert other_language(scan(w), "en", proper_names | set(strings(answer))) == []
    shot(w, "en_check")

    with page.expect_response(is_rec) as got:
        page.click("#recommend-btn")
    rec = _asked_in(got.value, "en")
    page.wait_for_selector("#recommend-result")
    n = len(rec["candidates"])
    assert n >= 1 and page.locator(".candidate").count() == n
    first = page.locator(".candidate[data-rank='1']").inner_text()
    names = {c["id"]: c for c in zone["clusters"]}
    assert names[rec["candidates"][0]["cluster"]]["name_en"] in first
    assert f"{rec['candidates'][0]['area_mu']:,.2f} mu" in first
    assert other_language(scan(w), "en", proper_names | set(strings(rec))) == []
    shot(w, "en_recommend")

    # back to Chinese: the recommendation is asked again, its reasons in Chinese
    with page.expect_response(is_rec) as got:
        switch(w, "zh")
    rec = _asked_in(got.value, "zh")
    page.wait_for_function(
        "(r) => document.querySelector('.candidate[data-rank=\"1\"]')?.textContent.includes(r)",
        arg=rec["candidates"][0]["reason"],
    )
    assert (
        names[rec["candidates"][0]["cluster"]]["name"]
        in page.locator(".candidate[data-rank='1']").inner_text()
    )
    assert other_language(scan(w), "zh", strings(rec), codes) == []
    shot(w, "zh_recommend")


# --------------------------------------------------------------------------- the jobs page


def _job(server: Server, token: str, path: Path) -> str:
    """Upload ``path`` as a scoring job (it may be refused) and return its id once it has ended."""
    with httpx.Client(base_url=server.url + "/api/v1", headers={"Authorization": f"Bearer {token}"}) as c:
        before = {j["job_id"] for j in c.get("/jobs").json()["jobs"]}
        with path.open("rb") as f:
            c.post("/jobs", files={"file": (path.name, f)}, timeout=120)
        (job_id,) = {j["job_id"] for j in c.get("/jobs").json()["jobs"]} - before
        deadline = time.monotonic() + 180
        while c.get(f"/jobs/{job_id}").json()["status"] in {"queued", "running"}:
            assert time.monotonic() < deadline, f"job {job_id} did not end"
            time.sleep(0.5)
    return job_id


@pytest.fixture(scope="module")
def ended_jobs(server: Server, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Two jobs: one done, with notes (no parcel_id field), one failed (parcels off the DEMs)."""
    import geopandas as gpd
    import shapely

    folder = tmp_path_factory.mktemp("lang-jobs")
    parcels = gpd.read_file(ROOT / "data" / "parcels" / "jiaokou.gpkg", layer="parcels")
    done = parcels[parcels["park"] == "shuangchi"].head(3)[["geometry"]].reset_index(drop=True)
    done.to_file(folder / "lang_no_ids.gpkg", layer="parcels", driver="GPKG")
    far = gpd.GeoDataFrame({"name": ["far"]}, geometry=[shapely.box(0, 0, 100, 100)], crs=parcels.crs)
    far.to_file(folder / "lang_off_dem.gpkg", layer="parcels", driver="GPKG")
    return [
        _job(server, server.token, folder / "lang_no_ids.gpkg"),
        _job(server, server.token, folder / "lang_off_dem.gpkg"),
    ]


def test_jobs_page_speaks_one_language_at_a_time(
    w: Watch, ended_jobs: list[str], proper_names: frozenset[str]
) -> None:
    page = w.page
    is_list = lambda r: r.url.split("?")[0].endswith("/api/v1/jobs") and r.request.method == "GET"  # noqa: E731
    w.goto("/jobs")
    with page.expect_response(is_list) as got:
        login(w)
    listed = _asked_in(got.value, "zh")
    for job_id in ended_jobs:
        page.wait_for_selector(f"#jobs-body tr[data-job='{job_id}']")
    status = {j["job_id"]: j["status"] for j in listed["jobs"]}
    assert [status[j] for j in ended_jobs] == ["done", "failed"]
    codes = [j["job_id"] for j in listed["jobs"]] + [ADMIN[0]]
    # the file button is the page's, not the browser's (which speaks the browser's language)
    assert page.locator("#job-file-picker").inner_text().split() == ["选择文件", "未选择文件"]
    assert other_language(scan(w), "zh", strings(listed), codes) == []
    shot(w, "zh_jobs")

    with page.expect_response(is_list) as got:
        switch(w, "en")
    listed = _asked_in(got.value, "en")
    page.wait_for_selector(f"#jobs-body tr[data-job='{ended_jobs[0]}'] .job-status:text-is('done')")
    assert page.locator("#job-file-picker").inner_text().split() == "Choose a file no file chosen".split()
    assert other_language(scan(w), "en", proper_names | set(strings(listed))) == []
    shot(w, "en_jobs")


# --------------------------------------------------------------------------- what the API writes


def test_api_writes_its_texts_in_the_language_asked_for(
    server: Server,
    api: httpx.Client,
    zone: dict[str, Any],
    proper_names: frozenset[str],
    ended_jobs: list[str],
) -> None:
    pid, project = almg_project_on_best_parcel(api, "Language test")
    codes = [c["id"] for c in zone["clusters"]] + [ADMIN[0], *ended_jobs]
    found: dict[str, list[tuple[str, str]]] = {}
    for lang in ("zh", "en"):
        h = {"Accept-Language": lang}
        check = api.post("/check", json={"parcel_id": pid, "project": project, "record": False}, headers=h)
        rec = api.post("/recommend", json={"project": project, "top": 3}, headers=h)
        jobs = [api.get(f"/jobs/{j}", headers=h) for j in ended_jobs]
        body = check.json()
        body["land"] = {**body["land"], "geometry": None}  # GeoJSON: data, like the candidates' below
        texts = [("check", s) for s in strings({k: v for k, v in body.items() if k != "project"})]
        texts += [
            ("recommend", s) for c in rec.json()["candidates"] for s in strings({**c, "geometry": None})
        ]
        texts += [
            ("jobs", s)
            for j in jobs
            for s in strings(
                [j.json()["message"], j.json()["error"], (j.json()["counts"] or {}).get("notes")]
            )
        ]
        # values that are codes by design: rule ids, statuses, verdicts, kinds, park and cluster ids,
        # the project fields a needs_data rule names (water_m3_per_day)
        texts = [
            (k, s) for k, s in texts if not re.fullmatch(r"[a-z][a-z0-9_]*|[a-z]{2}-[a-z]+|/api/v1/\S+", s)
        ]
        found[lang] = other_language(texts, lang, proper_names, codes)
    assert found == {"zh": [], "en": []}
