"""Exclusion facts (gis.exclusion) with hand-computed areas on a 100 × 100 m parcel."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
import shapely.affinity
from shapely import LineString, box

from app.i18n import render
from gis.errors import CRSError, SchemaError
from gis.exclusion import area_inside, exclusion_zones, measure_exclusion, river_zones, tile

CRS = "EPSG:4546"
X0, Y0 = 520_000.0, 4_085_000.0


def at(x: float, y: float) -> tuple[float, float]:
    return (X0 + x, Y0 + y)


def parcels_at(*origins: tuple[float, float], size: float = 100.0) -> gpd.GeoDataFrame:
    """Factory: square parcels (side ``size`` m) with lower-left corners at local ``origins``."""
    geoms = [box(*at(x, y), *at(x + size, y + size)) for x, y in origins]
    return gpd.GeoDataFrame({"parcel_id": [f"P{i}" for i in range(len(origins))]}, geometry=geoms, crs=CRS)


def rivers_of(*rows: tuple[str, list[tuple[float, float]], float]) -> gpd.GeoDataFrame:
    """Factory: river centre lines ``(name, local vertices, control_distance_m)``."""
    return gpd.GeoDataFrame(
        {
            "name": [r[0] for r in rows],
            "control_distance_m": [r[2] for r in rows],
            "river_id": [f"R{i}" for i in range(len(rows))],
        },
        geometry=[LineString([at(*xy) for xy in r[1]]) for r in rows],
        crs=CRS,
    )


def parks_of(*boxes: tuple[float, float, float, float]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"park_id": [f"park{i}" for i in range(len(boxes))]},
        geometry=[box(*at(b[0], b[1]), *at(b[2], b[3])) for b in boxes],
        crs=CRS,
    )


HUILONG = ("回龙河", [(-500, -20), (500, -20)], 50.0)  # zone y −70…30: 30 m of the parcel
DAMAIJIAO = ("大麦郊河", [(120, -500), (120, 500)], 40.0)  # zone x 80…160: 20 m of the parcel


@pytest.mark.parametrize(
    "rivers, share, name",
    [
        ([HUILONG], 0.30, "回龙河"),
        # Flat caps: the line ends at x = 50, so only half the 30 m strip counts.
        ([("回龙河", [(-500, -20), (50, -20)], 50.0)], 0.15, "回龙河"),
        # Two rivers: 3000 + 2000 − 600 m² where their zones overlap = 4400 m²; the larger names it.
        ([HUILONG, DAMAIJIAO], 0.44, "回龙河"),
        ([("大麦郊河", [(120, -500), (120, 500)], 70.0), HUILONG], 0.30 + 0.50 - 0.15, "大麦郊河"),
        # The same river digitised twice / in overlapping pieces is not counted twice.
        ([HUILONG, ("回龙河", [(-100, -20), (300, -20)], 50.0)], 0.30, "回龙河"),
        # Away from the parcel.
        ([("段纯河", [(-500, 300), (500, 300)], 100.0)], 0.0, None),
        # Covering it whole.
        ([("段纯河", [(-500, 50), (500, 50)], 100.0)], 1.0, "段纯河"),
    ],
)
@pytest.mark.parametrize("tile_m", [500.0, 25.0, 7.0])
def test_river_share_by_hand(rivers, share, name, tile_m):
    out = measure_exclusion(parcels_at((0, 0)), rivers_of(*rivers), None, tile_m=tile_m)
    assert out["river_share"].iloc[0] == pytest.approx(share, abs=1e-9)
    assert out["river_name"].iloc[0] == name


@pytest.mark.parametrize(
    "parks, outside",
    [
        ([(-1000, -1000, 1000, 1000)], 0.0),  # strictly inside
        ([(0, 0, 100, 100)], 0.0),  # exactly the parcel (touching boundary)
        ([(-1000, -1000, 60, 1000)], 0.4),
        ([(-1000, -1000, 60, 1000), (80, -1000, 1000, 1000)], 0.2),  # a 20 m gap between parks
        ([(-1000, -1000, 60, 1000), (-1000, -1000, 70, 1000)], 0.3),  # overlapping parks: union
        ([(2000, 2000, 3000, 3000)], 1.0),  # far away
    ],
)
def test_outside_park_share_by_hand(parks, outside):
    out = measure_exclusion(parcels_at((0, 0)), None, parks_of(*parks), tile_m=30.0)
    assert out["outside_park_share"].iloc[0] == pytest.approx(outside, abs=1e-9)


def test_many_parcels_at_once_keep_their_index():
    parcels = parcels_at((0, 0), (0, 200), (300, 0)).set_index("parcel_id")
    out = measure_exclusion(parcels, rivers_of(HUILONG), parks_of((-1000, -1000, 350, 1000)))
    assert list(out.index) == ["P0", "P1", "P2"]
    np.testing.assert_allclose(out["river_share"], [0.3, 0.0, 0.3])
    assert list(out["river_name"]) == ["回龙河", None, "回龙河"]
    np.testing.assert_allclose(out["outside_park_share"], [0.0, 0.0, 0.5])


def test_missing_layers_give_nan_and_notes():
    out = measure_exclusion(parcels_at((0, 0)), None, parks_of((0, 0, 1, 1)).iloc[:0])
    assert out[["river_share", "outside_park_share"]].isna().all().all()
    assert [render(n, "en") for n in out.attrs["notes"]] == [
        "no 'rivers' layer: NaN in river_share, river_name",
        "no 'parks' layer: NaN in outside_park_share",
    ]


@pytest.mark.parametrize("bad", [np.nan, 0.0, -5.0])
def test_bad_control_distance_is_refused(bad):
    rivers = rivers_of(HUILONG, ("段纯河", [(0, 0), (1, 1)], bad))
    with pytest.raises(
        SchemaError,
        match=r"'control_distance_m' must be a positive number of "
        r"metres in feature 2 \(name=段纯河\)",
    ):
        measure_exclusion(parcels_at((0, 0)), rivers, None)


def test_layers_in_another_crs_are_refused():
    with pytest.raises(CRSError, match=r"layer 'parks': is in EPSG:4490"):
        measure_exclusion(parcels_at((0, 0)), None, parks_of((0, 0, 1, 1)).to_crs("EPSG:4490"))


def test_river_zone_is_buffered_with_flat_caps_and_dissolved():
    zones = river_zones(rivers_of(HUILONG, ("回龙河", [(0, -20), (100, -20)], 50.0)))
    assert list(zones["name"]) == ["回龙河"]
    assert zones.geometry.iloc[0].area == pytest.approx(1000 * 100)


def test_tiles_are_disjoint_and_cover_the_zone():
    geom = shapely.Point(0, 0).buffer(1000)
    pieces = tile(geom, 300.0)
    assert shapely.area(pieces).sum() == pytest.approx(geom.area)
    assert shapely.union_all(pieces).symmetric_difference(geom).area < 1e-6
    parcels = np.array([box(-50, -50, 50, 50), box(950, -50, 1050, 50)])
    np.testing.assert_allclose(
        area_inside(parcels, pieces), [10_000.0, shapely.intersection(parcels[1], geom).area]
    )


@pytest.mark.parametrize("angle", [15, 36, 71])
def test_overlay_noise_does_not_leave_a_sliver_outside_the_park(angle):
    # A parcel turned by ``angle`` in the corner of a park turned the same way: the tiled overlay
    # leaves ~1e-12 of rounding, which must come out as exactly 0 (a rule may test "> 0").
    parcel = shapely.affinity.rotate(box(*at(0, 0), *at(100, 100)), angle, origin=at(0, 0))
    park = shapely.affinity.rotate(box(*at(-500, -500), *at(100, 100)), angle, origin=at(0, 0))
    out = measure_exclusion(
        gpd.GeoSeries([parcel], crs=CRS), None, gpd.GeoDataFrame(geometry=[park], crs=CRS), tile_m=37.3
    )
    assert out["outside_park_share"].iloc[0] == 0.0


def test_zones_built_once_serve_every_batch():
    rivers, parks = rivers_of(HUILONG, DAMAIJIAO), parks_of((-1000, -1000, 60, 1000), (80, -1000, 1000, 1000))
    zones = exclusion_zones(rivers, parks, tile_m=37.0)
    batches = [parcels_at((0, 0), (0, 200)), parcels_at((300, 0), (70, -60), (2000, 2000))]
    for batch in batches:
        direct = measure_exclusion(batch, rivers, parks, tile_m=37.0)
        reused = measure_exclusion(batch, zones=zones)
        assert reused.attrs["notes"] == direct.attrs["notes"] == []
        np.testing.assert_allclose(
            reused[["river_share", "outside_park_share"]].to_numpy(),
            direct[["river_share", "outside_park_share"]].to_numpy(),
            atol=1e-12,
        )
        assert list(reused["river_name"]) == list(direct["river_name"])
    assert measure_exclusion(batches[0], zones=zones)["river_share"].iloc[0] == pytest.approx(0.44)
    assert measure_exclusion(batches[0], zones=zones)["outside_park_share"].iloc[0] == pytest.approx(0.2)
    none = exclusion_zones(None, None)
    out = measure_exclusion(batches[0], zones=none)
    assert out[["river_share", "outside_park_share"]].isna().all().all() and len(out.attrs["notes"]) == 2


def test_the_zones_trees_are_built_once_per_thread_copy_not_per_batch(monkeypatch):
    # at a province's scale the zones are hundreds of thousands of tiles: building their
    # STRtrees for every batch of 2,000 parcels cost 0.14 s a batch (docs/benchmarks.md)
    import gis.exclusion as exclusion

    built: list[int] = []
    real = shapely.STRtree

    def counted(geoms, *args, **kwargs):
        built.append(len(geoms))
        return real(geoms, *args, **kwargs)

    monkeypatch.setattr(exclusion.shapely, "STRtree", counted)
    rivers, parks = rivers_of(HUILONG, DAMAIJIAO), parks_of((-1000, -1000, 60, 1000), (80, -1000, 1000, 1000))
    zones = exclusion_zones(rivers, parks, tile_m=37.0)
    batches = [
        parcels_at((0, 0), (0, 200)),
        parcels_at((300, 0), (70, -60), (2000, 2000)),
        parcels_at((0, 0)),
    ]
    outs = [measure_exclusion(batch, zones=zones) for batch in batches]
    own = zones.own()
    assert built == [len(own.river_pieces), len(own.river_union), len(own.park_union)]
    for batch, out in zip(batches, outs, strict=True):
        direct = measure_exclusion(batch, rivers, parks, tile_m=37.0)  # its own zones and trees
        np.testing.assert_allclose(
            out[["river_share", "outside_park_share"]].to_numpy(),
            direct[["river_share", "outside_park_share"]].to_numpy(),
            atol=1e-12,
        )
        assert list(out["river_name"]) == list(direct["river_name"])
    assert outs[0]["river_share"].iloc[0] == pytest.approx(0.44)


def test_prebuilt_zones_are_checked():
    zones = exclusion_zones(None, parks_of((0, 0, 1, 1)))
    with pytest.raises(ValueError, match="not both"):
        measure_exclusion(parcels_at((0, 0)), None, parks_of((0, 0, 1, 1)), zones=zones)
    with pytest.raises(CRSError, match="exclusion zones: the exclusion zones are in EPSG:4546"):
        measure_exclusion(parcels_at((0, 0)).to_crs("EPSG:32649"), zones=zones)
    with pytest.raises(CRSError, match="layer 'parks': is in EPSG:4490"):
        exclusion_zones(rivers_of(HUILONG), parks_of((0, 0, 1, 1)).to_crs("EPSG:4490"))


@pytest.mark.parametrize("tile_m", [1000.0, 37.0])
def test_zone_shortcut_gives_the_overlay_areas(tile_m):
    # Parcels wholly inside, wholly outside and across the edge of an irregular zone.
    geom = shapely.Point(at(0, 0)).buffer(400).union(box(*at(300, -50), *at(900, 50)))
    pieces = tile(geom, tile_m)
    parcels = np.array(
        [
            box(*at(x, y), *at(x + 100, y + 100))
            for x, y in [(-50, -50), (350, -150), (850, -20), (2000, 0), (-450, 250), (500, 40)]
        ]
    )
    with_zone = area_inside(parcels, pieces, zone=geom)
    np.testing.assert_allclose(with_zone, area_inside(parcels, pieces), rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(with_zone, shapely.area(shapely.intersection(parcels, geom)), rtol=1e-9)
    assert with_zone[0] == pytest.approx(10_000) and with_zone[3] == 0.0
    with pytest.raises(ValueError, match="unlabelled"):
        area_inside(parcels, pieces, np.zeros(len(pieces), int), 1, zone=geom)
