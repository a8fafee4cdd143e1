"""A zone's rules as configuration: parks and clusters (表8-1), the positive list (表9-5),
admission conditions (表9-6), per-亩 plan targets (表6-1), land-use controls, and the
site-scoring criteria, weights and hard constraints; also where the zone lies (county, park
landmarks, :mod:`scoring.zone_places`) and which data files hold the rest of its facts
(``data``: layers, DEMs, the existing enterprises of :mod:`scoring.enterprises`).

One YAML file per zone (``data/zones/<zone>.yaml``) is loaded into these pydantic models by
:func:`load_zone`. Every record that holds a number carries ``source`` (where the number came
from). A bad file raises :class:`gis.errors.ConfigError` naming each field path and problem.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from pydantic import Field, field_validator, model_validator
from pyproj import CRS
from pyproj.exceptions import CRSError as PyprojCRSError

from gis.errors import ConfigError
from gis.messages import msg
from scoring.ahp import AHPResult, ahp_weights, check_consistency
from scoring.config_base import ConfigModel, NonNeg, Pct, Source, read_yaml, validate
from scoring.functions import ValueFunction
from scoring.land_codes import CodeTable
from scoring.land_config import LandFactor, LandRules
from scoring.supervision import SupervisionRules
from scoring.zone_places import County, Landmark

_Model = ConfigModel


# --------------------------------------------------------------------------- zone and layout


class ZoneInfo(_Model):
    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]*$")]
    name: str
    name_en: str
    crs: str = Field(description="projected CRS used for all computation, e.g. EPSG:4546")
    level: str | None = None
    approved_on: str | None = None
    approved_by: str | None = None
    planned_area_km2: NonNeg | None = None
    plan: str | None = Field(None, description="title of the plan the rules come from")
    source: Source

    @field_validator("crs")
    @classmethod
    def _projected(cls, v: str) -> str:
        try:
            crs = CRS.from_user_input(v)
        except PyprojCRSError as exc:
            raise ValueError(f"not a CRS pyproj understands: {v!r}") from exc
        if not crs.is_projected:
            raise ValueError(f"{v} is not a projected CRS; computation needs metres (e.g. EPSG:4546)")
        return v


#: Whose judgement an admitted industry is: the plan's table (表8-1 names it in the cluster's
#: directions) or the zone file's own reading (本系统判断).
AdmitBasis = Literal["plan", "parksite"]


class Admit(_Model):
    """An industry (产业大类) a cluster admits; ``branches`` limits it to some 二级产业方向.

    ``industry`` may be the positive list's catch-all (其它国家鼓励发展的产业项目) with
    ``encouraged``: the words of 表8-1's directions (3D打印 …) a catch-all project's description
    must contain to be admitted here. ``basis`` says whose judgement the entry is (``plan``: 表8-1
    names it; ``parksite``: the zone file's own reading, with ``note`` saying why); null when
    unstated (an entry written on the map)."""

    industry: str
    branches: list[str] | None = None
    encouraged: list[str] | None = Field(
        None, description="catch-all only: words of 表8-1 a project's encouraged_description must contain"
    )
    basis: AdmitBasis | None = None
    note: str | None = Field(None, description="why, for an entry that is the zone file's judgement")

    def stored(self) -> dict[str, object]:
        """Return the entry as stored (JSON): ``industry`` and ``branches``, and ``encouraged``,
        ``basis`` and ``note`` only when set."""
        out: dict[str, object] = {"industry": self.industry, "branches": self.branches}
        for key in ("encouraged", "basis", "note"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out


class Cluster(_Model):
    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]*$")]
    name: str
    name_en: str
    kind: Literal["industrial", "public_service", "service", "reserve"]
    area_mu: NonNeg | None = Field(None, description="planned area in 亩, where the plan gives one")
    directions: str = Field(description="发展方向 in the plan's words")
    admits: list[Admit] | None = Field(
        default_factory=list,
        description="表8-1 admitted industries; null: not set yet (a cluster drawn on the map), "
        'its parcels are "review" for the cluster rule until they are set',
    )
    admits_encouraged_under_review: bool = Field(
        False, description="产业备用地: nationally encouraged projects admitted, under review"
    )
    source: Source

    @property
    def admits_unset(self) -> bool:
        """True when the cluster's admitted industries are not set yet (``admits`` null and not
        产业备用地): the admission check says "review" for its parcels."""
        return self.admits is None and not self.admits_encouraged_under_review


class ParkServices(_Model):
    """Names of the features (in the zone's layers) that serve a park: for capacity checks.
    The figures, where given, are the plan's (design capacities; the capacity checks use the
    layers' own figures) and need ``source``."""

    substation: str | None = None
    substation_kv: NonNeg | None = Field(default=None, description="voltage of the substation, kV")
    water: list[str] = Field(default_factory=list)
    wastewater_plant: str | None = None
    wastewater_capacity_m3_per_day: NonNeg | None = Field(
        default=None, description="design capacity, near term"
    )
    wastewater_capacity_future_m3_per_day: NonNeg | None = Field(
        default=None, description="design capacity after planned works (远期)"
    )
    facilities: list[ServiceFacility] = Field(
        default_factory=list, description="which of the names above the plan names (else illustrative)"
    )
    source: Source | None = None

    @model_validator(mode="after")
    def _figures_have_a_source(self) -> ParkServices:
        figures = (
            self.substation_kv,
            self.wastewater_capacity_m3_per_day,
            self.wastewater_capacity_future_m3_per_day,
        )
        if self.source is None and any(v is not None for v in figures):
            raise ValueError("services with figures (kV, m³/d) need a source")
        return self


class ServiceFacility(_Model):
    """A facility the zone file names among a park's services, and whether the plan names it:
    ``illustrative`` facilities are the sample's (the plan does not name them), ``note`` and
    ``note_en`` say what the plan says instead."""

    name: str
    illustrative: bool = False
    note: str | None = None
    note_en: str | None = None
    source: Source

    @model_validator(mode="after")
    def _illustrative_has_note(self) -> ServiceFacility:
        if self.illustrative and not (self.note and self.note_en):
            raise ValueError(f"illustrative facility {self.name!r} needs note and note_en")
        return self


class Park(_Model):
    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]*$")]
    name: str
    name_en: str
    area_km2: NonNeg
    towns: list[str] = Field(default_factory=list)
    bounds: str | None = None
    services: ParkServices = Field(default_factory=ParkServices)
    landmarks: list[Landmark] = Field(
        default_factory=list, description="places the plan locates the park against (a dam, the county seat)"
    )
    clusters: list[Cluster] = Field(min_length=1)
    source: Source

    def landmark(self, kind: str) -> Landmark | None:
        """Return the park's first landmark of ``kind`` (e.g. ``reservoir_dam``), or None."""
        return next((m for m in self.landmarks if m.kind == kind), None)


