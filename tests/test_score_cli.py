"""``parksite score`` (app/commands/score.py) on the synthetic zone of tests/test_pipeline.py:
outputs in each format, the summary, and bad inputs with their exit codes and messages —
after which OUT does not exist (or is unchanged)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import typer
from shapely.geometry import Polygon, box
from typer.testing import CliRunner

from app.commands.score import register
from tests.test_pipeline import X0, Y0, make_zone, parcels_frame, write_gpkg, zone_layers


@pytest.fixture(scope="module")
def cli() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.callback()
    def _root() -> None:  # keeps "score" a sub-command name
        pass

    return app


@pytest.fixture(scope="module")
def zone(tmp_path_factory) -> Path:
    """The synthetic zone's file (its GeoPackage also holds the five parcels)."""
    return make_zone(tmp_path_factory.mktemp("zone"))


def run(cli: typer.Typer, *args: object, lang: str = "en"):
    """Run ``parksite score`` with ``--lang`` (English by default: the assertions are in English)."""
    return CliRunner().invoke(cli, ["score", *map(str, args), "--lang", lang], env={"COLUMNS": "200"})


def test_scores_the_zone_parcels_to_a_geopackage(cli, zone, tmp_path):
    out = tmp_path / "scored.gpkg"
    res = run(cli, zone.parent / "layers.gpkg", "--zone", zone, "--out", out)
    assert res.exit_code == 0, res.output
    s = gpd.read_file(out).set_index("parcel_id")
    assert s.crs.to_epsg() == 4546
    assert list(s.index) == ["FLAT", "MID", "STEEP", "RIVER", "OUTSIDE"]
    for col in (
        "score",
        "class",
        "excluded",
        "reasons",
        "slope_mean_deg",
        "power_dist_m",
        "road_dist_m",
        "net_dist_m_gate",
        "earthwork_lim_m3_per_mu",
        "river_share",
        "value_slope",
        "contrib_power",
    ):
        assert col in s.columns, col
    assert s["score"].between(0, 100).all()
    assert s.loc["FLAT", "score"] > s.loc["MID", "score"]
    assert s.loc["FLAT", "power_dist_m"] == pytest.approx(50.0)
    assert s.loc["RIVER", "excluded"] and "回龙河" in s.loc["RIVER", "reasons"]
    # The summary: counts per class, exclusions by constraint, time taken.
    assert re.search(r"excluded\s*│\s*3", res.stdout)
    assert "excluded by constraint: steep 2, river 1, outside 1" in res.stdout
    assert "time taken" in res.stdout and "parcels/s" in res.stdout
    assert "[layer parcels]" in res.stdout  # the parcels layer of a multi-layer GeoPackage
    # in Chinese (the default of the parksite command) the same summary, one language only
    zh = run(cli, zone.parent / "layers.gpkg", "--zone", zone, "--out", tmp_path / "zh.gpkg", lang="zh")
    assert zh.exit_code == 0, zh.output
    assert re.search(r"排除\s*│\s*3", zh.stdout) and "排除原因：steep 2, river 1, outside 1" in zh.stdout
    assert "用时" in zh.stdout and "time taken" not in zh.stdout and "excluded" not in zh.stdout


def test_geojson_in_wgs84_without_ids(cli, zone, tmp_path):
    src = tmp_path / "in.geojson"
    parcels_frame(["FLAT", "RIVER"]).drop(columns="parcel_id").to_crs("EPSG:4326").to_file(
        src, driver="GeoJSON"
    )
    out = tmp_path / "out.geojson"
    res = run(cli, src, "--zone", zone, "--out", out)
    assert res.exit_code == 0, res.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert "crs" not in doc and len(doc["features"]) == 2
    props = [f["properties"] for f in doc["features"]]
    assert [p["parcel_id"] for p in props] == [1, 2]
    assert props[0]["power_dist_m"] == pytest.approx(50.0, abs=0.01)
    assert props[1]["excluded"] is True and "回龙河" in props[1]["reasons"]
    assert "reprojected from EPSG:4326 to EPSG:4546" in res.stdout
    assert "numbered by row (1 … 2)" in res.stdout


