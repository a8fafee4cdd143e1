"""Does this project fit this parcel? The admission rules of the plan, one project × one site.

A *site* is one parcel or a group of adjacent parcels in one cluster (:class:`scoring.site.Site`,
rows of the scored parcel table). Each rule returns one of four statuses
(:data:`scoring.rulebook.STATUSES`) with the measured value, the threshold, the unit, its source
(as the plan cites it, or 本系统默认值) and a message — a catalogue id with parameters
(:mod:`gis.messages`), rendered in the user's language at the edge:

* ``pass``; ``fail``;
* ``review`` — a person must judge: 规模控制, the catch-all, 产业备用地 and reserved land, a cluster
  whose admits are not set, an industry without a 表9-6 row, a figure to compare with norms;
* ``needs_data`` — the project did not declare a figure the rule needs; the outcome's ``fields``
  lists the project fields to fill and its message names them (the form's labels).

The verdict is the worst rule: fail > needs_data > review > pass.

The rules are the table :data:`RULES` (in order; each a :class:`scoring.rulebook.Rule` with its
id, inputs, threshold source and message ids; functions in :mod:`scoring.rules_plan` and
:mod:`scoring.rules_site`):

* ``positive_list`` — 表9-5: on the list → pass; 规模控制 (e.g. 氧化铝) or "其它国家鼓励发展的产业项目"
  → review; a listed 产业大类 without a 二级产业方向 → needs_data (branch); not on the list → fail.
* ``cluster`` — 表8-1: the site's cluster admits the industry/branch → pass; 产业备用地 admits
  encouraged projects under review → review; a cluster whose ``admits`` are not set yet (null:
  drawn on the map without them) → review, "admits nothing yet"; a cluster that admits only some
  二级产业方向 of the industry and a project naming none → needs_data (branch); otherwise fail.
* ``park`` — only for a project that names a park (``park``: the plan's №46 水头商业综合体): the
  site lies in that park → pass, else fail.
* ``investment_intensity``, ``output_intensity`` — 表9-6: investment (output) ÷ the granted area
  in 亩 (the land basis, :mod:`scoring.land`: the declared demand when the parcel is split, else
  the whole net area; the value on the declared demand is stated beside it) ≥ the industry's
  threshold. Industries without a 表9-6 row (e.g. 高科技服务业) → review; the
  表6-1 targets are shown as the reference threshold.
* ``online_monitoring``, ``waste_treatment`` — 表9-6: monitoring installed when required; 三废
  达标处理率 ≥ the row's minimum. Undeclared → needs_data.
* ``water_energy`` — 表9-6's 单位产值水耗/能耗 column (one merged cell for every row: industry norms,
  no number, the zone file's ``water_energy`` on each row): only when the project declares energy
  or water use per 万元, and then always "review" against the row's norm.
* ``parcel_vacant``, ``site_constraints``, ``suitability`` — every parcel vacant (``reserved``
  land, e.g. the sample's 产业备用地 parcels, → review: it is released only after review;
  ``existing``/``public``, or taken by an admitted project (optional column
  ``admitted_project``: its name) → fail), not excluded by the zone's hard constraints, and scored ≥
  ``scoring.min_score``.
* ``inside_parks`` — 表9-5 功能区外严禁布局: the part of the site outside the parks is at most
  the zone's survey tolerance (``land.outside_tolerance_m2``, m²), else fail.
* ``encroachment`` — the parts of the site in a river control zone, over the natural-slope
  limit or outside the parks: a pass with ``level: "warning"`` naming them (亩, m², the river),
  deducted from the net buildable area. It does not block: the land basis already leaves them
  out, and a planner sees them.
* ``land_demand`` — the site's net buildable area covers the project's declared land demand
  (``land_mu``; undeclared → needs_data).
* ``area_justified`` — the largest area the project can justify is
  ``min(investment ÷ investment threshold, output ÷ output threshold)`` 亩. A larger site is
  "review" with the excess stated, never "fail" by itself: with a 表9-6 row the intensity rules
  already fail on such a site, and this rule says by how much the site is oversized.
* ``power_capacity``, ``water_supply``, ``wastewater_capacity`` — the project's load and water
  fit the spare capacity of the park's substation, water sources and wastewater plant, from a
  :class:`scoring.capacity.CapacityLedger`; the figure undeclared → needs_data; without a
  ledger, or with no facility in service, → review with the reason.

An existing enterprise's expansion (``project.expansion_of``, :mod:`scoring.expansion`) runs the
same rules with its :class:`scoring.expansion.Expansion`: the intensities on the enterprise after
the expansion (zone file ``expansion.basis``), its own parcels not taken for it, the justified
area less its existing land.

JSON (:meth:`CheckResult.to_dict`): ``{"verdict", "max_justified_mu", "max_justified_basis",
"missing_fields", "parcel_ids", "area_mu", "project", "land": {…}
(:meth:`scoring.land.LandBasis.to_dict`), "expansion": {…} or null
(:meth:`scoring.expansion.Expansion.to_dict`), "rules": [{"rule", "status", "value", "threshold",
"unit", "source", "message", "fields", "level"}]}``, its texts still messages: the edge renders them
(:func:`app.i18n.render_value`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pandas as pd  # type: ignore[import-untyped]

from scoring import rules_land as land_rules
from scoring import rules_plan as plan
from scoring import rules_site as site_rules
from scoring.capacity import CapacityLedger
from scoring.expansion import Expansion
from scoring.industry import Classification, classify_industry
from scoring.land import LandBasis, land_from_site
from scoring.project import Project
from scoring.rulebook import (
    SEVERITY,
    STATUS_IDS,
    STATUSES,
    Rule,
    RuleInputs,
    RuleResult,
    Status,
    fmt,
    worst,
)
from scoring.rules_plan import cluster_admits, unset_admits_message
from scoring.site import AVAILABLE_STATUSES, PARCEL_COLUMNS, Site, require_parcel_columns
from scoring.thresholds import JustifiedArea, Thresholds, justified_area, thresholds_for
from scoring.zone import ZoneConfig

__all__ = [
    "AVAILABLE_STATUSES",
    "PARCEL_COLUMNS",
    "REVIEW_ONLY_RULES",
    "RULES",
    "SEVERITY",
    "STATUSES",
    "STATUS_IDS",
    "CheckResult",
    "JustifiedArea",
    "Rule",
    "RuleResult",
    "Site",
    "Status",
    "Thresholds",
    "check_project",
    "check_site",
    "cluster_admits",
    "evaluate_site",
    "fmt",
    "justified_area",
    "require_parcel_columns",
    "rule_label",
    "thresholds_for",
    "unset_admits_message",
    "worst",
]

_INTENSITY_SOURCE = "表9-6 (表6-1 targets as reference without a row)"
_CAPACITY_SOURCE = "zone layers substations / water (capacity − use)"
_CAPACITY_MESSAGES = (
    "rule.capacity.pass",
    "rule.capacity.fail",
    "rule.capacity.no_data",
    "rule.capacity.undeclared",
    "rule.capacity.no_park",
    "rule.capacity.unknown",
)

#: The admission rules, in the order they are run and shown.
RULES: tuple[Rule, ...] = (
    Rule(
        "positive_list",
        "rule.positive_list",
        ("project.industry", "project.branch", "project.encouraged_description"),
        "表9-5",
        (
            "rule.positive_list.pass",
            "rule.positive_list.controlled",
            "rule.positive_list.unlisted_branch",
            "rule.positive_list.no_branch",
            "rule.positive_list.encouraged",
            "rule.positive_list.outside",
        ),
        plan.rule_positive_list,
    ),
    Rule(
        "cluster",
        "rule.cluster",
        ("site.cluster", "zone.clusters.admits"),
        "表8-1",
        (
            "rule.cluster.pass",
            "rule.cluster.no_cluster",
            "rule.cluster.unset",
            "rule.cluster.reserve",
            "rule.cluster.reserve_elsewhere",
            "rule.cluster.no_branch",
            "rule.cluster.fail",
            "rule.cluster.fail_elsewhere",
        ),
        plan.rule_cluster,
    ),
    Rule(
        "park",
        "rule.park",
        ("project.park", "site.park"),
        "the project's named park",
        ("rule.park.pass", "rule.park.fail"),
        site_rules.rule_park,
    ),
    Rule(
        "investment_intensity",
        "rule.investment_intensity",
        ("project.investment_wan", "site.area_mu"),
        _INTENSITY_SOURCE,
        ("rule.intensity.pass", "rule.intensity.fail", "rule.intensity.no_row", "rule.expansion.undeclared"),
        plan.rule_investment_intensity,
    ),
    Rule(
        "output_intensity",
        "rule.output_intensity",
        ("project.output_wan", "site.area_mu"),
        _INTENSITY_SOURCE,
        ("rule.intensity.pass", "rule.intensity.fail", "rule.intensity.no_row", "rule.expansion.undeclared"),
        plan.rule_output_intensity,
    ),
    Rule(
        "online_monitoring",
        "rule.online_monitoring",
        ("project.online_monitoring",),
        "表9-6",
        (
            "rule.environment.no_row",
            "rule.online_monitoring.not_required",
            "rule.online_monitoring.undeclared",
            "rule.online_monitoring.installed",
            "rule.online_monitoring.missing",
        ),
        plan.rule_online_monitoring,
    ),
    Rule(
        "waste_treatment",
        "rule.waste_treatment",
        ("project.waste_treatment_pct",),
        "表9-6",
        (
            "rule.environment.no_row",
            "rule.waste_treatment.undeclared",
            "rule.waste_treatment.pass",
            "rule.waste_treatment.fail",
        ),
        plan.rule_waste_treatment,
    ),
    Rule(
        "water_energy",
        "rule.water_energy",
        ("project.energy_tce_per_wan", "project.water_m3_per_wan"),
        "表9-6 note (industry norms, no number)",
        ("rule.water_energy.review",),
        plan.rule_water_energy,
        review_only=True,
    ),
    Rule(
        "parcel_vacant",
        "rule.parcel_vacant",
        ("site.status", "site.enterprise", "site.admitted_project"),
        "parcel status",
        (
            "rule.parcel_vacant.pass",
            "rule.parcel_vacant.pass_all",
            "rule.parcel_vacant.reserved",
            "rule.parcel_vacant.fail",
            "rule.parcel_vacant.taken",
            "rule.parcel_vacant.own",
        ),
        site_rules.rule_parcel_vacant,
    ),
    Rule(
        "site_constraints",
        "rule.site_constraints",
        ("site.excluded", "site.reasons"),
        "zone scoring.constraints (parksite default thresholds)",
        (
            "rule.site_constraints.pass",
            "rule.site_constraints.excluded",
            "rule.site_constraints.excluded_because",
            "rule.site_constraints.no_result",
        ),
        site_rules.rule_site_constraints,
    ),
    Rule(
        "suitability",
        "rule.suitability",
        ("site.score",),
        "zone scoring.min_score (parksite default)",
        ("rule.suitability.pass", "rule.suitability.fail", "rule.suitability.no_score"),
        site_rules.rule_suitability,
    ),
    Rule(
        "inside_parks",
        "rule.inside_parks",
        ("land.outside_m2", "zone.land.outside_tolerance_m2"),
        "表9-5 (功能区外严禁布局)",
        ("rule.inside_parks.pass", "rule.inside_parks.fail"),
        land_rules.rule_inside_parks,
    ),
    Rule(
        "encroachment",
        "rule.encroachment",
        ("land.deductions",),
        "zone land.source",
        ("rule.encroachment.none", "rule.encroachment.warning"),
        land_rules.rule_encroachment,
    ),
    Rule(
        "land_demand",
        "rule.land_demand",
        ("project.land_mu", "site.area_mu"),
        "the project's declared land demand",
        (
            "rule.land_demand.pass",
            "rule.land_demand.fail",
            "rule.land_demand.undeclared",
            "rule.land_demand.own",
        ),
        site_rules.rule_land_demand,
    ),
    Rule(
        "area_justified",
        "rule.area_justified",
        ("project.investment_wan", "project.output_wan", "site.area_mu"),
        "表9-6 (表6-1 targets as reference)",
        ("rule.area_justified.pass", "rule.area_justified.over", "rule.area_justified.unknown"),
        site_rules.rule_area_justified,
        review_only=True,
    ),
    Rule(
        "power_capacity",
        "rule.power_capacity",
        ("project.power_kw", "site.park", "ledger"),
        _CAPACITY_SOURCE,
        _CAPACITY_MESSAGES,
        site_rules.rule_power_capacity,
    ),
    Rule(
        "water_supply",
        "rule.water_supply",
        ("project.water_m3_per_day", "site.park", "ledger"),
        _CAPACITY_SOURCE,
        _CAPACITY_MESSAGES,
        site_rules.rule_water_supply,
    ),
    Rule(
        "wastewater_capacity",
        "rule.wastewater_capacity",
        ("project.water_m3_per_day", "site.park", "ledger"),
        _CAPACITY_SOURCE,
        _CAPACITY_MESSAGES,
        site_rules.rule_wastewater_capacity,
    ),
)

#: Rules that never give "fail" (only pass, review or needs_data).
REVIEW_ONLY_RULES: frozenset[str] = frozenset(r.id for r in RULES if r.review_only)

_BY_ID: dict[str, Rule] = {r.id: r for r in RULES}


def rule_label(rule_id: str) -> str:
    """Return the message id of a rule's short name (``rule.<id>``)."""
    return _BY_ID[rule_id].label


