"""The illustrative Jiaokou sample zone: the committed files, the generator and its pieces, and
that the generator takes the plan's facts from the zone file."""

from __future__ import annotations

import itertools
import math
import re
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import rasterio
import shapely
import typer
import yaml
from pyproj import Transformer
from rasterio import features
from shapely.geometry import LineString, Point, Polygon, box
from typer.testing import CliRunner

from app.commands.sample import register
from app.sample.build import LAYERS, build_sample, write_sample
from app.sample.facts import load_facts
from gis.errors import ConfigError
from gis.synthetic import (
    corner_box,
    cut_by_area,
    halfplane,
    node_lines,
    planar_partition,
    slice_by_areas,
    smooth_noise,
)
from gis.units import MU_M2

DATA = Path(__file__).resolve().parent.parent / "data"
GPKG = DATA / "parcels" / "jiaokou.gpkg"
DEM = DATA / "rasters" / "jiaokou_dem_{}.tif"
ZONE = DATA / "zones" / "jiaokou.yaml"
TO_LONLAT = Transformer.from_crs("EPSG:4546", "EPSG:4326", always_xy=True)
FACTS = load_facts(ZONE)


@pytest.fixture(scope="module")
def layers() -> dict[str, gpd.GeoDataFrame]:
    return {name: gpd.read_file(GPKG, layer=name) for name in LAYERS}


@pytest.fixture(scope="module")
def parks(layers) -> gpd.GeoSeries:
    return layers["parks"].set_index("park_id").geometry


# ----------------------------------------------------------------------------- committed gpkg
def test_layers_present_in_epsg_4546(layers):
    import pyogrio

    assert [name for name, _ in pyogrio.list_layers(GPKG)] == list(LAYERS)
    for name, gdf in layers.items():
        assert gdf.crs.to_epsg() == 4546, name
        assert len(gdf) > 0, name


@pytest.mark.parametrize("park_id, km2", [("shuitou", 3.96), ("shuangchi", 6.53)])
def test_park_area_is_the_plans(parks, layers, park_id, km2):
    geom = parks[park_id]
    assert geom.geom_type == "Polygon" and geom.is_valid
    assert abs(geom.area / 1e6 - km2) / km2 < 0.001
    row = layers["parks"].set_index("park_id").loc[park_id]
    assert row.area_mu == pytest.approx(row.area_m2 / MU_M2, abs=1e-3)
    assert row["name"] == {"shuitou": "水头镇园区", "shuangchi": "双池镇园区"}[park_id]


def test_parks_lie_where_the_plan_puts_them(parks, layers):
    west, south, east, north = FACTS.zone.county.bounds.as_tuple()
    lonlat = {}
    for park_id, geom in parks.items():
        lon, lat = TO_LONLAT.transform(geom.centroid.x, geom.centroid.y)
        assert west < lon < east and south < lat < north, park_id
        lonlat[park_id] = (lon, lat)
    seat = layers["places"].query("kind == 'county_seat'").geometry.iloc[0]
    assert TO_LONLAT.transform(seat.x, seat.y) == pytest.approx(FACTS.seat.lonlat, abs=1e-5)
    shuitou = parks["shuitou"].centroid
    assert 6_000 < shuitou.distance(seat) < 14_000
    assert shuitou.x < seat.x and shuitou.y < seat.y  # south-west of the seat, toward 石口
    assert lonlat["shuangchi"][0] > lonlat["shuitou"][0] + 0.2  # east of the county


def test_s224_runs_along_shuangchis_north_side(parks, layers):
    park = parks["shuangchi"]
    s224 = layers["roads"].query("name == 'S224'")
    assert list(s224["class"]) == ["provincial"]
    road = s224.geometry.iloc[0]
    minx, miny, maxx, maxy = park.bounds
    along = road.intersection(box(minx, miny - 5000, maxx, maxy + 5000))
    assert along.length > 0.95 * (maxx - minx)  # spans the park's east–west extent
    assert shapely.get_coordinates(along)[:, 1].min() > park.centroid.y
    top = LineString([(minx, maxy), (maxx, maxy)])
    assert road.distance(top) < 100.0 and road.distance(park) < 0.01


