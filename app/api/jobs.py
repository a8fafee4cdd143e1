"""Background jobs: batch scoring of uploaded parcels, and score runs of the zone's own parcels.

Jobs are recorded in the database (``app.db.jobs``: queued → running → done | failed |
interrupted) and run in a thread pool of the server process (``JOB_WORKERS`` threads), never on
the event loop. Each job's files live in ``<state_dir>/jobs/<job_id>/``: the upload
(``input.<ext>``) and, when done, ``scored.gpkg`` (zone CRS), ``scored.geojson`` (WGS 84) and
``scored.csv`` (attributes and WGS 84 centroids).

Progress (0–1) and a message saying the current step are written at most every
``PROGRESS_EVERY_S`` seconds: the message (id + parameters, ``params["msg"]``, ids ``job.…``)
with its English and Chinese texts beside it (``params["message"]``, ``params["message_zh"]``);
a failure's message likewise (``params["error_msg"]``, the English text in ``error``). The API
renders both in the reader's language. When the server shuts down, running jobs stop at their next step
and are marked ``interrupted``; jobs a crashed server left queued or running are marked
``interrupted`` at the next start (:func:`mark_interrupted`) — they are never resumed silently.
The runner serves one process: run the API with one worker process per database.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import geopandas as gpd
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from app.api.tx import write_transaction
from app.db.jobs import fail_job, finish_job, get_job, interrupt_unfinished, set_progress, start_job
from app.db.models import BatchJobRow, utcnow
from app.i18n import render
from gis.errors import ParksiteError
from gis.messages import Message, msg

JOB_WORKERS = 2
PROGRESS_EVERY_S = 0.5
#: Result files of a batch scoring job, by ``format`` query value.
#: ``html`` is the self-contained interactive map (app/exports/result_map.py).
RESULT_FILES = {
    "gpkg": "scored.gpkg",
    "geojson": "scored.geojson",
    "csv": "scored.csv",
    "html": "result.html",
}
#: The result files written by :func:`app.scoring_io.parcel_files.write_scored_parcels`.
TABLE_FORMATS = ("gpkg", "geojson", "csv")
MEDIA_TYPES = {
    "html": "text/html; charset=utf-8",
    "gpkg": "application/geopackage+sqlite3",
    "geojson": "application/geo+json",
    "csv": "text/csv; charset=utf-8",
}


class JobInterrupted(Exception):
    """The server is shutting down: the job stops at its next step."""


def job_dir(state_dir: Path | str, job_id: str) -> Path:
    """Return the folder of a job's files (not created)."""
    return Path(state_dir) / "jobs" / job_id


def mark_interrupted(factory: sessionmaker[Session]) -> int:
    """Mark jobs left queued or running by a previous server process ``interrupted``; return how many."""
    with write_transaction(factory) as session:
        return interrupt_unfinished(session)


def _update(factory: sessionmaker[Session], job_id: str, fn: Callable[[Session], Any]) -> Any:
    with write_transaction(factory) as session:
        return fn(session)


def interrupt_job(session: Session, job_id: str) -> None:
    """Mark one queued or running job ``interrupted`` (the server is stopping)."""
    session.execute(
        update(BatchJobRow)
        .where(BatchJobRow.id == job_id, BatchJobRow.status.in_(("queued", "running")))
        .values(
            status="interrupted", finished_at=utcnow(), error="the server stopped before the job finished"
        )
        .execution_options(synchronize_session=False)
    )


def message_params(message: Message | str) -> dict[str, Any]:
    """Return a job message as job parameters: ``msg`` (id + parameters), and its texts
    ``message`` (English) and ``message_zh`` (Chinese) for readers that do not render. Plain
    text (a test's or a tool's own words) is kept as it is, with no ``msg``."""
    if isinstance(message, str):
        return {"msg": None, "message": message, "message_zh": message}
    return {"msg": message.to_dict(), "message": render(message, "en"), "message_zh": render(message, "zh")}


def set_message(session: Session, job_id: str, message: Message | str, **params: Any) -> BatchJobRow:
    """Store a progress message and other parameters in the job's ``params``."""
    job = get_job(session, job_id)
    job.params = {**(job.params or {}), **message_params(message), **params}
    session.flush()
    return job


