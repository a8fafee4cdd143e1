"""The warm-up at worker start (issue 20, ``app.api.warmup``): the zone's measuring context and
its rules and admission state built in a background thread as the app starts, so that the first
check, terrain tile and parcel after a restart build nothing; a request arriving meanwhile waits
for the same build (never a second one); a failing warm-up is logged and the worker serves; off,
nothing is built at start; ``GET /api/v1/health`` says how far it got; a real ``parksite serve
--workers 2`` warms both workers.

Builds are counted where they happen: the process's context builds
(:func:`app.api.scores.context_builds`), :meth:`scoring.context.ZoneContext.build` wrapped to
count its calls (the real one runs), the data-version memo's builds per key
(``DataVersionCache.builds``). The measuring context is cached per process across apps, so each
test forgets it first (:func:`app.api.scores.forget_contexts`).
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api_fixtures import ZONE_ID, auth, make_client
from tests.conftest import X0, Y0
from tests.test_api_checks import PROJECT
from tests.test_api_office import _free_port
from tests.test_api_tiles import tile_and_pixel

ROOT = Path(__file__).resolve().parents[1]
STEPS = ["zone_context", "zone_memo"]
MEMO_KEYS = [("served_zone",), ("rules", ZONE_ID), ("admission", ZONE_ID)]


def hillshade_url() -> str:
    """A hillshade tile over the test zone's DEM (zoom 16)."""
    tx, ty, _, _ = tile_and_pixel(X0 + 300, Y0 + 300, 16)
    return f"/api/v1/tiles/hillshade/16/{tx}/{ty}.png"


def wait_warm(client: Any, timeout: float = 120.0) -> dict[str, Any]:
    """Poll ``/api/v1/health`` until the warm-up has ended; return the last answer."""
    deadline = time.monotonic() + timeout
    while True:
        r = client.get("/api/v1/health")
        assert r.status_code == 200, r.text
        body = r.json()
        if body["warm_up"]["state"] == "done" or time.monotonic() > deadline:
            return body
        time.sleep(0.05)


class CountedBuild:
    """``ZoneContext.build`` wrapped: counts calls, optionally holds each call until released
    (the real build then runs)."""

    def __init__(self, real: Callable[..., Any], hold: bool = False):
        self.real = real
        self.calls = 0
        self.hold = hold
        self.entered = threading.Event()
        self.release = threading.Event()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        self.entered.set()
        if self.hold:
            assert self.release.wait(60), "the test never released the build"
        return self.real(*args, **kwargs)


def count_context_builds(monkeypatch: pytest.MonkeyPatch, hold: bool = False) -> CountedBuild:
    from scoring.context import ZoneContext

    counted = CountedBuild(ZoneContext.build, hold=hold)
    monkeypatch.setattr(ZoneContext, "build", counted)
    return counted


def test_warm_start_builds_what_the_first_requests_need(backend, fresh_db, tmp_path, monkeypatch):
    from app.api.scores import context_builds, forget_contexts

    forget_contexts()
    counted = count_context_builds(monkeypatch)
    before = context_builds()
    with make_client(fresh_db, tmp_path / "state", warm_on_start=True) as client:
        health = wait_warm(client)
        assert health["status"] == "ok" and health["pid"] == os.getpid()
        assert health["warm"] is True and health["warm_up"]["enabled"] is True, health
        steps = health["warm_up"]["steps"]
        assert [s["name"] for s in steps] == STEPS and all(s["status"] == "done" for s in steps)
        assert all(s["seconds"] > 0 for s in steps) and health["warm_up"]["seconds"] >= sum(
            s["seconds"] for s in steps
        )
        assert steps[0]["built"] == {"zone": ZONE_ID} and steps[1]["built"]["zone"] == ZONE_ID
        versions = client.app.state.api.versions
        assert steps[1]["built"]["data_version"] == versions.read()
        assert counted.calls == 1 and context_builds() == before + 1
        assert {k: versions.builds[k] for k in MEMO_KEYS} == dict.fromkeys(MEMO_KEYS, 1)

        # the first check, hillshade tile, parcel detail and vector tile build nothing
        check = client.post(
            "/api/v1/check",
            json={"parcel_id": "SC-0001", "project": PROJECT},
            headers=auth(client, "viewer"),
        )
        assert check.status_code == 200, check.text
        assert check.json()["land"]["parcel_mu"] > 0  # the land basis, cut from the context
        tile = client.get(hillshade_url())
        assert tile.status_code == 200 and tile.headers["content-type"] == "image/png"
        assert client.get("/api/v1/parcels/SC-0001").status_code == 200
        mvt = client.get(hillshade_url().replace("hillshade", "parcels").replace(".png", ".mvt"))
        assert mvt.status_code == 200
        assert counted.calls == 1 and context_builds() == before + 1
        assert {k: versions.builds[k] for k in MEMO_KEYS} == dict.fromkeys(MEMO_KEYS, 1)


