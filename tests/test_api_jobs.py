"""Batch scoring jobs end to end (upload → poll → download and read back), bad uploads, score
runs of the zone, and jobs a stopped server left behind."""

from __future__ import annotations

import io
import re
import time
import warnings
import zipfile

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from shapely import Point, box

from app.i18n import render
from gis.messages import msg
from tests.api_fixtures import auth, make_client
from tests.conftest import X0, Y0

#: Three parcels on the DEM (zone CRS): 100 × 50, 80 × 80 and 60 × 100 m.
UPLOAD = [
    ("U-1", box(X0 + 100, Y0 + 250, X0 + 200, Y0 + 300)),
    ("U-2", box(X0 + 600, Y0 + 250, X0 + 680, Y0 + 330)),
    ("U-3", box(X0 + 850, Y0 + 100, X0 + 910, Y0 + 200)),
]


def frame(rows=UPLOAD, crs: str | None = "EPSG:4546") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"parcel_id": [r[0] for r in rows], "owner": ["甲", "乙", "丙"][: len(rows)]},
        geometry=[r[1] for r in rows],
        crs=crs,
    )


def geojson_bytes(gdf: gpd.GeoDataFrame) -> bytes:
    return gdf.to_crs("OGC:CRS84").to_json().encode()


def gpkg_bytes(gdf: gpd.GeoDataFrame, tmp_path) -> bytes:
    path = tmp_path / "up.gpkg"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyogrio warns about a layer without CRS
        gdf.to_file(path, driver="GPKG", layer="parcels")
    return path.read_bytes()


#: Chinese characters (a text in Chinese has some).
CJK = re.compile(r"[\u4e00-\u9fff]")


def upload(client, name: str, content: bytes, role: str = "manager", **form):
    return client.post(
        "/api/v1/jobs",
        files={"file": (name, content, "application/octet-stream")},
        data=form,
        headers=auth(client, role),
    )


def wait_done(client, job_id: str, role: str = "manager", timeout: float = 60.0) -> dict:
    """Poll the job until it is no longer queued or running; return its status."""
    deadline = time.monotonic() + timeout
    while True:
        status = client.get(f"/api/v1/jobs/{job_id}", headers=auth(client, role)).json()
        assert 0.0 <= status["progress"] <= 1.0
        if status["status"] not in ("queued", "running"):
            return status
        assert time.monotonic() < deadline, status
        time.sleep(0.05)


def test_upload_score_and_download(client, tmp_path):
    r = upload(client, "地块.geojson", geojson_bytes(frame()))
    assert r.status_code == 202, r.text
    job_id = r.json()["job_id"]
    assert r.headers["location"] == f"/api/v1/jobs/{job_id}"
    status = wait_done(client, job_id)
    assert status["status"] == "done", status
    assert status["progress"] == 1.0 and status["error"] is None and status["input_name"] == "地块.geojson"
    assert status["counts"]["n_parcels"] == 3 and status["counts"]["n_excluded"] == 0
    assert set(status["results"]) == {"gpkg", "geojson", "csv", "html"}
    # the self-contained interactive map of the result (app/exports/result_map.py)
    from app.exports.result_map import asset_urls

    page = client.get(status["results"]["html"], headers=auth(client, "manager"))
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "_map.html" in page.headers["content-disposition"]
    assert asset_urls(page.text) == [] and all(f'"{pid}"' in page.text for pid in ("U-1", "U-2", "U-3"))
    assert "地块评分结果" in page.text and "排除" in page.text  # the legend, in the uploader's language (zh)

    gpkg = client.get(status["results"]["gpkg"], headers=auth(client, "manager"))
    assert gpkg.status_code == 200 and "地块_scored.gpkg" in gpkg.headers["content-disposition"].replace(
        "%E5%9C%B0%E5%9D%97", "地块"
    )
    path = tmp_path / "scored.gpkg"
    path.write_bytes(gpkg.content)
    scored = pyogrio.read_dataframe(path)
    assert scored.crs.to_epsg() == 4546
    assert list(scored["parcel_id"]) == ["U-1", "U-2", "U-3"] and list(scored["owner"]) == ["甲", "乙", "丙"]
    assert scored["area_m2"].tolist() == pytest.approx([5000.0, 6400.0, 6000.0], rel=1e-6)
    assert scored["area_mu"].tolist() == pytest.approx([7.5, 9.6, 9.0], rel=1e-6)
    assert scored["score"].between(0, 100).all() and scored["slope_mean_deg"].notna().all()

    csv = client.get(
        f"/api/v1/jobs/{job_id}/result", params={"format": "csv"}, headers=auth(client, "manager")
    )
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    table = pd.read_csv(io.BytesIO(csv.content), encoding="utf-8-sig")
    assert list(table["parcel_id"]) == ["U-1", "U-2", "U-3"]
    assert table["score"].tolist() == pytest.approx(scored["score"].tolist())
    assert table["centroid_lon"].between(111, 112).all()

    gj = client.get(
        f"/api/v1/jobs/{job_id}/result", params={"format": "geojson"}, headers=auth(client, "manager")
    )
    assert [f["properties"]["parcel_id"] for f in gj.json()["features"]] == ["U-1", "U-2", "U-3"]

    mine = client.get("/api/v1/jobs", headers=auth(client, "manager")).json()["jobs"]
    assert [j["job_id"] for j in mine] == [job_id]
    assert client.get("/api/v1/jobs", headers=auth(client, "admin")).json()["jobs"][0]["job_id"] == job_id
    assert client.get("/api/v1/jobs", headers=auth(client, "viewer")).json()["jobs"] == []
    assert client.get(f"/api/v1/jobs/{job_id}", headers=auth(client, "viewer")).status_code == 404
    assert client.get(f"/api/v1/jobs/{job_id}").status_code == 401


