"""The batch-job page: an upload scored to the end and downloaded, an interrupted job shown as such."""

from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import ADMIN, ROOT, Server, Watch, login

pytestmark = pytest.mark.browser


def test_batch_upload_completes_and_downloads(w: Watch, tmp_path: Path) -> None:
    import geopandas as gpd
    import pyogrio

    parcels = gpd.read_file(ROOT / "data" / "parcels" / "jiaokou.gpkg", layer="parcels")
    sample = parcels[parcels["park"] == "shuangchi"].head(6)[["parcel_id", "geometry"]]
    upload = tmp_path / "my_parcels.gpkg"
    sample.to_file(upload, layer="parcels", driver="GPKG")

    w.goto("/jobs")
    assert w.page.locator("#upload-btn").is_disabled()
    login(w)
    w.page.set_input_files("#job-file", str(upload))
    w.page.click("#upload-btn")
    box = w.page.locator("#upload-progress-box")
    box.wait_for()
    w.page.wait_for_selector("#upload-progress-box[data-status='done']", timeout=120_000)
    assert w.page.locator("#upload-progress").inner_text().strip() == "100 %"
    row = w.page.locator("#jobs-body tr").first
    job_id = row.get_attribute("data-job")
    assert row.get_attribute("data-status") == "done"
    assert "my_parcels.gpkg" in row.inner_text()
    w.shot("11_job_done")

    with w.page.expect_download() as dl:
        row.locator(".download-btn[data-format='gpkg']").click()
    got = tmp_path / "result.gpkg"
    dl.value.save_as(got)
    result = pyogrio.read_dataframe(got)
    assert sorted(result["parcel_id"]) == sorted(sample["parcel_id"])
    assert "score" in result.columns and result["score"].notna().any()

    with w.page.expect_download() as dl:
        row.locator(".download-btn[data-format='csv']").click()
    csv_path = tmp_path / "result.csv"
    dl.value.save_as(csv_path)
    assert len(csv_path.read_text(encoding="utf-8-sig").strip().splitlines()) == 1 + len(sample)

    # the self-contained map (app/exports/result_map.py): every parcel, nothing from the internet
    from app.exports.result_map import asset_urls

    with w.page.expect_download() as dl:
        row.locator(".download-btn[data-format='html']").click()
    map_path = tmp_path / "map.html"
    dl.value.save_as(map_path)
    assert dl.value.suggested_filename == "my_parcels_map.html"
    doc = map_path.read_text(encoding="utf-8")
    assert asset_urls(doc) == [] and all(pid in doc for pid in sample["parcel_id"])

    # the finished job's parcels on a map in the page itself, coloured by class
    row.locator(".map-btn").click()
    w.page.wait_for_selector("#job-map-box[data-state='shown']")
    assert w.page.locator("#job-map-box").get_attribute("data-count") == str(len(sample))
    assert w.page.locator("#job-map path.leaflet-interactive").count() == len(sample)
    assert "my_parcels.gpkg" in w.page.locator("#job-map-title").inner_text()
    assert "优" in w.page.locator("#job-map-legend").inner_text()
    fills = w.page.eval_on_selector_all(
        "#job-map path.leaflet-interactive", "ps => ps.map(p => p.getAttribute('fill'))"
    )
    assert all(f and f != "#cccccc" for f in fills)  # every parcel has its class colour
    w.shot("12_job_map")

    # a reload finds the job again, from the API
    w.page.reload()
    w.page.wait_for_selector("body[data-ready='1']")
    w.page.wait_for_selector(f"#jobs-body tr[data-job='{job_id}'][data-status='done']")


def test_interrupted_job_is_shown_as_such(w: Watch, server: Server) -> None:
    # A job a previous server process left running: what `parksite serve` finds at start-up.
    from app.api.factory import preload_native_libraries

    preload_native_libraries()
    from app.db.engine import make_engine, session_factory
    from app.db.jobs import create_job, interrupt_unfinished, set_progress, start_job

    engine = make_engine(f"sqlite:///{server.state / 'parksite.sqlite'}")
    try:
        with session_factory(engine).begin() as s:
            job = create_job(
                s,
                "score_file",
                ADMIN[0],
                zone_id="jiaokou",
                params={"input_name": "lost_upload.gpkg", "message": "scoring"},
            )
            job_id = job.id
        with session_factory(engine).begin() as s:
            start_job(s, job_id)
            set_progress(s, job_id, 0.4)
        with session_factory(engine).begin() as s:
            assert interrupt_unfinished(s) == 1
    finally:
        engine.dispose()
    w.goto("/jobs")
    login(w)
    row = w.page.locator(f"#jobs-body tr[data-job='{job_id}']")
    row.wait_for()
    assert row.get_attribute("data-status") == "interrupted"
    text = row.inner_text()
    assert "已中断" in text and "lost_upload.gpkg" in text
    assert row.locator(".download-btn").count() == 0
    w.shot("13_job_interrupted")
