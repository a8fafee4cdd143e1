"""The import page in a real browser: an admin uploads the 交城 zone's own files, sees the
missing CRS refused with its suggestion, edits the mapping, sees the problems drawn on the map
in Chinese and in English, and imports.

The fixtures are those of ``tests/test_browser.py`` (Debian's Chromium, a page that fails on a
request leaving the machine or an unexpected console error), with a server of its own whose
zone file is the 交城 test zone (``PARKSITE_ZONE_FILE``). Screenshots go to
``tests/_artifacts/screenshots/import-*.png``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.own_data import MAPPING, STATUS, write_zone_files
from tests.test_browser import (  # noqa: F401 - fixtures and helpers
    ADMIN,
    ROOT,
    SERVE,
    Server,
    Watch,
    _free_port,
    browser,
    login,
    w,
)

pytestmark = pytest.mark.browser

JIAOCHENG = ROOT / "tests" / "data" / "zones" / "jiaocheng.yaml"

DLTB_PARCELS = MAPPING.split("  parcels:")[0] + (
    "  parcels:\n"
    "    file: DLTB.shp\n"
    "    fields:\n"
    "      parcel_id: BSM\n"
    "      park: {value: main}\n"
    "      status: {field: DLBM, codes: dlbm, take: status}\n"
    "      land_use: DLMC\n"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``parksite serve`` (the sample zone imported) with the 交城 zone file as its zone file."""
    state = tmp_path_factory.mktemp("parksite-import-state")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARKSITE_")}
    env.update(
        PARKSITE_STATE_DIR=str(state),
        PARKSITE_PORT=str(port),
        PARKSITE_HOST="127.0.0.1",
        PARKSITE_DEV_MODE="1",
        PARKSITE_ZONE_FILE=str(JIAOCHENG),
        PYTHONUNBUFFERED="1",
    )
    log = state / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", SERVE], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    srv = Server(f"http://127.0.0.1:{port}", state)
    try:
        deadline = time.monotonic() + 240
        while True:
            if proc.poll() is not None:
                pytest.fail(f"parksite serve exited with {proc.returncode}:\n{log.read_text()[-4000:]}")
            try:
                if httpx.get(f"{srv.url}/api/v1/zone", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"parksite serve did not answer in time:\n{log.read_text()[-4000:]}")
            time.sleep(0.5)
        r = httpx.post(f"{srv.url}/api/v1/auth/token", data={"username": ADMIN[0], "password": ADMIN[1]})
        r.raise_for_status()
        srv.token = r.json()["access_token"]
        yield srv
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    f = write_zone_files(tmp_path_factory.mktemp("jiaocheng-files"))
    paths: list[Path] = [f["dxf"], f["ledger"], f["clusters"]]
    for stem in ("parks", "dltb"):
        paths += [f[stem].with_suffix(s) for s in (".shp", ".shx", ".dbf", ".prj")]
    paths += sorted(p for k, p in f.items() if k.startswith("tile"))
    return [str(p) for p in paths]


def _verdict(w: Watch, ok: bool) -> None:
    w.page.wait_for_selector(f"#import-verdict[data-ok='{int(ok)}']", timeout=60_000)


def _rerun(w: Watch) -> None:
    w.page.evaluate("() => document.getElementById('import-verdict')?.remove()")
    w.page.click("#import-rerun-btn")


def test_upload_dry_run_edit_and_import(w: Watch, files: list[str]) -> None:
    w.goto("/import")
    assert w.page.is_disabled("#import-upload-btn")  # not logged in: admins only
    login(w)
    w.page.set_input_files("#import-files", files)
    assert w.page.inner_text("#import-files-names") == f"已选择 {len(files)} 个文件"
    w.page.fill("#import-mapping", MAPPING.replace("    crs: EPSG:4525\n", ""))
    w.page.click("#import-upload-btn")
    _verdict(w, ok=False)
    report = w.page.inner_text("#import-report")
    assert "没有坐标系" in report and "--crs EPSG:4525" in report and "带带号 37" in report
    assert w.page.is_disabled("#import-run-btn")
    w.shot("import-refused-zh")

    # The DLTB polygons as parcels: they reach past the park, drawn on the map.
    w.page.fill("#import-mapping", DLTB_PARCELS)
    _rerun(w)
    _verdict(w, ok=True)
    places = w.page.locator("#import-report li.has-place")
    assert places.count() == 4 and "园区范围外" in places.first.inner_text()
    assert (
        w.page.locator("#import-map path.leaflet-interactive").count() >= 4 + 1 + 4
    )  # problems, park, parcels
    places.first.click()
    w.page.wait_for_selector(".leaflet-popup-content")
    w.shot("import-problems-zh")

    w.page.click("#lang-btn")
    w.page.wait_for_function(
        "() => document.getElementById('import-report').innerText.includes('outside the parks')"
    )
    assert "Problems in the parcels" in w.page.inner_text("#import-report")
    w.shot("import-problems-en")

    # The plan as drawn, with its CRS: clean, then imported.
    w.page.fill("#import-mapping", MAPPING)
    _rerun(w)
    _verdict(w, ok=True)
    assert not w.page.is_disabled("#import-run-btn")
    w.page.click("#import-run-btn")
    w.page.wait_for_selector("#import-main[data-imported='jiaocheng']", timeout=60_000)
    assert "jiaocheng" in w.page.inner_text("#import-status")
    w.shot("import-done-en")
    with w.server.client() as api:
        parcels = api.get("/parcels", params={"limit": 50}).json()
    # the API serves the sample zone; the imported one is in the database beside it
    assert parcels is not None
    from app.db.engine import make_engine, session_factory
    from app.db.layers import load_layer

    engine = make_engine(f"sqlite:///{w.server.state / 'parksite.sqlite'}")
    with session_factory(engine)() as s:
        imported = load_layer(s, "jiaocheng", "parcels").set_index("parcel_id")
    engine.dispose()
    assert imported["status"].to_dict() == STATUS
