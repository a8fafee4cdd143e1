"""The import page: an admin uploads the 交城 zone's own files with its zone file, sees the missing
CRS refused with its suggestion, edits the mapping, sees the problems drawn on the map in
Chinese and in English, and imports the new zone beside the served one. Screenshots go to
``tests/_artifacts/screenshots/import-*.png``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.own_data import MAPPING, STATUS, write_zone_files

from .helpers import ROOT, Watch, login

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
def files(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The files an office would pick: the zone file, the plan, ledger, clusters, the park
    outline and DLTB Shapefiles (GBK, no .cpg) and four DEM tiles in EPSG:4326."""
    f = write_zone_files(tmp_path_factory.mktemp("jiaocheng-files"))
    paths: list[Path] = [JIAOCHENG, f["dxf"], f["ledger"], f["clusters"]]
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
    assert w.page.is_disabled("#import-upload-btn")  # admins only
    login(w)
    w.page.set_input_files("#import-files", files)
    assert w.page.inner_text("#import-files-names") == f"已选择 {len(files)} 个文件"
    w.page.fill("#import-mapping", MAPPING.replace("    crs: EPSG:4525\n", ""))
    w.page.click("#import-upload-btn")
    _verdict(w, ok=False)
    errors = w.page.inner_text("#import-errors")  # the errors first, above the report
    assert "没有坐标系" in errors and "--crs EPSG:4525" in errors and "带带号 37" in errors
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

    from app.db.engine import make_engine, session_factory
    from app.db.layers import load_layer

    engine = make_engine(f"sqlite:///{w.server.state / 'parksite.sqlite'}")
    try:
        with session_factory(engine)() as s:
            imported = load_layer(s, "jiaocheng", "parcels").set_index("parcel_id")
            assert load_layer(s, "jiaokou", "parcels").shape[0] > 300  # the served zone is untouched
    finally:
        engine.dispose()
    assert imported["status"].to_dict() == STATUS


def test_fields_chosen_in_the_field_table(w: Watch, files: list[str]) -> None:
    w.goto("/import")
    login(w)
    w.page.set_input_files("#import-files", files)
    w.page.fill("#import-mapping", MAPPING)
    w.page.click("#import-upload-btn")
    _verdict(w, ok=True)
    table = w.page.locator("#import-field-table table[data-layer='parcels']")
    assert "地块" in table.locator("caption").inner_text()
    assert (
        "地块编号 (parcel_id)" in table.inner_text()
        and "系统字段" in table.inner_text()
        and "必填" in table.inner_text()
    )
    enterprise = "#fld-parcels-enterprise"
    assert w.page.input_value(enterprise) == "权利人"
    # the status comes through the 三调 code table: the note says so beside its source field
    assert "经代码表转换" in table.locator("tr[data-target='status']").inner_text()
    w.page.select_option(enterprise, "")
    w.page.select_option("#fld-parks-name_en", "园区名称")
    _rerun(w)
    _verdict(w, ok=True)
    mapping = w.page.input_value("#import-mapping")
    assert "enterprise:" not in mapping and "name_en: 园区名称" in mapping
    assert w.page.input_value(enterprise) == ""
    assert "权利人" in w.page.inner_text("#import-report")  # now among the fields not imported
    w.page.locator("#import-field-table").scroll_into_view_if_needed()
    w.shot("import-field-table-zh")

    w.page.click("#lang-btn")
    w.page.wait_for_function(
        "() => document.querySelector('#import-field-table summary')?.textContent === 'Field table'"
    )
    assert "Parcel ID (parcel_id)" in w.page.inner_text("#import-field-table")
    w.shot("import-field-table-en")

    # a hand edit of the YAML takes over: the table says so and its choices are not sent
    w.page.fill("#import-mapping", mapping.replace("name_en: 园区名称", "name_en: 园区代码"))
    w.page.wait_for_selector("#import-fields-stale")
    assert w.page.is_disabled(enterprise)
    _rerun(w)
    _verdict(w, ok=True)
    assert w.page.input_value("#fld-parks-name_en") == "园区代码"
