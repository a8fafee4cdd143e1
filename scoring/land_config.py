"""The zone file's ``land`` section: what is deducted from a parcel's gross area, the survey
tolerance of the park edge, and when a parcel may be split for a smaller project.

Read by :mod:`scoring.land` (the land basis of a check) and :mod:`scoring.rules_land`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from scoring.config_base import ConfigModel, NonNeg, Source

Deduction = Literal["outside_park", "river", "steep"]


def _all_deductions() -> list[Deduction]:
    return ["outside_park", "river", "steep"]


class SplitRule(ConfigModel):
    """A parcel may be split when the declared demand leaves at least ``min_remainder_mu`` 亩 of
    net buildable land and both pieces lie within ``road_access_m`` metres of a road."""

    min_remainder_mu: Annotated[float, Field(gt=0)]
    road_access_m: NonNeg
    source: Source


class LandRules(ConfigModel):
    """How the land a project would be granted is worked out (see :mod:`scoring.land`)."""

    deduct: list[Deduction] = Field(
        default_factory=_all_deductions,
        description="constrained parts taken off the gross area to give the net buildable area",
    )
    outside_tolerance_m2: NonNeg = Field(
        1.0, description="survey tolerance (m²): a part outside the parks up to this is ignored"
    )
    outside_source: Source
    split: SplitRule | None = None
    source: Source


class LandFactor(ConfigModel):
    """The suitability score is multiplied by the parcel's ``measure`` (a share 0–1 of its area
    that is buildable, e.g. ``buildable_share``); a parcel without the measure keeps its score."""

    measure: str = "buildable_share"
    source: Source