def test_reservoir_dam_is_350_m_beyond_shuitous_north_boundary(parks, layers):
    dam = layers["water"].query("kind == 'reservoir'").geometry.iloc[0]
    assert dam.y > parks["shuitou"].bounds[3]
    assert dam.distance(parks["shuitou"]) == pytest.approx(350.0, abs=0.05)


EXPECTED_CLUSTERS = [
    ("st-public", "shuitou", "公共服务中心", "public_service"),
    ("st-almg", "shuitou", "铝镁新材料组团", "industrial"),
    ("st-hitech", "shuitou", "高技术产业（制造业）组团", "industrial"),
    ("st-newenergy", "shuitou", "新能源产业组团", "industrial"),
    ("sc-almg", "shuangchi", "铝镁新材料产业组团", "industrial"),
    ("sc-smart", "shuangchi", "智能制造及资源综合利用组团", "industrial"),
    ("sc-bio", "shuangchi", "生物健康产业组团", "industrial"),
    ("sc-service", "shuangchi", "综合服务组团", "service"),
    ("sc-reserve", "shuangchi", "产业备用地", "reserve"),
]


def test_clusters_are_table_8_1(layers):
    got = sorted(
        layers["clusters"][["cluster_id", "park_id", "name", "kind"]].itertuples(index=False, name=None)
    )
    assert got == sorted(EXPECTED_CLUSTERS)


@pytest.mark.parametrize("park_id", ["shuitou", "shuangchi"])
def test_clusters_tile_their_park(layers, parks, park_id):
    clusters = layers["clusters"].query("park_id == @park_id")
    assert clusters.area.sum() == pytest.approx(parks[park_id].area, abs=0.01)
    for a, b in itertools.combinations(clusters.geometry, 2):
        assert a.intersection(b).area < 1e-6
    assert shapely.union_all(clusters.geometry.values).symmetric_difference(parks[park_id]).area < 0.01


def test_public_centre_is_about_250_mu(layers):
    public = layers["clusters"].set_index("cluster_id").loc["st-public"]
    assert abs(public.area_mu - 250.0) / 250.0 < 0.02
    assert public.area_m2 / MU_M2 == pytest.approx(public.area_mu, abs=1e-3)


def test_parcel_ids_are_stable_and_numbered_per_park(layers):
    parcels = layers["parcels"]
    assert len(parcels) >= 300 and parcels.parcel_id.is_unique
    for park_id, prefix in (("shuitou", "ST"), ("shuangchi", "SC")):  # noqa: B007 - used by the query string (@park_id)
        ids = sorted(parcels.query("park == @park_id").parcel_id)
        assert ids == [f"{prefix}-{n:04d}" for n in range(1, len(ids) + 1)]
    assert all(re.fullmatch(r"(ST|SC)-\d{4}", i) for i in parcels.parcel_id)


def test_every_parcel_lies_in_exactly_one_cluster_and_none_overlap(layers):
    parcels, clusters = layers["parcels"], layers["clusters"].set_index("cluster_id")
    for row in parcels.itertuples():
        assert row.geometry.geom_type == "Polygon" and row.geometry.is_valid, row.parcel_id
        inside = [cid for cid, g in clusters.geometry.items() if row.geometry.intersection(g).area > 1e-3]
        assert inside == [row.cluster], row.parcel_id
        assert clusters.loc[row.cluster, "park_id"] == row.park
    tree = shapely.STRtree(parcels.geometry.values)
    left, right = tree.query(parcels.geometry.values, predicate="intersects")
    overlaps = [
        parcels.geometry.iloc[i].intersection(parcels.geometry.iloc[j]).area
        for i, j in zip(left, right)
        if i < j
    ]
    assert max(overlaps, default=0.0) < 1e-6


def test_parcels_and_road_corridors_cover_the_clusters(layers):
    parcels, clusters = layers["parcels"], layers["clusters"].set_index("cluster_id")
    share = parcels.geometry.area.groupby(parcels.cluster).sum() / clusters.geometry.area
    assert share.between(0.80, 0.99).all(), share.to_dict()


