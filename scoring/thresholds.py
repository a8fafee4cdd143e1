"""Intensity thresholds of a project (表9-6, or the 表6-1 targets as reference) and the largest
area its investment and output justify."""

from __future__ import annotations

from dataclasses import dataclass

from gis.messages import Message, Name, msg
from scoring.citations import cite
from scoring.industry import Classification, classify_industry
from scoring.project import Project
from scoring.zone import ZoneConfig


@dataclass(frozen=True)
class Thresholds:
    """Investment and output intensity thresholds (万元/亩) and where they come from.

    ``reference`` is True when they are the plan's 表6-1 targets (the industry has no 表9-6
    row): the intensity rules then only ask for review."""

    investment: float | None
    output: float | None
    source: Message | Name
    reference: bool


@dataclass(frozen=True)
class JustifiedArea:
    """The largest site area (亩) a project's investment and output justify, and on what basis."""

    mu: float
    investment_threshold: float
    output_threshold: float
    basis: Message | Name
    reference: bool  # True when the thresholds are 表6-1 reference targets, not a 表9-6 row


def thresholds_for(zone: ZoneConfig, cls: Classification) -> Thresholds:
    """Return the intensity thresholds (万元/亩) for a classified project: its 表9-6 row, or the
    表6-1 targets as reference (``reference=True``) when the plan gives the industry no row."""
    if cls.condition is not None:
        c = cls.condition
        return Thresholds(
            c.investment_intensity_wan_per_mu,
            c.output_intensity_wan_per_mu,
            msg("source.condition_row", cite=cite(c.source), industry=Name(c.industry, c.name_en)),
            False,
        )
    if zone.targets is not None:
        t = zone.targets
        return Thresholds(
            t.investment_intensity_wan_per_mu,
            t.output_intensity_wan_per_mu,
            msg("source.targets_reference", cite=cite(t.source), year=t.year),
            True,
        )
    return Thresholds(None, None, msg("source.no_threshold"), True)


def justified_area(
    zone: ZoneConfig, project: Project, cls: Classification | None = None
) -> JustifiedArea | None:
    """Return the largest area (亩) the project's investment and output justify:
    ``min(investment_wan ÷ investment threshold, output_wan ÷ output threshold)``; None when
    neither threshold exists. Thresholds from :func:`thresholds_for`."""
    cls = cls or classify_industry(zone, project)
    th = thresholds_for(zone, cls)
    candidates = []
    if th.investment:
        candidates.append(project.investment_wan / th.investment)
    if th.output:
        candidates.append(project.output_wan / th.output)
    if not candidates:
        return None
    return JustifiedArea(min(candidates), th.investment or 0.0, th.output or 0.0, th.source, th.reference)
