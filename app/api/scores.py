"""Score runs in the database: measure and score a stored zone's parcels, read the results back.

:func:`run_scoring` builds the zone's measuring context from the database (its layers via
:func:`app.db.layers.read_layer`, its DEMs from the raster references), scores every parcel with
:func:`scoring.batch.score_zone_parcels` and records a ``ScoreRunRow`` with one ``ParcelScoreRow``
per parcel: ``score`` (0–100), ``score_class`` (Chinese class name), ``excluded``, ``reasons``
(Chinese constraint messages, a list) and ``breakdown``, a JSON object::

    {"class_en", "reasons_en" ("; "-joined), "rank", "eligible", "weakest", "notes", "notes_zh",
     "criteria": [{criterion, name, name_en, measure, raw, unit, value, weight, contribution,
                   no_data}],            # as scoring.suitability.parcel_breakdown
     "land_factor", "land_deduction",    # buildable share the score was scaled by; points taken off
     "measures": {column: value},        # the canonical measure columns (m, °, m³, shares)
     "geom_sha1": "…"}                   # hash of the parcel geometry that was measured

A parcel whose geometry changed after the run (its WKB hash differs) is shown with
``score_stale = true`` until the next run. The newest run with status ``done`` is the zone's
current scoring. The measuring context (DEMs read, slope computed, road network noded) is cached
per process for each zone import (zone id, rules hash, import time).
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely import from_wkb, total_bounds
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.api.geojson import jsonable
from app.api.tx import write_transaction
from app.db.layers import get_zone, load_layer, rasters, zone_config
from app.db.models import ParcelRow, ParkRow
from app.db.records import finish_score_run, save_scores, start_score_run
from app.db.zone_state import admission_context, capacity_ledger, latest_run, latest_run_id, scored_table
from gis.errors import SchemaError
from gis.messages import msg
from scoring.batch import score_zone_parcels
from scoring.context import ZONE_LAYERS, ZoneContext
from scoring.parcels import prepare_parcels
from scoring.suitability import resolve_weights
from scoring.zone import ZoneConfig

#: Result columns of score_zone_parcels that are not measures.
RESULT_COLUMNS = (
    "score",
    "class",
    "class_en",
    "rank",
    "eligible",
    "excluded",
    "reasons",
    "reasons_en",
    "weakest",
    "notes",
    "notes_zh",
    "land_factor",
    "land_deduction",
)

ProgressFn = Callable[[str, int, int], None]

_CTX_CACHE: OrderedDict[tuple, ZoneContext] = OrderedDict()
_CTX_LOCK = threading.Lock()
_CTX_BUILD_LOCK = threading.Lock()  # one build at a time: concurrent first requests wait for it
_CTX_SIZE = 2
_CTX_BUILDS = 0  # contexts built by this process (context_builds)


def geom_sha1(wkb: bytes | memoryview | None) -> str | None:
    """Return the sha1 of a geometry's WKB as stored (None for None)."""
    return None if wkb is None else hashlib.sha1(bytes(wkb)).hexdigest()


def _cached_context(key: tuple) -> ZoneContext | None:
    with _CTX_LOCK:
        hit = _CTX_CACHE.get(key)
        if hit is not None:
            _CTX_CACHE.move_to_end(key)
        return hit


def context_builds() -> int:
    """Return how many zone contexts this process has built (not found in its cache) so far."""
    return _CTX_BUILDS


def forget_contexts() -> None:
    """Forget every zone context this process keeps (the next use builds it again)."""
    with _CTX_LOCK:
        _CTX_CACHE.clear()


def zone_context(session: Session, zone_id: str) -> ZoneContext:
    """Return the measuring context of a stored zone (cached per import of the zone).

    One build at a time per process: a thread asking while another builds (a request during
    the worker's warm-up, :mod:`app.api.warmup`) waits for that build and shares its result.
    Raises the errors of :meth:`scoring.context.ZoneContext.build` (no DEM, a bad layer).
    """
    global _CTX_BUILDS
    zone = get_zone(session, zone_id)
    refs = rasters(session, zone_id)
    key = (zone.id, zone.config_sha256, zone.imported_at.isoformat(), tuple((r.path, r.sha256) for r in refs))
    hit = _cached_context(key)
    if hit is not None:
        return hit
    with _CTX_BUILD_LOCK:
        hit = _cached_context(key)
        if hit is not None:
            return hit
        cfg = zone_config(session, zone_id)
        layers = {name: load_layer(session, zone_id, name) for name in ZONE_LAYERS}
        ctx = ZoneContext.build(
            cfg, layers, [r.path for r in refs], notes=[msg("note.zone_from_database", zone=zone_id)]
        )
        with _CTX_LOCK:
            _CTX_BUILDS += 1
            _CTX_CACHE[key] = ctx
            while len(_CTX_CACHE) > _CTX_SIZE:
                _CTX_CACHE.popitem(last=False)
        return ctx


def _num(v: Any) -> float | None:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _split(text: Any) -> list[str]:
    if not isinstance(text, str):
        return []
    return [s.strip() for s in text.split(";") if s.strip()]


@dataclass
class RunResult:
    """What :func:`run_scoring` recorded: the run id and its summary (JSON-ready)."""

    run_id: int
    summary: dict[str, Any]