@dataclass(frozen=True)
class CheckResult:
    """The rules' outcomes for one project on one site; ``verdict`` is the worst status
    (fail > needs_data > review > pass)."""

    project: str
    parcel_ids: tuple[str, ...]
    area_mu: float
    verdict: Status
    justified: JustifiedArea | None
    rules: tuple[RuleResult, ...]
    land: LandBasis | None = None
    expansion: Expansion | None = None

    @property
    def max_justified_mu(self) -> float | None:
        return None if self.justified is None else self.justified.mu

    def rule(self, rule_id: str) -> RuleResult:
        """Return the outcome of rule ``rule_id`` (KeyError if the rule was not run)."""
        for r in self.rules:
            if r.rule == rule_id:
                return r
        raise KeyError(rule_id)

    def with_status(self, status: str) -> list[RuleResult]:
        return [r for r in self.rules if r.status == status]

    def failed_rules(self) -> list[str]:
        return [r.rule for r in self.rules if r.status == "fail"]

    def missing_fields(self) -> list[str]:
        """Return the project fields the ``needs_data`` rules ask for, each once, in rule order."""
        return list(dict.fromkeys(f for r in self.rules if r.status == "needs_data" for f in r.fields))

    def to_dict(self) -> dict[str, Any]:
        """Return the check as JSON data (areas in 亩, 4 decimals); texts are still messages."""
        return {
            "project": self.project,
            "parcel_ids": list(self.parcel_ids),
            "area_mu": round(self.area_mu, 4),
            "verdict": self.verdict,
            "max_justified_mu": None if self.justified is None else round(self.justified.mu, 4),
            "max_justified_basis": None if self.justified is None else self.justified.basis,
            "missing_fields": self.missing_fields(),
            "land": None if self.land is None else self.land.to_dict(),
            "expansion": None if self.expansion is None else self.expansion.to_dict(),
            "rules": [r.to_dict() for r in self.rules],
        }


