"""亩均效益 figures in the database (``enterprise_yearly``): read per year for the evaluation,
and a year's table imported all or nothing.

A figures row names its enterprise by name (企业名称); a name the zone does not have is an error
of that row. The import replaces the year's figures of the enterprises it names (others keep
theirs) and writes one audit entry.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.audit import record
from app.db.models import EnterpriseRow, EnterpriseYearlyRow, ParcelRow, ParkRow
from gis.messages import msg
from scoring.evaluation_figures import COLUMNS, Figures, figures_rows_error

#: Columns of ``enterprise_yearly`` written from :class:`Figures` (same names).
STORED = (
    "land_mu",
    "tax_wan",
    "value_added_wan",
    "revenue_wan",
    "energy_tce",
    "power_10k_kwh",
    "emissions_t",
    "rnd_wan",
    "scale",
    "producing_year",
    "kind",
    "output_wan",
    "investment_wan",
)


def _figures(name: str, row: EnterpriseYearlyRow) -> Figures | None:
    if row.land_mu is None or row.scale is None:
        return None  # a row stored before 0007 (no 规模): not evaluable
    return Figures(
        enterprise=name,
        land_mu=row.land_mu,
        scale=row.scale,
        tax_wan=row.tax_wan,
        value_added_wan=row.value_added_wan,
        revenue_wan=row.revenue_wan,
        energy_tce=row.energy_tce,
        power_10k_kwh=row.power_10k_kwh,
        emissions_t=row.emissions_t,
        employees=None if row.employees is None else float(row.employees),
        rnd_wan=row.rd_wan,
        producing_year=row.producing_year,
        kind=row.kind,
        output_wan=row.output_wan,
        investment_wan=row.investment_wan,
    )


def figures_by_year(session: Session, zone_id: str) -> dict[int, list[Figures]]:
    """Return year → the zone's evaluable figures of that year (rows with land and 规模), by name."""
    rows = session.execute(
        select(EnterpriseRow.name, EnterpriseYearlyRow)
        .join(EnterpriseYearlyRow, EnterpriseYearlyRow.enterprise_id == EnterpriseRow.id)
        .where(EnterpriseRow.zone_id == zone_id)
        .order_by(EnterpriseYearlyRow.year, EnterpriseRow.name)
    ).all()
    out: dict[int, list[Figures]] = defaultdict(list)
    for name, row in rows:
        f = _figures(name, row)
        if f is not None:
            out[row.year].append(f)
    return dict(out)


def figures_sources(session: Session, zone_id: str, year: int) -> list[str]:
    """Return the distinct ``source`` notes of the zone's figures of ``year`` (e.g. the sample's
    "illustrative" label), sorted."""
    rows = session.scalars(
        select(EnterpriseYearlyRow.source)
        .join(EnterpriseRow, EnterpriseYearlyRow.enterprise_id == EnterpriseRow.id)
        .where(EnterpriseRow.zone_id == zone_id, EnterpriseYearlyRow.year == year)
        .distinct()
    )
    return sorted(s for s in rows if s)


def import_figures(
    session: Session,
    zone_id: str,
    year: int,
    figures: Sequence[Figures],
    *,
    user: str | None,
    source: str,
    where: str,
) -> tuple[int, int]:
    """Write ``figures`` as the zone's figures of ``year`` in ``session`` (the caller commits) and
    return (added, updated). InputFileError, writing nothing, when a name is not an enterprise of
    the zone (the row is the table's: header row 1). ``source`` is kept on every row."""
    ids = dict(
        session.execute(
            select(EnterpriseRow.name, EnterpriseRow.id).where(EnterpriseRow.zone_id == zone_id)
        ).all()
    )
    problems = [
        (i + 2, COLUMNS["enterprise"][0], msg("error.figures.unknown_enterprise", name=f.enterprise))
        for i, f in enumerate(figures)
        if f.enterprise not in ids
    ]
    if problems:
        raise figures_rows_error(problems, where)
    existing = {
        r.enterprise_id: r
        for r in session.scalars(
            select(EnterpriseYearlyRow).where(
                EnterpriseYearlyRow.year == year, EnterpriseYearlyRow.enterprise_id.in_(list(ids.values()))
            )
        )
    }
    added = updated = 0
    for f in figures:
        eid = ids[f.enterprise]
        row = existing.get(eid)
        if row is None:
            row = EnterpriseYearlyRow(enterprise_id=eid, year=year, emissions={})
            session.add(row)
            added += 1
        else:
            updated += 1
        for col in STORED:
            setattr(row, "rd_wan" if col == "rnd_wan" else col, getattr(f, col))
        row.employees = None if f.employees is None else round(f.employees)
        row.source = source[:200]
    session.flush()
    record(
        session,
        user=user,
        action="import",
        entity="enterprise_yearly",
        entity_id=year,
        zone_id=zone_id,
        after_attrs={
            "year": year,
            "enterprises": len(figures),
            "added": added,
            "updated": updated,
            "file": where,
        },
    )
    return added, updated


#: Parcel layer fields the zone report reads from a parcel's other attributes (m²).
BUILDING_ATTRS: tuple[str, ...] = ("floor_area_m2", "footprint_m2")


def _number_or_nan(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return float("nan")


def parcel_table(session: Session, zone_id: str) -> pd.DataFrame:
    """Return the zone's parcels as the zone report reads them: park (its code), status,
    land_use, area_mu (亩), enterprise (the occupant's name, else the parcel's enterprise text),
    parcel_id, and floor_area_m2 / footprint_m2 (m², NaN when the parcel layer's fields of those
    names are absent or not numbers)."""
    rows = session.execute(
        select(
            ParcelRow.parcel_id,
            ParkRow.code,
            ParcelRow.status,
            ParcelRow.land_use,
            ParcelRow.area_mu,
            EnterpriseRow.name,
            ParcelRow.enterprise,
            ParcelRow.attrs,
        )
        .join(ParkRow, ParcelRow.park_id == ParkRow.id)
        .outerjoin(EnterpriseRow, ParcelRow.enterprise_id == EnterpriseRow.id)
        .where(ParcelRow.zone_id == zone_id)
    ).all()
    return pd.DataFrame(
        [
            (
                park,
                status,
                use,
                area,
                occupant or text,
                pid,
                *(_number_or_nan((attrs or {}).get(k)) for k in BUILDING_ATTRS),
            )
            for pid, park, status, use, area, occupant, text, attrs in rows
        ],
        columns=["park", "status", "land_use", "area_mu", "enterprise", "parcel_id", *BUILDING_ATTRS],
    )


def enterprise_parcels(session: Session, zone_id: str) -> dict[str, list[str]]:
    """Return enterprise name → the parcel ids it occupies (for the map coloured by class)."""
    rows = session.execute(
        select(EnterpriseRow.name, ParcelRow.enterprise, ParcelRow.parcel_id)
        .select_from(ParcelRow)
        .outerjoin(EnterpriseRow, ParcelRow.enterprise_id == EnterpriseRow.id)
        .where(ParcelRow.zone_id == zone_id)
        .order_by(ParcelRow.parcel_id)
    ).all()
    out: dict[str, list[str]] = defaultdict(list)
    for occupant, text, pid in rows:
        name = occupant or text
        if name:
            out[name].append(pid)
    return dict(out)