class JobRunner:
    """A thread pool running jobs of one server process, with cooperative interruption."""

    def __init__(self, factory: sessionmaker[Session], workers: int = JOB_WORKERS):
        self.factory = factory
        self.stopping = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="parksite-job")
        self._futures: dict[str, Future] = {}

    def submit(self, job_id: str, work: Callable[[JobContext], dict[str, Any] | None]) -> Future:
        """Run ``work(ctx)`` for a queued job; its outcome is recorded in the job row."""
        fut = self._pool.submit(self._run, job_id, work)
        self._futures[job_id] = fut
        return fut

    def wait(self, job_id: str, timeout: float | None = None) -> None:
        """Block until a job submitted here has finished (tests, CLI)."""
        fut = self._futures.get(job_id)
        if fut is not None:
            fut.result(timeout=timeout)

    def shutdown(self) -> None:
        """Stop: queued jobs are dropped (marked interrupted), running ones stop at their next step."""
        self.stopping.set()
        self._pool.shutdown(wait=True, cancel_futures=True)
        mark_interrupted(self.factory)

    def _run(self, job_id: str, work: Callable[[JobContext], dict[str, Any] | None]) -> None:
        ctx = JobContext(self, job_id)
        try:
            _update(self.factory, job_id, lambda s: start_job(s, job_id))
            params = work(ctx) or {}
            output = params.pop("output_path", None)
            _update(
                self.factory,
                job_id,
                lambda s: (set_message(s, job_id, msg("job.done"), **params), finish_job(s, job_id, output)),
            )
        except JobInterrupted:
            _update(self.factory, job_id, lambda s: interrupt_job(s, job_id))
        except ParksiteError as exc:
            reason, message = f"{type(exc).__name__}: {exc}", exc.user_message()
            _update(self.factory, job_id, lambda s: fail_job(s, job_id, reason, message))
        except Exception as exc:  # a bug must still end the job, not leave it "running"
            reason = f"internal error: {type(exc).__name__}: {exc}"
            internal = msg("job.error.internal", kind=type(exc).__name__)
            _update(self.factory, job_id, lambda s: fail_job(s, job_id, reason, internal))
            raise


class JobContext:
    """Handed to a job's work function: progress reporting and the interruption check."""

    def __init__(self, runner: JobRunner, job_id: str):
        self.runner = runner
        self.job_id = job_id
        self._last = 0.0

    def progress(self, step: Message | str, done: int, total: int) -> None:
        """Record progress ``done/total`` with a message (throttled); raise JobInterrupted when stopping."""
        if self.runner.stopping.is_set():
            raise JobInterrupted()
        now = time.monotonic()
        if now - self._last < PROGRESS_EVERY_S and done < total:
            return
        self._last = now
        fraction = min(max(done / total, 0.0), 0.99) if total else 0.0
        _update(
            self.runner.factory,
            self.job_id,
            lambda s: (set_progress(s, self.job_id, fraction), set_message(s, self.job_id, step)),
        )


def score_file_work(
    factory: sessionmaker[Session],
    zone_id: str,
    parcels: gpd.GeoDataFrame,
    notes: list[Message | str],
    out_dir: Path,
    lang: str = "zh",
    scheduler: str | None = None,
) -> Callable[[JobContext], dict[str, Any]]:
    """Return the work of a batch scoring job: score ``parcels`` (read and checked at upload) in
    the stored zone and write the result files into ``out_dir``: the scored table in each of
    ``TABLE_FORMATS`` and the interactive map (``result.html``, in ``lang``, the uploader's).
    With ``scheduler`` (the ``dask_scheduler`` setting: ``local`` or a scheduler address) the
    parcels are measured by spatial partitions on Dask distributed
    (:func:`scoring.distributed.score_zone_parcels_distributed`), with the same result."""

    def work(ctx: JobContext) -> dict[str, Any]:
        from app.api.scores import zone_context
        from app.exports.result_map import write_result_map
        from app.scoring_io.parcel_files import write_scored_parcels
        from scoring.batch import score_zone_parcels

        with factory() as session:
            zctx = zone_context(session, zone_id)
        ctx.progress(msg("job.measuring"), 0, 1)
        if scheduler:
            from scoring.distributed import score_zone_parcels_distributed

            run = score_zone_parcels_distributed(
                zctx, parcels, scheduler=scheduler, progress=ctx.progress, notes=notes
            )
        else:
            run = score_zone_parcels(zctx, parcels, progress=ctx.progress, notes=notes)
        ctx.progress(msg("job.writing"), 1, 1)
        tmp = out_dir / "partial"
        tmp.mkdir(parents=True, exist_ok=True)
        for fmt in TABLE_FORMATS:
            write_scored_parcels(run.parcels, tmp / RESULT_FILES[fmt])
        dems = [s.dem for s in zctx.surfaces]
        write_result_map(run.parcels, zctx.zone, tmp / RESULT_FILES["html"], dems=dems, lang=lang)
        for name in RESULT_FILES.values():
            (tmp / name).replace(out_dir / name)
        shutil.rmtree(tmp, ignore_errors=True)
        return {"counts": run.summary.to_dict(), "output_path": str(out_dir / RESULT_FILES["gpkg"])}

    return work


def score_zone_work(
    factory: sessionmaker[Session], zone_id: str, user: str
) -> Callable[[JobContext], dict[str, Any]]:
    """Return the work of a score run of the zone's own parcels (recorded as a ScoreRun)."""

    def work(ctx: JobContext) -> dict[str, Any]:
        from app.api.scores import run_scoring

        result = run_scoring(factory, zone_id, user=user, progress=ctx.progress)
        return {"counts": result.summary, "score_run_id": result.run_id}

    return work
