"""Column headers (message ids: Chinese or English, with units), value labels, rounding and the
Shapefile field-name map.

The tables of the CSV and XLSX exports share these headers. Shapefile (dBASE) field names are
at most 10 characters: :data:`SHAPEFILE_FIELDS` maps each parcel column to its field name; a
column not in the map (an extra attribute of the layer) gets :func:`short_name`'s name —
lower case, characters other than ``a-z0-9_`` made ``_``, cut to 10, and on a clash cut to 8
plus ``_2``, ``_3``, … in column order. Every export writes the map it used next to the data.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

#: Parcel score table: its columns, each with the message id of its header (units in it).
SCORE_HEADERS: dict[str, str] = {
    "parcel_id": "export.col.parcel_id",
    "park_name": "export.col.park_name",
    "cluster_name": "export.col.cluster_name",
    "status_label": "export.col.status",
    "land_use": "export.col.land_use",
    "area_mu": "export.col.area_mu",
    "area_m2": "export.col.area_m2",
    "enterprise": "export.col.enterprise",
    "score": "export.col.score",
    "score_class": "export.col.score_class",
    "excluded_label": "export.col.excluded",
    "reasons": "export.col.reasons",
    "investment_wan_per_mu": "export.col.investment_wan_per_mu",
    "output_wan_per_mu": "export.col.output_wan_per_mu",
    "tax_wan_per_mu": "export.col.tax_wan_per_mu",
    "figures_year": "export.col.figures_year",
}

#: Project check table: its columns, each with the message id of its header.
CHECK_HEADERS: dict[str, str] = {
    "project_id": "export.col.project_id",
    "project": "export.col.project",
    "enterprise": "export.col.enterprise",
    "industry": "export.col.industry",
    "branch": "export.col.branch",
    "land_mu": "export.col.land_mu",
    "investment_wan": "export.col.investment_wan",
    "investment_wan_per_mu": "export.col.investment_wan_per_mu",
    "output_wan_per_year": "export.col.output_wan_per_year",
    "output_wan_per_mu": "export.col.output_wan_per_mu",
    "tax_wan_per_year": "export.col.tax_wan_per_year",
    "parcel_id": "export.col.parcel_id",
    "park_name": "export.col.park_name",
    "verdict_label": "export.col.verdict",
    "failed_rules": "export.col.failed_rules",
    "needs_data_rules": "export.col.needs_data_rules",
    "review_rules": "export.col.review_rules",
    "checked_at": "export.col.checked_at",
    "checked_by": "export.col.checked_by",
}

#: Columns rounded for people in CSV and XLSX (decimals): areas to 0.01 亩 (and 0.01 m²), money
#: per 亩 to 0.01 万元, scores to 0.01. Machine formats (GeoPackage, Shapefile) keep exact values.
ROUNDING: dict[str, int] = {
    "area_mu": 2,
    "area_m2": 2,
    "land_mu": 2,
    "score": 2,
    "investment_wan": 2,
    "investment_wan_per_mu": 2,
    "output_wan_per_year": 2,
    "output_wan_per_mu": 2,
    "tax_wan_per_year": 2,
    "tax_wan_per_mu": 2,
}

#: Known land uses (the parcels' ``land_use`` codes) as message ids; other values are shown as written.
LAND_USE_IDS: dict[str, str] = {
    "industrial": "land_use.industrial",
    "commercial": "land_use.commercial",
    "utility": "land_use.utility",
    "public": "land_use.public",
    "reserve": "land_use.reserve",
    "residential": "land_use.residential",
}

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