@pytest.mark.parametrize("held", ["context", "memo"])
def test_a_request_during_warm_up_waits_for_the_same_build(backend, fresh_db, tmp_path, monkeypatch, held):
    """The warm-up is held inside one build; a request needing the same value arrives, waits
    (it does not build a second one), and is answered once the build is released."""
    import app.api.zone_memo as zone_memo
    from app.api.scores import context_builds, forget_contexts

    forget_contexts()
    counted = count_context_builds(monkeypatch, hold=held == "context")
    real_admission = zone_memo.admission_context
    admission = CountedBuild(real_admission, hold=held == "memo")
    monkeypatch.setattr(zone_memo, "admission_context", admission)
    gate = counted if held == "context" else admission
    before = context_builds()
    with make_client(fresh_db, tmp_path / "state", warm_on_start=True) as client:
        assert gate.entered.wait(60), "the warm-up never reached the build"
        health = client.get("/api/v1/health").json()  # answered while the warm-up is held
        running = {s["name"]: s["status"] for s in health["warm_up"]["steps"]}
        assert health["warm"] is False and health["warm_up"]["state"] == "running"
        assert running == (
            {"zone_context": "running", "zone_memo": "pending"}
            if held == "context"
            else {"zone_context": "done", "zone_memo": "running"}
        )
        answers: dict[str, Any] = {}

        def ask() -> None:
            if held == "context":
                answers["r"] = client.get(hillshade_url())
            else:
                answers["r"] = client.post(
                    "/api/v1/check",
                    json={"parcel_id": "SC-0001", "project": PROJECT},
                    headers=auth(client, "viewer"),
                )

        request = threading.Thread(target=ask)
        request.start()
        request.join(1.0)
        assert request.is_alive(), "the request did not wait for the warm-up's build"
        gate.release.set()
        request.join(60)
        assert not request.is_alive() and answers["r"].status_code == 200, answers
        assert wait_warm(client)["warm"] is True
        assert counted.calls == 1 and context_builds() == before + 1
        assert admission.calls == 1
        assert client.app.state.api.versions.builds[("admission", ZONE_ID)] == 1


def test_a_failing_warm_up_is_logged_and_the_worker_serves(backend, fresh_db, tmp_path, caplog):
    """A zone whose DEM file is missing: the context step fails and says why (logged, in the
    health report), the admission state is still built, every other request is answered, and
    once the DEM is back the context is built on first use as before."""
    from sqlalchemy import select, update

    from app.api.scores import context_builds, forget_contexts
    from app.db.engine import make_engine, session_factory
    from app.db.models import RasterRefRow

    forget_contexts()
    engine = make_engine(fresh_db)
    try:
        with session_factory(engine).begin() as s:
            (real_path,) = s.scalars(select(RasterRefRow.path)).all()
            missing = str(tmp_path / "gone" / "dem_shuangchi.tif")
            s.execute(update(RasterRefRow).values(path=missing))
        caplog.set_level(logging.INFO, logger="parksite.api.warmup")
        with make_client(fresh_db, tmp_path / "state", warm_on_start=True) as client:
            health = wait_warm(client)
            steps = {s["name"]: s for s in health["warm_up"]["steps"]}
            assert health["warm"] is False and health["warm_up"]["state"] == "done"
            assert steps["zone_context"]["status"] == "failed"
            assert "dem_shuangchi.tif" in steps["zone_context"]["error"], steps
            assert steps["zone_memo"]["status"] == "done"
            failed = [r for r in caplog.records if r.name == "parksite.api.warmup"]
            assert any(
                "warm-up step zone_context failed" in r.getMessage() and "dem_shuangchi.tif" in r.getMessage()
                for r in failed
            ), [r.getMessage() for r in failed]
            assert any(f"worker {os.getpid()} not warm" in r.getMessage() for r in failed)
            assert client.get("/api/v1/zone").status_code == 200
            assert client.get("/api/v1/parcels/SC-0001").status_code == 200
            with session_factory(engine).begin() as s:
                s.execute(update(RasterRefRow).values(path=real_path))
            before = context_builds()
            tile = client.get(hillshade_url())  # built on first use, as without a warm-up
            assert tile.status_code == 200 and tile.headers["content-type"] == "image/png"
            assert context_builds() == before + 1
    finally:
        engine.dispose()


def test_warm_up_off_builds_nothing_at_start(backend, fresh_db, tmp_path, monkeypatch):
    from app.api.scores import context_builds, forget_contexts

    forget_contexts()
    counted = count_context_builds(monkeypatch)
    before = context_builds()
    with make_client(
        fresh_db, tmp_path / "state", require_login=True
    ) as client:  # off: the fixtures' default
        time.sleep(0.5)
        health = client.get("/api/v1/health")  # open without a token even when reads need one
        assert health.status_code == 200, health.text
        body = health.json()
        assert body["warm"] is False and body["warm_up"]["enabled"] is False
        assert body["warm_up"]["state"] == "off" and body["warm_up"]["seconds"] is None
        assert [s["status"] for s in body["warm_up"]["steps"]] == ["pending", "pending"]
        assert counted.calls == 0 and context_builds() == before
        assert not client.app.state.api.versions.builds
        tile = client.get(hillshade_url(), headers=auth(client, "viewer"))  # lazily, as before
        assert tile.status_code == 200 and counted.calls == 1


