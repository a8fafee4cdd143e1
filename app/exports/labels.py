"""Column headers (Chinese, with units), value labels and the Shapefile field-name map.

The tables of the CSV and XLSX exports share these headers. Shapefile (dBASE) field names are
at most 10 characters: :data:`SHAPEFILE_FIELDS` maps each parcel column to its field name; a
column not in the map (an extra attribute of the layer) gets :func:`short_name`'s name —
lower case, characters other than ``a-z0-9_`` made ``_``, cut to 10, and on a clash cut to 8
plus ``_2``, ``_3``, … in column order. Every export writes the map it used next to the data.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

#: Parcel score table: column → header (Chinese, unit in full-width brackets).
SCORE_HEADERS: dict[str, str] = {
    "parcel_id": "地块编号",
    "park_name": "园区",
    "cluster_name": "组团",
    "status_label": "状态",
    "land_use": "用地性质",
    "area_mu": "面积（亩）",
    "area_m2": "面积（m²）",
    "enterprise": "企业",
    "score": "适宜性得分（0–100）",
    "score_class": "等级",
    "excluded_label": "是否排除",
    "reasons": "排除原因",
    "investment_wan_per_mu": "投资强度（万元/亩）",
    "output_wan_per_mu": "产出强度（万元/亩）",
    "tax_wan_per_mu": "税收强度（万元/亩）",
    "figures_year": "企业数据年份",
}

#: Project check table: column → header.
CHECK_HEADERS: dict[str, str] = {
    "project_id": "项目编号",
    "project": "项目名称",
    "enterprise": "企业",
    "industry": "产业",
    "branch": "产业方向",
    "land_mu": "用地面积（亩）",
    "investment_wan": "总投资（万元）",
    "investment_wan_per_mu": "投资强度（万元/亩）",
    "output_wan_per_year": "年产值（万元）",
    "output_wan_per_mu": "产出强度（万元/亩）",
    "tax_wan_per_year": "年税收（万元）",
    "parcel_id": "地块编号",
    "park_name": "园区",
    "verdict_label": "审查结论",
    "failed_rules": "不符合项",
    "review_rules": "需审查项",
    "checked_at": "审查时间（UTC）",
    "checked_by": "审查人",
}

STATUS_LABELS = {"existing": "已建", "vacant": "空闲", "reserved": "预留", "public": "公共设施"}
VERDICT_LABELS = {"pass": "通过", "fail": "不通过", "review": "需审查"}
YES_NO = {True: "是", False: "否"}

#: Parcel column → Shapefile field name (≤ 10 characters). Documented in README ("Exchange files").
SHAPEFILE_FIELDS: dict[str, str] = {
    "parcel_id": "parcel_id",
    "park": "park",
    "park_name": "park_name",
    "cluster": "cluster",
    "cluster_name": "clus_name",
    "status": "status",
    "area_m2": "area_m2",
    "area_mu": "area_mu",
    "enterprise": "enterprise",
    "land_use": "land_use",
    "score": "score",
    "score_class": "score_cls",
    "excluded": "excluded",
    "reasons": "reasons",
    "investment_wan_per_mu": "inv_wan_mu",
    "output_wan_per_mu": "out_wan_mu",
    "tax_wan_per_mu": "tax_wan_mu",
    "figures_year": "fig_year",
}

_BAD = re.compile(r"[^a-z0-9_]")


def short_name(name: str, taken: set[str]) -> str:
    """Return a dBASE field name (≤ 10 chars) for ``name`` not in ``taken`` (and add it)."""
    base = _BAD.sub("_", name.lower())[:10] or "field"
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base[:8]}_{n}"
    taken.add(candidate)
    return candidate


def shapefile_field_map(columns: Iterable[str]) -> dict[str, str]:
    """Return column → Shapefile field name for ``columns`` (the fixed map first, then the rule)."""
    cols = list(columns)
    taken = {SHAPEFILE_FIELDS[c] for c in cols if c in SHAPEFILE_FIELDS}
    out = {}
    for c in cols:
        out[c] = SHAPEFILE_FIELDS[c] if c in SHAPEFILE_FIELDS else short_name(c, taken)
    return out
