"""The site's admission rules: the parcels are free, not excluded, suitable and big enough, the
area is justified by the project's investment and output, and the park's utilities have room.

Each ``rule_*`` function takes :class:`scoring.rulebook.RuleInputs` and returns a
:class:`scoring.rulebook.RuleResult` whose texts are catalogue messages (ids ``rule.<rule>.…``).
"""

from __future__ import annotations

import math

from gis.messages import Message, Name, joined, msg
from scoring.capacity import Service
from scoring.citations import table
from scoring.expansion import new_land_mu, only_own_parcels
from scoring.project import project_park
from scoring.rulebook import EPS, RuleInputs, RuleResult, Shown, against, fmt, needs_data
from scoring.site import AVAILABLE_STATUSES, PARCEL_STATUS_IDS, truthy
from scoring.zone import ZoneConfig

UNIT_MU = msg("unit.mu")
UNIT_POINTS = msg("unit.points")


def parcel_status(status: str) -> Shown:
    """Return a parcel status (``vacant`` …) as people read it (the code itself when unknown)."""
    return msg(PARCEL_STATUS_IDS[status]) if status in PARCEL_STATUS_IDS else status


# --------------------------------------------------------------------------- the parcels


def rule_parcel_vacant(x: RuleInputs) -> RuleResult:
    """Every parcel vacant: reserved land → review; existing/public land or a parcel taken by an
    admitted project → fail."""
    site = x.site
    members = list(zip(site.parcel_ids, site.statuses, site.enterprises))
    not_vacant = [(p, s, e) for p, s, e in members if s not in AVAILABLE_STATUSES]
    if x.expansion is not None:  # the expanding enterprise's own land is not taken for it
        own = [p for p, s, e in not_vacant if x.expansion.owns(p, e)]
        not_vacant = [(p, s, e) for p, s, e in not_vacant if p not in own]
        if own and not not_vacant and len(own) == len(members):
            return RuleResult(
                "parcel_vacant",
                "pass",
                parcel_status("existing"),
                parcel_status("vacant"),
                None,
                msg("source.parcel_status"),
                msg("rule.parcel_vacant.own", parcels=joined(own), enterprise=x.expansion.name),
            )
    reserved = [p for p, s, _ in members if s == "reserved"]
    held = [(p, a) for p, a in zip(site.parcel_ids, site.admitted) if a]
    vacant, status_source = parcel_status("vacant"), msg("source.parcel_status")
    if held and not not_vacant:
        taken = [msg("rule.parcel_vacant.held", parcel=p, project=a) for p, a in held]
        return RuleResult(
            "parcel_vacant",
            "fail",
            msg("parcel.status.admitted"),
            vacant,
            None,
            msg("source.admissions"),
            msg("rule.parcel_vacant.taken", parcels=joined(taken, "semicolon")),
        )
    if not not_vacant and not reserved:
        one = len(site.parcel_ids) == 1
        m = msg("rule.parcel_vacant.pass") if one else msg("rule.parcel_vacant.pass_all")
        return RuleResult("parcel_vacant", "pass", vacant, vacant, None, status_source, m)
    if not not_vacant:
        return RuleResult(
            "parcel_vacant",
            "review",
            parcel_status("reserved"),
            vacant,
            None,
            status_source,
            msg("rule.parcel_vacant.reserved", parcels=reserved),
        )
    items = [
        msg("rule.parcel_vacant.item_enterprise", parcel=p, status=parcel_status(s), enterprise=e)
        if e
        else msg("rule.parcel_vacant.item", parcel=p, status=parcel_status(s))
        for p, s, e in not_vacant
    ]
    return RuleResult(
        "parcel_vacant",
        "fail",
        joined([parcel_status(s) for _, s, _ in not_vacant]),
        vacant,
        None,
        status_source,
        msg("rule.parcel_vacant.fail", parcels=joined(items, "semicolon")),
    )


