"""Exclusion facts: how much of each parcel lies inside river control lines or outside the parks.

A river's control zone is its centre line buffered by ``control_distance_m`` on each side (flat
caps), dissolved per river. Zones are cut into disjoint square tiles so each intersection is
small; parcel–tile candidate pairs come from one ``STRtree.query`` on the whole parcel array, a
tile that contains a parcel contributes the parcel's whole area without an overlay, and the
rest are intersected pairwise in one vectorised call. Shares are fractions 0–1 of the parcel area.

The tiled zones depend only on the layers: :func:`exclusion_zones` builds them once per zone and
:func:`measure_exclusion` reuses them for every batch of parcels (``zones=``).

Threads: the zones are shared by every request thread of the server, but GEOS prepared geometries
are not thread-safe (a prepared polygon builds its indexes lazily, on first use; two threads using
one at once crashed the server process with a segfault). The shared zones are therefore never
prepared nor used directly: each thread measures with copies of its own
(:meth:`ExclusionZones.own`), made and prepared on its first use and kept for its next calls.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from gis.crs import crs_label, require_projected, require_same_crs
from gis.errors import CRSError, SchemaError
from gis.layers import geometry_array
from gis.messages import Message, msg
from gis.repair import describe_features, features_message

#: Side (m) of the square tiles zones are cut into before intersecting.
DEFAULT_TILE_M = 500.0

#: Shares closer than this to 0 or 1 are floating-point noise of the overlay and are snapped,
#: so that a rule like "outside_park_share > 0" is not triggered by 1e-13.
SHARE_TOLERANCE = 1e-9


def _share(inside_m2: np.ndarray, area_m2: np.ndarray) -> np.ndarray:
    """Return inside/area clipped to 0–1 with noise snapped (NaN where the area is 0)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(area_m2 > 0, inside_m2 / area_m2, np.nan)
    share = np.clip(share, 0.0, 1.0)
    share[share < SHARE_TOLERANCE] = 0.0
    share[share > 1.0 - SHARE_TOLERANCE] = 1.0
    return share


def tile(geom: shapely.Geometry, size_m: float = DEFAULT_TILE_M) -> np.ndarray:
    """Return ``geom`` cut into the non-empty pieces of a ``size_m`` grid (disjoint, same union)."""
    if geom is None or geom.is_empty:
        return np.empty(0, dtype=object)
    xmin, ymin, xmax, ymax = geom.bounds
    xs = np.arange(xmin, xmax, size_m)
    ys = np.arange(ymin, ymax, size_m)
    gx, gy = np.meshgrid(xs, ys)
    boxes = shapely.box(gx.ravel(), gy.ravel(), gx.ravel() + size_m, gy.ravel() + size_m)
    was_prepared = bool(shapely.is_prepared(geom))
    shapely.prepare(geom)
    boxes = boxes[shapely.intersects(geom, boxes)]
    # A box inside the zone is its own piece; only boxes across the zone's edge need an overlay.
    pieces = boxes.copy()
    edge = ~shapely.contains(geom, boxes)
    pieces[edge] = shapely.intersection(geom, boxes[edge])
    pieces = pieces[~shapely.is_empty(pieces) & (shapely.area(pieces) > 0)]
    if not was_prepared:  # leave the caller's geometry as it came (it may be shared later)
        shapely.destroy_prepared(geom)
    return pieces


