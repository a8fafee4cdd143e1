"""``/reports``: printed documents as PDF (``application/pdf``), in the request's language.

``GET /reports/parcels/{parcel_id}``: the 地块选址报告 of one parcel (viewer or higher).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from app.api.deps import SessionDep, StateDep, Viewer
from app.api.lang import LangDep
from app.api.models import ErrorBody
from app.api.reports import parcel_inputs_from_database
from app.api.store import served_zone
from app.reports.parcel import parcel_report

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
