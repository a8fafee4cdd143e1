"""The scoring run — zone context (scoring/context.py), measuring (scoring/measure.py), the batch
run (scoring/batch.py) and its files (app/scoring_io/) — on a small synthetic zone with
hand-checkable outcomes, and plausibility of the bundled sample zone's scores.

The synthetic zone (EPSG:4546, origin X0, Y0; all coordinates below are offsets in metres):

* DEM 1200 × 600 m, 10 m cells: flat for x < 400, rising 12 % from 400 to 800, 30 % beyond;
* one park covering x 0…1100, y 0…600;
* S224 (provincial) along y = 60, a park road along x = 450; a gate on S224 at (150, 60),
  the county seat 5 km west, beyond the roads;
* 双池110kV变电站 at (150, 250); a well at (300, 250); a wastewater plant at (600, 20);
* 回龙河 along x = 150 from y = 300 to 650, control line 30 m each side;
* five 100 × 100 m parcels: FLAT (100…200, 100…200), MID on the 12 % slope (550…650),
  STEEP on the 30 % slope (900…1000), RIVER (100…200, 350…450: 60 m of its 100 m width inside
  the river's control zone) and OUTSIDE (1050…1150, 350…450: half outside the park, on 30 %).
"""

from __future__ import annotations

import math
import pickle
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import yaml
from shapely.geometry import LineString, Point, box

from app.i18n import render
from app.scoring_io.cache import load_scored_parcels
from app.scoring_io.parcel_files import read_parcels, write_scored_parcels
from app.scoring_io.runs import score_file
from app.scoring_io.zone_files import load_zone_context
from gis.errors import CRSError, InputFileError, MissingCRSError, NoOverlapError, SchemaError
from gis.units import MU_M2
from scoring.batch import can_fork, score_zone_parcels
from scoring.context import ZoneContext
from scoring.measure import measure_batch, measure_parcels
from scoring.parcels import prepare_parcels
from scoring.zone import load_zone
from tests.rasters import ZONE_CRS, ZONE_X0, ZONE_Y0, cell_centres, north_up, write_raster

ROOT = Path(__file__).resolve().parent.parent
ZONE_FILE = ROOT / "data" / "zones" / "jiaokou.yaml"
X0, Y0 = ZONE_X0, ZONE_Y0

PARCEL_BOXES: dict[str, tuple[float, float, float, float]] = {
    "FLAT": (100, 100, 200, 200),
    "MID": (550, 100, 650, 200),
    "STEEP": (900, 100, 1000, 200),
    "RIVER": (100, 350, 200, 450),
    "OUTSIDE": (1050, 350, 1150, 450),
}


def en(note) -> str:
    """A note or progress message in English (plain text notes as they are)."""
    return render(note, "en")


def at(x: float, y: float) -> tuple[float, float]:
    return (X0 + x, Y0 + y)


def rect(x0: float, y0: float, x1: float, y1: float):
    return box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def frame(rows: list[dict], crs: str | None = ZONE_CRS) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=crs)


def zone_layers() -> dict[str, gpd.GeoDataFrame]:
    """The synthetic zone's layers (see the module docstring)."""
    return {
        "parks": frame([{"park_id": "shuangchi", "name": "双池镇园区", "geometry": rect(0, 0, 1100, 600)}]),
        "roads": frame(
            [
                {
                    "road_id": "R1",
                    "name": "S224",
                    "class": "provincial",
                    "geometry": LineString([at(-500, 60), at(1700, 60)]),
                },
                {
                    "road_id": "R2",
                    "name": "园区路",
                    "class": "park",
                    "geometry": LineString([at(450, 60), at(450, 550)]),
                },
            ]
        ),
        "rivers": frame(
            [
                {
                    "river_id": "RV1",
                    "name": "回龙河",
                    "control_distance_m": 30.0,
                    "geometry": LineString([at(150, 300), at(150, 650)]),
                }
            ]
        ),
        "substations": frame(
            [
                {
                    "substation_id": "SS1",
                    "name": "双池110kV变电站",
                    "voltage_kv": 110.0,
                    "status": "in_service",
                    "geometry": Point(at(150, 250)),
                }
            ]
        ),
        "water": frame(
            [
                {"water_id": "W1", "name": "双池岩溶水井", "kind": "well", "geometry": Point(at(300, 250))},
                {
                    "water_id": "W2",
                    "name": "交口县第二污水处理厂",
                    "kind": "wastewater_plant",
                    "geometry": Point(at(600, 20)),
                },
            ]
        ),
        "places": frame(
            [
                {"place_id": "P1", "name": "双池园区大门", "kind": "gate", "geometry": Point(at(150, 60))},
                {
                    "place_id": "P2",
                    "name": "交口县城",
                    "kind": "county_seat",
                    "geometry": Point(at(-5000, 60)),
                },
            ]
        ),
    }


