"""Request and response bodies of the cluster edits that change several clusters at once: the
Feature a ``PUT /clusters/{id}`` takes, split, merge, and the land in no cluster."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.api.models import ChangedCluster, ClusterFeature, Feature, FeatureCollection, _In

#: Properties of a cluster Feature the server keeps (sent back as GET gave them: ignored, or
#: checked when they say something — ``cluster_id``, ``park``).
CLUSTER_READ_ONLY = (
    "cluster_id",
    "park",
    "area_m2",
    "area_mu",
    "version",
    "updated_at",
    "updated_by",
    "simplify_m",
    "deviation_m",
)

IF_MATCH_MAP = Field(
    None,
    description="ETags of the other clusters involved, id → ETag (an alternative to one If-Match "
    "tag each; the header wins for an id in both)",
    examples=[{"sc-smart": '"sc-smart-v3"'}],
)


class ClusterFeatureIn(BaseModel):
    """A cluster as a GeoJSON Feature, as ``GET /clusters/{id}`` returns it.

    ``properties`` editable: name, name_en, kind, directions, admits,
    admits_encouraged_under_review, attrs; read-only (ignored, ``cluster_id`` and ``park`` checked):
    cluster_id, park, area_m2, area_mu, version, updated_at, updated_by; anything else is
    ignored and listed in the answer's ``ignored``. ``geometry`` in WGS 84 unless ``crs`` (or
    the ``Content-Crs`` header) says otherwise; one equal to the stored outline within 5 mm is
    no change.
    """

    model_config = ConfigDict(extra="allow")

    type: Literal["Feature"]
    id: str | int | None = None
    geometry: dict[str, Any] | None = None
    properties: dict[str, Any] | None = None
    crs: dict[str, Any] | None = Field(
        None, description='the geometry\'s CRS, e.g. {"type": "name", "properties": {"name": "EPSG:4546"}}'
    )
    if_match: dict[str, str] | None = IF_MATCH_MAP


class SplitPart(_In):
    """One of the two clusters a split makes. Fields not given are the split cluster's."""

    cluster_id: str = Field(
        pattern=r"^[a-z][a-z0-9_-]*$",
        max_length=64,
        description="the split cluster's own id keeps its identity (history); another id is a new cluster",
    )
    name: str | None = Field(None, min_length=1)
    name_en: str | None = None
    kind: Literal["industrial", "public_service", "service", "reserve"] | None = None
    directions: str | None = None
    admits: list[dict[str, Any]] | None = Field(None, description="[{industry, branches}] (表8-1)")
    admits_encouraged_under_review: bool | None = None
    attrs: dict[str, Any] | None = None


class ClusterSplit(_In):
    """``POST /clusters/{id}/split``: a line drawn across the cluster and the two parts."""

    line: dict[str, Any] = Field(
        description="GeoJSON LineString (or a Feature of one), WGS 84 unless crs/Content-Crs, "
        "drawn from outside the cluster across it to outside again"
    )
    parts: list[SplitPart] = Field(
        min_length=2,
        max_length=2,
        description="[left of the line as drawn, right of it]",
    )
    crs: dict[str, Any] | None = None


class ClusterMerge(_In):
    """``POST /clusters/{id}/merge``: the neighbour merged into this cluster, and the merged
    cluster's fields (those not given stay this cluster's)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    with_: str = Field(alias="with", description="id of the neighbouring cluster of the same park")
    name: str | None = Field(None, min_length=1)
    name_en: str | None = None
    kind: Literal["industrial", "public_service", "service", "reserve"] | None = None
    directions: str | None = None
    admits: list[dict[str, Any]] | None = None
    admits_encouraged_under_review: bool | None = None
    attrs: dict[str, Any] | None = None
    if_match: dict[str, str] | None = IF_MATCH_MAP


class SplitResult(BaseModel):
    """The two clusters a split made (left, right) as Features, with what changed."""

    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[ClusterFeature]
    clusters: list[ChangedCluster] = Field(description="written and deleted clusters, new ETags")
    reassigned: list[dict[str, str | None]] = Field(description="[{parcel_id, from, to}]")


class UnassignedProperties(BaseModel):
    park: str
    park_name: str
    park_name_en: str | None
    area_m2: float
    area_mu: float
    parts: int = Field(description="number of separate pieces")


class UnassignedFeature(Feature):
    properties: UnassignedProperties


class UnassignedCollection(FeatureCollection):
    """Each park's land in no cluster (geometry null when there is none), WGS 84."""

    features: list[UnassignedFeature]


__all__ = [
    "CLUSTER_READ_ONLY",
    "ClusterFeatureIn",
    "ClusterMerge",
    "ClusterSplit",
    "SplitPart",
    "SplitResult",
    "UnassignedCollection",
]
