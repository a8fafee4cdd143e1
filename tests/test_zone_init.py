"""The whole flow for a second zone, without code: ``parksite zone init`` writes the 交城 zone
file from its own files (DXF in EPSG:4525, GBK Shapefiles, DLTB, DEM tiles in EPSG:4326), the
rules are edited (output intensity 350 万元/亩), ``parksite import`` loads it and ``parksite
score`` scores the drawing, a GBK Shapefile and the mapped plan — with slope statistics that
agree with the same DEM in the zone's CRS."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import typer
import yaml
from typer.testing import CliRunner

from app.commands import db as db_commands
from app.commands import score as score_commands
from app.commands import zone as zone_commands
from app.commands import zone_init
from app.commands.lang import set_lang
from app.i18n import DEFAULT_LANG
from gis.units import MU_M2
from scoring.zone import load_zone
from tests.own_data import OWNER, PARCELS, STATUS, write_zone_files


@pytest.fixture(scope="module")
def cli() -> typer.Typer:
    app = typer.Typer()
    for module in (zone_commands, zone_init, score_commands, db_commands):
        module.register(app)
    return app


def run(cli: typer.Typer, *args: object):
    # parksite's root callback sets the language of each run (zh unless --lang); this app has no
    # root callback, so reset it here: one command's --lang en must not carry over to the next
    set_lang(DEFAULT_LANG)
    return CliRunner().invoke(cli, [str(a) for a in args], env={"COLUMNS": "200"})


@pytest.fixture(scope="module")
def zone(cli, tmp_path_factory) -> tuple[Path, dict[str, Path]]:
    """The 交城 files and the zone file ``zone init`` wrote from them, edited to 350 万元/亩."""
    folder = tmp_path_factory.mktemp("jiaocheng")
    files = write_zone_files(folder)
    tiles = sorted(p for k, p in files.items() if k.startswith("tile"))
    out = folder / "zones" / "jiaocheng.yaml"
    out.parent.mkdir()
    args = ["zone", "init", out, "--id", "jiaocheng", "--name", "交城经济开发区"]
    args += ["--name-en", "Jiaocheng Economic Development Zone", "--mapping", files["mapping"]]
    args += [a for t in tiles for a in ("--dem", t)]
    res = run(cli, *args)
    assert res.exit_code == 0, res.output
    assert "CRS EPSG:4546; parks 1, clusters 1, parcels 6" in res.output
    # The office edits its rules — no code: 交城's output intensity is 350 万元/亩.
    text = out.read_text(encoding="utf-8")
    assert text.count("output_intensity_wan_per_mu: 300") == 1
    out.write_text(
        text.replace("output_intensity_wan_per_mu: 300", "output_intensity_wan_per_mu: 350"), encoding="utf-8"
    )
    return out, {**files, **{f"t{i}": t for i, t in enumerate(tiles)}}


def test_zone_init_writes_a_zone_file_from_the_layers(cli, zone):
    out, _ = zone
    raw = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert raw["zone"] == {
        "id": "jiaocheng",
        "name": "交城经济开发区",
        "name_en": "Jiaocheng Economic Development Zone",
        "crs": "EPSG:4546",
        "source": "parksite zone init from the zone's files (to edit)",
    }
    (park,) = raw["parks"]
    assert (park["id"], park["name"], park["area_km2"]) == ("main", "交城园区", 1.0)
    assert park["clusters"][0]["id"] == "new-materials" and park["clusters"][0]["area_mu"] == 1500.0
    assert park["clusters"][0]["admits"] is None  # to edit: "review" until set
    assert raw["data"]["layers"] == "jiaocheng/jiaocheng.gpkg"
    (dem,) = raw["data"]["dems"]
    assert dem.startswith("jiaocheng/jiaocheng_dem_4546_10m_")
    z = load_zone(out)
    assert z.admission[0].output_intensity_wan_per_mu == 350
    assert z.land_codes["dlbm"].codes["0601"].name == "工业用地"
    assert run(cli, "zone", "validate", out).exit_code == 0
    layers = gpd.read_file(out.parent / raw["data"]["layers"], layer="parcels")
    assert sorted(layers["parcel_id"]) == sorted(PARCELS) and layers.crs.to_epsg() == 4546
    again = run(
        cli, "zone", "init", out, "--id", "jiaocheng", "--name", "x", "--name-en", "x", "--layers", "x.gpkg"
    )
    assert "exists already" in str(again.exception)


def test_the_zone_is_imported_from_its_file(cli, zone, db_url):
    out, _ = zone
    dry = run(cli, "import", "--zone", out, "--dry-run", "--lang", "en", "--database-url", db_url)
    assert dry.exit_code == 0 and "Nothing blocks the import" in dry.output, dry.output
    res = run(cli, "import", "--zone", out, "--database-url", db_url)
    assert res.exit_code == 0, res.output
    assert "zone jiaocheng created: 1 parks, 1 clusters, 6 parcels, 1 dems" in res.output


def _score(cli, parcels, out_file, zone_file, *extra):
    res = run(cli, "score", parcels, "--zone", zone_file, "--out", out_file, *extra)
    assert res.exit_code == 0, res.output
    return gpd.read_file(out_file).set_index("parcel_id") if out_file.suffix == ".gpkg" else res


def test_the_drawing_is_scored_with_tiles_like_with_the_zone_dem(cli, zone, tmp_path):
    out, files = zone
    tiles = [files[f"t{i}"] for i in range(4)]
    dxf = [
        "--crs",
        "EPSG:4525",
        "--dxf-layer",
        "地块",
        "--dxf-label-layer",
        "编号",
        "--dxf-label-pattern",
        r"JC-\d+",
    ]
    with_tiles = _score(
        cli, files["dxf"], tmp_path / "tiles.gpkg", out, *dxf, *[a for t in tiles for a in ("--dem", t)]
    )
    with_zone_dem = _score(cli, files["dxf"], tmp_path / "zone.gpkg", out, *dxf, "--dem", files["zone_dem"])
    assert sorted(with_tiles.index) == sorted(PARCELS)
    for pid, poly in PARCELS.items():
        assert with_tiles.loc[pid, "area_mu"] == pytest.approx(poly.area / MU_M2, rel=1e-3)
    a = with_tiles.loc[list(PARCELS), "slope_mean_deg"].to_numpy()
    b = with_zone_dem.loc[list(PARCELS), "slope_mean_deg"].to_numpy()
    assert np.isfinite(a).all() and np.median(b) > 1.0
    assert float(np.median(np.abs(a - b))) < 0.3
    assert with_tiles["score"].notna().all()


def test_a_drawing_without_crs_is_refused_with_the_suggestion(cli, zone, tmp_path):
    out, files = zone
    res = run(cli, "score", files["dxf"], "--zone", out, "--out", tmp_path / "x.csv", "--lang", "en")
    assert res.exit_code == 4 and "pass --crs EPSG:4525" in res.output
    zh = run(cli, "score", files["dxf"], "--zone", out, "--out", tmp_path / "x.csv")
    assert zh.exit_code == 4 and "若数据确为 EPSG:4525" in zh.output and "--crs" not in zh.output
    assert not (tmp_path / "x.csv").exists()


def test_a_gbk_shapefile_and_the_mapped_plan_are_scored(cli, zone, tmp_path):
    out, files = zone
    res = _score(cli, files["parcel_shp"], tmp_path / "shp.csv", out, "--id-field", "地块编号")
    assert "文字编码 GB18030（自动识别，文件未声明）" in res.output
    table = pd.read_csv(tmp_path / "shp.csv", encoding="utf-8-sig").set_index("parcel_id")
    assert table.loc["JC-01", "权利人"] == OWNER["JC-01"] and sorted(table.index) == sorted(PARCELS)
    mapped = _score(cli, files["dxf"], tmp_path / "mapped.gpkg", out, "--mapping", files["mapping"])
    assert mapped["status"].to_dict() == STATUS
    assert mapped.loc["JC-04", "enterprise"] == OWNER["JC-04"]