def area_inside(
    parcels: np.ndarray,
    pieces: np.ndarray,
    labels: np.ndarray | None = None,
    n_labels: int = 1,
    *,
    zone: shapely.Geometry | None = None,
    tree: shapely.STRtree | None = None,
) -> np.ndarray:
    """Return the area (m²) of each parcel inside the zone made of disjoint ``pieces``.

    With ``labels`` (0…n_labels-1 per piece; pieces of one label disjoint) the result is a
    (parcels × n_labels) array of areas per label; without, a 1-D array. ``zone`` (only without
    labels) is the union of the pieces: a parcel it properly contains counts whole and one it
    does not touch counts 0, both without an overlay, so only parcels across its edge are cut
    by the tiles. ``tree`` is an STRtree of the (prepared) ``pieces`` kept by the caller
    (:meth:`ExclusionZones.tree`); without it one is built for this call.
    """
    n = len(parcels)
    single = labels is None
    if zone is not None and not single:
        raise ValueError("zone= is for unlabelled pieces only")
    labels = np.zeros(len(pieces), dtype=np.int64) if single else np.asarray(labels, dtype=np.int64)
    out = np.zeros((n, n_labels))
    if n and len(pieces) and n_labels:
        rows = np.arange(n)
        if zone is not None:
            shapely.prepare(zone)
            inside = shapely.contains_properly(zone, parcels)
            out[inside, 0] = shapely.area(parcels[inside])
            rows = np.flatnonzero(~inside & shapely.intersects(zone, parcels))
        if tree is None:
            shapely.prepare(pieces)
            tree = shapely.STRtree(pieces)
        pi, ti = tree.query(parcels[rows], predicate="intersects")
        pi = rows[pi]
        whole = shapely.contains_properly(pieces[ti], parcels[pi])
        area = np.empty(len(pi))
        area[whole] = shapely.area(parcels[pi[whole]])
        part = ~whole
        area[part] = shapely.area(shapely.intersection(parcels[pi[part]], pieces[ti[part]]))
        out += np.bincount(pi * n_labels + labels[ti], weights=area, minlength=n * n_labels).reshape(
            n, n_labels
        )
    return out[:, 0] if single else out


def river_zones(
    rivers: gpd.GeoDataFrame, *, distance_field: str = "control_distance_m", name_field: str = "name"
) -> gpd.GeoDataFrame:
    """Return one control-zone polygon per river name (columns ``name``, geometry).

    Each centre line is buffered by its ``distance_field`` (m, each side, flat caps) and the
    buffers are dissolved per river. Raises SchemaError naming the rivers with a missing,
    non-finite or non-positive distance or a missing name field.
    """
    for f in (distance_field, name_field):
        if f not in rivers.columns:
            raise SchemaError(
                f"lacks field {f!r}",
                where="layer 'rivers'",
                hint="rivers need a name and a control_distance_m",
                msg=msg("error.rivers.field", field=f),
            )
    dist = pd.to_numeric(rivers[distance_field], errors="coerce").to_numpy(dtype=float)
    bad = np.flatnonzero(~(np.isfinite(dist) & (dist > 0)))
    if bad.size:
        raise SchemaError(
            f"field {distance_field!r} must be a positive number of metres in "
            f"{describe_features(bad, list(rivers[name_field].to_numpy()[bad]), name_field)}",
            where="layer 'rivers'",
            hint="fill in the control-line distance from the river plan",
            msg=msg(
                "error.rivers.distance",
                field=distance_field,
                features=features_message(bad, list(rivers[name_field].to_numpy()[bad]), name_field),
            ),
        )
    buffers = shapely.buffer(geometry_array(rivers), dist, cap_style="flat")
    names = rivers[name_field].astype(str).to_numpy()
    frame = gpd.GeoDataFrame({"name": names}, geometry=buffers, crs=rivers.crs)
    return frame.dissolve(by="name", as_index=False)[["name", "geometry"]]