def test_areas_are_consistent(layers):
    parcels = layers["parcels"]
    assert np.allclose(parcels.area_m2, parcels.area, atol=0.01)
    assert np.allclose(parcels.area_mu, parcels.area_m2 / (10000 / 15), atol=1e-3)
    generic = parcels[parcels.enterprise.isna()].area_mu
    assert generic.min() >= 5.0 and generic.quantile(0.05) >= 10.0 and generic.quantile(0.95) <= 120.0


@pytest.mark.parametrize("ent", FACTS.enterprises, ids=lambda e: f"{e.number}")
def test_table_2_1_enterprise_has_its_parcel(layers, ent):
    rows = layers["parcels"].query("enterprise == @ent.name")
    assert len(rows) == 1
    row = rows.iloc[0]
    assert (row.park, row.cluster, row.status) == ("shuangchi", ent.cluster, "existing")
    assert abs(row.area_mu - ent.sample_mu) / ent.sample_mu <= 0.02
    assert row.area_source == ("表2-1" if ent.area_mu is not None else "illustrative")


def test_sample_enterprises_are_the_zone_files_table_2_1():
    """Every 表2-1 row of the zone's enterprises file is placed, with the table's area where it
    has one and an illustrative one only where it has "-"."""
    from scoring.enterprises import load_enterprises

    table = load_enterprises(ZONE)
    assert [(e.number, e.name, e.area_mu) for e in FACTS.enterprises] == [
        (e.number, e.name, e.area_mu) for e in table.enterprises
    ]
    assert len(FACTS.enterprises) == 26
    for e in FACTS.enterprises:
        assert (e.illustrative_mu is None) == (e.area_mu is not None), e.name


def test_zone_files_services_name_features_of_the_sample(layers):
    """The names the zone file's park services give are features of the committed layers."""
    subs, water = set(layers["substations"].name), set(layers["water"].name)
    for park in FACTS.zone.parks:
        sv = park.services
        assert sv.substation in subs, park.id
        assert set(sv.water) <= water, park.id
        if sv.wastewater_plant:
            assert sv.wastewater_plant in water, park.id


def test_parcel_status_follows_the_clusters(layers):
    parcels = layers["parcels"]
    assert parcels.enterprise.notna().sum() == 26
    assert set(parcels.query("park == 'shuitou'").status) <= {"vacant", "public"}
    assert set(parcels.query("status == 'public'").cluster) == {"st-public"}
    assert set(parcels.query("cluster == 'sc-reserve'").status) == {"reserved"}
    assert (parcels.status == "vacant").mean() > 0.6


def _road_graph(roads: gpd.GeoDataFrame) -> nx.Graph:
    g = nx.Graph()
    for geom in roads.geometry:
        c = [tuple(p) for p in shapely.get_coordinates(geom)]
        g.add_edges_from(zip(c[:-1], c[1:]))
    return g


def test_road_network_is_noded_and_connected(layers):
    roads = layers["roads"]
    assert set(roads["class"]) == {"provincial", "county", "township", "park", "link"}
    assert {"S224", "交秦线", "乡道008", "林双线"} <= set(roads.name)
    assert roads.road_id.is_unique and (roads.geom_type == "LineString").all()
    g = _road_graph(roads)
    main_nodes = {
        n
        for geom in roads.query("name in ['S224', '交秦线', '乡道008']").geometry
        for n in map(tuple, shapely.get_coordinates(geom))
    }
    for comp in nx.connected_components(g):
        assert comp & main_nodes  # every park road reaches S224, 交秦线 or 乡道008
    for place in layers["places"].itertuples():
        assert tuple(place.geometry.coords)[0] in g, place.name


def test_gates_sit_where_park_roads_meet_a_main_road(layers, parks):
    places, roads = layers["places"], layers["roads"]
    mains = roads[roads["class"] != "park"].geometry.values
    for park_id in ("shuitou", "shuangchi"):
        gates = places.query("kind == 'gate' and park_id == @park_id")
        assert 2 <= len(gates) <= 3
        for gate in gates.geometry:
            assert min(m.distance(gate) for m in mains) < 0.01
            assert parks[park_id].distance(gate) < 1.0


