"""``POST /jobs/{id}/rerun``: run a finished, failed or interrupted job again from its stored input.

Who may: the roles of the job kind's own endpoint — a batch scoring job (``score_file``) needs
``run_jobs`` (as ``POST /jobs``), a score run of the zone (``score_zone``) ``run_scoring`` (as
``POST /score-runs``): managers and admins. Like every job read, only the job's owner (or an
admin) sees it: another user's job is 404.

A re-run is a new job (202 with its id, ``params["rerun_of"]`` naming the old one); the old job
and its files stay as they were. A batch scoring job's stored upload is copied into the new job's
folder and read and checked again (the zone may have changed since), with the layer and id field
given at upload; its input must still be there — an interrupted job's input is deleted at the next
start when ``PARKSITE_INTERRUPTED_JOB_INPUTS=delete``, and an upload refused at once is never
kept — else 409 saying so. A job still queued or running is 409 too.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from app.api.deps import JobSubmitter, SessionDep, StateDep, write_transaction
from app.api.jobs import job_dir, message_params, score_file_work, score_zone_work
from app.api.models import ErrorBody, JobCreated
from app.api.routes_jobs import _own_job, _rename
from app.api.scores import zone_context
from app.api.store import config_of, served_zone
from app.db.jobs import create_job, fail_job, get_job
from app.db.models import BatchJobRow, UserRow
from app.db.users import require
from app.scoring_io.parcel_files import read_parcels
from gis.errors import ConflictError, NoOverlapError, ParksiteError
from gis.messages import Name, msg, replace_text
from scoring.measure import dem_overlap

router = APIRouter(tags=["jobs"])

#: Job kinds that can be re-run, with the action each needs.
RERUNNABLE = {"score_file": "run_jobs", "score_zone": "run_scoring"}


def _accepted(job_id: str) -> JSONResponse:
    return JSONResponse(
        {"job_id": job_id, "status": "queued", "href": f"/api/v1/jobs/{job_id}"},
        status_code=202,
        headers={"Location": f"/api/v1/jobs/{job_id}"},
    )


def _stored_input(old: BatchJobRow) -> Path:
    """Return the old job's input file; ConflictError (409) when it is not kept."""
    path = Path(old.input_path) if old.input_path else None
    if path is not None and path.is_file():
        return path
    deleted = bool((old.params or {}).get("input_deleted"))
    why = (
        "was deleted at a server start (PARKSITE_INTERRUPTED_JOB_INPUTS=delete)"
        if deleted
        else "is no longer kept"
    )
    raise ConflictError(
        f"the input file of job {old.id} {why}",
        where=f"job {old.id}",
        hint="upload the file again (POST /api/v1/jobs)",
        msg=msg("error.rerun.input_deleted") if deleted else msg("error.rerun.input_gone"),
    )


def _rerun_score_file(session: Any, state: Any, user: UserRow, old: BatchJobRow) -> str:
    """Queue a copy of a batch scoring job from its stored upload; return the new job's id."""
    source = _stored_input(old)
    zone = served_zone(session, state.settings)
    if old.zone_id is not None and old.zone_id != zone.id:
        raise ConflictError(
            f"job {old.id} scored parcels of zone {old.zone_id}; this server serves zone {zone.id}",
            where=f"job {old.id}",
            hint="upload the file again for this zone",
            msg=msg("error.rerun.other_zone", zone=old.zone_id, served=zone.id),
        )
    cfg = config_of(zone)
    params = old.params or {}
    shown = params.get("input_name") or source.name
    layer, id_field = params.get("layer"), params.get("id_field")
    with write_transaction(session) as ws:
        job_id = create_job(
            ws,
            "score_file",
            user,
            zone_id=zone.id,
            params={
                "input_name": shown,
                "layer": layer,
                "id_field": id_field,
                "rerun_of": old.id,
                **message_params(msg("job.checking")),
            },
        ).id
    folder = job_dir(state.settings.state_dir, job_id)
    folder.mkdir(parents=True, exist_ok=True)
    saved = folder / source.name
    try:
        shutil.copyfile(source, saved)
        parcels, notes = read_parcels(saved, cfg, layer=layer, id_field=id_field)
        overlap = dem_overlap(zone_context(session, zone.id), parcels.geometry.to_numpy())
        if len(parcels) and not (overlap > 0).any():
            raise NoOverlapError(
                f"none of the {len(parcels)} parcels lies on the zone's DEMs",
                where=shown,
                hint=f"upload parcels of zone {zone.id} ({zone.name})",
                msg=msg(
                    "error.job.off_zone", n=len(parcels), zone=Name(zone.name, zone.name_en or zone.name)
                ),
            )
    except ParksiteError as exc:
        with write_transaction(session) as ws:
            exc = _rename(exc, saved, shown)
            fail_job(ws, job_id, f"{type(exc).__name__}: {exc}", exc.user_message())
        shutil.rmtree(folder, ignore_errors=True)
        raise
    with write_transaction(session) as ws:
        j = get_job(ws, job_id)
        j.input_path = str(saved)
        j.params = {**j.params, **message_params(msg("job.queued")), "n_parcels": len(parcels)}
    state.jobs.submit(
        job_id,
        score_file_work(
            state.factory,
            zone.id,
            parcels,
            [replace_text(n, str(saved), shown) for n in notes],
            folder,
            scheduler=state.settings.dask_scheduler or None,
        ),
    )
    return job_id


def _rerun_score_zone(session: Any, state: Any, user: UserRow, old: BatchJobRow) -> str:
    """Queue a new score run of the zone; return the new job's id."""
    zone = served_zone(session, state.settings)
    with write_transaction(session) as ws:
        job_id = create_job(
            ws,
            "score_zone",
            user,
            zone_id=zone.id,
            params={"rerun_of": old.id, **message_params(msg("job.queued"))},
        ).id
    state.jobs.submit(job_id, score_zone_work(state.factory, zone.id, user.name))
    return job_id


@router.post(
    "/jobs/{job_id}/rerun",
    status_code=202,
    response_model=JobCreated,
    responses={
        401: {"model": ErrorBody},
        403: {"model": ErrorBody, "description": "role below manager"},
        404: {"model": ErrorBody, "description": "no such job of yours"},
        409: {
            "model": ErrorBody,
            "description": "the job is still queued or running, its kind cannot be re-run, or its "
            "input file is no longer kept",
        },
        422: {"model": ErrorBody, "description": "the stored input no longer fits the zone"},
    },
    summary="Run a finished, failed or interrupted job again from its stored input (a new job)",
)
def rerun_job(job_id: str, session: SessionDep, state: StateDep, user: JobSubmitter) -> JSONResponse:
    old = _own_job(session, job_id, user)
    if old.status in ("queued", "running"):
        raise ConflictError(
            f"job {job_id} is {old.status}",
            where=f"job {job_id}",
            hint="wait until it has finished",
            msg=msg("error.rerun.unfinished"),
        )
    action = RERUNNABLE.get(old.kind)
    if action is None:
        raise ConflictError(
            f"job {job_id} is of kind {old.kind!r}, which cannot be re-run",
            where=f"job {job_id}",
            hint="start it again the way it was started",
            msg=msg("error.rerun.kind", kind=old.kind),
        )
    require(user, action)
    if old.kind == "score_file":
        return _accepted(_rerun_score_file(session, state, user, old))
    return _accepted(_rerun_score_zone(session, state, user, old))
