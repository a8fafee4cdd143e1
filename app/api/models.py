"""Pydantic models of the API's requests and responses (they make the OpenAPI document).

Geometry in requests and responses is GeoJSON in WGS 84 (RFC 7946, lon/lat). Areas are m² and
亩, money 万元, distances m, slopes °.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.api.land_models import LandOut, LandRequest, LandResponse
from scoring.rulebook import Status
from scoring.zone import AdmissionCondition, PositiveList

Lang = Literal["zh", "en"]

__all__ = ["LandOut", "LandRequest", "LandResponse"]  # re-exported: the land basis (app.api.land_models)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --------------------------------------------------------------------------- errors and auth


class FieldError(BaseModel):
    """One field of a request that does not match the API document."""

    loc: list[str] = Field(description='where, e.g. ["query", "offset"] or ["body", "project", "name"]')
    in_: str = Field(alias="in", description="path, query, header or body")
    field: str = Field(description="the field's name (a dotted path in a body)")
    type: str = Field(description="what is wrong (pydantic's error type, e.g. less_than_equal)")
    message: str = Field(description="what is wrong, in the request's language")


class ErrorBody(BaseModel):
    """Every error, request validation included: its type, what is wrong, where and what to do."""

    model_config = ConfigDict(extra="allow")

    error: str = Field(description="error type, e.g. NotFoundError, InvalidParameterError, SchemaError")
    message: str = Field(description="what is wrong and what to do, in the request's language")
    where: str | None = None
    hint: str | None = Field(None, description="what to do (English; null when message says it)")
    message_zh: str | None = Field(None, description="the message in Chinese")
    message_en: str | None = Field(None, description="the message in English")
    errors: list[FieldError] | None = Field(
        None, description="request validation (400 parameters, 422 body): one item per field"
    )


class ConflictBody(ErrorBody):
    """412: the entity changed since the client read it."""

    current_version: int | None = Field(None, description="the entity's version now (None: deleted)")
    feature: dict[str, Any] | None = Field(None, description="the entity now, as a GeoJSON Feature")


class Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="seconds until the token expires")
    role: str


class Me(BaseModel):
    name: str
    role: Literal["viewer", "planner", "manager", "admin"]


# --------------------------------------------------------------------------- GeoJSON


class Geometry(BaseModel):
    """A GeoJSON geometry in WGS 84."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(examples=["Polygon"])
    coordinates: Any = None


class Link(BaseModel):
    href: str
    rel: Literal["self", "next", "prev"]
    type: str = "application/geo+json"


class ParkProperties(BaseModel):
    park_id: str
    name: str
    name_en: str | None
    area_m2: float | None
    area_mu: float | None


class ClusterProperties(BaseModel):
    cluster_id: str
    park: str
    name: str
    name_en: str | None
    kind: Literal["industrial", "public_service", "service", "reserve"]
    directions: str | None
    admits: list[dict[str, Any]] | None = Field(
        description="[{industry, branches}] (表8-1); null: not set yet (checks on it say review)"
    )
    admits_encouraged_under_review: bool
    area_m2: float | None
    area_mu: float | None
    version: int
    updated_at: dt.datetime | None
    updated_by: str | None


class ParcelProperties(BaseModel):
    parcel_id: str
    park: str
    cluster: str | None
    status: Literal["existing", "vacant", "reserved", "public"]
    enterprise: str | None
    land_use: str | None
    area_m2: float
    area_mu: float
    score: float | None = Field(description="suitability 0–100 of the current score run")
    class_: str | None = Field(alias="class", description="score class, e.g. 优 (or 排除)")
    class_en: str | None
    excluded: bool | None = Field(description="excluded by a hard constraint")
    score_stale: bool = Field(description="the geometry changed after the score run")
    version: int


class BreakdownRow(BaseModel):
    criterion: str
    name: str
    name_en: str
    measure: str
    raw: Any = Field(description="the measure, in unit")
    unit: str
    value: float | None = Field(description="criterion value 0–1")
    weight: float
    contribution: float | None = Field(description="score points")
    no_data: bool = False


class ParcelDetailProperties(ParcelProperties):
    updated_at: dt.datetime | None
    updated_by: str | None
    rank: int | None
    eligible: bool | None
    weakest: str | None
    reasons: list[str]
    reasons_en: list[str]
    notes: str | None
    breakdown: list[BreakdownRow]
    measures: dict[str, Any] = Field(description="slope (°, %), earthwork (m³), distances (m), shares")
    standard_land: dict[str, Any] | None = Field(description="标准地 sheet (vacant/reserved parcels)")


