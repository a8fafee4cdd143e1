"""Importing the 交城 test zone from its own files: the dry run (report, refusals, problems
drawn on the ground) and the import, all or nothing, from a DXF drawn in EPSG:4525, a GBK
Shapefile without .cpg, a 三调 DLTB layer and DEM tiles in EPSG:4326."""

from __future__ import annotations

import hashlib
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
import typer
from shapely.geometry import shape
from sqlalchemy import func, select
from typer.testing import CliRunner

from app.commands.db import register
from app.db.layers import load_layer, rasters
from app.db.models import ParcelRow, ZoneRow
from app.sources.dry_run import ImportRequest, plan_import, run_import
from gis.errors import InputFileError
from gis.units import MU_M2
from tests.own_data import DLBM_NAME, MAPPING, OWNER, PARCELS, STATUS, write_zone_files

JIAOCHENG = Path(__file__).parent / "data" / "zones" / "jiaocheng.yaml"


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    return write_zone_files(tmp_path_factory.mktemp("jiaocheng"))


def _tiles(files: dict[str, Path]) -> list[Path]:
    return sorted(p for k, p in files.items() if k.startswith("tile"))


def _request(files: dict[str, Path], tmp_path: Path, mapping: str | None = None, **kw) -> ImportRequest:
    mapping_file = files["mapping"]
    if mapping is not None:
        mapping_file = files["mapping"].with_name(
            f"mapping_{hashlib.md5(mapping.encode()).hexdigest()[:6]}.yaml"
        )
        mapping_file.write_text(mapping, encoding="utf-8")
    return ImportRequest(
        zone_file=JIAOCHENG, mapping_file=mapping_file, dems=_tiles(files), dem_folder=tmp_path / "dems", **kw
    )


def _ids(report, level=None) -> list[str]:
    return [i.message.id for i in report.items if level is None or i.level == level]


def _item(report, message_id):
    return next(i for i in report.items if i.message.id == message_id)


def test_a_dxf_without_crs_is_refused_with_the_right_suggestion(files, tmp_path, db_factory):
    plan = plan_import(_request(files, tmp_path, MAPPING.replace("    crs: EPSG:4525\n", "")))
    assert not plan.report.ok and plan.bundle is None
    missing = _item(plan.report, "import.crs.missing")
    assert missing.level == "error" and missing.section == "parcels"
    assert missing.message.params["best"] == "EPSG:4525"
    text = "\n".join(t for _, t in plan.report.lines("en"))
    assert "eastings like 37 5xx xxx carry the zone number 37" in text and "--crs EPSG:4525" in text
    assert "带带号 37" in "\n".join(t for _, t in plan.report.lines("zh"))
    with pytest.raises(InputFileError, match="the dry run found"):
        run_import(db_factory, plan)
    with db_factory() as s:
        assert s.scalar(select(func.count()).select_from(ZoneRow)) == 0
    assert not (tmp_path / "dems").exists()


def test_dxf_plan_with_ledger_dltb_and_tiles_is_imported(files, tmp_path, db_factory):
    plan = plan_import(_request(files, tmp_path))
    report = plan.report
    assert report.ok, [t for lvl, t in report.lines("en") if lvl == "error"]
    assert report.counts == {"parks": 1, "clusters": 1, "parcels": 6}
    transform = next(
        i for i in report.items if i.message.id == "import.layer.transform" and i.section == "parcels"
    )
    assert (transform.message.params["source"], transform.message.params["target"]) == (
        "EPSG:4525",
        "EPSG:4546",
    )
    assert transform.message.params["accuracy"].id == "import.accuracy.exact"
    assert "import.layer.crs_given" in _ids(report)
    encodings = [i for i in report.items if i.message.id == "import.layer.encoding"]
    assert {e.section for e in encodings} == {"parks", "parcels"}  # the GBK park outline, DXF and DLTB
    assert _item(report, "import.join.summary").message.params["matched"] == 6
    assert _item(report, "import.overlay.summary").message.params["uncovered"] == 0
    assert "import.problem.none" in _ids(report)
    dem = _item(report, "import.dem.reprojected").message.params
    assert dem["crs"] == "EPSG:4546" and dem["resolution"] == "10"
    area = _item(report, "import.area.park").message.params
    assert (area["area"], area["declared"], area["diff"]) == ("1.000", "1", "+0.0%")

    result = run_import(db_factory, plan, user="test")
    assert result.counts["parcels"] == 6 and result.counts["dems"] == 1
    with db_factory() as s:
        parcels = load_layer(s, "jiaocheng", "parcels").set_index("parcel_id")
        assert sorted(parcels.index) == sorted(PARCELS)
        for pid, poly in PARCELS.items():
            assert parcels.loc[pid, "area_m2"] == pytest.approx(poly.area, rel=1e-3)
            assert parcels.loc[pid, "area_mu"] == pytest.approx(poly.area / MU_M2, rel=1e-3)
        assert parcels["status"].to_dict() == STATUS
        assert parcels["land_use"].to_dict() == DLBM_NAME
        assert parcels["enterprise"].dropna().to_dict() == OWNER
        assert set(parcels["cluster"]) == {"new-materials"}
        row = s.scalar(select(ParcelRow).where(ParcelRow.parcel_id == "JC-02"))
        assert row.attrs["investment_wan"] == pytest.approx(2500.0)  # 25 000 000 元
        (dem_ref,) = rasters(s, "jiaocheng")
        assert Path(dem_ref.path).parent == tmp_path / "dems" and dem_ref.crs == "EPSG:4546"
        assert dem_ref.sha256 == hashlib.sha256(Path(dem_ref.path).read_bytes()).hexdigest()


