"""The feature collections the service publishes and the fields each one carries.

Field names are the GeoPackage's (``docs/architecture.md``); parcels add their latest score
(``score`` 0–100, ``score_class``, ``excluded``, ``reasons``, ``score_run``, ``scored_at``) from
the newest finished score run in the database (null when the zone was never scored). Fields a
layer carries beyond these (kept in the database's ``attrs``) are published too, after them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FieldType = Literal["string", "number", "integer", "boolean"]


@dataclass(frozen=True)
class Field:
    """One property of a collection's features: name, JSON type, Chinese title and unit."""

    name: str
    type: FieldType
    title: str
    unit: str | None = None


@dataclass(frozen=True)
class CollectionSpec:
    """A published collection: its id, titles, id field, geometry kind and declared fields."""

    id: str
    title: str
    title_en: str
    description: str
    id_field: str
    geometry: str
    fields: tuple[Field, ...]

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


_AREA = (Field("area_m2", "number", "面积", "m²"), Field("area_mu", "number", "面积", "亩"))

COLLECTIONS: dict[str, CollectionSpec] = {
    c.id: c
    for c in (
        CollectionSpec(
            "parks",
            "园区",
            "Parks",
            "The zone's parks (一区两园).",
            "park_id",
            "MultiPolygon",
            (
                Field("park_id", "string", "园区编号"),
                Field("name", "string", "名称"),
                Field("name_en", "string", "英文名称"),
                *_AREA,
            ),
        ),
        CollectionSpec(
            "clusters",
            "组团",
            "Clusters",
            "Industrial clusters of the parks (表8-1); a cluster without an outline has no geometry.",
            "cluster_id",
            "MultiPolygon",
            (
                Field("cluster_id", "string", "组团编号"),
                Field("park_id", "string", "园区编号"),
                Field("name", "string", "名称"),
                Field("name_en", "string", "英文名称"),
                Field("kind", "string", "类型"),
                *_AREA,
                Field("version", "integer", "版本"),
            ),
        ),
        CollectionSpec(
            "parcels",
            "地块",
            "Parcels",
            "Land parcels with their status and their latest suitability score, class "
            "and exclusion (null when no score run has finished).",
            "parcel_id",
            "MultiPolygon",
            (
                Field("parcel_id", "string", "地块编号"),
                Field("park", "string", "园区编号"),
                Field("cluster", "string", "组团编号"),
                Field("status", "string", "状态"),
                *_AREA,
                Field("enterprise", "string", "企业"),
                Field("land_use", "string", "用地性质"),
                Field("version", "integer", "版本"),
                Field("score", "number", "适宜性得分", "0–100"),
                Field("score_class", "string", "等级"),
                Field("excluded", "boolean", "是否排除"),
                Field("reasons", "string", "排除原因"),
                Field("score_run", "integer", "评分批次"),
                Field("scored_at", "string", "评分时间"),
            ),
        ),
        CollectionSpec(
            "roads",
            "道路",
            "Roads",
            "Roads by class.",
            "road_id",
            "LineString",
            (
                Field("road_id", "string", "道路编号"),
                Field("name", "string", "名称"),
                Field("class", "string", "等级"),
                Field("lanes", "integer", "车道数"),
                Field("speed_kmh", "number", "设计速度", "km/h"),
            ),
        ),
        CollectionSpec(
            "rivers",
            "河流",
            "Rivers",
            "River centre lines with the control-line distance each side.",
            "river_id",
            "LineString",
            (
                Field("river_id", "string", "河流编号"),
                Field("name", "string", "名称"),
                Field("control_distance_m", "number", "治导线距离", "m"),
                Field("seasonal", "boolean", "季节性河流"),
            ),
        ),
        CollectionSpec(
            "substations",
            "变电站",
            "Substations",
            "Substations in service or planned.",
            "substation_id",
            "Point",
            (
                Field("substation_id", "string", "变电站编号"),
                Field("name", "string", "名称"),
                Field("voltage_kv", "number", "电压", "kV"),
                Field("status", "string", "状态"),
                Field("capacity_mva", "number", "容量", "MVA"),
                Field("load_mva", "number", "负荷", "MVA"),
            ),
        ),
        CollectionSpec(
            "water",
            "给排水",
            "Water",
            "Water sources, mains and wastewater plants (points and lines).",
            "water_id",
            "Geometry",
            (
                Field("water_id", "string", "编号"),
                Field("name", "string", "名称"),
                Field("kind", "string", "类型"),
                Field("status", "string", "状态"),
                Field("capacity_m3_per_day", "number", "能力", "m³/d"),
                Field("used_m3_per_day", "number", "已用", "m³/d"),
            ),
        ),
    )
}
