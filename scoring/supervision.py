"""Supervision of supplied land (供后监管), as of any date: idle land, clearance and 达产复核.

Pure evaluation: land contracts with their progress (:class:`LandContract`) and a date in,
cases (:class:`Case`) out — no database. The rules are data in the zone file's ``supervision``
section (:class:`SupervisionRules`), each with its ``source``; this module only knows what each
rule id measures from (its anchor date) and what it compares:

======================  ==================  ===================================================
rule                    anchor date         applies when (on ``as_of``)
======================  ==================  ===================================================
``idle_not_started``    agreed start        not started, ``years`` (1) full years after the anchor
``idle_takeback``       agreed start        not started, ``years`` (2) full years after it
``idle_stalled``        stop date           started, stopped ``years`` (1) ago, not completed,
                                            developed < ``developed_share_below`` (1/3) of the
                                            area or investment < ``investment_share_below``
                                            (25 %) of the planned total
``not_completed``       actual start        not completed ``years`` (2) after starting
``not_producing``       completion          not producing ``years`` (1) after completion
``under_committed``     production start    ``years`` after producing, investment to date <
                                            ``investment_share_below`` (80 %) of the planned
                                            total, or investment per 亩 under the committed
                                            minimum intensity; or, from ``tax_after_years`` (3)
                                            after producing, the latest full year's 亩均税收
                                            under the contracted one
======================  ==================  ===================================================

The 亩均税收 of a year is the enterprise's tax ÷ its land (万元/亩, from the yearly figures:
:attr:`LandContract.tax_per_mu_by_year`); the contracted one is the committed
``tax_per_mu_wan``, else the admitted project's own ``project_tax_per_mu_wan``. The latest full
year is the newest year with figures that ended before ``as_of``.

A progress date after ``as_of`` counts as "not yet". ``since`` is the anchor plus ``years``
(a year is a calendar year: 29 February → 28 February); ``days_overdue`` is the days from
``since`` to ``as_of`` (0 on the day itself); ``next_deadline`` the anchor plus ``next_years``
(the next step's date, e.g. 无偿收回 two years after the agreed start) or None; ``fee_wan`` the
land price × ``fee_share`` (万元) where a rule has one. A rule listed in another rule's
``replaces`` is not reported for a contract the other rule applies to (two years idle is a
take-back case, not also a fee case). Money in 万元, areas in 亩.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import Field, model_validator

from scoring.config_base import ConfigModel, Slug, Source

#: The rule ids a zone file may configure, in the order cases are listed.
RULE_IDS: tuple[str, ...] = (
    "idle_takeback",
    "idle_not_started",
    "idle_stalled",
    "not_completed",
    "not_producing",
    "under_committed",
)

Share = Annotated[float, Field(ge=0, le=1)]


class SupervisionRule(ConfigModel):
    """One supervision rule of the zone file (thresholds as fractions 0–1, periods in years)."""

    name: str
    name_en: str
    years: Annotated[int, Field(ge=0, description="full years after the anchor date when it applies")]
    next_years: Annotated[int, Field(ge=0)] | None = Field(
        None, description="the next step's deadline, years after the anchor date"
    )
    status: Slug = Field(description="what the land is then: idle, takeback, clearance_list, …")
    action: Slug = Field(description="what the office does (a catalogue id supervision.action.<id>)")
    fee_share: Share | None = Field(None, description="土地闲置费 as a share of the land price")
    developed_share_below: Share | None = None
    investment_share_below: Share | None = None
    tax_after_years: Annotated[int, Field(ge=0)] | None = Field(
        None, description="years of production after which the contracted 亩均税收 is reviewed"
    )
    replaces: list[str] = Field(default_factory=list, description="rules this one supersedes")
    source: Source


class SupervisionRules(ConfigModel):
    """The zone file's ``supervision`` section: rules by id (a subset of :data:`RULE_IDS`)."""

    rules: dict[str, SupervisionRule]
    source: Source

    @model_validator(mode="after")
    def _known(self) -> SupervisionRules:
        unknown = sorted(set(self.rules) - set(RULE_IDS))
        bad = sorted({r for rule in self.rules.values() for r in rule.replaces} - set(RULE_IDS))
        if unknown or bad:
            raise ValueError(f"unknown supervision rules {unknown + bad}; known: {', '.join(RULE_IDS)}")
        return self


