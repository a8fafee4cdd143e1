"""Batch jobs: queued → running → done | failed, or interrupted when the server stopped.

A job row records its kind, parameters, input and output paths, progress (0–1), error and
timestamps. Its progress message and error are kept as messages in ``params`` (``msg``,
``error_msg``: id + parameters) beside English text, and rendered when read. :func:`interrupt_unfinished` is called once at server start: jobs that were queued or
running when the process died are marked ``interrupted`` (never silently resumed).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.db.audit import jsonable
from app.db.models import BatchJobRow, UserRow, utcnow
from app.db.users import require
from gis.errors import ConflictError, NotFoundError, SchemaError
from gis.messages import Message

#: Allowed status changes.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "queued": ("running", "failed", "interrupted"),
    "running": ("done", "failed", "interrupted"),
    "done": (),
    "failed": (),
    "interrupted": (),
}


def create_job(
    session: Session,
    kind: str,
    user: UserRow | str | None,
    *,
    zone_id: str | None = None,
    params: Mapping[str, Any] | None = None,
    input_path: str | None = None,
) -> BatchJobRow:
    """Queue a job and return it (``id`` is a uuid4 hex string)."""
    if isinstance(user, UserRow):
        require(user, "run_jobs")
        user = user.name
    job = BatchJobRow(
        id=uuid.uuid4().hex,
        kind=kind,
        zone_id=zone_id,
        status="queued",
        progress=0.0,
        params=jsonable(dict(params or {})),
        input_path=input_path,
        created_at=utcnow(),
        created_by=user,
    )
    session.add(job)
    session.flush()
    return job


def get_job(session: Session, job_id: str) -> BatchJobRow:
    """Return the job; NotFoundError if unknown."""
    job = session.get(BatchJobRow, job_id, populate_existing=True)
    if job is None:
        raise NotFoundError(f"no job {job_id!r}")
    return job


def _move(session: Session, job_id: str, status: str, **values: Any) -> BatchJobRow:
    job = get_job(session, job_id)
    if status not in TRANSITIONS[job.status]:
        raise ConflictError(f"job {job_id} is {job.status}; it cannot become {status}", where=f"job {job_id}")
    job.status = status
    for k, v in values.items():
        setattr(job, k, v)
    session.flush()
    return job


def start_job(session: Session, job_id: str) -> BatchJobRow:
    """Mark a queued job running."""
    return _move(session, job_id, "running", started_at=utcnow())


def set_progress(session: Session, job_id: str, progress: float) -> BatchJobRow:
    """Set a running job's progress (0–1)."""
    if not 0.0 <= progress <= 1.0:
        raise SchemaError(f"progress {progress} is not between 0 and 1", where=f"job {job_id}")
    job = get_job(session, job_id)
    if job.status != "running":
        raise ConflictError(f"job {job_id} is {job.status}, not running", where=f"job {job_id}")
    job.progress = progress
    session.flush()
    return job


def finish_job(session: Session, job_id: str, output_path: str | None = None) -> BatchJobRow:
    """Mark a running job done (progress 1) with its output file."""
    return _move(session, job_id, "done", progress=1.0, output_path=output_path, finished_at=utcnow())


def fail_job(session: Session, job_id: str, error: str, message: Message | None = None) -> BatchJobRow:
    """Mark a queued or running job failed with ``error`` (English, for logs) and the message
    users read (kept as JSON in ``params["error_msg"]``, rendered in their language)."""
    job = _move(session, job_id, "failed", error=error, finished_at=utcnow())
    if message is not None:
        job.params = {**(job.params or {}), "error_msg": message.to_dict()}
        session.flush()
    return job


def interrupt_unfinished(session: Session) -> int:
    """Mark every queued or running job ``interrupted`` (call at server start); return how many."""
    result = session.execute(
        update(BatchJobRow)
        .where(BatchJobRow.status.in_(("queued", "running")))
        .values(
            status="interrupted", finished_at=utcnow(), error="the server stopped before the job finished"
        )
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)


def newest_jobs(session: Session, *, limit: int = 50, created_by: str | None = None) -> list[BatchJobRow]:
    """Return the newest ``limit`` jobs first; with ``created_by`` only that user's jobs."""
    stmt = select(BatchJobRow).order_by(BatchJobRow.created_at.desc()).limit(limit)
    if created_by is not None:
        stmt = stmt.where(BatchJobRow.created_by == created_by)
    return list(session.scalars(stmt))
