"""``/jobs`` (batch scoring of uploaded parcel files) and ``/score-runs`` (re-score the zone).

Who may run them: analysts and above (``run_jobs``), managers and above for score runs (``run_scoring``). Uploads are a
GeoPackage (``.gpkg``), GeoJSON (``.geojson``/``.json``) or zipped Shapefile (``.zip``) of
polygons, at most ``Settings.max_body_mb``. The file is read and checked while the request
waits — no CRS, not polygons, an unsafe zip (``..``, links, bombs), no parcel on the zone's DEMs
are 4xx answers naming the uploaded file — and then scored in the background: 202 with the job
id; poll ``GET /jobs/{id}``; download ``GET /jobs/{id}/result?format=gpkg|geojson|csv``.
A user sees their own jobs (an admin sees all). A job's ``message`` (its current step), its
``error`` and the notes of its ``counts`` are in the request's language (``?lang=``, else
``Accept-Language``, else Chinese); ``message_en`` and ``message_zh`` give the step in both.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import FileResponse, JSONResponse

from app.api.deps import (
    JobSubmitter,
    ScoreRunner,
    SessionDep,
    StateDep,
    Viewer,
    require_user,
    write_transaction,
)
from app.api.jobs import MEDIA_TYPES, RESULT_FILES, job_dir, message_params, score_file_work, score_zone_work
from app.api.lang import LangDep
from app.api.models import ErrorBody, JobCreated, JobList, JobStatus, ScoreRunInfo
from app.api.scores import latest_run, zone_context
from app.api.store import config_of, served_zone
from app.db.jobs import create_job, fail_job, get_job, newest_jobs
from app.db.models import BatchJobRow, UserRow
from app.i18n import render, render_value
from app.scoring_io.parcel_files import read_parcels
from gis.errors import ConflictError, LimitExceededError, NoOverlapError, NotFoundError, ParksiteError
from gis.messages import Name, from_dict, msg, replace_text
from scoring.measure import dem_overlap

router = APIRouter(tags=["jobs"])

CHUNK = 1 << 20
_SAFE = re.compile(r"[^a-z0-9.]")


def _step(params: dict[str, Any], lang: str) -> str | None:
    """Return a job's current step in ``lang`` (its stored message, else the stored text)."""
    if params.get("msg"):
        return render(from_dict(params["msg"]), lang)
    return params.get("message_zh" if lang == "zh" else "message") or params.get("message")


def _error(job: BatchJobRow, lang: str) -> str | None:
    """Return why a job failed or stopped, in ``lang`` (the English text for older jobs)."""
    stored = (job.params or {}).get("error_msg")
    if stored:
        return render(from_dict(stored), lang)
    if job.status == "interrupted":
        return render(msg("job.error.interrupted"), lang)
    return job.error


def _status(job: BatchJobRow, lang: str = "zh") -> dict[str, Any]:
    params = job.params or {}
    results = {}
    if job.status == "done" and job.output_path:
        results = {fmt: f"/api/v1/jobs/{job.id}/result?format={fmt}" for fmt in RESULT_FILES}
    counts = params.get("counts")
    return {
        "job_id": job.id,
        "kind": job.kind,
        "status": job.status,
        "progress": job.progress,
        "message": _step(params, lang),
        "message_en": _step(params, "en"),
        "message_zh": _step(params, "zh"),
        "counts": None if counts is None else render_value(from_dict(counts), lang),
        "error": _error(job, lang),
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "created_by": job.created_by,
        "input_name": params.get("input_name"),
        "results": results,
    }


def _own_job(session: Any, job_id: str, user: UserRow) -> BatchJobRow:
    try:
        job = get_job(session, job_id)
    except NotFoundError:
        job = None
    if job is None or (job.created_by != user.name and user.role != "admin"):
        raise NotFoundError(
            f"no job {job_id!r} of yours",
            where="jobs",
            hint="list yours with GET /api/v1/jobs",
            msg=msg("error.job.not_found", job=job_id),
        )
    return job


def _rename(exc: ParksiteError, saved: Path, shown: str) -> ParksiteError:
    """Replace the server-side upload path by the uploaded file's name in an error's text."""
    for attr in ("message", "where", "hint"):
        value = getattr(exc, attr)
        if isinstance(value, str):
            setattr(exc, attr, value.replace(str(saved), shown))
    if exc.msg is not None:
        exc.msg = replace_text(exc.msg, str(saved), shown)
    exc.args = (str(exc),)
    return exc


def _save_upload(upload: UploadFile, dest: Path, limit_bytes: int) -> int:
    size = 0
    with open(dest, "wb") as out:
        while chunk := upload.file.read(CHUNK):
            size += len(chunk)
            if size > limit_bytes:
                raise LimitExceededError(
                    f"the upload is larger than {limit_bytes / 1e6:g} MB",
                    where=upload.filename or "upload",
                    hint="split the parcels into smaller files",
                    msg=msg("error.job.upload_too_large", limit=f"{limit_bytes / 1e6:g}"),
                )
            out.write(chunk)
    return size


