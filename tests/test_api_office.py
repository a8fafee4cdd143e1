"""A whole office at once (issue 20): gzip on large responses, ETags and 304s for the static
layers (invalidated by an edit), versioned static files cached as immutable, ``serve --workers``
(parsed, passed to uvicorn, and a real two-worker server answering) and the load script."""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.api_fixtures import PASSWORD, RunCalls, auth

ROOT = Path(__file__).resolve().parents[1]

pytest_plugins = ["tests.api_fixtures"]


def test_large_json_and_static_files_are_gzipped_when_asked(ro_client):
    r = ro_client.get("/api/v1/parcels", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200 and r.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in r.headers["vary"].lower()
    assert len(r.content) > 1024  # decoded by httpx: the whole collection
    assert r.json()["type"] == "FeatureCollection"
    raw = ro_client.get("/api/v1/parcels", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in raw.headers and raw.content == r.content
    page = ro_client.get("/", headers={"Accept-Encoding": "gzip"})
    assert page.headers["content-encoding"] == "gzip"
    js = ro_client.get("/static/js/map.js", headers={"Accept-Encoding": "gzip"})
    assert js.status_code == 200 and js.headers["content-encoding"] == "gzip"


def test_small_answers_and_png_tiles_are_not_gzipped(ro_client):
    r = ro_client.get("/i18n/xx.json", headers={"Accept-Encoding": "gzip"})  # 404, empty
    assert "content-encoding" not in r.headers
    tile = ro_client.get("/api/v1/tiles/hillshade/12/3325/1598.png", headers={"Accept-Encoding": "gzip"})
    assert tile.headers["content-type"] == "image/png" and "content-encoding" not in tile.headers


def test_versioned_static_urls_are_immutable_others_revalidated(ro_client):
    from app.web.pages import asset_version

    v = asset_version()
    current = ro_client.get(f"/static/js/map.js?v={v}")
    assert current.headers["cache-control"] == "public, max-age=31536000, immutable"
    old = ro_client.get("/static/js/map.js?v=0000000000")
    assert old.headers["cache-control"] == "no-cache"
    again = ro_client.get("/static/js/map.js", headers={"If-None-Match": old.headers["etag"]})
    assert again.status_code == 304


@pytest.mark.parametrize("path", ["/api/v1/parks", "/api/v1/clusters", "/api/v1/layers/roads"])
def test_static_layers_answer_304_until_an_edit(client, path):
    client.app.state.api.versions.ttl_s = 3600  # the version kept for an hour: only the edit moves it
    first = client.get(path)
    tag = first.headers["etag"]
    assert first.status_code == 200 and tag.startswith('"L-') and first.headers["cache-control"] == "no-cache"
    same = client.get(path, headers={"If-None-Match": tag})
    assert same.status_code == 304 and same.content == b"" and same.headers["etag"] == tag
    other_lang = client.get(path, headers={"If-None-Match": tag, "Accept-Language": "en"})
    assert other_lang.status_code == 200 and other_lang.headers["etag"] != tag
    # an edit (a cluster renamed) moves the data version: every static layer is sent again
    cluster_tag = client.get("/api/v1/clusters/sc-almg").headers["etag"]
    headers = auth(client, "planner") | {"If-Match": cluster_tag}
    edit = client.put("/api/v1/clusters/sc-almg", json={"name": "铝镁新材料组团（改）"}, headers=headers)
    assert edit.status_code == 200, edit.text
    after = client.get(path, headers={"If-None-Match": tag})
    assert after.status_code == 200 and after.headers["etag"] != tag
    if path == "/api/v1/clusters":
        names = {f["id"]: f["properties"]["name"] for f in after.json()["features"]}
        assert names["sc-almg"] == "铝镁新材料组团（改）"
    assert client.get(path, headers={"If-None-Match": after.headers["etag"]}).status_code == 304


def test_other_reads_carry_no_layer_etag(ro_client):
    r = ro_client.get("/api/v1/zone")
    assert r.status_code == 200 and not r.headers.get("etag", "").startswith('"L-')


def test_workers_option_is_passed_to_uvicorn(monkeypatch, tmp_path, empty_db_url, backend):
    import typer
    import uvicorn
    from typer.testing import CliRunner

    import app.commands.serve as serve
    from app.settings import get_settings
    from tests.api_fixtures import write_api_zone

    calls = RunCalls()
    monkeypatch.setattr(uvicorn, "run", calls)
    monkeypatch.setattr(serve, "sample_sources", lambda: write_api_zone(tmp_path / "sample"))
    monkeypatch.setenv("PARKSITE_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("PARKSITE_RECOVER_ON_START", "1")  # restored after the test
    monkeypatch.setenv("PARKSITE_DATABASE_URL", empty_db_url)
    get_settings.cache_clear()
    cli = typer.Typer()
    serve.register(cli)
    cli.command("noop")(lambda: None)
    try:
        result = CliRunner().invoke(cli, ["serve", "--workers", "3", "--port", "8124"])
        assert result.exit_code == 0, result.output
        assert "with 3 worker processes" in result.output
        ((args, kwargs),) = calls
        assert args == ("app.api.factory:create_app",) and kwargs["factory"] is True
        assert (kwargs["workers"], kwargs["port"], kwargs["reload"]) == (3, 8124, False)
        assert calls.env[0]["PARKSITE_RECOVER_ON_START"] == "0"  # the workers never mark jobs again
        assert os.environ["PARKSITE_RECOVER_ON_START"] == "1"  # set for the workers only
        # without --workers: min(4, CPUs) on PostGIS (the throttle's counts are in the database),
        # one process on SpatiaLite (one database file, best written by one process)
        monkeypatch.delenv("PARKSITE_WORKERS", raising=False)
        monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: set(range(16)))
        get_settings.cache_clear()
        default = CliRunner().invoke(cli, ["serve", "--port", "8125"])
        assert default.exit_code == 0, default.output
        if backend == "postgis":
            assert "with 4 worker processes" in default.output and calls[-1][1]["workers"] == 4
        else:
            assert "with 1 worker process " in default.output and calls[-1][1].get("workers") in (None, 1)
        monkeypatch.setenv("PARKSITE_WORKERS", "2")  # the environment decides when no option does
        get_settings.cache_clear()
        env = CliRunner().invoke(cli, ["serve", "--port", "8126"])
        assert "with 2 worker processes" in env.output and calls[-1][1]["workers"] == 2
        bad = CliRunner().invoke(cli, ["serve", "--workers", "0"])
        assert bad.exit_code == 2 and "workers" in bad.output.lower()
    finally:
        get_settings.cache_clear()


def test_default_workers_is_min_4_and_cpus_on_postgis_and_1_on_spatialite(monkeypatch):
    from app.commands.serve import default_workers

    pg, lite = "postgresql+psycopg://u@h:5432/db", "sqlite:///var/parksite.sqlite"
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: set(range(16)))
    assert (default_workers(pg), default_workers(lite)) == (4, 1)
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0, 1})
    assert (default_workers(pg), default_workers(lite)) == (2, 1)
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0})
    assert (default_workers(pg), default_workers(lite)) == (1, 1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _load_script():
    spec = importlib.util.spec_from_file_location("load_office", ROOT / "benchmarks" / "load_office.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["load_office"] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("backend", ["spatialite"])
def test_two_worker_server_answers_and_the_load_script_runs(fresh_db, tmp_path):
    """A real ``parksite serve --workers 2`` on the test zone: two processes answer, and the
    load script runs 2 s against it with no errors."""
    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PARKSITE_STATE_DIR": str(tmp_path / "state"),
        "PARKSITE_SECRET_KEY": "k" * 48,
    }
    cmd = [
        sys.executable,
        "-m",
        "app.cli",
        "serve",
        "--workers",
        "2",
        "--port",
        str(port),
        "--database-url",
        fresh_db,
    ]
    log = open(tmp_path / "serve.log", "w")
    proc = subprocess.Popen(
        cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        pids: set[int] = set()
        while time.monotonic() < deadline and len(pids) < 2:
            try:
                with httpx.Client(base_url=url, timeout=5) as c:
                    r = c.get("/api/v1/zone")
                    if r.status_code == 200:
                        pids |= set(_worker_pids(proc.pid))
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        assert len(pids) == 2, (tmp_path / "serve.log").read_text()
        load = _load_script()
        target = load.discover(url, "viewer", PASSWORD)
        assert target.can_check and len(target.parcel_ids) >= 20
        report = load.run_load(url, 2, 2.0, target=target)
        assert report["requests"] > 0 and report["errors"] == 0, report
        assert set(report["endpoints"]) == {"parcels_bbox", "parcel_detail", "tiles", "ogc_items", "check"}
        assert all(e["p95_ms"] is None or e["p95_ms"] >= e["p50_ms"] for e in report["endpoints"].values())
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=30)
        log.close()


def _worker_pids(parent: int) -> list[int]:
    """Return the pids of the server's worker processes (children of the uvicorn supervisor)."""
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(parent)], capture_output=True, text=True).stdout
    kids = [int(p) for p in out.split()]
    return [
        k for k in kids if "spawn_main" in Path(f"/proc/{k}/cmdline").read_bytes().decode(errors="replace")
    ]


def test_load_script_counts_percentiles_by_hand():
    load = _load_script()
    assert load._pct([5.0, 1.0, 3.0, 2.0, 4.0], 0.5) == 3.0
    assert load._pct([float(v) for v in range(1, 101)], 0.95) == 95.0
    assert load._pct([], 0.5) is None
    # lon 111.0005° → x = (111.0005 + 180) / 360 · 4096 = 3310.9; lat 37.0005° → y = 1594.x
    assert load.tiles_covering((111.0, 37.0, 111.001, 37.001), range(12, 13)) == [(12, 3310, 1594)]
    assert len(load.tiles_covering((111.0, 37.0, 111.001, 37.001), range(12, 16))) == 4