@dataclass(frozen=True, eq=False)
class ExclusionZones:
    """River control zones and the park union, cut into tiles once and reused for every batch.

    ``river_names`` are the rivers (None without a rivers layer); ``river_pieces`` their tiles
    with ``river_labels`` (position in ``river_names``); ``river_union`` the tiles of the union
    of all control zones; ``park_zone`` the union of the parks and ``park_union`` its tiles (both
    None without a parks layer). ``crs`` is the layers' CRS; ``tile_m`` the tile
    side (m).
    """

    crs: CRS | None
    tile_m: float
    river_names: np.ndarray | None
    river_pieces: np.ndarray
    river_labels: np.ndarray
    river_union: np.ndarray
    park_zone: shapely.Geometry | None
    park_union: np.ndarray | None

    def own(self) -> ExclusionZones:
        """Return this thread's own copy of the zones, its geometries prepared (made on the
        thread's first call, then reused): GEOS objects that no other thread touches."""
        mine: dict[int, tuple[weakref.ref[ExclusionZones], ExclusionZones]]
        mine = _THREAD.__dict__.setdefault("zones", {})
        hit = mine.get(id(self))
        if hit is not None and hit[0]() is self:
            return hit[1]
        for key in [k for k, (ref, _) in mine.items() if ref() is None]:  # zones no longer used
            del mine[key]
        copy = ExclusionZones(
            crs=self.crs,
            tile_m=self.tile_m,
            river_names=self.river_names,
            river_pieces=_prepared_copy(self.river_pieces),
            river_labels=self.river_labels,
            river_union=_prepared_copy(self.river_union),
            park_zone=None if self.park_zone is None else _prepared_copy(np.array([self.park_zone]))[0],
            park_union=None if self.park_union is None else _prepared_copy(self.park_union),
        )
        mine[id(self)] = (weakref.ref(self), copy)
        return copy

    def tree(self, name: str) -> shapely.STRtree:
        """Return the STRtree of the pieces ``name`` (``"river_pieces"``, ``"river_union"`` or
        ``"park_union"``), built on first use and kept with these zones. Call it on this thread's
        copy (:meth:`own`) only: at a province's scale the pieces number hundreds of thousands
        and building their tree for every batch cost more than the batch's overlays."""
        trees: dict[str, shapely.STRtree] = self.__dict__.setdefault("_trees", {})  # a cache, not a field
        hit = trees.get(name)
        if hit is None:
            hit = trees[name] = shapely.STRtree(getattr(self, name))
        return hit


#: Per-thread copies of shared zones (:meth:`ExclusionZones.own`).
_THREAD = threading.local()


def _prepared_copy(geoms: np.ndarray) -> np.ndarray:
    """Return new GEOS geometries equal to ``geoms`` (through WKB, exact), prepared."""
    out = shapely.from_wkb(shapely.to_wkb(np.asarray(geoms, dtype=object)))
    out = np.asarray(out, dtype=object).reshape(-1)
    present = ~shapely.is_missing(out)
    if present.any():
        shapely.prepare(out[present])
    return out


def exclusion_zones(
    rivers: gpd.GeoDataFrame | None, parks: gpd.GeoDataFrame | None, *, tile_m: float = DEFAULT_TILE_M
) -> ExclusionZones:
    """Return the tiled river control zones and park union for :func:`measure_exclusion`.

    Build them once per zone and pass them as ``zones=`` for each batch of parcels. A missing or
    empty layer is recorded as None (its columns come out NaN). Raises SchemaError for a bad
    ``control_distance_m`` or name field (see :func:`river_zones`), MissingCRSError / CRSError
    when the layers have no CRS, one not in metres, or different CRSs.
    """
    present = {k: v for k, v in (("rivers", rivers), ("parks", parks)) if v is not None and len(v)}
    crs = None
    if present:
        first = next(iter(present))
        crs = require_same_crs(present[first], present, reference_name=f"layer {first!r}")
    names, pieces, labels = None, np.empty(0, dtype=object), np.empty(0, np.int64)
    river_union, park_zone, park_union = np.empty(0, dtype=object), None, None
    if "rivers" in present:
        zones = river_zones(rivers)
        zone_geoms = geometry_array(zones)
        per_river = [tile(z, tile_m) for z in zone_geoms]
        names = zones["name"].to_numpy(dtype=object)
        pieces = np.concatenate(per_river)
        labels = np.concatenate([np.full(len(t), k, dtype=np.int64) for k, t in enumerate(per_river)])
        river_union = tile(shapely.union_all(zone_geoms), tile_m)
    if "parks" in present:
        park_zone = shapely.union_all(geometry_array(parks))
        park_union = tile(park_zone, tile_m)
    # Not prepared: shared by threads, they are only copied (ExclusionZones.own), never used.
    return ExclusionZones(
        crs=crs,
        tile_m=float(tile_m),
        river_names=names,
        river_pieces=pieces,
        river_labels=labels,
        river_union=river_union,
        park_zone=park_zone,
        park_union=park_union,
    )


