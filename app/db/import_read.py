"""Reading and checking a zone's sources — its YAML, vector layers and DEMs — into a
:class:`ZoneBundle`, writing nothing (see :mod:`app.db.importer`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyogrio
from pyproj import CRS
from rasterio.warp import transform_bounds

from app.db.import_checks import cross_check
from app.db.import_layers import LAYERS
from app.db.models import ZONE_SRID
from app.settings import DEFAULT_ZONE_FILE
from gis.archive import ZipLimits
from gis.crs import crs_label
from gis.errors import ConfigError, InputFileError, SchemaError
from gis.layers import LayerReport, prepare_layer, read_layer
from gis.raster import DEFAULT_MAX_CELLS, open_geotiff
from scoring.zone import ZoneConfig, load_zone, zone_data_path

# --------------------------------------------------------------------------- sources


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
    #: Layers already read and mapped from the zone's own files (:mod:`app.sources.convert`),
    #: each with the report of its reading; they take precedence over files of the same name.
    frames: dict[str, tuple[gpd.GeoDataFrame, LayerReport]] = field(default_factory=dict)


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
        if name in sources.frames:
            frames[name], reports[name] = _prepare_frame(name, *sources.frames[name], config)
            continue
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


def _prepare_frame(
    name: str, frame: gpd.GeoDataFrame, first: LayerReport, config: ZoneConfig
) -> tuple[gpd.GeoDataFrame, LayerReport]:
    """Check a layer made from the zone's own files by its ``LAYERS`` rules; the report keeps
    how it was read (source, CRS, encoding, repairs) and adds what this check did."""
    spec = LAYERS[name]
    gdf, report = prepare_layer(
        frame,
        where=first.source + (f" [layer {first.layer}]" if first.layer else ""),
        target_crs=config.zone.crs,
        geometry=spec.geometry,
        required=spec.required,
        finite=spec.finite,
        id_field=spec.id_field,
        repair=True,
    )
    return gdf, replace(
        first,
        features=report.features,
        repairs=first.repairs + report.repairs,
        notes=first.notes + report.notes,
        id_field=spec.id_field,
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
    cross_check(config, frames, reports, notes)
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
