"""What a report reads, from the zone files (the CLI without a database).

:func:`parcel_inputs_from_files` gives the scored parcel (the process-wide cache of
:mod:`app.scoring_io.cache`), its breakdown (:func:`scoring.suitability.parcel_breakdown`) and
the layers and DEMs the maps are drawn from. The database's counterpart is
:func:`app.api.reports.parcel_inputs_from_database`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyogrio
import shapely

from app.reports.parcel import ParcelFacts, ZoneMaps, find_row
from app.scoring_io.cache import load_scored_parcels
from app.scoring_io.zone_files import load_zone_context, zone_layers_path
from scoring.parcels import ID_COLUMN
from scoring.suitability import parcel_breakdown
from scoring.zone import ZoneConfig, load_zone


@dataclass
class ParcelInputs:
    """Everything :func:`app.reports.parcel.parcel_report` needs for one parcel."""

    zone: ZoneConfig
    facts: ParcelFacts
    geometry: Any
    crs: Any
    maps: ZoneMaps
    illustrative: bool


def is_illustrative(row: Any) -> bool:
    """Return True when a parcel row comes from the sample generator (``area_source`` is
    ``illustrative``): the report then says its data is illustrative."""
    return str(row.get("area_source") or "") == "illustrative"


def maps_from_context(ctx: Any, extra: dict[str, gpd.GeoDataFrame | None]) -> ZoneMaps:
    """Return the map inputs of a :class:`scoring.context.ZoneContext` plus ``extra`` layers
    (``clusters``, ``parcels``) already in the zone CRS."""
    layers = dict(ctx.layers) | extra
    return ZoneMaps(layers, [s.dem for s in ctx.surfaces], [s.slope_deg for s in ctx.surfaces])


def parcel_inputs_from_files(zone_file: Path, parcel_id: str) -> ParcelInputs:
    """Return the inputs of the site report of ``parcel_id`` from a zone file, its GeoPackage
    and DEMs (NotFoundError if the zone has no such parcel)."""
    zone = load_zone(zone_file)
    scored = load_scored_parcels(zone_file)
    row = find_row(scored, parcel_id)
    measures = scored.set_index(ID_COLUMN, drop=False)
    breakdown = parcel_breakdown(measures, zone.scoring, row[ID_COLUMN])
    maps = zone_maps_from_files(zone_file, zone, scored)
    facts = ParcelFacts(row.drop(labels="geometry").to_dict(), breakdown)
    return ParcelInputs(zone, facts, row.geometry, scored.crs, maps, is_illustrative(row))


@dataclass
class ReviewInputs:
    """Everything :func:`app.reports.review.review_report` needs for one project on one site."""

    zone: ZoneConfig
    project: Any
    parcels: gpd.GeoDataFrame
    site_ids: list[str]
    result: Any
    recommendation: Any
    maps: ZoneMaps
    illustrative: bool


def zone_maps_from_files(zone_file: Path, zone: ZoneConfig, parcels: gpd.GeoDataFrame) -> ZoneMaps:
    """Return the map inputs of a zone file: its context's layers and DEMs, its clusters layer
    and ``parcels`` (zone CRS)."""
    ctx = load_zone_context(zone_file, zone=zone)
    gpkg = zone_layers_path(zone_file, zone)
    present = {str(n) for n, _ in pyogrio.list_layers(gpkg)}
    clusters = gpd.read_file(gpkg, layer="clusters").to_crs(ctx.crs) if "clusters" in present else None
    return maps_from_context(ctx, {"clusters": clusters, "parcels": parcels[[ID_COLUMN, "geometry"]]})


def review_inputs_from_files(
    project_file: Path, zone_file: Path, site_ids: list[str], *, top: int = 5
) -> ReviewInputs:
    """Return the inputs of the review opinion of the project in ``project_file`` on the parcels
    ``site_ids``: checked (:func:`scoring.admission.check_site`) and recommended
    (:func:`scoring.recommend.recommend`, ``top`` sites) on the zone state the CLI's ``check``
    sees (the database's when ``PARKSITE_DATABASE_URL`` is set, else the zone files)."""
    import pandas as pd

    from app.scoring_io.zone_state import measuring_context, read_zone_state
    from app.settings import Settings
    from gis.errors import ParksiteError
    from scoring.admission import check_site
    from scoring.land import land_on_context
    from scoring.project import load_project
    from scoring.recommend import recommend

    zone = load_zone(zone_file)
    project = load_project(project_file, zone)
    state = read_zone_state(zone_file, Settings(), zone)
    parcels = state.parcels
    hits = [find_row(parcels, pid) for pid in site_ids]
    rows = pd.DataFrame([h.drop(labels=parcels.geometry.name) for h in hits])
    maps = zone_maps_from_files(zone_file, zone, parcels)
    land = None
    try:  # the land basis cut from the zone's layers, as `parksite check` does
        ctx = measuring_context(zone_file, Settings(), state.config)
    except ParksiteError:  # no layers or DEMs to cut from: the check uses the score run's measures
        ctx = None
    if ctx is not None:
        site = shapely.union_all([h.geometry for h in hits])
        land = land_on_context(ctx, state.config, site, project.land_mu)
    result = check_site(state.config, rows.reset_index(drop=True), project, state.ledger, land=land)
    rec = recommend(state.config, parcels, project, ledger=state.ledger, top=top)
    illustrative = bool(rows.apply(is_illustrative, axis=1).any())
    return ReviewInputs(state.config, project, parcels, site_ids, result, rec, maps, illustrative)