def parcels_frame(names=tuple(PARCEL_BOXES), crs: str | None = ZONE_CRS) -> gpd.GeoDataFrame:
    return frame(
        [{"parcel_id": n, "status": "vacant", "geometry": rect(*PARCEL_BOXES[n])} for n in names], crs=crs
    )


def dem_values() -> tuple[np.ndarray, object]:
    """Elevations (m) of the synthetic DEM and its transform."""
    t = north_up(X0, Y0 + 600, 10.0)
    x, _ = cell_centres(t, (60, 120))
    dx = x - X0
    z = 1000.0 + 0.12 * np.clip(dx - 400.0, 0.0, 400.0) + 0.30 * np.clip(dx - 800.0, 0.0, None)
    return z.astype(np.float32), t


def write_gpkg(path: Path, layers: dict[str, gpd.GeoDataFrame]) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyogrio warns about a layer without CRS
        for name, gdf in layers.items():
            gdf.to_file(path, layer=name, driver="GPKG")
    return path


def make_zone(
    folder: Path, *, layers: dict | None = None, parcels: gpd.GeoDataFrame | None = None, dem: bool = True
) -> Path:
    """Write the synthetic zone into ``folder`` (zone.yaml, layers.gpkg with parcels, dem.tif);
    return the zone file. The zone file is the bundled Jiaokou file with its data section
    pointing at these files."""
    folder.mkdir(parents=True, exist_ok=True)
    data = yaml.safe_load(ZONE_FILE.read_text(encoding="utf-8"))
    data["data"] = {"layers": "layers.gpkg", "dems": ["dem.tif"] if dem else []}
    zone_file = folder / "zone.yaml"
    zone_file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    all_layers = dict(zone_layers() if layers is None else layers)
    all_layers["parcels"] = parcels_frame() if parcels is None else parcels
    write_gpkg(folder / "layers.gpkg", all_layers)
    if dem:
        z, t = dem_values()
        write_raster(folder / "dem.tif", z, transform=t)
    return zone_file


@pytest.fixture(scope="module")
def zone_dir(tmp_path_factory) -> Path:
    return make_zone(tmp_path_factory.mktemp("zone")).parent


@pytest.fixture(scope="module")
def ctx(zone_dir) -> ZoneContext:
    return load_zone_context(zone_dir / "zone.yaml")


@pytest.fixture(scope="module")
def prepared(ctx) -> gpd.GeoDataFrame:
    """The five parcels checked and with ids, ready to score (module-wide: tests must not change it)."""
    return prepare_parcels(parcels_frame(), ctx.zone)[0]


@pytest.fixture(scope="module")
def scored(ctx, prepared) -> gpd.GeoDataFrame:
    return score_zone_parcels(ctx, prepared, batch_size=2).parcels.set_index("parcel_id")


# --------------------------------------------------------------------------- measures by hand


