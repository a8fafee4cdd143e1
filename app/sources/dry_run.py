"""Importing a zone from its own files: the dry run first, then the import, all or nothing.

:func:`plan_import` reads everything an :class:`ImportRequest` names — the zone file, the
layers through a field mapping (or as they are), the DEMs (tiles mosaicked into the zone CRS in
memory) — runs the importer's own checks (:func:`app.db.import_read.read_sources`) and the dry
run's (areas against the zone file, the parcel fabric), and returns an :class:`ImportPlan`
whose ``report`` says all of it. Nothing is written. :func:`run_import` then writes the DEM
mosaics next to the zone file and imports the zone with :func:`app.db.importer.import_zone` in
one transaction; a failure removes the mosaics it wrote and leaves the database as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyogrio
from sqlalchemy.orm import Session, sessionmaker

from app.db.import_layers import LAYERS
from app.db.import_read import ImportSources, ZoneBundle, read_sources
from app.db.importer import ImportReport, import_zone
from app.sources import findings
from app.sources.convert import ConvertedLayer, convert_layer
from app.sources.dems import DemPlan, mosaic_name, plan_dems, write_planned
from app.sources.mapping import FieldMapping, LayerMapping, load_mapping
from app.sources.report import DryRunReport
from gis.errors import InputFileError, ParksiteError
from gis.messages import msg
from scoring.zone import ZoneConfig, load_zone, zone_data_path


@dataclass
class ImportRequest:
    """What to import: the zone file; layers from a field mapping, a GeoPackage and/or single
    files; DEMs (default: the zone file's); the CRS and encoding of files that do not declare
    them; the resolution DEM tiles are reprojected to; where their mosaic is written (default:
    the folder ``<zone id>`` beside the zone file)."""

    zone_file: Path
    mapping_file: Path | None = None
    layers: Path | None = None
    layer_files: dict[str, Path] = field(default_factory=dict)
    dems: list[Path] | None = None
    crs: str | None = None
    encoding: str | None = None
    dem_resolution: float | None = None
    dem_folder: Path | None = None


@dataclass
class ImportPlan:
    """A request read and checked: the zone, its converted layers, the DEM plan, the sources
    the importer takes, the bundle it read (None when refused) and the report."""

    request: ImportRequest
    zone: ZoneConfig
    report: DryRunReport
    converted: dict[str, ConvertedLayer]
    dems: DemPlan | None
    sources: ImportSources
    bundle: ZoneBundle | None

    def dem_folder(self) -> Path:
        """Where DEM mosaics are written."""
        return self.request.dem_folder or Path(self.request.zone_file).resolve().parent / self.zone.zone.id


def layer_specs(
    request: ImportRequest, default_layers: Path | None = None
) -> tuple[FieldMapping | None, dict[str, tuple[LayerMapping, Path]]]:
    """Each layer to read, in parksite's layer order: its mapping entry and the folder its
    paths are relative to — from the GeoPackage (``request.layers``, else ``default_layers``),
    then the single files, then the field mapping (each later source wins for its layers)."""
    specs: dict[str, tuple[LayerMapping, Path]] = {}
    gpkg = request.layers or default_layers
    if gpkg is not None:
        if not Path(gpkg).is_file():
            raise InputFileError("file not found", where=str(gpkg), hint="check the --layers path")
        present = {str(n) for n, _ in pyogrio.list_layers(gpkg)}
        for name in LAYERS:
            if name in present:
                specs[name] = (LayerMapping(file=str(Path(gpkg).resolve()), layer=name), Path.cwd())
    for name, path in request.layer_files.items():
        specs[name] = (LayerMapping(file=str(Path(path).resolve())), Path.cwd())
    mapping = load_mapping(request.mapping_file) if request.mapping_file else None
    if mapping is not None:
        base = Path(request.mapping_file).resolve().parent  # type: ignore[arg-type]
        for name, spec in mapping.layers.items():
            specs[name] = (spec, base)
    return mapping, {n: specs[n] for n in LAYERS if n in specs}


def _clip(frames: dict[str, gpd.GeoDataFrame]) -> tuple[float, float, float, float] | None:
    """The area DEMs must cover: the parks, else every layer read."""
    chosen = [frames["parks"]] if "parks" in frames else list(frames.values())
    bounds = [f.total_bounds for f in chosen if len(f)]
    if not bounds:
        return None
    return (
        min(b[0] for b in bounds),
        min(b[1] for b in bounds),
        max(b[2] for b in bounds),
        max(b[3] for b in bounds),
    )


def plan_import(request: ImportRequest) -> ImportPlan:
    """Read and check everything ``request`` names and report it; write nothing.

    Problems with a layer, a DEM or the importer's checks become errors in the report (the
    plan's ``bundle`` is then None); an invalid zone or mapping file raises ConfigError.
    """
    zone = load_zone(request.zone_file)
    crs = zone.zone.crs
    report = DryRunReport(zone_id=zone.zone.id, zone_crs=crs)
    default = (
        zone_data_path(request.zone_file, zone.data.layers)
        if zone.data.layers and request.mapping_file is None and not request.layer_files
        else None
    )
    mapping, specs = layer_specs(request, default)
    converted: dict[str, ConvertedLayer] = {}
    for name, (spec, base) in specs.items():
        try:
            converted[name] = convert_layer(
                name,
                spec,
                crs,
                zone.land_codes,
                base=base,
                mapping=mapping,
                crs=request.crs,
                encoding=request.encoding,
            )
        except ParksiteError as exc:
            findings.error_items(report, name, exc)
            continue
        c = converted[name]
        findings.reading_items(report, name, c.report)
        findings.repair_items(report, name, c.report, c.frame, crs)
        findings.mapping_items(report, name, c)
        findings.dxf_label_items(report, name, c, crs)
    for name, spec in LAYERS.items():
        if spec.mandatory and name not in specs:
            report.add("error", name, msg("import.layer.missing", layer=msg(f"import.layer_name.{name}")))
    frames = {n: c.frame for n, c in converted.items()}
    dem_paths = (
        request.dems
        if request.dems is not None
        else [zone_data_path(request.zone_file, d) for d in zone.data.dems]
    )
    dems: DemPlan | None = None
    if dem_paths:
        try:
            dems = plan_dems(dem_paths, crs, resolution=request.dem_resolution, clip=_clip(frames))
        except ParksiteError as exc:
            findings.error_items(report, "dem", exc)
    sources = ImportSources(
        zone_file=Path(request.zone_file),
        dems=list(dems.as_is) if dems else [],
        frames={n: (c.frame, c.report) for n, c in converted.items()},
    )
    bundle = None
    if report.ok:
        try:
            bundle = read_sources(sources)
        except ParksiteError as exc:
            findings.error_items(report, "outcome", exc)
    plan = ImportPlan(request, zone, report, converted, dems, sources, bundle)
    _checks(plan, frames)
    return plan


def _checks(plan: ImportPlan, frames: dict[str, gpd.GeoDataFrame]) -> None:
    """Areas, the parcel fabric, DEMs and the outcome, from the importer's frames if it read
    them, else from the converted ones."""
    report, crs = plan.report, plan.zone.zone.crs
    checked = plan.bundle.frames if plan.bundle is not None else frames
    report.counts = {n: len(f) for n, f in checked.items()}
    findings.area_items(report, plan.zone, checked)
    parcels = checked.get("parcels")
    if parcels is not None and len(parcels):
        ids: list[Any] = (
            list(parcels["parcel_id"])
            if "parcel_id" in parcels.columns
            else [f"#{i + 1}" for i in range(len(parcels))]
        )
        findings.fabric_items(report, parcels, ids, checked.get("parks"), crs)
    if plan.dems is not None:
        folder = plan.dem_folder()
        outs = [str(folder / mosaic_name(plan.zone.zone.id, m)) for m in plan.dems.mosaics]
        findings.dem_items(report, plan.dems, outs)
    if plan.bundle is not None:
        for note in plan.bundle.notes:
            report.add("info", "outcome", msg("import.note", note=note))
    if report.ok:
        report.add("info", "outcome", msg("import.ok", layers=[f"{n} {k}" for n, k in report.counts.items()]))
    else:
        report.add("error", "outcome", msg("import.blocked", count=report.count("error")))


def run_import(
    factory: sessionmaker[Session],
    plan: ImportPlan,
    *,
    replace: bool = False,
    user: str | None = None,
    **options: Any,
) -> ImportReport:
    """Write the plan's DEM mosaics and import the zone, all or nothing; return the importer's
    report. Refuses (the plan's first error) when the dry run found an error. ``options`` go
    to :func:`app.db.importer.import_zone` as they are."""
    if not plan.report.ok:
        first = next(i for i in plan.report.items if i.level == "error")
        from app.i18n import render

        raise InputFileError(
            f"the dry run found {plan.report.count('error')} error(s), the first: {render(first.message, 'en')}",
            where=str(plan.request.zone_file),
            hint="run with --dry-run to see them all, and fix them",
        )
    written: list[Path] = []
    folder = plan.dem_folder()
    existed = {p for p in folder.glob("*.tif")} if folder.is_dir() else set()
    try:
        if plan.dems is not None and plan.dems.mosaics:
            written = [p for p in write_planned(plan.dems, folder, plan.zone.zone.id) if p not in existed]
            plan.sources.dems = plan.dems.paths()
        return import_zone(factory, plan.sources, replace=replace, user=user, **options)
    except BaseException:
        for p in written:
            p.unlink(missing_ok=True)
        raise