def _records(
    cfg: ZoneConfig, scored: pd.DataFrame, measure_cols: list[str], hashes: dict[int, str | None]
) -> list[dict[str, Any]]:
    weights = resolve_weights(cfg.scoring)
    crit = list(cfg.scoring.criteria)
    out = []
    for row in scored.to_dict("records"):
        criteria = []
        for j, c in enumerate(crit):
            raw = row.get(c.measure)
            no_data = raw is None or (isinstance(raw, float) and math.isnan(raw))
            criteria.append(
                {
                    "criterion": c.id,
                    "name": c.name,
                    "name_en": c.name_en,
                    "measure": c.measure,
                    "raw": None if no_data else jsonable(raw),
                    "unit": c.unit,
                    "value": _num(row.get(f"value_{c.id}")),
                    "weight": float(weights[j]),
                    "contribution": _num(row.get(f"contrib_{c.id}")),
                    "no_data": bool(no_data),
                }
            )
        db_id = int(row["id"])
        rank = _num(row.get("rank"))
        breakdown = {
            "class_en": row.get("class_en"),
            "reasons_en": row.get("reasons_en") or "",
            "rank": None if rank is None else int(rank),
            "eligible": bool(row.get("eligible")),
            "weakest": row.get("weakest") if isinstance(row.get("weakest"), str) else None,
            "notes": row.get("notes") or "",
            "notes_zh": row.get("notes_zh") or "",
            "criteria": criteria,
            "land_factor": _num(row.get("land_factor")),
            "land_deduction": _num(row.get("land_deduction")),
            "measures": {k: row.get(k) for k in measure_cols},
            "geom_sha1": hashes.get(db_id),
        }
        out.append(
            {
                "parcel_id": db_id,
                "score": _num(row.get("score")),
                "score_class": row.get("class"),
                "excluded": bool(row.get("excluded")),
                "reasons": _split(row.get("reasons")),
                "breakdown": jsonable(breakdown),
            }
        )
    return out


def run_scoring(
    factory: sessionmaker[Session],
    zone_id: str,
    *,
    user: str | None = None,
    progress: ProgressFn | None = None,
) -> RunResult:
    """Measure and score every parcel of a stored zone and record the run; return its id and summary.

    The run is recorded as ``running`` first (committed), then ``done`` with the parcel scores in
    one transaction, or ``failed`` with the error (which is re-raised). Raises NotFoundError for
    an unknown zone, the scoring errors (no DEM, no parcel on a DEM, …) otherwise.
    """
    with write_transaction(factory) as s:
        zone = get_zone(s, zone_id)
        run_id = start_score_run(s, zone_id, zone.config_sha256, user).id
    try:
        with factory() as s:
            cfg = zone_config(s, zone_id)
            ctx = zone_context(s, zone_id)
            parcels = load_layer(s, zone_id, "parcels")
            hashes = {
                pid: geom_sha1(wkb)
                for pid, wkb in s.execute(
                    select(ParcelRow.id, func.ST_AsBinary(ParcelRow.geom)).where(ParcelRow.zone_id == zone_id)
                ).all()
            }
        if parcels.empty:
            raise SchemaError(
                f"zone {zone_id} has no parcels to score",
                where=f"zone {zone_id}",
                hint="import the zone's parcels layer",
                msg=msg("error.zone.no_parcels"),
            )
        base = gpd.GeoDataFrame(parcels[["parcel_id", "id"]], geometry=parcels.geometry, crs=parcels.crs)
        prepared, notes = prepare_parcels(base, cfg, id_field="parcel_id", where=f"zone {zone_id} parcels")
        result = score_zone_parcels(ctx, prepared, progress=progress, notes=notes + ctx.notes)
        scored = pd.DataFrame(result.parcels.drop(columns=result.parcels.geometry.name))
        skip = set(RESULT_COLUMNS) | set(base.columns)
        measure_cols = [
            c
            for c in scored.columns
            if c not in skip and not c.startswith(("value_", "contrib_", "oat_", "mc_"))
        ]
        measure_cols = ["area_m2", "area_mu", *[c for c in measure_cols if c not in ("area_m2", "area_mu")]]
        rows = _records(cfg, scored, measure_cols, hashes)
        summary = result.summary.to_dict()
        with write_transaction(factory) as s:
            save_scores(s, run_id, rows)
            finish_score_run(s, run_id)
        return RunResult(run_id, summary)
    except BaseException as exc:
        with write_transaction(factory) as s:
            finish_score_run(s, run_id, error=str(exc)[:4000] or type(exc).__name__)
        raise


def zone_bounds(session: Session, zone_id: str) -> tuple[float, float, float, float] | None:
    """Return the bounds (zone CRS) of the zone's parks and parcels, or None when it has none."""
    wkbs = list(
        session.scalars(
            select(func.ST_AsBinary(ParkRow.geom)).where(
                ParkRow.zone_id == zone_id, ParkRow.geom.is_not(None)
            )
        )
    )
    wkbs += list(
        session.scalars(select(func.ST_AsBinary(ParcelRow.geom)).where(ParcelRow.zone_id == zone_id))
    )
    if not wkbs:
        return None
    b = total_bounds(from_wkb(np.array([bytes(w) for w in wkbs], dtype=object)))
    return tuple(float(v) for v in b)  # type: ignore[return-value]


__all__ = [
    "RunResult",
    "admission_context",
    "capacity_ledger",
    "context_builds",
    "forget_contexts",
    "geom_sha1",
    "latest_run",
    "latest_run_id",
    "run_scoring",
    "scored_table",
    "zone_bounds",
    "zone_context",
]