def test_gbk_shapefile_parcels_map_codes_and_units(files, tmp_path, db_factory):
    mapping = MAPPING.split("  parcels:")[0] + (
        "  parcels:\n"
        "    file: 地块属性.shp\n"
        "    fields:\n"
        "      parcel_id: 地块编号\n"
        "      park: {value: main}\n"
        "      status: {field: 用地性质, codes: dlbm, take: status}\n"
        "      land_use: {field: 用地性质, codes: dlbm, take: name}\n"
        "      declared_area_m2: {field: 面积, unit: 亩}\n"
        "      enterprise: 权利人\n"
    )
    plan = plan_import(_request(files, tmp_path, mapping))
    assert plan.report.ok
    enc = next(
        i for i in plan.report.items if i.message.id == "import.layer.encoding" and i.section == "parcels"
    )
    assert (
        enc.message.params["encoding"] == "GB18030"
        and enc.message.params["how"].id == "import.encoding.how.detected"
    )
    assert "import.area.declared_mismatch" not in _ids(plan.report)  # 面积 in 亩 = the drawn area
    assert "import.field.unmapped" not in [i.message.id for i in plan.report.items if i.section == "parcels"]
    run_import(db_factory, plan)
    with db_factory() as s:
        parcels = load_layer(s, "jiaocheng", "parcels").set_index("parcel_id")
        assert parcels["status"].to_dict() == STATUS
        assert parcels.loc["JC-01", "enterprise"] == OWNER["JC-01"]
        assert parcels.loc["JC-06", "land_use"] == "农村宅基地"


def test_dltb_polygons_as_parcels(files, tmp_path, db_factory):
    mapping = MAPPING.split("  parcels:")[0] + (
        "  parcels:\n"
        "    file: DLTB.shp\n"
        "    fields:\n"
        "      parcel_id: BSM\n"
        "      park: {value: main}\n"
        "      status: {field: DLBM, codes: dlbm, take: status}\n"
        "      land_use: DLMC\n"
    )
    plan = plan_import(_request(files, tmp_path, mapping))
    report = plan.report
    assert report.ok  # reaching past the park is a warning, not a refusal
    outside = [i for i in report.items if i.kind == "outside_park"]
    assert len(outside) == 4 and all(i.geometry["type"] in ("Polygon", "MultiPolygon") for i in outside)
    lon, lat = shapely.get_coordinates(shape(outside[0].geometry))[0]
    assert 112.0 < lon < 112.3 and 37.4 < lat < 37.7  # drawn on the map in lon/lat
    assert "import.field.unmapped" in _ids(report, "warning")  # DLBM and ZLDWMC not imported
    run_import(db_factory, plan)
    with db_factory() as s:
        parcels = load_layer(s, "jiaocheng", "parcels").set_index("parcel_id")
        assert parcels["status"].to_dict() == {
            "1401001": "existing",
            "1401002": "vacant",
            "1401003": "reserved",
            "1401004": "existing",
        }
        assert parcels.loc["1401004", "land_use"] == "农村宅基地"


