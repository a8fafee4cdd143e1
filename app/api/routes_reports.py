"""``/reports``: printed documents as PDF (``application/pdf``), in the request's language.

``GET /reports/parcels/{parcel_id}``: the 地块选址报告 of one parcel (viewer or higher).
``POST /reports/review``: the 项目准入审查意见 of a project on a site, the body as ``POST /check``
(signed in, as a check). ``GET /reports/projects/{project_id}``: the same for a saved project,
on its recorded site (or ``parcel`` given).
``GET /reports/evaluation/{year}.pdf``: the 亩均效益评价结果 of a year (signed in).
``GET /reports/notices.pdf?as_of=…&enterprise=…``: the supervision notices (闲置土地 / 清退 letters)
of the cases on a date, all or one enterprise's (signed in).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.api.bounds import ProjectId
from app.api.deps import ApiState, Checker, SessionDep, StateDep, Viewer, needs
from app.api.lang import LangDep, request_lang
from app.api.models import CheckRequest, ErrorBody
from app.api.reports import (
    evaluation_inputs_from_database,
    notice_inputs_from_database,
    parcel_inputs_from_database,
    review_inputs_from_database,
    saved_project_site,
)
from app.api.routes_checks import site_ids
from app.api.store import served_zone
from app.db.models import UserRow
from app.reports.evaluation import evaluation_report
from app.reports.notices import notices_report
from app.reports.parcel import parcel_report
from app.reports.review import review_report
from gis.errors import SchemaError
from gis.messages import msg

router = APIRouter(tags=["reports"])

Reader = Annotated[UserRow, Depends(needs("read"))]
DateParam = Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$", description="date in the header")]

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


@router.get(
    "/reports/evaluation/{year}.pdf",
    response_class=Response,
    responses={
        200: {"content": {PDF: {}}, "description": "the evaluation (A4 PDF)"},
        401: {"model": ErrorBody},
        404: {"model": ErrorBody, "description": "no figures for that year"},
    },
    summary="亩均效益评价结果: the year's evaluation as a PDF (method, classes, map, D list)",
)
def evaluation_pdf(
    year: Annotated[int, Path(ge=1900, le=2200, description="the year evaluated")],
    session: SessionDep,
    state: StateDep,
    user: Reader,
    lang: LangDep,
    date: DateParam = None,
) -> Response:
    zone = served_zone(session, state.settings)
    inp = evaluation_inputs_from_database(session, zone, state.settings.zone_file, year)
    data = evaluation_report(
        inp.zone,
        inp.evaluation,
        inp.parcels_of,
        inp.maps,
        lang=lang,
        on=dt.date.fromisoformat(date) if date else None,
        illustrative=inp.illustrative,
    )
    return pdf_response(data, f"evaluation-{year}-{lang}.pdf")


@router.get(
    "/reports/notices.pdf",
    response_class=Response,
    responses={
        200: {"content": {PDF: {}}, "description": "the letters, one page each (A4 PDF)"},
        400: {"model": ErrorBody},
        401: {"model": ErrorBody},
        404: {"model": ErrorBody, "description": "no such enterprise, or no case to write"},
    },
    summary="闲置土地 / 清退 notices: one letter per supervision case on a date (all, or one enterprise's)",
)
def notices_pdf(
    session: SessionDep,
    state: StateDep,
    user: Reader,
    lang: LangDep,
    as_of: Annotated[dt.date | None, Query(description="YYYY-MM-DD; default today")] = None,
    enterprise: Annotated[
        str | None, Query(max_length=200, description="only this enterprise's letters (its name)")
    ] = None,
) -> Response:
    zone = served_zone(session, state.settings)
    day = as_of or dt.date.today()
    inp = notice_inputs_from_database(session, zone, day, enterprise or None)
    data = notices_report(inp.zone, inp.letters, inp.maps, day, lang=lang)
    return pdf_response(data, _notices_name(day, inp.letters if enterprise else None, lang))


def _notices_name(day: dt.date, letters: list[Any] | None, lang: str) -> str:
    """Return the download's name: ``notices-DATE-LANG.pdf``, with the contract id for one
    enterprise's letters (its name is not ASCII, a header is)."""
    tag = "" if not letters else f"-contract{letters[0].case.contract_id}"
    return f"notices-{day.isoformat()}{tag}-{lang}.pdf"