@dataclass(frozen=True)
class LandContract:
    """A land contract (出让合同 / 划拨决定书) and its progress as last reported.

    Dates are ``datetime.date`` (None: not yet / not agreed); money in 万元, areas in 亩 (the
    built floor area ``floor_area_m2`` and footprint ``footprint_m2`` in m²).
    ``committed`` holds the 标准地 indicators copied at signing
    (``investment_intensity_wan_per_mu`` is the minimum investment per 亩 the contract holds).
    """

    enterprise: str
    parcel_ids: tuple[str, ...]
    area_mu: float
    price_wan: float | None = None
    signed: dt.date | None = None
    agreed_start: dt.date | None = None
    agreed_completion: dt.date | None = None
    started: dt.date | None = None
    completed: dt.date | None = None
    producing: dt.date | None = None
    stopped: dt.date | None = None
    planned_investment_wan: float | None = None
    investment_wan: float | None = None
    developed_mu: float | None = None
    floor_area_m2: float | None = None
    footprint_m2: float | None = None
    committed: Mapping[str, Any] = field(default_factory=dict)
    id: int | None = None
    tax_per_mu_by_year: Mapping[int, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Case:
    """One rule applying to one contract on a date (see the module docstring for each field)."""

    contract_id: int | None
    enterprise: str
    parcel_ids: tuple[str, ...]
    rule: str
    status: str
    since: dt.date
    days_overdue: int
    action: str
    fee_wan: float | None
    next_deadline: dt.date | None
    source: str

    def to_dict(self) -> dict[str, Any]:
        """Return the case as JSON data (dates as YYYY-MM-DD, ``fee_wan`` to 0.01 万元)."""
        return {
            "enterprise": self.enterprise,
            "parcel_ids": list(self.parcel_ids),
            "rule": self.rule,
            "status": self.status,
            "since": self.since.isoformat(),
            "days_overdue": self.days_overdue,
            "action": self.action,
            "fee_wan": None if self.fee_wan is None else round(self.fee_wan, 2),
            "next_deadline": None if self.next_deadline is None else self.next_deadline.isoformat(),
            "source": self.source,
        }


def add_years(day: dt.date, years: int) -> dt.date:
    """Return ``day`` moved by whole calendar years (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _by(day: dt.date | None, as_of: dt.date) -> bool:
    """Return True if the event happened on or before ``as_of``."""
    return day is not None and day <= as_of


def _idle_not_started(c: LandContract, r: SupervisionRule, as_of: dt.date) -> dt.date | None:
    if c.agreed_start is None or _by(c.started, as_of):
        return None
    return c.agreed_start


def _idle_stalled(c: LandContract, r: SupervisionRule, as_of: dt.date) -> dt.date | None:
    if not _by(c.started, as_of) or _by(c.completed, as_of) or not _by(c.stopped, as_of):
        return None
    developed_low = (
        r.developed_share_below is not None
        and c.developed_mu is not None
        and c.area_mu > 0
        and c.developed_mu < r.developed_share_below * c.area_mu
    )
    investment_low = (
        r.investment_share_below is not None
        and c.investment_wan is not None
        and c.planned_investment_wan
        and c.investment_wan < r.investment_share_below * c.planned_investment_wan
    )
    return c.stopped if developed_low or investment_low else None


def _not_completed(c: LandContract, r: SupervisionRule, as_of: dt.date) -> dt.date | None:
    if not _by(c.started, as_of) or _by(c.completed, as_of):
        return None
    return c.started


def _not_producing(c: LandContract, r: SupervisionRule, as_of: dt.date) -> dt.date | None:
    if not _by(c.completed, as_of) or _by(c.producing, as_of):
        return None
    return c.completed


def _under_committed(c: LandContract, r: SupervisionRule, as_of: dt.date) -> dt.date | None:
    if not _by(c.producing, as_of) or c.investment_wan is None:
        return None
    below_plan = (
        r.investment_share_below is not None
        and bool(c.planned_investment_wan)
        and c.investment_wan < r.investment_share_below * float(c.planned_investment_wan or 0)
    )
    minimum = c.committed.get("investment_intensity_wan_per_mu")
    below_minimum = minimum is not None and c.area_mu > 0 and c.investment_wan / c.area_mu < float(minimum)
    return c.producing if below_plan or below_minimum else None


def _tax_below_contract(c: LandContract, r: SupervisionRule, as_of: dt.date) -> dt.date | None:
    """The anchor that puts ``since`` at ``tax_after_years`` after production started, when the
    latest full year's 亩均税收 is under the contracted one; else None."""
    contracted = c.committed.get("tax_per_mu_wan", c.committed.get("project_tax_per_mu_wan"))
    if r.tax_after_years is None or contracted is None or c.producing is None or not _by(c.producing, as_of):
        return None
    if as_of < add_years(c.producing, r.tax_after_years):
        return None
    years = [y for y in c.tax_per_mu_by_year if dt.date(y, 12, 31) < as_of]
    if not years or c.tax_per_mu_by_year[max(years)] >= float(contracted):
        return None
    return add_years(c.producing, max(r.tax_after_years - r.years, 0))


def _under_committed_any(c: LandContract, r: SupervisionRule, as_of: dt.date) -> dt.date | None:
    """达产复核: the investment checks (from production start), else the tax check."""
    if c.investment_wan is not None:
        anchor = _under_committed(c, r, as_of)
        if anchor is not None:
            return anchor
    return _tax_below_contract(c, r, as_of)


#: What each rule measures from: returns the anchor date when the rule's condition holds on
#: ``as_of`` (the period is checked by :func:`supervise`), else None.
ANCHORS: dict[str, Callable[[LandContract, SupervisionRule, dt.date], dt.date | None]] = {
    "idle_not_started": _idle_not_started,
    "idle_takeback": _idle_not_started,
    "idle_stalled": _idle_stalled,
    "not_completed": _not_completed,
    "not_producing": _not_producing,
    "under_committed": _under_committed_any,
}


#: The contract's date each rule measures from (a :class:`LandContract` field), for documents
#: that name it: the agreed start for idle land, the stop, the start, the completion, production.
ANCHOR_FIELDS: dict[str, str] = {
    "idle_not_started": "agreed_start",
    "idle_takeback": "agreed_start",
    "idle_stalled": "stopped",
    "not_completed": "started",
    "not_producing": "completed",
    "under_committed": "producing",
}


def contract_cases(c: LandContract, rules: SupervisionRules, as_of: dt.date) -> list[Case]:
    """Return the cases of one contract on ``as_of`` (none when it is on time), in
    :data:`RULE_IDS` order, superseded rules left out."""
    found: dict[str, Case] = {}
    for rule_id in RULE_IDS:
        rule = rules.rules.get(rule_id)
        if rule is None:
            continue
        anchor = ANCHORS[rule_id](c, rule, as_of)
        if anchor is None:
            continue
        since = add_years(anchor, rule.years)
        if as_of < since:
            continue
        fee = None
        if rule.fee_share is not None and c.price_wan is not None:
            fee = c.price_wan * rule.fee_share
        found[rule_id] = Case(
            contract_id=c.id,
            enterprise=c.enterprise,
            parcel_ids=c.parcel_ids,
            rule=rule_id,
            status=rule.status,
            since=since,
            days_overdue=(as_of - since).days,
            action=rule.action,
            fee_wan=fee,
            next_deadline=None if rule.next_years is None else add_years(anchor, rule.next_years),
            source=rule.source,
        )
    replaced = {r for rule_id in found for r in rules.rules[rule_id].replaces}
    return [case for rule_id, case in found.items() if rule_id not in replaced]


def supervise(contracts: Iterable[LandContract], rules: SupervisionRules, as_of: dt.date) -> list[Case]:
    """Return every case on ``as_of``: per contract (in the order given) its cases in
    :data:`RULE_IDS` order."""
    return [case for c in contracts for case in contract_cases(c, rules, as_of)]