# --------------------------------------------------------------------------- the check


def check_site(
    zone: ZoneConfig,
    rows: pd.DataFrame,
    project: Project,
    ledger: CapacityLedger | None = None,
    *,
    classification: Classification | None = None,
    land: LandBasis | None = None,
    expansion: Expansion | None = None,
) -> CheckResult:
    """Check ``project`` on the site made of parcel ``rows`` (one cluster; areas summed).

    Returns a CheckResult whose rules are listed in the module docstring. ``classification``
    may be passed to avoid re-classifying the project for every site; ``land`` is the land basis
    cut from the layers (:func:`scoring.land.land_basis`), else it is taken from the rows'
    measures (:func:`scoring.land.land_from_site`, no split). ``expansion``: the existing
    enterprise the project expands (:func:`scoring.expansion.resolve_expansion`)."""
    return evaluate_site(
        zone,
        Site.from_rows(rows),
        project,
        ledger,
        classification=classification,
        land=land,
        expansion=expansion,
    )


def evaluate_site(
    zone: ZoneConfig,
    site: Site,
    project: Project,
    ledger: CapacityLedger | None = None,
    *,
    classification: Classification | None = None,
    land: LandBasis | None = None,
    expansion: Expansion | None = None,
) -> CheckResult:
    """Check ``project`` on an already built :class:`Site`; see :func:`check_site`."""
    cls = classification or classify_industry(zone, project)
    if land is None:
        land = land_from_site(zone, site, project.land_mu)
    inputs = RuleInputs(
        zone=zone,
        project=project,
        site=site,
        classification=cls,
        thresholds=thresholds_for(zone, cls),
        justified=_justified(zone, project, cls, expansion),
        ledger=ledger,
        land=land,
        expansion=expansion,
    )
    results = [r for r in (rule.check(inputs) for rule in RULES) if r is not None]
    return CheckResult(
        project=project.name,
        parcel_ids=site.parcel_ids,
        area_mu=site.area_mu,
        verdict=worst([r.status for r in results]),
        justified=inputs.justified,
        rules=tuple(results),
        land=land,
        expansion=expansion,
    )