class Feature(BaseModel):
    type: Literal["Feature"] = "Feature"
    id: str | int | None = None
    geometry: Geometry | None
    properties: dict[str, Any]


class ParkFeature(Feature):
    properties: ParkProperties


class ClusterFeature(Feature):
    properties: ClusterProperties


class ParcelFeature(Feature):
    properties: ParcelProperties


class ParcelDetail(Feature):
    properties: ParcelDetailProperties


class FeatureCollection(BaseModel):
    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[Feature]
    numberMatched: int | None = None
    numberReturned: int | None = None
    links: list[Link] = Field(default_factory=list)


class ParkCollection(FeatureCollection):
    features: list[ParkFeature]


class ClusterCollection(FeatureCollection):
    features: list[ClusterFeature]


class ParcelCollection(FeatureCollection):
    features: list[ParcelFeature]


# --------------------------------------------------------------------------- zone


class ClusterInfo(BaseModel):
    id: str
    park: str
    name: str
    name_en: str
    kind: str
    in_database: bool = Field(description="the cluster has an outline in the database")
    admits_set: bool = Field(
        True,
        description="false: drawn on the map without admitted industries "
        "yet (admission checks on its parcels say review)",
    )


class ParkInfo(BaseModel):
    id: str
    name: str
    name_en: str
    area_km2: float | None
    clusters: list[str]


class ScoreClassInfo(BaseModel):
    name: str
    name_en: str
    min_score: float


class CriterionInfo(BaseModel):
    id: str
    name: str
    name_en: str
    measure: str
    unit: str
    weight: float = Field(description="normalised weight (sum 1)")


class ScoreRunInfo(BaseModel):
    id: int
    status: str
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    n_parcels: int | None
    n_scored: int | None
    n_excluded: int | None
    error: str | None = None


class SlopeLimitInfo(BaseModel):
    id: str
    name: str
    max_pct: float = Field(description="steepest slope allowed, %")
    max_deg: float = Field(description="the same in degrees: atan(max_pct / 100)")
    source: str


class ScoringInfo(BaseModel):
    method: str
    min_score: float
    classes: list[ScoreClassInfo]
    criteria: list[CriterionInfo]
    constraints: list[dict[str, Any]]
    slope_limits: list[SlopeLimitInfo] = Field(
        description="the zone's slope limits (natural ground, planned surface)"
    )
    natural_slope_limit: str = Field(description="id of the slope limit of natural ground")
    planned_slope_limit: str = Field(description="id of the slope limit of the planned surface")
    latest_run: ScoreRunInfo | None


class ZoneResponse(BaseModel):
    id: str
    name: str
    name_en: str | None
    crs: str
    crs_proj4: str | None = Field(
        description="the zone CRS as a PROJ string (proj4js), for coordinate read-outs"
    )
    bbox: list[float] | None = Field(description="the zone's parks and parcels, WGS 84 minx,miny,maxx,maxy")
    parks: list[ParkInfo]
    clusters: list[ClusterInfo]
    positive_list: PositiveList
    admission: list[AdmissionCondition]
    scoring: ScoringInfo
    layers: list[str]
    tiles: dict[str, str] = Field(description="XYZ tile URL templates")


# --------------------------------------------------------------------------- edits


#: Cluster codes that name API routes under /clusters/ (``GET /clusters/deleted``).
RESERVED_CLUSTER_IDS = frozenset({"deleted"})


class ClusterCreate(_In):
    cluster_id: str = Field(pattern=r"^[a-z][a-z0-9_-]*$", max_length=64, examples=["sc-new"])
    park: str | None = Field(
        None,
        description="park id, e.g. shuangchi; omitted: the park the outline is drawn in (a park "
        "given that is not where the outline lies is refused, naming both)",
    )
    name: str = Field(min_length=1)
    name_en: str | None = None
    kind: Literal["industrial", "public_service", "service", "reserve"] = "industrial"
    directions: str | None = None
    admits: list[dict[str, Any]] | None = Field(
        None,
        description="industries it admits, [{industry, branches (null: all)}] of the positive "
        "list; omitted or null: none yet (admission checks on its parcels say review)",
        examples=[[{"industry": "铝镁新材料", "branches": ["铝基新材料"]}]],
    )
    admits_encouraged_under_review: bool = False
    attrs: dict[str, Any] | None = None
    geometry: dict[str, Any] = Field(description="Polygon/MultiPolygon GeoJSON in WGS 84")

    @field_validator("cluster_id")
    @classmethod
    def _not_a_route(cls, v: str) -> str:
        # /clusters/deleted lists deleted clusters: a cluster of that code could not be read
        if v in RESERVED_CLUSTER_IDS:
            raise ValueError(f"'{v}' is reserved by the API; choose another code")
        return v


