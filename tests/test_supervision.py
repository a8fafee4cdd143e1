"""Supervision rules (scoring/supervision.py) with the rules of data/zones/jiaokou.yaml, worked out
by hand at dates either side of each deadline.

The contract: 30 亩, land price 300 万元, agreed start 2024-03-01, planned investment 10 000 万元,
committed minimum investment intensity 200 万元/亩.

* idle_not_started: not started 1 full year after 2024-03-01 → from 2025-03-01, fee 20 % × 300 =
  60 万元, next step (无偿收回) 2026-03-01; idle_takeback from 2026-03-01, replacing the fee case.
* idle_stalled: started 2024-04-01, stopped 2024-09-01 → from 2025-09-01 when developed < 30/3 =
  10 亩 or investment < 25 % × 10 000 = 2 500 万元.
* not_completed: started 2024-04-01 → from 2026-04-01, one year to rectify (2027-04-01).
* not_producing: completed 2025-05-10 → from 2026-05-10.
* under_committed: producing 2025-06-01, reviewed a year later → from 2026-06-01 when investment
  < 80 % × 10 000 = 8 000 万元 or < 200 × 30 = 6 000 万元 (intensity under the minimum).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from scoring.supervision import LandContract, SupervisionRules, add_years, contract_cases, supervise
from scoring.zone import load_zone

D = dt.date.fromisoformat
RULES: SupervisionRules = load_zone("data/zones/jiaokou.yaml").supervision  # type: ignore[assignment]

BASE: dict[str, Any] = {
    "enterprise": "某企业",
    "parcel_ids": ("SC-0001",),
    "area_mu": 30.0,
    "price_wan": 300.0,
    "signed": D("2023-12-01"),
    "agreed_start": D("2024-03-01"),
    "agreed_completion": D("2026-03-01"),
    "planned_investment_wan": 10_000.0,
    "committed": {"investment_intensity_wan_per_mu": 200},
}
STARTED = {"started": D("2024-04-01")}
STALLED = {**STARTED, "stopped": D("2024-09-01")}
COMPLETED = {**STARTED, "completed": D("2025-05-10"), "developed_mu": 30.0}
PRODUCING = {**COMPLETED, "producing": D("2025-06-01")}

# (case id, contract fields, as_of, expected [(rule, since, days_overdue, fee_wan, next_deadline)])
TABLE = [
    ("not started, day before 1 year", {}, "2025-02-28", []),
    ("not started, 1 full year", {}, "2025-03-01", [("idle_not_started", "2025-03-01", 0, 60.0, "2026-03-01")]),
    ("not started, day before 2 years", {}, "2026-02-28", [("idle_not_started", "2025-03-01", 364, 60.0, "2026-03-01")]),
    ("not started, 2 full years", {}, "2026-03-01", [("idle_takeback", "2026-03-01", 0, None, None)]),
    ("not started, 2 years + 10 days", {}, "2026-03-11", [("idle_takeback", "2026-03-01", 10, None, None)]),
    ("started in time", STARTED, "2025-03-01", []),
    ("starts after as_of: not yet", {"started": D("2025-04-01")}, "2025-03-15",
     [("idle_not_started", "2025-03-01", 14, 60.0, "2026-03-01")]),
    ("started late, judged after", {"started": D("2025-04-01")}, "2025-04-01", []),
    ("leap day start", {"agreed_start": D("2024-02-29")}, "2025-02-28",
     [("idle_not_started", "2025-02-28", 0, 60.0, "2026-02-28")]),
    ("stalled, developed 9 < 10, day before", {**STALLED, "developed_mu": 9.0, "investment_wan": 3000.0},
     "2025-08-31", []),
    ("stalled, developed 9 < 10, 1 year", {**STALLED, "developed_mu": 9.0, "investment_wan": 3000.0},
     "2025-09-01", [("idle_stalled", "2025-09-01", 0, None, "2026-09-01")]),
    ("stalled, developed exactly 1/3, investment 2400 < 2500", {**STALLED, "developed_mu": 10.0,
     "investment_wan": 2400.0}, "2025-09-02", [("idle_stalled", "2025-09-01", 1, None, "2026-09-01")]),
    ("stalled, developed 1/3 and investment 25 %: not idle", {**STALLED, "developed_mu": 10.0,
     "investment_wan": 2500.0}, "2025-12-01", []),
    ("stalled but completed", {**STALLED, "developed_mu": 9.0, "completed": D("2025-08-01")}, "2025-09-01", []),
    ("not completed, day before 2 years", STARTED, "2026-03-31", []),
    ("not completed, 2 years", STARTED, "2026-04-01", [("not_completed", "2026-04-01", 0, None, "2027-04-01")]),
    ("not completed, past the rectification year", STARTED, "2027-04-02",
     [("not_completed", "2026-04-01", 366, None, "2027-04-01")]),
    ("completed before 2 years", {**STARTED, "completed": D("2026-03-20")}, "2026-04-01", []),
    ("completed, day before 1 year", COMPLETED, "2026-05-09", []),
    ("completed, not producing 1 year", COMPLETED, "2026-05-10", [("not_producing", "2026-05-10", 0, None, None)]),
    ("completed and producing", {**COMPLETED, "producing": D("2026-05-01")}, "2026-05-10", []),
    ("invested 7 900 < 8 000, day before review", {**PRODUCING, "investment_wan": 7900.0}, "2026-05-31", []),
    ("invested 7 900 < 8 000, review", {**PRODUCING, "investment_wan": 7900.0}, "2026-06-01",
     [("under_committed", "2026-06-01", 0, None, None)]),
    ("invested exactly 80 %", {**PRODUCING, "investment_wan": 8000.0}, "2026-06-01", []),
    ("98 % of plan but 5 900 / 30 = 196.7 < 200 万元/亩", {**PRODUCING, "planned_investment_wan": 6000.0,
     "investment_wan": 5900.0}, "2026-06-01", [("under_committed", "2026-06-01", 0, None, None)]),
    ("investment unknown: not judged", PRODUCING, "2026-06-01", []),
    ("stalled and not completed at once", {**STALLED, "developed_mu": 9.0}, "2026-04-01",
     [("idle_stalled", "2025-09-01", 212, None, "2026-09-01"), ("not_completed", "2026-04-01", 0, None, "2027-04-01")]),
]  # fmt: skip


@pytest.mark.parametrize(("fields", "as_of", "expected"), [t[1:] for t in TABLE], ids=[t[0] for t in TABLE])
def test_rule_at_dates_either_side_of_its_deadline(fields, as_of, expected):
    contract = LandContract(**{**BASE, **fields})
    cases = contract_cases(contract, RULES, D(as_of))
    got = [(c.rule, c.since.isoformat(), c.days_overdue, c.fee_wan, c.next_deadline and c.next_deadline.isoformat())
           for c in cases]  # fmt: skip
    assert got == [(r, s, d, f, n) for r, s, d, f, n in expected]


def test_case_json_shape_and_source():
    cases = supervise([LandContract(**BASE, id=7)], RULES, D("2025-03-10"))
    assert [c.to_dict() for c in cases] == [
        {
            "enterprise": "某企业",
            "parcel_ids": ["SC-0001"],
            "rule": "idle_not_started",
            "status": "idle",
            "since": "2025-03-01",
            "days_overdue": 9,
            "action": "idle_fee",
            "fee_wan": 60.0,
            "next_deadline": "2026-03-01",
            "source": RULES.rules["idle_not_started"].source,
        }
    ]
    assert "第53号" in cases[0].source and cases[0].contract_id == 7


def test_rules_are_data_with_sources():
    """Every rule of the zone file names its source; changing a period in the data moves the date."""
    assert set(RULES.rules) == {
        "idle_not_started",
        "idle_takeback",
        "idle_stalled",
        "not_completed",
        "not_producing",
        "under_committed",
    }
    assert all(r.source for r in RULES.rules.values())
    assert RULES.rules["idle_not_started"].fee_share == 0.2
    three = RULES.model_copy(
        update={"rules": {"not_completed": RULES.rules["not_completed"].model_copy(update={"years": 3})}}
    )
    contract = LandContract(**{**BASE, **STARTED})
    assert contract_cases(contract, three, D("2026-04-01")) == []
    assert [c.since for c in contract_cases(contract, three, D("2027-04-01"))] == [D("2027-04-01")]


def test_unknown_rule_in_the_zone_file_is_refused():
    with pytest.raises(ValueError, match="unknown supervision rules"):
        SupervisionRules.model_validate(
            {"source": "x", "rules": {"idle_forever": RULES.rules["idle_takeback"]}}
        )


def test_add_years():
    assert add_years(D("2024-02-29"), 1) == D("2025-02-28")
    assert add_years(D("2024-02-29"), 4) == D("2028-02-29")
    assert add_years(D("2023-05-31"), -1) == D("2022-05-31")