def test_measures_by_hand(ctx, prepared):
    parcels = prepared
    m = measure_batch(ctx, parcels).set_axis(parcels["parcel_id"])
    assert m.loc["FLAT", "area_m2"] == pytest.approx(10_000.0)
    assert m.loc["FLAT", "area_mu"] == pytest.approx(10_000.0 / MU_M2)  # 15 亩
    # Slopes of planes: 0, atan(0.12), atan(0.30) in degrees; shares below 15 % and 10 %.
    assert m.loc["FLAT", "slope_mean_deg"] == pytest.approx(0.0, abs=1e-6)
    assert m.loc["MID", "slope_mean_deg"] == pytest.approx(math.degrees(math.atan(0.12)), abs=1e-4)
    assert m.loc["MID", "slope_max_deg"] == pytest.approx(math.degrees(math.atan(0.12)), abs=1e-4)
    assert m.loc["STEEP", "slope_mean_pct"] == pytest.approx(30.0, abs=1e-3)
    assert m.loc["MID", ["slope_share_lt_15pct", "slope_share_lt_10pct"]].tolist() == [1.0, 0.0]
    assert m.loc[["FLAT", "MID", "STEEP"], "slope_over_limit_share"].tolist() == [0.0, 0.0, 1.0]
    # Earthwork to the 10 % planned limit: a 12 % plane leaves a 2 % residual ramp; over the
    # 10 × 10 cells Σ|x − x̄| = 10 rows × 250 m, so cut = fill = 100 m² · 0.02 · 2500 / 2.
    assert m.loc["FLAT", "earthwork_lim_m3_per_mu"] == pytest.approx(0.0, abs=1e-6)
    assert m.loc["MID", "earthwork_lim_cut_m3"] == pytest.approx(2500.0, rel=1e-4)
    assert m.loc["MID", "earthwork_lim_fill_m3"] == pytest.approx(2500.0, rel=1e-4)
    assert m.loc["MID", "earthwork_lim_m3_per_mu"] == pytest.approx(5000.0 / 15.0, rel=1e-4)
    assert m.loc["STEEP", "earthwork_lim_m3_per_mu"] == pytest.approx(50_000.0 / 15.0, rel=1e-4)
    # Access, straight line.
    assert m.loc["FLAT", "power_dist_m"] == pytest.approx(50.0)
    assert m.loc["FLAT", "power_substation"] == "双池110kV变电站"
    assert m.loc["FLAT", "power_voltage_kv"] == 110.0
    assert m.loc["MID", "power_dist_m"] == pytest.approx(math.hypot(400, 50))
    assert m.loc["FLAT", "water_dist_m"] == pytest.approx(math.hypot(100, 50))
    assert m.loc["FLAT", "wastewater_dist_m"] == pytest.approx(math.hypot(400, 80))
    assert m.loc["FLAT", "road_dist_m"] == pytest.approx(40.0)
    assert m.loc["FLAT", "road_dist_m_provincial"] == pytest.approx(40.0)
    assert m.loc["MID", "road_dist_m_park"] == pytest.approx(100.0)
    # Network: FLAT joins S224 40 m below its bottom edge, at some x between 100 and 200 (the
    # edge is parallel to the road, GEOS picks the point). The county seat lies 4.5 km beyond
    # the road's west end (x = −500), the gate on the road at x = 150.
    assert m.loc["FLAT", "net_dist_m_s224"] == pytest.approx(40.0)
    snap_x = m.loc["FLAT", "net_dist_m_county_seat"] - 40 - 4500 - 500
    assert 100 - 1e-6 <= snap_x <= 200 + 1e-6
    assert m.loc["FLAT", "net_dist_m_gate"] == pytest.approx(40 + abs(snap_x - 150), abs=1e-6)
    # Exclusion facts.
    assert m.loc["RIVER", "river_share"] == pytest.approx(0.6)
    assert m.loc["RIVER", "river_name"] == "回龙河"
    assert m.loc["FLAT", "river_share"] == 0.0
    assert m.loc["OUTSIDE", "outside_park_share"] == pytest.approx(0.5)
    assert m.loc["FLAT", "outside_park_share"] == 0.0


def test_scores_flat_near_substation_beats_steep(scored):
    s = scored
    assert list(s.index) == list(PARCEL_BOXES)  # input order, every parcel
    assert s.loc["FLAT", "score"] > s.loc["MID", "score"] > 0
    assert s.loc["FLAT", "value_slope"] == 1.0 and s.loc["FLAT", "value_power"] == 1.0
    assert s.loc["FLAT", "value_road"] == 1.0 and s.loc["FLAT", "value_earthwork"] == 1.0
    # MID: 6.84° on the piecewise slope function (5°, 0.8)–(8.53°, 0.35).
    deg = math.degrees(math.atan(0.12))
    assert s.loc["MID", "value_slope"] == pytest.approx(0.8 - (deg - 5) / 3.53 * 0.45, abs=1e-4)
    contrib = s.filter(like="contrib_").sum(axis=1)
    np.testing.assert_allclose(s["score"], contrib.round(2), atol=0.006)
    assert not s.loc[["FLAT", "MID"], "excluded"].any()
    assert s.loc["FLAT", "rank"] == 1 and s.loc["MID", "rank"] == 2
    assert s.loc["FLAT", "class"] in {"优", "良"}


