"""Projects, recorded checks, score runs and batch jobs."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.db.jobs import (
    create_job,
    fail_job,
    finish_job,
    get_job,
    interrupt_unfinished,
    set_progress,
    start_job,
)
from app.db.models import CheckResultRow, ParcelRow, ParcelScoreRow
from app.db.records import (
    add_project,
    finish_score_run,
    project_spec,
    record_check,
    save_scores,
    start_score_run,
)
from app.db.users import PermissionDeniedError, add_user
from gis.errors import ConflictError, SchemaError
from scoring.project import Project as ProjectSpec

SPEC = ProjectSpec(
    name="年产10万吨铝基新材料项目",
    industry="铝镁新材料",
    branch="铝基新材料",
    investment_wan=60_000,
    output_wan=150_000,
    land_mu=200,
    online_monitoring=True,
)


def test_project_and_checks(zone_db):
    with zone_db.begin() as s:
        manager = add_user(s, "m", "manager", "password1")
        viewer = add_user(s, "v", "viewer", "password1")
        project = add_project(s, "jiaokou", SPEC, manager, enterprise="某铝业")
        assert (project.investment_wan, project.output_wan, project.land_mu) == (60_000, 150_000, 200)
        assert project_spec(project) == SPEC
        pid = s.scalar(select(ParcelRow.id).where(ParcelRow.parcel_id == "SC-0001"))
        rules = [{"rule": "investment_intensity", "verdict": "pass", "value": 300.0}]
        check = record_check(s, project.id, pid, "pass", rules, manager, config_sha256="ab" * 32)
        assert (check.parcel_code, check.checked_by, check.rules) == ("SC-0001", "m", rules)
        with pytest.raises(PermissionDeniedError):
            record_check(s, project.id, pid, "pass", rules, viewer)
        with pytest.raises(SchemaError, match="unknown verdict 'maybe'"):
            record_check(s, project.id, pid, "maybe", rules, manager)
    # Deleting the parcel keeps the recorded check, with the parcel's id as it was.
    with zone_db.begin() as s:
        s.delete(s.get(ParcelRow, pid))
    with zone_db() as s:
        check = s.scalar(select(CheckResultRow))
        assert (check.parcel_id, check.parcel_code, check.verdict) == (None, "SC-0001", "pass")


def test_score_run(zone_db):
    with zone_db.begin() as s:
        run = start_score_run(s, "jiaokou", "cd" * 32, "scorer")
        ids = s.scalars(select(ParcelRow.id).order_by(ParcelRow.parcel_id)).all()
        n = save_scores(
            s,
            run.id,
            [
                {
                    "parcel_id": ids[0],
                    "score": 81.5,
                    "score_class": "优",
                    "breakdown": {"slope": {"utility": 0.9}},
                },
                {"parcel_id": ids[1], "score": 55.0, "score_class": "中"},
                {"parcel_id": ids[2], "score": None, "excluded": True, "reasons": ["河道治导线内 40%"]},
            ],
        )
        assert n == 3
        done = finish_score_run(s, run.id)
        assert (done.status, done.n_parcels, done.n_scored, done.n_excluded) == ("done", 3, 2, 1)
        with pytest.raises(ConflictError, match="is done, not running"):
            save_scores(s, run.id, [])
    with zone_db() as s:
        excluded = s.scalar(select(ParcelScoreRow).where(ParcelScoreRow.excluded))
        assert excluded.reasons == ["河道治导线内 40%"] and excluded.score is None


def test_job_lifecycle(db_factory):
    with db_factory.begin() as s:
        job = create_job(s, "score", "u", params={"zone": "jiaokou"}, input_path="/tmp/in.csv")
        jid = job.id
        assert (job.status, job.progress, len(jid)) == ("queued", 0.0, 32)
        with pytest.raises(ConflictError, match="is queued; it cannot become done"):
            finish_job(s, jid)
        start_job(s, jid)
        set_progress(s, jid, 0.25)
        with pytest.raises(SchemaError, match="not between 0 and 1"):
            set_progress(s, jid, 1.5)
        done = finish_job(s, jid, "/tmp/out.xlsx")
        assert (done.status, done.progress, done.output_path) == ("done", 1.0, "/tmp/out.xlsx")
        assert done.finished_at >= done.started_at
        other = create_job(s, "report", "u").id
        failed = fail_job(s, create_job(s, "report", "u").id, "boom")
        assert failed.status == "failed"
        running = create_job(s, "score", "u").id
        start_job(s, running)
    with db_factory.begin() as s:
        assert interrupt_unfinished(s) == 2  # the queued and the running one
    with db_factory() as s:
        assert get_job(s, other).status == "interrupted"
        assert get_job(s, running).status == "interrupted"
        assert get_job(s, jid).status == "done"