# --------------------------------------------------------------------------- industries


Guidance = Literal["controlled", "cultivate", "encourage", "encourage_strict", "market"]


class Branch(_Model):
    """二级产业方向 with its 发展导向 (``guidance`` in the plan's words, ``level`` as a code)."""

    name: str
    name_en: str
    guidance: str
    level: Guidance
    admission: str | None = Field(
        None, description="表9-6 row for this branch when it differs from its industry's"
    )
    source: Source


class Industry(_Model):
    """产业大类 of the positive list."""

    name: str
    name_en: str
    aliases: list[str] = Field(default_factory=list)
    admission: str | None = Field(None, description="表9-6 row (by industry name) that applies")
    branches: list[Branch] = Field(min_length=1)
    source: Source

    def branch(self, name: str) -> Branch | None:
        return next((b for b in self.branches if b.name == name), None)


class CatchAll(_Model):
    name: str
    name_en: str
    level: Literal["review"] = "review"
    source: Source


class PositiveList(_Model):
    industries: list[Industry] = Field(min_length=1)
    catch_all: CatchAll | None = None
    outside_list: Literal["fail"] = "fail"
    only_inside_parks: bool = True
    source: Source


class AdmissionCondition(_Model):
    """One row of the admission conditions (表9-6): thresholds a project must meet."""

    industry: str
    name_en: str
    investment_intensity_wan_per_mu: NonNeg
    output_intensity_wan_per_mu: NonNeg
    online_monitoring_required: bool
    waste_treatment_pct_min: Pct
    water_energy: str | None = Field(None, description="单位产值水耗/能耗: per industry norms")
    source: Source


class ProjectPhase(_Model):
    """A 建设时序 of the plan's project list (计划实施 …)."""

    name: str
    name_en: str


class ProjectPhases(_Model):
    """The plan's 建设时序 in the order projects are placed (``parksite plan-report --allocate``)."""

    order: list[ProjectPhase] = Field(min_length=1)
    source: Source

    def rank(self, phase: str) -> int:
        """Return the place of ``phase`` in :attr:`order` (phases not listed come last)."""
        names = [p.name for p in self.order]
        return names.index(phase) if phase in names else len(names)


