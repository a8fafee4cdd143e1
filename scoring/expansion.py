"""An existing enterprise that expands (现有企业技改、扩能), checked like a new project.

The plan (第九章 三、（二）产业准入门槛 第2条): "开发区范围内的现状企业在符合产业准入清单的条件下，其技改、
扩能时需满足产业准入条件". An expansion is a :class:`scoring.project.Project` with ``expansion_of``
(the enterprise) whose ``investment_wan`` / ``output_wan`` are the added amounts and whose site
is its new land — vacant parcels, or the enterprise's own parcels for an upgrade in place. Every
admission rule runs as for a new project; what differs is set by the zone file's ``expansion``
(:class:`scoring.zone.ExpansionRule`):

- ``basis: total`` (Jiaokou; 本系统默认值): the 表9-6 intensities are the enterprise's after the
  expansion, ``(existing + added) ÷ (existing land + new land)`` (万元/亩); the new land is the
  granted area of the site less the site's parcels the enterprise already holds. The existing
  land is, in this order, ``existing_land_mu`` as declared, the area of the parcels the
  enterprise holds (parcel table ``enterprise``, and its land contracts), or 表2-1's 占地面积;
  the existing investment / output as declared, else the enterprise's latest yearly figures. One
  missing → the intensity rule is ``needs_data`` naming the field. The largest new land the
  figures justify is the total's justified area less the existing land.
- ``basis: added``: the expansion alone, added ÷ new land, like any new project.
- Either way the enterprise's own parcels are not "taken" for it (``parcel_vacant``), and an
  upgrade wholly on them needs no new land (``land_demand``).

:func:`resolve_expansion` finds the enterprise — NotFoundError naming the value (and close
names) when the zone knows no such enterprise — and returns the :class:`Expansion` the rules read.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from gis.errors import NotFoundError
from gis.messages import Message, joined, msg
from scoring.enterprises import EnterpriseTable
from scoring.evaluation_figures import Figures
from scoring.project import Project
from scoring.rulebook import fmt


@dataclass(frozen=True)
class Expansion:
    """The enterprise an expansion belongs to, as the rules read it: its ``name``, the parcels it
    holds, its land now (亩, None when unknown) and where that comes from (``land_basis``), its
    fixed-asset investment so far and annual output now (万元, None when unknown) and where those
    come from (``figures_basis``), and the zone's ``basis`` (``total`` or ``added``)."""

    name: str
    parcel_ids: tuple[str, ...]
    land_mu: float | None
    land_basis: Message | None
    investment_wan: float | None
    output_wan: float | None
    figures_basis: Message | None
    basis: str = "total"

    def owns(self, parcel_id: str, enterprise: str | None) -> bool:
        """Return True when the parcel is the enterprise's already."""
        return parcel_id in self.parcel_ids or (enterprise is not None and enterprise == self.name)

    def to_dict(self) -> dict[str, Any]:
        """Return the expansion as JSON data (areas 亩, money 万元); texts still messages."""
        return {
            "enterprise": self.name,
            "basis": self.basis,
            "existing_parcel_ids": list(self.parcel_ids),
            "existing_land_mu": None if self.land_mu is None else round(self.land_mu, 4),
            "existing_land_basis": self.land_basis,
            "existing_investment_wan": self.investment_wan,
            "existing_output_wan": self.output_wan,
            "existing_figures_basis": self.figures_basis,
        }


def known_enterprises(
    table: EnterpriseTable | None, parcels: pd.DataFrame, contracts: Mapping[str, Iterable[str]] | None = None
) -> dict[str, tuple[str, ...]]:
    """Return every enterprise name the zone knows → the parcel ids it holds: 表2-1's rows, the
    parcel table's ``enterprise`` values and the land contracts' enterprises."""
    out: dict[str, list[str]] = {}
    if table is not None:
        for e in table.enterprises:
            out.setdefault(e.name, [])
    if "enterprise" in parcels.columns and "parcel_id" in parcels.columns:
        held = parcels[parcels["enterprise"].notna()]
        for name, pid in zip(held["enterprise"].astype(str), held["parcel_id"].astype(str)):
            out.setdefault(name, []).append(pid)
    for name, ids in (contracts or {}).items():
        out.setdefault(name, []).extend(str(i) for i in ids)
    return {k: tuple(dict.fromkeys(v)) for k, v in out.items()}