def test_csv_with_sensitivity_and_an_id_field(cli, zone, tmp_path):
    src = tmp_path / "lots.gpkg"
    lots = parcels_frame(["FLAT", "MID", "STEEP"]).rename(columns={"parcel_id": "lot"})
    write_gpkg(src, {"lots": lots})
    out = tmp_path / "out.csv"
    res = run(cli, src, "--zone", zone, "--id-field", "lot", "--out", out, "--sensitivity", "--draws", "30")
    assert res.exit_code == 0, res.output
    t = pd.read_csv(out, encoding="utf-8-sig").set_index("parcel_id")
    assert list(t.index) == ["FLAT", "MID", "STEEP"]
    assert "geometry" not in t.columns and {"centroid_lon", "centroid_lat"} <= set(t.columns)
    assert t["centroid_lon"].between(110, 113).all() and t["centroid_lat"].between(36, 38).all()
    for col in ("oat_max_rank_shift", "mc_mean_rank", "mc_rank_p05", "mc_share_same_class"):
        assert col in t.columns
    assert t.loc["FLAT", "mc_mean_rank"] == 1 and pd.isna(t.loc["STEEP", "mc_mean_rank"])


def test_zipped_shapefile_input(cli, zone, tmp_path):
    import zipfile

    shp_dir = tmp_path / "shp"
    shp_dir.mkdir()
    parcels_frame(["FLAT", "STEEP"]).to_file(shp_dir / "parcels.shp")
    src = tmp_path / "parcels.zip"
    with zipfile.ZipFile(src, "w") as zf:
        for f in shp_dir.iterdir():
            zf.write(f, f.name)
    out = tmp_path / "out.gpkg"
    res = run(cli, src, "--zone", zone, "--out", out)
    assert res.exit_code == 0, res.output
    s = gpd.read_file(out).set_index("parcel_id")
    assert list(s.index) == ["FLAT", "STEEP"] and s.loc["STEEP", "excluded"]
    assert "zipped Shapefile" in res.stdout


def test_layers_and_dems_given_on_the_command_line(cli, zone, tmp_path):
    # A zone file whose own data paths do not exist: --layers and --dem replace them.
    data = (
        zone.read_text(encoding="utf-8")
        .replace("layers.gpkg", "nowhere.gpkg")
        .replace("dem.tif", "nowhere.tif")
    )
    other = tmp_path / "zone.yaml"
    other.write_text(data, encoding="utf-8")
    out = tmp_path / "out.gpkg"
    res = run(
        cli,
        zone.parent / "layers.gpkg",
        "--zone",
        other,
        "--layers",
        zone.parent / "layers.gpkg",
        "--dem",
        zone.parent / "dem.tif",
        "--out",
        out,
    )
    assert res.exit_code == 0, res.output
    assert len(gpd.read_file(out)) == 5


def test_repairs_are_reported(cli, zone, tmp_path):
    bowtie = Polygon([(X0 + 100, Y0 + 100), (X0 + 200, Y0 + 200), (X0 + 200, Y0 + 100), (X0 + 100, Y0 + 200)])
    src = write_gpkg(
        tmp_path / "p.gpkg",
        {"p": gpd.GeoDataFrame({"parcel_id": ["BOW"]}, geometry=[bowtie], crs="EPSG:4546")},
    )
    out = tmp_path / "out.gpkg"
    res = run(cli, src, "--zone", zone, "--out", out)
    assert res.exit_code == 0, res.output
    assert "repaired feature 1 (parcel_id=BOW): Self-intersection" in res.stdout
    assert gpd.read_file(out)["area_m2"].iloc[0] == pytest.approx(5000.0)


# --------------------------------------------------------------------------- bad inputs


def _no_crs(tmp_path: Path, zone: Path) -> list:
    return [write_gpkg(tmp_path / "p.gpkg", {"p": parcels_frame(crs=None)}), "--zone", zone]


def _far(tmp_path: Path, zone: Path) -> list:
    far = gpd.GeoDataFrame(
        {"parcel_id": ["FAR"]}, geometry=[box(X0 + 20_000, Y0, X0 + 20_100, Y0 + 100)], crs="EPSG:4546"
    )
    return [write_gpkg(tmp_path / "p.gpkg", {"p": far}), "--zone", zone]


def _missing_parcels(tmp_path: Path, zone: Path) -> list:
    return [tmp_path / "nope.gpkg", "--zone", zone]


def _missing_id_field(tmp_path: Path, zone: Path) -> list:
    return [zone.parent / "layers.gpkg", "--zone", zone, "--id-field", "lot"]


def _repeated_ids(tmp_path: Path, zone: Path) -> list:
    p = parcels_frame(["FLAT", "MID"])
    p["parcel_id"] = "A"
    return [write_gpkg(tmp_path / "p.gpkg", {"p": p}), "--zone", zone]


