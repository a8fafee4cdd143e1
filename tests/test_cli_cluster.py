"""``parksite cluster reshape|split|merge`` on the API's database (SpatiaLite and PostGIS): the
same edits as the API, GeoJSON files in WGS 84 or the zone CRS, what changed printed in the
user's language, refusals with their exit code and nothing saved.

The zone: tests/test_api_topology.py (双池镇园区 tiled by sc-almg, west, and sc-smart, east)."""

from __future__ import annotations

import json

from shapely import box
from shapely.geometry import LineString, mapping
from typer.testing import CliRunner

from app.cli import cli
from app.errors import exit_code_for
from tests.conftest import X0, Y0
from tests.test_api_edits import parcel_cluster, wgs84
from tests.test_api_topology import PARK_SC, cluster, outline, versions


def run(url: str, *args: str):
    return CliRunner().invoke(cli, list(args), env={"PARKSITE_DATABASE_URL": url})


def write(path, geojson: dict):
    path.write_text(json.dumps(geojson, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_reshape_with_yield_from_a_file_in_the_zone_crs(client, fresh_db, tmp_path):
    """A plan revision drawn in EPSG:4546 (crs member, as QGIS writes it): sc-almg to X0+620."""
    f = write(
        tmp_path / "almg.geojson",
        {
            "type": "FeatureCollection",
            "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4546"}},
            "features": [
                {"type": "Feature", "properties": {}, "geometry": mapping(box(X0, Y0, X0 + 620, Y0 + 600))}
            ],
        },
    )
    r = run(fresh_db, "cluster", "reshape", "sc-almg", f)
    assert r.exit_code != 0 and versions(client, "sc-almg") == {"sc-almg": 1}  # refused: overlap
    assert r.exception.msg.id == "error.cluster.overlap"
    r = run(fresh_db, "--lang", "zh", "cluster", "reshape", "sc-almg", f, "--yield")
    assert r.exit_code == 0, (r.output, r.exception)
    name = cluster(client, "sc-smart")["properties"]["name"]
    assert f"组团“{name}”（sc-smart）：第 2 版，面积 228,000.00 m²（342.00 亩）" in r.output
    assert "地块 SC-105：sc-smart → sc-almg" in r.output
    a, s = outline(client, "sc-almg"), outline(client, "sc-smart")
    assert a.intersection(s).area < 0.01 and abs(a.union(s).area - PARK_SC.area) < 1


def test_reshape_in_english_as_json_and_a_stale_if_match(client, fresh_db, tmp_path):
    f = write(tmp_path / "almg.geojson", wgs84(box(X0, Y0 + 160, X0 + 500, Y0 + 600)))
    r = run(fresh_db, "cluster", "reshape", "sc-almg", f, "--yield", "--if-match", '"sc-almg-v0"')
    assert r.exit_code != 0 and exit_code_for(r.exception) == 10  # stale: nothing saved
    assert versions(client, "sc-almg") == {"sc-almg": 1}
    r = run(fresh_db, "cluster", "reshape", "sc-almg", f, "--yield", "--lang", "en")
    assert r.exit_code == 0, (r.output, r.exception)
    assert "land left in no cluster: 80,000.00 m² (120.00 mu)" in r.output
    assert "parcel SC-0001: sc-almg → —" in r.output
    f2 = write(tmp_path / "back.geojson", wgs84(box(X0, Y0, X0 + 500, Y0 + 600)))
    r = run(fresh_db, "cluster", "reshape", "sc-almg", f2, "--yield", "--json")
    assert r.exit_code == 0, (r.output, r.exception)
    out = json.loads(r.output)
    assert [c["etag"] for c in out["clusters"]] == ['"sc-almg-v3"'] and out["unassigned_m2"] == 0
    assert parcel_cluster(client, "SC-0001") == "sc-almg"


def test_split_and_merge_from_the_command_line(client, fresh_db, tmp_path):
    line = write(tmp_path / "line.geojson", wgs84(LineString([(X0 + 250, Y0 - 50), (X0 + 250, Y0 + 650)])))
    r = run(
        fresh_db,
        "--lang",
        "en",
        "cluster",
        "split",
        "sc-almg",
        line,
        "--part",
        "sc-almg=铝镁西区",
        "--part",
        "sc-almg-east=铝镁东区",
    )
    assert r.exit_code == 0, (r.output, r.exception)
    assert "cluster 铝镁东区 (sc-almg-east): version 1, area 150,000.00 m² (225.00 mu)" in r.output
    assert abs(outline(client, "sc-almg").area + outline(client, "sc-almg-east").area - 300_000) < 1
    r = run(fresh_db, "cluster", "merge", "sc-almg", "sc-almg-east", "--name", "铝镁组团")
    assert r.exit_code == 0, (r.output, r.exception)
    assert "组团“铝镁组团”（sc-almg）：第 3 版，面积 300,000.00 m²（450.00 亩）" in r.output
    assert "（sc-almg-east）：已删除" in r.output
    assert abs(outline(client, "sc-almg").area - 300_000) < 1
    r = run(fresh_db, "cluster", "merge", "sc-almg", "st-almg")
    assert r.exit_code != 0 and r.exception.msg.id == "error.topology.other_park"
