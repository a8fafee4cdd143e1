"""The existing enterprise an expansion belongs to (:mod:`scoring.expansion`), found where the
check runs: in the database (the API, and the CLI with ``PARKSITE_DATABASE_URL``) — 表2-1 of the
zone file, the enterprises holding parcels, the land contracts' enterprises and their parcels,
the yearly figures — or in the zone's files (表2-1 and the parcel table)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from scoring.enterprises import load_enterprises
from scoring.expansion import Expansion, resolve_expansion
from scoring.project import Project
from scoring.zone import ZoneConfig

#: Where an unknown enterprise is reported (the project field).
WHERE = "project.expansion_of"


def expansion_basis(cfg: ZoneConfig) -> str:
    """Return the zone's expansion basis: its ``expansion.basis``, else ``added`` (the expansion
    alone, as for any new project)."""
    return cfg.expansion.basis if cfg.expansion is not None else "added"


def expansion_in_db(
    session: Session,
    zone_id: str,
    zone_file: Path | str,
    cfg: ZoneConfig,
    project: Project,
    parcels: pd.DataFrame,
) -> Expansion | None:
    """Return the expansion of ``project`` from the database (None when it expands nothing);
    NotFoundError naming the enterprise when the zone knows none of that name."""
    if project.expansion_of is None:
        return None
    from app.db.contracts import land_contracts, parcel_codes
    from app.db.figures import figures_by_year

    contracts: dict[str, list[str]] = {}
    for row in land_contracts(session, zone_id):
        contracts.setdefault(row.enterprise, []).extend(parcel_codes(row))
    return resolve_expansion(
        project,
        expansion_basis(cfg),
        table=load_enterprises(zone_file),
        parcels=parcels,
        contracts=contracts,
        figures=figures_by_year(session, zone_id),
        where=WHERE,
    )


def expansion_from_files(
    zone_file: Path | str, cfg: ZoneConfig, project: Project, parcels: pd.DataFrame
) -> Expansion | None:
    """Return the expansion of ``project`` from the zone's files: 表2-1 and the parcel table (no
    contracts or yearly figures: declare the existing investment and output)."""
    if project.expansion_of is None:
        return None
    return resolve_expansion(
        project, expansion_basis(cfg), table=load_enterprises(zone_file), parcels=parcels, where=WHERE
    )


def expansion_for_cli(zone_file: Path, cfg: ZoneConfig, project: Project, parcels: Any) -> Expansion | None:
    """Return the expansion as the CLI sees it: from the database when ``PARKSITE_DATABASE_URL``
    is set (as :func:`app.scoring_io.zone_state.read_zone_state` reads it), else from the files."""
    if project.expansion_of is None:
        return None
    from app.settings import Settings

    settings = Settings()
    if not settings.database_url:
        return expansion_from_files(zone_file, cfg, project, parcels)
    from app.api.store import served_zone
    from app.db.engine import make_engine, session_factory

    s = settings.model_copy(update={"zone_file": zone_file})
    engine = make_engine(s.resolved_database_url())
    try:
        with session_factory(engine)() as session:
            zone = served_zone(session, s)
            return expansion_in_db(session, zone.id, zone_file, cfg, project, parcels)
    finally:
        engine.dispose()