def _rivers_without_control_line(tmp_path: Path, zone: Path) -> list:
    layers = zone_layers()
    layers["rivers"] = layers["rivers"].drop(columns="control_distance_m")
    return [zone.parent / "layers.gpkg", "--zone", zone, "--layers", write_gpkg(tmp_path / "l.gpkg", layers)]


def _missing_dem(tmp_path: Path, zone: Path) -> list:
    return [zone.parent / "layers.gpkg", "--zone", zone, "--dem", tmp_path / "nope.tif"]


def _missing_zone(tmp_path: Path, zone: Path) -> list:
    return [zone.parent / "layers.gpkg", "--zone", tmp_path / "nope.yaml"]


@pytest.mark.parametrize(
    "make_args, code, message",
    [
        (_missing_parcels, 2, "nope.gpkg: file not found"),
        (_no_crs, 4, "has no CRS"),
        (_far, 7, "none of the 1 parcels overlaps the zone's DEMs"),
        (_missing_id_field, 5, "lacks required field(s) lot"),
        (
            _repeated_ids,
            5,
            "id field 'parcel_id' must be unique and non-empty: repeated in feature 1 (parcel_id=A)",
        ),
        (_rivers_without_control_line, 5, "layer rivers]: lacks required field(s) control_distance_m"),
        (_missing_dem, 2, "nope.tif: file not found"),
        (_missing_zone, 8, "zone file not found"),
    ],
    ids=[
        "missing-file",
        "no-crs",
        "no-overlap",
        "missing-id-field",
        "repeated-ids",
        "layer-missing-column",
        "missing-dem",
        "missing-zone",
    ],
)
@pytest.mark.parametrize("existing", [False, True], ids=["new-out", "existing-out"])
def test_bad_inputs_exit_non_zero_and_write_nothing(cli, zone, tmp_path, make_args, code, message, existing):
    out = tmp_path / "out" / "scored.gpkg"
    out.parent.mkdir()
    if existing:
        out.write_bytes(b"previous result")
    res = run(cli, *make_args(tmp_path, zone), "--out", out)
    assert res.exit_code == code, res.output
    assert message in res.stderr
    assert res.stderr.startswith("error:")
    assert [p.name for p in out.parent.iterdir()] == (["scored.gpkg"] if existing else [])
    if existing:
        assert out.read_bytes() == b"previous result"


@pytest.mark.parametrize("name", ["scored.shp", "scored.xlsx", "scored"])
def test_unknown_output_format_is_refused_before_any_work(cli, zone, tmp_path, name):
    res = run(cli, tmp_path / "does-not-matter.gpkg", "--zone", zone, "--out", tmp_path / name)
    assert res.exit_code == 2
    assert "unknown output format" in res.stderr and ".gpkg" in res.stderr
    assert list(tmp_path.iterdir()) == []


def test_output_folder_must_exist(cli, zone, tmp_path):
    res = run(cli, zone.parent / "layers.gpkg", "--zone", zone, "--out", tmp_path / "no" / "out.gpkg")
    assert res.exit_code == 2 and "the output folder does not exist" in res.stderr


def test_scheduler_local_scores_on_a_dask_local_cluster_with_the_same_result(cli, zone, tmp_path):
    """``--scheduler local``: the parcels are measured by partitions on a Dask LocalCluster
    (``--workers 2`` worker processes), their DEM read by windows; the table is the one-process one."""
    one, dask = tmp_path / "one.gpkg", tmp_path / "dask.gpkg"
    res = run(cli, zone.parent / "layers.gpkg", "--zone", zone, "--out", one)
    assert res.exit_code == 0, res.output
    res = run(
        cli,
        zone.parent / "layers.gpkg",
        "--zone",
        zone,
        "--out",
        dask,
        "--scheduler",
        "local",
        "--workers",
        2,
    )
    assert res.exit_code == 0, res.output
    a, b = gpd.read_file(one), gpd.read_file(dask)
    pd.testing.assert_frame_equal(
        pd.DataFrame(b.drop(columns="geometry")),
        pd.DataFrame(a.drop(columns="geometry")),
        check_exact=False,
        rtol=1e-9,
    )
    assert "excluded by constraint: steep 2, river 1, outside 1" in res.stdout


def test_an_unreachable_scheduler_is_a_one_line_error(cli, zone, tmp_path):
    out = tmp_path / "x.gpkg"
    res = run(
        cli, zone.parent / "layers.gpkg", "--zone", zone, "--out", out, "--scheduler", "tcp://127.0.0.1:9"
    )
    assert res.exit_code != 0 and "Dask scheduler" in res.output and "tcp://127.0.0.1:9" in res.output
    assert not out.exists()