def test_rivers_have_control_lines_that_touch_parcels(layers):
    rivers, parcels = layers["rivers"], layers["parcels"]
    assert sorted(rivers.name) == sorted(["段纯河", "回龙河", "大麦郊河"])
    assert rivers.control_distance_m.between(30, 50).all() and rivers.seasonal.all()
    for river in rivers.itertuples():
        share = (
            parcels.geometry.intersection(river.geometry.buffer(river.control_distance_m)).area / parcels.area
        )
        assert ((share > 0) & (share < 1)).sum() >= 5, river.name


def test_infrastructure_carries_capacities(layers):
    subs = layers["substations"].set_index("name")
    assert subs.loc["双池110kV变电站", ["voltage_kv", "status"]].tolist() == [110.0, "in_service"]
    assert subs.loc["水头110kV变电站", "status"] == "planned"
    assert (subs.capacity_mva > subs.load_mva).all()
    water = layers["water"]
    assert {"reservoir", "main", "wastewater_plant", "well"} == set(water.kind)
    assert (water.capacity_m3_per_day >= water.used_m3_per_day).all()
    plant = water.query("kind == 'wastewater_plant'").iloc[0]
    assert (plant["name"], plant.capacity_m3_per_day, plant.capacity_future_m3_per_day) == (
        "交口县第二污水处理厂",
        6000.0,
        10000.0,
    )
    assert set(layers["substations"].voltage_kv) == {110.0}
    for park_id in ("shuitou", "shuangchi"):
        park = layers["parks"].set_index("park_id").geometry[park_id]
        assert any(park.intersects(g) for g in water.query("kind == 'main'").geometry), park_id


@pytest.mark.parametrize("park_id", ["shuitou", "shuangchi"])
def test_dem_grid_and_band(parks, park_id):
    with rasterio.open(str(DEM).format(park_id)) as ds:
        assert ds.crs.to_epsg() == 4546 and ds.res == (10.0, 10.0)
        assert ds.dtypes == ("float32",) and ds.nodata == -9999.0
        assert ds.profile["compress"] == "deflate" and ds.tags(ns="IMAGE_STRUCTURE").get("PREDICTOR") == "3"
        z = ds.read(1)
        b = ds.bounds
    assert 1000.0 <= z.min() and z.max() <= 2000.0
    minx, miny, maxx, maxy = parks[park_id].bounds
    margins = (minx - b.left, miny - b.bottom, b.right - maxx, b.top - maxy)
    assert all(300.0 <= m <= 500.0 for m in margins), margins


def test_shuitou_lies_higher_than_shuangchi():
    with rasterio.open(str(DEM).format("shuitou")) as a, rasterio.open(str(DEM).format("shuangchi")) as b:
        assert np.median(a.read(1)) > np.median(b.read(1)) + 200.0


@pytest.mark.parametrize("park_id", ["shuitou", "shuangchi"])
def test_rivers_run_in_valleys_and_slope_varies(layers, park_id):
    with rasterio.open(str(DEM).format(park_id)) as ds:
        z, transform = ds.read(1).astype(float), ds.transform
    rivers = [
        g
        for g in layers["rivers"].geometry
        if g.intersects(layers["parks"].set_index("park_id").geometry[park_id])
    ]
    assert rivers
    for river in rivers:
        bed = features.rasterize([river.buffer(20)], out_shape=z.shape, transform=transform).astype(bool)
        ring = features.rasterize(
            [river.buffer(300).difference(river.buffer(150))], out_shape=z.shape, transform=transform
        ).astype(bool)
        assert z[bed].mean() < z[ring].mean()
    gy, gx = np.gradient(z, 10.0)
    steep = 100.0 * np.hypot(gx, gy) > 15.0
    parcels = layers["parcels"].query("park == @park_id")
    labels = features.rasterize(
        [(g, i + 1) for i, g in enumerate(parcels.geometry)],
        out_shape=z.shape,
        transform=transform,
        dtype="int32",
    )
    n = np.bincount(labels.ravel(), minlength=len(parcels) + 1)[1:]
    share = np.bincount(labels.ravel(), steep.ravel().astype(float), minlength=len(parcels) + 1)[
        1:
    ] / np.maximum(n, 1)
    assert (share < 0.1).mean() > 0.6  # most parcels gentle
    assert (share > 0.1).sum() >= 5  # some partly steep
    assert 1 <= (share > 0.5).sum() <= 0.15 * len(parcels)  # a few mostly steep


