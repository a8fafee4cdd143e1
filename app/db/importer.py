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
no longer in the layers is deleted (audited). Infrastructure features and raster references are
replaced wholesale. Clusters created in the application but absent from the zone file are
deleted by a replace.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS
from rasterio.warp import transform_bounds
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session, sessionmaker

from app.db import audit, messages
from app.db.edits import (
    ASSIGN_MIN_SHARE,
    assign_cluster,
    cluster_state,
    parcel_state,
    versioned_update,
)
from app.db.geometry import to_db
from app.db.models import (
    PARCEL_STATUSES,
    ZONE_SRID,
    Cluster,
    Enterprise,
    InfrastructureFeature,
    Parcel,
    Park,
    RasterRef,
    User,
    Zone,
    utcnow,
)
from app.db.users import require
from app.settings import DEFAULT_ZONE_FILE
from gis.archive import ZipLimits
from gis.errors import ConfigError, ConflictError, InputFileError, SchemaError
from gis.layers import LayerReport, crs_label, read_layer
from gis.raster import DEFAULT_MAX_CELLS, open_geotiff
from gis.repair import describe_features
from gis.units import MU_M2
from scoring.zone import ZoneConfig, load_zone, zone_data_path

__all__ = [
    "LAYERS",
    "ImportLimits",
    "ImportReport",
    "ImportSources",
    "LayerSpec",
    "ZoneBundle",
    "import_zone",
    "read_sources",
    "sample_sources",
    "sources_for_zone",
    "write_zone",
]


# --------------------------------------------------------------------------- layer rules


@dataclass(frozen=True)
class LayerSpec:
    """What a zone layer must hold: geometry kind(s), id field, required and finite fields.

    ``kind_field``/``name_field``/``status_field`` are the fields kept in the infrastructure
    table's own columns; every other field goes to ``attrs`` under its own name.
    """

    name: str
    geometry: tuple[str, ...]
    id_field: str
    required: tuple[str, ...] = ()
    finite: tuple[str, ...] = ()
    mandatory: bool = False
    kind_field: str | None = None


LAYERS: dict[str, LayerSpec] = {
    s.name: s
    for s in (
        LayerSpec("parks", ("polygon",), "park_id", ("park_id",), mandatory=True),
        LayerSpec("clusters", ("polygon",), "cluster_id", ("cluster_id", "park_id"), mandatory=True),
        LayerSpec("parcels", ("polygon",), "parcel_id", ("parcel_id", "park", "status"), mandatory=True),
        LayerSpec("roads", ("line",), "road_id", ("road_id", "class"), kind_field="class"),
        LayerSpec(
            "rivers",
            ("line",),
            "river_id",
            ("river_id", "name", "control_distance_m"),
            finite=("control_distance_m",),
        ),
        LayerSpec(
            "substations",
            ("point",),
            "substation_id",
            ("substation_id", "name", "voltage_kv"),
            finite=("voltage_kv",),
        ),
        LayerSpec("water", ("point", "line"), "water_id", ("water_id", "name", "kind"), kind_field="kind"),
        LayerSpec("places", ("point",), "place_id", ("place_id", "name", "kind"), kind_field="kind"),
    )
}
INFRASTRUCTURE = ("roads", "rivers", "substations", "water", "places")

#: Parcel fields stored in their own columns (the rest go to ``attrs``); areas are recomputed.
_PARCEL_COLUMNS = {"parcel_id", "park", "cluster", "status", "area_m2", "area_mu", "enterprise", "land_use"}


@dataclass(frozen=True)
class ImportLimits:
    """Limits checked before anything is read: zip archives and raster size (cells × bands)."""

    zip: ZipLimits = ZipLimits()
    max_raster_cells: int = DEFAULT_MAX_CELLS


@dataclass
class ImportSources:
    """Where a zone comes from: its YAML, a GeoPackage of layers, per-layer files, DEMs."""

    zone_file: Path
    layers: Path | None = None
    layer_files: dict[str, Path] = field(default_factory=dict)
    dems: list[Path] = field(default_factory=list)