def resolve_expansion(
    project: Project,
    basis: str,
    *,
    table: EnterpriseTable | None,
    parcels: pd.DataFrame,
    contracts: Mapping[str, Iterable[str]] | None = None,
    figures: Mapping[int, Iterable[Figures]] | None = None,
    where: str = "expansion_of",
) -> Expansion | None:
    """Return the :class:`Expansion` of ``project`` (None when it expands no enterprise).

    ``parcels`` has ``parcel_id``, ``enterprise`` and ``area_mu``; ``contracts`` maps an enterprise
    to its contracted parcel ids; ``figures`` the yearly figures by year. NotFoundError (at
    ``where``) when the zone knows no enterprise of that name."""
    name = project.expansion_of
    if name is None:
        return None
    known = known_enterprises(table, parcels, contracts)
    if name not in known:
        close = difflib.get_close_matches(name, list(known), n=3, cutoff=0.5)
        raise NotFoundError(
            f"no existing enterprise {name!r} in the zone",
            where=where,
            hint=f"did you mean {', '.join(close)}?"
            if close
            else "give a name of 表2-1 or of an enterprise holding land",
            msg=msg(
                "error.expansion.unknown",
                name=name,
                close=msg("error.project.did_you_mean", names=close) if close else "",
            ),
        )
    ids = known[name]
    land_mu, land_basis = _existing_land(project, name, ids, table, parcels)
    investment, output, figures_basis = _existing_figures(project, name, figures)
    return Expansion(name, ids, land_mu, land_basis, investment, output, figures_basis, basis)


def _existing_land(
    project: Project, name: str, ids: tuple[str, ...], table: EnterpriseTable | None, parcels: pd.DataFrame
) -> tuple[float | None, Message | None]:
    if project.existing_land_mu is not None:
        return project.existing_land_mu, msg("expansion.land.declared")
    if ids and "area_mu" in parcels.columns:
        rows = parcels[parcels["parcel_id"].astype(str).isin(ids)]
        if not rows.empty:
            area = float(rows["area_mu"].sum())
            return area, msg("expansion.land.parcels", parcels=joined(rows["parcel_id"].astype(str)))
    row = next((e for e in table.enterprises if e.name == name), None) if table is not None else None
    if row is not None and row.area_mu is not None:
        return row.area_mu, msg("expansion.land.table", table=table.table if table else "")
    return None, None


def _existing_figures(
    project: Project, name: str, figures: Mapping[int, Iterable[Figures]] | None
) -> tuple[float | None, float | None, Message | None]:
    investment, output = project.existing_investment_wan, project.existing_output_wan
    declared = investment is not None or output is not None
    year = None
    if (investment is None or output is None) and figures:
        for y in sorted(figures, reverse=True):
            f = next((f for f in figures[y] if f.enterprise == name), None)
            if f is not None and (f.investment_wan is not None or f.output_wan is not None):
                year = y
                investment = investment if investment is not None else f.investment_wan
                output = output if output is not None else f.output_wan
                break
    if year is not None:
        return investment, output, msg("expansion.figures.yearly", year=year)
    return investment, output, msg("expansion.figures.declared") if declared else None


def new_land_mu(expansion: Expansion, site: Any, granted_mu: float) -> float:
    """Return the new land (亩) of an expansion on ``site``: the granted area less the area of
    the site's parcels the enterprise already holds (never below 0)."""
    areas = {p.parcel_id: p.area_mu for p in site.land} if site.land else {}
    own = [p for p, e in zip(site.parcel_ids, site.enterprises) if expansion.owns(p, e)]
    if not own:
        return granted_mu
    if len(own) == len(site.parcel_ids):
        return 0.0
    own_mu = sum(areas.get(p, site.area_mu / len(site.parcel_ids)) for p in own)
    return max(0.0, granted_mu - own_mu)


def only_own_parcels(expansion: Expansion | None, site: Any) -> bool:
    """Return True when every parcel of ``site`` is the expanding enterprise's already."""
    return expansion is not None and all(
        expansion.owns(p, e) for p, e in zip(site.parcel_ids, site.enterprises)
    )


def basis_label(expansion: Expansion, new_mu: float, new_basis: Any) -> Message:
    """Return "扩建后企业总用地：现有 50 亩（…）+ 新增 20 亩（申报用地）" as a message."""
    return msg(
        "land.basis.expansion",
        enterprise=expansion.name,
        existing=fmt(expansion.land_mu or 0.0),
        existing_basis=expansion.land_basis or "",
        new=fmt(new_mu),
        new_basis=new_basis,
    )
