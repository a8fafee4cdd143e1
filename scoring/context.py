"""The zone context: what measuring parcels needs besides the parcels, loaded once per zone.

A :class:`ZoneContext` holds the zone configuration, its layers (``ZONE_LAYERS``) checked and
reprojected to the zone CRS, its DEMs read into that CRS with their slope computed, the road
network noded, the zone's network destinations resolved and the exclusion zones tiled.
:meth:`ZoneContext.build` makes one from layers already in memory and the DEM files; reading a
zone's GeoPackage from disk is :func:`app.scoring_io.zone_files.load_zone_context`, reading it
from the database :func:`app.api.scores.zone_context`. Measuring is :mod:`scoring.measure`, the
batch run :mod:`scoring.batch`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
from pyproj import CRS

from gis.crs import crs_label, parse_crs
from gis.dem_window import WindowedDem
from gis.errors import CRSError, InputFileError
from gis.exclusion import ExclusionZones, exclusion_zones
from gis.layers import LayerReport, prepare_layer
from gis.messages import Message, msg
from gis.network import RoadNetwork, Target, build_network, network_targets
from gis.raster import DEFAULT_MAX_CELLS, open_geotiff, read_dem
from gis.repair import GeometryKind
from gis.zonal import TerrainSurface
from scoring.zone import ZoneConfig


@dataclass(frozen=True)
class LayerSpec:
    """How a zone layer is read: accepted geometry kind(s) and the fields the measures need."""

    geometry: GeometryKind | tuple[GeometryKind, ...]
    required: tuple[str, ...] = ()


#: The zone layers the measures use, as named in the zone's GeoPackage.
ZONE_LAYERS: dict[str, LayerSpec] = {
    "parks": LayerSpec("polygon"),
    "roads": LayerSpec("line", ("name", "class")),
    "rivers": LayerSpec("line", ("name", "control_distance_m")),
    "substations": LayerSpec("point", ("name", "voltage_kv", "status")),
    "water": LayerSpec(("point", "line"), ("name", "kind")),
    "places": LayerSpec("point", ("name", "kind")),
}


#: A note of a run: a message (rendered at the edge), or plain text.
Note = Message | str


def dedupe_notes(items: Sequence[Note]) -> list[Note]:
    """Return the non-empty ``items`` once each, in first-seen order."""
    return list(dict.fromkeys(i for i in items if i))


@dataclass(eq=False)
class ZoneContext:
    """What measuring needs besides the parcels, loaded once per zone.

    ``layers`` are the zone layers (``ZONE_LAYERS`` names; None where absent) in ``crs``;
    ``surfaces`` the DEMs in ``crs`` with their slope computed; ``network`` the noded road
    network (None without roads); ``destinations`` the zone's ``scoring.destinations`` resolved
    for :func:`gis.network.measure_network` (a road name, or the ``places`` of a kind);
    ``exclusion`` the river control zones and park union, tiled once
    (:func:`gis.exclusion.exclusion_zones`; built on first use when None); the slope limits in
    percent come from the zone's ``scoring`` section. ``notes`` say what was missing,
    reprojected or repaired while loading. ``dem_sources`` are the DEM files read by windows
    (:class:`gis.dem_window.WindowedDem`) when the context was built ``windowed``: then
    ``surfaces`` stays empty and a partitioned run (:mod:`scoring.partitioned`) reads each
    partition's window. ``targets`` are the network destinations solved once
    (:meth:`network_targets`).

    The context holds no open files or locks: it can be pickled or inherited by forked worker
    processes that measure partitions of the parcels.
    """

    zone: ZoneConfig
    crs: CRS
    layers: dict[str, gpd.GeoDataFrame | None]
    surfaces: list[TerrainSurface]
    network: RoadNetwork | None
    destinations: dict[str, gpd.GeoDataFrame | str | None]
    zone_file: Path | None = None
    dem_paths: list[Path] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    exclusion: ExclusionZones | None = None
    dem_sources: list[WindowedDem] = field(default_factory=list)
    targets: dict[str, Target] | None = None

    @property
    def slope_limits_pct(self) -> list[float]:
        """The zone's slope limits (%), each giving a ``slope_share_lt_{P}pct`` column."""
        return [s.max_pct for s in self.zone.scoring.slope_limits]

    @property
    def natural_limit_pct(self) -> float:
        """The natural-ground slope limit (%) behind ``slope_over_limit_share``."""
        sc = self.zone.scoring
        return sc.slope_limit(sc.natural_slope_limit).max_pct

    @property
    def planned_limit_pct(self) -> float:
        """The planned-surface slope limit (%) of the ``earthwork_lim_*`` columns."""
        sc = self.zone.scoring
        return sc.slope_limit(sc.planned_slope_limit).max_pct

    @classmethod
    def build(
        cls,
        zone: ZoneConfig,
        layers: Mapping[str, gpd.GeoDataFrame | None],
        dem_paths: Sequence[str | Path],
        *,
        zone_file: str | Path | None = None,
        notes: Sequence[Note] = (),
        max_cells: int = DEFAULT_MAX_CELLS,
        check_layers: bool = True,
        windowed: bool = False,
    ) -> ZoneContext:
        """Return the context for ``zone`` from layers in memory and DEM files.

        Each layer is checked, reprojected to the zone CRS and repaired by
        :func:`gis.layers.prepare_layer` (a layer with no CRS is refused) — unless
        ``check_layers`` is False, for layers that :func:`gis.layers.read_layer` already
        prepared; a missing or empty layer is noted and its measures will be NaN. DEMs are read
        into the zone CRS (reprojected when needed) and their slope computed once; no DEM at all
        is an error. With ``windowed`` no DEM is read: only their headers are checked (any size;
        they must be in the zone CRS) and ``max_cells`` bounds each window read later.
        """
        crs = parse_crs(zone.zone.crs, where="zone.crs")
        notes = list(notes)
        prepared: dict[str, gpd.GeoDataFrame | None] = {}
        for name, spec in ZONE_LAYERS.items():
            gdf = layers.get(name)
            if gdf is None or len(gdf) == 0:
                prepared[name] = None
                notes.append(msg("note.layer_missing", layer=name))
                continue
            if check_layers or gdf.crs is None or CRS.from_user_input(gdf.crs) != crs:
                gdf, report = prepare_layer(
                    gdf,
                    where=f"layer {name!r}",
                    target_crs=crs,
                    geometry=spec.geometry,
                    required=spec.required,
                )
                notes += layer_report_notes(report)
            prepared[name] = gdf
        if not dem_paths:
            raise InputFileError(
                "no DEM to measure slope and earthwork on",
                where="zone file data.dems",
                hint="list the zone's DEMs under data.dems in the zone file, or pass --dem DEM.tif",
                msg=msg("error.pipeline.no_dem"),
            )
        paths = [Path(p) for p in dem_paths]
        surfaces = []
        sources = []
        for p in paths:
            if windowed:
                sources.append(_windowed_source(p, crs, max_cells))
                continue
            surface, note = _load_surface(p, crs, max_cells)
            surfaces.append(surface)
            notes += [note] if note else []
        roads = prepared.get("roads")
        network = build_network(roads) if roads is not None else None
        exclusion = exclusion_zones(prepared.get("rivers"), prepared.get("parks"))
        places = prepared.get("places")
        destinations: dict[str, gpd.GeoDataFrame | str | None] = {}
        for key, dest in zone.scoring.destinations.items():
            if dest.road is not None:
                destinations[key] = dest.road
            elif places is None:
                destinations[key] = None
            else:
                destinations[key] = places[places["kind"] == dest.place_kind]
        return cls(
            zone=zone,
            crs=crs,
            layers=prepared,
            surfaces=surfaces,
            network=network,
            destinations=destinations,
            zone_file=Path(zone_file) if zone_file else None,
            dem_paths=paths,
            notes=dedupe_notes(notes),
            exclusion=exclusion,
            dem_sources=sources,
        )

    def exclusion_zones(self) -> ExclusionZones:
        """The tiled river control zones and park union (built now if the context has none)."""
        if self.exclusion is None:
            self.exclusion = exclusion_zones(self.layers.get("rivers"), self.layers.get("parks"))
        return self.exclusion

    def network_targets(self) -> dict[str, Target] | None:
        """The zone's network destinations solved once (:func:`gis.network.network_targets`;
        solved now if the context has none), or None without a road network."""
        if self.network is None:
            return None
        if self.targets is None:
            self.targets = network_targets(self.network, self.destinations)
        return self.targets

    def dem_extents(self) -> list[tuple[str, tuple[float, float, float, float]]]:
        """(file name, whole extent) of each DEM: of the surfaces in memory, else of the windowed sources."""
        if self.surfaces:
            return [(Path(s.source).name, s.extent) for s in self.surfaces]
        return [(Path(s.path).name, s.extent) for s in self.dem_sources]


