"""After a crash, through the server: a score run a killed process left ``running`` is marked
``interrupted`` at the next start (the app's and ``parksite serve``'s), interrupted jobs' inputs
are kept or deleted by ``interrupted_job_inputs``, and ``POST /api/v1/jobs/{id}/rerun`` runs a
finished, failed or interrupted job again from its stored input."""

from __future__ import annotations

import shutil

import pyogrio
import pytest
from sqlalchemy import select

from app.db.engine import make_engine, session_factory
from app.db.models import BatchJobRow, ScoreRunRow
from tests.api_fixtures import *  # noqa: F403 - fixtures
from tests.api_fixtures import ZONE_ID, auth, make_client
from tests.test_api_jobs import frame, geojson_bytes, upload, wait_done


def _factory(url: str):
    engine = make_engine(url)
    return engine, session_factory(engine)


def _killed_job(url: str, state_dir, content: bytes, *, status: str = "running") -> str:
    """Record a batch job as a killed server leaves it: its upload stored, status ``running``."""
    from app.api.jobs import job_dir
    from app.db.jobs import create_job, start_job

    engine, factory = _factory(url)
    try:
        with factory.begin() as s:
            job = create_job(
                s,
                "score_file",
                "manager",
                zone_id=ZONE_ID,
                params={"input_name": "地块.geojson", "layer": None, "id_field": None},
            )
            folder = job_dir(state_dir, job.id)
            folder.mkdir(parents=True)
            (folder / "input.geojson").write_bytes(content)
            job.input_path = str(folder / "input.geojson")
            if status == "running":
                start_job(s, job.id)
            return job.id
    finally:
        engine.dispose()


def test_a_score_run_left_running_is_marked_interrupted_when_the_app_starts(fresh_db, tmp_path):
    from app.db.records import start_score_run

    engine, factory = _factory(fresh_db)
    try:
        with factory.begin() as s:
            done = s.scalar(select(ScoreRunRow.id).where(ScoreRunRow.status == "done"))
            orphan = start_score_run(s, ZONE_ID, "sha", "manager").id
    finally:
        engine.dispose()
    with make_client(fresh_db, tmp_path / "s") as c:
        assert c.get("/api/v1/score-runs/latest").json()["id"] == done
        with c.app.state.api.factory() as s:
            run = s.get(ScoreRunRow, orphan)
            assert run.status == "interrupted" and "stopped" in run.error and run.finished_at
        r = c.post("/api/v1/score-runs", headers=auth(c, "manager"))  # a new run works afterwards
        assert wait_done(c, r.json()["job_id"])["status"] == "done"
        assert c.get("/api/v1/score-runs/latest").json()["id"] > orphan


def test_serve_marks_runs_and_jobs_and_applies_the_inputs_policy(fresh_db, tmp_path, monkeypatch):
    import typer
    import uvicorn
    from typer.testing import CliRunner

    import app.commands.serve as serve
    from app.db.records import start_score_run
    from app.settings import get_settings

    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: None)
    state = tmp_path / "state"
    monkeypatch.setenv("PARKSITE_STATE_DIR", str(state))
    monkeypatch.setenv("PARKSITE_INTERRUPTED_JOB_INPUTS", "delete")
    get_settings.cache_clear()
    job = _killed_job(fresh_db, state, geojson_bytes(frame()))
    engine, factory = _factory(fresh_db)
    try:
        with factory.begin() as s:
            orphan = start_score_run(s, ZONE_ID, "sha", "manager").id
        cli = typer.Typer()
        serve.register(cli)
        cli.command("noop")(lambda: None)
        result = CliRunner().invoke(cli, ["serve", "--database-url", fresh_db])
        assert result.exit_code == 0, result.output
        out = " ".join(result.output.split())
        assert "1 job(s) left unfinished by the previous server were marked interrupted" in out
        assert "1 score run(s) left running by the previous server were marked interrupted" in out
        assert "the input files of 1 interrupted job(s) were deleted" in out
        with factory() as s:
            assert s.get(ScoreRunRow, orphan).status == "interrupted"
            j = s.get(BatchJobRow, job)
            assert j.status == "interrupted" and j.input_path is None
        assert not (state / "jobs" / job).exists()
    finally:
        engine.dispose()
        get_settings.cache_clear()


def test_rerun_a_done_job_from_its_stored_upload(client, tmp_path):
    r = upload(client, "地块.geojson", geojson_bytes(frame()))
    first = r.json()["job_id"]
    assert wait_done(client, first)["status"] == "done"
    r = client.post(f"/api/v1/jobs/{first}/rerun", headers=auth(client, "manager"))
    assert r.status_code == 202, r.text
    second = r.json()["job_id"]
    assert second != first and r.headers["location"] == f"/api/v1/jobs/{second}"
    status = wait_done(client, second)
    assert status["status"] == "done" and status["input_name"] == "地块.geojson"
    assert status["counts"]["n_parcels"] == 3

    def scores(job_id: str) -> list[float]:
        path = tmp_path / f"{job_id}.gpkg"
        path.write_bytes(client.get(f"/api/v1/jobs/{job_id}/result", headers=auth(client, "manager")).content)
        return pyogrio.read_dataframe(path)["score"].tolist()

    assert scores(second) == pytest.approx(scores(first))
    with client.app.state.api.factory() as s:
        old, new = s.get(BatchJobRow, first), s.get(BatchJobRow, second)
        assert new.params["rerun_of"] == first and new.input_path != old.input_path
    mine = [j["job_id"] for j in client.get("/api/v1/jobs", headers=auth(client, "manager")).json()["jobs"]]
    assert set(mine) == {first, second}


