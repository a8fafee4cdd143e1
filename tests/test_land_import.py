"""Land contracts imported from XLSX/CSV (``parksite land import``, app/db/contracts.py) on SpatiaLite and
PostGIS: all rows or none, bad rows named by row and column, progress updates audited, committed
标准地 indicators kept as signed; ``parksite supervise --json`` on what was imported.

The small zone (tests/conftest.py) has parcels SC-0001 (vacant, 9 999 m² = 14.9985 亩), SC-0002,
SC-0003 and ST-0001; its zone file is data/zones/jiaokou.yaml (表6-1 investment intensity 200 万元/亩,
building coefficient ≥ 30 %).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from app.cli import cli
from app.commands.lang import error_line
from app.db.contracts import import_contract_table, land_contracts, supervision_report
from app.db.models import AuditEntryRow, LandContractParcelRow, LandContractRow
from app.db.rules import zone_rules
from gis.errors import SchemaError
from gis.tables import read_table

HEADER = "企业名称,地块编号,面积（亩）,签订日期,出让价款（万元）,约定开工日期,约定竣工日期,实际开工日期,实际竣工日期,投产日期,计划总投资（万元）,已完成投资（万元）,已开发面积（亩）,停工日期"
GOOD = [
    "甲公司,SC-0001,15,2023-01-10,150,2023-03-01,2025-03-01,,,,,,,",
    "乙公司,SC-0002;SC-0003,30,2022-06-01,300,2022-07-01,2024-07-01,2022-08-01,,,6000,2000,12,",
]


def write_csv(folder: Path, lines: list[str], name: str = "contracts.csv", header: str = HEADER) -> Path:
    path = folder / name
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def do_import(factory, path: Path, user: str = "tester"):
    frame, _ = read_table(path)
    with factory.begin() as s:
        return import_contract_table(s, "jiaokou", zone_rules(s, "jiaokou").config, frame, user)


def counts(factory) -> tuple[int, int, int]:
    with factory() as s:
        return (
            s.scalar(select(func.count()).select_from(LandContractRow)),
            s.scalar(select(func.count()).select_from(LandContractParcelRow)),
            s.scalar(
                select(func.count()).select_from(AuditEntryRow).where(AuditEntryRow.entity == "land_contract")
            ),
        )


def test_import_creates_contracts_with_committed_indicators(zone_db, tmp_path):
    assert do_import(zone_db, write_csv(tmp_path, GOOD)) == {"created": 2, "updated": 0, "unchanged": 0}
    assert counts(zone_db) == (2, 3, 2)
    with zone_db() as s:
        rows = {c.enterprise: c for c in land_contracts(s, "jiaokou")}
        yi = rows["乙公司"]
        assert [p.parcel_code for p in yi.parcels] == ["SC-0002", "SC-0003"]
        assert all(p.parcel_id is not None for p in yi.parcels)
        assert (yi.area_mu, yi.price_wan, yi.started.isoformat(), yi.investment_wan) == (
            30,
            300,
            "2022-08-01",
            2000,
        )
        assert yi.completed is None and yi.version == 1
        # no admission on these parcels: the 表6-1 targets are the committed minimums
        assert yi.committed["basis"] == "targets"
        assert yi.committed["investment_intensity_wan_per_mu"] == 200
        assert yi.committed["building_coefficient_min_pct"] == 30
        assert "表6-1" in yi.committed["source"]


def test_progress_update_is_audited_and_committed_kept(zone_db, tmp_path):
    do_import(zone_db, write_csv(tmp_path, GOOD))
    with zone_db() as s:
        first = {c.enterprise: dict(c.committed) for c in land_contracts(s, "jiaokou")}
    progress = [
        GOOD[0],
        "乙公司,SC-0003;SC-0002,30,2022-06-01,300,2022-07-01,2024-07-01,2022-08-01,2024-05-20,,6000,5800,30,",
    ]
    # a later rule edit (targets raised) must not change what was committed at signing
    frame, _ = read_table(write_csv(tmp_path, progress, "progress.csv"))
    with zone_db.begin() as s:
        cfg = zone_rules(s, "jiaokou").config
        raised = cfg.model_copy(
            update={"targets": cfg.targets.model_copy(update={"investment_intensity_wan_per_mu": 999})}
        )
        got = import_contract_table(s, "jiaokou", raised, frame, "tester")
    assert got == {"created": 0, "updated": 1, "unchanged": 1}
    with zone_db() as s:
        yi = next(c for c in land_contracts(s, "jiaokou") if c.enterprise == "乙公司")
        assert (yi.version, yi.completed.isoformat(), yi.investment_wan, yi.developed_mu) == (
            2,
            "2024-05-20",
            5800,
            30,
        )
        assert dict(yi.committed) == first["乙公司"]
        entry = s.scalar(
            select(AuditEntryRow).where(
                AuditEntryRow.entity == "land_contract", AuditEntryRow.action == "update"
            )
        )
        assert (entry.entity_id, entry.version, entry.user_name) == (str(yi.id), 2, "tester")
        assert entry.before_attrs["completed"] is None and entry.after_attrs["completed"] == "2024-05-20"
        assert (entry.before_attrs["investment_wan"], entry.after_attrs["investment_wan"]) == (2000, 5800)
        # completed, investment, developed area: 3 fields changed
        assert entry.note == "Land contract progress updated by import: 乙公司 (3 field(s) changed)"
        assert entry.note_zh == "导入更新供地合同进度：乙公司（3 项变更）"


BAD = [
    GOOD[0],  # row 2 is fine, but nothing may be written
    "丙公司,SC-9999,10,2023-01-10,100,2023-03-01,,,,,,,,",  # row 3: unknown parcel
    "丁公司,ST-0001,10,2023-13-01,100,2023-03-01,,,,,,,,",  # row 4: bad date
    "戊公司,,10,2023-01-10,-5,2023-03-01,,,,,,,,",  # row 5: no parcel, negative price
    "己公司,SC-0001,10,2023-01-10,100,2023-03-01,,,,,,,,",  # row 6: SC-0001 already on row 2
    "庚公司,ST-0001,10,2023-01-10,100,2023-03-01,,,2024-01-01,,,,,",  # row 7: completed, never started
]


def test_bad_rows_are_named_and_nothing_is_written(zone_db, tmp_path):
    with pytest.raises(SchemaError) as info:
        do_import(zone_db, write_csv(tmp_path, BAD))
    got = [(r, col, m.id) for r, col, m in info.value.problems]
    assert got == [
        (3, "地块编号", "error.land.parcel_unknown"),
        (4, "签订日期", "error.land.date"),
        (5, "地块编号", "error.land.required"),
        (5, "出让价款（万元）", "error.land.negative"),
        (6, "地块编号", "error.land.parcel_twice"),
        (7, "实际竣工日期", "error.land.needs"),
    ]
    assert info.value.problems[0][2].params["parcels"].items == ("SC-9999",)
    assert counts(zone_db) == (0, 0, 0)


def test_parcel_under_another_enterprises_contract_refuses_the_file(zone_db, tmp_path):
    do_import(zone_db, write_csv(tmp_path, GOOD))
    with pytest.raises(SchemaError) as info:
        do_import(zone_db, write_csv(tmp_path, ["辛公司,ST-0001,10,2023-01-10,100,2023-03-01,,,,,,,,",
                                                "壬公司,SC-0001,15,2023-01-10,150,2023-03-01,,,,,,,,"], "b.csv"))  # fmt: skip
    assert [(r, col, m.id) for r, col, m in info.value.problems] == [
        (3, "地块编号", "error.land.parcel_held")
    ]
    assert counts(zone_db) == (2, 3, 2)  # 辛公司 (row 2, fine) was not written either


def test_missing_required_column_and_english_headers_and_xlsx(zone_db, tmp_path):
    with pytest.raises(SchemaError, match="no column 约定开工日期"):
        do_import(zone_db, write_csv(tmp_path, ["甲,SC-0001,15,2023-01-10,150"], "a.csv",
                                     header="企业名称,地块编号,面积（亩）,签订日期,出让价款（万元）"))  # fmt: skip
    english = pd.DataFrame(
        [{"enterprise": "甲公司", "parcel_ids": "SC-0001", "area_mu": 15, "signed": "2023-01-10",
          "price_wan": 150, "agreed_start": "2023-03-01", "started": "2023-04-02"}]
    )  # fmt: skip
    english.to_excel(tmp_path / "contracts.xlsx", index=False)
    assert do_import(zone_db, tmp_path / "contracts.xlsx")["created"] == 1
    with zone_db() as s:
        (c,) = land_contracts(s, "jiaokou")
        assert (c.enterprise, c.started.isoformat(), c.agreed_completion) == ("甲公司", "2023-04-02", None)


def test_supervision_report_from_the_database(zone_db, tmp_path):
    do_import(zone_db, write_csv(tmp_path, GOOD))
    with zone_db() as s:
        cfg = zone_rules(s, "jiaokou").config
        # 甲: agreed start 2023-03-01, not started → idle from 2024-03-01 (fee 20 % × 150 = 30 万元);
        # 乙: started 2022-08-01, not completed → clearance list from 2024-08-01.
        report = supervision_report(s, "jiaokou", cfg, pd.Timestamp("2024-08-01").date())
    assert report["as_of"] == "2024-08-01"
    assert [
        (c["enterprise"], c["rule"], c["since"], c["days_overdue"], c["fee_wan"]) for c in report["cases"]
    ] == [
        ("乙公司", "not_completed", "2024-08-01", 0, None),
        ("甲公司", "idle_not_started", "2024-03-01", 153, 30.0),
    ]


@pytest.mark.parametrize("backend", ["spatialite"], indirect=True)
def test_cli_land_import_and_supervise_json(zone_db, db_url, tmp_path):
    env = {"PARKSITE_DATABASE_URL": db_url}
    run = CliRunner().invoke
    bad = run(cli, ["--lang", "en", "land", "import", str(write_csv(tmp_path, BAD))], env=env)
    assert isinstance(bad.exception, SchemaError)  # main() prints error_line(exc) and exits
    line = error_line(bad.exception, "en")
    assert "row 3, column “地块编号”: the database has no parcel SC-9999" in line
    assert "row 5, column “出让价款（万元）”: “-5” is negative" in line
    assert "nothing was imported" in line
    ok = run(cli, ["--lang", "en", "land", "import", str(write_csv(tmp_path, GOOD, "good.csv"))], env=env)
    assert ok.exit_code == 0, ok.output
    assert "2 new, 0 updated, 0 unchanged" in ok.output
    r = run(cli, ["supervise", "--as-of", "2025-03-01", "--json"], env=env)
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert list(data) == ["as_of", "cases"]
    assert data["as_of"] == "2025-03-01"
    keys = ["enterprise", "parcel_ids", "rule", "status", "since", "days_overdue", "action", "fee_wan",
            "next_deadline", "source"]  # fmt: skip
    assert all(list(c) == keys for c in data["cases"])
    # 乙 started 2022-08-01: not completed from 2024-08-01; 甲 not started 2023-03-01 + 2 years: take-back
    assert [
        (c["enterprise"], c["parcel_ids"], c["rule"], c["days_overdue"], c["next_deadline"])
        for c in data["cases"]
    ] == [
        ("乙公司", ["SC-0002", "SC-0003"], "not_completed", 212, "2025-08-01"),
        ("甲公司", ["SC-0001"], "idle_takeback", 0, None),
    ]
    text = run(cli, ["--lang", "en", "supervise", "--as-of", "2025-03-01"], env=env)
    assert text.exit_code == 0 and "Propose taking the land back" in text.output
    bad_day = run(cli, ["supervise", "--as-of", "2025-02-30"], env=env)
    assert bad_day.exit_code == 2


def test_committed_indicators_come_from_the_admission_on_the_parcels(zone_db, tmp_path):
    """A project admitted on SC-0001 (6 亿元 investment, 15 亿元/年 output, 3 000 万元/年 tax on
    200 亩: 300, 750 and 15 万元/亩; 铝镁新材料 → 表9-6 minimums 250 and 200 万元/亩) is what a
    contract on SC-0001 commits to."""
    from app.db.models import AdmissionParcelRow, ProjectAdmissionRow
    from app.db.records import add_project
    from app.db.users import add_user
    from scoring.project import Project

    spec = Project(
        name="铝基新材料项目",
        industry="铝镁新材料",
        branch="铝基新材料",
        investment_wan=60_000,
        output_wan=150_000,
        tax_wan=3_000,
        land_mu=200,
    )
    with zone_db.begin() as s:
        manager = add_user(s, "m", "manager", "password1")
        project = add_project(s, "jiaokou", spec, manager)
        admission = ProjectAdmissionRow(
            project_id=project.id, zone_id="jiaokou", park="shuangchi", verdict="pass", admitted_by="m"
        )
        admission.parcels = [AdmissionParcelRow(parcel_code="SC-0001")]
        s.add(admission)
        project_id = project.id
    do_import(zone_db, write_csv(tmp_path, GOOD))
    with zone_db() as s:
        jia = next(c for c in land_contracts(s, "jiaokou") if c.enterprise == "甲公司")
        c = jia.committed
    assert (c["basis"], c["project_id"], c["industry"]) == ("admission", project_id, "铝镁新材料")
    assert (c["project_investment_intensity_wan_per_mu"], c["project_output_intensity_wan_per_mu"]) == (
        300,
        750,
    )
    assert c["project_tax_per_mu_wan"] == 15
    assert (c["investment_intensity_wan_per_mu"], c["output_intensity_wan_per_mu"]) == (250, 200)
    assert "表9-6" in c["source"]


def test_sample_contracts_one_idle_one_overdue_one_on_time():
    """The illustrative contracts, dated from 2026-12-07: idle since 2026-10-08 (agreed start
    2025-10-08 = 2025-12-07 − 60 days), not completed since 2026-09-08 (started 2024-09-08 =
    2024-12-07 − 90 days), the third started 2026-05-21 (200 days before) and on time."""
    import datetime as dt

    from app.sample.contracts import sample_contract_table
    from scoring.land_contracts import parse_contracts
    from scoring.supervision import LandContract, supervise
    from scoring.zone import load_zone

    day = dt.date(2026, 12, 7)
    parcels = [("SC-0001", 15.0), ("SC-0003", 10.0), ("ST-0001", 20.0)]
    table = sample_contract_table(parcels, day)
    assert table.equals(sample_contract_table(parcels, day))  # deterministic
    records = parse_contracts(table, {p for p, _ in parcels})
    skip = {"floor_area_m2", "footprint_m2"}  # not read by the rules
    contracts = [
        LandContract(
            enterprise=r.enterprise,
            parcel_ids=r.parcel_ids,
            **{k: v for k, v in r.values.items() if k not in skip},
        )
        for r in records
    ]
    rules = load_zone("data/zones/jiaokou.yaml").supervision
    cases = supervise(contracts, rules, day)
    assert [(c.enterprise, c.rule, c.since.isoformat(), c.days_overdue) for c in cases] == [
        ("示例闲置企业（虚构）", "idle_not_started", "2026-10-08", 60),
        ("示例逾期企业（虚构）", "not_completed", "2026-09-08", 90),
    ]
    assert cases[0].fee_wan == pytest.approx(15 * 12 * 0.2)  # price 12 万元/亩 × 15 亩, fee 20 %
    assert records[2].values["started"] == dt.date(2026, 5, 21)
