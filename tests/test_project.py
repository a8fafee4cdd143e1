"""The Project model, its file format, and industry classification against the positive list."""

from __future__ import annotations

import json

import pytest

from app.i18n import render
from gis.errors import InputFileError, SchemaError
from scoring.project import (
    Project,
    classify_industry,
    load_project,
    parse_project,
    project_warnings,
)
from tests.admission_fixtures import PROJECTS_DIR, jiaokou

GOOD = {
    "name": "p",
    "industry": "铝镁新材料",
    "branch": "铝基新材料",
    "investment_wan": 60000,
    "output_wan": 150000,
}


def with_(**kw):
    d = dict(GOOD)
    for k, v in kw.items():
        if v is ...:
            d.pop(k, None)
        else:
            d[k] = v
    return d


# --------------------------------------------------------------------------- files


@pytest.mark.parametrize("name", ["almg_ok.yaml", "almg_ok.json"])
def test_example_files_load_with_units_as_written(name):
    p = load_project(PROJECTS_DIR / name, jiaokou())
    assert p.investment_wan == 60000 and p.output_wan == 150000
    assert p.land_mu == 20 and p.power_kw == 4500 and p.water_m3_per_day == 500
    assert p.online_monitoring is True  # "是" in the JSON file
    assert p.waste_treatment_pct == 98


def test_yaml_file_optional_keys():
    p = load_project(PROJECTS_DIR / "almg_ok.yaml")
    assert p.tax_wan == 3000 and p.energy_tce_per_wan == 0.35 and p.water_m3_per_wan == 1.2


@pytest.mark.parametrize(
    "data, expected",
    [
        (with_(investment_wan="6亿元"), ["investment_wan", "'6亿元' is text with a unit", "万元: 60000"]),
        (with_(output_wan="15 亿"), ["output_wan", "150000"]),
        (with_(tax_wan="3000000元"), ["tax_wan", "300"]),
        (with_(waste_treatment_pct=0.98), ["waste_treatment_pct", "looks like a fraction", "write 98"]),
        (with_(waste_treatment_pct=1), ["waste_treatment_pct", "fraction", "write 100"]),
        (with_(waste_treatment_pct=120), ["waste_treatment_pct", "cannot exceed 100"]),
        (with_(waste_treatment_pct="98%"), ["waste_treatment_pct", "plain number in %: 98"]),
        (with_(investment_wan=-60000), ["investment_wan", "cannot be negative or zero"]),
        (with_(output_wan=0), ["output_wan", "greater than 0"]),
        (with_(output_wan=...), ["output_wan: required; give the amount in 万元/年"]),
        (with_(investment_wan=...), ["investment_wan: required"]),
        (with_(land_mu="20亩"), ["land_mu", "plain number in 亩: 20"]),
        (with_(land_mu="2公顷"), ["land_mu", "亩: 30"]),
        (with_(land_mu=-3), ["land_mu", "negative"]),
        (with_(power_kw="5MW"), ["power_kw", "kW: 5000"]),
        (with_(water_m3_per_day="500t/d"), ["water_m3_per_day", "m³/d: 500"]),
        (with_(power_kw="5 kg"), ["power_kw", "unit 'kg'"]),
        (with_(investment_wan=True), ["investment_wan", "yes/no value"]),
        (with_(online_monitoring="maybe"), ["online_monitoring", "not yes/no"]),
        (
            with_(investment_yi=6),
            ["investment_yi: unknown field", "did you mean investment_wan", "1 亿元 = 10000 万元"],
        ),
        (with_(name=""), ["name"]),
    ],
)
def test_bad_fields_name_the_field_and_the_fix(data, expected):
    with pytest.raises(SchemaError) as err:
        parse_project(data, where="p.yaml")
    text = str(err.value)
    assert text.startswith("p.yaml: ")
    for part in expected:
        assert part in text
    # users read the same problems in their language, naming the field
    field = expected[0].split(":")[0]
    assert field in render(err.value.user_message(), "zh") and "项目文件有" in render(err.value.msg, "zh")
    assert field in render(err.value.user_message(), "en")


def test_numeric_strings_are_numbers():
    p = parse_project(with_(investment_wan="60000", online_monitoring="否"))
    assert p.investment_wan == 60000.0 and p.online_monitoring is False


def test_all_problems_reported_at_once():
    with pytest.raises(SchemaError) as err:
        load_project(PROJECTS_DIR / "bad_money.yaml")
    text = str(err.value)
    assert "3 problem(s)" in text
    assert (
        "investment_wan" in text and "output_wan: required" in text and "investment_yi: unknown field" in text
    )
    zh = render(err.value.msg, "zh")
    assert zh.startswith("项目文件有 3 处问题：\n") and "  - output_wan：必填；请以 万元/年 填写" in zh
    assert (
        "  - investment_yi：未知字段；是否应为 investment_wan？（金额以万元填写：1 亿元 = 10000 万元）" in zh
    )


def test_bad_units_file():
    with pytest.raises(SchemaError) as err:
        load_project(PROJECTS_DIR / "bad_units.yaml")
    text = str(err.value)
    assert "bad_units.yaml" in text and "60000" in text and "write 98" in text


@pytest.mark.parametrize(
    "content, suffix, exc, part",
    [
        (None, ".yaml", InputFileError, "not found"),
        ("name: [unclosed", ".yaml", InputFileError, "not valid YAML"),
        ('{"name": ', ".json", InputFileError, "not valid JSON"),
        ("", ".yaml", InputFileError, "empty"),
        ("- a\n- b\n", ".yaml", SchemaError, "one mapping"),
    ],
)
def test_unreadable_files(tmp_path, content, suffix, exc, part):
    path = tmp_path / f"p{suffix}"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(exc) as err:
        load_project(path)
    assert part in str(err.value) and str(path) in str(err.value)