# ----------------------------------------------------------------------------- generator
def _read_all(out: Path) -> tuple[dict[str, gpd.GeoDataFrame], dict[str, np.ndarray]]:
    layers = {name: gpd.read_file(out / "parcels" / "jiaokou.gpkg", layer=name) for name in LAYERS}
    dems = {}
    for park_id in ("shuitou", "shuangchi"):
        with rasterio.open(out / "rasters" / f"jiaokou_dem_{park_id}.tif") as ds:
            dems[park_id] = ds.read(1)
    return layers, dems


@pytest.fixture(scope="module")
def built_twice(tmp_path_factory):
    outs = []
    for name in ("a", "b"):
        out = tmp_path_factory.mktemp(name)
        write_sample(build_sample(2022), out)
        outs.append(out)
    return outs


def test_same_seed_same_features(built_twice):
    a, b = built_twice
    (la, da), (lb, db) = _read_all(a), _read_all(b)
    for name in LAYERS:
        assert la[name].drop(columns="geometry").equals(lb[name].drop(columns="geometry")), name
        assert list(la[name].geometry.to_wkb()) == list(lb[name].geometry.to_wkb()), name
    for park_id in da:
        assert np.array_equal(da[park_id], db[park_id])
    for rel in ("parcels/jiaokou.gpkg", "rasters/jiaokou_dem_shuitou.tif"):
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel


def test_committed_sample_is_what_seed_2022_builds(built_twice, layers):
    fresh, _ = _read_all(built_twice[0])
    hint = "data/ is stale: run `parksite sample` and commit data/"
    for name in LAYERS:
        assert fresh[name].drop(columns="geometry").equals(layers[name].drop(columns="geometry")), (
            f"{name}: {hint}"
        )
        assert fresh[name].geometry.geom_equals_exact(layers[name].geometry, tolerance=0.01).all(), (
            f"{name}: {hint}"
        )


def test_coordinates_are_snapped_to_centimetres(layers):
    for name in ("parcels", "roads", "places"):
        xy = shapely.get_coordinates(layers[name].geometry.values)
        assert np.allclose(xy, np.round(xy, 2), atol=1e-6), name


def test_another_seed_gives_another_zone_with_the_same_facts():
    zone = build_sample(7)
    base = gpd.read_file(GPKG, layer="parcels")
    parcels = zone.layers["parcels"]
    assert not parcels.geometry.geom_equals_exact(base.geometry.reindex(parcels.index), tolerance=1.0).all()
    assert len(parcels) >= 300
    parks = zone.layers["parks"].set_index("park_id")
    assert parks.loc["shuitou", "area_m2"] == pytest.approx(3.96e6, rel=0.001)
    assert parks.loc["shuangchi", "area_m2"] == pytest.approx(6.53e6, rel=0.001)
    assert parcels.enterprise.notna().sum() == 26


# ----------------------------------------------------------------------------- facts from the zone file
def _zone_copy(tmp_path: Path, edit_zone=None, edit_enterprises=None) -> Path:
    """Write a copy of the Jiaokou zone file and its enterprises file under ``tmp_path``, each
    changed by its ``edit`` function (given the parsed YAML); return the zone file's path."""
    zone = yaml.safe_load(ZONE.read_text(encoding="utf-8"))
    ents_rel = zone["data"]["enterprises"]
    ents = yaml.safe_load((ZONE.parent / ents_rel).read_text(encoding="utf-8"))
    for edit, data in ((edit_zone, zone), (edit_enterprises, ents)):
        if edit is not None:
            edit(data)
    out = tmp_path / "zone.yaml"
    (tmp_path / ents_rel).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / ents_rel).write_text(yaml.safe_dump(ents, allow_unicode=True), encoding="utf-8")
    out.write_text(yaml.safe_dump(zone, allow_unicode=True), encoding="utf-8")
    return out