class ClusterUpdate(_In):
    name: str | None = None
    name_en: str | None = None
    kind: Literal["industrial", "public_service", "service", "reserve"] | None = None
    directions: str | None = None
    admits: list[dict[str, Any]] | None = Field(
        None, description="[{industry, branches}] of the positive list; null: not set yet"
    )
    admits_encouraged_under_review: bool | None = None
    attrs: dict[str, Any] | None = None
    geometry: dict[str, Any] | None = Field(None, description="Polygon/MultiPolygon GeoJSON in WGS 84")


class ParcelUpdate(_In):
    status: Literal["existing", "vacant", "reserved", "public"] | None = None
    enterprise: str | None = Field(None, description="occupant name; null clears it")
    land_use: str | None = None
    cluster: str | None = Field(None, description="cluster id of the parcel's park; null: none")
    attrs: dict[str, Any] | None = None
    geometry: dict[str, Any] | None = Field(None, description="Polygon/MultiPolygon GeoJSON in WGS 84")


class ChangedCluster(BaseModel):
    """A cluster an edit wrote or deleted, with its new ETag (send it as If-Match next time)."""

    cluster_id: str
    name: str | None
    name_en: str | None
    action: str = Field(description="create, update, delete (or unchanged)")
    version: int
    etag: str | None = Field(description='"<id>-v<version>"; null for a deleted cluster')
    area_m2: float | None
    area_mu: float | None


class EditedCluster(ClusterFeature):
    """A written cluster: the Feature (as GET gives it) plus what the write did."""

    action: str = Field(description="create, update, restore (unchanged: the PUT changed nothing)")
    repairs: list[str] = Field(
        description="repairs of the outline (self-intersections, slivers cut), English"
    )
    repairs_zh: list[str] = Field(default_factory=list, description="the same in Chinese")
    reassigned: list[dict[str, str | None]] = Field(
        description="parcels that changed cluster: [{parcel_id, from, to}]"
    )
    clusters: list[ChangedCluster] = Field(
        default_factory=list,
        description="every cluster the edit changed (this one first, then neighbours that yielded "
        "or received land, or the cluster merged in), each with its new ETag",
    )
    unassigned_m2: float = Field(0.0, description="land this edit left in no cluster, m²")
    unassigned_mu: float = Field(0.0, description="the same in 亩")
    ignored: list[str] = Field(
        default_factory=list,
        description="properties of a PUT Feature that are neither editable nor read-only",
    )


class EditedParcel(ParcelDetail):
    """A written parcel: the Feature (as GET gives it) plus what the write did."""

    action: str = Field(description="update or restore")
    repairs: list[str]
    repairs_zh: list[str] = Field(default_factory=list, description="the repairs in Chinese")


class ClusterDeleted(BaseModel):
    cluster_id: str
    deleted: Literal[True] = True
    version: int = Field(description="the version the deletion is recorded as")
    reassigned: list[dict[str, str | None]] = Field(description="[{parcel_id, from, to}]")


class HistoryEntry(BaseModel):
    version: int
    action: str
    user: str | None
    at: dt.datetime | None
    attrs: dict[str, Any] | None
    geometry: dict[str, Any] | None = Field(description="WGS 84 GeoJSON (None after a deletion)")
    note: str | None = Field(
        description="what the write noted (restored version, repairs, …), in the request's language"
    )
    note_en: str | None = Field(None, description="the note in English")
    note_zh: str | None = Field(None, description="the note in Chinese (a user's own note as written)")


class HistoryResponse(BaseModel):
    entity: Literal["cluster", "parcel"]
    id: str
    current_version: int | None = Field(description="None when the entity was deleted")
    versions: list[HistoryEntry]


# --------------------------------------------------------------------------- checks


class CheckRequest(_In):
    parcel_id: str | None = None
    parcel_ids: list[str] | None = Field(None, description="a site of adjacent parcels in one cluster")
    project: dict[str, Any] = Field(
        description="project file keys: name, industry, branch, investment_wan, output_wan, land_mu, …; "
        "an existing enterprise's expansion adds expansion_of (its name; investment_wan / output_wan "
        "are then the added amounts, land_mu the new land) and optionally existing_land_mu, "
        "existing_investment_wan, existing_output_wan"
    )
    lang: Lang | None = Field(None, description="zh or en (default: Accept-Language, else zh)")
    record: bool = Field(
        False,
        description="also save the project and this check to the register (manager+); "
        "by default a check is not stored — save it with POST /projects",
    )


