"""Existing enterprises that expand (scoring.expansion): checked like a new project, the 表9-6
intensities on the enterprise after the expansion — (existing + added) ÷ (existing + new land) —
worked out by hand; the existing land and figures from the declaration, the parcels the
enterprise holds, 表2-1 or the yearly figures; an unknown enterprise refused by name."""

from __future__ import annotations

import pandas as pd
import pytest

from app.i18n import render
from gis.errors import NotFoundError
from scoring.admission import check_project, check_site
from scoring.enterprises import load_enterprises
from scoring.evaluation_figures import Figures
from scoring.expansion import resolve_expansion
from tests.admission_fixtures import ZONE_FILE, jiaokou, ledger, make_parcels, parcel, project

NAME = "交口县天鹏冶炼有限公司"  # 表2-1 序号 1, 占地 149.3 亩


def _expansion(proj, parcels=None, figures=None, contracts=None):
    table = load_enterprises(ZONE_FILE, jiaokou())
    parcels = parcels if parcels is not None else pd.DataFrame(columns=["parcel_id", "enterprise", "area_mu"])
    return resolve_expansion(
        proj, "total", table=table, parcels=parcels, contracts=contracts, figures=figures
    )


def _new_site():
    return make_parcels(parcel("N1", mu=20)).iloc[0]


def test_intensity_on_the_enterprise_after_the_expansion():
    # existing 50 亩 with 10000 万元, new 20 亩 with 6000 万元 → 16000 ÷ 70 = 228.57 万元/亩 < 250
    # (表9-6 铝镁新材料); output (20000 + 9000) ÷ 70 = 414.29 ≥ 200.
    proj = project(
        investment_wan=6000,
        output_wan=9000,
        expansion_of=NAME,
        existing_land_mu=50,
        existing_investment_wan=10000,
        existing_output_wan=20000,
    )
    e = _expansion(proj)
    r = check_project(jiaokou(), _new_site(), proj, ledger(), expansion=e)
    inv, out = r.rule("investment_intensity"), r.rule("output_intensity")
    assert inv.status == "fail" and inv.value == pytest.approx(16000 / 70) and round(inv.value, 2) == 228.57
    assert out.status == "pass" and out.value == pytest.approx(29000 / 70)
    assert render(inv.message, "zh") == (
        f"投资强度 = 16000 万元 ÷ 70 亩（扩建后「{NAME}」总用地：现有 50 亩（申报）+ 新增 20 亩"
        "（整块可建设净用地））= 228.57 万元/亩 < 250 万元/亩；70 亩需至少 17500 万元"
        "；新增部分单独计为 6000 万元 ÷ 20 亩 = 300 万元/亩"
    )
    assert r.verdict == "fail"
    # the new part alone (300 万元/亩) would have passed: the basis: added zone checks it so
    zone_added = jiaokou().model_copy(
        update={"expansion": jiaokou().expansion.model_copy(update={"basis": "added"})}
    )
    r2 = check_project(zone_added, _new_site(), proj, ledger(), expansion=e)
    assert r2.rule("investment_intensity").status == "pass"
    assert r2.rule("investment_intensity").value == pytest.approx(300)
    # largest new land justified: min(16000 ÷ 250, 29000 ÷ 200) = 64 亩 in all, less 50 existing = 14
    assert r.max_justified_mu == pytest.approx(14)
    assert r.rule("area_justified").status == "review"  # 20 亩 asked for, 14 justified
    data = r.to_dict()["expansion"]
    assert (data["enterprise"], data["existing_land_mu"], data["basis"]) == (NAME, 50, "total")


def test_existing_land_and_figures_from_the_data():
    # no declaration: land from the parcels it holds (E1 30 + E2 15 = 45 亩), figures from the
    # latest year that has them (2024: 9000 万元 investment, 13500 output).
    parcels = make_parcels(
        parcel("E1", mu=30, status="existing", enterprise=NAME, col=1),
        parcel("E2", mu=15, status="existing", enterprise=NAME, col=2),
        parcel("N1", mu=20),
    )
    figures = {
        2023: [Figures(NAME, land_mu=45, scale="above", investment_wan=8000, output_wan=12000)],
        2024: [Figures(NAME, land_mu=45, scale="above", investment_wan=9000, output_wan=13500)],
    }
    proj = project(investment_wan=6000, output_wan=9000, expansion_of=NAME)
    e = _expansion(proj, parcels, figures)
    assert (e.land_mu, e.investment_wan, e.output_wan) == (45, 9000, 13500)
    assert (
        render(e.land_basis, "zh") == "所持地块 E1、E2" and render(e.figures_basis, "zh") == "2024 年企业数据"
    )
    r = check_site(jiaokou(), parcels[parcels["parcel_id"] == "N1"], proj, ledger(), expansion=e)
    # (9000 + 6000) ÷ (45 + 20) = 230.77 万元/亩
    assert r.rule("investment_intensity").value == pytest.approx(15000 / 65)
    # 表2-1's 占地面积 when it holds no parcel: 149.3 亩
    e = _expansion(proj, None, figures)
    assert e.land_mu == 149.3 and render(e.land_basis, "zh") == "表2-1 开发区现有企业汇总表 占地面积"