def sources_for_zone(
    zone_file: str | Path,
    *,
    layers: str | Path | None = None,
    layer_files: Mapping[str, str | Path] | None = None,
    dems: Sequence[str | Path] | None = None,
) -> ImportSources:
    """Return the sources of a zone; the GeoPackage and DEMs default to the zone file's ``data``.

    Paths in the zone file's ``data`` section are relative to the zone file. ``layer_files``
    (layer name → file) take precedence over the GeoPackage's layers of the same name. Raises
    ``ConfigError`` for an invalid zone file and ``SchemaError`` for an unknown layer name.
    """
    zone_file = Path(zone_file)
    config = load_zone(zone_file)
    unknown = sorted(set(layer_files or {}) - set(LAYERS))
    if unknown:
        raise SchemaError(
            f"unknown layer name(s) {', '.join(unknown)}",
            where="--layer",
            hint=f"layers are {', '.join(LAYERS)}",
        )
    if layers is None and config.data.layers:
        default = zone_data_path(zone_file, config.data.layers)
        # With per-layer files the zone's GeoPackage supplies the other layers, if it exists.
        if not layer_files or default.is_file():
            layers = default
    if dems is None:
        dems = [zone_data_path(zone_file, d) for d in config.data.dems]
    return ImportSources(
        zone_file=zone_file,
        layers=Path(layers) if layers else None,
        layer_files={k: Path(v) for k, v in (layer_files or {}).items()},
        dems=[Path(d) for d in dems],
    )


def sample_sources() -> ImportSources:
    """Return the sources of the bundled sample zone (data/zones/jiaokou.yaml and its data)."""
    return sources_for_zone(DEFAULT_ZONE_FILE)


# --------------------------------------------------------------------------- reading


@dataclass
class RasterInfo:
    """A checked DEM: header facts and the file's sha256 (no pixel read)."""

    path: Path
    crs: str
    width: int
    height: int
    bands: int
    dtype: str
    nodata: float | None
    cell_size_x: float
    cell_size_y: float
    bounds: tuple[float, float, float, float]
    zone_bounds: tuple[float, float, float, float]
    sha256: str


@dataclass
class ZoneBundle:
    """Everything read and checked for one zone, ready to be written."""

    config: ZoneConfig
    config_json: dict[str, Any]
    config_sha256: str
    source_file: str
    frames: dict[str, gpd.GeoDataFrame]
    reports: dict[str, LayerReport]
    rasters: list[RasterInfo]
    notes: list[str] = field(default_factory=list)

    @property
    def zone_id(self) -> str:
        return self.config.zone.id


def _gpkg_layers(path: Path) -> list[str]:
    try:
        return [str(n) for n, _ in pyogrio.list_layers(path)]
    except Exception as exc:  # pyogrio raises DataSourceError for anything unreadable
        raise InputFileError(
            f"cannot be read as a GeoPackage ({exc})",
            where=str(path),
            hint="export the layers again from QGIS",
        ) from exc


def _read_vectors(
    sources: ImportSources, config: ZoneConfig, limits: ImportLimits, notes: list[str]
) -> tuple[dict[str, gpd.GeoDataFrame], dict[str, LayerReport]]:
    in_gpkg: list[str] = []
    if sources.layers is not None:
        p = Path(sources.layers)
        if p.suffix.lower() != ".gpkg":
            raise InputFileError(
                "--layers must be a GeoPackage (.gpkg)",
                where=str(p),
                hint="give single-layer files with --layer NAME=FILE",
            )
        if p.is_file():
            in_gpkg = _gpkg_layers(p)
            ignored = [n for n in in_gpkg if n not in LAYERS]
            if ignored:
                notes.append(f"{p}: ignored layer(s) {', '.join(ignored)}")
    frames: dict[str, gpd.GeoDataFrame] = {}
    reports: dict[str, LayerReport] = {}
    for name, spec in LAYERS.items():
        if name in sources.layer_files:
            path = sources.layer_files[name]
            is_gpkg = path.suffix.lower() == ".gpkg" and path.is_file()
            layer = name if is_gpkg and name in _gpkg_layers(path) else None
        elif sources.layers is not None and (name in in_gpkg or not Path(sources.layers).is_file()):
            path, layer = Path(sources.layers), name
        else:
            if spec.mandatory:
                raise InputFileError(
                    f"no {name!r} layer",
                    where=str(sources.layers or "the sources"),
                    hint=f"a zone needs layers {', '.join(n for n, s in LAYERS.items() if s.mandatory)}",
                )
            notes.append(f"no {name} layer: measures that need it cannot be computed")
            continue
        gdf, report = read_layer(
            path,
            layer,
            target_crs=config.zone.crs,
            geometry=spec.geometry,
            required=spec.required,
            finite=spec.finite,
            id_field=spec.id_field,
            repair=True,
            zip_limits=limits.zip,
        )
        frames[name], reports[name] = gdf, report
    return frames, reports