class ProjectSave(_In):
    project: dict[str, Any] = Field(description="the project, as for POST /check")
    parcel_id: str | None = None
    parcel_ids: list[str] | None = Field(
        None, description="the site it was checked on: the check is run again and saved with it"
    )
    lang: Lang | None = Field(None, description="zh or en (default: Accept-Language, else zh)")


class RuleOut(BaseModel):
    rule: str
    status: Status
    value: Any
    threshold: Any
    unit: str | None
    source: str
    message: str
    fields: list[str] = Field(
        default_factory=list, description="needs_data: the project fields to fill (land_mu …)"
    )
    level: Literal["warning"] | None = Field(
        None, description='"warning": a pass a planner must see (a partial constraint), shown in amber'
    )


class CheckResponse(BaseModel):
    project: str
    parcel_ids: list[str]
    area_mu: float
    verdict: Status
    max_justified_mu: float | None
    max_justified_basis: str | None
    missing_fields: list[str] = Field(
        default_factory=list, description="the fields the needs_data rules ask for, each once"
    )
    land: LandOut | None = None
    expansion: dict[str, Any] | None = Field(
        None,
        description="an existing enterprise's expansion (project.expansion_of): enterprise, basis "
        "(total | added), existing_parcel_ids, existing_land_mu (亩) and existing_land_basis, "
        "existing_investment_wan / existing_output_wan (万元) and existing_figures_basis",
    )
    rules: list[RuleOut]
    notes: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    recorded: dict[str, Any] | None = Field(None, description="{project_id, check_ids} when recorded")


class RecommendRequest(_In):
    project: dict[str, Any]
    top: int = Field(5, ge=1, le=50)
    lang: Lang | None = Field(None, description="zh or en (default: Accept-Language, else zh)")


class CandidateOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    rank: int
    parcel_ids: list[str]
    area_mu: float
    score: float
    weakest: str | None
    reason: str
    verdict: Status
    geometry: dict[str, Any] | None = Field(description="the site (union of its parcels), WGS 84")


class RecommendResponse(BaseModel):
    model_config = ConfigDict(extra="allow")

    project: str
    demand_mu: float
    max_justified_mu: float | None
    candidates: list[CandidateOut]
    note: str | None = None
    notes: list[str] = Field(default_factory=list)


class StandardLandResponse(BaseModel):
    model_config = ConfigDict(extra="allow")

    parcel_id: str
    park: str | None
    cluster: str
    cluster_name: str
    area_mu: float | None
    industries: list[dict[str, Any]]
    land_controls: dict[str, Any] | None
    notes: list[str]


# --------------------------------------------------------------------------- jobs


class JobCreated(BaseModel):
    job_id: str
    status: str
    href: str


class JobStatus(BaseModel):
    job_id: str
    kind: str
    status: Literal["queued", "running", "done", "failed", "interrupted"]
    progress: float = Field(ge=0, le=1)
    message: str | None = Field(description="the current step, English")
    message_en: str | None = Field(None, description="the current step in English (= message)")
    message_zh: str | None = Field(
        None, description="the current step in Chinese (English where there is no translation)"
    )
    counts: dict[str, Any] | None
    error: str | None
    created_at: dt.datetime | None
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    created_by: str | None
    input_name: str | None = None
    results: dict[str, str] = Field(default_factory=dict, description="format → download URL")


class JobList(BaseModel):
    jobs: list[JobStatus]


# --------------------------------------------------------------------------- health


class WarmStepInfo(BaseModel):
    """One step of the process's warm-up (:mod:`app.api.warmup`)."""

    name: str = Field(description="the step, e.g. zone_context, zone_memo")
    status: Literal["pending", "running", "done", "failed", "skipped"]
    seconds: float | None = Field(description="how long it ran (s); null before it ran")
    built: dict[str, Any] | None = Field(description="what it built, e.g. the zone id and data version")
    error: str | None = Field(description="why it failed (it is then built on first use)")


class WarmUpInfo(BaseModel):
    """The process's warm-up: its steps and how far it got."""

    enabled: bool = Field(description="PARKSITE_WARM_ON_START")
    state: Literal["off", "pending", "running", "done"]
    warm: bool = Field(description="every step done")
    seconds: float | None = Field(
        description="time since the warm-up started, or its whole time once done (s)"
    )
    steps: list[WarmStepInfo]


class HealthResponse(BaseModel):
    """The answering server process: alive, and whether its caches are built (``warm``)."""

    status: Literal["ok"] = Field(description="the process answers (the database is not asked)")
    pid: int = Field(description="the server process (one of `parksite serve --workers N`)")
    warm: bool = Field(description="the warm-up built the zone's context and admission state")
    warm_up: WarmUpInfo
