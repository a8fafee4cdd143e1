"""Cross-checks of a zone's layers against its zone file and each other, before anything is
written: parks and clusters must be the zone file's, each parcel's park, cluster and status
valid. A disagreement is refused with a ``SchemaError`` naming the rows.
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd

from app.db.models import PARCEL_STATUSES
from app.db.parcel_assignment import ASSIGN_MIN_SHARE
from gis.errors import SchemaError
from gis.layers import LayerReport
from gis.repair import describe_features
from gis.tables import key_text
from scoring.zone import ZoneConfig


def _where(reports: Mapping[str, LayerReport], name: str) -> str:
    r = reports[name]
    return f"{r.source}" + (f" [layer {r.layer}]" if r.layer else f" [{name}]")


def _refuse_rows(
    gdf: gpd.GeoDataFrame, bad: list[int], id_field: str, problem: str, where: str, hint: str
) -> None:
    if bad:
        ids = [gdf[id_field].iloc[i] for i in bad]
        raise SchemaError(f"{problem} in {describe_features(bad, ids, id_field)}", where=where, hint=hint)


def cross_check(
    config: ZoneConfig,
    frames: Mapping[str, gpd.GeoDataFrame],
    reports: Mapping[str, LayerReport],
    notes: list[str],
) -> None:
    """Refuse layers that disagree with the zone file or with each other (SchemaError)."""
    park_ids = {p.id for p in config.parks}
    cluster_park = {c.id: p.id for p, c in config.clusters()}

    parks = frames["parks"]
    w = _where(reports, "parks")
    bad = [i for i, v in enumerate(parks["park_id"]) if key_text(v) not in park_ids]
    _refuse_rows(
        parks,
        bad,
        "park_id",
        f"park_id is not a park of the zone file ({', '.join(sorted(park_ids))})",
        w,
        "use the park ids of the zone file",
    )
    missing = sorted(park_ids - {key_text(v) for v in parks["park_id"]})
    if missing:
        notes.append(f"park(s) {', '.join(missing)} have no outline in the parks layer")

    clusters = frames["clusters"]
    w = _where(reports, "clusters")
    bad = [i for i, v in enumerate(clusters["cluster_id"]) if key_text(v) not in cluster_park]
    _refuse_rows(
        clusters,
        bad,
        "cluster_id",
        "cluster_id is not a cluster of the zone file",
        w,
        "add the cluster to the zone file (parks → clusters) or fix its id",
    )
    bad = [
        i
        for i, (c, p) in enumerate(zip(clusters["cluster_id"], clusters["park_id"]))
        if cluster_park[key_text(c)] != key_text(p)
    ]
    _refuse_rows(
        clusters,
        bad,
        "cluster_id",
        "park_id differs from the cluster's park in the zone file",
        w,
        "fix park_id",
    )
    missing = sorted(set(cluster_park) - {key_text(v) for v in clusters["cluster_id"]})
    if missing:
        notes.append(f"cluster(s) {', '.join(missing)} have no outline in the clusters layer")

    parcels = frames["parcels"]
    w = _where(reports, "parcels")
    bad = [i for i, v in enumerate(parcels["park"]) if key_text(v) not in park_ids]
    _refuse_rows(
        parcels,
        bad,
        "parcel_id",
        f"field 'park' is not a park of the zone ({', '.join(sorted(park_ids))})",
        w,
        "fix the park field",
    )
    bad = [i for i, v in enumerate(parcels["status"]) if key_text(v) not in PARCEL_STATUSES]
    _refuse_rows(
        parcels,
        bad,
        "parcel_id",
        f"field 'status' is not one of {', '.join(PARCEL_STATUSES)}",
        w,
        "fix the status field",
    )
    if "cluster" in parcels.columns:
        bad = [
            i
            for i, (c, p) in enumerate(zip(parcels["cluster"], parcels["park"]))
            if key_text(c) is not None and cluster_park.get(key_text(c)) != key_text(p)
        ]
        _refuse_rows(
            parcels,
            bad,
            "parcel_id",
            "field 'cluster' is not a cluster of the parcel's park",
            w,
            "fix the cluster field (or leave it empty)",
        )
    else:
        notes.append(
            f"parcels have no 'cluster' field: assigned to the cluster covering ≥ "
            f"{ASSIGN_MIN_SHARE:.0%} of each parcel"
        )
