"""Illustrative land contracts for the sample zone, so the supervision page is not empty.

Three invented contracts (marked ``illustrative`` in the database and named 示例 … （虚构）)
on the first three vacant parcels of industrial clusters (by parcel id), dated relative to the
day they are loaded so each stays in its state on that day:

* one **idle** — agreed start 1 year and 60 days ago, not started (``idle_not_started``);
* one **overdue for completion** — started 2 years and 90 days ago, not completed
  (``not_completed``);
* one **on time** — started 200 days ago, building.

The same day and parcels give the same table (deterministic). Money in 万元, areas in 亩.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.db.contracts import import_contract_table, land_contracts
from app.db.models import ClusterRow, ParcelRow
from app.db.rules import zone_rules
from scoring.supervision import add_years

#: Who the sample's audit entries name.
SAMPLE_USER = "parksite sample"
#: Land price per 亩 of the invented contracts, 万元 (illustrative).
PRICE_WAN_PER_MU = 12.0
#: Investment per 亩 the invented contracts plan, 万元 (illustrative).
PLANNED_WAN_PER_MU = 260.0


def _d(day: dt.date) -> str:
    return day.isoformat()


def sample_contract_table(parcels: list[tuple[str, float]], today: dt.date) -> pd.DataFrame:
    """Return the three illustrative contracts on ``parcels`` ((parcel id, area 亩), the first
    three used) as a table with the Chinese headers of ``parksite land import``, every cell text."""
    if len(parcels) < 3:
        raise ValueError(f"the sample contracts need 3 vacant parcels, the zone has {len(parcels)}")
    (p1, a1), (p2, a2), (p3, a3) = parcels[:3]
    idle_start = add_years(today, -1) - dt.timedelta(days=60)
    late_start = add_years(today, -2) - dt.timedelta(days=90)
    ok_start = today - dt.timedelta(days=200)
    rows: list[dict[str, Any]] = [
        {
            "企业名称": "示例闲置企业（虚构）",
            "地块编号": p1,
            "面积（亩）": a1,
            "签订日期": _d(idle_start - dt.timedelta(days=90)),
            "约定开工日期": _d(idle_start),
            "约定竣工日期": _d(add_years(idle_start, 2)),
            "计划总投资（万元）": a1 * PLANNED_WAN_PER_MU,
            "已完成投资（万元）": 0,
        },
        {
            "企业名称": "示例逾期企业（虚构）",
            "地块编号": p2,
            "面积（亩）": a2,
            "签订日期": _d(late_start - dt.timedelta(days=120)),
            "约定开工日期": _d(late_start - dt.timedelta(days=30)),
            "约定竣工日期": _d(add_years(late_start, 1)),
            "实际开工日期": _d(late_start),
            "计划总投资（万元）": a2 * PLANNED_WAN_PER_MU,
            "已完成投资（万元）": a2 * PLANNED_WAN_PER_MU * 0.6,
            "已开发面积（亩）": a2 * 0.7,
        },
        {
            "企业名称": "示例按期企业（虚构）",
            "地块编号": p3,
            "面积（亩）": a3,
            "签订日期": _d(ok_start - dt.timedelta(days=150)),
            "约定开工日期": _d(ok_start - dt.timedelta(days=10)),
            "约定竣工日期": _d(add_years(ok_start, 2)),
            "实际开工日期": _d(ok_start),
            "计划总投资（万元）": a3 * PLANNED_WAN_PER_MU,
            "已完成投资（万元）": a3 * PLANNED_WAN_PER_MU * 0.3,
            "已开发面积（亩）": a3 * 0.4,
        },
    ]
    for row, area in zip(rows, (a1, a2, a3), strict=True):
        row["出让价款（万元）"] = round(area * PRICE_WAN_PER_MU, 2)
    frame = pd.DataFrame(rows)
    return frame.map(lambda v: None if pd.isna(v) else (f"{v:.2f}" if isinstance(v, float) else str(v)))


def sample_parcels(session: Session, zone_id: str) -> list[tuple[str, float]]:
    """Return the zone's vacant parcels in industrial clusters, (parcel id, area 亩), by id."""
    rows = session.execute(
        select(ParcelRow.parcel_id, ParcelRow.area_mu)
        .join(ClusterRow, ClusterRow.id == ParcelRow.cluster_id)
        .where(ParcelRow.zone_id == zone_id, ParcelRow.status == "vacant", ClusterRow.kind == "industrial")
        .order_by(ParcelRow.parcel_id)
    )
    return [(str(pid), round(float(area), 2)) for pid, area in rows]


def load_sample_contracts(factory: sessionmaker[Session], zone_id: str, today: dt.date | None = None) -> int:
    """Import the illustrative contracts into a zone that has none; return how many were added
    (0 when the zone already has contracts, or fewer than 3 vacant industrial parcels)."""
    with factory.begin() as s:
        parcels = sample_parcels(s, zone_id)
        if land_contracts(s, zone_id) or len(parcels) < 3:
            return 0
        table = sample_contract_table(parcels, today or dt.date.today())
        counts = import_contract_table(
            s, zone_id, zone_rules(s, zone_id).config, table, SAMPLE_USER, illustrative=True
        )
    return counts["created"]
