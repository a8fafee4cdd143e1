"""The land basis in the API: ``land`` of ``POST /check`` (:class:`LandOut`) and
``POST /check/land`` (:class:`LandRequest` → :class:`LandResponse`), see :mod:`scoring.land`."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Lang = Literal["zh", "en"]  # as app.api.models.Lang


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LandDeductionOut(BaseModel):
    kind: Literal["outside_park", "river", "steep"]
    name: str | None = Field(description="the river's name (river parts)")
    area_m2: float
    area_mu: float
    label: str


class LandSplitOut(BaseModel):
    granted_mu: float = Field(description="gross area of the granted piece (亩)")
    granted_net_mu: float = Field(description="its net buildable area: the declared demand (亩)")
    remainder_mu: float
    remainder_net_mu: float
    min_remainder_mu: float | None
    granted_road_m: float = Field(description="distance of the granted piece to the nearest road (m)")
    remainder_road_m: float
    road_access_m: float | None


class LandOut(BaseModel):
    """The land basis: which area the intensities are computed on, and why."""

    parcel_mu: float = Field(description="gross area of the site (亩)")
    net_mu: float = Field(description="net buildable area: gross minus the constrained parts (亩)")
    granted_mu: float = Field(description="the area the intensity rules divide by (亩)")
    declared_mu: float | None = Field(description="the project's declared land demand (亩)")
    basis: Literal["split", "net"]
    basis_label: str
    reason: str
    computed_from: Literal["geometry", "measures"]
    deductions: list[LandDeductionOut]
    split: LandSplitOut | None
    geometry: dict[str, Any] | None = Field(
        None, description="constrained parts, granted piece, remainder and cut: GeoJSON, WGS 84"
    )


class LandResponse(LandOut):
    formulas: dict[str, str] = Field(
        default_factory=dict,
        description="投资强度/产出强度 on the granted area, as the check's intensity rules write them",
    )


class LandRequest(_In):
    parcel_id: str | None = None
    parcel_ids: list[str] | None = Field(None, description="a site of adjacent parcels in one cluster")
    land_mu: float | None = Field(None, ge=0, description="the declared land demand (亩)")
    investment_wan: float | None = Field(None, ge=0, description="investment (万元), for the formula")
    output_wan: float | None = Field(None, ge=0, description="annual output (万元), for the formula")
    lang: Lang | None = Field(None, description="zh or en (default: Accept-Language, else zh)")
