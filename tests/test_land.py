"""The land basis of a check (scoring/land.py, gis/land.py): net buildable area, the split of a
parcel for a smaller project, the encroachment and inside-parks rules, the intensities on the
granted area, and the suitability scaled by the buildable share. Every number is hand-computed
on small synthetic shapes in EPSG:4546 (1 亩 = 10000/15 m²)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely import LineString, box

from app.i18n import render
from gis.exclusion import exclusion_zones
from gis.land import buildable_shares, land_parts, split_parcel, steep_geometry
from gis.raster import Grid
from gis.units import MU_M2
from scoring.admission import check_site
from scoring.land import land_basis, land_from_site
from scoring.site import Site
from scoring.suitability import score_parcels
from scoring.zone import ZoneConfig
from tests.admission_fixtures import jiaokou, ledger, make_parcels, parcel, project
from tests.rasters import north_up

CRS = "EPSG:4546"
X, Y = 560_000.0, 4_095_000.0


def frame(rows: list[dict]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS)


def rivers(x: float = 50.0, half: float = 10.0) -> gpd.GeoDataFrame:
    """大麦郊河 running north–south at X + x, control line ``half`` m each side."""
    line = LineString([(X + x, Y - 500), (X + x, Y + 500)])
    return frame([{"name": "大麦郊河", "control_distance_m": half, "geometry": line}])


def parks(east: float = 1000.0) -> gpd.GeoDataFrame:
    """One park from X − 1000 to X + ``east`` (m), Y − 1000 … Y + 1000."""
    return frame([{"name": "双池镇园区", "geometry": box(X - 1000, Y - 1000, X + east, Y + 1000)}])


def slope_grid(steep_from: float) -> Grid:
    """A 10 m slope grid (degrees) over X − 100 … X + 400, Y − 100 … Y + 200: 10° (17.6 %, over
    the 15 % limit) east of X + ``steep_from``, 2° elsewhere."""
    cols, rows = 50, 30
    values = np.full((rows, cols), 2.0, dtype="float32")
    centres = X - 100 + 10 * (np.arange(cols) + 0.5)
    values[:, centres > X + steep_from] = 10.0
    return Grid(values, north_up(X - 100, Y + 200, 10.0), CRS, "slope")


def zone_with(split: dict | None = None, tolerance: float = 1.0) -> ZoneConfig:
    """The Jiaokou rules with the land section replaced."""
    land = jiaokou().land
    assert land is not None
    return jiaokou().model_copy(
        update={
            "land": land.model_copy(
                update={
                    "split": None if split is None else land.split.model_copy(update=split),
                    "outside_tolerance_m2": tolerance,
                }
            )
        }
    )


ROAD_SOUTH = np.array([LineString([(X - 100, Y - 5), (X + 400, Y - 5)])], dtype=object)


# --------------------------------------------------------------------------- net area


def test_a_control_line_crossing_a_parcel_is_deducted_by_hand():
    # parcel 200 × 100 m = 20 000 m² = 30 亩; 大麦郊河 at x = 50 with 10 m each side: a band
    # 20 m wide across the 100 m depth = 2 000 m² = 3 亩; net 18 000 m² = 27 亩
    p = box(X, Y, X + 200, Y + 100)
    parts = land_parts(p, exclusion_zones(rivers(), parks()))
    assert [(e.kind, e.name) for e in parts.parts] == [("river", "大麦郊河")]
    assert parts.parts[0].area_m2 == pytest.approx(2000.0)
    assert parts.net_m2 == pytest.approx(18000.0)
    assert parts.parts[0].geometry.bounds == pytest.approx((X + 40, Y, X + 60, Y + 100))


def test_outside_river_and_steep_parts_are_disjoint_and_add_up():
    # park ends at x = 190: 10 × 100 = 1 000 m² outside; river band 2 000 m²; steep cells east
    # of x = 150 inside the park: 40 × 100 = 4 000 m²; net 20 000 − 7 000 = 13 000 m²
    p = box(X, Y, X + 200, Y + 100)
    parts = land_parts(p, exclusion_zones(rivers(), parks(east=190)), [slope_grid(150)], 15.0)
    areas = {e.kind: e.area_m2 for e in parts.parts}
    assert areas == pytest.approx({"outside_park": 1000.0, "river": 2000.0, "steep": 4000.0})
    assert parts.net_m2 == pytest.approx(13000.0)
    assert parts.net_m2 + sum(areas.values()) == pytest.approx(p.area)


def test_steep_cells_are_cut_to_the_parcel():
    # the grid's steep cells start at x = 150; a parcel from 140 to 180 has 30 m of them
    g = steep_geometry(slope_grid(150), 15.0, box(X + 140, Y, X + 180, Y + 50))
    assert g.area == pytest.approx(30 * 50)
    assert steep_geometry(slope_grid(150), 15.0, box(X, Y, X + 100, Y + 50)).is_empty


def test_buildable_shares_of_a_batch():
    # A: the river parcel above (27/30 = 0.9); B: no river or edge, 25 % steep by exactextract
    geoms = np.array([box(X, Y, X + 200, Y + 100), box(X + 300, Y, X + 340, Y + 40)], dtype=object)
    shares = buildable_shares(
        geoms,
        exclusion_zones(rivers(), parks()),
        [],
        15.0,
        river_share=np.array([0.1, 0.0]),
        outside_share=np.array([0.0, 0.0]),
        steep_share=np.array([0.0, 0.25]),
    )
    assert shares == pytest.approx([0.9, 0.75])


# --------------------------------------------------------------------------- the split


def test_split_allowed_grants_the_declared_demand():
    # 300 × 100 m = 45 亩 with the road 5 m south; 20 亩 = 13 333.3 m² declared: a 133.33 m
    # wide strip from the road to the back; 25 亩 remain (≥ 10), 5 m from the road
    p = box(X, Y, X + 300, Y + 100)
    land = land_basis(zone_with({}), land_parts(p, None), 20.0, ROAD_SOUTH)
    assert (land.parcel_mu, land.net_mu, land.granted_mu) == pytest.approx((45.0, 45.0, 20.0))
    assert land.basis == "split"
    s = land.split
    assert s is not None
    assert s.granted_net_m2 == pytest.approx(20 * MU_M2, abs=0.05)
    assert s.remainder.area / MU_M2 == pytest.approx(25.0, abs=1e-3)
    assert s.granted_road_m == pytest.approx(5.0) and s.remainder_road_m == pytest.approx(5.0)
    xmin, ymin, xmax, ymax = s.granted.bounds
    assert (ymin, ymax) == pytest.approx((Y, Y + 100))  # both pieces run from the road to the back
    assert xmax - xmin == pytest.approx(20 * MU_M2 / 100, abs=1e-3)
    assert "剩余 25 亩" in render(land.reason, "zh")
    d = land.to_dict()
    assert d["split"]["granted_mu"] == pytest.approx(20.0, abs=1e-3)
    assert d["split"]["remainder_net_mu"] == pytest.approx(25.0, abs=1e-3)


def test_split_not_allowed_when_the_remainder_is_small():
    # 40 亩 of 45 would leave 5 亩 < 10: the whole parcel is granted
    p = box(X, Y, X + 300, Y + 100)
    land = land_basis(zone_with({}), land_parts(p, None), 40.0, ROAD_SOUTH)
    assert (land.basis, land.granted_mu, land.split) == ("net", pytest.approx(45.0), None)
    assert render(land.reason, "zh") == (
        "申报用地 40 亩，分割后剩余 5 亩，小于最小剩余 10 亩，不宜分割，按整块可建设净用地 45 亩计"
    )


def test_split_not_allowed_without_road_access():
    # the only road is 100 m south, beyond the 30 m of the zone file
    p = box(X, Y, X + 300, Y + 100)
    far = np.array([LineString([(X - 100, Y - 100), (X + 400, Y - 100)])], dtype=object)
    land = land_basis(zone_with({}), land_parts(p, None), 20.0, far)
    assert (land.basis, land.granted_mu) == ("net", pytest.approx(45.0))
    assert "道路 30 米内" in render(land.reason, "zh")
    assert split_parcel(p, p, 20 * MU_M2, far, access_m=30) is None


def test_split_not_allowed_when_the_zone_sets_no_rule():
    land = land_basis(zone_with(None), land_parts(box(X, Y, X + 300, Y + 100), None), 20.0, ROAD_SOUTH)
    assert (land.basis, land.granted_mu) == ("net", pytest.approx(45.0))


def test_the_split_counts_net_land_only():
    # 300 × 100 m with 大麦郊河 at x = 50 (2 000 m² = 3 亩 deducted): net 42 亩; 20 亩 granted
    # hold 20 亩 of net land, 22 亩 of net land remain
    p = box(X, Y, X + 300, Y + 100)
    land = land_basis(zone_with({}), land_parts(p, exclusion_zones(rivers(), parks())), 20.0, ROAD_SOUTH)
    assert land.net_mu == pytest.approx(42.0) and land.basis == "split"
    assert land.split.granted_net_m2 / MU_M2 == pytest.approx(20.0, abs=1e-3)
    assert land.split.remainder_net_m2 / MU_M2 == pytest.approx(22.0, abs=1e-3)


# --------------------------------------------------------------------------- the rules


def site_rows(mu: float) -> pd.DataFrame:
    return pd.DataFrame(make_parcels(parcel("P", mu=mu, score=80)).drop(columns="geometry"))


def test_intensities_on_the_granted_area_with_the_declared_value_beside():
    # 9000 万元 on 45 亩 with 40 declared (not split): 9000 ÷ 45 = 200 万元/亩 fails 250;
    # on the declared 40 亩 it would be 225
    p = box(X, Y, X + 300, Y + 100)
    pj = project(investment_wan=9000, output_wan=90000, land_mu=40)
    land = land_basis(zone_with({}), land_parts(p, None), 40.0, ROAD_SOUTH)
    r = check_site(jiaokou(), site_rows(45.0), pj, ledger(), land=land)
    inv = r.rule("investment_intensity")
    assert (inv.status, inv.value) == ("fail", pytest.approx(200.0))
    assert render(inv.message, "zh") == (
        "投资强度 = 9000 万元 ÷ 45 亩（整块可建设净用地）= 200 万元/亩 < 250 万元/亩；"
        "45 亩需至少 11250 万元；按申报用地 40 亩计为 225 万元/亩"
    )
    # split (20 亩 declared): 9000 ÷ 20 = 450 on the declared land, which is what is granted
    land = land_basis(zone_with({}), land_parts(p, None), 20.0, ROAD_SOUTH)
    r = check_site(jiaokou(), site_rows(45.0), project(investment_wan=9000, land_mu=20), ledger(), land=land)
    inv = r.rule("investment_intensity")
    assert (inv.status, inv.value) == ("pass", pytest.approx(450.0))
    assert render(inv.message, "zh") == "投资强度 = 9000 万元 ÷ 20 亩（申报用地）= 450 万元/亩 ≥ 250 万元/亩"
    assert r.to_dict()["land"]["basis"] == "split"


def test_an_encroachment_is_a_warning_with_the_river_and_its_area():
    p = box(X, Y, X + 200, Y + 100)
    land = land_basis(zone_with({}), land_parts(p, exclusion_zones(rivers(), parks())), 27.0, ROAD_SOUTH)
    r = check_site(jiaokou(), site_rows(30.0), project(land_mu=27), ledger(), land=land)
    e = r.rule("encroachment")
    assert (e.status, e.level, e.value) == ("pass", "warning", pytest.approx(3.0))
    assert render(e.message, "zh") == (
        "注意：大麦郊河河道治导线内 3 亩（2000 m²，10%）；共扣除 3 亩，可建设净用地 27 亩（毛面积 30 亩）"
    )
    assert "Da" not in render(e.message, "en") and "river control line" in render(e.message, "en")
    assert r.rule("land_demand").value == pytest.approx(27.0)  # the net area covers 27 亩
    assert r.to_dict()["rules"][[x.rule for x in r.rules].index("encroachment")]["level"] == "warning"
    clean = land_basis(zone_with({}), land_parts(box(X + 100, Y, X + 200, Y + 100), None), 15.0, ROAD_SOUTH)
    e = check_site(jiaokou(), site_rows(15.0), project(land_mu=15), ledger(), land=clean).rule("encroachment")
    assert (e.status, e.level) == ("pass", None)


@pytest.mark.parametrize(
    ("east", "status"),
    [
        (200 - 0.009, "pass"),  # 0.009 × 100 = 0.9 m² outside ≤ 1 m²
        (200 - 0.011, "fail"),  # 1.1 m² outside > 1 m²
    ],
)
def test_outside_the_parks_beyond_the_survey_tolerance_fails(east, status):
    p = box(X, Y, X + 200, Y + 100)
    land = land_basis(zone_with({}), land_parts(p, exclusion_zones(None, parks(east=east))), 30.0, ROAD_SOUTH)
    r = check_site(jiaokou(), site_rows(30.0), project(land_mu=20), ledger(), land=land)
    ip = r.rule("inside_parks")
    assert ip.status == status and ip.threshold == 1.0
    assert ip.value == pytest.approx((200 - east) * 100, rel=1e-4)
    if status == "fail":
        assert r.verdict == "fail"
        assert render(ip.message, "zh") == (
            "地块有 1.1 m²（0.0017 亩）位于园区规划范围外，超过测量容差 1 m²；功能区外严禁布局"
        )


def test_land_from_the_score_runs_measures():
    # 60 亩, 15 % inside 大麦郊河 and nothing else (buildable 0.85): net 51 亩, no split
    rows = [parcel("P", mu=60) | {"buildable_share": 0.85, "river_share": 0.15, "river_name": "大麦郊河"}]
    site = Site.from_records(rows)
    land = land_from_site(jiaokou(), site, 30.0)
    assert (land.parcel_mu, land.net_mu, land.granted_mu, land.basis) == (
        60.0,
        pytest.approx(51.0),
        pytest.approx(51.0),
        "net",
    )
    assert [(d.kind, d.name, round(d.area_mu, 6)) for d in land.deductions] == [("river", "大麦郊河", 9.0)]
    assert land.computed_from == "measures"


# --------------------------------------------------------------------------- suitability


def test_the_score_is_scaled_by_the_buildable_share():
    cfg = jiaokou().scoring
    base = {
        "slope_mean_deg": 1.0,
        "earthwork_lim_m3_per_mu": 0.0,
        "power_dist_m": 500.0,
        "power_voltage_kv": 110.0,
        "water_dist_m": 0.0,
        "wastewater_dist_m": 500.0,
        "road_dist_m": 10.0,
        "net_dist_m_gate": 300.0,
        "slope_over_limit_share": 0.0,
        "river_share": 0.0,
        "river_name": None,
        "outside_park_share": 0.0,
    }
    m = pd.DataFrame(
        [base | {"buildable_share": 1.0}, base | {"river_share": 0.15, "buildable_share": 0.85}],
        index=pd.Index(["WHOLE", "RIVER"], name="parcel_id"),
    )
    r = score_parcels(m, cfg)
    whole = r.loc["WHOLE", "score"]
    # every criterion at its best value 1 except the water logistic (1 / (1 + e^-4) = 0.98201…)
    assert 98 < whole < 100
    assert r.loc["RIVER", "score"] == pytest.approx(round(whole * 0.85, 2), abs=0.011)
    assert r.loc["RIVER", "land_factor"] == 0.85
    assert r.loc["RIVER", "land_deduction"] == pytest.approx(whole * 0.15, abs=0.01)
    contrib = r.loc["RIVER", [c for c in r.columns if c.startswith("contrib_")]].sum()
    assert contrib == pytest.approx(r.loc["RIVER", "score"], abs=0.006)
    assert r.loc["RIVER", "rank"] == 2 and r.loc["WHOLE", "rank"] == 1


# --------------------------------------------------------------------------- check --json


def test_cli_check_json_states_the_land_basis_on_the_sample_zone(tmp_path):
    """SC-0183 of the sample zone: part of it lies in 大麦郊河's control line. The land block of
    ``check --json`` deducts it (the same share the score run measured on the tiled zones) and,
    with 30 亩 declared, proposes a split."""
    import json

    from typer.testing import CliRunner

    from app.cli import cli
    from app.scoring_io.cache import load_scored_parcels
    from tests.admission_fixtures import ZONE_FILE

    pj = tmp_path / "p.yaml"
    pj.write_text(
        "name: 铝基测试\nindustry: 铝镁新材料\nbranch: 铝基新材料\ninvestment_wan: 9000\n"
        "output_wan: 9000\nland_mu: 30\n",
        encoding="utf-8",
    )
    res = CliRunner().invoke(
        cli, ["check", "--zone", str(ZONE_FILE), "--parcel", "SC-0183", "--project", str(pj), "--json"]
    )
    assert res.exit_code == 0, res.output
    d = json.loads(res.output)
    land = d["land"]
    assert set(land) >= {"parcel_mu", "net_mu", "granted_mu", "declared_mu", "basis", "split"}
    row = load_scored_parcels(ZONE_FILE).set_index("parcel_id").loc["SC-0183"]
    assert land["parcel_mu"] == pytest.approx(row["area_mu"], abs=1e-4)
    [river] = land["deductions"]
    assert (river["kind"], river["name"]) == ("river", "大麦郊河")
    assert river["area_mu"] == pytest.approx(row["river_share"] * row["area_mu"], rel=1e-3)
    assert land["net_mu"] == pytest.approx(land["parcel_mu"] - river["area_mu"], abs=1e-3)
    assert land["net_mu"] / land["parcel_mu"] == pytest.approx(row["buildable_share"], abs=1e-3)
    assert (land["declared_mu"], land["granted_mu"], land["basis"]) == (30.0, 30.0, "split")
    assert land["split"]["remainder_net_mu"] == pytest.approx(land["net_mu"] - 30, abs=1e-3)
    assert land["split"]["remainder_net_mu"] >= land["split"]["min_remainder_mu"] == 10
    rules = {r["rule"]: r for r in d["rules"]}
    assert rules["investment_intensity"]["value"] == pytest.approx(300.0)  # 9000 ÷ 30
    assert rules["investment_intensity"]["message"].startswith(
        "投资强度 = 9000 万元 ÷ 30 亩（申报用地）= 300 万元/亩"
    )
    assert rules["encroachment"]["level"] == "warning" and "大麦郊河" in rules["encroachment"]["message"]
    # the score is the suitability scaled by the buildable share, not 优 without a word
    assert rules["suitability"]["value"] == pytest.approx(row["score"])
    assert row["land_factor"] == pytest.approx(row["buildable_share"]) and row["land_deduction"] > 10
