"""Importing a zone: its rule file and its layers, all or nothing.

``import_zone(factory, sources)`` first reads and checks everything — the zone YAML
(:func:`scoring.zone.load_zone`), every vector layer (:func:`gis.layers.read_layer`: GeoPackage,
GeoJSON or zipped Shapefile; CRS required, geometry kind, required fields, NaN/±inf, zip safety,
invalid geometries repaired and listed) and every DEM (:func:`gis.raster.open_geotiff`: local
GeoTIFF only, CRS required, size × bands limit from the header) — and cross-checks them
(parks and clusters against the zone file, each parcel's park, cluster and status). Only then
does it write, in one transaction; any failure leaves the database as it was.

Layers come from one GeoPackage (``--layers``; layer names as in ``LAYERS``) and/or one file per
layer (``--layer parcels=parcels.geojson``; a file's own layer wins over the GeoPackage's).
``parks``, ``clusters`` and ``parcels`` are required; the infrastructure layers are optional.
Layers in another projected CRS are reprojected to the zone CRS (EPSG:4546), which is the SRID
of the database's geometry columns.

Re-import: a zone that is already in the database is refused unless ``replace=True``
(``parksite import --replace``). Replacing updates parks, clusters and parcels in place by their
ids (``park_id``, ``cluster_id``, ``parcel_id``) so their history, scores and check results
stay linked; a changed cluster or parcel gets a new version with an ``import`` audit entry; one
no longer in the layers is deleted (audited). The features of each infrastructure layer the
sources carry, and the DEM references when DEMs are given, are replaced wholesale; a layer the
sources do not carry (a GeoPackage without ``roads``, no DEM) is kept unless ``drop_missing``
(``--drop-missing``). Clusters created in the application but absent from the zone file are
deleted by a replace. Before a replace writes anything, :func:`app.db.import_plan.replace_plan`
counts what it will remove, per layer, and ``on_plan`` is called with it (the command prints
it); the report's notes say which layers were kept.

The steps live in their own modules: :mod:`app.db.import_layers` (what each layer must hold),
:mod:`app.db.import_read` (reading sources into a ``ZoneBundle``), :mod:`app.db.import_checks`
(layers against the zone file and each other) and :mod:`app.db.import_write` (``write_zone``).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from app.db.import_layers import INFRASTRUCTURE, LAYERS, LayerSpec
from app.db.import_plan import ReplacePlan, replace_plan
from app.db.import_read import (
    ImportLimits,
    ImportSources,
    RasterInfo,
    ZoneBundle,
    inspect_raster,
    read_sources,
    sample_sources,
    sources_for_zone,
)
from app.db.import_write import ImportReport, write_zone, zone_exists_error
from app.db.models import UserRow, ZoneRow
from scoring.zone import load_zone

__all__ = [
    "INFRASTRUCTURE",
    "LAYERS",
    "ImportLimits",
    "ImportReport",
    "ImportSources",
    "LayerSpec",
    "RasterInfo",
    "ReplacePlan",
    "ZoneBundle",
    "import_zone",
    "inspect_raster",
    "read_sources",
    "replace_plan",
    "sample_sources",
    "sources_for_zone",
    "write_zone",
]


def import_zone(
    factory: sessionmaker[Session],
    sources: ImportSources,
    *,
    replace: bool = False,
    user: UserRow | str | None = None,
    limits: ImportLimits = ImportLimits(),
    drop_missing: bool = False,
    on_plan: Callable[[ReplacePlan], None] | None = None,
) -> ImportReport:
    """Read and check everything, then write the zone in one transaction; return the report.

    Nothing is written when any check fails, and a failure while writing rolls the whole
    transaction back: the database is left as it was. When a zone is replaced, ``on_plan`` gets
    what the replace will remove and keep (:class:`ReplacePlan`) before anything is written;
    layers the sources do not carry are kept unless ``drop_missing``.
    """
    if not replace:  # fail fast, before reading the layers (write_zone checks again)
        zone_id = load_zone(sources.zone_file).zone.id
        with factory() as session:
            if session.get(ZoneRow, zone_id) is not None:
                raise zone_exists_error(zone_id)
    bundle = read_sources(sources, limits=limits)
    with factory() as session, session.begin():
        plan = None
        if replace and session.get(ZoneRow, bundle.zone_id) is not None:
            plan = replace_plan(session, bundle, drop_missing=drop_missing)
            if on_plan is not None:
                on_plan(plan)
        report = write_zone(session, bundle, replace=replace, user=user, drop_missing=drop_missing)
        if plan is not None:
            report.notes += [f.line() for f in plan.layers if f.in_file is None]
        return report