def measure_exclusion(
    parcels: gpd.GeoDataFrame | gpd.GeoSeries,
    rivers: gpd.GeoDataFrame | None = None,
    parks: gpd.GeoDataFrame | None = None,
    *,
    tile_m: float = DEFAULT_TILE_M,
    zones: ExclusionZones | None = None,
) -> pd.DataFrame:
    """Return exclusion facts per parcel (index of ``parcels``).

    Columns: ``river_share`` (0–1, share of the parcel area inside any river control zone),
    ``river_name`` (the river whose zone covers most of the parcel; None when the share is 0),
    ``outside_park_share`` (0–1, share of the parcel area outside every park). A missing or
    empty layer gives NaN columns and a note in ``result.attrs["notes"]``; a parcel of zero area
    gets NaN shares. ``zones`` (from :func:`exclusion_zones`) replaces ``rivers``, ``parks`` and
    ``tile_m``, so that many batches share one tiling. Raises CRSError / MissingCRSError when
    CRSs differ or are not metric.
    """
    if zones is None:
        require_same_crs(parcels, {"rivers": rivers, "parks": parks})
        zones = exclusion_zones(rivers, parks, tile_m=tile_m)
    else:
        if rivers is not None or parks is not None:
            raise ValueError("pass either the rivers and parks layers or prebuilt zones, not both")
        crs = require_projected(parcels.crs, where="parcels")
        if zones.crs is not None and CRS.from_user_input(zones.crs) != crs:
            raise CRSError(
                f"the exclusion zones are in {crs_label(zones.crs)} but the parcels are in {crs_label(crs)}",
                where="exclusion zones",
                hint="build the zones from layers in the parcels' CRS",
                msg=msg("error.exclusion.crs", zones_crs=crs_label(zones.crs), crs=crs_label(crs)),
            )
    zones = zones.own()  # this thread's prepared copies: GEOS prepared geometries are not thread-safe
    geoms = geometry_array(parcels)
    area = shapely.area(geoms)
    out = pd.DataFrame(index=parcels.index)
    notes: list[Message] = []

    if zones.river_names is None:
        out["river_share"] = np.nan
        out["river_name"] = None
        notes.append(msg("note.no_layer_columns", layer="rivers", columns=["river_share", "river_name"]))
    else:
        per_river = area_inside(
            geoms,
            zones.river_pieces,
            zones.river_labels,
            len(zones.river_names),
            tree=zones.tree("river_pieces"),
        )
        share = _share(area_inside(geoms, zones.river_union, tree=zones.tree("river_union")), area)
        best = per_river.argmax(axis=1)
        names = np.where(share > 0, zones.river_names[best], None)
        out["river_share"] = share
        out["river_name"] = pd.Series(names, index=parcels.index, dtype=object)

    if zones.park_union is None:
        out["outside_park_share"] = np.nan
        notes.append(msg("note.no_layer_columns", layer="parks", columns=["outside_park_share"]))
    else:
        # Parks are large: most parcels lie wholly inside (or outside) them and skip the overlay.
        # (River control zones are narrow strips; there the test would cost more than it saves.)
        inside = area_inside(geoms, zones.park_union, zone=zones.park_zone, tree=zones.tree("park_union"))
        out["outside_park_share"] = 1.0 - _share(inside, area)
    out.attrs["notes"] = notes
    return out