class PlanTargets(_Model):
    """Per-亩 targets of the plan (表6-1)."""

    year: int
    output_intensity_wan_per_mu: NonNeg
    investment_intensity_wan_per_mu: NonNeg
    source: Source


class LandControls(_Model):
    """Land-use control defaults written into 标准地 sheets."""

    building_coefficient_min_pct: Pct
    admin_living_max_pct: Pct
    green_ratio_max_pct: Pct
    source: Source


# --------------------------------------------------------------------------- scoring


class SlopeLimit(_Model):
    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    name: str
    max_pct: Annotated[float, Field(gt=0, le=100)]
    source: Source


class Criterion(_Model):
    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    name: str
    name_en: str
    measure: str = Field(description="parcel measure column, e.g. slope_mean_deg")
    unit: str
    function: ValueFunction
    weight: Annotated[float, Field(ge=0)] | None = None
    source: Source


class Constraint(_Model):
    """A hard constraint: a parcel is excluded when ``measure`` ``op`` ``value`` holds.

    ``message``/``message_en`` are format strings; ``{value}`` is the parcel's measure and
    ``{name}`` the ``name_field`` value (e.g. the river's name)."""

    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    measure: str
    op: Literal[">", ">=", "<", "<=", "==", "!="]
    value: float | str
    name_field: str | None = None
    message: str
    message_en: str
    source: Source


class ScoreClass(_Model):
    name: str
    name_en: str
    min_score: Annotated[float, Field(ge=0, le=100)]


class AHPMatrix(_Model):
    """Saaty pairwise comparisons; entries may be written as fractions ("1/3")."""

    criteria: list[str] = Field(min_length=2)
    matrix: list[list[Annotated[float, Field(gt=0)]]]
    source: Source

    @field_validator("matrix", mode="before")
    @classmethod
    def _fractions(cls, v: object) -> object:
        if isinstance(v, list):
            return [[parse_saaty(x) for x in row] if isinstance(row, list) else row for row in v]
        return v


def parse_saaty(x: object) -> object:
    """Return a pairwise judgement as a float; accepts numbers and fractions like "1/3"."""
    if isinstance(x, str) and "/" in x:
        num, _, den = x.partition("/")
        try:
            return float(num) / float(den)
        except (ValueError, ZeroDivisionError):
            return x
    return x


class NetworkDestination(_Model):
    """A destination reached along the road network: a named road, or places of a kind."""

    name: str
    name_en: str
    road: str | None = None
    place_kind: str | None = None

    @model_validator(mode="after")
    def _one(self) -> NetworkDestination:
        if (self.road is None) == (self.place_kind is None):
            raise ValueError("give exactly one of 'road' or 'place_kind'")
        return self