def test_river_and_steep_and_outside_parcels_are_excluded_with_reasons(scored):
    s = scored
    assert s.loc["RIVER", "excluded"] and "回龙河" in s.loc["RIVER", "reasons"]
    assert "60%" in s.loc["RIVER", "reasons"] and "Huilong" not in s.loc["RIVER", "reasons"]
    assert "回龙河" in s.loc["RIVER", "reasons_en"]
    assert s.loc["STEEP", "excluded"] and "15%" in s.loc["STEEP", "reasons"]
    assert s.loc["OUTSIDE", "excluded"]
    assert "园区规划范围外" in s.loc["OUTSIDE", "reasons"] and "坡度" in s.loc["OUTSIDE", "reasons"]
    assert (s.loc[s["excluded"], "class"] == "排除").all()
    assert s.loc[s["excluded"], "rank"].isna().all()
    assert (s.loc[s["excluded"], "reasons"] != "").all()
    assert (s.loc[~s["excluded"], "reasons"] == "").all()


def test_summary_counts_classes_and_reasons(ctx, prepared):
    run = score_zone_parcels(ctx, prepared, notes=["a note"])
    sm = run.summary
    assert sm.n_parcels == 5 and sm.n_excluded == 3
    assert sum(sm.by_class.values()) == 5
    assert sm.excluded_by_reason == {"steep": 2, "river": 1, "outside": 1}
    assert set(sm.steps) >= {"terrain", "access", "network", "exclusion", "scoring"}
    assert sm.seconds > 0 and sm.notes[0] == "a note"
    d = sm.to_dict()
    assert d["by_class"]["排除"] == 3 and d["excluded_by_reason"]["river"] == 1


def test_batches_give_the_same_result_as_one_batch(ctx, prepared):
    parcels = prepared
    one = score_zone_parcels(ctx, parcels, batch_size=100).parcels
    many = score_zone_parcels(ctx, parcels, batch_size=1).parcels
    pd.testing.assert_frame_equal(
        pd.DataFrame(one.drop(columns="geometry")), pd.DataFrame(many.drop(columns="geometry"))
    )


def test_progress_reports_every_batch_and_step(ctx, prepared):
    parcels = prepared
    seen = []
    score_zone_parcels(
        ctx,
        parcels,
        batch_size=2,
        sensitivity=True,
        n_draws=20,
        progress=lambda step, done, total: seen.append((step, done, total)),
    )
    assert len(seen) == 3 * 4 + 2 and all(t == 14 for _, _, t in seen)
    assert [d for _, d, _ in seen] == list(range(1, 15))
    assert en(seen[0][0]) == "batch 1/3 (2 parcels): terrain" and en(seen[-1][0]) == "sensitivity"
    assert render(seen[0][0], "zh") == "第 1/3 批（2 个地块）：地形（坡度、土方）"


@pytest.mark.parametrize("workers, batch_size, parts", [(2, 100, 2), (2, 2, 3), (3, 100, 3), (8, 100, 5)])
def test_worker_processes_give_the_same_result_as_one_process(ctx, prepared, workers, batch_size, parts):
    if not can_fork():
        pytest.skip("no fork on this platform")
    one = score_zone_parcels(ctx, prepared)
    seen = []
    run = score_zone_parcels(
        ctx,
        prepared,
        workers=workers,
        batch_size=batch_size,
        progress=lambda step, done, total: seen.append((step, done, total)),
    )
    pd.testing.assert_frame_equal(
        pd.DataFrame(run.parcels.drop(columns="geometry")), pd.DataFrame(one.parcels.drop(columns="geometry"))
    )
    assert run.summary.notes == one.summary.notes
    # One progress step per part (its four measuring steps at once), then the scoring.
    assert [d for _, d, _ in seen] == [4 * k for k in range(1, parts + 1)] + [4 * parts + 1]
    assert en(seen[0][0]).startswith(f"part 1/{parts} measured") and en(seen[-1][0]) == "scoring"
    assert (
        run.summary.workers == min(workers, parts) and run.summary.to_dict()["workers"] == run.summary.workers
    )
    assert run.summary.steps["measure"] > 0 and set(run.summary.steps) >= {"terrain", "access", "network"}