def _park(zone: dict, park_id: str) -> dict:
    return next(p for p in zone["parks"] if p["id"] == park_id)


def _cluster(zone: dict, cluster_id: str) -> dict:
    return next(c for p in zone["parks"] for c in p["clusters"] if c["id"] == cluster_id)


def test_generator_takes_the_plan_facts_from_the_zone_file(tmp_path):
    """Change parks, clusters, 表2-1, the county seat, the dam distance and the services in a copy
    of the zone file: the generated sample follows the copy, not code."""

    def edit_zone(z):
        shuitou = _park(z, "shuitou")
        shuitou.update(name="水头园区（改）", area_km2=4.2)
        next(m for m in shuitou["landmarks"] if m["kind"] == "reservoir_dam")["distance_m"] = 500
        shuitou["services"]["substation"] = "水头220kV变电站"
        shuitou["services"]["substation_kv"] = 220
        _park(z, "shuangchi")["area_km2"] = 6.0
        _park(z, "shuangchi")["services"]["wastewater_capacity_m3_per_day"] = 7000
        _cluster(z, "sc-bio").update(name="生物健康组团（改）", name_en="Bio cluster (changed)")
        _cluster(z, "st-public")["area_mu"] = 300
        z["county"]["seat"]["name"] = "县城（改）"

    def edit_enterprises(t):
        row = next(e for e in t["enterprises"] if e["number"] == 3)
        row.update(name="晟安电铝（改）", area_mu=180)

    sample = build_sample(2022, _zone_copy(tmp_path, edit_zone, edit_enterprises))
    parks = sample.layers["parks"].set_index("park_id")
    assert parks.loc["shuitou", "name"] == "水头园区（改）"
    assert parks.loc["shuitou", "area_m2"] == pytest.approx(4.2e6, rel=0.001)
    assert parks.loc["shuangchi", "area_m2"] == pytest.approx(6.0e6, rel=0.001)
    clusters = sample.layers["clusters"].set_index("cluster_id")
    assert tuple(clusters.loc["sc-bio", ["name", "name_en"]]) == (
        "生物健康组团（改）",
        "Bio cluster (changed)",
    )
    assert clusters.loc["st-public", "area_mu"] == pytest.approx(300.0, rel=0.02)
    parcels = sample.layers["parcels"]
    assert "山西晟安电铝有限责任公司" not in set(parcels.enterprise)
    row = parcels.query("enterprise == '晟安电铝（改）'").iloc[0]
    assert row.area_mu == pytest.approx(180.0, rel=0.02) and row.area_source == "表2-1"
    places = sample.layers["places"]
    assert places.query("kind == 'county_seat'").name.tolist() == ["县城（改）"]
    dam = sample.layers["water"].query("kind == 'reservoir'").geometry.iloc[0]
    assert dam.distance(sample.layers["parks"].set_index("park_id").geometry["shuitou"]) == pytest.approx(
        500.0, abs=0.05
    )
    subs = sample.layers["substations"].set_index("substation_id")
    assert tuple(subs.loc["ss-shuitou", ["name", "voltage_kv"]]) == ("水头220kV变电站", 220.0)
    plant = sample.layers["water"].query("kind == 'wastewater_plant'").iloc[0]
    assert plant.capacity_m3_per_day == 7000.0


def test_zone_the_layout_cannot_draw_is_refused(tmp_path):
    def rename_cluster(z):
        _cluster(z, "sc-bio")["id"] = "sc-health"

    with pytest.raises(ConfigError, match="illustrative layout draws parks and clusters"):
        build_sample(2022, _zone_copy(tmp_path, rename_cluster))


