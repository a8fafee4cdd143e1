"""What the API's reports read from the database: the parcel's row of the scored table, its
score breakdown and measures as the latest score run stored them, the zone's rules with the
database's clusters, and the layers and DEMs the maps are drawn from; for a review opinion the
check and recommendation as ``POST /check`` and ``POST /recommend`` make them, and a saved
project's fields and site; for the 亩均效益评价结果 the year's evaluation and the enterprises'
parcels; for the supervision notices the cases on a date with their contracts and parcels.

The CLI (``parksite report evaluation|notices``, ``report project --saved``) reads through the
same functions, in a session of its own."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from app.api.features import parcel_feature
from app.api.routes_checks import check_on_site
from app.api.scores import zone_context
from app.db.contracts import contract_facts, land_contracts, supervision_rules, tax_per_mu_by_enterprise
from app.db.figures import enterprise_parcels, figures_by_year, figures_sources
from app.db.layers import load_layer
from app.db.models import ZoneRow
from app.db.projects import project_checks, project_in_zone
from app.db.rules import zone_rules
from app.db.zone_state import admission_context, scored_table
from app.reports.notices import Letter
from app.reports.parcel import ParcelFacts, ZoneMaps, find_row
from app.reports.sources import ParcelInputs, ReviewInputs, is_illustrative, maps_from_context
from app.scoring_io.evaluation import ILLUSTRATIVE
from gis.errors import NotFoundError
from gis.messages import joined, msg
from scoring.evaluation import Evaluation, evaluate
from scoring.evaluation_method import load_method
from scoring.recommend import recommend
from scoring.supervision import contract_cases
from scoring.zone import ZoneConfig


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


def zone_maps(session: Session, zone_id: str) -> ZoneMaps:
    """Return the map inputs of a stored zone: its context's layers and DEMs, its clusters and
    its parcels (``parcel_id``, zone CRS)."""
    ctx = zone_context(session, zone_id)
    parcels = load_layer(session, zone_id, "parcels")
    return maps_from_context(
        ctx,
        {
            "clusters": load_layer(session, zone_id, "clusters"),
            "parcels": parcels[["parcel_id", parcels.geometry.name]],
        },
    )


@dataclass
class EvaluationInputs:
    """Everything :func:`app.reports.evaluation.evaluation_report` needs for one year."""

    zone: ZoneConfig
    evaluation: Evaluation
    parcels_of: dict[str, list[str]]
    maps: ZoneMaps
    illustrative: bool


def evaluation_inputs_from_database(
    session: Session, zone: ZoneRow, zone_file: Path | str, year: int
) -> EvaluationInputs:
    """Return the inputs of the 亩均效益评价结果 of ``year``: the evaluation with the zone file's
    method on the database's figures (every year, for benchmarks of the year before), each
    enterprise's parcels, the map layers, and whether the figures are the sample's. NotFoundError
    naming the years that have figures when ``year`` has none."""
    by_year = figures_by_year(session, zone.id)
    if not by_year.get(year):
        years = sorted(by_year)
        raise NotFoundError(
            f"no figures for {year} (years with figures: {', '.join(map(str, years)) or 'none'})",
            where=f"year {year}",
            hint="import the year's figures (parksite figures import) or choose a year that has them",
            msg=msg(
                "error.report.no_year", year=year, years=joined([str(y) for y in years]) if years else "—"
            ),
        )
    ev = evaluate(load_method(zone_file), year, by_year)
    illustrative = any(ILLUSTRATIVE in s for s in figures_sources(session, zone.id, year))
    return EvaluationInputs(
        zone_rules(session, zone.id).config,
        ev,
        enterprise_parcels(session, zone.id),
        zone_maps(session, zone.id),
        illustrative,
    )


@dataclass
class NoticeInputs:
    """Everything :func:`app.reports.notices.notices_report` needs for a date."""

    zone: ZoneConfig
    letters: list[Letter]
    maps: ZoneMaps


def notice_inputs_from_database(
    session: Session, zone: ZoneRow, as_of: dt.date, enterprise: str | None = None
) -> NoticeInputs:
    """Return the letters of the supervision cases on ``as_of`` (every contract's, in signing
    order; only ``enterprise``'s when given) with the map layers. NotFoundError when
    ``enterprise`` holds no contract (naming those that do), or when there is no case to write."""
    cfg = zone_rules(session, zone.id).config
    rules = supervision_rules(cfg)
    rows = land_contracts(session, zone.id)
    if enterprise is not None and enterprise not in {r.enterprise for r in rows}:
        known = sorted({r.enterprise for r in rows})
        raise NotFoundError(
            f"no land contract of an enterprise named {enterprise!r}",
            where=f"enterprise {enterprise}",
            hint="give the enterprise's name as the contracts table spells it",
            msg=msg(
                "error.report.no_enterprise", enterprise=enterprise, known=joined(known) if known else "—"
            ),
        )
    tax = tax_per_mu_by_enterprise(session, zone.id)
    letters = []
    for row in rows:
        if enterprise is not None and row.enterprise != enterprise:
            continue
        facts = contract_facts(row, tax.get(row.enterprise))
        for case in contract_cases(facts, rules, as_of):
            letters.append(Letter(case, facts, rules.rules[case.rule], bool(row.illustrative)))
    if not letters:
        day = as_of.isoformat()
        raise NotFoundError(
            f"no supervision case on {day}" + (f" for {enterprise!r}" if enterprise else ""),
            where=f"as_of {day}",
            hint="choose another date, or see the cases with parksite supervise --as-of",
            msg=msg("error.report.no_case_of", enterprise=enterprise, as_of=day)
            if enterprise
            else msg("error.report.no_cases", as_of=day),
        )
    return NoticeInputs(cfg, letters, zone_maps(session, zone.id))