def rule_site_constraints(x: RuleInputs) -> RuleResult:
    """No parcel excluded by the zone's hard constraints (review when a result is missing)."""
    site = x.site
    flags = [truthy(v) for v in site.excluded]
    source = msg("source.site_constraints")
    if any(f is True for f in flags):
        if site.reasons or site.reasons_en:
            reasons = Name(joined(site.reasons, "semicolon"), joined(site.reasons_en, "semicolon"))
            m = msg("rule.site_constraints.excluded_because", reasons=reasons)
        else:
            m = msg("rule.site_constraints.excluded")
        return RuleResult("site_constraints", "fail", True, False, None, source, m)
    if any(f is None for f in flags):
        return RuleResult(
            "site_constraints", "review", None, False, None, source, msg("rule.site_constraints.no_result")
        )
    return RuleResult(
        "site_constraints", "pass", False, False, None, source, msg("rule.site_constraints.pass")
    )


def rule_suitability(x: RuleInputs) -> RuleResult:
    """The lowest suitability score of the site's parcels ≥ the zone's minimum score."""
    site, min_score = x.site, x.zone.scoring.min_score
    source = msg("source.min_score")
    scores = site.scores
    if any(math.isnan(s) for s in scores):
        return RuleResult(
            "suitability", "review", None, min_score, UNIT_POINTS, source, msg("rule.suitability.no_score")
        )
    low = min(scores)
    which = site.parcel_ids[scores.index(low)]
    lowest: Shown = "" if len(scores) == 1 else msg("rule.suitability.lowest", parcel=which)
    return against(
        "suitability",
        low,
        min_score,
        unit=UNIT_POINTS,
        source=source,
        ids=("rule.suitability.pass", "rule.suitability.fail"),
        params={"score": fmt(low, 1), "lowest": lowest, "threshold": fmt(min_score, 1)},
    )


def rule_park(x: RuleInputs) -> RuleResult | None:
    """The site lies in the park the project names (``project.park``); None when it names none."""
    named = project_park(x.zone, x.project)
    if named is None:
        return None
    want = x.zone.park(named)
    want_name = Name(want.name, want.name_en)
    source = msg("source.project_park")
    if x.site.park == named:
        return RuleResult(
            "park", "pass", want_name, want_name, None, source, msg("rule.park.pass", park=want_name)
        )
    here: Shown = msg("common.none")
    if x.site.park is not None and any(p.id == x.site.park for p in x.zone.parks):
        p = x.zone.park(x.site.park)
        here = Name(p.name, p.name_en)
    return RuleResult(
        "park", "fail", here, want_name, None, source, msg("rule.park.fail", park=want_name, here=here)
    )


# --------------------------------------------------------------------------- the area


def rule_land_demand(x: RuleInputs) -> RuleResult:
    """The site's net buildable area (its area without a land basis) covers the project's
    declared land demand (needs_data when it declares none)."""
    a = x.land.net_mu if x.land is not None else x.site.area_mu
    d = x.project.land_mu
    source = msg("source.land_demand")
    if only_own_parcels(x.expansion, x.site):
        return RuleResult(
            "land_demand",
            "pass",
            a,
            d,
            UNIT_MU,
            source,
            msg("rule.land_demand.own", enterprise=x.expansion.name),
        )
    if d is None:
        return needs_data(
            "land_demand",
            ("land_mu",),
            value=a,
            unit=UNIT_MU,
            source=source,
            message="rule.land_demand.undeclared",
            params={"area": fmt(a)},
        )
    return against(
        "land_demand",
        a,
        d,
        unit=UNIT_MU,
        source=source,
        ids=("rule.land_demand.pass", "rule.land_demand.fail"),
        params={"area": fmt(a), "demand": fmt(d), "left": fmt(a - d), "short": fmt(d - a)},
    )


def rule_area_justified(x: RuleInputs) -> RuleResult:
    """The site is no larger than the area the project's investment and output justify; a larger
    site is review with the excess stated (never fail by itself)."""
    a = x.land.granted_mu if x.land is not None else x.site.area_mu
    if x.expansion is not None:  # only the new land is asked for
        a = new_land_mu(x.expansion, x.site, a)
    ja, d = x.justified, x.project.land_mu
    if ja is None:
        return RuleResult(
            "area_justified", "review", a, None, UNIT_MU, table("9-6"), msg("rule.area_justified.unknown")
        )
    m = ja.mu
    excess = a - m
    tail = msg("rule.area_justified.by_reference") if ja.reference else msg("rule.area_justified.by_table")
    demand: Shown = (
        msg("rule.area_justified.demand_over", demand=fmt(d), justified=fmt(m))
        if d is not None and d > m + EPS
        else ""
    )
    return against(
        "area_justified",
        a,
        m,
        unit=UNIT_MU,
        source=ja.basis,
        ids=("rule.area_justified.pass", "rule.area_justified.over"),
        params={
            "area": fmt(a),
            "justified": fmt(m),
            "excess": fmt(excess),
            "pct": fmt(100 * excess / m, 1) if m > 0 else "—",
            "why": tail,
            "demand": demand,
        },
        at_most=True,
        below="review",
    )