def test_warning_for_money_that_looks_like_yi():
    (w,) = project_warnings(Project(**with_(investment_wan=6)))
    assert render(w, "zh") == "投资额为 6 万元——是否按亿元填写了？（6 亿元 = 60000 万元）"
    assert (
        render(w, "en") == "investment_wan is 6 10k yuan — is it in 100M yuan? (6 100M yuan = 60000 10k yuan)"
    )
    assert project_warnings(Project(**GOOD)) == []


# --------------------------------------------------------------------------- classification


@pytest.mark.parametrize(
    "industry, branch, kind, ind_name, br_name, condition",
    [
        ("铝镁新材料", "铝基新材料", "listed", "铝镁新材料", "铝基新材料", "铝镁新材料产业"),
        ("铝镁新材料产业", "氧化铝", "listed", "铝镁新材料", "氧化铝", "铝镁新材料产业"),  # alias
        ("智能制造", "智能铸造", "listed", "智能制造产业", "智能铸造", "智能制造产业"),
        (
            "高技术产业(制造)",
            "光电产业",
            "listed",
            "高技术产业（制造）",
            "光电产业",
            "高技术产业（制造）",
        ),  # ASCII parens
        ("新能源产业", "新能源+储能", "listed", "新能源产业", "“新能源+储能”", "新能源产业"),  # no quotes
        (None, "赤泥综合利用", "listed", "资源综合利用产业", "赤泥综合利用", "资源综合利用产业"),  # inferred
        ("现代服务业", "现代物流", "listed", "现代服务业", "现代物流", "现代物流"),  # branch row
        ("现代服务业", "高科技服务业", "listed", "现代服务业", "高科技服务业", None),  # no 表9-6 row
        ("生物健康产业", None, "industry_only", "生物健康产业", None, "生物健康产业"),
        ("铝镁新材料", "电解铝", "industry_only", "铝镁新材料", None, "铝镁新材料产业"),  # unlisted direction
        ("煤焦化", None, "outside", None, None, None),
        ("钢铁产业", "炼钢", "outside", None, None, None),
    ],
)
def test_classification(industry, branch, kind, ind_name, br_name, condition):
    c = classify_industry(jiaokou(), Project(**with_(industry=industry, branch=branch)))
    assert c.kind == kind
    assert (c.industry.name if c.industry else None) == ind_name
    assert (c.branch.name if c.branch else None) == br_name
    assert (c.condition.industry if c.condition else None) == condition


@pytest.mark.parametrize(
    "industry", ["其它国家鼓励发展的产业项目", "其他国家鼓励发展的产业项目", "other", None]
)
def test_catch_all(industry):
    p = Project(**with_(industry=industry, branch=None, encouraged_description="装配式建筑"))
    c = classify_industry(jiaokou(), p)
    assert c.kind == "encouraged" and c.condition is None


@pytest.mark.parametrize(
    "industry, branch, description, parts",
    [
        ("铝镁新材", "铝基新材料", None, ["industry", "did you mean industry 铝镁新材料"]),
        (
            "生物医药",
            None,
            None,
            ["a 二级产业方向 (branch) of 生物健康产业", "write industry: 生物健康产业 and branch: 生物医药"],
        ),
        ("新能源产业", "智能铸造", None, ["branch", "belongs to 智能制造产业"]),
        ("铝镁新材料", "铝基材料", None, ["branch", "did you mean 铝基新材料"]),
        ("其它国家鼓励发展的产业项目", None, None, ["encouraged_description is missing"]),
        ("other", "某方向", "某项目", ["has no 二级产业方向"]),
        ("铝镁新材料", "铝基新材料", "说明", ["encouraged_description is only for"]),
        (None, None, None, ["industry is missing"]),
        (None, "铝材", None, ["industry is missing and branch '铝材' is not on the positive list"]),
    ],
)
def test_unclassifiable_industry_is_an_error_with_close_names(industry, branch, description, parts):
    p = Project(**with_(industry=industry, branch=branch, encouraged_description=description))
    with pytest.raises(SchemaError) as err:
        classify_industry(jiaokou(), p, where="x.yaml")
    text = str(err.value)
    assert text.startswith("x.yaml")
    for part in parts:
        assert part in text
    assert err.value.msg is not None and render(err.value.msg, "zh") and render(err.value.msg, "en")


def test_load_with_zone_classifies(tmp_path):
    with pytest.raises(SchemaError) as err:
        load_project(PROJECTS_DIR / "bad_industry.yaml", jiaokou())
    assert "bad_industry.yaml: industry" in str(err.value) and "铝镁新材料" in str(err.value)
    # an industry outside the list loads (the check fails it later)
    assert load_project(PROJECTS_DIR / "outside.yaml", jiaokou()).industry == "煤焦化"
    path = tmp_path / "p.json"
    path.write_text(json.dumps(with_(industry="煤焦化", branch=None), ensure_ascii=False), encoding="utf-8")
    assert classify_industry(jiaokou(), load_project(path)).kind == "outside"


def test_label():
    c = classify_industry(jiaokou(), Project(**GOOD))
    assert render(c.label(), "zh") == "铝镁新材料 / 铝基新材料"
    assert render(c.label(), "en") == "Al-Mg new materials / Aluminium-based new materials"
