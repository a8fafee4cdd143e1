"""The zone's rules as configuration: the Jiaokou file against the plan, a second zone, bad files;
the data files it points to (表2-1, the existing enterprises)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from gis.errors import ConfigError
from scoring.enterprises import load_enterprises
from scoring.zone import load_zone, parse_zone

ROOT = Path(__file__).resolve().parent.parent
JIAOKOU = ROOT / "data" / "zones" / "jiaokou.yaml"
JIAOCHENG = Path(__file__).parent / "data" / "zones" / "jiaocheng.yaml"


@pytest.fixture(scope="module")
def zone():
    return load_zone(JIAOKOU)


@pytest.fixture()
def raw() -> dict:
    return yaml.safe_load(JIAOKOU.read_text(encoding="utf-8"))


# 表9-6 as printed in the plan: industry → (investment, output, monitoring, 三废 %)
TABLE_9_6 = {
    "铝镁新材料产业": (250, 200, True, 98),
    "智能制造产业": (220, 280, True, 98),
    "新能源产业": (220, 350, True, 100),
    "生物健康产业": (280, 330, True, 98),
    "高技术产业（制造）": (280, 400, True, 100),
    "资源综合利用产业": (200, 210, True, 100),
    "现代物流": (250, 300, True, 100),
}


@pytest.mark.parametrize("industry,expected", TABLE_9_6.items())
def test_admission_conditions_match_table_9_6(zone, industry, expected):
    row = next(a for a in zone.admission if a.industry == industry)
    got = (
        row.investment_intensity_wan_per_mu,
        row.output_intensity_wan_per_mu,
        row.online_monitoring_required,
        row.waste_treatment_pct_min,
    )
    assert got == expected
    assert row.source == "表9-6"


def test_all_seven_admission_rows(zone):
    assert {a.industry for a in zone.admission} == set(TABLE_9_6)


def test_parks_and_clusters_per_table_8_1(zone):
    assert [(p.name, p.area_km2) for p in zone.parks] == [("水头镇园区", 3.96), ("双池镇园区", 6.53)]
    assert zone.zone.planned_area_km2 == pytest.approx(3.96 + 6.53)
    shuitou = [c.name for c in zone.park("shuitou").clusters]
    shuangchi = [c.name for c in zone.park("shuangchi").clusters]
    assert shuitou == ["公共服务中心", "铝镁新材料组团", "高技术产业（制造业）组团", "新能源产业组团"]
    assert shuangchi == [
        "铝镁新材料产业组团",
        "智能制造及资源综合利用组团",
        "生物健康产业组团",
        "综合服务组团",
        "产业备用地",
    ]
    assert zone.cluster("st-public").area_mu == 250
    reserve = zone.cluster("sc-reserve")
    assert reserve.kind == "reserve" and reserve.admits_encouraged_under_review


# 表9-5: 产业大类 → {二级产业方向: 发展导向}
TABLE_9_5 = {
    "铝镁新材料": {"氧化铝": "规模控制", "铝基新材料": "培育壮大", "镁基新材料（含镁铝合金）": "鼓励发展"},
    "智能制造产业": {
        "智能铸造": "培育壮大",
        "高性能通用零部件": "鼓励发展",
        "智能消费设备": "鼓励发展",
        "新能源汽车零部件": "鼓励发展",
    },
    "新能源产业": {"风光分布式开发": "鼓励发展", "“新能源+储能”": "鼓励发展", "新能源装备制造": "鼓励发展"},
    "生物健康产业": {
        "生物医药": "积极鼓励发展、培育壮大",
        "养生保健品": "鼓励发展",
        "健康食品": "鼓励发展",
        "功能饮品": "鼓励发展",
        "医药技术": "鼓励发展",
        "健康养生": "鼓励发展",
    },
    "高技术产业（制造）": {
        "电子器件制造": "鼓励发展",
        "电子元件制造": "鼓励发展",
        "信息技术应用创新产业": "鼓励发展",
        "光电产业": "鼓励发展",
    },
    "资源综合利用产业": {"赤泥综合利用": "鼓励发展", "有机肥饲料生产": "严格环保要求，鼓励发展"},
    "现代服务业": {"现代物流": "鼓励发展", "高科技服务业": "鼓励发展", "商贸服务": "鼓励发展、以市场定量"},
}


def test_positive_list_per_table_9_5(zone):
    got = {i.name: {b.name: b.guidance for b in i.branches} for i in zone.positive_list.industries}
    assert got == TABLE_9_5
    assert zone.positive_list.catch_all.name == "其它国家鼓励发展的产业项目"
    assert zone.find_industry("铝镁新材料").branch("氧化铝").level == "controlled"


def test_branch_level_admission_row(zone):
    services = zone.find_industry("现代服务业")
    assert zone.admission_for(services, services.branch("现代物流")).industry == "现代物流"
    assert zone.admission_for(services, services.branch("商贸服务")) is None
    almg = zone.find_industry("铝镁新材料产业")  # alias
    assert zone.admission_for(almg).investment_intensity_wan_per_mu == 250


def test_targets_and_land_controls(zone):
    assert zone.targets.output_intensity_wan_per_mu == 300
    assert zone.targets.investment_intensity_wan_per_mu == 200
    assert zone.targets.source == "表6-1"
    lc = zone.land_controls
    assert (lc.building_coefficient_min_pct, lc.admin_living_max_pct, lc.green_ratio_max_pct) == (30, 7, 20)


def test_scoring_defaults(zone):
    s = zone.scoring
    assert {sl.id: sl.max_pct for sl in s.slope_limits} == {"natural": 15, "planned": 10}
    w = s.weights()
    assert sum(w.values()) == pytest.approx(1.0)
    assert max(w, key=w.get) == "slope"
    assert s.ahp_result().cr < 0.10
    assert s.classify(85).name == "优" and s.classify(50).name == "中" and s.classify(49.99).name == "差"


def test_every_number_has_a_source(raw):
    """Every mapping in the file that holds a number also says where it came from."""
    skip = {"function", "ahp_row", "data", "destinations"}

    def walk(node, path):
        if isinstance(node, dict):
            has_number = any(isinstance(v, (int, float)) and not isinstance(v, bool) for v in node.values())
            top = path.split(".")[-1] if path else ""
            if has_number and top not in skip and "function" not in path and not path.endswith("classes"):
                assert "source" in node, f"{path} holds numbers but no source"
            for k, v in node.items():
                walk(v, f"{path}.{k}" if path else k)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{path}[{i}]" if not path.endswith("classes") else "classes")

    walk(raw, "")


def test_second_zone_loads_without_code():
    z = load_zone(JIAOCHENG)
    assert z.zone.id == "jiaocheng"
    assert z.admission[0].output_intensity_wan_per_mu == 350
    assert z.scoring.weights() == {"slope": 1.0}


def _set(d: dict, path: str, value):
    keys = path.split(".")
    node = d
    for k in keys[:-1]:
        node = node[int(k)] if isinstance(node, list) else node[k]
    last = keys[-1]
    if value is _DELETE:
        del node[int(last) if isinstance(node, list) else last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


_DELETE = object()

BAD_FILES = [
    # (path to change, new value, text expected in the message)
    ("admission.0.investment_intensity_wan_per_mu", -250, "admission.0.investment_intensity_wan_per_mu"),
    ("admission.2.source", _DELETE, "admission.2.source: Field required"),
    ("admission.4.waste_treatment_pct_min", 101, "admission.4.waste_treatment_pct_min"),
    ("zone.crs", "EPSG:4490", "zone.crs: EPSG:4490 is not a projected CRS"),
    ("zone.crs", "EPSG:99999999", "zone.crs: not a CRS"),
    (
        "parks.1.clusters.0.admits.0.industry",
        "炼焦",
        "parks.1.clusters.0.admits.0.industry: '炼焦' is not on the positive list",
    ),
    ("parks.0.clusters.1.admits.0.branches", ["钢铁"], "'钢铁' is not a branch of 铝镁新材料"),
    ("parks.0.clusters.0.kind", "housing", "parks.0.clusters.0.kind"),
    ("parks.1.clusters.1.id", "sc-almg", "cluster ids must be unique"),
    (
        "positive_list.industries.0.branches.0.level",
        "forbidden",
        "positive_list.industries.0.branches.0.level",
    ),
    (
        "scoring.criteria.0.function.points",
        [[5, 1], [2, 0]],
        "scoring.criteria.0.function.piecewise: points must have strictly increasing x",
    ),
    ("scoring.criteria.2.function.x1", 5000, "x0 and x1 must differ"),
    ("scoring.ahp.matrix.0.3", 9, "not reciprocal"),
    ("scoring.natural_slope_limit", "steep", "natural_slope_limit 'steep' is not one of"),
    ("scoring.criteria.0.unexpected", 1, "scoring.criteria.0.unexpected: Extra inputs are not permitted"),
    ("parks", [], "parks: List should have at least 1 item"),
    ("parks.1.services.source", _DELETE, "services with figures (kV, m³/d) need a source"),
    ("parks.0.landmarks.0.distance_m", -350, "parks.0.landmarks.0.distance_m"),
    ("county.bounds.west", "111°73′", "minutes and seconds must be below 60"),
    ("county.bounds.east", "110°00′", "west must be less than east"),
    ("county.seat.lonlat", [36.983, 111.183], "county.seat.lonlat.1"),
]


@pytest.mark.parametrize("path,value,expected", BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_zone_file_names_field_path(raw, path, value, expected):
    bad = copy.deepcopy(raw)
    _set(bad, path, value)
    with pytest.raises(ConfigError) as info:
        parse_zone(bad, path="bad.yaml")
    assert expected in str(info.value)
    assert "bad.yaml" in str(info.value)


def test_inconsistent_ahp_matrix_refused_with_cr(raw):
    bad = copy.deepcopy(raw)
    m = bad["scoring"]["ahp"]["matrix"]
    # slope ≫ earthwork, earthwork ≫ power, but power ≫ slope: a cycle of judgements
    m[0][1], m[1][0] = 9, "1/9"
    m[1][2], m[2][1] = 9, "1/9"
    m[0][2], m[2][0] = "1/9", 9
    with pytest.raises(ConfigError, match=r"consistency ratio CR = \d\.\d{3} exceeds 0\.10"):
        parse_zone(bad)


def test_yaml_syntax_error_names_line(tmp_path):
    f = tmp_path / "broken.yaml"
    f.write_text("zone:\n  id: x\n  name: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"broken.yaml:\d+:\d+: not valid YAML"):
        load_zone(f)


def test_missing_zone_file(tmp_path):
    with pytest.raises(ConfigError, match="zone file not found"):
        load_zone(tmp_path / "nope.yaml")


def test_cli_validate_and_show():
    from app.cli import cli

    runner = CliRunner()
    r = runner.invoke(cli, ["zone", "validate", str(JIAOKOU)])
    assert r.exit_code == 0, r.output
    assert "OK" in r.output and "9 cluster(s)" in r.output
    assert "26 existing enterprise(s) (表2-1 开发区现有企业汇总表)" in " ".join(r.output.split())
    r = runner.invoke(cli, ["zone", "show", str(JIAOKOU)], env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    for text in ("表9-6", "铝镁新材料产业", "≥250", "≥400", "产业备用地", "CR = 0.003"):
        assert text in r.output


def test_cli_validate_bad_file_exits_nonzero(tmp_path, raw):
    import subprocess
    import sys

    bad = copy.deepcopy(raw)
    bad["admission"][0]["output_intensity_wan_per_mu"] = "lots"
    f = tmp_path / "bad.yaml"
    f.write_text(yaml.safe_dump(bad, allow_unicode=True), encoding="utf-8")
    r = subprocess.run(
        [sys.executable, "-m", "app.cli", "zone", "validate", str(f)], capture_output=True, text=True
    )
    assert r.returncode == 8
    assert "admission.0.output_intensity_wan_per_mu" in r.stderr


def test_console_script_exit_code_of_a_command_that_reports_its_own_error(tmp_path):
    """Commands that print their error and exit with a code must exit with it from the shell."""
    import subprocess
    import sys

    empty = tmp_path / "empty.geojson"
    empty.write_bytes(b"")
    r = subprocess.run(
        [sys.executable, "-m", "app.cli", "score", str(empty), "--out", str(tmp_path / "x.gpkg")],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 2, r.stderr
    assert "文件为空" in r.stderr and "is empty" not in r.stderr  # Chinese by default
    assert not (tmp_path / "x.gpkg").exists()
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "app.cli",
            "--lang",
            "en",
            "score",
            str(empty),
            "--out",
            str(tmp_path / "x.gpkg"),
        ],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 2 and "is empty" in r.stderr and "文件为空" not in r.stderr, r.stderr


def test_county_and_landmarks_as_the_plan_prints_them(zone):
    assert zone.county.bounds.as_tuple() == pytest.approx((111 + 3 / 60, 36 + 43 / 60, 111 + 34 / 60, 37.2))
    shuitou = zone.park("shuitou")
    assert shuitou.landmark("reservoir_dam").distance_m == 350
    assert shuitou.landmark("county_seat").distance_m == 10_000
    plant = zone.park("shuangchi").services
    assert (plant.wastewater_capacity_m3_per_day, plant.wastewater_capacity_future_m3_per_day) == (
        6000,
        10000,
    )


# --------------------------------------------------------------------------- 表2-1
# 表2-1 开发区现有企业汇总表 as printed: 序号 → (企业名称, 占地面积（亩）; None for "-")
TABLE_2_1 = {
    1: ("交口县天鹏冶炼有限公司", 149.3),
    2: ("山东东岳能源交口肥美铝业有限责任公司", 725),
    3: ("山西晟安电铝有限责任公司", 150),
    4: ("山西道尔铝业有限公司", None),
    5: ("鑫瑞洗煤厂", 32),
    6: ("巨龙能源洗煤厂", None),
    7: ("汇达星洗煤厂（煤运公司）", 67),
    8: ("交口县炬森源煤化厂", 118),
    9: ("交口县烽晟煤业有限公司", 40),
    10: ("交口县鑫元隆煤化厂", 30),
    11: ("百富勤洗煤厂", 95.58),
    12: ("交口县兴旺煤业有限公司", 40),
    13: ("交口县晋源选矿厂", 10),
    14: ("道砥矿业有限公司", 30),
    15: ("交口县回龙新长虹加油站", 10),
    16: ("交口县鑫鑫加油站", 33.5),
    17: ("开发区加油站", 2.4),
    18: ("众鑫气站", 1.5),
    19: ("兴禾复混肥原料厂", 2.8),
    20: ("晋双混凝土有限公司", 8),
    21: ("金尔泰钢结构工程公司", None),
    22: ("巨和久建筑材料公司", 10),
    23: ("鑫耐德防水材料", 10),
    24: ("双池污水厂", 23.78),
    25: ("交口县双池镇鑫康隆种养殖专业合作社", None),
    26: ("山西南山百世食安农牧业有限公司", None),
}


@pytest.fixture()
def raw_enterprises(zone) -> dict:
    return yaml.safe_load((JIAOKOU.parent / zone.data.enterprises).read_text(encoding="utf-8"))


def _write_zone_with_enterprises(tmp_path: Path, raw_zone: dict, enterprises: dict) -> Path:
    (tmp_path / "e.yaml").write_text(yaml.safe_dump(enterprises, allow_unicode=True), encoding="utf-8")
    raw_zone = copy.deepcopy(raw_zone)
    raw_zone["data"] = {"enterprises": "e.yaml"}
    out = tmp_path / "zone.yaml"
    out.write_text(yaml.safe_dump(raw_zone, allow_unicode=True), encoding="utf-8")
    return out


def test_existing_enterprises_per_table_2_1(zone):
    table = load_enterprises(JIAOKOU, zone)
    assert {e.number: (e.name, e.area_mu) for e in table.enterprises} == TABLE_2_1
    assert {e.park for e in table.enterprises} == {"shuangchi"}  # 第二章: 现有企业全部布局于双池镇园区
    assert table.by_number(24).scale == "6000m³/d" and table.by_number(24).product is None


def test_every_enterprise_row_has_a_source(raw_enterprises):
    rows = raw_enterprises["enterprises"]
    assert len(rows) == 26
    for row in rows:
        assert isinstance(row.get("source"), str) and row["source"].strip(), row
    assert raw_enterprises["source"].strip()


@pytest.mark.parametrize(
    "change,expected",
    [
        (lambda t: t["enterprises"][3].pop("source"), "enterprises.3.source: Field required"),
        (lambda t: t["enterprises"][3].update(source=""), "enterprises.3.source"),
        (lambda t: t["enterprises"][5].update(number=1), "enterprise numbers must be unique, repeated: [1]"),
        (lambda t: t["enterprises"][0].update(area_mu=-1), "enterprises.0.area_mu"),
        (lambda t: t["enterprises"][2].update(park="jiaocheng"), "enterprises.2.park: 'jiaocheng'"),
    ],
    ids=["no-source", "empty-source", "duplicate-number", "negative-area", "unknown-park"],
)
def test_bad_enterprises_file_names_the_row(tmp_path, raw, raw_enterprises, change, expected):
    change(raw_enterprises)
    zone_file = _write_zone_with_enterprises(tmp_path, raw, raw_enterprises)
    with pytest.raises(ConfigError) as info:
        load_enterprises(zone_file)
    assert expected in str(info.value) and "e.yaml" in str(info.value)


def test_missing_enterprises_file_and_zone_without_one(tmp_path, raw):
    raw = copy.deepcopy(raw)
    raw["data"] = {"enterprises": "none.yaml"}
    (tmp_path / "zone.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError, match="enterprises file not found"):
        load_enterprises(tmp_path / "zone.yaml")
    assert load_enterprises(JIAOCHENG) is None