class Scoring(_Model):
    method: Literal["weighted_sum", "weighted_product", "owa"] = "weighted_sum"
    owa_order_weights: list[Annotated[float, Field(ge=0)]] | None = None
    weights_from: Literal["direct", "ahp"] = "direct"
    ahp: AHPMatrix | None = None
    min_score: Annotated[float, Field(ge=0, le=100)] = Field(
        description="lowest suitability score at which a parcel may be offered to a project"
    )
    classes: list[ScoreClass] = Field(min_length=1)
    slope_limits: list[SlopeLimit] = Field(min_length=1)
    natural_slope_limit: str = Field(description="id of the slope limit for natural ground")
    planned_slope_limit: str = Field(description="id of the slope limit for the planned surface")
    destinations: dict[str, NetworkDestination] = Field(default_factory=dict)
    criteria: list[Criterion] = Field(min_length=1)
    constraints: list[Constraint] = Field(default_factory=list)
    land_factor: LandFactor | None = Field(
        default=None, description="scale the score by the buildable share (scoring.land_config)"
    )
    source: Source

    @model_validator(mode="after")
    def _consistent(self) -> Scoring:
        ids = [c.id for c in self.criteria]
        if len(set(ids)) != len(ids):
            raise ValueError(f"criterion ids must be unique: {ids}")
        limit_ids = {s.id for s in self.slope_limits}
        for field in ("natural_slope_limit", "planned_slope_limit"):
            if getattr(self, field) not in limit_ids:
                raise ValueError(f"{field} {getattr(self, field)!r} is not one of {sorted(limit_ids)}")
        mins = [c.min_score for c in self.classes]
        if mins != sorted(mins, reverse=True) or mins[-1] != 0:
            raise ValueError("classes must be ordered best first by min_score, the last with min_score 0")
        if self.weights_from == "direct":
            missing = [c.id for c in self.criteria if c.weight is None]
            if missing:
                raise ValueError(f"weights_from is 'direct' but these criteria have no weight: {missing}")
            if sum(c.weight or 0 for c in self.criteria) <= 0:
                raise ValueError("criterion weights must not all be 0")
        else:
            if self.ahp is None:
                raise ValueError("weights_from is 'ahp' but no 'ahp' matrix is given")
            if sorted(self.ahp.criteria) != sorted(ids):
                raise ValueError(f"ahp.criteria {self.ahp.criteria} must name exactly the criteria {ids}")
            n = len(self.ahp.criteria)
            if len(self.ahp.matrix) != n or any(len(r) != n for r in self.ahp.matrix):
                raise ValueError(f"ahp.matrix must be {n}×{n} for {n} criteria")
            try:
                check_consistency(
                    ahp_weights(self.ahp.matrix, where="ahp.matrix", labels=self.ahp.criteria),
                    where="ahp.matrix",
                )
            except ConfigError as exc:
                raise ValueError(str(exc)) from exc
        if self.method == "owa":
            if not self.owa_order_weights or len(self.owa_order_weights) != len(self.criteria):
                raise ValueError("method 'owa' needs owa_order_weights, one per criterion")
        return self

    def ahp_result(self) -> AHPResult | None:
        """Return the AHP result when weights come from the pairwise matrix, else None."""
        return ahp_weights(self.ahp.matrix) if self.weights_from == "ahp" and self.ahp else None

    def weights(self) -> dict[str, float]:
        """Return the criterion weights (sum 1), keyed by criterion id, from the file or AHP."""
        if self.weights_from == "ahp" and self.ahp is not None:
            w = ahp_weights(self.ahp.matrix).weights
            by_id = dict(zip(self.ahp.criteria, (float(x) for x in w)))
            return {c.id: by_id[c.id] for c in self.criteria}
        raw = np.array([c.weight or 0.0 for c in self.criteria], dtype=float)
        return {c.id: float(x) for c, x in zip(self.criteria, raw / raw.sum())}

    def slope_limit(self, limit_id: str) -> SlopeLimit:
        return next(s for s in self.slope_limits if s.id == limit_id)

    def classify(self, score: float) -> ScoreClass:
        """Return the class (优/良/中/差 …) of a 0–100 score."""
        return next(c for c in self.classes if score >= c.min_score)


class ZoneData(_Model):
    """Paths of the zone's data files, relative to the zone file."""

    layers: str | None = Field(default=None, description="GeoPackage with parks, clusters, parcels, …")
    dems: list[str] = Field(default_factory=list)
    enterprises: str | None = Field(
        default=None, description="YAML list of the existing enterprises (表2-1), read by scoring.enterprises"
    )
    evaluation: str | None = Field(
        default=None, description="YAML of the 亩均效益 evaluation method, read by scoring.evaluation_method"
    )
    zone_report: str | None = Field(
        default=None, description="YAML of the zone report (TD/T 1029, 表6-1), read by scoring.zone_report"
    )


class ExpansionRule(ConfigModel):
    """How an existing enterprise's expansion (技改、扩能) is checked against 表9-6
    (:mod:`scoring.expansion`): ``total`` — the enterprise after the expansion, (existing + added
    investment or output) ÷ (existing + new land); ``added`` — the expansion alone, like a new
    project (added ÷ new land)."""

    basis: Literal["total", "added"]
    source: Source


# --------------------------------------------------------------------------- the zone