def test_warm_on_start_is_on_by_default_outside_the_tests(monkeypatch):
    from app.settings import Settings

    assert os.environ["PARKSITE_WARM_ON_START"] == "0"  # tests/conftest.py
    monkeypatch.delenv("PARKSITE_WARM_ON_START")
    assert Settings().warm_on_start is True
    monkeypatch.setenv("PARKSITE_WARM_ON_START", "false")
    assert Settings().warm_on_start is False


def test_a_step_is_one_line_and_a_broken_step_does_not_stop_the_others(
    fresh_db, tmp_path, monkeypatch, caplog, backend
):
    """A step added to ``STEPS`` runs in order with the others and is reported; one that raises
    an unexpected error is logged with its traceback, and the steps after it still run."""
    import app.api.warmup as warmup
    from app.api.scores import forget_contexts

    forget_contexts()

    def broken(state: Any) -> None:
        raise RuntimeError("tile folder unwritable")

    def tiles(state: Any) -> dict[str, Any]:
        from app.api.zone_memo import served_zone_id

        with state.factory() as s:
            return {"zone": served_zone_id(state, s)}

    monkeypatch.setattr(
        warmup, "STEPS", (*warmup.STEPS, warmup.WarmStep("broken", broken), warmup.WarmStep("tiles", tiles))
    )
    caplog.set_level(logging.INFO, logger="parksite.api.warmup")
    with make_client(fresh_db, tmp_path / "state", warm_on_start=True) as client:
        health = wait_warm(client)
    steps = {s["name"]: s for s in health["warm_up"]["steps"]}
    assert list(steps) == [*STEPS, "broken", "tiles"] and health["warm"] is False
    assert steps["broken"]["status"] == "failed"
    assert steps["broken"]["error"] == "RuntimeError: tile folder unwritable"
    assert steps["tiles"]["status"] == "done" and steps["tiles"]["built"]["zone"] == ZONE_ID
    (record,) = [r for r in caplog.records if "step broken failed" in r.getMessage()]
    assert record.exc_info is not None  # not a domain error: the traceback is logged


def test_the_warm_up_stops_at_shutdown_before_its_next_step(fresh_db, tmp_path, monkeypatch, backend):
    """Shutting down while a step runs: the step ends, the next ones are skipped, the engine is
    disposed of only after."""
    import app.api.warmup as warmup

    entered, release = threading.Event(), threading.Event()
    ran: list[str] = []

    def slow(state: Any) -> None:
        entered.set()
        assert release.wait(30)
        ran.append("slow")

    def after(state: Any) -> None:
        ran.append("after")

    monkeypatch.setattr(warmup, "STEPS", (warmup.WarmStep("slow", slow), warmup.WarmStep("after", after)))
    with make_client(fresh_db, tmp_path / "state", warm_on_start=True) as client:
        assert entered.wait(30)
        report = client.app.state.api.warmup
        threading.Timer(0.5, release.set).start()
    assert ran == ["slow"]
    assert [s["status"] for s in report.report()["steps"]] == ["done", "skipped"]


@pytest.mark.parametrize("backend", ["spatialite", pytest.param("postgis", marks=pytest.mark.postgis)])
def test_both_workers_of_a_real_server_report_warm(fresh_db, tmp_path):
    """``parksite serve --workers 2`` with the warm-up on (as outside the tests): each worker
    logs one line when warm and answers ``/health`` with ``warm: true``; the first check is
    answered."""
    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PARKSITE_STATE_DIR": str(tmp_path / "state"),
        "PARKSITE_SECRET_KEY": "k" * 48,
        "PARKSITE_WARM_ON_START": "1",
    }
    cmd = [sys.executable, "-m", "app.cli", "serve", "--workers", "2", "--port", str(port)]
    cmd += ["--database-url", fresh_db]
    log_path = tmp_path / "serve.log"
    log = open(log_path, "w")
    proc = subprocess.Popen(
        cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        warm: dict[int, dict[str, Any]] = {}
        while time.monotonic() < deadline and len(warm) < 2:
            try:
                with httpx.Client(base_url=url, timeout=10) as c:  # a new connection each time
                    body = c.get("/api/v1/health").json()
                    if body["warm"]:
                        warm[body["pid"]] = body
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        text = log_path.read_text()
        assert len(warm) == 2, text
        for body in warm.values():
            assert [(s["name"], s["status"]) for s in body["warm_up"]["steps"]] == [
                (n, "done") for n in STEPS
            ]
        lines = re.findall(r"worker (\d+) warm in [\d.]+ s: zone_context [\d.]+ s, zone_memo [\d.]+ s", text)
        assert sorted(map(int, lines)) == sorted(warm), text  # one line per worker, no more
        from app.security import create_token

        token, _ = create_token("k" * 48, "viewer", 60)
        with httpx.Client(base_url=url, timeout=30) as c:
            r = c.post(
                "/api/v1/check",
                json={"parcel_id": "SC-0001", "project": PROJECT},
                headers={"Authorization": f"Bearer {token}"},
            )
        assert r.status_code == 200, r.text
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=30)
        log.close()