def test_score_file_passes_workers_on(zone_dir):
    if not can_fork():
        pytest.skip("no fork on this platform")
    zone_file = zone_dir / "zone.yaml"
    one = score_file(zone_dir / "layers.gpkg", zone_file)
    two = score_file(zone_dir / "layers.gpkg", zone_file, workers=2)
    assert one.summary.workers == 1 and two.summary.workers == 2
    pd.testing.assert_frame_equal(
        pd.DataFrame(two.parcels.drop(columns="geometry")), pd.DataFrame(one.parcels.drop(columns="geometry"))
    )


def test_one_worker_or_one_parcel_measures_in_this_process(ctx, prepared):
    run = score_zone_parcels(ctx, prepared.iloc[:1], workers=4)
    assert run.summary.workers == 1 and "measure" not in run.summary.steps
    assert run.parcels["parcel_id"].tolist() == ["FLAT"]


def test_context_tiles_the_exclusion_zones_once(ctx, prepared):
    zones = ctx.exclusion
    assert zones is not None and list(zones.river_names) == ["回龙河"] and zones.park_zone is not None
    m = measure_batch(ctx, prepared)
    assert ctx.exclusion is zones
    assert m.set_axis(prepared["parcel_id"]).loc["RIVER", "river_share"] == pytest.approx(0.6)


def test_sensitivity_columns(ctx, prepared):
    parcels = prepared
    s = score_zone_parcels(ctx, parcels, sensitivity=True, n_draws=50, seed=1).parcels.set_index("parcel_id")
    for col in (
        "oat_min_rank",
        "oat_max_rank",
        "oat_max_rank_shift",
        "mc_mean_rank",
        "mc_rank_p95",
        "mc_share_same_class",
        "mc_share_top_k",
    ):
        assert col in s.columns
    # Two parcels are ranked; FLAT is far ahead of MID, so no weighting swaps them.
    assert s.loc["FLAT", "oat_max_rank"] == 1 and s.loc["MID", "mc_mean_rank"] == 2
    assert s.loc[s["excluded"], "mc_mean_rank"].isna().all()


def test_measure_parcels_without_a_context(zone_dir):
    zone = load_zone(zone_dir / "zone.yaml")
    layers = {k: v for k, v in zone_layers().items() if k in ("substations", "parks")}
    m = measure_parcels(
        parcels_frame(["FLAT", "OUTSIDE"]).set_index("parcel_id"), zone, layers, [zone_dir / "dem.tif"]
    )
    assert list(m.index) == ["FLAT", "OUTSIDE"]
    assert m.loc["FLAT", "power_dist_m"] == pytest.approx(50.0)
    assert m.loc["OUTSIDE", "outside_park_share"] == pytest.approx(0.5)
    assert m.loc["OUTSIDE", "slope_mean_pct"] == pytest.approx(30.0, abs=1e-3)
    # Without roads, rivers, water and places their measures are NaN, and the notes say why.
    assert m[["road_dist_m", "net_dist_m_gate", "river_share", "water_dist_m"]].isna().all().all()
    assert "no 'roads' layer: the measures that need it are NaN" in [en(n) for n in m.attrs["notes"]]


def test_context_pickles_for_workers(ctx, prepared):
    parcels = prepared.iloc[:2]
    again = pickle.loads(pickle.dumps(ctx))
    pd.testing.assert_frame_equal(measure_batch(again, parcels), measure_batch(ctx, parcels))


# --------------------------------------------------------------------------- inputs and notes


