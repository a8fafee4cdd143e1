"""``/projects``: the recorded projects, their checks, and their admission (准入/入驻登记).

* ``POST /projects`` (manager+) — save a project to the register (项目库): with the site it was
  checked on (``parcel_id``/``parcel_ids``) the check is run again and saved with it (status
  ``reviewed``, 已审查), without one it is ``negotiating`` (洽谈). ``POST /check`` stores nothing.
* ``GET /projects`` (``status=negotiating|reviewed|admitted|revoked``), ``GET /projects/{id}`` —
  a project with its recorded checks (newest first) and admissions (the active one first). Investors'
  figures and who checked them: a signed-in user (any role) only, unless
  ``PARKSITE_PUBLIC_READS=projects`` (:func:`app.api.deps.confidential`).
* ``POST /projects/{id}/admission`` (manager+) — admit the project on parcels it was checked
  on: refused (409, ``AdmissionRefusedError`` with ``reason``, ``message_zh``, ``message_en``)
  when its newest check there failed, a review verdict comes without a ``reason``, a parcel is
  not available or taken by another admitted project, or its demand no longer fits the spare
  capacity after the projects admitted so far (:mod:`app.db.admissions`).
* ``DELETE /projects/{id}/admission`` (manager+) — revoke it: parcels and capacity come free.

The admitted projects are drawn down from the capacity ledger that ``/check`` and
``/recommend`` use (:func:`app.db.zone_state.capacity_ledger`).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from app.api.bounds import Offset, ProjectId
from app.api.deps import ProjectReader, SessionDep, StateDep, needs, write_transaction
from app.api.lang import LangDep
from app.api.models import ErrorBody, ProjectSave, _In
from app.api.routes_checks import check_on_site, save_checked, site_ids, zone_project
from app.api.store import served_zone
from app.api.zone_memo import served
from app.db.admissions import active_admission, admission_state, admit_project, lock_zone, revoke_admission
from app.db.models import ProjectRow, UserRow
from app.db.projects import project_admissions, project_checks, project_in_zone, projects_page
from app.db.rules import zone_rules
from app.db.zone_state import capacity_ledger
from app.i18n import render_value
from gis.messages import from_dict
from scoring.rulebook import Status

router = APIRouter(tags=["projects"])

Admitter = Annotated[UserRow, Depends(needs("admit_projects"))]
Saver = Annotated[UserRow, Depends(needs("save_projects"))]

_WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody},
    403: {"model": ErrorBody, "description": "role below manager"},
    404: {"model": ErrorBody},
    409: {"model": ErrorBody, "description": "admission refused: body has reason, message_zh, message_en"},
    422: {"model": ErrorBody},
}


class AdmissionRequest(_In):
    parcel_id: str | None = None
    parcel_ids: list[str] | None = Field(None, description="the site's parcels (as checked)")
    reason: str | None = Field(
        None, max_length=2000, description="why the project is admitted; required when its check says review"
    )


class CheckOut(BaseModel):
    id: int
    parcel_id: str | None
    verdict: Status
    rules: list[dict[str, Any]]
    checked_at: dt.datetime | None
    checked_by: str | None


class AdmissionOut(BaseModel):
    id: int
    park: str
    parcel_ids: list[str]
    check_id: int | None
    verdict: Status
    reason: str | None
    admitted_at: str | None
    admitted_by: str | None
    revoked_at: str | None
    revoked_by: str | None
    revoke_reason: str | None


class ProjectOut(BaseModel):
    id: int
    name: str
    enterprise: str | None
    industry: str | None
    branch: str | None
    status: Literal["negotiating", "reviewed", "admitted", "revoked"] = Field(
        description="洽谈 negotiating, 已审查 reviewed, 已准入 admitted or 已撤销 revoked"
    )
    investment_wan: float | None
    output_wan: float | None
    land_mu: float | None
    water_m3_per_day: float | None
    power_kw: float | None
    created_at: dt.datetime | None
    created_by: str | None
    admission: AdmissionOut | None = Field(None, description="the active admission, if any")
    last_admission: AdmissionOut | None = Field(
        None, description="the newest admission, active or revoked (a revoked project's former site)"
    )
    checked_parcel_ids: list[str] = Field(
        default_factory=list, description="the parcels of its newest saved check (its site when reviewed)"
    )


class ProjectDetail(ProjectOut):
    fields: dict[str, Any]
    checks: list[CheckOut]
    admissions: list[AdmissionOut] = Field(description="every admission, newest first")


class ProjectList(BaseModel):
    projects: list[ProjectOut]
    numberMatched: int
    numberReturned: int


def _summary(session: Session, p: ProjectRow) -> dict[str, Any]:
    active = active_admission(session, p.id)
    admissions = project_admissions(session, p.id)
    checks = project_checks(session, p.id)
    newest = [c for c in checks if c.checked_at == checks[0].checked_at] if checks else []
    return {
        "id": p.id,
        "name": p.name,
        "enterprise": p.enterprise,
        "industry": p.industry,
        "branch": p.branch,
        "status": p.status,
        "investment_wan": p.investment_wan,
        "output_wan": p.output_wan,
        "land_mu": p.land_mu,
        "water_m3_per_day": p.water_m3_per_day,
        "power_kw": p.power_kw,
        "created_at": p.created_at,
        "created_by": p.created_by,
        "admission": admission_state(active),
        "last_admission": admission_state(admissions[0] if admissions else None),
        "checked_parcel_ids": sorted(c.parcel_code for c in newest if c.parcel_code),
    }


def _detail(session: Session, p: ProjectRow, lang: str = "zh") -> dict[str, Any]:
    checks = project_checks(session, p.id)
    return {
        **_summary(session, p),
        "fields": p.fields,
        "checks": [
            {
                "id": c.id,
                "parcel_id": c.parcel_code,
                "verdict": c.verdict,
                "rules": render_value(from_dict(c.rules), lang),
                "checked_at": c.checked_at,
                "checked_by": c.checked_by,
            }
            for c in checks
        ],
        "admissions": [admission_state(a) for a in project_admissions(session, p.id)],
    }


@router.get(
    "/projects",
    response_model=ProjectList,
    responses={401: {"model": ErrorBody}},
    summary="The zone's recorded projects, newest first (filter by status, e.g. admitted; signed in)",
)
def list_projects(
    session: SessionDep,
    state: StateDep,
    user: ProjectReader,
    status: Annotated[Literal["negotiating", "reviewed", "admitted", "revoked"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    zone = served_zone(session, state.settings)
    total, rows = projects_page(session, zone.id, status=status, limit=limit, offset=offset)
    out = [_summary(session, p) for p in rows]
    return {"projects": out, "numberMatched": total, "numberReturned": len(out)}


@router.post(
    "/projects",
    status_code=201,
    response_model=ProjectDetail,
    responses=_WRITE_ERRORS,
    summary="Save a project to the register (项目库), with its check on a site if given (manager+)",
)
def post_project(
    body: ProjectSave, session: SessionDep, state: StateDep, user: Saver, lang: LangDep
) -> dict[str, Any]:
    """Save the project: with a site, checked again there and saved with the check (reviewed);
    without one, as negotiating. Returns the saved project with its checks, texts in ``lang``
    (the body's ``lang``, else the query's or ``Accept-Language``, else Chinese)."""
    lang = body.lang or lang
    if body.parcel_id is None and body.parcel_ids is None:
        zone = served(state, session)
        project, check = zone_project(zone_rules(session, zone.id).config, body.project), None
    else:
        ids = site_ids(body.parcel_id, body.parcel_ids, "project")
        check = check_on_site(session, state, body.project, ids, lang)
        zone, project = check.zone, check.project
    with write_transaction(session) as ws:
        saved = save_checked(ws, zone, project, check, user)
        return _detail(ws, project_in_zone(ws, zone.id, saved["project_id"]), lang)


@router.get(
    "/projects/{project_id}",
    response_model=ProjectDetail,
    responses={401: {"model": ErrorBody}, 404: {"model": ErrorBody}},
    summary="A project with its recorded checks and admissions (signed in)",
)
def get_project(
    project_id: ProjectId, session: SessionDep, state: StateDep, user: ProjectReader, lang: LangDep
) -> dict[str, Any]:
    zone = served_zone(session, state.settings)
    return _detail(session, project_in_zone(session, zone.id, project_id), lang)


@router.post(
    "/projects/{project_id}/admission",
    response_model=ProjectDetail,
    responses=_WRITE_ERRORS,
    summary="Admit (准入登记) a checked project on its parcels (manager+)",
)
def post_admission(
    project_id: ProjectId,
    body: AdmissionRequest,
    session: SessionDep,
    state: StateDep,
    user: Admitter,
    lang: LangDep,
) -> dict[str, Any]:
    """Admit the project on the parcels it was checked on; its demand is drawn from the spare
    capacity that later checks and recommendations see."""
    ids = site_ids(body.parcel_id, body.parcel_ids, "admission")
    zone = served_zone(session, state.settings)
    cfg = zone_rules(session, zone.id).config
    with write_transaction(session) as ws:
        project_in_zone(ws, zone.id, project_id)
        lock_zone(ws, zone.id)
        ledger, _ = capacity_ledger(ws, zone.id, cfg)
        admit_project(ws, project_id, ids, user, ledger, reason=body.reason)
        return _detail(ws, project_in_zone(ws, zone.id, project_id), lang)


@router.delete(
    "/projects/{project_id}/admission",
    response_model=ProjectDetail,
    responses=_WRITE_ERRORS,
    summary="Revoke a project's admission (manager+): its parcels and capacity come free",
)
def delete_admission(
    project_id: ProjectId,
    session: SessionDep,
    state: StateDep,
    user: Admitter,
    lang: LangDep,
    reason: Annotated[str | None, Query(max_length=2000)] = None,
) -> dict[str, Any]:
    zone = served_zone(session, state.settings)
    with write_transaction(session) as ws:
        project_in_zone(ws, zone.id, project_id)
        lock_zone(ws, zone.id)
        revoke_admission(ws, project_id, user, reason=reason)
        return _detail(ws, project_in_zone(ws, zone.id, project_id), lang)
