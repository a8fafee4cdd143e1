"""``/reports``: printed documents as PDF (``application/pdf``), in the request's language.

``GET /reports/parcels/{parcel_id}``: the 地块选址报告 of one parcel (viewer or higher).
``POST /reports/review``: the 项目准入审查意见 of a project on a site, the body as ``POST /check``
(signed in, as a check). ``GET /reports/projects/{project_id}``: the same for a saved project,
on its recorded site (or ``parcel`` given).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.api.bounds import ProjectId
from app.api.deps import ApiState, Checker, SessionDep, StateDep, Viewer
from app.api.lang import LangDep, request_lang
from app.api.models import CheckRequest, ErrorBody
from app.api.reports import parcel_inputs_from_database, review_inputs_from_database, saved_project_site
from app.api.routes_checks import site_ids
from app.api.store import served_zone
from app.reports.parcel import parcel_report
from app.reports.review import review_report
from gis.errors import SchemaError
from gis.messages import msg

router = APIRouter(tags=["reports"])

PDF = "application/pdf"


def pdf_response(data: bytes, filename: str) -> Response:
    """Return PDF bytes as a download named ``filename``."""
    return Response(
        data, media_type=PDF, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


@router.get(
    "/reports/parcels/{parcel_id}",
    response_class=Response,
    responses={
        200: {"content": {PDF: {}}, "description": "the report (A4 PDF)"},
        404: {"model": ErrorBody},
        409: {"model": ErrorBody, "description": "the zone has not been scored yet"},
    },
    summary="地块选址报告: the site report of one parcel as a PDF",
)
def parcel_site_report(
    parcel_id: str,
    session: SessionDep,
    state: StateDep,
    user: Viewer,
    lang: LangDep,
    date: Annotated[
        str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$", description="date in the header")
    ] = None,
) -> Response:
    import datetime as dt

    zone = served_zone(session, state.settings)
    inp = parcel_inputs_from_database(session, zone, parcel_id)
    data = parcel_report(
        inp.zone,
        inp.facts,
        inp.geometry,
        inp.crs,
        inp.maps,
        lang=lang,
        on=dt.date.fromisoformat(date) if date else None,
        illustrative=inp.illustrative,
    )
    return pdf_response(data, f"parcel-{parcel_id}-{lang}.pdf")


REVIEW_ERRORS = {
    200: {"content": {PDF: {}}, "description": "the review opinion (A4 PDF)"},
    401: {"model": ErrorBody},
    404: {"model": ErrorBody},
    409: {"model": ErrorBody, "description": "the zone has not been scored yet"},
    422: {"model": ErrorBody},
}


def _review_pdf(
    session: Session, state: ApiState, data: dict[str, Any], ids: list[str], lang: str, date: str | None
) -> Response:
    import datetime as dt

    inp = review_inputs_from_database(session, state, data, ids)
    pdf = review_report(
        inp.zone,
        inp.project,
        inp.parcels,
        inp.site_ids,
        inp.result,
        inp.recommendation,
        inp.maps,
        lang=lang,
        on=dt.date.fromisoformat(date) if date else None,
        illustrative=inp.illustrative,
    )
    return pdf_response(pdf, f"review-{'+'.join(ids)}-{lang}.pdf")


@router.post(
    "/reports/review",
    response_class=Response,
    responses=REVIEW_ERRORS,
    summary="项目准入审查意见: the review opinion of a project on a site as a PDF (body as POST /check)",
)
def review_opinion(
    body: CheckRequest,
    request: Request,
    session: SessionDep,
    state: StateDep,
    user: Checker,
    date: Annotated[
        str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$", description="date in the header")
    ] = None,
) -> Response:
    """Check the project on the site (nothing is stored), recommend sites, and return the PDF."""
    lang = body.lang or request_lang(request)
    return _review_pdf(
        session, state, body.project, site_ids(body.parcel_id, body.parcel_ids, "review"), lang, date
    )


@router.get(
    "/reports/projects/{project_id}",
    response_class=Response,
    responses=REVIEW_ERRORS,
    summary="项目准入审查意见 of a saved project, on its recorded site (or the parcels given)",
)
def saved_project_review(
    project_id: ProjectId,
    session: SessionDep,
    state: StateDep,
    user: Checker,
    lang: LangDep,
    parcel: Annotated[
        list[str] | None, Query(description="the site's parcel ids (default: the recorded site)")
    ] = None,
    date: Annotated[
        str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$", description="date in the header")
    ] = None,
) -> Response:
    zone = served_zone(session, state.settings)
    data, recorded = saved_project_site(session, zone, project_id)
    ids = list(dict.fromkeys(parcel)) if parcel else recorded
    if not ids:
        raise SchemaError(
            f"project {project_id} has no recorded site: give parcel=…",
            where="parcel",
            hint="e.g. ?parcel=SC-0001",
            msg=msg("error.report.no_site", project=project_id),
        )
    return _review_pdf(session, state, data, ids, lang, date)