def test_parcels_are_reprojected_and_ids_numbered(ctx, tmp_path):
    wgs = parcels_frame(["FLAT", "MID"]).drop(columns="parcel_id").to_crs("EPSG:4326")
    path = tmp_path / "p.geojson"
    wgs.to_file(path, driver="GeoJSON")
    parcels, notes = read_parcels(path, ctx.zone)
    assert parcels.crs.to_epsg() == 4546 and list(parcels["parcel_id"]) == [1, 2]
    assert any("reprojected from EPSG:4326 to EPSG:4546" in en(n) for n in notes)
    assert any("numbered by row (1 … 2)" in en(n) for n in notes)
    assert not any("--id-field" in en(n) or "--id-field" in render(n, "zh") for n in notes)
    m = measure_batch(ctx, parcels)
    assert m["power_dist_m"].iloc[0] == pytest.approx(50.0, abs=0.01)


def test_id_field_and_repairs_are_reported(ctx, tmp_path):
    bowtie = [(X0 + 100, Y0 + 100), (X0 + 200, Y0 + 200), (X0 + 200, Y0 + 100), (X0 + 100, Y0 + 200)]
    from shapely.geometry import Polygon

    gdf = frame(
        [{"lot": "L-1", "geometry": Polygon(bowtie)}, {"lot": "L-2", "geometry": rect(*PARCEL_BOXES["MID"])}]
    )
    path = write_gpkg(tmp_path / "lots.gpkg", {"lots": gdf})
    parcels, notes = read_parcels(path, ctx.zone, id_field="lot")
    assert list(parcels["parcel_id"]) == ["L-1", "L-2"]
    repaired = [en(n) for n in notes if "repaired" in en(n)]
    assert len(repaired) == 1 and "feature 1 (lot=L-1)" in repaired[0] and "Self-intersection" in repaired[0]
    run = score_zone_parcels(ctx, parcels, notes=notes)
    assert run.parcels["area_m2"].iloc[0] == pytest.approx(5000.0)  # two triangles of the bow-tie
    assert any("repaired" in en(n) for n in run.summary.notes)


@pytest.mark.parametrize(
    "case, error, match",
    [
        ("no_crs", MissingCRSError, "no CRS"),
        ("missing_file", InputFileError, "file not found"),
        ("missing_id_field", SchemaError, "lacks required field.*lot"),
        ("duplicate_ids", SchemaError, "must be unique"),
    ],
)
def test_bad_parcel_inputs(ctx, tmp_path, case, error, match):
    path = tmp_path / "p.gpkg"
    id_field = None
    if case == "no_crs":
        write_gpkg(path, {"parcels": parcels_frame(crs=None)})
    elif case == "missing_id_field":
        write_gpkg(path, {"parcels": parcels_frame()})
        id_field = "lot"
    elif case == "duplicate_ids":
        p = parcels_frame(["FLAT", "MID"])
        p["parcel_id"] = ["A", "A"]
        write_gpkg(path, {"parcels": p})
    with pytest.raises(error, match=match):
        read_parcels(path, ctx.zone, id_field=id_field)


def test_parcels_off_the_dems_are_refused(ctx):
    far = frame([{"parcel_id": "FAR", "geometry": box(X0 + 20_000, Y0, X0 + 20_100, Y0 + 100)}])
    parcels, _ = prepare_parcels(far, ctx.zone)
    with pytest.raises(NoOverlapError, match="none of the 1 parcels overlaps the zone's DEMs"):
        score_zone_parcels(ctx, parcels)


def test_parcels_partly_off_the_dem_get_nan_terrain_and_a_note(ctx):
    p = parcels_frame(["FLAT"])
    p.loc[1] = ["OFF", "vacant", box(X0 + 5000, Y0, X0 + 5100, Y0 + 100)]
    parcels, _ = prepare_parcels(p, ctx.zone)
    run = score_zone_parcels(ctx, parcels)
    off = run.parcels.set_index("parcel_id").loc["OFF"]
    assert math.isnan(off["slope_mean_deg"]) and "no data for slope" in off["notes"]
    assert any("1 parcel(s) lie outside every DEM" in en(n) and "OFF" in en(n) for n in run.summary.notes)


