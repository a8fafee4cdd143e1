"""The 亩均效益综合评价 method as data: indicators, weights, benchmarks, cap, scope, exemptions and
classes, read from the file the zone file points to (``data.evaluation``, for Jiaokou
``data/zones/jiaokou/evaluation.yaml``).

:func:`load_method` reads and validates it; :mod:`scoring.evaluation` applies it to a year's
figures. Every number carries ``source`` (the provincial practice it follows, or 本系统默认值).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator

from gis.errors import ConfigError
from gis.messages import msg
from scoring.config_base import ConfigModel, NonNeg, Slug, Source, read_yaml, validate
from scoring.zone import ZoneConfig, load_zone, zone_data_path

#: The figures an indicator may divide (columns of the yearly figures table, see
#: :mod:`scoring.evaluation_figures`).
FIGURE_FIELDS = (
    "land_mu",
    "tax_wan",
    "value_added_wan",
    "revenue_wan",
    "energy_tce",
    "power_10k_kwh",
    "emissions_t",
    "employees",
    "rnd_wan",
)
FigureField = Literal[
    "land_mu",
    "tax_wan",
    "value_added_wan",
    "revenue_wan",
    "energy_tce",
    "power_10k_kwh",
    "emissions_t",
    "employees",
    "rnd_wan",
]

#: The two groups evaluated and ranked apart: 规上 (above designated size) and 规下 (below).
Group = Literal["above", "below"]
GROUPS: tuple[Group, ...] = ("above", "below")


class Benchmark(ConfigModel):
    """An indicator's benchmark (基准值): a set ``value``, or derived as ``factor`` × the zone's
    value of the indicator (Σ numerator ÷ Σ denominator over the group's evaluated enterprises)
    in the evaluated year (``year_offset: 0``) or the year before (``-1``)."""

    value: NonNeg | None = Field(default=None, description="a set benchmark, in the indicator's unit")
    factor: Annotated[float, Field(gt=0)] | None = Field(default=None, description="× the zone's value")
    year_offset: Literal[0, -1] = Field(default=0, description="0 this year, -1 last year")
    source: Source

    @model_validator(mode="after")
    def _one(self) -> Benchmark:
        if (self.value is None) == (self.factor is None):
            raise ValueError("a benchmark has either value or factor, not both and not neither")
        if self.value is not None and self.value <= 0:
            raise ValueError("a set benchmark must be greater than 0")
        return self


class Indicator(ConfigModel):
    """One item of the evaluation: value = ``scale`` × numerator ÷ denominator (in ``unit``);
    points = weight × min(value ÷ benchmark, cap)."""

    id: Slug
    name: str = Field(min_length=1, description="the Chinese name, e.g. 亩均税收")
    name_en: str = Field(min_length=1)
    numerator: FigureField
    denominator: FigureField
    scale: Annotated[float, Field(gt=0)] = Field(default=1.0, description="e.g. 100 for a percentage")
    unit: str = Field(min_length=1, description="e.g. 万元/亩")
    unit_en: str | None = Field(default=None, description="the unit in English, e.g. 10k yuan/mu")
    weight: Annotated[float, Field(gt=0)]
    benchmark: Benchmark
    source: Source


class Scope(ConfigModel):
    """Who is evaluated: every 规上 enterprise; a 规下 one on at least ``below_min_mu`` 亩."""

    below_min_mu: NonNeg = Field(description="规下 enterprises on less land are not evaluated (亩)")
    source: Source


class Exemptions(ConfigModel):
    """Evaluated and listed but not ranked, class T: producing fewer than ``producing_years``
    years in the evaluated year, or of a ``kinds`` (e.g. 公用事业)."""

    producing_years: Annotated[int, Field(ge=0)]
    kinds: list[str] = Field(default_factory=list)
    source: Source


class ClassBand(ConfigModel):
    """A class (A/B/C/D): the enterprises whose share ranked ahead of them is below ``upto``."""

    id: Literal["A", "B", "C", "D"]
    upto: Annotated[float, Field(gt=0, le=1)] = Field(description="cumulative rank share, 0–1")
    name: str = Field(min_length=1, description="e.g. 优先发展类")
    name_en: str = Field(min_length=1)
    policy: str = Field(min_length=1, description="what the zone applies to the class (Chinese)")
    policy_en: str = Field(min_length=1)
    source: Source


class EvaluationMethod(ConfigModel):
    """The whole method: indicators per group, cap, missing-item rule, scope, exemptions,
    classes."""

    title: str
    source: Source
    cap: Annotated[float, Field(gt=0)] = Field(description="an item's value ÷ benchmark is capped here")
    cap_source: Source
    missing: Literal["zero"] = Field(description="an item whose figures are missing scores 0 points")
    missing_source: Source
    indicators: dict[Group, list[Indicator]]
    scope: Scope
    exemptions: Exemptions
    classes: list[ClassBand] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> EvaluationMethod:
        for group in GROUPS:
            if not self.indicators.get(group):
                raise ValueError(f"indicators.{group}: at least one indicator is needed")
            ids = [i.id for i in self.indicators[group]]
            if len(set(ids)) != len(ids):
                raise ValueError(f"indicators.{group}: indicator ids repeat")
        ups = [c.upto for c in self.classes]
        if ups != sorted(ups) or len(set(ups)) != len(ups) or ups[-1] != 1:
            raise ValueError("classes: upto must rise and the last class must reach 1")
        return self

    def class_of(self, share_ahead: float) -> str:
        """Return the class id for an enterprise with ``share_ahead`` (0–1) of its group ranked
        strictly ahead of it: the first class whose ``upto`` exceeds that share."""
        for band in self.classes:
            if share_ahead < band.upto - 1e-12:
                return band.id
        return self.classes[-1].id


def load_method(zone_file: Path | str, zone: ZoneConfig | None = None) -> EvaluationMethod:
    """Return the evaluation method of the zone in ``zone_file`` (its ``data.evaluation`` file).
    ConfigError when the zone names none, or the file is missing or invalid."""
    zone = zone if zone is not None else load_zone(zone_file)
    if zone.data.evaluation is None:
        raise ConfigError(
            "the zone file names no evaluation method (data.evaluation)",
            where=str(zone_file),
            hint="add data.evaluation: <file>.yaml to the zone file",
            msg=msg("error.evaluation.no_method", path=str(zone_file)),
        )
    path = zone_data_path(zone_file, zone.data.evaluation)
    data = read_yaml(path, "evaluation file", f"fix data.evaluation in {zone_file} or create the file")
    return validate(EvaluationMethod, data, path, "the evaluation file")
