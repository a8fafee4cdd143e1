"""``/evaluation``, ``/evaluation/trend``, ``/evaluation/map``, ``/zone-report`` (signed-in users)
and ``/figures`` (managers): the 亩均效益 evaluation, its map layer, the zone report and a year's
figures imported (or, with ``dry_run=true``, checked in full and nothing kept)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Query, Response, UploadFile

from app.api.deps import SessionDep, StateDep, import_transaction, needs
from app.api.land_map import evaluation_map
from app.api.lang import LangDep
from app.api.store import served_zone
from app.db.figures import import_figures
from app.db.models import UserRow
from app.i18n import render, render_value
from app.scoring_io.evaluation import evaluation_json, evaluation_trend, zone_report_in_db
from app.scoring_io.figures import read_figures
from gis.errors import InputFileError
from gis.messages import msg

router = APIRouter()

Reader = Annotated[UserRow, Depends(needs("read"))]
FiguresImporter = Annotated[UserRow, Depends(needs("import_figures"))]
Year = Annotated[int, Query(ge=1900, le=2200, description="the year evaluated")]
#: The name a figures upload without one is given.
DEFAULT_UPLOAD_NAME = "figures" + ".csv"
#: The largest figures file accepted (bytes).
MAX_FIGURES_BYTES = 10_000_000


@router.get("/evaluation", tags=["evaluation"])
def get_evaluation(
    year: Year, session: SessionDep, state: StateDep, user: Reader, lang: LangDep
) -> dict[str, Any]:
    """The 亩均效益综合评价 of ``year``: the method (indicators, weights, benchmarks, cap, classes),
    per enterprise every item's value, benchmark, weight and points, score, rank, class and
    parcels. 404-like error when the year has no figures."""
    zone = served_zone(session, state.settings)
    return render_value(evaluation_json(session, zone.id, state.settings.zone_file, year), lang)


@router.get("/evaluation/trend", tags=["evaluation"])
def get_evaluation_trend(session: SessionDep, state: StateDep, user: Reader) -> dict[str, Any]:
    """The class counts (A/B/C/D/T) of every year with figures."""
    zone = served_zone(session, state.settings)
    return {"years": evaluation_trend(session, zone.id, state.settings.zone_file)}


@router.get(
    "/evaluation/map",
    tags=["evaluation"],
    response_class=Response,
    responses={200: {"content": {"application/geo+json": {}}}},
)
def get_evaluation_map(
    session: SessionDep,
    state: StateDep,
    user: Reader,
    year: Annotated[
        int | None, Query(ge=1900, le=2200, description="the year evaluated; default the latest")
    ] = None,
) -> Response:
    """The parcels of every evaluated enterprise as GeoJSON (WGS 84) with its class, score, rank
    and group in ``year`` (default the latest year with figures), for the web map's
    亩均效益评价分类 layer; ``year``, ``years``, ``classes`` and ``illustrative`` at the top."""
    zone = served_zone(session, state.settings)
    body = evaluation_map(session, zone, state.settings.zone_file, year)
    return Response(body, media_type="application/geo+json")


@router.get("/zone-report", tags=["evaluation"])
def get_zone_report(
    year: Year, session: SessionDep, state: StateDep, user: Reader, lang: LangDep
) -> dict[str, Any]:
    """The zone as a whole in ``year``: TD/T 1029 indicators per park and zone (no data where
    the database lacks the inputs, with the reason) and 表6-1 progress."""
    zone = served_zone(session, state.settings)
    return render_value(zone_report_in_db(session, zone.id, state.settings.zone_file, year), lang)


@router.post("/figures", tags=["evaluation"])
def post_figures(
    year: Year,
    file: Annotated[UploadFile, File(description="XLSX or CSV, Chinese or English headers")],
    session: SessionDep,
    state: StateDep,
    user: FiguresImporter,
    lang: LangDep,
    dry_run: Annotated[bool, Query(description="check everything, keep nothing")] = False,
) -> dict[str, Any]:
    """Import a year's figures (managers): every row checked (row, column, what is wrong: the
    error's ``problems``), all or nothing. Returns ``{"year", "enterprises", "added", "updated",
    "dry_run", "message"}``; a dry run checks and writes in a transaction rolled back."""
    name = Path(file.filename or DEFAULT_UPLOAD_NAME).name
    data = file.file.read(MAX_FIGURES_BYTES + 1)
    if len(data) > MAX_FIGURES_BYTES:
        raise InputFileError(
            "the figures file is too large",
            where=name,
            msg=msg(
                "error.table.too_large", size=f"{len(data) / 1e6:.0f}", limit=f"{MAX_FIGURES_BYTES / 1e6:.0f}"
            ),
        )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        figures = read_figures(path, year)
    zone = served_zone(session, state.settings)
    with import_transaction(session, dry_run) as ws:
        added, updated = import_figures(ws, zone.id, year, figures, user=user.name, source=name, where=name)
    done = msg("figures.checked" if dry_run else "figures.imported", year=year, n=len(figures))
    return {
        "year": year,
        "enterprises": len(figures),
        "added": added,
        "updated": updated,
        "dry_run": dry_run,
        "message": render(done, lang),
    }
