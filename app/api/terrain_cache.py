"""Terrain tiles (hillshade, slope classes) served through two caches, and seeded ahead of use.

:func:`terrain_tile` answers ``/tiles/{layer}/{z}/{x}/{y}.png``: the process's in-memory LRU
(:class:`app.api.tiles.TileCache`) first, then the tiles on disk that every worker process of
the server shares (:class:`app.api.tile_store.TileStore`), and only then a render
(:func:`render_tile`), which is written to both.

:func:`seed_tiles` renders ahead every tile of a zone's extent — the box the web map asks tiles
in (the parks and parcels, padded by 5 % each side as the map pads them) and each DEM's own box —
at zooms 12–15, into the store: the map's first view after a restart is then read from disk in
every worker. A second seed renders none (the tiles are there). It is what ``parksite tiles
seed`` runs and what ``parksite serve`` runs before its workers start; a worker's warm-up runs
:func:`seed_served_tiles` (one line: ``seed_served_tiles(state)``). Seeds of several processes
take turns (:meth:`TileStore.seeding`).
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rasterio.warp import transform_bounds
from sqlalchemy.orm import Session

from app.api.geojson import bounds_to_wgs84
from app.api.scores import zone_bounds, zone_context
from app.api.store import served_zone
from app.api.tile_store import LAYERS, TileKey, TileStore, import_tag
from app.api.tiles import MAX_ZOOM, empty_tile, render_hillshade, render_slope
from app.api.zone_memo import context_of, served
from app.db.layers import get_zone, rasters
from app.errors import InvalidParameterError
from gis.errors import LimitExceededError
from gis.messages import msg

if TYPE_CHECKING:
    from app.api.deps import ApiState
    from scoring.context import ZoneContext

#: The zooms seeded by default: the zone at a glance (12) down to a park's parcels (15).
SEED_ZOOMS: tuple[int, ...] = (12, 13, 14, 15)
#: The web map pads the zone's box by this share of its width and height on each side before
#: asking for terrain tiles (``bounds.pad(0.05)`` in ``app/static/js/map.js``).
MAP_PAD = 0.05
#: The most tiles one seed renders (every layer counted); more is refused (narrow ``--zooms``).
MAX_SEED_TILES = 200_000
#: The web mercator latitude limit (degrees).
MAX_LAT = 85.0511287798066

Box = tuple[float, float, float, float]  # west, south, east, north (WGS 84 degrees)
Progress = Callable[[int, int], None]


def render_tile(ctx: ZoneContext, layer: str, z: int, x: int, y: int) -> bytes:
    """Return the PNG of terrain tile ``layer/z/x/y`` rendered from the zone's DEMs."""
    if layer == "hillshade":
        return render_hillshade(ctx.surfaces, z, x, y)
    return render_slope(ctx.surfaces, z, x, y, ctx.natural_limit_pct)


def served_import(state: ApiState, session: Session) -> tuple[str, dt.datetime]:
    """Return the served zone's id and import time, kept per process until the data version
    moves (an import moves it: at once in this process, within a second in the others), so a
    tile in memory or on disk costs no query but the data version's, once a second."""
    if state.versions is None:
        zone = served_zone(session, state.settings)
        return zone.id, zone.imported_at
    served_now = served(state, session)
    return served_now.id, served_now.imported_at


def terrain_tile(
    state: ApiState, session: Session, layer: str, z: int, x: int, y: int
) -> tuple[TileKey, bytes]:
    """Return the key and PNG of terrain tile ``layer/z/x/y`` of the served zone: from memory,
    else from disk, else rendered (then kept in both; on disk only at zoom ≤ the store's
    ``max_zoom`` and when it is not the transparent tile)."""
    zone_id, imported_at = served_import(state, session)
    key = TileKey.of(zone_id, imported_at, layer, z, x, y)
    png = state.tiles.get(key)
    if png is not None:
        return key, png
    store: TileStore | None = state.tile_store
    png = store.get(key) if store is not None else None
    if png is None:
        ctx = (
            context_of(state, session, zone_id)
            if state.versions is not None
            else zone_context(session, zone_id)
        )
        png = render_tile(ctx, layer, z, x, y)
        if store is not None and z <= store.max_zoom and png is not empty_tile():
            store.put(key, png)
    state.tiles.put(key, png)
    return key, png


