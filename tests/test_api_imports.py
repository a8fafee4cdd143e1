"""``/api/v1/imports``: the 交城 zone's own files uploaded by an admin, dry-run (report in the
asked language, problems as GeoJSON in lon/lat), dry-run again with an edited mapping, then
imported all or nothing; others may not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from app.db.engine import make_engine, session_factory
from app.db.layers import load_layer
from app.db.users import add_user
from tests.api_fixtures import PASSWORD, auth, make_client
from tests.own_data import MAPPING, STATUS, write_zone_files

JIAOCHENG = Path(__file__).parent / "data" / "zones" / "jiaocheng.yaml"


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    return write_zone_files(tmp_path_factory.mktemp("jiaocheng"))


@pytest.fixture
def client(db_url, tmp_path):
    engine = make_engine(db_url)
    with session_factory(engine)() as s, s.begin():
        for role in ("manager", "admin"):
            add_user(s, role, role, PASSWORD, by="test")
    engine.dispose()
    with make_client(db_url, tmp_path / "state", zone_file=JIAOCHENG) as c:
        yield c


def _uploads(files: dict[str, Path]) -> list[tuple[str, tuple[str, bytes]]]:
    names = ["dxf", "ledger", "clusters"]
    paths = [files[n] for n in names] + [
        files["parks"].with_suffix(s) for s in (".shp", ".shx", ".dbf", ".prj")
    ]
    paths += [files["dltb"].with_suffix(s) for s in (".shp", ".shx", ".dbf", ".prj")]
    paths += sorted(p for k, p in files.items() if k.startswith("tile"))
    return [("files", (p.name, p.read_bytes())) for p in paths]


def test_upload_dry_run_edit_and_import(client, files, db_url):
    headers = {**auth(client, "admin"), "Accept-Language": "en"}
    no_crs = MAPPING.replace("    crs: EPSG:4525\n", "")
    r = client.post("/api/v1/imports", files=_uploads(files), data={"mapping": no_crs}, headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    upload_id, report = body["upload_id"], body["report"]
    assert not report["ok"] and "控规地块.dxf" in body["files"] and "mapping.yaml" in body["files"]
    missing = next(i for i in report["items"] if i["id"] == "import.crs.missing")
    assert "pass --crs EPSG:4525" in missing["text"] and "/imports/" not in missing["text"]

    r = client.post(f"/api/v1/imports/{upload_id}/dry-run", data={"mapping": no_crs, "crs": "EPSG:4525"},
                    headers={**headers, "Accept-Language": "zh"})  # fmt: skip
    report = r.json()["report"]
    assert r.status_code == 200 and report["ok"], report
    assert any(s["title"] == "图层：地块" for s in report["sections"])
    assert report["counts"] == {"parks": 1, "clusters": 1, "parcels": 6}

    assert (
        client.post(
            f"/api/v1/imports/{upload_id}/import", data={"crs": "EPSG:4525"}, headers=auth(client, "manager")
        ).status_code
        == 403
    )
    r = client.post(f"/api/v1/imports/{upload_id}/import", data={"crs": "EPSG:4525"}, headers=headers)
    assert r.status_code == 200, r.text
    imported = r.json()["imported"]
    assert (imported["zone_id"], imported["action"]) == ("jiaocheng", "created")
    assert {k: imported["counts"][k] for k in ("parks", "clusters", "parcels", "dems")} == {
        "parks": 1,
        "clusters": 1,
        "parcels": 6,
        "dems": 1,
    }
    engine = make_engine(db_url)
    with session_factory(engine)() as s:
        parcels = load_layer(s, "jiaocheng", "parcels").set_index("parcel_id")
        assert parcels["status"].to_dict() == STATUS
    engine.dispose()
    again = client.post(f"/api/v1/imports/{upload_id}/import", data={"crs": "EPSG:4525"}, headers=headers)
    assert again.status_code == 409  # the zone is there: replace it explicitly
    replaced = client.post(
        f"/api/v1/imports/{upload_id}/import", data={"crs": "EPSG:4525", "replace": "true"}, headers=headers
    )
    assert replaced.status_code == 200 and replaced.json()["imported"]["action"] == "replaced"


def test_uploads_are_for_admins_and_only_known_files(client, files):
    up = _uploads(files)[:1]
    assert client.post("/api/v1/imports", files=up).status_code == 401
    assert client.post("/api/v1/imports", files=up, headers=auth(client, "manager")).status_code == 403
    bad = client.post(
        "/api/v1/imports", files=[("files", ("../evil.sh", b"#!"))], headers=auth(client, "admin")
    )
    assert bad.status_code == 400 and "is not a file parksite imports" in bad.json()["message"]
    assert (
        client.post("/api/v1/imports/" + "0" * 32 + "/dry-run", headers=auth(client, "admin")).status_code
        == 404
    )


def test_the_field_table_and_its_choices(client, files):
    headers = {**auth(client, "admin"), "Accept-Language": "zh"}
    r = client.post("/api/v1/imports", files=_uploads(files), data={"mapping": MAPPING}, headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    parcels = body["fields"]["parcels"]
    # the DXF's label, the ledger's columns (joined) and the DLTB code (overlaid) are on offer
    assert {"label", "权利人", "投资额", "DLBM"} <= set(parcels["sources"])
    rows = {row["field"]: row for row in parcels["targets"]}
    assert (rows["enterprise"]["source"], rows["status"]["how"], rows["park"]["how"]) == (
        "权利人",
        "codes",
        "value",
    )
    assert body["fields"]["parks"]["targets"][0] == {
        "field": "park_id", "required": True, "source": "园区代码", "how": "field", "value": None,
    }  # fmt: skip

    # enterprise left empty, the parks' English name from 园区名称: written into the mapping
    choices = {"parcels": {"enterprise": ""}, "parks": {"name_en": "园区名称"}}
    r = client.post(
        f"/api/v1/imports/{body['upload_id']}/dry-run", data={"choices": json.dumps(choices)}, headers=headers
    )
    assert r.status_code == 200, r.text
    again = r.json()
    written = yaml.safe_load(again["mapping"])["layers"]
    assert "enterprise" not in written["parcels"]["fields"]
    assert written["parks"]["fields"] == {"park_id": "园区代码", "name": "园区名称", "name_en": "园区名称"}
    assert written["parcels"]["fields"]["status"] == {"field": "DLBM", "codes": "dlbm", "take": "status"}
    rows = {row["field"]: row for row in again["fields"]["parcels"]["targets"]}
    assert rows["enterprise"]["source"] is None
    unmapped = [i["text"] for i in again["report"]["items"] if i["id"] == "import.field.unmapped"]
    assert any("权利人" in t for t in unmapped)  # the field no longer used is reported as such
    assert again["report"]["ok"]

    bad = client.post(
        f"/api/v1/imports/{body['upload_id']}/dry-run",
        data={"choices": json.dumps({"parcels": {"colour": "权利人"}})},
        headers=headers,
    )
    assert bad.status_code == 422 and bad.json()["message"] == "colour 不是图层 parcels 的字段"
    bad = client.post(f"/api/v1/imports/{body['upload_id']}/dry-run", data={"choices": "[1"}, headers=headers)
    assert bad.status_code == 422 and "JSON" in bad.json()["message"]
