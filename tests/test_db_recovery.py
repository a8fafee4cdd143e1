"""After a crash (``app.db.recovery``): score runs and jobs a killed process left unfinished are
marked ``interrupted``; interrupted jobs' inputs are kept or deleted by policy; migration 0003
(score runs may be ``interrupted``) keeps every score on the way up and down, on both backends."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from app.api.scores import latest_run
from app.db import schema
from app.db.jobs import create_job, finish_job, start_job
from app.db.models import BatchJobRow, ParcelRow, ParcelScoreRow, ScoreRunRow
from app.db.records import finish_score_run, save_scores, start_score_run
from app.db.recovery import RUN_INTERRUPTED, delete_input_files, recover_unfinished

ZONE = "jiaokou"


def _run_with_scores(session, status: str) -> int:
    """Add a score run of the zone with one score per parcel; leave it ``status``."""

    run = start_score_run(session, ZONE, "sha", "fixture")
    parcels = list(session.scalars(select(ParcelRow.id).where(ParcelRow.zone_id == ZONE)))
    save_scores(
        session,
        run.id,
        [
            {"parcel_id": p, "score": 50.0, "score_class": "一般", "reasons": [], "breakdown": {}}
            for p in parcels
        ],
    )
    if status == "done":
        finish_score_run(session, run.id)
    elif status == "failed":
        finish_score_run(session, run.id, error="boom")
    return run.id


def test_runs_and_jobs_left_running_are_marked_interrupted(zone_db):
    with zone_db.begin() as s:
        done = _run_with_scores(s, "done")
        orphan = _run_with_scores(s, "running")  # the process was killed here
        failed = _run_with_scores(s, "failed")
        job = create_job(s, "score_zone", "manager", zone_id=ZONE).id
        start_job(s, job)
        finished = create_job(s, "score_zone", "manager", zone_id=ZONE).id
        start_job(s, finished)
        finish_job(s, finished)
    with zone_db.begin() as s:
        found = recover_unfinished(s)
    assert (found.jobs, found.runs, found.inputs_deleted) == (1, 1, [])
    assert found.lines() == [
        "1 job(s) left unfinished by the previous server were marked interrupted",
        "1 score run(s) left running by the previous server were marked interrupted",
    ]
    with zone_db() as s:
        runs = {r.id: r for r in s.scalars(select(ScoreRunRow))}
        assert (runs[orphan].status, runs[orphan].error) == ("interrupted", RUN_INTERRUPTED)
        assert runs[orphan].finished_at is not None
        assert (runs[done].status, runs[failed].status) == ("done", "failed")
        assert latest_run(s, ZONE).id == done  # the zone's scoring stays the last done run
        assert (
            s.get(BatchJobRow, job).status == "interrupted" and s.get(BatchJobRow, finished).status == "done"
        )
    with zone_db.begin() as s:
        assert recover_unfinished(s).lines() == []  # nothing left to put right


def test_interrupted_inputs_are_kept_or_deleted_by_policy(zone_db, tmp_path):
    folders = {}
    with zone_db.begin() as s:
        for name in ("kept", "deleted", "done"):
            job = create_job(s, "score_file", "manager", zone_id=ZONE)
            folders[name] = tmp_path / "jobs" / job.id
            folders[name].mkdir(parents=True)
            (folders[name] / "input.geojson").write_text("{}")
            job.input_path = str(folders[name] / "input.geojson")
            start_job(s, job.id)
            folders[name + "_id"] = job.id
        finish_job(s, folders["done_id"], str(folders["done"] / "scored.gpkg"))
    with zone_db.begin() as s:  # keep: the first restart keeps everything
        found = recover_unfinished(s, inputs="keep")
    assert found.jobs == 3 - 1 and found.inputs_deleted == []
    assert all((folders[n] / "input.geojson").is_file() for n in ("kept", "deleted", "done"))
    with zone_db.begin() as s:  # a later start with the delete policy clears interrupted inputs
        found = recover_unfinished(s, inputs="delete")
    assert sorted(found.inputs_deleted) == sorted(
        str(folders[n] / "input.geojson") for n in ("kept", "deleted")
    )
    assert delete_input_files(found.inputs_deleted) == 2
    assert not folders["kept"].exists() and not folders["deleted"].exists()
    assert (folders["done"] / "input.geojson").is_file()  # a done job keeps its input
    assert found.lines()[-1].startswith("the input files of 2 interrupted job(s) were deleted")
    with zone_db() as s:
        job = s.get(BatchJobRow, folders["kept_id"])
        assert job.input_path is None and job.params["input_deleted"] is True
        assert s.get(BatchJobRow, folders["done_id"]).input_path is not None
    with pytest.raises(ValueError, match="keep"):
        with zone_db.begin() as s:
            recover_unfinished(s, inputs="shred")


def test_migration_0003_keeps_every_score_up_and_down(zone_db, db_engine):
    with zone_db.begin() as s:
        done = _run_with_scores(s, "done")
        interrupted = _run_with_scores(s, "running")
        recover_unfinished(s)
        n_scores = s.scalar(select(func.count()).select_from(ParcelScoreRow))
    assert n_scores > 0

    def count() -> int:
        with db_engine.connect() as conn:
            return conn.scalar(text("SELECT count(*) FROM parcel_scores"))

    with db_engine.begin() as conn:
        command.downgrade(schema.alembic_config(connection=conn), "0002")
    assert schema.current_revision(db_engine) == "0002" and count() == n_scores
    with db_engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT id, status FROM score_runs")).all())
    assert rows == {done: "done", interrupted: "failed"}  # 0002 has no "interrupted"
    with pytest.raises(IntegrityError):
        with db_engine.begin() as conn:
            conn.execute(text("UPDATE score_runs SET status = 'interrupted' WHERE id = :i"), {"i": done})

    assert schema.upgrade(db_engine) == schema.head_revision()
    assert count() == n_scores and schema.schema_diff(db_engine) == []
    with db_engine.begin() as conn:
        conn.execute(text("UPDATE score_runs SET status = 'interrupted' WHERE id = :i"), {"i": interrupted})
    with pytest.raises(IntegrityError):  # the constraint still holds for anything else
        with db_engine.begin() as conn:
            conn.execute(text("UPDATE score_runs SET status = 'paused' WHERE id = :i"), {"i": done})
    if db_engine.dialect.name == "sqlite":
        with db_engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
