"""The zone state the command line checks against: the database's when one is configured, else
the zone's files.

With ``PARKSITE_DATABASE_URL`` set (``Settings.database_url``, as for ``parksite serve``),
``parksite check/recommend/standard-land/plan-report`` read what the API reads
(:func:`app.db.zone_state.admission_context`): the zone's rules with the database's clusters
(edited on the map), the newest score run, the parcels taken by admitted projects and the spare
capacity after them. Without it they read the zone file, its GeoPackage and DEMs
(:func:`app.scoring_io.cache.load_scored_parcels`) and the capacities of its layers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.settings import Settings


@dataclass
class ZoneState:
    """What a check sees: the zone's rules (``ZoneConfig``), the scored parcel table (zone CRS,
    ``admitted_project`` set on parcels taken by an admitted project when read from a
    database), the capacity ledger (None when the layers lack capacities), where it was read
    (``"database"`` or ``"files"``) and notes (messages)."""

    config: Any
    parcels: Any
    ledger: Any
    source: str
    notes: list[Any] = field(default_factory=list)


def state_from_files(zone_file: Path, zone: Any = None) -> ZoneState:
    """Return the zone state read from the zone file, its GeoPackage and DEMs (no admissions)."""
    from app.scoring_io.cache import load_scored_parcels
    from scoring.capacity import CapacityLedger
    from scoring.zone import load_zone, zone_data_path

    zone = zone if zone is not None else load_zone(zone_file)
    parcels = load_scored_parcels(zone_file)
    ledger = None
    if zone.data.layers:
        ledger = CapacityLedger.from_gpkg(zone, zone_data_path(zone_file, zone.data.layers))
    return ZoneState(zone, parcels, ledger, "files")


def state_from_database(settings: Settings) -> ZoneState:
    """Return the served zone's state read from ``settings.database_url``, as the API sees it.

    Raises the database's errors (unreachable, not migrated), NotFoundError when it holds no
    zone, ConflictError when the zone has never been scored.
    """
    from app.api.store import served_zone
    from app.db.engine import make_engine, session_factory
    from app.db.rules import zone_rules
    from app.db.zone_state import admission_context

    engine = make_engine(settings.resolved_database_url())
    try:
        with session_factory(engine)() as session:
            zone = served_zone(session, settings)
            cfg = zone_rules(session, zone.id).config
            table, ledger, notes = admission_context(session, zone.id, cfg)
    finally:
        engine.dispose()
    from gis.messages import msg

    return ZoneState(cfg, table, ledger, "database", [msg("note.zone_from_database", zone=zone.id), *notes])


def measuring_context(zone_file: Path, settings: Settings, zone: Any = None) -> Any:
    """Return the zone's measuring context (:class:`scoring.context.ZoneContext`: layers, DEMs
    with slope, roads) the land basis of a check is cut from: the database's zone (as the API
    builds it) when ``settings.database_url`` is set, else the zone file's GeoPackage and DEMs."""
    if settings.database_url:
        from app.api.scores import zone_context
        from app.api.store import served_zone
        from app.db.engine import make_engine, session_factory

        s = settings.model_copy(update={"zone_file": zone_file})
        engine = make_engine(s.resolved_database_url())
        try:
            with session_factory(engine)() as session:
                return zone_context(session, served_zone(session, s).id)
        finally:
            engine.dispose()
    from app.scoring_io.zone_files import load_zone_context

    return load_zone_context(zone_file, zone=zone)


def read_zone_state(zone_file: Path, settings: Settings, zone: Any = None) -> ZoneState:
    """Return the zone state: from the database when ``settings.database_url`` is set (the zone
    there that ``zone_file`` names, or its only one), else from ``zone_file``."""
    if settings.database_url:
        return state_from_database(settings.model_copy(update={"zone_file": zone_file}))
    return state_from_files(zone_file, zone)
