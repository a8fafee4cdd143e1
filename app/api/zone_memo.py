"""The zone's rules and admission state, kept per process until the data version changes
(:meth:`app.db.data_version.DataVersionCache.memo`), so that a check, a recommendation or a
parcel's 标准地 sheet does not read and rebuild the whole zone's scored table, capacity ledger and
cluster rules on every request. Every write that changes them (an import, a cluster or parcel
edit, an admission or revocation, a score run) moves the data version."""

from __future__ import annotations

import geopandas as gpd
from sqlalchemy.orm import Session

from app.api.deps import ApiState
from app.api.store import served_zone
from app.db.rules import ZoneRules, zone_rules
from app.db.zone_state import admission_context
from gis.messages import Message
from scoring.capacity import CapacityLedger


def served_zone_id(state: ApiState, session: Session) -> str:
    """Return the id of the zone the API serves (:func:`app.api.store.served_zone`), kept while
    the data version holds."""
    return state.versions.memo(session, ("served_zone",), lambda: served_zone(session, state.settings).id)


def rules_of(state: ApiState, session: Session, zone_id: str) -> ZoneRules:
    """Return :func:`app.db.rules.zone_rules` of ``zone_id``, kept while the data version holds
    (shared: do not change it)."""
    return state.versions.memo(session, ("rules", zone_id), lambda: zone_rules(session, zone_id))


def admission_state(
    state: ApiState, session: Session, zone_id: str
) -> tuple[ZoneRules, gpd.GeoDataFrame, CapacityLedger | None, list[Message]]:
    """Return ``(rules, table, ledger, notes)``: the zone's rules and
    :func:`app.db.zone_state.admission_context` on them, built once per data version. The table
    is a shallow copy and the ledger a copy, so a caller may add columns or draw capacity down
    without touching what other requests see."""

    def build() -> tuple[ZoneRules, gpd.GeoDataFrame, CapacityLedger | None, list[Message]]:
        rules = zone_rules(session, zone_id)
        return (rules, *admission_context(session, zone_id, rules.config))

    rules, table, ledger, notes = state.versions.memo(session, ("admission", zone_id), build)
    return rules, table.copy(deep=False), None if ledger is None else ledger.copy(), list(notes)