def test_shapefile_in_a_zip_and_a_geopackage_layer(client, tmp_path):
    shp = tmp_path / "shp"
    shp.mkdir()
    frame().to_file(shp / "parcels.shp")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for f in shp.iterdir():
            zf.write(f, f.name)
    r = upload(client, "parcels.zip", buf.getvalue())
    assert r.status_code == 202, r.text
    assert wait_done(client, r.json()["job_id"])["counts"]["n_parcels"] == 3
    r = upload(client, "parcels.gpkg", gpkg_bytes(frame(), tmp_path), layer="parcels", id_field="owner")
    assert r.status_code == 202, r.text
    job = r.json()["job_id"]
    assert wait_done(client, job)["status"] == "done"
    out = tmp_path / "out.gpkg"
    out.write_bytes(client.get(f"/api/v1/jobs/{job}/result", headers=auth(client, "manager")).content)
    assert list(pyogrio.read_dataframe(out)["parcel_id"]) == ["甲", "乙", "丙"]


def _zip_with(member: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(member, b"x")
    return buf.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "status", "error", "words"),
    [
        ("nocrs.gpkg", "nocrs", 422, "MissingCRSError", "CRS"),
        ("points.geojson", "points", 422, "GeometryError", "Point"),
        ("evil.zip", _zip_with("../../etc/evil.shp"), 400, "InputFileError", ".."),
        ("notes.txt", b"hello", 400, "InputFileError", "format"),
        ("broken.geojson", b"{ not json", 400, "InputFileError", "GeoJSON"),
        ("far.geojson", "far", 422, "NoOverlapError", "DEM"),
    ],
)
def test_bad_uploads_are_refused_naming_the_file(client, tmp_path, name, content, status, error, words):
    if content == "nocrs":
        content = gpkg_bytes(frame(crs=None), tmp_path)
    elif content == "points":
        pts = gpd.GeoDataFrame({"parcel_id": ["P"]}, geometry=[Point(X0 + 100, Y0 + 100)], crs="EPSG:4546")
        content = geojson_bytes(pts)
    elif content == "far":
        content = geojson_bytes(frame([("F-1", box(X0 + 50_000, Y0, X0 + 50_100, Y0 + 100))]))
    r = upload(client, name, content)
    assert r.status_code == status, r.text
    body = r.json()
    # the refusal is in Chinese by default: no English sentence, no CLI flag
    assert body["error"] == error and CJK.search(body["message"]) and "--" not in body["message"]
    assert name in (body["where"] or "") + body["message"]
    assert "/jobs/" not in str(body)  # no server paths
    (job,) = client.get("/api/v1/jobs", headers=auth(client, "manager")).json()["jobs"]
    assert job["status"] == "failed" and job["error"] == body["message"]
    # the same job read in English says the same in English
    (job_en,) = client.get("/api/v1/jobs", params={"lang": "en"}, headers=auth(client, "manager")).json()[
        "jobs"
    ]
    assert words in job_en["error"] + (body["where"] or "") and not CJK.search(
        job_en["error"].replace(name, "")
    )
    r = client.get(
        f"/api/v1/jobs/{job['job_id']}/result", headers={**auth(client, "manager"), "Accept-Language": "en"}
    )
    assert r.status_code == 409 and "did not finish" in r.json()["message"]


