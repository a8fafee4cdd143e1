"""Writing a checked zone (a :class:`~app.db.import_read.ZoneBundle`) into the database, in the
caller's transaction, step by step: the zone row, parks, clusters (versioned), enterprises,
parcels (versioned), what the layers no longer hold, infrastructure and DEM references, and
the zone's audit entry. See :mod:`app.db.importer` for what a re-import keeps.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from app.db import audit, notes
from app.db.geometry import to_db
from app.db.import_layers import INFRASTRUCTURE, LAYERS, PARCEL_COLUMNS, field_text
from app.db.import_read import ZoneBundle
from app.db.models import (
    ZONE_SRID,
    ClusterRow,
    EnterpriseRow,
    InfrastructureFeatureRow,
    ParcelRow,
    ParkRow,
    RasterRefRow,
    UserRow,
    ZoneRow,
    utcnow,
)
from app.db.parcel_assignment import assign_cluster
from app.db.users import require
from app.db.versioning import cluster_state, parcel_state, versioned_update
from gis.errors import ConflictError
from gis.tables import key_text
from gis.units import MU_M2

#: Counts of a versioned layer's rows on re-import, by what happened to them.
_CHANGE_KINDS = ("added", "updated", "unchanged", "removed")


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
        note=notes.zone_reimported(),
    )
    counts["updated"] += 1


def _delete_versioned(session: Session, entity: str, obj: Any, user: str | None, zone_id: str) -> None:
    before, geom = cluster_state(obj) if entity == "cluster" else parcel_state(session, obj)
    model = ClusterRow if entity == "cluster" else ParcelRow
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
        note=notes.not_in_reimport(),
    )
    session.expunge(obj)


def zone_exists_error(zone_id: str) -> ConflictError:
    """Return the error for importing a zone that is already in the database (without replace)."""
    return ConflictError(
        f"zone {zone_id!r} is already in the database",
        where=f"zone {zone_id}",
        hint="pass --replace to replace its layers (history is kept)",
    )


def _new_report(bundle: ZoneBundle, *, replacing: bool) -> ImportReport:
    """Return the report of a write: the layers as read, their repairs and the reading notes."""
    report = ImportReport(zone_id=bundle.zone_id, action="replaced" if replacing else "created")
    for name, r in bundle.reports.items():
        crs = f"reprojected {r.source_crs} → {r.crs}" if r.reprojected else r.crs
        report.layers.append(f"{name}: {r.features} features from {Path(r.source).name} ({crs})")
        report.repairs += [f"{name} {rep.describe(r.id_field)}" for rep in r.repairs]
    report.notes += bundle.notes
    return report


def _write_zone_row(session: Session, bundle: ZoneBundle, existing: ZoneRow | None, user: str | None) -> None:
    """Create the zone row, or update the existing one: name, CRS, rules as JSON, source."""
    cfg = bundle.config
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
        session.add(ZoneRow(id=bundle.zone_id, **zone_values))
    else:
        for k, v in zone_values.items():
            setattr(existing, k, v)
    session.flush()


@dataclass
class _Written:
    """Rows of one layer after writing: code → database id and outline (zone CRS), the change
    counts, and the old rows the layer no longer holds (deleted after the parcels)."""

    ids: dict[str, int]
    outlines: dict[str | None, BaseGeometry]
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_CHANGE_KINDS, 0))
    stale: list[Any] = field(default_factory=list)


def _write_parks(session: Session, bundle: ZoneBundle) -> _Written:
    """Create or update the zone file's parks with their outlines from the parks layer."""
    zid = bundle.zone_id
    parks_gdf = bundle.frames["parks"]
    park_geom = {key_text(k): g for k, g in zip(parks_gdf["park_id"], _geoms(parks_gdf))}
    park_attrs = {
        key_text(row["park_id"]): _jsonable_row(row, {"park_id", "name", "name_en", "area_m2", "area_mu"})
        for _, row in parks_gdf.drop(columns="geometry").iterrows()
    }
    old_parks = {p.code: p for p in session.scalars(select(ParkRow).where(ParkRow.zone_id == zid))}
    park_ids: dict[str, int] = {}
    for p in bundle.config.parks:
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
            obj = ParkRow(zone_id=zid, code=p.id, **values)
            session.add(obj)
        else:
            for k, v in values.items():
                setattr(obj, k, v)
        session.flush()
        park_ids[p.id] = obj.id
    return _Written(park_ids, park_geom, stale=list(old_parks.values()))


