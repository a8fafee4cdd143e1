"""One truth: with ``PARKSITE_DATABASE_URL`` set, ``parksite check`` and ``recommend`` read the
database the API writes — an admission registered through the API takes its parcel and draws its
demand from the spare capacity the command line sees.

The synthetic zone (tests/api_fixtures.py): 双池岩溶水井 2000 − 1200 = 800 m³/d spare, 双池110kV
变电站 100 − 60 = 40 MVA. Project A takes 500 m³/d and 30 MVA on SC-0001, so afterwards B sees
800 − 500 = 300 m³/d of water and 10 MVA of power (its 15 MVA fail).
"""

from __future__ import annotations

import csv
import json

from typer.testing import CliRunner

from app.cli import cli
from tests.api_fixtures import auth
from tests.test_api_admission import REASON, A, B, rules


def cli_json(url: str, tmp_path, *args: str) -> dict:
    """Run ``parksite ARGS --json`` against database ``url``; return the parsed output."""
    r = CliRunner().invoke(cli, [*args, "--json", "--lang", "en"], env={"PARKSITE_DATABASE_URL": url})
    assert r.exit_code == 0, (r.output, r.exception)
    return json.loads(r.output)


def test_an_admission_made_through_the_api_is_seen_by_the_cli(client, fresh_db, tmp_path):
    a_file, b_file = tmp_path / "a.json", tmp_path / "b.json"
    a_file.write_text(json.dumps(A, ensure_ascii=False), encoding="utf-8")
    b_file.write_text(json.dumps(B, ensure_ascii=False), encoding="utf-8")

    before = rules(cli_json(fresh_db, tmp_path, "check", "--parcel", "SC-101", "--project", str(b_file)))
    assert (before["water_supply"]["threshold"], before["power_capacity"]["threshold"]) == (800.0, 40.0)
    assert before["power_capacity"]["status"] == "pass"

    saved = client.post(
        "/api/v1/projects", json={"parcel_id": "SC-0001", "project": A}, headers=auth(client, "manager")
    )
    assert saved.status_code == 201, saved.text
    r = client.post(
        f"/api/v1/projects/{saved.json()['id']}/admission",
        json={"parcel_ids": ["SC-0001"], "reason": REASON},
        headers=auth(client, "manager"),
    )
    assert r.status_code == 200, r.text

    after_out = cli_json(fresh_db, tmp_path, "check", "--parcel", "SC-101", "--project", str(b_file))
    after = rules(after_out)
    assert after["water_supply"]["threshold"] == 300.0  # 800 − 500 m³/d
    assert (after["power_capacity"]["status"], after["power_capacity"]["threshold"]) == ("fail", 10.0)
    api_out = client.post(
        "/api/v1/check",
        json={"parcel_id": "SC-101", "project": B, "lang": "en"},
        headers=auth(client, "viewer"),
    ).json()
    api = rules(api_out)
    # one land basis: the CLI cuts it from the database's layers as the API does
    assert after_out["land"] == {k: v for k, v in api_out["land"].items() if k != "geometry"}
    assert after_out["land"]["computed_from"] == "geometry"
    assert {k: (v["status"], v["value"], v["threshold"]) for k, v in after.items()} == {
        k: (v["status"], v["value"], v["threshold"]) for k, v in api.items()
    }
    taken = rules(cli_json(fresh_db, tmp_path, "check", "--parcel", "SC-0001", "--project", str(b_file)))[
        "parcel_vacant"
    ]
    assert taken["status"] == "fail" and "项目A" in taken["message"]
    rec = cli_json(fresh_db, tmp_path, "recommend", "--project", str(b_file))
    assert rec["candidates"] == []  # no site for B's 15 MVA while A holds 30 of 40

    r = client.delete(f"/api/v1/projects/{saved.json()['id']}/admission", headers=auth(client, "manager"))
    assert r.status_code == 200, r.text
    back = rules(cli_json(fresh_db, tmp_path, "check", "--parcel", "SC-101", "--project", str(b_file)))
    assert (back["water_supply"]["threshold"], back["power_capacity"]["status"]) == (800.0, "pass")