@router.post(
    "/jobs",
    status_code=202,
    response_model=JobCreated,
    responses={
        400: {"model": ErrorBody, "description": "unreadable file, unknown format, unsafe zip"},
        401: {"model": ErrorBody},
        403: {"model": ErrorBody, "description": "role below manager"},
        413: {"model": ErrorBody},
        422: {"model": ErrorBody, "description": "no CRS, not polygons, off the DEMs"},
    },
    summary="Upload parcels (GeoPackage, GeoJSON, zipped Shapefile) and score them in the background",
)
def post_job(
    session: SessionDep,
    state: StateDep,
    user: JobSubmitter,
    lang: LangDep,
    file: Annotated[UploadFile, File(description="the parcels: .gpkg, .geojson or .zip (Shapefile)")],
    layer: Annotated[str | None, Form(description="GeoPackage layer or Shapefile inside the zip")] = None,
    id_field: Annotated[
        str | None, Form(description="field with the parcel ids (else parcel_id, else row numbers)")
    ] = None,
) -> JSONResponse:
    zone = served_zone(session, state.settings)
    cfg = config_of(zone)
    shown = Path(file.filename or "upload").name or "upload"
    suffix = _SAFE.sub("", Path(shown).suffix.lower())[:10]
    with write_transaction(session) as ws:
        job = create_job(
            ws,
            "score_file",
            user,
            zone_id=zone.id,
            params={
                "input_name": shown,
                "layer": layer,
                "id_field": id_field,
                **message_params(msg("job.checking")),
            },
        )
        job_id = job.id
    folder = job_dir(state.settings.state_dir, job_id)
    folder.mkdir(parents=True, exist_ok=True)
    saved = folder / f"input{suffix}"
    try:
        _save_upload(file, saved, int(state.settings.max_body_mb * 1e6))
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
            lang,
            scheduler=state.settings.dask_scheduler or None,
        ),
    )
    return JSONResponse(
        {"job_id": job_id, "status": "queued", "href": f"/api/v1/jobs/{job_id}"},
        status_code=202,
        headers={"Location": f"/api/v1/jobs/{job_id}"},
    )


@router.get(
    "/jobs",
    response_model=JobList,
    responses={401: {"model": ErrorBody}},
    summary="Your jobs, newest first (an admin sees everyone's)",
)
def list_jobs(
    session: SessionDep, user: Viewer, lang: LangDep, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> dict[str, Any]:
    u = require_user(user)
    jobs = newest_jobs(session, limit=limit, created_by=None if u.role == "admin" else u.name)
    return {"jobs": [_status(j, lang) for j in jobs]}


@router.get(
    "/jobs/{job_id}",
    response_model=JobStatus,
    responses={401: {"model": ErrorBody}, 404: {"model": ErrorBody}},
    summary="A job's status, progress (0–1), message, counts and error",
)
def get_job_status(job_id: str, session: SessionDep, user: Viewer, lang: LangDep) -> dict[str, Any]:
    return _status(_own_job(session, job_id, require_user(user)), lang)


@router.get(
    "/jobs/{job_id}/result",
    responses={
        200: {"content": {m: {} for m in MEDIA_TYPES.values()}, "description": "the scored file"},
        404: {"model": ErrorBody},
        409: {"model": ErrorBody, "description": "not done"},
    },
    summary="Download a done job's scored parcels: gpkg (zone CRS), geojson (WGS 84), csv, or html (a self-contained interactive map)",
)
def get_job_result(
    job_id: str,
    session: SessionDep,
    state: StateDep,
    user: Viewer,
    format: Annotated[Literal["gpkg", "geojson", "csv", "html"], Query()] = "gpkg",
) -> FileResponse:
    job = _own_job(session, job_id, require_user(user))
    if job.kind != "score_file":
        raise NotFoundError(
            f"job {job_id} ({job.kind}) has no result file",
            where=f"job {job_id}",
            msg=msg("error.job.no_result_file"),
        )
    if job.status != "done":
        waiting = job.status in ("queued", "running")
        raise ConflictError(
            f"job {job_id} is {job.status}; there is no result" + (f" ({job.error})" if job.error else ""),
            where=f"job {job_id}",
            hint="wait until its status is done" if waiting else "upload the file again",
            msg=msg("error.job.not_done_wait") if waiting else msg("error.job.failed_upload_again"),
        )
    path = job_dir(state.settings.state_dir, job_id) / RESULT_FILES[format]
    if not path.is_file():
        raise NotFoundError(
            f"the {format} result of job {job_id} is missing",
            where=f"job {job_id}",
            msg=msg("error.job.result_missing", format=format),
        )
    stem = Path((job.params or {}).get("input_name") or "parcels").stem
    name = f"{stem}_map.html" if format == "html" else f"{stem}_scored.{format}"
    return FileResponse(path, media_type=MEDIA_TYPES[format], filename=name)


@router.post(
    "/score-runs",
    status_code=202,
    response_model=JobCreated,
    responses={401: {"model": ErrorBody}, 403: {"model": ErrorBody, "description": "role below manager"}},
    summary="Re-score the zone's own parcels in the background (manager+)",
)
def post_score_run(session: SessionDep, state: StateDep, user: ScoreRunner) -> JSONResponse:
    zone = served_zone(session, state.settings)
    with write_transaction(session) as ws:
        job_id = create_job(
            ws, "score_zone", user, zone_id=zone.id, params=message_params(msg("job.queued"))
        ).id
    state.jobs.submit(job_id, score_zone_work(state.factory, zone.id, user.name))
    return JSONResponse(
        {"job_id": job_id, "status": "queued", "href": f"/api/v1/jobs/{job_id}"},
        status_code=202,
        headers={"Location": f"/api/v1/jobs/{job_id}"},
    )


@router.get(
    "/score-runs/latest",
    response_model=ScoreRunInfo | None,
    summary="The zone's newest finished score run (null before the first)",
)
def get_latest_run(session: SessionDep, state: StateDep, user: Viewer) -> Any:
    zone = served_zone(session, state.settings)
    run = latest_run(session, zone.id)
    if run is None:
        return None
    return {
        "id": run.id,
        "status": run.status,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "n_parcels": run.n_parcels,
        "n_scored": run.n_scored,
        "n_excluded": run.n_excluded,
        "error": run.error,
    }