def test_enterprise_without_an_illustrative_placement_is_refused(tmp_path):
    def add_row(t):
        t["enterprises"].append(
            {"number": 27, "name": "新企业", "area_mu": 20, "park": "shuangchi", "source": "表2-1"}
        )

    with pytest.raises(ConfigError, match="№27 新企业 has no illustrative placement"):
        load_facts(_zone_copy(tmp_path, edit_enterprises=add_row))


def test_sample_command_writes_the_files(tmp_path):
    cli = typer.Typer()
    register(cli)

    @cli.command("noop")
    def noop() -> None:  # a second command keeps typer from collapsing the group
        pass

    result = CliRunner().invoke(cli, ["sample", "--seed", "3", "--out-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "illustrative" in result.output
    assert (tmp_path / "parcels" / "jiaokou.gpkg").is_file()
    for park_id in ("shuitou", "shuangchi"):
        assert (tmp_path / "rasters" / f"jiaokou_dem_{park_id}.tif").is_file()

    missing = CliRunner().invoke(
        cli, ["sample", "--zone", str(tmp_path / "none.yaml"), "--out-dir", str(tmp_path)]
    )
    assert missing.exit_code != 0 and "找不到区划文件" in missing.output


# ----------------------------------------------------------------------------- gis.synthetic
def test_smooth_noise_is_seeded_and_standardised():
    a = smooth_noise((60, 80), 5.0, np.random.default_rng(1))
    b = smooth_noise((60, 80), 5.0, np.random.default_rng(1))
    assert np.array_equal(a, b)
    assert a.mean() == pytest.approx(0.0, abs=1e-12) and a.std() == pytest.approx(1.0)


@pytest.mark.parametrize(
    "angle, targets, expected",
    [
        (0.0, [1000.0, 2000.0], [1000.0, 2000.0, 2000.0]),  # sweep west→east over a 100×50 m box
        (math.pi / 2, [2500.0], [2500.0, 2500.0]),  # south→north: halves
        (math.pi, [500.0, 500.0, 500.0], [500.0, 500.0, 500.0, 3500.0]),
    ],
)
def test_slice_by_areas(angle, targets, expected):
    pieces = slice_by_areas(box(0, 0, 100, 50), angle, targets)
    assert [p.area for p in pieces] == pytest.approx(expected, abs=0.1)


def test_cut_by_area_with_a_corner_box():
    region = box(0, 0, 100, 50)
    piece, rest = cut_by_area(region, corner_box(region, 0.0, (-1, -1), aspect=1.0), 400.0, 0.0, 100.0)
    assert piece.bounds == pytest.approx((0.0, 0.0, 20.0, 20.0), abs=0.01)
    assert rest.area == pytest.approx(4600.0, abs=0.5)


def test_halfplane_keeps_points_behind_the_offset():
    h = halfplane((0.0, 0.0), 0.0, 10.0)
    assert h.contains(Point(9.9, 1e4)) and not h.contains(Point(10.1, 0.0))


def test_node_lines_share_junction_vertices():
    a = LineString([(0, 0), (100, 0)])
    b = LineString([(50, -50), (50, 50)])  # crosses a at (50, 0)
    c = LineString([(70.004, 0.003), (70, 80)])  # ends on a (within a few mm)
    na, nb, nc = node_lines([a, b, c], grid_size=0.01)
    assert (50.0, 0.0) in list(na.coords) and (50.0, 0.0) in list(nb.coords)
    assert nc.coords[0] in list(na.coords)


def test_planar_partition_removes_slivers_and_overlaps():
    left = Polygon([(0, 0), (50.0000004, 0), (49.9999997, 100), (0, 100)])
    right = Polygon([(50, 0), (100, 0), (100, 100), (50.0000002, 100)])
    pl, pr = planar_partition([left, right], grid_size=0.01)
    assert pl.intersection(pr).area == 0.0
    assert shapely.union_all([pl, pr]).equals(box(0, 0, 100, 100))
    assert pl.area == pytest.approx(5000.0) and pr.area == pytest.approx(5000.0)