def test_rerun_an_interrupted_job_after_a_restart(fresh_db, tmp_path):
    state = tmp_path / "state"
    job = _killed_job(fresh_db, state, geojson_bytes(frame()))
    with make_client(fresh_db, state) as c:  # keep (the default): the input stays
        old = c.get(f"/api/v1/jobs/{job}", headers=auth(c, "manager")).json()
        assert old["status"] == "interrupted"
        r = c.post(f"/api/v1/jobs/{job}/rerun", headers=auth(c, "manager"))
        assert r.status_code == 202, r.text
        status = wait_done(c, r.json()["job_id"])
        assert status["status"] == "done" and status["counts"]["n_parcels"] == 3
        assert c.get(f"/api/v1/jobs/{job}", headers=auth(c, "manager")).json()["status"] == "interrupted"


def test_an_input_deleted_by_policy_cannot_be_rerun_and_says_why(fresh_db, tmp_path):
    state = tmp_path / "state"
    job = _killed_job(fresh_db, state, geojson_bytes(frame()))
    with make_client(fresh_db, state, interrupted_job_inputs="delete") as c:
        r = c.post(f"/api/v1/jobs/{job}/rerun", headers=auth(c, "manager") | {"Accept-Language": "en"})
        assert r.status_code == 409
        body = r.json()
        assert (
            body["message"]
            == "the input file of this job was deleted at a server start: upload the file again"
        )
        r = c.post(f"/api/v1/jobs/{job}/rerun", headers=auth(c, "manager"))
        assert r.json()["message"] == "该任务的输入文件已在服务器启动时删除：请重新上传文件"
        assert not (state / "jobs" / job).exists()


def test_rerun_refusals(client, tmp_path):
    from app.db.jobs import create_job, start_job

    r = upload(client, "地块.geojson", geojson_bytes(frame()))
    done = r.json()["job_id"]
    wait_done(client, done)
    url = f"/api/v1/jobs/{done}/rerun"
    assert client.post(url).status_code == 401
    assert client.post(url, headers=auth(client, "viewer")).status_code == 403
    # a planner may run jobs (analyst and above) but not re-run someone else's: not found to them
    assert client.post(url, headers=auth(client, "planner")).status_code == 404
    assert client.post("/api/v1/jobs/nosuchjob/rerun", headers=auth(client, "manager")).status_code == 404
    with client.app.state.api.factory.begin() as s:
        running = create_job(s, "score_file", "manager", zone_id=ZONE_ID).id
        start_job(s, running)
        theirs = create_job(s, "score_zone", "admin", zone_id=ZONE_ID).id
        s.get(BatchJobRow, theirs).status = "failed"
        odd = create_job(s, "export", "manager").id
        s.get(BatchJobRow, odd).status = "done"
    en = auth(client, "manager") | {"Accept-Language": "en"}
    r = client.post(f"/api/v1/jobs/{running}/rerun", headers=en)
    assert r.status_code == 409 and r.json()["message"] == "the job has not finished: wait until it has"
    r = client.post(f"/api/v1/jobs/{running}/rerun", headers=auth(client, "manager"))
    assert r.json()["message"] == "任务尚未结束：请等待其完成"
    r = client.post(f"/api/v1/jobs/{odd}/rerun", headers=en)
    assert r.status_code == 409 and "cannot be re-run" in r.json()["message"]
    assert client.post(f"/api/v1/jobs/{theirs}/rerun", headers=auth(client, "manager")).status_code == 404
    # an admin sees everyone's jobs and may re-run them: a score run of the zone here
    r = client.post(f"/api/v1/jobs/{theirs}/rerun", headers=auth(client, "admin"))
    assert r.status_code == 202, r.text
    assert wait_done(client, r.json()["job_id"], role="admin")["counts"]["n_parcels"] == 22
    doc = client.get("/api/v1/openapi.json").json()["paths"]["/api/v1/jobs/{job_id}/rerun"]["post"]
    assert {"202", "403", "404", "409"} <= set(doc["responses"])
    # an upload whose stored file went missing
    with client.app.state.api.factory() as s:
        folder = s.get(BatchJobRow, done).input_path
    shutil.rmtree(str(folder).rsplit("/", 1)[0])
    r = client.post(url, headers=en)
    assert r.status_code == 409 and r.json()["message"] == (
        "the input file of this job is no longer kept: upload the file again"
    )
