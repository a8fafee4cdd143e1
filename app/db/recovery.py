"""After a crash: what a stopped or killed process left unfinished, put right at the next start.

* Score runs still ``running`` are marked ``interrupted`` (with ``finished_at`` and an error
  saying why) — never left running forever, never resumed silently. Their partial results were
  never committed (a run's scores are written in one transaction with its ``done``), so nothing
  else changes. The zone's current scoring stays its newest ``done`` run.
* Batch jobs still queued or running are marked ``interrupted`` (:func:`app.db.jobs.interrupt_unfinished`).
* The uploaded input files of interrupted jobs are kept (they can be re-run:
  ``POST /api/v1/jobs/{id}/rerun``) or deleted, by the policy ``Settings.interrupted_job_inputs``
  (``keep`` | ``delete``). A deleted input is recorded in the job (``input_path`` cleared,
  ``params["input_deleted"]``), so a re-run can say why it cannot.

Functions here flush and never commit (the caller owns the transaction); files are deleted only
by :func:`delete_input_files`, after the transaction that recorded it has committed.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.db.jobs import interrupt_unfinished
from app.db.models import BatchJobRow, ScoreRunRow, utcnow

#: The error recorded on a score run a stopped process left running.
RUN_INTERRUPTED = "interrupted: the process stopped before the score run finished"

#: Values of ``Settings.interrupted_job_inputs``.
INPUT_POLICIES = ("keep", "delete")


@dataclass
class Recovery:
    """What :func:`recover_unfinished` found: counts, and the input files to delete."""

    jobs: int = 0
    runs: int = 0
    inputs_deleted: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """Return one line per thing done (empty when there was nothing to put right)."""
        out = []
        if self.jobs:
            out.append(f"{self.jobs} job(s) left unfinished by the previous server were marked interrupted")
        if self.runs:
            out.append(
                f"{self.runs} score run(s) left running by the previous server were marked interrupted"
            )
        if self.inputs_deleted:
            out.append(
                f"the input files of {len(self.inputs_deleted)} interrupted job(s) were deleted "
                "(PARKSITE_INTERRUPTED_JOB_INPUTS=delete)"
            )
        return out


def interrupt_unfinished_runs(session: Session) -> int:
    """Mark every score run still ``running`` ``interrupted``; return how many."""
    result = session.execute(
        update(ScoreRunRow)
        .where(ScoreRunRow.status == "running")
        .values(status="interrupted", finished_at=utcnow(), error=RUN_INTERRUPTED)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)


def forget_interrupted_inputs(session: Session) -> list[str]:
    """Clear the input of every interrupted job that still has one; return the input paths.

    The job keeps ``params["input_deleted"] = True``; the caller deletes the files after commit
    (:func:`delete_input_files`).
    """
    paths = []
    jobs = session.scalars(
        select(BatchJobRow).where(BatchJobRow.status == "interrupted", BatchJobRow.input_path.is_not(None))
    )
    for job in jobs:
        paths.append(str(job.input_path))
        job.params = {**(job.params or {}), "input_deleted": True}
        job.input_path = None
    session.flush()
    return paths


def recover_unfinished(session: Session, *, inputs: str = "keep") -> Recovery:
    """Mark unfinished jobs and score runs interrupted; with ``inputs="delete"`` also clear the
    inputs of interrupted jobs (files to delete in ``Recovery.inputs_deleted``)."""
    if inputs not in INPUT_POLICIES:
        raise ValueError(f"interrupted job inputs policy must be one of {INPUT_POLICIES}, not {inputs!r}")
    found = Recovery(jobs=interrupt_unfinished(session), runs=interrupt_unfinished_runs(session))
    if inputs == "delete":
        found.inputs_deleted = forget_interrupted_inputs(session)
    return found


def delete_input_files(paths: Iterable[str]) -> int:
    """Delete job input files, and each job's folder (``…/jobs/<id>/``, which an interrupted job
    holds nothing else of value in); return how many files were there."""
    deleted = 0
    for text in paths:
        path = Path(text)
        if path.is_file():
            path.unlink()
            deleted += 1
        folder = path.parent
        if folder.parent.name == "jobs" and re.fullmatch(r"[0-9a-f]{32}", folder.name) and folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)
    return deleted
