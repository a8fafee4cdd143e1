"""The land basis of a check: the land a project would be granted on a site, and why.

* ``parcel_mu`` — the site's gross area (亩);
* ``net_mu`` — the net buildable area: gross minus the constrained parts the zone file's
  ``land.deduct`` names (outside the parks, river control zones, land over the natural-slope
  limit; :mod:`gis.land`);
* ``granted_mu`` — the area the intensity rules divide by: the declared demand when the zone
  file allows splitting (``land.split``), the demand leaves at least ``min_remainder_mu`` of net
  land and both pieces keep road access (the split is proposed); otherwise the whole net area;
* ``declared_mu`` — the project's 项目用地 (None when not declared);
* ``basis`` — ``"split"`` or ``"net"``, with ``reason`` (a message) saying why.

:func:`land_basis` works on geometry (the check of one site, with the zone's layers at hand);
:func:`land_from_site` on the measures a score run stored for each parcel (recommendations over
the whole table, or a check without layers) and never proposes a split.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import shapely

from gis.land import LandParts, Split, land_parts, split_parcel
from gis.layers import geometry_array
from gis.messages import Message, msg
from gis.units import MU_M2
from scoring.context import ZoneContext
from scoring.rulebook import fmt
from scoring.site import Site
from scoring.zone import ZoneConfig

#: Message ids naming each kind of constrained part.
KIND_IDS: dict[str, str] = {
    "outside_park": "land.kind.outside_park",
    "river": "land.kind.river",
    "steep": "land.kind.steep",
}


@dataclass(frozen=True)
class Deduction:
    """A constrained part of the site taken off its gross area: ``kind``, ``name`` (the river's),
    ``area_m2`` (m²) and its ``geometry`` (zone CRS; None when known only from measures)."""

    kind: str
    name: str | None
    area_m2: float
    geometry: Any = None

    @property
    def area_mu(self) -> float:
        return self.area_m2 / MU_M2

    def label(self) -> Message:
        """The part as people read it, e.g. "大麦郊河河道治导线内"."""
        return msg(KIND_IDS[self.kind], name=self.name or "")

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "area_m2": round(self.area_m2, 2),
            "area_mu": round(self.area_mu, 4),
            "label": self.label(),
        }


@dataclass(frozen=True)
class LandBasis:
    """The land basis of one project on one site (areas in 亩; see the module docstring)."""

    parcel_mu: float
    net_mu: float
    granted_mu: float
    declared_mu: float | None
    basis: str
    reason: Message
    deductions: tuple[Deduction, ...] = ()
    split: Split | None = None
    min_remainder_mu: float | None = None
    road_access_m: float | None = None
    #: "geometry" (cut from the layers) or "measures" (from the score run's shares).
    computed_from: str = "geometry"
    notes: tuple[Message, ...] = field(default_factory=tuple)

    @property
    def outside_m2(self) -> float:
        """Area (m²) of the site outside every park."""
        return sum(d.area_m2 for d in self.deductions if d.kind == "outside_park")

    def basis_label(self) -> Message:
        """ "申报用地" for a split, "整块净用地" for the whole net area."""
        return msg("land.basis.split") if self.basis == "split" else msg("land.basis.net")

    def to_dict(self) -> dict[str, Any]:
        """Return the land block of ``check --json`` (areas in 亩, 4 decimals; texts as messages)."""
        split = None
        if self.split is not None:
            split = {
                "granted_mu": round(self.split.granted.area / MU_M2, 4),
                "granted_net_mu": round(self.split.granted_net_m2 / MU_M2, 4),
                "remainder_mu": round(self.split.remainder.area / MU_M2, 4),
                "remainder_net_mu": round(self.split.remainder_net_m2 / MU_M2, 4),
                "min_remainder_mu": self.min_remainder_mu,
                "granted_road_m": round(self.split.granted_road_m, 1),
                "remainder_road_m": round(self.split.remainder_road_m, 1),
                "road_access_m": self.road_access_m,
            }
        return {
            "parcel_mu": round(self.parcel_mu, 4),
            "net_mu": round(self.net_mu, 4),
            "granted_mu": round(self.granted_mu, 4),
            "declared_mu": None if self.declared_mu is None else round(self.declared_mu, 4),
            "basis": self.basis,
            "basis_label": self.basis_label(),
            "reason": self.reason,
            "computed_from": self.computed_from,
            "deductions": [d.to_dict() for d in self.deductions],
            "split": split,
        }


def _grant(
    zone: ZoneConfig, parcel_mu: float, net_mu: float, declared: float | None
) -> tuple[str, Message | None]:
    """Return ("net", reason) when the whole net area is granted whatever the geometry, else
    ("split?", None): a split is worth trying."""
    rules = zone.land
    if declared is None:
        return "net", msg("land.reason.undeclared", net=fmt(net_mu))
    if rules is None or rules.split is None:
        return "net", msg("land.reason.no_split_rule", net=fmt(net_mu))
    if declared >= net_mu - 1e-9:
        return "net", msg("land.reason.demand_not_below", declared=fmt(declared), net=fmt(net_mu))
    left = net_mu - declared
    if left < rules.split.min_remainder_mu:
        return "net", msg(
            "land.reason.remainder_small",
            declared=fmt(declared),
            net=fmt(net_mu),
            left=fmt(left),
            min=fmt(rules.split.min_remainder_mu),
        )
    return "split?", None


def _deducted(zone: ZoneConfig) -> set[str]:
    return set(zone.land.deduct) if zone.land is not None else {"outside_park", "river", "steep"}


def land_basis(zone: ZoneConfig, parts: LandParts, declared_mu: float | None, roads: np.ndarray) -> LandBasis:
    """Return the land basis of a site cut into ``parts`` (:func:`gis.land.land_parts`, zone CRS)
    for a project declaring ``declared_mu`` 亩, with ``roads`` (line geometries) for the split.

    Parts the zone file does not deduct stay in the net area (and are not listed)."""
    deduct = _deducted(zone)
    kept = [Deduction(p.kind, p.name, p.area_m2, p.geometry) for p in parts.parts if p.kind in deduct]
    net_geom = parts.net
    if len(kept) != len(parts.parts):
        net_geom = shapely.union_all([parts.net, *(p.geometry for p in parts.parts if p.kind not in deduct)])
    parcel_mu = parts.gross_m2 / MU_M2
    net_mu = float(net_geom.area) / MU_M2
    kind, reason = _grant(zone, parcel_mu, net_mu, declared_mu)
    rules = zone.land
    split_rule = rules.split if rules is not None else None
    whole = LandBasis(
        parcel_mu=parcel_mu,
        net_mu=net_mu,
        granted_mu=net_mu,
        declared_mu=declared_mu,
        basis="net",
        reason=reason or msg("land.reason.no_geometry", net=fmt(net_mu)),
        deductions=tuple(kept),
        min_remainder_mu=split_rule.min_remainder_mu if split_rule else None,
        road_access_m=split_rule.road_access_m if split_rule else None,
    )
    if kind == "net":
        return whole
    assert split_rule is not None and declared_mu is not None
    cut = split_parcel(parts.gross, net_geom, declared_mu * MU_M2, roads, access_m=split_rule.road_access_m)
    if cut is None:
        return replace(
            whole,
            reason=msg(
                "land.reason.no_road_access",
                declared=fmt(declared_mu),
                net=fmt(net_mu),
                access=fmt(split_rule.road_access_m, 0),
            ),
        )
    return replace(
        whole,
        granted_mu=declared_mu,
        basis="split",
        reason=msg(
            "land.reason.split",
            declared=fmt(declared_mu),
            net=fmt(net_mu),
            left=fmt(cut.remainder_net_m2 / MU_M2),
            min=fmt(split_rule.min_remainder_mu),
            road=fmt(cut.remainder_road_m, 0),
        ),
        split=cut,
    )


def land_from_site(zone: ZoneConfig, site: Site, declared_mu: float | None) -> LandBasis:
    """Return the land basis from the measures the score run stored per parcel (the site's
    ``buildable_share``, ``river_share``/``river_name``, ``outside_park_share``), without
    geometry: the parts' areas are shares × parcel area (river and outside-park parts taken as
    disjoint, the steep part the rest of the deduction), and no split is proposed.

    A parcel without the measures counts as wholly buildable."""
    deduct = _deducted(zone)
    kept: list[Deduction] = []
    for m in site.land:
        gross = m.area_mu * MU_M2
        outside = _share(m.outside_park_share) * gross if "outside_park" in deduct else 0.0
        river = _share(m.river_share) * gross if "river" in deduct else 0.0
        buildable = _share(m.buildable_share, default=1.0)
        taken = (1.0 - buildable) * gross
        steep = max(taken - outside - river, 0.0) if "steep" in deduct else 0.0
        if outside > 0:
            kept.append(Deduction("outside_park", None, outside))
        if river > 0:
            kept.append(Deduction("river", m.river_name, river))
        if steep > 0.01:
            kept.append(Deduction("steep", None, steep))
    parcel_mu = site.area_mu
    net_mu = parcel_mu - sum(d.area_m2 for d in kept) / MU_M2
    kind, reason = _grant(zone, parcel_mu, net_mu, declared_mu)
    if reason is None:  # a split would be worth trying, but there is no geometry here
        reason = msg("land.reason.no_geometry", net=fmt(net_mu))
    split_rule = zone.land.split if zone.land is not None else None
    return LandBasis(
        parcel_mu=parcel_mu,
        net_mu=net_mu,
        granted_mu=net_mu,
        declared_mu=declared_mu,
        basis="net",
        reason=reason,
        deductions=tuple(_merge(kept)),
        min_remainder_mu=split_rule.min_remainder_mu if split_rule else None,
        road_access_m=split_rule.road_access_m if split_rule else None,
        computed_from="measures",
    )


def _merge(parts: list[Deduction]) -> list[Deduction]:
    """Return the parts of a many-parcel site summed per kind and name, in first-seen order."""
    out: dict[tuple[str, str | None], float] = {}
    for p in parts:
        out[(p.kind, p.name)] = out.get((p.kind, p.name), 0.0) + p.area_m2
    return [Deduction(k, n, a) for (k, n), a in out.items()]


def _share(v: float | None, default: float = 0.0) -> float:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return default
    return min(max(float(v), 0.0), 1.0)


def land_on_context(ctx: ZoneContext, zone: ZoneConfig, geom: Any, declared_mu: float | None) -> LandBasis:
    """Return the land basis of the site ``geom`` (a polygon in the zone CRS) cut from the
    context's park union, river control zones, slope grids and roads (:func:`land_basis`).

    ``zone`` gives the rules (the database's, with edited clusters; its ``land`` section)."""
    parts = land_parts(
        geom,
        ctx.exclusion_zones(),
        [s.slope_deg for s in ctx.surfaces],
        ctx.natural_limit_pct,
    )
    roads_layer = ctx.layers.get("roads")
    roads = geometry_array(roads_layer) if roads_layer is not None else np.empty(0, dtype=object)
    return land_basis(zone, parts, declared_mu, roads)