def _justified(
    zone: ZoneConfig, project: Project, cls: Classification, expansion: Expansion | None
) -> JustifiedArea | None:
    """Return the largest (new) area the project justifies: for an expansion on the ``total``
    basis, what the enterprise's existing + added investment and output justify less its existing
    land (None when one of them is unknown); otherwise :func:`justified_area`."""
    if expansion is None or zone.expansion is None or zone.expansion.basis != "total":
        return justified_area(zone, project, cls)
    e = expansion
    if e.land_mu is None or e.investment_wan is None or e.output_wan is None:
        return None
    total = project.model_copy(
        update={
            "investment_wan": project.investment_wan + e.investment_wan,
            "output_wan": project.output_wan + e.output_wan,
        }
    )
    ja = justified_area(zone, total, cls)
    return None if ja is None else replace(ja, mu=max(0.0, ja.mu - e.land_mu))


def check_project(
    zone: ZoneConfig,
    parcel_row: pd.Series | pd.DataFrame,
    project: Project,
    ledger: CapacityLedger | None = None,
    *,
    land: LandBasis | None = None,
    expansion: Expansion | None = None,
) -> CheckResult:
    """Check ``project`` on one parcel (a row of the scored parcel table) and return the result.

    Money in 万元, areas in 亩. Without ``ledger`` the capacity rules are "review"; ``land`` and
    ``expansion`` as for :func:`check_site`."""
    rows = parcel_row.to_frame().T if isinstance(parcel_row, pd.Series) else parcel_row
    return check_site(zone, rows, project, ledger, land=land, expansion=expansion)