def _write_clusters(
    session: Session, bundle: ZoneBundle, park_ids: Mapping[str, int], user: str | None
) -> _Written:
    """Create the zone file's new clusters (version 1) and update changed ones (new version,
    audited); outlines from the clusters layer."""
    zid = bundle.zone_id
    cl_gdf = bundle.frames["clusters"]
    cl_geom = {key_text(k): g for k, g in zip(cl_gdf["cluster_id"], _geoms(cl_gdf))}
    cl_attrs = {
        key_text(row["cluster_id"]): _jsonable_row(
            row, {"cluster_id", "park_id", "name", "name_en", "kind", "area_m2", "area_mu"}
        )
        for _, row in cl_gdf.drop(columns="geometry").iterrows()
    }
    old_clusters = {c.code: c for c in session.scalars(select(ClusterRow).where(ClusterRow.zone_id == zid))}
    written = _Written({}, cl_geom)
    for park, c in bundle.config.clusters():
        g = cl_geom.get(c.id)
        values = dict(
            park_id=park_ids[park.id],
            name=c.name,
            name_en=c.name_en,
            kind=c.kind,
            directions=c.directions,
            admits=None if c.admits is None else [a.stored() for a in c.admits],
            admits_encouraged_under_review=c.admits_encouraged_under_review,
            attrs=cl_attrs.get(c.id, {}),
            geom=to_db(g),
            area_m2=None if g is None else float(g.area),
            area_mu=None if g is None else float(g.area) / MU_M2,
        )
        obj = old_clusters.pop(c.id, None)
        if obj is None:
            obj = ClusterRow(
                zone_id=zid, code=c.id, version=1, updated_at=utcnow(), updated_by=user, **values
            )
            session.add(obj)
            session.flush()
            written.counts["added"] += 1
        else:
            _upsert_versioned(session, "cluster", obj, values, g, user, zid, written.counts)
        written.ids[c.id] = obj.id
    written.stale = list(old_clusters.values())
    return written


def _write_enterprises(session: Session, bundle: ZoneBundle) -> tuple[list[str], dict[str, int]]:
    """Add the enterprises named by the parcels that the zone does not have yet.

    Returns the names the parcels use (sorted) and every enterprise name → id of the zone.
    """
    zid = bundle.zone_id
    pa_gdf = bundle.frames["parcels"]
    names = sorted({n for n in (field_text(v) for v in pa_gdf.get("enterprise", [])) if n})
    ent_ids = dict(
        session.execute(
            select(EnterpriseRow.name, EnterpriseRow.id).where(EnterpriseRow.zone_id == zid)
        ).all()
    )
    for n in names:
        if n not in ent_ids:
            e = EnterpriseRow(zone_id=zid, name=n, attrs={})
            session.add(e)
            session.flush()
            ent_ids[n] = e.id
    return names, ent_ids


def _write_parcels(
    session: Session,
    bundle: ZoneBundle,
    park_ids: Mapping[str, int],
    clusters: _Written,
    ent_ids: Mapping[str, int],
    user: str | None,
) -> _Written:
    """Insert the new parcels (version 1) and update changed ones (new version, audited).

    A parcel's cluster is its ``cluster`` field; without that field, the cluster of its park
    covering most of it (:func:`app.db.parcel_assignment.assign_cluster`).
    """
    zid = bundle.zone_id
    pa_gdf = bundle.frames["parcels"]
    cl_geom = clusters.outlines
    shapes_by_park: dict[str, list[tuple[int, BaseGeometry]]] = {}
    for park, c in bundle.config.clusters():
        if cl_geom.get(c.id) is not None:
            shapes_by_park.setdefault(park.id, []).append((clusters.ids[c.id], cl_geom[c.id]))
    old_parcels = {p.parcel_id: p for p in session.scalars(select(ParcelRow).where(ParcelRow.zone_id == zid))}
    written = _Written({}, {})
    has_cluster = "cluster" in pa_gdf.columns
    new_rows = []
    for (_, row), g in zip(pa_gdf.drop(columns="geometry").iterrows(), _geoms(pa_gdf)):
        pid, park = key_text(row["parcel_id"]), key_text(row["park"])
        if has_cluster:
            code = key_text(row["cluster"])
            cid = clusters.ids.get(code) if code else None
        else:
            cid = assign_cluster(g, shapes_by_park.get(park, []))
        ent = field_text(row.get("enterprise"))
        values = dict(
            park_id=park_ids[park],
            cluster_id=cid,
            status=key_text(row["status"]),
            area_m2=float(g.area),
            area_mu=float(g.area) / MU_M2,
            enterprise=ent,
            enterprise_id=ent_ids.get(ent) if ent else None,
            land_use=field_text(row.get("land_use")),
            attrs=_jsonable_row(row, PARCEL_COLUMNS),
            geom=to_db(g),
        )
        obj = old_parcels.pop(pid, None)
        if obj is None:
            new_rows.append(
                dict(zone_id=zid, parcel_id=pid, version=1, updated_at=utcnow(), updated_by=user, **values)
            )
        else:
            _upsert_versioned(session, "parcel", obj, values, g, user, zid, written.counts)
    if new_rows:
        session.execute(insert(ParcelRow), new_rows)
        written.counts["added"] = len(new_rows)
    written.stale = list(old_parcels.values())
    return written