class ZoneConfig(_Model):
    zone: ZoneInfo
    county: County | None = None
    data: ZoneData = Field(default_factory=ZoneData)
    parks: list[Park] = Field(min_length=1)
    positive_list: PositiveList
    admission: list[AdmissionCondition] = Field(min_length=1)
    targets: PlanTargets | None = None
    project_phases: ProjectPhases | None = None
    land_controls: LandControls | None = None
    land: LandRules | None = Field(default=None, description="the land basis of a check (scoring.land)")
    land_codes: dict[str, CodeTable] = Field(
        default_factory=dict, description="code tables (dlbm: 三调 codes → status), scoring.land_codes"
    )
    scoring: Scoring
    supervision: SupervisionRules | None = Field(
        None, description="供后监管 rules (idle land, clearance, 达产复核), scoring.supervision"
    )
    expansion: ExpansionRule | None = Field(
        None, description="how an existing enterprise's expansion is checked (scoring.expansion)"
    )

    @model_validator(mode="after")
    def _references(self) -> ZoneConfig:
        problems: list[str] = []
        park_ids = [p.id for p in self.parks]
        cluster_ids = [c.id for p in self.parks for c in p.clusters]
        for label, ids in (("park", park_ids), ("cluster", cluster_ids)):
            dupes = sorted({i for i in ids if ids.count(i) > 1})
            if dupes:
                problems.append(f"{label} ids must be unique, repeated: {dupes}")
        rows = {a.industry for a in self.admission}
        industries = {i.name: i for i in self.positive_list.industries}
        for i, ind in enumerate(self.positive_list.industries):
            if ind.admission is not None and ind.admission not in rows:
                problems.append(
                    f"positive_list.industries.{i}.admission: {ind.admission!r} is not an admission row {sorted(rows)}"
                )
            for j, br in enumerate(ind.branches):
                if br.admission is not None and br.admission not in rows:
                    problems.append(
                        f"positive_list.industries.{i}.branches.{j}.admission: {br.admission!r} is not an admission row"
                    )
        for p_i, park in enumerate(self.parks):
            for c_i, cl in enumerate(park.clusters):
                for a_i, adm in enumerate(cl.admits or []):
                    where = f"parks.{p_i}.clusters.{c_i}.admits.{a_i}"
                    if self.is_catch_all(adm.industry):
                        if not adm.encouraged or adm.branches:
                            problems.append(
                                f"{where}: the catch-all {adm.industry!r} is admitted by words "
                                "(encouraged: [3D打印, …]), without branches"
                            )
                        continue
                    if adm.encouraged:
                        problems.append(f"{where}.encouraged: only for the catch-all, not {adm.industry!r}")
                    admitted = self.find_industry(adm.industry)
                    if admitted is None:
                        problems.append(f"{where}.industry: {adm.industry!r} is not on the positive list")
                        continue
                    for b in adm.branches or []:
                        if admitted.branch(b) is None:
                            problems.append(f"{where}.branches: {b!r} is not a branch of {admitted.name}")
        if problems:
            raise ValueError("; ".join(problems))
        del industries
        return self

    # ---- look-ups used by scoring and admission

    def find_industry(self, name: str) -> Industry | None:
        """Return the positive-list industry named ``name`` (or one of its aliases)."""
        for ind in self.positive_list.industries:
            if name == ind.name or name in ind.aliases:
                return ind
        return None

    def is_catch_all(self, name: str) -> bool:
        """Return True when ``name`` is the positive list's catch-all (其它国家鼓励发展的产业项目)."""
        ca = self.positive_list.catch_all
        return ca is not None and name in {ca.name, ca.name_en}

    def facility(self, name: str) -> ServiceFacility | None:
        """Return what the zone file says of a service facility named ``name`` (None: nothing)."""
        for p in self.parks:
            for f in p.services.facilities:
                if f.name == name:
                    return f
        return None

    def admission_for(self, industry: Industry, branch: Branch | None = None) -> AdmissionCondition | None:
        """Return the 表9-6 row that applies to an industry (or its branch), or None."""
        key = (branch.admission if branch and branch.admission else None) or industry.admission
        return next((a for a in self.admission if a.industry == key), None) if key else None

    def park(self, park_id: str) -> Park:
        return next(p for p in self.parks if p.id == park_id)

    def cluster(self, cluster_id: str) -> Cluster:
        return next(c for p in self.parks for c in p.clusters if c.id == cluster_id)

    def clusters(self) -> list[tuple[Park, Cluster]]:
        return [(p, c) for p in self.parks for c in p.clusters]


def parse_zone(data: object, *, path: Path | str = "<zone>") -> ZoneConfig:
    """Return the validated ZoneConfig for already-parsed YAML ``data``; ConfigError if invalid."""
    path = Path(path)
    if not isinstance(data, dict):
        raise ConfigError(
            "the zone file must be a YAML mapping with zone, parks, positive_list, …",
            where=str(path),
            msg=msg("error.zone.not_mapping"),
        )
    return validate(ZoneConfig, data, path, "the zone file")


def load_zone(path: Path | str) -> ZoneConfig:
    """Read and validate a zone YAML file; raise ConfigError naming each bad field path."""
    data = read_yaml(path, "zone file", "give the path of a zone YAML file, e.g. data/zones/jiaokou.yaml")
    return parse_zone(data, path=path)


def zone_data_path(zone_file: Path | str, relative: str) -> Path:
    """Return ``relative`` (from the zone file's ``data`` section) resolved against the file."""
    return (Path(zone_file).resolve().parent / relative).resolve()
