"""``/land/contracts`` and ``/supervision``: land contracts and their supervision (供后监管).

* ``GET /land/contracts`` (signed in) — the zone's land contracts with their parcels, committed
  标准地 indicators and progress (dates ``YYYY-MM-DD``, money 万元, areas 亩).
* ``POST /land/contracts/import`` (manager+) — an XLSX or CSV file of contracts and progress
  (``parksite land import``'s columns): every row checked, all or nothing (422 with the rows,
  columns and problems in ``problems``); returns the counts created / updated / unchanged and
  ``dry_run``. With ``dry_run=true`` everything is checked and written in a transaction that is
  rolled back: the same answer (or error), nothing kept.
* ``GET /supervision?as_of=YYYY-MM-DD`` (signed in; default today) — ``{"as_of", "cases"}``, the
  JSON of ``parksite supervise --json``.
* ``GET /supervision/map?as_of=YYYY-MM-DD`` (signed in; default today) — the parcels with a case
  as GeoJSON (WGS 84) for the web map's 闲置/逾期地块 layer (:func:`app.api.land_map.supervision_map`).
* ``GET /supervision/rules`` (signed in) — the zone's supervision rules (names, periods, sources).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Query, Response, UploadFile

from app.api.deps import SessionDep, StateDep, import_transaction, needs
from app.api.land_map import supervision_map
from app.api.models import ErrorBody
from app.api.store import served_zone
from app.db.contracts import (
    contract_dict,
    import_contract_table,
    land_contracts,
    rules_dict,
    supervision_report,
)
from app.db.models import UserRow
from app.db.rules import zone_rules
from gis.errors import InputFileError, LimitExceededError
from gis.messages import msg
from gis.tables import read_table

router = APIRouter(tags=["land"])

Reader = Annotated[UserRow, Depends(needs("read"))]
LandImporter = Annotated[UserRow, Depends(needs("import_land"))]
_CHUNK = 1 << 20


@router.get(
    "/land/contracts",
    responses={401: {"model": ErrorBody}},
    summary="The zone's land contracts and their progress (signed in)",
)
def list_contracts(session: SessionDep, state: StateDep, user: Reader) -> dict[str, Any]:
    zone = served_zone(session, state.settings)
    rows = [contract_dict(c) for c in land_contracts(session, zone.id)]
    return {"contracts": rows, "numberReturned": len(rows)}


@router.post(
    "/land/contracts/import",
    responses={401: {"model": ErrorBody}, 403: {"model": ErrorBody}, 422: {"model": ErrorBody}},
    summary="Import land contracts and progress from XLSX or CSV, all or nothing (manager+)",
)
def import_contracts_file(
    session: SessionDep,
    state: StateDep,
    user: LandImporter,
    file: Annotated[UploadFile, File(description="contracts and progress, .xlsx or .csv")],
    dry_run: Annotated[bool, Query(description="check everything, keep nothing")] = False,
) -> dict[str, Any]:
    suffix = Path((file.filename or "").replace("\\", "/")).suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise InputFileError(
            f"{file.filename!r} is not an XLSX or CSV file",
            where="file",
            hint="upload the contracts as .xlsx or .csv",
            msg=msg("error.table.format", suffix=suffix or "—"),
        )
    budget = int(state.settings.max_body_mb * 1e6)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"contracts{suffix}"
        with path.open("wb") as out:
            while chunk := file.file.read(_CHUNK):
                budget -= len(chunk)
                if budget < 0:
                    raise LimitExceededError("the file is larger than the upload limit", where="file")
                out.write(chunk)
        frame, _ = read_table(path)
    zone = served_zone(session, state.settings)
    config = zone_rules(session, zone.id).config
    with import_transaction(session, dry_run) as ws:
        counts = import_contract_table(ws, zone.id, config, frame, user)
    return {**counts, "dry_run": dry_run}


@router.get(
    "/supervision",
    responses={401: {"model": ErrorBody}, 422: {"model": ErrorBody}},
    summary="Supervision cases on a date: idle land, clearance, 达产复核 (signed in)",
)
def get_supervision(
    session: SessionDep,
    state: StateDep,
    user: Reader,
    as_of: Annotated[dt.date | None, Query(description="YYYY-MM-DD; default today")] = None,
) -> dict[str, Any]:
    zone = served_zone(session, state.settings)
    config = zone_rules(session, zone.id).config
    return supervision_report(session, zone.id, config, as_of or dt.date.today())


@router.get(
    "/supervision/map",
    responses={
        200: {"content": {"application/geo+json": {}}},
        401: {"model": ErrorBody},
        422: {"model": ErrorBody},
    },
    response_class=Response,
    summary="The parcels with a supervision case on a date, as GeoJSON in WGS 84 (signed in)",
)
def get_supervision_map(
    session: SessionDep,
    state: StateDep,
    user: Reader,
    as_of: Annotated[dt.date | None, Query(description="YYYY-MM-DD; default today")] = None,
) -> Response:
    zone = served_zone(session, state.settings)
    config = zone_rules(session, zone.id).config
    body = supervision_map(session, zone, config, as_of or dt.date.today())
    return Response(body, media_type="application/geo+json")


@router.get(
    "/supervision/rules",
    responses={401: {"model": ErrorBody}},
    summary="The zone's supervision rules with their periods and sources (signed in)",
)
def get_supervision_rules(session: SessionDep, state: StateDep, user: Reader) -> dict[str, Any]:
    zone = served_zone(session, state.settings)
    return rules_dict(zone_rules(session, zone.id).config)