def parse_zooms(text: str) -> tuple[int, ...]:
    """Return the zooms of ``"12-15"``, ``"14"`` or ``"12,14-15"``, sorted, each once;
    InvalidParameterError for anything else or a zoom outside 0 – 22."""
    zooms: set[int] = set()
    try:
        for part in (p.strip() for p in text.split(",")):
            lo, sep, hi = part.partition("-")
            first, last = int(lo), int(hi) if sep else int(lo)
            if first > last or first < 0 or last > MAX_ZOOM:
                raise ValueError(part)
            zooms.update(range(first, last + 1))
    except ValueError:
        raise InvalidParameterError(
            f"zooms {text!r} are not a zoom or range of zooms within 0–{MAX_ZOOM}",
            where="--zooms",
            hint="e.g. --zooms 12-15 or --zooms 12,14",
            msg=msg("error.tiles.bad_zooms", zooms=text, max_zoom=MAX_ZOOM),
        ) from None
    return tuple(sorted(zooms))


def parse_layers(text: str | Sequence[str]) -> tuple[str, ...]:
    """Return the layers of ``"hillshade,slope"`` (or a list), each once, in the given order;
    InvalidParameterError naming an unknown one and the known ones."""
    names = text.split(",") if isinstance(text, str) else list(text)
    out = tuple(dict.fromkeys(n.strip() for n in names if n.strip()))
    unknown = [n for n in out if n not in LAYERS]
    if unknown or not out:
        raise InvalidParameterError(
            f"unknown tile layer(s) {', '.join(unknown) or repr(text)}",
            where="--layers",
            hint=f"use {', '.join(LAYERS)} (comma-separated)",
            msg=msg(
                "error.tiles.unknown_layer", layer=", ".join(unknown) or str(text), known=", ".join(LAYERS)
            ),
        )
    return out


def _tile_index(lon: float, lat: float, z: int) -> tuple[int, int]:
    """Return the XYZ tile (x, y) holding WGS 84 point (lon, lat) at zoom ``z`` (clamped)."""
    n = 2**z
    lat = max(-MAX_LAT, min(MAX_LAT, lat))
    fx = (lon + 180.0) / 360.0 * n
    phi = math.radians(lat)
    fy = (1.0 - math.log(math.tan(phi) + 1.0 / math.cos(phi)) / math.pi) / 2.0 * n
    return min(n - 1, max(0, int(math.floor(fx)))), min(n - 1, max(0, int(math.floor(fy))))


def tiles_covering(boxes: Iterable[Box], zooms: Iterable[int]) -> list[tuple[int, int, int]]:
    """Return every tile ``(z, x, y)`` that a box touches at each zoom, each once, sorted."""
    boxes = list(boxes)
    out: set[tuple[int, int, int]] = set()
    for z in zooms:
        for west, south, east, north in boxes:
            x0, y0 = _tile_index(west, north, z)
            x1, y1 = _tile_index(east, south, z)
            out.update((z, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1))
    return sorted(out)


def zone_extent(session: Session, zone_id: str) -> list[Box]:
    """Return the WGS 84 boxes to seed: the parks and parcels padded as the web map pads them
    (:data:`MAP_PAD`), and each DEM's box (from its import record; no file is read)."""
    zone = get_zone(session, zone_id)
    boxes: list[Box] = []
    b = zone_bounds(session, zone_id)
    wgs = bounds_to_wgs84(b, zone.crs) if b else None
    if wgs:
        dx, dy = (wgs[2] - wgs[0]) * MAP_PAD, (wgs[3] - wgs[1]) * MAP_PAD
        boxes.append((wgs[0] - dx, wgs[1] - dy, wgs[2] + dx, wgs[3] + dy))
    for r in rasters(session, zone_id):
        w, s, e, n = transform_bounds(r.crs, "EPSG:4326", r.min_x, r.min_y, r.max_x, r.max_y, densify_pts=21)
        boxes.append((w, s, e, n))
    return boxes