def _key(value: Any) -> str | None:
    """Return an id/code field value as text (None for empty): 7.0 → "7", " a " → "a"."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if value.is_integer():
            return str(int(value))
    text = str(value).strip()
    return text or None


def _where(reports: Mapping[str, LayerReport], name: str) -> str:
    r = reports[name]
    return f"{r.source}" + (f" [layer {r.layer}]" if r.layer else f" [{name}]")


def _refuse_rows(
    gdf: gpd.GeoDataFrame, bad: list[int], id_field: str, problem: str, where: str, hint: str
) -> None:
    if bad:
        ids = [gdf[id_field].iloc[i] for i in bad]
        raise SchemaError(f"{problem} in {describe_features(bad, ids, id_field)}", where=where, hint=hint)


def _cross_check(
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
    bad = [i for i, v in enumerate(parks["park_id"]) if _key(v) not in park_ids]
    _refuse_rows(
        parks,
        bad,
        "park_id",
        f"park_id is not a park of the zone file ({', '.join(sorted(park_ids))})",
        w,
        "use the park ids of the zone file",
    )
    missing = sorted(park_ids - {_key(v) for v in parks["park_id"]})
    if missing:
        notes.append(f"park(s) {', '.join(missing)} have no outline in the parks layer")

    clusters = frames["clusters"]
    w = _where(reports, "clusters")
    bad = [i for i, v in enumerate(clusters["cluster_id"]) if _key(v) not in cluster_park]
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
        if cluster_park[_key(c)] != _key(p)
    ]
    _refuse_rows(
        clusters,
        bad,
        "cluster_id",
        "park_id differs from the cluster's park in the zone file",
        w,
        "fix park_id",
    )
    missing = sorted(set(cluster_park) - {_key(v) for v in clusters["cluster_id"]})
    if missing:
        notes.append(f"cluster(s) {', '.join(missing)} have no outline in the clusters layer")

    parcels = frames["parcels"]
    w = _where(reports, "parcels")
    bad = [i for i, v in enumerate(parcels["park"]) if _key(v) not in park_ids]
    _refuse_rows(
        parcels,
        bad,
        "parcel_id",
        f"field 'park' is not a park of the zone ({', '.join(sorted(park_ids))})",
        w,
        "fix the park field",
    )
    bad = [i for i, v in enumerate(parcels["status"]) if _key(v) not in PARCEL_STATUSES]
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
            if _key(c) is not None and cluster_park.get(_key(c)) != _key(p)
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


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def inspect_raster(path: str | Path, zone_crs: str, *, max_cells: int = DEFAULT_MAX_CELLS) -> RasterInfo:
    """Check a DEM from its header (local GeoTIFF, CRS, cells × bands ≤ ``max_cells``).

    Returns its facts and sha256. Raises InputFileError (not a local GeoTIFF, e.g. a VRT named
    .tif or a remote path), MissingCRSError, LimitExceededError — all before any pixel is read.
    """
    p = Path(path)
    if p.suffix.lower() not in (".tif", ".tiff"):
        raise InputFileError(
            f"has the extension {p.suffix or '(none)'!r}, not .tif",
            where=str(path),
            hint="DEMs must be GeoTIFF files (.tif)",
        )
    with open_geotiff(p, max_cells=max_cells) as src:
        t = src.transform
        left, bottom, right, top = src.bounds
        zb = transform_bounds(src.crs, zone_crs, left, bottom, right, top)
        info = RasterInfo(
            path=p.resolve(),
            crs=crs_label(CRS.from_wkt(src.crs.to_wkt())),
            width=src.width,
            height=src.height,
            bands=src.count,
            dtype=str(src.dtypes[0]),
            nodata=None if src.nodata is None else float(src.nodata),
            cell_size_x=abs(float(t.a)),
            cell_size_y=abs(float(t.e)),
            bounds=(float(left), float(bottom), float(right), float(top)),
            zone_bounds=tuple(float(v) for v in zb),
            sha256="",
        )
    info.sha256 = _sha256(p)
    return info


def _canonical_sha256(data: Any) -> str:
    return hashlib.sha256(
        json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    ).hexdigest()


def read_sources(sources: ImportSources, *, limits: ImportLimits = ImportLimits()) -> ZoneBundle:
    """Read and check a zone's file, layers and DEMs; write nothing. Return the bundle.

    Raises the domain error of the first problem found (ConfigError, InputFileError,
    MissingCRSError, CRSError, SchemaError, GeometryError, LimitExceededError).
    """
    config = load_zone(sources.zone_file)
    if config.zone.crs.upper() != f"EPSG:{ZONE_SRID}":
        raise ConfigError(
            f"zone CRS {config.zone.crs} differs from the database's geometry CRS EPSG:{ZONE_SRID}",
            where=f"{sources.zone_file}: zone.crs",
            hint=f"this database stores zones in EPSG:{ZONE_SRID}",
        )
    notes: list[str] = []
    frames, reports = _read_vectors(sources, config, limits, notes)
    _cross_check(config, frames, reports, notes)
    names = [Path(d).name for d in sources.dems]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise InputFileError(
            f"two DEMs share the file name(s) {', '.join(dupes)}", where="--dem", hint="rename one of them"
        )
    rasters = [inspect_raster(d, config.zone.crs, max_cells=limits.max_raster_cells) for d in sources.dems]
    config_json = config.model_dump(mode="json")
    return ZoneBundle(
        config=config,
        config_json=config_json,
        config_sha256=_canonical_sha256(config_json),
        source_file=str(Path(sources.zone_file).resolve()),
        frames=frames,
        reports=reports,
        rasters=rasters,
        notes=notes,
    )


# --------------------------------------------------------------------------- writing


@dataclass
class ImportReport:
    """What an import did: per layer the rows written and, on replace, what changed."""

    zone_id: str
    action: str
    counts: dict[str, int] = field(default_factory=dict)
    changes: dict[str, dict[str, int]] = field(default_factory=dict)
    repairs: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    layers: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """Return the report as human-readable lines."""
        out = [f"zone {self.zone_id} {self.action}: " + ", ".join(f"{n} {k}" for k, n in self.counts.items())]
        for k, c in self.changes.items():
            out.append(f"{k}: " + ", ".join(f"{n} {what}" for what, n in c.items()))
        out += self.layers + [f"repaired {r}" for r in self.repairs] + self.notes
        return out


def _jsonable_row(row: Mapping[str, Any], skip: set[str]) -> dict[str, Any]:
    return {k: audit.jsonable(v) for k, v in row.items() if k not in skip and k != "geometry"}


def _text(value: Any) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def _geoms(gdf: gpd.GeoDataFrame) -> list[BaseGeometry]:
    return list(shapely.force_2d(np.asarray(gdf.geometry.array, dtype=object)))


def _same_geom(a: BaseGeometry | None, b: BaseGeometry | None) -> bool:
    if a is None or b is None:
        return a is b
    return a.equals_exact(b, 1e-6) or a.equals(b)


def _upsert_versioned(
    session: Session,
    entity: str,
    obj: Any,
    values: dict[str, Any],
    new_geom: BaseGeometry | None,
    user: str | None,
    zone_id: str,
    counts: dict[str, int],
) -> None:
    """Update an existing cluster/parcel if anything changed: new version + audit entry."""
    before, old_geom = cluster_state(obj) if entity == "cluster" else parcel_state(session, obj)
    changed = not _same_geom(old_geom, new_geom) or any(
        audit.jsonable(getattr(obj, k)) != audit.jsonable(v) for k, v in values.items() if k != "geom"
    )
    if not changed:
        counts["unchanged"] += 1
        return
    versioned_update(
        session, entity, obj.id, obj.version, {**values, "updated_at": utcnow(), "updated_by": user}
    )
    session.refresh(obj)
    after, geom = cluster_state(obj) if entity == "cluster" else parcel_state(session, obj)
    audit.record(
        session,
        user=user,
        action="import",
        entity=entity,
        entity_id=obj.id,
        entity_key=obj.code if entity == "cluster" else obj.parcel_id,
        zone_id=zone_id,
        version=obj.version,
        before_attrs=before,
        after_attrs=after,
        before_geom=old_geom,
        after_geom=geom,
        note=messages.zone_reimported(),
    )
    counts["updated"] += 1


def _delete_versioned(session: Session, entity: str, obj: Any, user: str | None, zone_id: str) -> None:
    before, geom = cluster_state(obj) if entity == "cluster" else parcel_state(session, obj)
    model = Cluster if entity == "cluster" else Parcel
    session.execute(delete(model).where(model.id == obj.id).execution_options(synchronize_session=False))
    audit.record(
        session,
        user=user,
        action="delete",
        entity=entity,
        entity_id=obj.id,
        entity_key=obj.code if entity == "cluster" else obj.parcel_id,
        zone_id=zone_id,
        version=obj.version + 1,
        before_attrs=before,
        before_geom=geom,
        note=messages.not_in_reimport(),
    )
    session.expunge(obj)


def _exists(zone_id: str) -> ConflictError:
    return ConflictError(
        f"zone {zone_id!r} is already in the database",
        where=f"zone {zone_id}",
        hint="pass --replace to replace its layers (history is kept)",
    )


def write_zone(
    session: Session, bundle: ZoneBundle, *, replace: bool = False, user: User | str | None = None
) -> ImportReport:
    """Write a checked bundle in the caller's transaction (flushes, does not commit).

    Raises ``ConflictError`` when the zone exists and ``replace`` is False.
    """
    if isinstance(user, User):
        require(user, "import_zone")
        user = user.name
    cfg = bundle.config
    zid = bundle.zone_id
    existing = session.get(Zone, zid)
    if existing is not None and not replace:
        raise _exists(zid)
    report = ImportReport(zone_id=zid, action="replaced" if existing else "created")
    for name, r in bundle.reports.items():
        crs = f"reprojected {r.source_crs} → {r.crs}" if r.reprojected else r.crs
        report.layers.append(f"{name}: {r.features} features from {Path(r.source).name} ({crs})")
        report.repairs += [f"{name} {rep.describe(r.id_field)}" for rep in r.repairs]
    report.notes += bundle.notes

    zone_values = dict(
        name=cfg.zone.name,
        name_en=cfg.zone.name_en,
        crs=cfg.zone.crs,
        srid=ZONE_SRID,
        config=bundle.config_json,
        config_sha256=bundle.config_sha256,
        source_file=bundle.source_file,
        imported_at=utcnow(),
        imported_by=user,
    )
    if existing is None:
        session.add(Zone(id=zid, **zone_values))
    else:
        for k, v in zone_values.items():
            setattr(existing, k, v)
    session.flush()

    # ---- parks (config + outline)
    parks_gdf = bundle.frames["parks"]
    park_geom = {_key(k): g for k, g in zip(parks_gdf["park_id"], _geoms(parks_gdf))}
    park_attrs = {
        _key(row["park_id"]): _jsonable_row(row, {"park_id", "name", "name_en", "area_m2", "area_mu"})
        for _, row in parks_gdf.drop(columns="geometry").iterrows()
    }
    old_parks = {p.code: p for p in session.scalars(select(Park).where(Park.zone_id == zid))}
    park_ids: dict[str, int] = {}
    for p in cfg.parks:
        g = park_geom.get(p.id)
        values = dict(
            name=p.name,
            name_en=p.name_en,
            attrs=park_attrs.get(p.id, {}),
            geom=to_db(g),
            area_m2=None if g is None else float(g.area),
            area_mu=None if g is None else float(g.area) / MU_M2,
        )
        obj = old_parks.pop(p.id, None)
        if obj is None:
            obj = Park(zone_id=zid, code=p.id, **values)
            session.add(obj)
        else:
            for k, v in values.items():
                setattr(obj, k, v)
        session.flush()
        park_ids[p.id] = obj.id

    # ---- clusters (config + outline), versioned
    cl_gdf = bundle.frames["clusters"]
    cl_geom = {_key(k): g for k, g in zip(cl_gdf["cluster_id"], _geoms(cl_gdf))}
    cl_attrs = {
        _key(row["cluster_id"]): _jsonable_row(
            row, {"cluster_id", "park_id", "name", "name_en", "kind", "area_m2", "area_mu"}
        )
        for _, row in cl_gdf.drop(columns="geometry").iterrows()
    }
    old_clusters = {c.code: c for c in session.scalars(select(Cluster).where(Cluster.zone_id == zid))}
    cluster_ids: dict[str, int] = {}
    cl_counts = {"added": 0, "updated": 0, "unchanged": 0, "removed": 0}
    for park, c in cfg.clusters():
        g = cl_geom.get(c.id)
        values = dict(
            park_id=park_ids[park.id],
            name=c.name,
            name_en=c.name_en,
            kind=c.kind,
            directions=c.directions,
            admits=[a.model_dump(mode="json") for a in c.admits],
            admits_encouraged_under_review=c.admits_encouraged_under_review,
            attrs=cl_attrs.get(c.id, {}),
            geom=to_db(g),
            area_m2=None if g is None else float(g.area),
            area_mu=None if g is None else float(g.area) / MU_M2,
        )
        obj = old_clusters.pop(c.id, None)
        if obj is None:
            obj = Cluster(zone_id=zid, code=c.id, version=1, updated_at=utcnow(), updated_by=user, **values)
            session.add(obj)
            session.flush()
            cl_counts["added"] += 1
        else:
            _upsert_versioned(session, "cluster", obj, values, g, user, zid, cl_counts)
        cluster_ids[c.id] = obj.id

    # ---- enterprises named by parcels
    pa_gdf = bundle.frames["parcels"]
    names = sorted({n for n in (_text(v) for v in pa_gdf.get("enterprise", [])) if n})
    ent_ids = dict(
        session.execute(select(Enterprise.name, Enterprise.id).where(Enterprise.zone_id == zid)).all()
    )
    for n in names:
        if n not in ent_ids:
            e = Enterprise(zone_id=zid, name=n, attrs={})
            session.add(e)
            session.flush()
            ent_ids[n] = e.id

    # ---- parcels, versioned
    shapes_by_park: dict[str, list[tuple[int, BaseGeometry]]] = {}
    for park, c in cfg.clusters():
        if cl_geom.get(c.id) is not None:
            shapes_by_park.setdefault(park.id, []).append((cluster_ids[c.id], cl_geom[c.id]))
    old_parcels = {p.parcel_id: p for p in session.scalars(select(Parcel).where(Parcel.zone_id == zid))}
    pa_counts = {"added": 0, "updated": 0, "unchanged": 0, "removed": 0}
    has_cluster = "cluster" in pa_gdf.columns
    new_rows = []
    for (_, row), g in zip(pa_gdf.drop(columns="geometry").iterrows(), _geoms(pa_gdf)):
        pid, park = _key(row["parcel_id"]), _key(row["park"])
        if has_cluster:
            code = _key(row["cluster"])
            cid = cluster_ids.get(code) if code else None
        else:
            cid = assign_cluster(g, shapes_by_park.get(park, []))
        ent = _text(row.get("enterprise"))
        values = dict(
            park_id=park_ids[park],
            cluster_id=cid,
            status=_key(row["status"]),
            area_m2=float(g.area),
            area_mu=float(g.area) / MU_M2,
            enterprise=ent,
            enterprise_id=ent_ids.get(ent) if ent else None,
            land_use=_text(row.get("land_use")),
            attrs=_jsonable_row(row, _PARCEL_COLUMNS),
            geom=to_db(g),
        )
        obj = old_parcels.pop(pid, None)
        if obj is None:
            new_rows.append(
                dict(zone_id=zid, parcel_id=pid, version=1, updated_at=utcnow(), updated_by=user, **values)
            )
        else:
            _upsert_versioned(session, "parcel", obj, values, g, user, zid, pa_counts)
    if new_rows:
        session.execute(insert(Parcel), new_rows)
        pa_counts["added"] = len(new_rows)
    for obj in old_parcels.values():
        _delete_versioned(session, "parcel", obj, user, zid)
        pa_counts["removed"] += 1
    for obj in old_clusters.values():
        _delete_versioned(session, "cluster", obj, user, zid)
        cl_counts["removed"] += 1
    for obj in old_parks.values():
        session.delete(obj)

    # ---- infrastructure and rasters: replaced wholesale
    session.execute(delete(InfrastructureFeature).where(InfrastructureFeature.zone_id == zid))
    for name in INFRASTRUCTURE:
        gdf = bundle.frames.get(name)
        if gdf is None:
            continue
        spec = LAYERS[name]
        skip = {spec.id_field, "name", "status", *([spec.kind_field] if spec.kind_field else [])}
        rows = [
            dict(
                zone_id=zid,
                layer=name,
                code=_key(row[spec.id_field]),
                name=_text(row.get("name")),
                kind=_text(row.get(spec.kind_field)) if spec.kind_field else None,
                status=_text(row.get("status")),
                attrs=_jsonable_row(row, skip),
                geom=to_db(g, multi=False),
            )
            for (_, row), g in zip(gdf.drop(columns="geometry").iterrows(), _geoms(gdf))
        ]
        session.execute(insert(InfrastructureFeature), rows)
        report.counts[name] = len(rows)
    session.execute(delete(RasterRef).where(RasterRef.zone_id == zid))
    outlines = {code: park_geom.get(code) for code in park_ids}
    for r in bundle.rasters:
        footprint = box(*r.zone_bounds)
        overlap = {code: g.intersection(footprint).area for code, g in outlines.items() if g is not None}
        park_code = max(overlap, key=overlap.get) if overlap and max(overlap.values()) > 0 else None
        session.add(
            RasterRef(
                zone_id=zid,
                name=r.path.name,
                kind="dem",
                park_id=park_ids.get(park_code) if park_code else None,
                path=str(r.path),
                crs=r.crs,
                width=r.width,
                height=r.height,
                bands=r.bands,
                dtype=r.dtype,
                nodata=r.nodata,
                cell_size_x=r.cell_size_x,
                cell_size_y=r.cell_size_y,
                min_x=r.bounds[0],
                min_y=r.bounds[1],
                max_x=r.bounds[2],
                max_y=r.bounds[3],
                sha256=r.sha256,
                imported_at=utcnow(),
            )
        )
    session.flush()

    report.counts = {
        "parks": len(park_ids),
        "clusters": len(cluster_ids),
        "parcels": len(pa_gdf),
        **report.counts,
        "dems": len(bundle.rasters),
        "enterprises": len(names),
    }
    if existing is not None:
        report.changes = {"clusters": cl_counts, "parcels": pa_counts}
    audit.record(
        session,
        user=user,
        action="replace" if existing else "import",
        entity="zone",
        entity_id=zid,
        entity_key=cfg.zone.name,
        zone_id=zid,
        after_attrs={
            "counts": report.counts,
            "changes": report.changes,
            "repairs": report.repairs,
            "notes": report.notes,
            "config_sha256": bundle.config_sha256,
            "source_file": bundle.source_file,
            "dems": [str(r.path) for r in bundle.rasters],
        },
    )
    return report


def import_zone(
    factory: sessionmaker[Session],
    sources: ImportSources,
    *,
    replace: bool = False,
    user: User | str | None = None,
    limits: ImportLimits = ImportLimits(),
) -> ImportReport:
    """Read and check everything, then write the zone in one transaction; return the report.

    Nothing is written when any check fails, and a failure while writing rolls the whole
    transaction back: the database is left as it was.
    """
    if not replace:  # fail fast, before reading the layers (write_zone checks again)
        zone_id = load_zone(sources.zone_file).zone.id
        with factory() as session:
            if session.get(Zone, zone_id) is not None:
                raise _exists(zone_id)
    bundle = read_sources(sources, limits=limits)
    with factory() as session, session.begin():
        return write_zone(session, bundle, replace=replace, user=user)