def test_parcels_in_another_crs_are_refused_by_measure_batch(ctx):
    with pytest.raises(CRSError, match="EPSG:4326"):
        measure_batch(ctx, parcels_frame(["FLAT"]).to_crs("EPSG:4326"))


def test_missing_layers_are_noted_and_give_nan(tmp_path):
    layers = zone_layers()
    del layers["rivers"], layers["places"]
    zone_file = make_zone(tmp_path / "z", layers=layers)
    ctx = load_zone_context(zone_file)
    assert any("has no layer rivers" in en(n) for n in ctx.notes)
    parcels, _ = prepare_parcels(parcels_frame(["FLAT", "RIVER"]), ctx.zone)
    run = score_zone_parcels(ctx, parcels)
    s = run.parcels.set_index("parcel_id")
    assert s["river_share"].isna().all() and s["net_dist_m_gate"].isna().all()
    assert not s.loc["RIVER", "excluded"]  # nothing shows it violates the river constraint
    assert "no data for constraint river" in s.loc["RIVER", "notes"]
    assert "no data for gate" in s.loc["FLAT", "notes"]


def test_a_layer_missing_a_required_field_is_refused(tmp_path):
    layers = zone_layers()
    layers["rivers"] = layers["rivers"].drop(columns="control_distance_m")
    zone_file = make_zone(tmp_path / "z", layers=layers)
    with pytest.raises(SchemaError, match="layer rivers.*control_distance_m"):
        load_zone_context(zone_file)


def test_no_dem_is_refused(tmp_path):
    zone_file = make_zone(tmp_path / "z", dem=False)
    with pytest.raises(InputFileError, match="no DEM"):
        load_zone_context(zone_file)


# --------------------------------------------------------------------------- writing


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson", ".csv"])
def test_written_files_read_back(scored, tmp_path, suffix):
    gdf = scored.reset_index()
    out = write_scored_parcels(
        gpd.GeoDataFrame(gdf, geometry="geometry", crs=ZONE_CRS), tmp_path / f"s{suffix}"
    )
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no temporary file left
    if suffix == ".csv":
        back = pd.read_csv(out, encoding="utf-8-sig")
        assert "geometry" not in back.columns
        flat = back.set_index("parcel_id").loc["FLAT"]
        lon, lat = (
            gpd.GeoSeries([Point(at(150, 150))], crs=ZONE_CRS).to_crs(4326).iloc[0].coords[0]
        )  # FLAT's centre
        assert flat["centroid_lon"] == pytest.approx(lon, abs=1e-6)
        assert flat["centroid_lat"] == pytest.approx(lat, abs=1e-6)
    else:
        back = gpd.read_file(out)
        assert back.crs.to_epsg() == (4546 if suffix == ".gpkg" else 4326)
        flat = back.set_index("parcel_id").loc["FLAT"]
    assert flat["score"] == pytest.approx(scored.loc["FLAT", "score"])
    assert flat["power_dist_m"] == pytest.approx(50.0)
    assert back.set_index("parcel_id").loc["RIVER", "reasons"] == scored.loc["RIVER", "reasons"]
    assert len(back) == len(scored)


def test_geojson_is_rfc7946(scored, tmp_path):
    import json

    out = write_scored_parcels(gpd.GeoDataFrame(scored.reset_index(), crs=ZONE_CRS), tmp_path / "s.geojson")
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert "crs" not in doc  # RFC 7946: WGS 84 longitude/latitude, no crs member
    lon, lat = doc["features"][0]["geometry"]["coordinates"][0][0]
    assert 110 < lon < 113 and 36 < lat < 38


def test_a_failed_write_leaves_the_old_file(scored, tmp_path):
    out = tmp_path / "s.gpkg"
    out.write_bytes(b"old")
    bad = gpd.GeoDataFrame(scored.reset_index(), crs=ZONE_CRS)
    bad["oops"] = 1 + 2j  # GDAL has no complex field type: fails after the file is created
    with pytest.raises(NotImplementedError):
        write_scored_parcels(bad, out)
    assert out.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["s.gpkg"]  # the temporary file is gone


@pytest.mark.parametrize("name", ["s.shp", "s.txt", "s"])
def test_unknown_output_format(scored, tmp_path, name):
    with pytest.raises(InputFileError, match="unknown output format"):
        write_scored_parcels(gpd.GeoDataFrame(scored.reset_index(), crs=ZONE_CRS), tmp_path / name)