# --------------------------------------------------------------------------- the utilities

#: Capacity rules: rule id, service, message id naming what is compared, project field.
CAPACITY_RULES: tuple[tuple[str, Service, str, str], ...] = (
    ("power_capacity", "power", "capacity.power_load", "power_kw"),
    ("water_supply", "water", "capacity.water_demand", "water_m3_per_day"),
    ("wastewater_capacity", "wastewater", "capacity.wastewater", "water_m3_per_day"),
)


def _capacity(x: RuleInputs, rule: str, service: Service, what_id: str, field_name: str) -> RuleResult:
    ledger, site, project = x.ledger, x.site, x.project
    unit = "MVA" if service == "power" else "m³/d"
    what = msg(what_id)
    if ledger is None:
        return RuleResult(
            rule,
            "review",
            None,
            None,
            unit,
            msg("source.capacity.none"),
            msg("rule.capacity.no_data", what=what),
        )
    src = capacity_source(ledger.power_factor, ledger.wastewater_ratio, service)
    need = ledger.demand(project).of(service)
    if need is None:
        return needs_data(
            rule,
            (field_name,),
            unit=unit,
            source=src,
            message="rule.capacity.undeclared",
            params={"what": what},
        )
    if site.park is None:
        return RuleResult(rule, "review", need, None, unit, src, msg("rule.capacity.no_park"))
    sup = ledger.supply(site.park, service)
    how: Shown = ""
    if service == "power":
        how = msg("capacity.how_power", kw=fmt(project.power_kw), pf=ledger.power_factor)
    elif service == "wastewater":
        how = msg(
            "capacity.how_wastewater", water=fmt(project.water_m3_per_day), ratio=ledger.wastewater_ratio
        )
    if sup.spare is None:
        return RuleResult(
            rule,
            "review",
            need,
            None,
            unit,
            src,
            msg("rule.capacity.unknown", what=what, need=fmt(need), unit=unit, how=how, reason=sup.reason),
        )
    n = len(ledger.admitted_in(site.park))
    after: Shown = (
        "" if not n else msg("capacity.after_admitted_one") if n == 1 else msg("capacity.after_admitted", n=n)
    )
    return against(
        rule,
        need,
        sup.spare,
        unit=unit,
        source=src,
        ids=("rule.capacity.pass", "rule.capacity.fail"),
        params={
            "what": what,
            "need": fmt(need),
            "unit": unit,
            "how": how,
            "facilities": [facility_name(x.zone, n) for n in sup.facilities],
            "spare": fmt(sup.spare),
            "after": after,
        },
        at_most=True,
    )


def facility_name(zone: ZoneConfig, name: str) -> Shown:
    """Return a facility's name, marked illustrative when the zone file says the plan does not
    name it (``services.facilities``: the sample's 水头 substation, 双池 karst wells …)."""
    f = zone.facility(name)
    return msg("facility.illustrative", name=name) if f is not None and f.illustrative else name


def capacity_source(power_factor: float, wastewater_ratio: float, service: Service) -> Message:
    """Return where a capacity rule's spare capacity comes from (layers and parksite defaults)."""
    if service == "power":
        return msg("source.capacity.power", pf=power_factor)
    if service == "water":
        return msg("source.capacity.water")
    return msg("source.capacity.wastewater", ratio=wastewater_ratio)


def rule_power_capacity(x: RuleInputs) -> RuleResult:
    """The project's load (kW ÷ power factor, MVA) fits the spare capacity of the park's substation."""
    return _capacity(x, *CAPACITY_RULES[0])


def rule_water_supply(x: RuleInputs) -> RuleResult:
    """The project's water demand (m³/d) fits the spare capacity of the park's water sources."""
    return _capacity(x, *CAPACITY_RULES[1])


def rule_wastewater_capacity(x: RuleInputs) -> RuleResult:
    """The project's wastewater (ratio × water, m³/d) fits the park's wastewater plant."""
    return _capacity(x, *CAPACITY_RULES[2])