def test_missing_existing_figures_need_data():
    proj = project(investment_wan=6000, output_wan=9000, expansion_of=NAME, existing_land_mu=50)
    r = check_project(jiaokou(), _new_site(), proj, ledger(), expansion=_expansion(proj))
    inv = r.rule("investment_intensity")
    assert inv.status == "needs_data" and inv.fields == ("existing_investment_wan",)
    assert r.verdict == "needs_data" and "existing_output_wan" in r.missing_fields()
    assert r.max_justified_mu is None and r.rule("area_justified").status == "review"


def test_upgrade_on_its_own_parcels():
    # 升级改造 in place: the site is its own parcel E1 (30 亩, existing): not "taken", no new land;
    # intensity (9000 + 3000) ÷ 30 = 400 ≥ 250.
    parcels = make_parcels(parcel("E1", mu=30, status="existing", enterprise=NAME))
    proj = project(
        investment_wan=3000,
        output_wan=6000,
        land_mu=None,
        expansion_of=NAME,
        existing_investment_wan=9000,
        existing_output_wan=15000,
    )
    e = _expansion(proj, parcels)
    r = check_site(jiaokou(), parcels, proj, ledger(), expansion=e)
    assert r.rule("parcel_vacant").status == "pass"
    assert render(r.rule("parcel_vacant").message, "zh") == f"地块 E1 为扩建企业「{NAME}」的现有用地"
    assert r.rule("land_demand").status == "pass"
    assert r.rule("investment_intensity").value == pytest.approx(400)
    assert "不新增用地" in render(r.rule("investment_intensity").message, "zh")
    # the same parcel checked for another enterprise's project is taken
    other = check_site(jiaokou(), parcels, project(), ledger())
    assert other.rule("parcel_vacant").status == "fail"


def test_unknown_enterprise_is_named():
    proj = project(expansion_of="交口县天鹏冶练有限公司")
    with pytest.raises(NotFoundError) as err:
        _expansion(proj)
    text = render(err.value.msg, "zh")
    assert "交口县天鹏冶练有限公司" in text and NAME in text  # the value, and the close name
    assert err.value.where == "expansion_of"
    assert _expansion(project()) is None  # not an expansion


# --------------------------------------------------------------------------- CLI


@pytest.fixture
def cli(tmp_path, monkeypatch):
    """`parksite check` on a zone file with capacity layers and 表2-1, parcels from the test."""
    import typer
    import yaml

    from app.commands.admission import register
    from app.scoring_io import cache as scored_cache
    from tests.admission_fixtures import layers, write_zone_with_layers

    zone_file = write_zone_with_layers(tmp_path, *layers())
    data = yaml.safe_load(zone_file.read_text(encoding="utf-8"))
    data["data"]["enterprises"] = str((ZONE_FILE.parent / "jiaokou" / "enterprises.yaml").resolve())
    zone_file.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    parcels = make_parcels(
        parcel("SC-0001", mu=20),
        parcel("SC-0003", mu=30, status="existing", enterprise=NAME, col=2),
    )
    monkeypatch.setattr(scored_cache, "load_scored_parcels", lambda zf: parcels)
    monkeypatch.delenv("PARKSITE_DATABASE_URL", raising=False)
    spec = project(investment_wan=6000, output_wan=9000).model_dump(exclude_none=True)
    project_file = tmp_path / "expansion.yaml"
    project_file.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    app = typer.Typer()
    register(app)
    base = ["check", "--zone", str(zone_file), "--parcel", "SC-0001", "--project", str(project_file)]
    return app, base


def test_cli_check_expansion(cli):
    import json

    from typer.testing import CliRunner

    app, base = cli
    extra = ["--expansion-of", NAME, "--existing-investment-wan", "10000", "--existing-output-wan", "20000"]
    res = CliRunner().invoke(app, [*base, *extra, "--existing-land-mu", "50", "--json"])
    assert res.exit_code == 0, res.output
    d = json.loads(res.output)
    got = {r["rule"]: r for r in d["rules"]}
    # (10000 + 6000) ÷ (50 + 20) = 228.57 < 250 → fail
    assert (
        got["investment_intensity"]["value"] == 228.5714 and got["investment_intensity"]["status"] == "fail"
    )
    assert d["expansion"]["enterprise"] == NAME and d["expansion"]["existing_land_mu"] == 50
    # existing land from the parcel it holds (SC-0003, 30 亩): 16000 ÷ 50 = 320 ≥ 250
    res = CliRunner().invoke(app, [*base, *extra, "--json"])
    d = json.loads(res.output)
    assert {r["rule"]: r for r in d["rules"]}["investment_intensity"]["value"] == 320
    assert d["expansion"]["existing_parcel_ids"] == ["SC-0003"]
    # the human output states the basis
    res = CliRunner().invoke(app, [*base, *extra, "--lang", "en"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert f"existing enterprise's expansion: {NAME}, existing land 30 mu (its parcels SC-0003)" in res.output
    # an unknown enterprise: refused, naming the value
    res = CliRunner().invoke(app, [*base, "--expansion-of", "无名铝厂"])
    assert isinstance(res.exception, NotFoundError) and "无名铝厂" in str(res.exception)
