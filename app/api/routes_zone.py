"""``/zone``, ``/parks`` and ``/layers/{name}``: the zone's rules and its reference layers."""

from __future__ import annotations

import math
import warnings
from functools import lru_cache
from typing import Annotated

import numpy as np
import shapely
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from app.api.deps import SessionDep, StateDep, Viewer
from app.api.geojson import (
    bbox_to_zone,
    bounds_to_wgs84,
    collection_text,
    feature_text,
    geometry_json,
    parse_bbox,
)
from app.api.models import ErrorBody, FeatureCollection, ParkCollection, ZoneResponse
from app.api.paging import Paging, links
from app.api.scores import latest_run, zone_bounds
from app.api.store import park_properties, parks_page, served_zone
from app.db.layers import load_layer
from app.db.lookups import outlined_cluster_codes
from app.db.models import ScoreRunRow
from app.db.rules import stored_config, zone_rules
from gis.errors import NotFoundError
from gis.exclusion import river_zones
from gis.messages import msg
from scoring.suitability import resolve_weights
from scoring.zone import ZoneConfig

router = APIRouter()

GEOJSON = "application/geo+json"
#: Reference layers served by ``/layers/{name}``; ``rivers-control`` are the rivers' control zones.
LAYER_NAMES = ("roads", "rivers", "rivers-control", "substations", "water", "places")
ID_FIELDS = {
    "roads": "road_id",
    "rivers": "river_id",
    "substations": "substation_id",
    "water": "water_id",
    "places": "place_id",
}


class GeoJSONResponse(Response):
    """A GeoJSON body (already serialised)."""

    media_type = GEOJSON


@lru_cache(maxsize=8)
def proj4_of(crs: str) -> str | None:
    """Return a CRS as a PROJ string (pyproj ``CRS.to_proj4()``), None if it has none."""
    from pyproj import CRS

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "you will likely lose projection information"
        try:
            return CRS.from_user_input(crs).to_proj4()
        except Exception:  # a CRS that PROJ strings cannot express
            return None


def _run_info(run: ScoreRunRow | None) -> dict | None:
    if run is None:
        return None
    return {
        "id": run.id,
        "status": run.status,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "n_parcels": run.n_parcels,
        "n_scored": run.n_scored,
        "n_excluded": run.n_excluded,
        "error": run.error,
    }


@router.get(
    "/zone",
    response_model=ZoneResponse,
    tags=["zone"],
    summary="The zone: parks, clusters, positive list, admission rows, scoring, bbox",
)
def get_zone_info(session: SessionDep, state: StateDep, user: Viewer) -> ZoneResponse:
    """Return the served zone's rules and extent (WGS 84 bbox) and the URLs of its layers.

    Parks and clusters are those of the database (clusters drawn on the map included, deleted
    ones left out); ``crs_proj4`` is the zone CRS as a PROJ string and ``scoring.slope_limits``
    the slope limits (natural ground, planned surface) in % and degrees.
    """
    zone = served_zone(session, state.settings)
    cfg = zone_rules(session, zone.id).config
    stored = outlined_cluster_codes(session, zone.id)
    weights = resolve_weights(cfg.scoring)
    b = zone_bounds(session, zone.id)
    return ZoneResponse(
        id=zone.id,
        name=zone.name,
        name_en=zone.name_en,
        crs=zone.crs,
        crs_proj4=proj4_of(zone.crs),
        bbox=bounds_to_wgs84(b, zone.crs) if b else None,
        parks=[
            {
                "id": p.id,
                "name": p.name,
                "name_en": p.name_en,
                "area_km2": p.area_km2,
                "clusters": [c.id for c in p.clusters],
            }
            for p in cfg.parks
        ],
        clusters=[
            {
                "id": c.id,
                "park": p.id,
                "name": c.name,
                "name_en": c.name_en,
                "kind": c.kind,
                "in_database": c.id in stored,
                "admits_set": not c.admits_unset,
            }
            for p, c in cfg.clusters()
        ],
        positive_list=cfg.positive_list,
        admission=cfg.admission,
        scoring={
            "method": cfg.scoring.method,
            "min_score": cfg.scoring.min_score,
            "classes": [c.model_dump() for c in cfg.scoring.classes],
            "criteria": [
                {
                    "id": c.id,
                    "name": c.name,
                    "name_en": c.name_en,
                    "measure": c.measure,
                    "unit": c.unit,
                    "weight": float(w),
                }
                for c, w in zip(cfg.scoring.criteria, weights)
            ],
            "constraints": [
                {
                    "id": c.id,
                    "measure": c.measure,
                    "op": c.op,
                    "value": c.value,
                    "message": c.message,
                    "message_en": c.message_en,
                }
                for c in cfg.scoring.constraints
            ],
            "slope_limits": [
                {
                    "id": s.id,
                    "name": s.name,
                    "max_pct": s.max_pct,
                    "max_deg": round(math.degrees(math.atan(s.max_pct / 100)), 4),
                    "source": s.source,
                }
                for s in cfg.scoring.slope_limits
            ],
            "natural_slope_limit": cfg.scoring.natural_slope_limit,
            "planned_slope_limit": cfg.scoring.planned_slope_limit,
            "latest_run": _run_info(latest_run(session, zone.id)),
        },
        layers=["parks", "clusters", "parcels", *LAYER_NAMES],
        tiles={
            "hillshade": "/api/v1/tiles/hillshade/{z}/{x}/{y}.png",
            "slope": "/api/v1/tiles/slope/{z}/{x}/{y}.png",
        },
    )


