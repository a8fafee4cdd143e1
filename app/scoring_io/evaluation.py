"""The 亩均效益 evaluation and the zone report from the database (the API and the CLI share
these): figures from ``enterprise_yearly``, parcels from ``parcels``, the method and the report's
targets from the zone file (``data.evaluation``, ``data.zone_report``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from app.db.contracts import supervised_contracts, supervision_rules
from app.db.figures import enterprise_parcels, figures_by_year, figures_sources, parcel_table
from app.db.zone_state import service_measures
from scoring.evaluation import Evaluation, evaluate
from scoring.evaluation_method import load_method
from scoring.supervision import supervise
from scoring.zone import load_zone
from scoring.zone_report import load_report_config, parks_of, supply_facts, zone_report

#: The ``source`` the sample writes on its figures (they are illustrative, and say so).
ILLUSTRATIVE = "illustrative"


def evaluation_in_db(session: Session, zone_id: str, zone_file: Path | str, year: int) -> Evaluation:
    """Return the evaluation of ``year`` from the zone's figures (all years: a benchmark may
    derive from the year before). InputFileError when the year has no figures."""
    return evaluate(load_method(zone_file), year, figures_by_year(session, zone_id))


def evaluation_json(session: Session, zone_id: str, zone_file: Path | str, year: int) -> dict[str, Any]:
    """Return the evaluation of ``year`` as JSON, with ``parcel_ids`` per enterprise (for the
    map), ``illustrative`` (True when the figures are the sample's) and ``years`` (the years with
    figures)."""
    ev = evaluation_in_db(session, zone_id, zone_file, year)
    data = ev.to_dict()
    parcels = enterprise_parcels(session, zone_id)
    for e in data["enterprises"]:
        e["parcel_ids"] = parcels.get(e["name"], [])
    data["illustrative"] = any(ILLUSTRATIVE in s for s in figures_sources(session, zone_id, year))
    data["years"] = sorted(figures_by_year(session, zone_id))
    return data


def evaluation_trend(session: Session, zone_id: str, zone_file: Path | str) -> list[dict[str, Any]]:
    """Return per year with figures: ``{"year", "counts": {class: n}, "enterprises"}`` (evaluated
    with the method as it is now)."""
    method = load_method(zone_file)
    by_year = figures_by_year(session, zone_id)
    out = []
    for year in sorted(by_year):
        ev = evaluate(method, year, by_year)
        out.append({"year": year, "counts": ev.class_counts(), "enterprises": len(ev.enterprises)})
    return out


def zone_report_in_db(session: Session, zone_id: str, zone_file: Path | str, year: int) -> dict[str, Any]:
    """Return the zone report of ``year`` (see :func:`scoring.zone_report.zone_report`) from the
    database's parcels (with the newest score run's road, water and power distances and
    buildable share, for the land that meets supply conditions), figures and land contracts
    (supervised as of the year's end, or today for the current year: ``as_of``; their progress
    gives floor areas), with ``illustrative`` as above."""
    zone = load_zone(zone_file)
    figures = figures_by_year(session, zone_id).get(year, [])
    as_of = min(dt.date.today(), dt.date(year, 12, 31))
    contracts = supervised_contracts(session, zone_id)
    supply = None
    if contracts and zone.supervision is not None:  # idle land needs the zone's supervision rules
        supply = supply_facts(contracts, supervise(contracts, supervision_rules(zone), as_of), as_of)
    report = zone_report(
        load_report_config(zone_file, zone),
        parks_of(zone),
        parcel_table(session, zone_id).merge(service_measures(session, zone_id), on="parcel_id", how="left"),
        figures,
        year,
        supply,
    )
    report["as_of"] = as_of.isoformat()
    report["illustrative"] = any(ILLUSTRATIVE in s for s in figures_sources(session, zone_id, year))
    return report