def test_problems_and_unmapped_codes_are_reported(files, tmp_path):
    mini = (
        "codes:\n  mini:\n    standard: a few 三调 codes\n    source: test\n    codes:\n"
        '      "0601": {name: 工业用地, name_en: Industrial land, cover: built, status: existing}\n'
        '      "0103": {name: 旱地, name_en: Dry land, cover: farmed, status: vacant}\n'
    )
    broken = mini + MAPPING.replace('label_pattern: "JC-\\\\d+"', 'label_pattern: "JC-0[1-5]"').replace(
        "status: {field: DLBM, codes: dlbm, take: status}", "status: {field: DLBM, codes: mini, take: status}"
    )
    plan = plan_import(_request(files, tmp_path, broken))
    report = plan.report
    unlabelled = [i for i in report.items if i.kind == "dxf_unlabelled"]
    assert len(unlabelled) == 1 and unlabelled[0].level == "error" and unlabelled[0].geometry is not None
    miss = _item(report, "import.field.code_miss")
    assert miss.level == "warning" and miss.message.params["codes"] == ["0702 ×1", "1101 ×1"]
    assert not report.ok and report.to_dict("en")["errors"] >= 1
    data = report.to_dict("zh")
    assert data["problems"]["type"] == "FeatureCollection" and data["problems"]["features"]
    assert any(s["title"] == "图层：地块" for s in data["sections"])


def test_import_command_dry_run_and_import(files, tmp_path, db_url):
    cli = typer.Typer()
    register(cli)
    args = ["import", "--zone", str(JIAOCHENG), "--mapping", str(files["mapping"]), "--database-url", db_url]
    args += [a for t in _tiles(files) for a in ("--dem", str(t))] + ["--dem-folder", str(tmp_path / "d")]
    dry = CliRunner().invoke(cli, [*args, "--dry-run", "--lang", "en"])
    assert dry.exit_code == 0, dry.output
    assert "Nothing blocks the import" in dry.output and "EPSG:4525 → EPSG:4546" in dry.output
    assert not (tmp_path / "d").exists()
    done = CliRunner().invoke(cli, args)
    assert done.exit_code == 0, done.output
    assert "zone jiaocheng created" in done.output and len(list((tmp_path / "d").glob("*.tif"))) == 1
    no_crs = files["mapping"].with_name("mapping_no_crs.yaml")
    no_crs.write_text(MAPPING.replace("    crs: EPSG:4525\n", ""), encoding="utf-8")
    args[args.index(str(files["mapping"]))] = str(no_crs)
    refused = CliRunner().invoke(cli, [*args, "--dry-run"])
    assert refused.exit_code == 1 and "--crs EPSG:4525" in refused.output
    assert CliRunner().invoke(cli, [*args, "--dry-run", "--crs", "EPSG:4525"]).exit_code == 0


def test_a_failed_write_removes_the_mosaic_and_writes_nothing(files, tmp_path, db_factory, monkeypatch):
    plan = plan_import(_request(files, tmp_path))

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("app.sources.dry_run.import_zone", broken)
    with pytest.raises(RuntimeError):
        run_import(db_factory, plan)
    assert list((tmp_path / "dems").glob("*.tif")) == []
    with db_factory() as s:
        assert s.scalar(select(func.count()).select_from(ZoneRow)) == 0


def test_an_invalid_geometry_is_repaired_and_shown(files, tmp_path):
    """A parcel file in parksite's own schema, given as --layer, beside the mapped parks."""
    bowtie = shapely.Polygon(
        [(601_100, 4_157_100), (601_300, 4_157_300), (601_300, 4_157_100), (601_100, 4_157_300)]
    )
    frame = gpd.GeoDataFrame(
        {"parcel_id": ["JC-91", "JC-92"], "park": ["main", "main"], "status": ["vacant", "vacant"]},
        geometry=[bowtie, shapely.box(601_400, 4_157_100, 601_600, 4_157_300)],
        crs="EPSG:4546",
    )
    path = tmp_path / "parcels.geojson"
    frame.to_crs("EPSG:4326").to_file(path, driver="GeoJSON", engine="pyogrio")
    mapping = MAPPING.split("  parcels:")[0]
    request = _request(files, tmp_path, mapping)
    request.layer_files = {"parcels": path}
    report = plan_import(request).report
    assert report.ok
    (repair,) = [i for i in report.items if i.kind == "repair"]
    assert repair.section == "parcels" and "Self-intersection" in repair.message.params["reason"]
    assert repair.geometry is not None and report.counts["parcels"] == 2
