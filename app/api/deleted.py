"""Deleted clusters (组团) as the API shows them: a GeoJSON FeatureCollection in WGS 84.

Each Feature is a deleted cluster's last state (from the audit log, :mod:`app.db.undelete`)
with who deleted it and when; ``POST /clusters/{id}/undelete`` brings one back.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from app.api.geojson import collection_text, feature_text, geometry_json
from app.api.models import Feature, FeatureCollection
from app.db.audit import note_text
from app.db.models import ZoneRow
from app.db.undelete import DeletedCluster, deleted_clusters


class DeletedClusterProperties(BaseModel):
    cluster_id: str
    park: str | None = Field(description="park id; null when the park is gone")
    name: str | None
    name_en: str | None
    kind: str | None
    version: int = Field(
        description="the version the deletion is recorded as (as DELETE answered); undelete makes version + 1"
    )
    deleted_version: int = Field(description="the last version before the deletion (what undelete restores)")
    deleted_at: dt.datetime | None
    deleted_by: str | None
    area_m2: float | None = Field(description="m², computed in the zone CRS")
    area_mu: float | None = Field(description="亩 (1 亩 = 10000/15 m²)")
    note: str | None = Field(description="the deletion's audit note, in the request's language")
    note_zh: str | None = Field(None, description="the same in Chinese")


class DeletedClusterFeature(Feature):
    properties: DeletedClusterProperties


class DeletedClusterCollection(FeatureCollection):
    features: list[DeletedClusterFeature]


def deleted_properties(d: DeletedCluster, lang: str = "zh") -> dict[str, Any]:
    """Return the Feature properties of a deleted cluster (areas rounded like live clusters; the
    note in ``lang``)."""
    a = d.attrs
    return {
        "cluster_id": d.code,
        "park": d.park,
        "name": a.get("name"),
        "name_en": a.get("name_en"),
        "kind": a.get("kind"),
        "version": d.version,
        "deleted_version": d.version - 1,
        "deleted_at": d.deleted_at,
        "deleted_by": d.deleted_by,
        "area_m2": None if d.area_m2 is None else round(d.area_m2, 2),
        "area_mu": None if d.area_mu is None else round(d.area_mu, 4),
        "note": note_text(d.note, lang),
        "note_zh": note_text(d.note, "zh"),
    }


def deleted_collection(session: Session, zone: ZoneRow, lang: str = "zh") -> str:
    """Return the zone's deleted clusters (newest deletion first) as FeatureCollection text."""
    rows = deleted_clusters(session, zone.id)
    texts = geometry_json([d.geometry for d in rows], zone.crs)
    feats = [feature_text(d.code, g, deleted_properties(d, lang)) for d, g in zip(rows, texts)]
    return collection_text(feats, {"numberMatched": len(feats), "numberReturned": len(feats)})


__all__ = ["DeletedClusterCollection", "deleted_collection", "deleted_properties"]
