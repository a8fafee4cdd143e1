"""What the sample generator invents where the plan is silent. **Illustrative, not plan facts.**

The plan's facts (parks, clusters, 表2-1, the county, the facilities the plan names) are read
from the zone file (:mod:`app.sample.facts`); this module holds only the sample's own choices
that go with them: which cluster and land use each existing enterprise gets, its area where
表2-1 has "-", the planned land use of vacant parcels per cluster kind, and which parks and
clusters the illustrative layout (:mod:`app.sample.layout`) knows how to draw.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Parks and clusters the illustrative layout draws (ids of the zone file), in drawing order.
LAYOUT_CLUSTERS: dict[str, tuple[str, ...]] = {
    "shuitou": ("st-public", "st-almg", "st-hitech", "st-newenergy"),
    "shuangchi": ("sc-almg", "sc-smart", "sc-bio", "sc-service", "sc-reserve"),
}

#: Planned land use of a cluster's vacant parcels, by the cluster's kind (zone file).
LAND_USE_BY_KIND: dict[str, str] = {
    "industrial": "industrial",
    "public_service": "public_service",
    "service": "commercial",
    "reserve": "reserve",
}

#: Shuitou park's anchor lies this share of the plan's distance from the county seat (a draw
#: between the two; the plan: 水头镇园区距县城仅十公里).
SEAT_DISTANCE_SHARE: tuple[float, float] = (0.9, 1.0)


@dataclass(frozen=True)
class Placement:
    """Where the sample puts one existing enterprise: its cluster, the land use of its parcel,
    and its area (亩) where the table gives none."""

    cluster: str
    land_use: str
    area_mu: float | None = None


#: By 序号 of 表2-1: alumina/aluminium in sc-almg; smelting, coal washing, minerals and
#: building materials in sc-smart; fuel stations and the wastewater plant in sc-service;
#: farming co-operatives in sc-bio.
PLACEMENTS: dict[int, Placement] = {
    1: Placement("sc-smart", "industrial"),
    2: Placement("sc-almg", "industrial"),
    3: Placement("sc-almg", "industrial"),
    4: Placement("sc-almg", "industrial", 260.0),
    5: Placement("sc-smart", "industrial"),
    6: Placement("sc-smart", "industrial", 60.0),
    7: Placement("sc-smart", "industrial"),
    8: Placement("sc-smart", "industrial"),
    9: Placement("sc-smart", "industrial"),
    10: Placement("sc-smart", "industrial"),
    11: Placement("sc-smart", "industrial"),
    12: Placement("sc-smart", "industrial"),
    13: Placement("sc-smart", "industrial"),
    14: Placement("sc-smart", "industrial"),
    15: Placement("sc-service", "commercial"),
    16: Placement("sc-service", "commercial"),
    17: Placement("sc-service", "commercial"),
    18: Placement("sc-service", "commercial"),
    19: Placement("sc-smart", "industrial"),
    20: Placement("sc-smart", "industrial"),
    21: Placement("sc-smart", "industrial", 15.0),
    22: Placement("sc-smart", "industrial"),
    23: Placement("sc-smart", "industrial"),
    24: Placement("sc-service", "utility"),
    25: Placement("sc-bio", "agricultural", 12.0),
    26: Placement("sc-bio", "agricultural", 25.0),
}
