"""Projects, recorded project checks and score runs: the service functions the API calls.

Functions flush but do not commit (the caller owns the transaction). A ``UserRow`` passed as
``user`` must hold the role for the action (``record_checks``, ``run_scoring``); a plain name is
recorded as given (CLI, jobs).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import case, func, insert, select
from sqlalchemy.orm import Session

from app.db.audit import jsonable, record
from app.db.models import (
    VERDICTS,
    CheckResultRow,
    ParcelRow,
    ParcelScoreRow,
    ProjectRow,
    ScoreRunRow,
    UserRow,
    utcnow,
)
from app.db.users import require
from gis.errors import ConflictError, NotFoundError, SchemaError
from gis.messages import msg
from scoring.project import Project as ProjectSpec

#: Project columns filled from a ``scoring.project.Project`` (same names).
PROJECT_COLUMNS = (
    "name",
    "industry",
    "branch",
    "encouraged_description",
    "investment_wan",
    "output_wan",
    "tax_wan",
    "land_mu",
    "water_m3_per_day",
    "power_kw",
    "online_monitoring",
    "waste_treatment_pct",
    "energy_tce_per_wan",
    "water_m3_per_wan",
)


def _actor(user: UserRow | str | None, action: str) -> str | None:
    if isinstance(user, UserRow):
        require(user, action)
        return user.name
    return user


def add_project(
    session: Session,
    zone_id: str,
    project: ProjectSpec,
    user: UserRow | str | None,
    *,
    enterprise: str | None = None,
) -> ProjectRow:
    """Save a validated project (``scoring.project.Project``) of ``zone_id`` to the register
    (项目库) with status ``negotiating`` (洽谈; :func:`record_check` makes it ``reviewed``);
    return the row."""
    actor = _actor(user, "save_projects")
    data = project.model_dump(mode="json")
    row = ProjectRow(
        zone_id=zone_id,
        enterprise=enterprise,
        fields=data,
        status="negotiating",
        created_by=actor,
        **{k: data.get(k) for k in PROJECT_COLUMNS},
    )
    session.add(row)
    session.flush()
    record(
        session,
        user=actor,
        action="create",
        entity="project",
        entity_id=row.id,
        entity_key=row.name,
        zone_id=zone_id,
        after_attrs=data,
    )
    return row


def project_spec(row: ProjectRow) -> ProjectSpec:
    """Return the stored project as a ``scoring.project.Project`` (validated again)."""
    return ProjectSpec.model_validate(row.fields)


def record_check(
    session: Session,
    project_id: int,
    parcel_id: int | None,
    verdict: str,
    rules: list[Mapping[str, Any]],
    user: UserRow | str | None,
    *,
    config_sha256: str | None = None,
) -> CheckResultRow:
    """Record the result of checking a project (against a parcel, or the zone when None).

    ``verdict`` is pass, fail or review; ``rules`` the per-rule results (JSON). A project still
    ``negotiating`` (洽谈) becomes ``reviewed`` (已审查). Returns the row.
    """
    actor = _actor(user, "record_checks")
    if verdict not in VERDICTS:
        raise SchemaError(
            f"unknown verdict {verdict!r}", where="check", hint=f"use one of {', '.join(VERDICTS)}"
        )
    project = session.get(ProjectRow, project_id)
    if project is None:
        raise NotFoundError(
            f"no project with id {project_id}",
            where="check",
            msg=msg("error.project.no_record", id=project_id),
        )
    if project.status == "negotiating":
        project.status = "reviewed"
    code = None
    if parcel_id is not None:
        code = session.scalar(select(ParcelRow.parcel_id).where(ParcelRow.id == parcel_id))
        if code is None:
            raise NotFoundError(
                f"no parcel with id {parcel_id}", where="check", msg=msg("error.parcel.no_id", id=parcel_id)
            )
    row = CheckResultRow(
        project_id=project_id,
        parcel_id=parcel_id,
        parcel_code=code,
        verdict=verdict,
        rules=jsonable(list(rules)),
        config_sha256=config_sha256,
        checked_at=utcnow(),
        checked_by=actor,
    )
    session.add(row)
    session.flush()
    return row


def start_score_run(
    session: Session, zone_id: str, config_sha256: str, user: UserRow | str | None
) -> ScoreRunRow:
    """Open a score run (status ``running``) and return it."""
    run = ScoreRunRow(
        zone_id=zone_id,
        config_sha256=config_sha256,
        status="running",
        started_at=utcnow(),
        started_by=_actor(user, "run_scoring"),
    )
    session.add(run)
    session.flush()
    return run


def save_scores(session: Session, run_id: int, rows: Iterable[Mapping[str, Any]]) -> int:
    """Store per-parcel results of a running run; return how many.

    Each row: ``parcel_id`` (database id), ``score`` (0–100 or None), ``score_class``,
    ``excluded`` (bool), ``reasons`` (list), ``breakdown`` (mapping).
    """
    run = session.get(ScoreRunRow, run_id)
    if run is None:
        raise NotFoundError(f"no score run {run_id}")
    if run.status != "running":
        raise ConflictError(f"score run {run_id} is {run.status}, not running")
    values = [
        dict(
            run_id=run_id,
            parcel_id=r["parcel_id"],
            score=jsonable(r.get("score")),
            score_class=r.get("score_class"),
            excluded=bool(r.get("excluded", False)),
            reasons=jsonable(list(r.get("reasons") or [])),
            breakdown=jsonable(dict(r.get("breakdown") or {})),
        )
        for r in rows
    ]
    if values:
        session.execute(insert(ParcelScoreRow), values)
    return len(values)


def finish_score_run(session: Session, run_id: int, *, error: str | None = None) -> ScoreRunRow:
    """Close a run: ``done`` with its counts, or ``failed`` with ``error``."""
    run = session.get(ScoreRunRow, run_id)
    if run is None:
        raise NotFoundError(f"no score run {run_id}")
    counts = session.execute(
        select(
            func.count(),
            func.count(ParcelScoreRow.score),
            func.coalesce(func.sum(case((ParcelScoreRow.excluded, 1), else_=0)), 0),
        ).where(ParcelScoreRow.run_id == run_id)
    ).one()
    run.n_parcels, run.n_scored, run.n_excluded = (int(c) for c in counts)
    run.status = "failed" if error else "done"
    run.error = error
    run.finished_at = utcnow()
    session.flush()
    return run