def test_the_register_from_the_command_line(client, fresh_db, tmp_path):
    run = CliRunner().invoke
    env = {"PARKSITE_DATABASE_URL": fresh_db}
    saved = client.post(
        "/api/v1/projects", json={"parcel_id": "SC-0001", "project": A}, headers=auth(client, "manager")
    ).json()
    client.post("/api/v1/projects", json={"project": B}, headers=auth(client, "manager"))
    r = run(cli, ["projects", "list", "--json"], env=env)
    assert r.exit_code == 0, r.output
    assert [(p["name"], p["status"]) for p in json.loads(r.output)] == [
        ("项目B", "negotiating"),
        ("项目A", "reviewed"),
    ]

    pid = str(saved["id"])
    r = run(cli, ["projects", "admit", pid, "--parcels", "SC-0001", "--reason", REASON], env=env, input="n\n")
    assert r.exit_code != 0 and "admit 项目A" in r.output  # asked, declined: nothing admitted
    r = run(cli, ["projects", "admit", pid, "--parcels", "SC-0001", "--yes"], env=env)
    assert r.exit_code != 0 and r.exception.code == "reason_required"  # its check says review
    r = run(cli, ["projects", "admit", pid, "--parcels", "SC-0001", "--reason", REASON, "--yes"], env=env)
    assert r.exit_code == 0, (r.output, r.exception)
    r = run(cli, ["projects", "list", "--status", "admitted", "--json"], env=env)
    ((row,),) = [json.loads(r.output)]
    assert (row["name"], row["parcel_ids"], row["water_m3_per_day"]) == ("项目A", ["SC-0001"], 500)
    assert (
        client.get(f"/api/v1/projects/{pid}", headers=auth(client, "viewer"))
        .json()["admission"]["admitted_by"]
        .startswith("cli")
    )

    r = run(cli, ["projects", "revoke", pid, "--reason", "企业放弃"], env=env)
    assert r.exit_code == 0 and "SC-0001" in r.output, r.output
    assert client.get(f"/api/v1/projects/{pid}", headers=auth(client, "viewer")).json()["status"] == "revoked"
    r = run(cli, ["projects", "list", "--status", "admitted"], env=env)
    assert r.exit_code == 0 and "项目A" not in r.output


def test_standard_land_and_plan_report_read_the_database(client, fresh_db, tmp_path):
    """``parksite standard-land`` and ``plan-report`` with ``PARKSITE_DATABASE_URL`` see a cluster
    edited on the map and a parcel taken by an admission, as the API does."""
    # a planner narrows 智能制造及资源综合利用组团 to 智能铸造 on the map
    tag = client.get("/api/v1/clusters/sc-smart", headers=auth(client, "viewer")).headers["ETag"]
    r = client.put(
        "/api/v1/clusters/sc-smart",
        json={"admits": [{"industry": "智能制造产业", "branches": ["智能铸造"]}]},
        headers={**auth(client, "planner"), "If-Match": tag},
    )
    assert r.status_code == 200, r.text
    sheet = cli_json(fresh_db, tmp_path, "standard-land", "--parcel", "SC-106")
    assert [(x["industry"], x["branches"]) for x in sheet["industries"]] == [("智能制造产业", ["智能铸造"])]
    api = client.get(
        "/api/v1/parcels/SC-106/standard-land", params={"lang": "en"}, headers=auth(client, "viewer")
    ).json()
    assert sheet["industries"] == api["industries"]

    def best_sites() -> set[str]:
        out = tmp_path / "plan.csv"
        r = CliRunner().invoke(
            cli, ["plan-report", "--out", str(out), "--lang", "en"], env={"PARKSITE_DATABASE_URL": fresh_db}
        )
        assert r.exit_code == 0, (r.output, r.exception)
        with out.open(encoding="utf-8-sig") as fh:
            rows = list(csv.DictReader(fh))
        assert len(rows) == 47
        return {
            pid for row in rows for site in row["Best sites"].split("; ") if site for pid in site.split("+")
        }

    assert "SC-101" in best_sites()
    saved = client.post(
        "/api/v1/projects", json={"parcel_id": "SC-101", "project": B}, headers=auth(client, "manager")
    )
    assert saved.status_code == 201, saved.text
    r = client.post(
        f"/api/v1/projects/{saved.json()['id']}/admission",
        json={"parcel_ids": ["SC-101"], "reason": REASON},
        headers=auth(client, "manager"),
    )
    assert r.status_code == 200, r.text
    assert "SC-101" not in best_sites()  # taken by the admitted project
