"""What the API's reports read from the database: the parcel's row of the scored table, its
score breakdown and measures as the latest score run stored them, the zone's rules with the
database's clusters, and the layers and DEMs the maps are drawn from."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.api.features import parcel_feature
from app.api.scores import zone_context
from app.db.layers import load_layer
from app.db.models import ZoneRow
from app.db.rules import zone_rules
from app.db.zone_state import scored_table
from app.reports.parcel import ParcelFacts, find_row
from app.reports.sources import ParcelInputs, is_illustrative, maps_from_context


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
