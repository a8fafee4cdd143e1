"""What the API's reports read from the database: the parcel's row of the scored table, its
score breakdown and measures as the latest score run stored them, the zone's rules with the
database's clusters, and the layers and DEMs the maps are drawn from; for a review opinion the
check and recommendation as ``POST /check`` and ``POST /recommend`` make them, and a saved
project's fields and site."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.api.features import parcel_feature
from app.api.routes_checks import check_on_site
from app.api.scores import zone_context
from app.db.layers import load_layer
from app.db.models import ZoneRow
from app.db.projects import project_checks, project_in_zone
from app.db.rules import zone_rules
from app.db.zone_state import admission_context, scored_table
from app.reports.parcel import ParcelFacts, find_row
from app.reports.sources import ParcelInputs, ReviewInputs, is_illustrative, maps_from_context
from scoring.recommend import recommend


def parcel_inputs_from_database(session: Session, zone: ZoneRow, parcel_id: str) -> ParcelInputs:
    """Return the inputs of the site report of ``parcel_id`` (NotFoundError if the zone has no
    such parcel, ConflictError if the zone has not been scored)."""
    table = scored_table(session, zone.id)
    row = find_row(table, parcel_id)
    feat, _ = parcel_feature(session, zone, str(row["parcel_id"]), detail=True)
    props: dict[str, Any] = feat["properties"]
    facts_row = row.drop(labels=table.geometry.name).to_dict() | (props.get("measures") or {})
    ctx = zone_context(session, zone.id)
    maps = maps_from_context(
        ctx,
        {
            "clusters": load_layer(session, zone.id, "clusters"),
            "parcels": table[["parcel_id", table.geometry.name]],
        },
    )
    return ParcelInputs(
        zone_rules(session, zone.id).config,
        ParcelFacts(facts_row, list(props.get("breakdown") or [])),
        row[table.geometry.name],
        table.crs,
        maps,
        is_illustrative(row),
    )


def review_inputs_from_database(
    session: Session, state: Any, data: dict[str, Any], ids: list[str], *, top: int = 5
) -> ReviewInputs:
    """Return the inputs of the review opinion of project ``data`` on parcels ``ids`` of the
    served zone: checked as ``POST /check`` checks (:func:`app.api.routes_checks.check_on_site`)
    and recommended as ``POST /recommend`` does, on the zone state the API sees."""
    c = check_on_site(session, state, data, ids, "zh")
    cfg = zone_rules(session, c.zone.id).config
    table, ledger, _ = admission_context(session, c.zone.id, cfg)
    rec = recommend(cfg, table, c.project, ledger=ledger, top=top)
    ctx = zone_context(session, c.zone.id)
    maps = maps_from_context(
        ctx,
        {
            "clusters": load_layer(session, c.zone.id, "clusters"),
            "parcels": table[["parcel_id", table.geometry.name]],
        },
    )
    illustrative = any(is_illustrative(r) for _, r in c.rows.iterrows())
    return ReviewInputs(cfg, c.project, table, ids, c.result, rec, maps, illustrative)


def saved_project_site(session: Session, zone: ZoneRow, project_id: int) -> tuple[dict[str, Any], list[str]]:
    """Return a saved project's fields (as submitted) and the parcel ids of its recorded checks
    (its site; empty when it was saved without a check). NotFoundError for an unknown project."""
    p = project_in_zone(session, zone.id, project_id)
    ids = [c.parcel_code for c in project_checks(session, p.id) if c.parcel_code]
    return dict(p.fields or {}), list(dict.fromkeys(ids))