@router.get(
    "/parks",
    tags=["features"],
    response_class=GeoJSONResponse,
    responses={200: {"model": ParkCollection, "content": {GEOJSON: {}}}, 422: {"model": ErrorBody}},
    summary="Parks (园区) as a GeoJSON FeatureCollection in WGS 84",
)
def list_parks(
    request: Request, session: SessionDep, state: StateDep, user: Viewer, paging: Paging
) -> GeoJSONResponse:
    """Return the zone's park outlines, paged, optionally within ``bbox``."""
    zone = served_zone(session, state.settings)
    area = bbox_to_zone(paging.bbox, zone.crs) if paging.bbox else None
    page = parks_page(session, zone.id, area=area, limit=paging.limit, offset=paging.offset)
    geoms = shapely.from_wkb(np.array([None if w is None else bytes(w) for _, w in page.rows], dtype=object))
    texts = geometry_json(geoms, zone.crs)
    feats = [feature_text(p.code, g, park_properties(p)) for (p, _), g in zip(page.rows, texts)]
    return GeoJSONResponse(
        collection_text(
            feats,
            {
                "numberMatched": page.total,
                "numberReturned": len(feats),
                "links": links(request, paging, page.total, len(feats)),
            },
        )
    )


def _mark_illustrative(props, config: ZoneConfig):  # type: ignore[no-untyped-def]
    """Return the facility properties with ``illustrative`` (bool) and, for an illustrative one,
    ``illustrative_note`` / ``illustrative_note_en``: what the zone file says the plan says."""
    out = props.copy()
    facts = [config.facility(str(n)) for n in out["name"]]
    out["illustrative"] = [bool(f and f.illustrative) for f in facts]
    out["illustrative_note"] = [f.note if f and f.illustrative else None for f in facts]
    out["illustrative_note_en"] = [f.note_en if f and f.illustrative else None for f in facts]
    return out


@router.get(
    "/layers/{name}",
    tags=["features"],
    response_class=GeoJSONResponse,
    responses={200: {"model": FeatureCollection, "content": {GEOJSON: {}}}, 404: {"model": ErrorBody}},
    summary="A reference layer (roads, rivers, rivers-control, substations, water, places)",
)
def get_layer(
    session: SessionDep,
    state: StateDep,
    user: Viewer,
    name: Annotated[str, Path(description=", ".join(LAYER_NAMES))],
    bbox: Annotated[str | None, Query(description="WGS 84 minx,miny,maxx,maxy")] = None,
) -> GeoJSONResponse:
    """Return a whole reference layer in WGS 84 (these layers are small: no paging).

    ``rivers-control`` holds one polygon per river: its centre line buffered by
    ``control_distance_m`` on each side (the river control line, flat caps), as used by the
    ``river`` hard constraint. ``substations`` and ``water`` features carry ``illustrative``: true
    for a facility the zone file marks as not named by the plan (with ``illustrative_note`` and
    ``illustrative_note_en``).
    """
    if name not in LAYER_NAMES:
        raise NotFoundError(
            f"no layer {name!r}",
            where="layers",
            hint=f"layers are {', '.join(LAYER_NAMES)}",
            msg=msg("error.layer.unknown", layer=name, layers=list(LAYER_NAMES)),
        )
    zone = served_zone(session, state.settings)
    box = parse_bbox(bbox)
    gdf = load_layer(session, zone.id, "rivers" if name == "rivers-control" else name)
    if name == "rivers-control":
        if gdf.empty:
            gdf = gdf.iloc[0:0]
        else:
            dist = gdf.groupby("name")["control_distance_m"].max()
            gdf = river_zones(gdf)
            gdf["control_distance_m"] = gdf["name"].map(dist).astype(float)
        ids = list(gdf["name"]) if len(gdf) else []
    else:
        ids = list(gdf[ID_FIELDS[name]]) if len(gdf) else []
    if box is not None and len(gdf):
        keep = gdf.intersects(bbox_to_zone(box, zone.crs)).to_numpy()
        gdf, ids = gdf[keep], [i for i, k in zip(ids, keep) if k]
    props = gdf.drop(columns=[c for c in ("id", gdf.geometry.name) if c in gdf.columns])
    if name in ("substations", "water") and len(props):
        props = _mark_illustrative(props, stored_config(zone))
    texts = geometry_json(gdf.geometry.to_numpy(), zone.crs)
    feats = [feature_text(fid, g, row) for fid, g, row in zip(ids, texts, props.to_dict("records"))]
    return GeoJSONResponse(
        collection_text(feats, {"name": name, "numberMatched": len(feats), "numberReturned": len(feats)})
    )
