"""Single features of the API: a cluster or a parcel as a GeoJSON Feature (WGS 84) with its ETag.

Used by the detail and write routes, and by the 412 handler, which answers a stale write with
the entity as it is now.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd
import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.api.etags import etag
from app.api.geojson import feature, jsonable
from app.api.store import (
    LATEST,
    ServedZone,
    class_names_en,
    cluster_properties,
    config_of,
    find_cluster,
    find_parcel,
    parcel_properties,
    score_run_clause,
)
from app.db.models import ClusterRow, ParcelRow, ParcelScoreRow, ZoneRow
from app.db.rules import ZoneRules, zone_rules
from app.i18n import render, render_value
from gis.errors import ParksiteError
from scoring.standard_land import standard_land_sheet

#: Parcel statuses that get a 标准地 sheet (reserved land: after review).
SHEET_STATUSES = ("vacant", "reserved")


def _geom(wkb: Any) -> Any:
    return None if wkb is None else shapely.from_wkb(bytes(wkb))


def cluster_feature(session: Session, zone: ZoneRow, code: str) -> tuple[dict[str, Any], str]:
    """Return ``(Feature, ETag)`` of cluster ``code`` (NotFoundError if there is none)."""
    c, park_code, wkb = find_cluster(session, zone.id, code)
    return feature(c.code, _geom(wkb), cluster_properties(c, park_code), zone.crs), etag(c.code, c.version)


def standard_land(
    session: Session, zone: ZoneRow | ServedZone, row: pd.Series, lang: str, rules: ZoneRules | None = None
) -> dict[str, Any]:
    """Return the 标准地 sheet of a parcel row with the zone's clusters as the database has them
    (a cluster that admits nothing yet gets a sheet without industries, and a note saying so);
    ``rules``: the zone's rules if the caller has them (else read)."""
    rules = rules or zone_rules(session, zone.id)
    return render_value(standard_land_sheet(rules.config, row).to_dict(), lang)


def _sheet(
    session: Session, zone: ZoneRow | ServedZone, props: dict[str, Any], lang: str, rules: ZoneRules | None
) -> dict[str, Any] | None:
    if props["status"] not in SHEET_STATUSES:
        return None
    row = pd.Series(
        {
            k: props.get(k)
            for k in ("parcel_id", "park", "cluster", "status", "enterprise", "area_mu", "score", "excluded")
        }
        | {"class": props.get("class")}
    )
    try:
        return standard_land(session, zone, row, lang, rules)
    except ParksiteError as exc:  # e.g. a parcel in no cluster: say why there is no sheet
        return {"error": type(exc).__name__, "message": render(exc.user_message(), lang)}


def parcel_feature(
    session: Session,
    zone: ZoneRow | ServedZone,
    code: str,
    *,
    detail: bool = True,
    lang: str = "zh",
    row: Any = None,
    rules: ZoneRules | None = None,
) -> tuple[dict[str, Any], str]:
    """Return ``(Feature, ETag)`` of parcel ``code``; with ``detail`` the score breakdown,
    reasons, measures and 标准地 sheet are included. ``row`` (:func:`app.api.store.find_parcel`'s,
    with ``detail=True`` for a detail: then the score is not read again) and ``rules`` (the
    zone's): when the caller has them already (else read). A :class:`ServedZone` gives the
    score run to show; for a zone row it is the newest ``done`` run."""
    run = zone.run_id if isinstance(zone, ServedZone) else LATEST
    row = row if row is not None else find_parcel(session, zone.id, code, run=run, detail=detail)
    cfg = config_of(zone)
    props = parcel_properties(row, zone.names_en if isinstance(zone, ServedZone) else class_names_en(cfg))
    if detail:
        if "breakdown" in row._fields:  # read with the row
            b, reasons = row.breakdown or {}, list(row.reasons or [])
        else:
            ps = session.scalar(
                select(ParcelScoreRow).where(
                    ParcelScoreRow.parcel_id == row.id, score_run_clause(zone.id, run)
                )
            )
            b = (ps.breakdown if ps is not None else None) or {}
            reasons = list(ps.reasons or []) if ps is not None else []
        props |= {
            "updated_at": row.updated_at,
            "updated_by": row.updated_by,
            "rank": b.get("rank"),
            "eligible": b.get("eligible"),
            "weakest": b.get("weakest"),
            "reasons": reasons,
            "reasons_en": [s.strip() for s in (b.get("reasons_en") or "").split(";") if s.strip()],
            "notes": (b.get("notes_zh") if lang == "zh" else b.get("notes")) or None,
            "breakdown": b.get("criteria") or [],
            "land_factor": b.get("land_factor"),
            "land_deduction": b.get("land_deduction"),
            "measures": b.get("measures") or {},
        }
        props["standard_land"] = _sheet(session, zone, props, lang, rules)
    return feature(row.parcel_id, _geom(row.wkb), jsonable(props), zone.crs), etag(row.parcel_id, row.version)


def current_feature(session: Session, entity: str, entity_id: int) -> tuple[dict[str, Any], str] | None:
    """Return ``(Feature, ETag)`` of a cluster/parcel by database id, None if it is gone."""
    model = ClusterRow if entity == "cluster" else ParcelRow
    obj = session.get(model, entity_id, populate_existing=True)
    if obj is None:
        return None
    zone = session.get(ZoneRow, obj.zone_id)
    if entity == "cluster":
        return cluster_feature(session, zone, obj.code)
    return parcel_feature(session, zone, obj.parcel_id, detail=False)


if TYPE_CHECKING:  # pragma: no cover
    from app.db.edits import EditResult


def edit_body(feature: dict[str, Any], result: EditResult) -> dict[str, Any]:
    """Return an edited entity's Feature with what the edit did: ``action`` and the geometry
    ``repairs`` (English) and ``repairs_zh`` (the same in Chinese)."""
    return feature | {
        "action": result.action,
        "repairs": [render(r, "en") for r in result.repairs],
        "repairs_zh": [render(r, "zh") for r in result.repairs],
    }