def _delete_stale(
    session: Session, parks: _Written, clusters: _Written, parcels: _Written, user: str | None, zone_id: str
) -> None:
    """Delete the parcels, clusters and parks the layers no longer hold (in that order; parcels
    and clusters audited)."""
    for obj in parcels.stale:
        _delete_versioned(session, "parcel", obj, user, zone_id)
        parcels.counts["removed"] += 1
    for obj in clusters.stale:
        _delete_versioned(session, "cluster", obj, user, zone_id)
        clusters.counts["removed"] += 1
    for obj in parks.stale:
        session.delete(obj)


def _write_infrastructure(session: Session, bundle: ZoneBundle, drop_missing: bool) -> dict[str, int]:
    """Replace the zone's features of each infrastructure layer the bundle carries wholesale; a
    layer it does not carry is kept, or removed with ``drop_missing``.

    Returns the number of features written per infrastructure layer present.
    """
    zid = bundle.zone_id
    counts: dict[str, int] = {}
    carried = [n for n in INFRASTRUCTURE if n in bundle.frames or drop_missing]
    session.execute(
        delete(InfrastructureFeatureRow).where(
            InfrastructureFeatureRow.zone_id == zid, InfrastructureFeatureRow.layer.in_(carried)
        )
    )
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
                code=key_text(row[spec.id_field]),
                name=field_text(row.get("name")),
                kind=field_text(row.get(spec.kind_field)) if spec.kind_field else None,
                status=field_text(row.get("status")),
                attrs=_jsonable_row(row, skip),
                geom=to_db(g, multi=False),
            )
            for (_, row), g in zip(gdf.drop(columns="geometry").iterrows(), _geoms(gdf))
        ]
        session.execute(insert(InfrastructureFeatureRow), rows)
        counts[name] = len(rows)
    return counts


def _write_rasters(session: Session, bundle: ZoneBundle, parks: _Written, drop_missing: bool) -> None:
    """Replace the zone's DEM references (kept when the bundle has none, unless ``drop_missing``);
    each DEM goes to the park its footprint overlaps most."""
    zid = bundle.zone_id
    if not bundle.rasters and not drop_missing:
        return
    session.execute(delete(RasterRefRow).where(RasterRefRow.zone_id == zid))
    outlines = {code: parks.outlines.get(code) for code in parks.ids}
    for r in bundle.rasters:
        footprint = box(*r.zone_bounds)
        overlap = {code: g.intersection(footprint).area for code, g in outlines.items() if g is not None}
        park_code = max(overlap, key=overlap.get) if overlap and max(overlap.values()) > 0 else None
        session.add(
            RasterRefRow(
                zone_id=zid,
                name=r.path.name,
                kind="dem",
                park_id=parks.ids.get(park_code) if park_code else None,
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


def _audit_zone(
    session: Session, bundle: ZoneBundle, report: ImportReport, user: str | None, replaced: bool
) -> None:
    """Record the import (or replace) of the zone in the audit log, with the report's facts."""
    zid = bundle.zone_id
    audit.record(
        session,
        user=user,
        action="replace" if replaced else "import",
        entity="zone",
        entity_id=zid,
        entity_key=bundle.config.zone.name,
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


def write_zone(
    session: Session,
    bundle: ZoneBundle,
    *,
    replace: bool = False,
    user: UserRow | str | None = None,
    drop_missing: bool = False,
) -> ImportReport:
    """Write a checked bundle in the caller's transaction (flushes, does not commit).

    Returns what was written (and on replace, what changed). Raises ``ConflictError`` when the
    zone exists and ``replace`` is False. Infrastructure layers and DEMs the bundle does not
    carry are kept, unless ``drop_missing`` (:mod:`app.db.import_plan`).
    """
    if isinstance(user, UserRow):
        require(user, "import_zone")
        user = user.name
    zid = bundle.zone_id
    existing = session.get(ZoneRow, zid)
    if existing is not None and not replace:
        raise zone_exists_error(zid)
    replaced = existing is not None
    report = _new_report(bundle, replacing=replaced)
    _write_zone_row(session, bundle, existing, user)
    parks = _write_parks(session, bundle)
    clusters = _write_clusters(session, bundle, parks.ids, user)
    enterprise_names, ent_ids = _write_enterprises(session, bundle)
    parcels = _write_parcels(session, bundle, parks.ids, clusters, ent_ids, user)
    _delete_stale(session, parks, clusters, parcels, user, zid)
    report.counts = _write_infrastructure(session, bundle, drop_missing)
    _write_rasters(session, bundle, parks, drop_missing)
    session.flush()

    report.counts = {
        "parks": len(parks.ids),
        "clusters": len(clusters.ids),
        "parcels": len(bundle.frames["parcels"]),
        **report.counts,
        "dems": len(bundle.rasters),
        "enterprises": len(enterprise_names),
    }
    if replaced:
        report.changes = {"clusters": clusters.counts, "parcels": parcels.counts}
    _audit_zone(session, bundle, report, user, replaced)
    return report