def test_uploads_are_capped(fresh_db, tmp_path):
    with make_client(fresh_db, tmp_path / "s", max_body_mb=0.001) as c:  # 1000 bytes
        r = upload(c, "big.geojson", b"{" + b" " * 5000 + b"}")
        assert r.status_code == 413 and r.json()["error"] == "LimitExceededError"


def test_a_score_run_refreshes_stale_scores(client):
    from tests.test_api_edits import wgs84

    moved = box(X0 + 100, Y0 + 100, X0 + 220, Y0 + 200)
    r = client.put(
        "/api/v1/parcels/SC-0001",
        json={"geometry": wgs84(moved)},
        headers={**auth(client, "planner"), "If-Match": '"SC-0001-v1"'},
    )
    assert r.json()["properties"]["score_stale"] is True
    assert r.json()["properties"]["measures"]["area_m2"] == pytest.approx(10_000)  # measured before the edit
    first = client.get("/api/v1/score-runs/latest").json()
    r = client.post("/api/v1/score-runs", headers=auth(client, "manager"))
    assert r.status_code == 202
    status = wait_done(client, r.json()["job_id"])
    assert status["status"] == "done" and status["counts"]["n_parcels"] == 22
    latest = client.get("/api/v1/score-runs/latest").json()
    assert latest["id"] == first["id"] + 1 and latest["n_parcels"] == 22
    p = client.get("/api/v1/parcels/SC-0001").json()["properties"]
    assert p["score_stale"] is False and p["measures"]["area_m2"] == pytest.approx(12_000, rel=1e-5)


def test_jobs_left_running_are_marked_interrupted_at_startup(fresh_db, tmp_path):
    from app.db.engine import make_engine, session_factory
    from app.db.jobs import create_job, start_job

    engine = make_engine(fresh_db)
    with session_factory(engine).begin() as s:
        running = create_job(s, "score_file", "manager", params={"input_name": "a.geojson"}).id
        start_job(s, running)
        queued = create_job(s, "score_file", "manager").id
        done = create_job(s, "score_file", "manager").id
        start_job(s, done)
        from app.db.jobs import finish_job

        finish_job(s, done, None)
    engine.dispose()
    with make_client(fresh_db, tmp_path / "s") as c:
        jobs = {j["job_id"]: j for j in c.get("/api/v1/jobs", headers=auth(c, "manager")).json()["jobs"]}
    assert jobs[running]["status"] == "interrupted" and "服务器在任务完成前停止" in jobs[running]["error"]
    assert jobs[queued]["status"] == "interrupted"
    assert jobs[done]["status"] == "done"


def test_stopping_the_server_interrupts_a_running_job(fresh_db, tmp_path):
    """A job still running when the app shuts down stops at its next step and says so."""
    import threading

    from app.api.jobs import JobContext

    release = threading.Event()
    with make_client(fresh_db, tmp_path / "s") as c:
        state = c.app.state.api
        with state.factory.begin() as s:
            from app.db.jobs import create_job

            job_id = create_job(s, "test", "manager").id

        def work(ctx: JobContext):
            ctx.progress("step 1", 0, 2)
            release.wait(10)
            ctx.progress("step 2", 1, 2)  # the server is stopping by now: raises JobInterrupted
            return {}

        state.jobs.submit(job_id, work)
        threading.Timer(0.3, release.set).start()
    from app.db.jobs import get_job

    with state.factory() as s:
        job = get_job(s, job_id)
        assert job.status == "interrupted" and job.finished_at is not None


@pytest.mark.parametrize(
    ("message", "en", "zh"),
    [
        (msg("job.queued"), "queued", "排队中"),
        (msg("job.checking"), "checking the upload", "正在检查上传的文件"),
        (
            msg("job.batch", batch=1, batches=3, parcels=20000, step=msg("job.step.terrain")),
            "batch 1/3 (20000 parcels): terrain",
            "第 1/3 批（20000 个地块）：地形（坡度、土方）",
        ),
        (
            msg("job.batch", batch=2, batches=2, parcels=7, step=msg("job.step.exclusion")),
            "batch 2/2 (7 parcels): exclusion",
            "第 2/2 批（7 个地块）：排除条件",
        ),
        (
            msg("job.part_measured", part=2, parts=4, processes=2),
            "part 2/4 measured (2 processes)",
            "第 2/4 部分已量测（2 个进程）",
        ),
        (msg("job.step.scoring"), "scoring", "正在评分"),
        (msg("job.writing"), "writing the results", "正在写出结果"),
        (msg("job.done"), "done", "已完成"),
    ],
)
def test_job_messages_in_both_languages(message, en, zh):
    """A job's step is stored as id + parameters and rendered in each language."""
    from app.api.jobs import message_params
    from gis.messages import from_dict

    stored = message_params(message)
    assert (stored["message"], stored["message_zh"]) == (en, zh)
    assert render(from_dict(stored["msg"]), "zh") == zh and render(from_dict(stored["msg"]), "en") == en