def _windowed_source(path: Path, crs: CRS, max_cells: int) -> WindowedDem:
    """Open the DEM at ``path`` for windowed reading; CRSError unless it is in the zone CRS."""
    source = WindowedDem.open(path, max_cells=max_cells)
    src_crs = CRS.from_user_input(source.crs.to_wkt())
    if src_crs != crs:
        raise CRSError(
            f"the DEM is in {crs_label(src_crs)}, the zone in {crs_label(crs)}; windows are read as stored",
            where=str(path),
            hint=f"reproject it to {crs_label(crs)} first (parksite slope … --to-crs, or gdalwarp)",
            msg=msg("error.raster.window_crs", crs=crs_label(src_crs), zone_crs=crs_label(crs)),
        )
    return source


def _load_surface(path: Path, crs: CRS, max_cells: int) -> tuple[TerrainSurface, Note | None]:
    """Read a DEM into ``crs`` with its slope computed; return it and a note if it was reprojected."""
    note = None
    with open_geotiff(path, max_cells=max_cells) as src:
        src_crs = CRS.from_user_input(src.crs.to_wkt())
        if src_crs != crs:
            note = msg(
                "note.dem_reprojected", path=path.name, source=crs_label(src_crs), target=crs_label(crs)
            )
    surface = TerrainSurface(read_dem(path, dst_crs=crs, max_cells=max_cells))
    _ = surface.slope_deg  # computed here, once, not in the first batch
    return surface, note


def layer_where(source: str, layer: str | None) -> Note:
    """Name a file, and its layer if one was picked, for a note ("f.gpkg（图层 parcels）")."""
    return msg("where.layer", file=source, layer=layer) if layer else source


def layer_report_notes(report: LayerReport) -> list[Note]:
    """The noteworthy lines of a layer report: reprojection, repairs and the reader's notes."""
    name = layer_where(report.source, report.layer)
    out: list[Note] = []
    if report.reprojected:
        out.append(msg("note.reprojected", where=name, source=report.source_crs, target=report.crs))
    out += [msg("note.at", where=name, note=r.message(report.id_field)) for r in report.repairs]
    out += [msg("note.at", where=name, note=n) for n in report.notes]
    return out
