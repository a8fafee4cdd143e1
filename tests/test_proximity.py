"""Straight-line access measures (gis.proximity) on hand-made layers with known distances."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely import LineString, Point, box

from app.i18n import render
from gis.errors import CRSError, MissingCRSError, SchemaError
from gis.proximity import ROAD_CLASSES, distance_to_nearest, measure_access, nearest_feature

CRS = "EPSG:4546"
X0, Y0 = 500_000.0, 4_080_000.0


def en_notes(out) -> list[str]:
    """The notes of a measure table in English."""
    return [render(n, "en") for n in out.attrs["notes"]]


def square_parcels(*origins: tuple[float, float], size: float = 100.0) -> gpd.GeoDataFrame:
    """Factory: square parcels of side ``size`` m with lower-left corners at ``origins`` (local m)."""
    geoms = [box(X0 + x, Y0 + y, X0 + x + size, Y0 + y + size) for x, y in origins]
    ids = [f"P{i}" for i in range(len(origins))]
    return gpd.GeoDataFrame(
        {"parcel_id": ids},
        geometry=geoms,
        crs=CRS,
        index=pd.Index([10 * (i + 1) for i in range(len(origins))]),
    )


def points(rows: list[dict], crs=CRS) -> gpd.GeoDataFrame:
    """Factory: a point layer from rows with local ``x``, ``y`` and attributes."""
    geoms = [Point(X0 + r["x"], Y0 + r["y"]) for r in rows]
    attrs = [{k: v for k, v in r.items() if k not in ("x", "y")} for r in rows]
    return gpd.GeoDataFrame(attrs, geometry=geoms, crs=crs)


def road(x0, y0, x1, y1, cls, name="r") -> dict:
    return {"geometry": LineString([(X0 + x0, Y0 + y0), (X0 + x1, Y0 + y1)]), "class": cls, "name": name}


@pytest.fixture
def layers():
    substations = points(
        [
            # 50 m east of parcel A's east edge (x = 100), level with it
            {"x": 150, "y": 50, "name": "双池110kV", "voltage_kv": 110.0, "status": "in_service"},
            # inside parcel A, but only planned
            {"x": 50, "y": 50, "name": "规划35kV", "voltage_kv": 35.0, "status": "planned"},
            # 300 m north-east diagonal from parcel B's corner: 300·√2
            {
                "x": 1_100 + 300,
                "y": 100 + 300,
                "name": "回龙35kV",
                "voltage_kv": 35.0,
                "status": "in_service",
            },
        ]
    )
    water = gpd.GeoDataFrame(
        [
            {"name": "西山水库", "kind": "reservoir", "geometry": Point(X0 - 250, Y0 + 50)},
            {
                "name": "供水干管",
                "kind": "main",
                "geometry": LineString([(X0 + 1_000, Y0 - 30), (X0 + 1_100, Y0 - 30)]),
            },
            {
                "name": "第二污水处理厂",
                "kind": "wastewater_plant",
                "geometry": Point(X0 + 50, Y0 + 100 + 400),
            },
        ],
        crs=CRS,
    )
    roads = gpd.GeoDataFrame(
        [
            road(-100, -20, 2_000, -20, "provincial", "S224"),  # 20 m south of both parcels
            road(1_050, 100, 1_050, 500, "park"),  # touches parcel B's north edge
            road(-500, 0, -500, 900, "county"),  # 500 m west of parcel A
        ],
        crs=CRS,
    )
    return {"substations": substations, "water": water, "roads": roads}


def test_measure_access_gives_hand_computed_distances(layers):
    # Parcel A: x 0…100, y 0…100. Parcel B: x 1000…1100, y 0…100.
    parcels = square_parcels((0, 0), (1_000, 0))
    out = measure_access(parcels, layers)
    assert list(out.index) == [10, 20]
    # Power: the planned substation inside A is ignored by default.
    np.testing.assert_allclose(out["power_dist_m"], [50.0, 300 * math.sqrt(2)])
    assert list(out["power_substation"]) == ["双池110kV", "回龙35kV"]
    np.testing.assert_allclose(out["power_voltage_kv"], [110.0, 35.0])
    assert out["power_voltage_kv"].dtype == float
    # Water: the reservoir 250 m west of A (distance to its west edge), the main 30 m under B.
    np.testing.assert_allclose(out["water_dist_m"], [250.0, 30.0])
    assert list(out["water_source"]) == ["西山水库", "供水干管"]
    # Wastewater plant 400 m north of A; for B it is the diagonal to A's corner... of B:
    # from (550, 500) local (x=50) to B's corner (1000, 100): dx 950, dy 400.
    np.testing.assert_allclose(out["wastewater_dist_m"], [400.0, math.hypot(950, 400)])
    assert list(out["wastewater_plant"]) == ["第二污水处理厂"] * 2
    # Roads: S224 20 m south of both; the park road touches B (0 m); the county road 500 m west of A.
    np.testing.assert_allclose(out["road_dist_m"], [20.0, 0.0])
    np.testing.assert_allclose(out["road_dist_m_provincial"], [20.0, 20.0])
    np.testing.assert_allclose(out["road_dist_m_park"], [math.hypot(950, 0), 0.0])
    np.testing.assert_allclose(out["road_dist_m_county"], [500.0, 1_500.0])
    # Classes absent from the layer: NaN columns with a note each.
    assert out["road_dist_m_township"].isna().all() and out["road_dist_m_link"].isna().all()
    assert "layer 'roads' has no road of class 'township': road_dist_m_township is NaN" in en_notes(out)
    assert [c for c in out.columns if c.startswith("road_dist_m_")] == [
        f"road_dist_m_{c}" for c in ROAD_CLASSES
    ]


def test_all_substations_when_status_filter_is_off(layers):
    out = measure_access(square_parcels((0, 0)), layers, substation_status=None)
    assert out["power_dist_m"].iloc[0] == 0.0  # the planned one lies inside the parcel
    assert out["power_substation"].iloc[0] == "规划35kV"


@pytest.mark.parametrize(
    "drop, empty_cols, note",
    [
        (
            "substations",
            ["power_dist_m", "power_voltage_kv", "power_substation"],
            "no 'substations' layer: power columns are NaN",
        ),
        (
            "water",
            ["water_dist_m", "water_source", "wastewater_dist_m", "wastewater_plant"],
            "no 'water' layer: water columns are NaN",
        ),
        (
            "roads",
            ["road_dist_m", *[f"road_dist_m_{c}" for c in ROAD_CLASSES]],
            "no 'roads' layer: road columns are NaN",
        ),
    ],
)
def test_missing_layer_gives_nan_columns_and_a_note(layers, drop, empty_cols, note):
    layers = {k: v for k, v in layers.items() if k != drop}
    out = measure_access(square_parcels((0, 0)), layers)
    assert out[empty_cols].isna().all().all()
    assert note in en_notes(out)
    others = [c for c in ("power_dist_m", "water_dist_m", "road_dist_m") if c not in empty_cols]
    assert out[others].notna().all().all()


def test_empty_layer_and_filter_without_match_give_nan_and_note(layers):
    layers = dict(layers, substations=layers["substations"].iloc[:0])
    layers["water"] = layers["water"][layers["water"]["kind"] != "wastewater_plant"]
    out = measure_access(square_parcels((0, 0)), layers)
    assert out["power_dist_m"].isna().all() and out["wastewater_plant"].isna().all()
    assert "layer 'substations' has no feature with status in in_service: power columns are NaN" in en_notes(
        out
    )
    assert (
        "layer 'water' has no feature with kind in wastewater_plant: wastewater columns are NaN"
        in en_notes(out)
    )
    assert out["water_dist_m"].iloc[0] == 250.0


def test_layers_must_share_the_parcels_crs(layers):
    layers = dict(layers, water=layers["water"].to_crs("EPSG:4490"))
    with pytest.raises(CRSError, match=r"layer 'water': is in EPSG:4490 but parcels are in EPSG:4546"):
        measure_access(square_parcels((0, 0)), layers)


def test_parcels_must_be_in_a_projected_crs(layers):
    with pytest.raises(CRSError, match="geographic CRS"):
        measure_access(square_parcels((0, 0)).to_crs("EPSG:4490"), {})
    with pytest.raises(MissingCRSError, match="parcels: has no CRS"):
        measure_access(square_parcels((0, 0)).set_crs(None, allow_override=True), {})


def test_filter_field_missing_is_a_schema_error(layers):
    layers = dict(layers, substations=layers["substations"].drop(columns="status"))
    with pytest.raises(SchemaError, match=r"layer 'substations': lacks field 'status'"):
        measure_access(square_parcels((0, 0)), layers)


def test_nearest_feature_positions_and_empty_parcels():
    parcels = square_parcels((0, 0), (0, 1_000))
    parcels.loc[20, "geometry"] = box(0, 0, 0, 0).buffer(0)  # an empty polygon
    feats = points([{"x": 0, "y": 500}, {"x": 100, "y": -70}])
    dist, pos = nearest_feature(parcels, feats)
    np.testing.assert_allclose(dist, [70.0, np.nan])
    assert list(pos) == [1, -1]


def test_distance_to_nearest_keeps_attributes_and_index():
    parcels = square_parcels((0, 0))
    feats = points([{"x": 130, "y": 140, "name": "gate"}])
    out = distance_to_nearest(parcels, feats, column="d_m", attributes={"name": "which"})
    assert out.loc[10, "d_m"] == pytest.approx(50.0)  # 30-40-50 triangle from the corner
    assert out.loc[10, "which"] == "gate"


@pytest.mark.parametrize("kind", ["points", "lines"])
def test_nearest_feature_is_exact_against_every_pair(kind):
    # The small-leaf STRtree must find the true nearest feature for every parcel: compared with
    # the distance from each parcel to every feature (rotated parcels, wiggly multi-vertex roads,
    # roads crossing parcels).
    rng = np.random.default_rng(7)
    centres = rng.uniform(0, 5_000, (300, 2))
    parcels = gpd.GeoSeries(
        [box(X0 + x, Y0 + y, X0 + x + 80, Y0 + y + 50).buffer(0) for x, y in centres], crs=CRS
    ).rotate(25, origin="centroid")
    if kind == "points":
        feats = gpd.GeoSeries([Point(X0 + x, Y0 + y) for x, y in rng.uniform(0, 5_000, (40, 2))], crs=CRS)
    else:
        feats = gpd.GeoSeries(
            [
                LineString(np.column_stack([X0 + np.linspace(0, 5_000, 30), Y0 + y + rng.normal(0, 60, 30)]))
                for y in rng.uniform(0, 5_000, 12)
            ],
            crs=CRS,
        )
    dist, pos = nearest_feature(parcels, feats)
    every = np.array([[p.distance(f) for f in feats] for p in parcels])
    np.testing.assert_allclose(dist, every.min(axis=1), rtol=0, atol=1e-9)
    np.testing.assert_allclose(every[np.arange(len(parcels)), pos], dist, rtol=0, atol=1e-9)
    assert kind == "points" or (dist == 0).any()  # some roads cross parcels