def test_a_job_reports_its_step_in_english_and_chinese(fresh_db, tmp_path):
    """GET /jobs/{id}: message in the request's language, message_en and message_zh in both."""
    import threading

    from app.api.jobs import JobContext, message_params
    from app.db.jobs import create_job

    release = threading.Event()
    with make_client(fresh_db, tmp_path / "s") as c:
        state = c.app.state.api
        with state.factory.begin() as s:
            job_id = create_job(s, "test", "manager", params=message_params(msg("job.queued"))).id
        queued = c.get(f"/api/v1/jobs/{job_id}", headers=auth(c, "manager")).json()
        assert (queued["message"], queued["message_en"], queued["message_zh"]) == (
            "排队中",
            "queued",
            "排队中",
        )
        queued_en = c.get(
            f"/api/v1/jobs/{job_id}", headers={**auth(c, "manager"), "Accept-Language": "en"}
        ).json()
        assert queued_en["message"] == "queued"

        def work(ctx: JobContext):
            ctx.progress(msg("job.batch", batch=1, batches=2, parcels=20, step=msg("job.step.terrain")), 1, 5)
            release.wait(10)
            return {}

        state.jobs.submit(job_id, work)
        deadline = time.monotonic() + 10
        while (j := c.get(f"/api/v1/jobs/{job_id}", headers=auth(c, "manager")).json())[
            "status"
        ] != "running" or j["message_en"] == "queued":
            assert time.monotonic() < deadline, j
            time.sleep(0.05)
        assert j["message_en"] == "batch 1/2 (20 parcels): terrain"
        assert j["message"] == j["message_zh"] == "第 1/2 批（20 个地块）：地形（坡度、土方）"
        release.set()
        done = wait_done(c, job_id)
        assert (done["status"], done["message_en"], done["message_zh"]) == ("done", "done", "已完成")


def test_analysts_run_batch_jobs_viewers_do_not_and_score_runs_need_a_manager(client):
    content = geojson_bytes(frame())
    r = upload(client, "viewer.geojson", content, role="viewer")
    assert r.status_code == 403 and "分析人员" in r.json()["message"], r.text
    assert "needs analyst" in r.json()["message_en"]
    r = upload(client, "analyst.geojson", content, role="analyst")
    assert r.status_code == 202, r.text
    assert wait_done(client, r.json()["job_id"], role="analyst")["status"] == "done"
    assert client.post("/api/v1/score-runs", headers=auth(client, "analyst")).status_code == 403


def test_a_batch_job_on_a_dask_local_cluster_gives_the_in_process_result(fresh_db, tmp_path):
    """With the ``dask_scheduler`` setting a batch job measures on Dask distributed (here a
    LocalCluster of two worker processes); the result table is the in-process job's."""
    tables = {}
    for name, settings in (("in-process", {}), ("dask", {"dask_scheduler": "local"})):
        with make_client(fresh_db, tmp_path / name, **settings) as c:
            job_id = upload(c, "地块.geojson", geojson_bytes(frame())).json()["job_id"]
            status = wait_done(c, job_id, timeout=240.0)
            assert status["status"] == "done", status
            gpkg = c.get(status["results"]["gpkg"], headers=auth(c, "manager"))
            path = tmp_path / f"{name}.gpkg"
            path.write_bytes(gpkg.content)
            tables[name] = pyogrio.read_dataframe(path)
            if name == "dask":
                from scoring.distributed import local_workers

                assert status["counts"]["workers"] == local_workers()
    pd.testing.assert_frame_equal(
        pd.DataFrame(tables["dask"].drop(columns="geometry")),
        pd.DataFrame(tables["in-process"].drop(columns="geometry")),
        check_exact=False,
        rtol=1e-9,
    )
    assert list(tables["dask"]["parcel_id"]) == ["U-1", "U-2", "U-3"]


def test_the_dask_scheduler_setting_is_checked():
    from pydantic import ValidationError

    from app.settings import Settings

    assert Settings(dask_scheduler=" tcp://10.0.0.5:8786 ").dask_scheduler == "tcp://10.0.0.5:8786"
    assert Settings(dask_scheduler="local").dask_scheduler == "local"
    with pytest.raises(ValidationError, match="scheduler address"):
        Settings(dask_scheduler="10.0.0.5:8786")