# --------------------------------------------------------------------------- the zone's own parcels


def test_load_scored_parcels_scores_the_zone_parcels_and_caches(zone_dir):
    a = load_scored_parcels(zone_dir / "zone.yaml")
    assert list(a["parcel_id"]) == list(PARCEL_BOXES)
    assert {"parcel_id", "status", "area_mu", "score", "excluded", "class", "reasons", "weakest"} <= set(
        a.columns
    )
    assert a.crs.to_epsg() == 4546
    a.loc[0, "score"] = -1  # a copy: the cache is not touched
    b = load_scored_parcels(zone_dir / "zone.yaml")
    assert b.loc[0, "score"] > 0


# --------------------------------------------------------------------------- the bundled sample

SAMPLE = ROOT / "data" / "parcels" / "jiaokou.gpkg"
SAMPLE_DEMS = [ROOT / "data" / "rasters" / f"jiaokou_dem_{p}.tif" for p in ("shuitou", "shuangchi")]


def test_sample_zone_scores_are_plausible():
    assert SAMPLE.is_file() and all(p.is_file() for p in SAMPLE_DEMS)  # committed with the code
    s = load_scored_parcels(ZONE_FILE)
    assert len(s) > 50 and s["parcel_id"].is_unique
    assert s["score"].between(0, 100).all()
    assert (s.loc[s["excluded"], "reasons"].str.len() > 0).all()
    assert (s.loc[~s["excluded"], "reasons"] == "").all()
    sub = gpd.read_file(SAMPLE, layer="substations")
    shuangchi = sub[sub["name"].str.contains("双池")].to_crs(s.crs).geometry.iloc[0]
    near = s.geometry.distance(shuangchi) < 1000
    flat = near & (s["slope_mean_deg"] < 5)
    steep = s["slope_mean_deg"] > 10
    assert flat.sum() >= 3 and steep.sum() >= 3
    assert s.loc[flat, "score"].mean() > s.loc[steep, "score"].mean()
    # Steep parcels are excluded or score below the flat ones near the substation.
    assert (s.loc[steep, "excluded"] | (s.loc[steep, "score"] < s.loc[flat, "score"].median())).mean() > 0.9
    # Parcels mostly inside a river control line are excluded, naming the river.
    river = s["river_share"] > 0.25
    assert s.loc[river, "excluded"].all()
    assert all(name in r for name, r in zip(s.loc[river, "river_name"], s.loc[river, "reasons"]))
    # Near S224 and flat beats far from S224 and flat, on average (among the parcels not excluded:
    # the valley road runs beside the rivers, whose control zones scale the excluded ones down).
    flat_all = (s["slope_mean_deg"] < 5) & ~s["excluded"].astype(bool)
    assert (
        s.loc[flat_all & (s["road_dist_m_provincial"] < 300), "score"].mean()
        > s.loc[flat_all & (s["road_dist_m_provincial"] > 1500), "score"].mean()
    )


def test_a_dem_in_another_crs_is_reprojected_to_the_zone_crs(zone_dir, prepared, tmp_path):
    from gis.raster import read_dem, write_float_geotiff

    utm = read_dem(zone_dir / "dem.tif", dst_crs="EPSG:32649", resolution=10.0)
    path = write_float_geotiff(tmp_path / "dem_utm.tif", utm.values, utm.transform, utm.crs)
    ctx = ZoneContext.build(load_zone(zone_dir / "zone.yaml"), {}, [path])
    assert any("DEM reprojected from EPSG:32649 to EPSG:4546" in en(n) for n in ctx.notes)
    m = measure_batch(ctx, prepared).set_axis(prepared["parcel_id"])
    # Two bilinear resamplings keep a plane a plane: the slopes survive.
    assert m.loc["MID", "slope_mean_pct"] == pytest.approx(12.0, abs=0.05)
    assert m.loc["STEEP", "slope_mean_pct"] == pytest.approx(30.0, abs=0.05)
    assert m["power_dist_m"].isna().all()  # no layers given: access measures are NaN
