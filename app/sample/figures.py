"""Illustrative yearly 亩均效益 figures for the existing enterprises of 表2-1. **Invented, not
statistics**: made so that the evaluation, the zone report and the dashboard have something to
show on first start, and labelled illustrative wherever they appear (``source`` =
:data:`SOURCE`).

Deterministic: each enterprise's figures come from a random generator seeded with its 序号 and
the year, so every run writes the same numbers. Only the enterprises the sample places on
industrial or utility land are given figures (fuel stations and farms are not 工业企业); the
wastewater plant is 公用事业 (exempt, class T), and 山西道尔铝业 (序号 4) is made to start producing
in the last year (exempt as new).
"""

from __future__ import annotations

import random
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from app.sample.illustrative import PLACEMENTS
from scoring.enterprises import ExistingEnterprise, load_enterprises
from scoring.evaluation_figures import Figures

#: The years the sample gives figures for.
YEARS: tuple[int, ...] = (2022, 2023, 2024, 2025)
#: The label every sample figure carries (``enterprise_yearly.source``).
SOURCE = "illustrative (parksite sample, invented figures)"
#: 序号 of the enterprises the sample makes 规上 (the large plants of 表2-1).
ABOVE: frozenset[int] = frozenset({1, 2, 3, 4, 5, 7, 8, 9, 11})
#: 序号 the sample makes start producing in the last year (exempt as new).
NEW: dict[int, int] = {4: YEARS[-1]}


def _figures(e: ExistingEnterprise, land_mu: float, year: int) -> Figures:
    base = random.Random(f"parksite-sample-{e.number}")
    growth = base.uniform(-0.05, 0.12)
    output_per_mu = base.uniform(120, 650)
    tax_share = base.uniform(0.015, 0.05)
    producing = NEW.get(e.number, base.randint(2008, 2019))
    k = (1 + growth) ** (year - YEARS[0])
    noise = random.Random(f"parksite-sample-{e.number}-{year}")
    output = land_mu * output_per_mu * k * noise.uniform(0.95, 1.05)
    value_added = output * base.uniform(0.18, 0.3)
    revenue = output * base.uniform(0.95, 1.1)
    utility = PLACEMENTS[e.number].land_use == "utility"
    return Figures(
        enterprise=e.name,
        land_mu=land_mu,
        scale="above" if e.number in ABOVE else "below",
        tax_wan=round(output * tax_share, 1),
        value_added_wan=round(value_added, 1),
        revenue_wan=round(revenue, 1),
        energy_tce=round(output * base.uniform(0.3, 1.2), 0),
        power_10k_kwh=round(output * base.uniform(0.05, 0.3), 1),
        emissions_t=round(land_mu * base.uniform(0.05, 0.5) * noise.uniform(0.9, 1.1), 2),
        employees=float(round(land_mu * base.uniform(0.5, 2.0))),
        rnd_wan=round(revenue * base.uniform(0.002, 0.03), 1),
        producing_year=min(producing, year),
        kind="公用事业" if utility else None,
        output_wan=round(output, 1),
        investment_wan=round(land_mu * base.uniform(300, 800) * (1 + 0.03 * (year - YEARS[0])), 1),
    )


def sample_figures(zone_file: Path | str) -> dict[int, list[Figures]]:
    """Return year → the illustrative figures of the 表2-1 enterprises the sample places on
    industrial or utility land (land: the table's 亩, else the sample's). Empty when the zone
    has no enterprises file."""
    table = load_enterprises(zone_file)
    if table is None:
        return {}
    out: dict[int, list[Figures]] = {}
    for year in YEARS:
        rows = []
        for e in table.enterprises:
            place = PLACEMENTS.get(e.number)
            land = e.area_mu if e.area_mu is not None else (place.area_mu if place else None)
            if place is None or place.land_use not in ("industrial", "utility") or not land:
                continue
            if year < NEW.get(e.number, 0):
                continue
            rows.append(_figures(e, land, year))
        out[year] = rows
    return out


def write_sample_figures(factory: sessionmaker[Session], zone_id: str, zone_file: Path | str) -> int:
    """Write the illustrative figures of every sample year into the zone's ``enterprise_yearly``
    (enterprises the database does not have are left out) and return the rows written."""
    from sqlalchemy import select

    from app.db.figures import import_figures
    from app.db.models import EnterpriseRow

    n = 0
    with factory() as session, session.begin():
        known = set(session.scalars(select(EnterpriseRow.name).where(EnterpriseRow.zone_id == zone_id)))
        for year, rows in sample_figures(zone_file).items():
            rows = [r for r in rows if r.enterprise in known]
            if rows:
                import_figures(session, zone_id, year, rows, user="sample", source=SOURCE, where="sample")
                n += len(rows)
    return n
