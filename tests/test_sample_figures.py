"""The sample's illustrative 亩均效益 figures: deterministic, for the 表2-1 enterprises the sample
places on industrial or utility land, written by the sample import and labelled illustrative."""

from __future__ import annotations

from sqlalchemy import select

from app.db.importer import import_zone, sample_sources
from app.db.models import EnterpriseYearlyRow
from app.sample.figures import SOURCE, YEARS, sample_figures, write_sample_figures
from app.scoring_io.evaluation import evaluation_json, zone_report_in_db
from app.settings import DEFAULT_ZONE_FILE


def test_sample_figures_are_deterministic_and_cover_the_industrial_enterprises():
    a, b = sample_figures(DEFAULT_ZONE_FILE), sample_figures(DEFAULT_ZONE_FILE)
    assert a == b and tuple(a) == YEARS
    names = {f.enterprise for f in a[YEARS[-1]]}
    assert "山东东岳能源交口肥美铝业有限责任公司" in names and "双池污水厂" in names
    assert "交口县鑫鑫加油站" not in names  # a fuel station: not an industrial enterprise
    water = next(f for f in a[YEARS[-1]] if f.enterprise == "双池污水厂")
    assert water.kind == "公用事业"
    assert "山西道尔铝业有限公司" not in {f.enterprise for f in a[YEARS[0]]}  # producing from the last year


def test_the_sample_import_writes_them_labelled(db_factory, db_url, tmp_path):
    sources = sample_sources()
    report = import_zone(db_factory, sources)
    n = write_sample_figures(db_factory, report.zone_id, sources.zone_file)
    expected = sample_figures(DEFAULT_ZONE_FILE)
    assert n == sum(len(v) for v in expected.values())
    with db_factory() as s:
        sources_written = set(s.scalars(select(EnterpriseYearlyRow.source)))
        assert sources_written == {SOURCE}
        data = evaluation_json(s, report.zone_id, DEFAULT_ZONE_FILE, 2025)
        assert data["illustrative"] is True and data["years"] == list(YEARS)
        assert sum(data["method"]["class_counts"].values()) == len(expected[2025]) - sum(
            1 for e in data["enterprises"] if e["scope"] == "out"
        )
        assert any(e["parcel_ids"] for e in data["enterprises"])
        rep = zone_report_in_db(s, report.zone_id, DEFAULT_ZONE_FILE, 2025)
        assert rep["illustrative"] is True
        zone = next(a for a in rep["areas"] if a["id"] == "zone")
        assert {i["id"]: i["value"] for i in zone["indicators"]}["industrial_tax"] is not None

    # the command line and the workbook say so too
    from openpyxl import load_workbook
    from typer.testing import CliRunner

    from app.cli import cli

    out = tmp_path / "eval.xlsx"
    r = CliRunner().invoke(cli, ["evaluate", "--year", "2025", "--database-url", db_url, "--xlsx", str(out)])
    assert r.exit_code == 0, r.output
    assert "示意数据" in r.output
    rows = list(load_workbook(out)["规上企业"].iter_rows(values_only=True))
    assert "示意数据" in str(rows[-1][0])
