"""The zone's state as every check, recommendation, 标准地 sheet and plan report sees it, read
from the database: the scored parcel table of the newest score run, the parcels taken by admitted
projects, and the utility capacity ledger with the admitted projects drawn down.

One function behind the API (``/check``, ``/recommend``, ``/projects/{id}/admission``) and the
CLI (``parksite check/recommend/standard-land/plan-report`` with ``PARKSITE_DATABASE_URL`` set,
through :mod:`app.scoring_io.zone_state`): :func:`admission_context`.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.admissions import admitted_projects, replay, taken_parcels
from app.db.layers import load_layer
from app.db.models import ParcelRow, ParcelScoreRow, ScoreRunRow
from gis.errors import ConflictError, SchemaError
from gis.messages import Message, msg
from scoring.capacity import CapacityLedger
from scoring.zone import ZoneConfig

#: The land measures of a score run read back with the scores (``breakdown.measures``).
LAND_MEASURES: tuple[str, ...] = ("buildable_share", "river_share", "river_name", "outside_park_share")


def latest_run(session: Session, zone_id: str) -> ScoreRunRow | None:
    """Return the zone's newest score run with status ``done``, or None."""
    return session.scalar(
        select(ScoreRunRow)
        .where(ScoreRunRow.zone_id == zone_id, ScoreRunRow.status == "done")
        .order_by(ScoreRunRow.id.desc())
        .limit(1)
    )


def latest_run_id(zone_id: str) -> Any:
    """Return a scalar subquery: the id of the zone's newest ``done`` score run."""
    return (
        select(func.max(ScoreRunRow.id))
        .where(ScoreRunRow.zone_id == zone_id, ScoreRunRow.status == "done")
        .scalar_subquery()
    )


def scored_table(session: Session, zone_id: str) -> gpd.GeoDataFrame:
    """Return the zone's parcels with their current scores: the scored parcel table.

    Columns as :func:`app.scoring_io.cache.load_scored_parcels` needs them for the admission check,
    recommendation and 标准地 sheets: ``parcel_id``, ``park``, ``cluster``, ``status``,
    ``enterprise``, ``land_use``, ``area_m2``, ``area_mu``, ``version``, ``score``, ``class``,
    ``class_en``, ``rank``, ``eligible``, ``excluded``, ``reasons``, ``reasons_en``,
    ``weakest``, and the land measures :data:`LAND_MEASURES` (buildable share, river share and
    name, share outside the parks: the land basis of :func:`scoring.land.land_from_site`);
    geometry in the zone CRS. Raises ConflictError when the zone has never been
    scored.
    """
    run = latest_run(session, zone_id)
    if run is None:
        raise ConflictError(
            f"zone {zone_id} has not been scored yet",
            where=f"zone {zone_id}",
            hint="run a score run (POST /api/v1/score-runs, or restart `parksite serve`)",
            msg=msg("error.zone.not_scored"),
        )
    parcels = load_layer(session, zone_id, "parcels")
    b = ParcelScoreRow.breakdown
    rows = session.execute(
        select(
            ParcelScoreRow.parcel_id,
            ParcelScoreRow.score,
            ParcelScoreRow.score_class,
            ParcelScoreRow.excluded,
            ParcelScoreRow.reasons,
            b["class_en"].as_string(),
            b["reasons_en"].as_string(),
            b["weakest"].as_string(),
            b["eligible"].as_boolean(),
            b["rank"].as_float(),
            b["measures"]["buildable_share"].as_float(),
            b["measures"]["river_share"].as_float(),
            b["measures"]["river_name"].as_string(),
            b["measures"]["outside_park_share"].as_float(),
        ).where(ParcelScoreRow.run_id == run.id)
    ).all()
    scores = pd.DataFrame(
        [(r[0], r[1], r[2], r[3], "; ".join(r[4] or []), *r[5:]) for r in rows],
        columns=[
            "id",
            "score",
            "class",
            "excluded",
            "reasons",
            "class_en",
            "reasons_en",
            "weakest",
            "eligible",
            "rank",
            *LAND_MEASURES,
        ],
    )
    scores["reasons_en"] = scores["reasons_en"].fillna("")
    table = parcels.merge(scores, on="id", how="left")
    table["score"] = pd.to_numeric(table["score"], errors="coerce")
    table["excluded"] = table["excluded"].astype(object).where(table["excluded"].notna(), None)
    return gpd.GeoDataFrame(table, geometry=parcels.geometry.name, crs=parcels.crs)


#: The score-run measures the zone report's serviced rule reads (m, and the buildable share).
SERVICE_MEASURES: tuple[str, ...] = ("road_dist_m", "water_dist_m", "power_dist_m", "buildable_share")


def service_measures(session: Session, zone_id: str) -> pd.DataFrame:
    """Return ``parcel_id`` and :data:`SERVICE_MEASURES` of each parcel from the newest score run
    (distances in m; NaN where a run lacks a measure), or an empty frame when the zone has never
    been scored."""
    run = latest_run(session, zone_id)
    if run is None:
        return pd.DataFrame(columns=["parcel_id", *SERVICE_MEASURES])
    b = ParcelScoreRow.breakdown
    rows = session.execute(
        select(ParcelRow.parcel_id, *(b["measures"][m].as_float() for m in SERVICE_MEASURES))
        .join(ParcelRow, ParcelRow.id == ParcelScoreRow.parcel_id)
        .where(ParcelScoreRow.run_id == run.id)
    ).all()
    table = pd.DataFrame([tuple(r) for r in rows], columns=["parcel_id", *SERVICE_MEASURES])
    return table.astype({m: float for m in SERVICE_MEASURES})


def capacity_ledger(
    session: Session, zone_id: str, cfg: ZoneConfig
) -> tuple[CapacityLedger | None, list[Message]]:
    """Return the zone's utility capacity ledger from its substations and water layers, with the
    zone's admitted projects (active admissions, :mod:`app.db.admissions`) drawn down in
    admission order.

    Returns ``(ledger, notes)`` (notes are messages); when the layers lack the capacity fields the ledger is None
    (the capacity rules then say "review") and the note says why. A note counts the admitted
    projects drawn down.
    """
    try:
        subs = load_layer(session, zone_id, "substations")
        water = load_layer(session, zone_id, "water")
        ledger = CapacityLedger.from_layers(
            cfg,
            None if subs.empty else subs,
            None if water.empty else water,
            source="database: substations, water",
        )
    except SchemaError as exc:
        return None, [msg("check.note.no_capacity", reason=exc.user_message())]
    admitted = admitted_projects(session, zone_id)
    replay(ledger, admitted)
    notes = [msg("check.note.admitted", n=len(admitted))] if admitted else []
    return ledger, notes


def admission_context(
    session: Session, zone_id: str, cfg: ZoneConfig
) -> tuple[gpd.GeoDataFrame, CapacityLedger | None, list[Message]]:
    """Return what a check or recommendation sees: ``(table, ledger, notes)``.

    ``table`` is :func:`scored_table` with ``admitted_project`` (the name of the project admitted
    on each parcel, None where none is: such parcels fail ``parcel_vacant`` and are not offered);
    ``ledger`` and ``notes`` are :func:`capacity_ledger`'s (admitted projects drawn down).
    """
    table = scored_table(session, zone_id)
    taken = taken_parcels(session, zone_id)
    table["admitted_project"] = [taken[c][1] if c in taken else None for c in table["parcel_id"]]
    ledger, notes = capacity_ledger(session, zone_id, cfg)
    return table, ledger, notes
