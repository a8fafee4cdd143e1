"""The land rules: the parts of the site a project cannot build on (a warning that does not
block, with their areas and the river's name), and the site inside the parks (表9-5:
功能区外严禁布局 — a part outside beyond the survey tolerance fails).

Both read the land basis (:class:`scoring.land.LandBasis`, ``RuleInputs.land``) and do not
apply (return None) without one.
"""

from __future__ import annotations

from gis.messages import Message, joined, msg
from gis.units import MU_M2
from scoring.rulebook import RuleInputs, RuleResult, fmt

UNIT_MU = msg("unit.mu")


def _source(x: RuleInputs, outside: bool = False) -> Message:
    """The rule's source as people read it (the zone file's ``land`` sources say the same)."""
    if outside:
        tol = x.zone.land.outside_tolerance_m2 if x.zone.land is not None else 1.0
        return msg("source.inside_parks", tol=fmt(tol, 1))
    return msg("source.encroachment")


def rule_encroachment(x: RuleInputs) -> RuleResult | None:
    """The constrained parts of the site (river control zones, steep land, outside the parks):
    none → pass; some → pass with ``level="warning"``, their areas (亩, m²) and names, and the
    net buildable area they leave. The value is the area deducted (亩)."""
    land = x.land
    if land is None:
        return None
    if not land.deductions:
        return RuleResult(
            "encroachment", "pass", 0.0, None, UNIT_MU, _source(x), msg("rule.encroachment.none")
        )
    total_m2 = sum(d.area_m2 for d in land.deductions)
    parts = [
        msg(
            "rule.encroachment.part",
            part=d.label(),
            mu=fmt(d.area_mu),
            m2=fmt(d.area_m2, 0),
            pct=fmt(100 * d.area_m2 / (land.parcel_mu * MU_M2), 1),
        )
        for d in land.deductions
    ]
    return RuleResult(
        "encroachment",
        "pass",
        total_m2 / MU_M2,
        None,
        UNIT_MU,
        _source(x),
        msg(
            "rule.encroachment.warning",
            parts=joined(parts, "semicolon"),
            total=fmt(total_m2 / MU_M2),
            net=fmt(land.net_mu),
            gross=fmt(land.parcel_mu),
        ),
        level="warning",
    )


def rule_inside_parks(x: RuleInputs) -> RuleResult | None:
    """The part of the site outside every park (m²) ≤ the zone's survey tolerance
    (``land.outside_tolerance_m2``), else fail (表9-5: 功能区外严禁布局)."""
    land = x.land
    if land is None:
        return None
    tol = x.zone.land.outside_tolerance_m2 if x.zone.land is not None else 1.0
    out_m2 = land.outside_m2
    params = {"m2": fmt(out_m2, 1), "mu": fmt(out_m2 / MU_M2, 4), "tol": fmt(tol, 1)}
    if out_m2 > tol:
        return RuleResult(
            "inside_parks",
            "fail",
            out_m2,
            tol,
            "m²",
            _source(x, True),
            msg("rule.inside_parks.fail", **params),
        )
    return RuleResult(
        "inside_parks", "pass", out_m2, tol, "m²", _source(x, True), msg("rule.inside_parks.pass", **params)
    )
