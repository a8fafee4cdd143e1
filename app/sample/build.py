"""Build and write the illustrative Jiaokou sample zone (``parksite sample``).

:func:`build_sample` returns every layer of ``data/parcels/jiaokou.gpkg`` and both DEMs from a
seed and the plan facts of the zone file (:func:`app.sample.facts.load_facts`, by default
``data/zones/jiaokou.yaml``); :func:`write_sample` writes them. The same seed and zone file give
the same features, attribute values and geometries (coordinates snapped to 0.01 m), and
byte-identical files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pyogrio
import rasterio
import shapely
from shapely.geometry import Point

from app.sample.facts import SampleFacts, load_facts
from app.sample.infrastructure import Feature, places, substations, water
from app.sample.layout import (
    GRID,
    LANES,
    SPEED_KMH,
    ParkLayout,
    lonlat_to_gk,
    shuangchi_layout,
    shuitou_layout,
)
from app.sample.parcels import Piece, cut_parcels, nearest, spatial_order
from app.sample.terrain import NODATA, Dem, synth_dem
from gis.units import MU_M2

DEFAULT_SEED = 2022
LAYERS = ("parks", "clusters", "parcels", "roads", "rivers", "substations", "water", "places")
GPKG_NAME = "parcels/jiaokou.gpkg"
DEM_NAME = "rasters/jiaokou_dem_{park_id}.tif"
#: Fixed GeoPackage timestamp, so that the same seed writes byte-identical files.
_GPKG_DATE = "2022-01-01T00:00:00.000Z"


@dataclass
class SampleZone:
    """The sample zone: GeoDataFrames per layer (in ``crs``, EPSG:4546) and one DEM per park."""

    seed: int
    crs: str
    layers: dict[str, gpd.GeoDataFrame]
    dems: list[Dem]


def _areas(geom) -> dict[str, float]:
    a = round(geom.area, 2)
    return {"area_m2": a, "area_mu": round(a / MU_M2, 4)}


def _frame(features: list[Feature], crs: str) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame([f.attrs for f in features], geometry=[f.geometry for f in features], crs=crs)


def _parcel_rows(
    layout: ParkLayout, pieces: list[Piece], prefix: str, utility_idx: int | None, facts: SampleFacts
) -> list[Feature]:
    """Return the park's parcel features, numbered ``{prefix}-0001``… in reading order; the
    parcel at ``utility_idx`` (of the non-corridor pieces) is the planned substation site."""
    parcels = [p for p in pieces if not p.corridor]
    rows = []
    for n, i in enumerate(spatial_order([p.geometry for p in parcels]), start=1):
        p = parcels[i]
        ent = p.enterprise
        if ent is not None:
            status, land_use = "existing", ent.land_use
        else:
            status = {"st-public": "public", "sc-reserve": "reserved"}.get(p.cluster, "vacant")
            land_use = "utility" if i == utility_idx else facts.land_use(p.cluster)
        rows.append(
            Feature(
                p.geometry,
                {
                    "parcel_id": f"{prefix}-{n:04d}",
                    "park": layout.park_id,
                    "cluster": p.cluster,
                    "status": status,
                    **_areas(p.geometry),
                    "enterprise": ent.name if ent else None,
                    "land_use": land_use,
                    "area_source": ent.area_source if ent else "illustrative",
                },
            )
        )
    return rows


def build_sample(seed: int = DEFAULT_SEED, zone_file: Path | str | None = None) -> SampleZone:
    """Return the sample zone generated from ``seed`` and the plan facts of ``zone_file``
    (default: the bundled ``data/zones/jiaokou.yaml``), deterministic. ConfigError when the
    zone file is invalid or names parks or clusters the illustrative layout does not draw."""
    facts = load_facts(zone_file)
    seat = lonlat_to_gk(*facts.seat.lonlat, facts.crs)
    st, sc = shuitou_layout(seed, seat, facts), shuangchi_layout(seed, seat, facts)
    pieces = {
        "shuitou": cut_parcels(st, seed, facts.enterprises),
        "shuangchi": cut_parcels(sc, seed, facts.enterprises),
    }

    # the planned 水头 substation takes the public-centre parcel nearest the park's heart
    st_parcels = [p for p in pieces["shuitou"] if not p.corridor]
    public = [i for i, p in enumerate(st_parcels) if p.cluster == "st-public"]
    site_idx = public[nearest([st_parcels[i].geometry for i in public], st.points["heart"])]
    site = st_parcels[site_idx].geometry.representative_point()
    site = Point(round(site.x, 2), round(site.y, 2))

    park_rows, cluster_rows, parcel_rows, road_rows, river_rows = [], [], [], [], []
    for layout, prefix, util in ((st, "ST", site_idx), (sc, "SC", None)):
        park = facts.park(layout.park_id)
        cgeoms = {}
        for c in facts.clusters(layout.park_id):
            # faces share exact edges already: a plain union keeps every vertex the parcels have
            geom = shapely.union_all([p.geometry for p in pieces[layout.park_id] if p.cluster == c.id])
            cgeoms[c.id] = geom
            cluster_rows.append(
                Feature(
                    geom,
                    {
                        "cluster_id": c.id,
                        "park_id": park.id,
                        "name": c.name,
                        "name_en": c.name_en,
                        "kind": c.kind,
                        **_areas(geom),
                    },
                )
            )
        pgeom = shapely.union_all(list(cgeoms.values()))
        park_rows.append(
            Feature(pgeom, {"park_id": park.id, "name": park.name, "name_en": park.name_en, **_areas(pgeom)})
        )
        parcel_rows += _parcel_rows(layout, pieces[layout.park_id], prefix, util, facts)
        for r in layout.roads:
            road_rows.append(
                Feature(
                    r.geometry,
                    {
                        "road_id": "",
                        "name": r.name,
                        "class": r.road_class,
                        "lanes": LANES[r.road_class],
                        "speed_kmh": SPEED_KMH[r.road_class],
                    },
                )
            )
        for rv in layout.rivers:
            river_rows.append(
                Feature(
                    shapely.set_precision(rv.geometry, GRID),
                    {
                        "river_id": "",
                        "name": rv.name,
                        "control_distance_m": rv.control_distance_m,
                        "seasonal": True,
                    },
                )
            )
    for i, f in enumerate(road_rows, start=1):
        f.attrs["road_id"] = f"R{i:03d}"
    for i, f in enumerate(river_rows, start=1):
        f.attrs["river_id"] = f"RV{i:02d}"

    rows = {
        "parks": park_rows,
        "clusters": cluster_rows,
        "parcels": parcel_rows,
        "roads": road_rows,
        "rivers": river_rows,
        "substations": substations(st, sc, site, facts),
        "water": water(st, sc, pieces["shuangchi"], site, facts),
        "places": places(st, sc, seat, facts.seat.name),
    }
    layers = {name: _frame(features, facts.crs) for name, features in rows.items()}
    return SampleZone(seed, facts.crs, layers, [synth_dem(st, seed), synth_dem(sc, seed)])


def write_sample(zone: SampleZone, out_dir: Path) -> dict[str, Path]:
    """Write the GeoPackage and the DEMs under ``out_dir``; return ``{name: path}``."""
    out_dir = Path(out_dir)
    gpkg = out_dir / GPKG_NAME
    gpkg.parent.mkdir(parents=True, exist_ok=True)
    gpkg.unlink(missing_ok=True)
    previous = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": _GPKG_DATE})
    try:
        for i, name in enumerate(LAYERS):
            # GeoPackage 1.2: readable by older GDAL builds (e.g. Debian's gdal-bin) too
            opts = {"dataset_options": {"VERSION": "1.2"}} if i == 0 else {}
            zone.layers[name].to_file(gpkg, layer=name, driver="GPKG", engine="pyogrio", **opts)
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": previous})
    paths = {"gpkg": gpkg}
    for dem in zone.dems:
        path = out_dir / DEM_NAME.format(park_id=dem.park_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        rows, cols = dem.elevation.shape
        profile = {
            "driver": "GTiff",
            "width": cols,
            "height": rows,
            "count": 1,
            "dtype": "float32",
            "crs": zone.crs,
            "transform": dem.transform,
            "nodata": NODATA,
            "compress": "deflate",
            "predictor": 3,
            "tiled": True,
            "blockxsize": 256,
            "blockysize": 256,
        }
        with rasterio.open(path, "w", **profile) as dst:
            dst.write(dem.elevation, 1)
            dst.update_tags(source="parksite sample (illustrative, not survey data)", seed=str(zone.seed))
        paths[f"dem_{dem.park_id}"] = path
    return paths