@dataclass
class SeedResult:
    """What a seed did: ``tiles`` (every layer counted) of which ``rendered`` were rendered now
    (the others were on disk), in ``seconds``, into ``folder``."""

    zone_id: str
    zooms: tuple[int, ...]
    layers: tuple[str, ...]
    tiles: int
    rendered: int
    seconds: float
    folder: Path


def seed_tiles(
    session: Session,
    zone_id: str,
    store: TileStore,
    *,
    zooms: Iterable[int] = SEED_ZOOMS,
    layers: Sequence[str] = LAYERS,
    progress: Progress | None = None,
) -> SeedResult:
    """Render into ``store`` every tile of the zone's extent (:func:`zone_extent`) at ``zooms``
    for ``layers`` that is not there yet; return what was done. ``progress(done, total)`` is
    called after each tile (``total``: the tiles to render).

    The zone's measuring context (its DEMs and slope) is built only when a tile is missing. A
    seed that finishes leaves a marker (``.seeded-<zooms>-<layers>`` in the import's folder, the
    tile count in it): the same seed of the same import then returns at once (a server start
    costs one query); a tile removed by hand since is rendered when asked.
    Raises InvalidParameterError for an unknown layer, LimitExceededError when the extent holds
    more than :data:`MAX_SEED_TILES` tiles, and the errors of the zone context.
    """
    started = time.perf_counter()
    layers = parse_layers(layers)
    zooms = tuple(sorted(set(zooms)))
    zone = get_zone(session, zone_id)
    tag = import_tag(zone.imported_at)
    folder = store.import_dir(zone.id, tag)
    marker = folder / f".seeded-{'-'.join(map(str, zooms))}-{'-'.join(layers)}"
    done = _seeded(marker)
    if done is not None:  # this import was seeded whole: no extent computed, no file checked
        store.prune(zone.id, tag)
        return SeedResult(zone.id, zooms, layers, done, 0, time.perf_counter() - started, folder)
    addresses = tiles_covering(zone_extent(session, zone_id), zooms)
    total = len(addresses) * len(layers)
    if total > MAX_SEED_TILES:
        raise LimitExceededError(
            f"the zone's extent holds {total:,} tiles at zooms {zooms[0]}–{zooms[-1]}, "
            f"more than {MAX_SEED_TILES:,}",
            where="--zooms",
            hint="seed fewer zooms (deeper zooms are rendered when asked)",
            msg=msg("error.tiles.too_many", tiles=total, limit=MAX_SEED_TILES),
        )
    rendered = 0
    with store.seeding():
        store.prune(zone.id, tag)
        todo = [
            key
            for layer in layers
            for z, x, y in addresses
            if not store.has(key := TileKey(zone.id, tag, layer, z, x, y))
        ]
        if todo:
            ctx = zone_context(session, zone.id)
            for key in todo:
                store.put(key, render_tile(ctx, key.layer, key.z, key.x, key.y))
                rendered += 1
                if progress is not None:
                    progress(rendered, len(todo))
        folder.mkdir(parents=True, exist_ok=True)
        marker.write_text(f"{total}\n", encoding="ascii")
    return SeedResult(zone.id, zooms, layers, total, rendered, time.perf_counter() - started, folder)


def _seeded(marker: Path) -> int | None:
    """Return the tile count a finished seed wrote into ``marker``, None without one."""
    try:
        return int(marker.read_text(encoding="ascii"))
    except (OSError, ValueError):
        return None


def seed_served_tiles(
    state: ApiState,
    *,
    zooms: Iterable[int] = SEED_ZOOMS,
    layers: Sequence[str] = LAYERS,
    progress: Progress | None = None,
) -> SeedResult:
    """Seed the tiles of the zone the server serves into its store (:func:`seed_tiles`): a
    worker's warm-up step, ``seed_served_tiles(state)``."""
    with state.factory() as session:
        zone = served_zone(session, state.settings)
        return seed_tiles(session, zone.id, state.tile_store, zooms=zooms, layers=layers, progress=progress)
