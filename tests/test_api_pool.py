"""Many recorded checks at once never exhaust the connection pool (issue 16, defect 1).

A request that held its read session's connection while it waited for a second one (the write
transaction that records the check) deadlocked the pool once as many requests were in flight as
the pool has connections: every one held one connection and waited for another, until the
pool's 30 s timeout answered 500 (``QueuePool limit … reached``), or, on SpatiaLite, every
request timed out. Here 20 managers post recorded checks (``record`` left at its default) to a
live uvicorn server at the same moment: every answer is 200 within a bound, and every check is
recorded. A second test counts, per request, the pooled connections held at once (pool events)
over the write routes: never more than one.
"""

from __future__ import annotations

import contextvars
import threading
import time

import httpx
import shapely
from sqlalchemy import event, func, select

from tests.conftest import X0, Y0
from tests.test_api_checks import PROJECT
from tests.test_api_concurrency import running_server, token

CLIENTS = 20  # more than the pool's 5 + 10 connections
BOUND_S = 60.0  # generous (2 shared cores); a deadlock shows as 500s after the pool's 30 s timeout


def test_concurrent_recorded_checks_all_answer_and_are_recorded(fresh_db, tmp_path):
    from app.db.engine import make_engine, session_factory
    from app.db.models import CheckResultRow, ProjectRow

    with running_server(fresh_db, tmp_path / "state") as base:
        bearer = token(base, "manager")
        barrier = threading.Barrier(CLIENTS)
        answers: list[httpx.Response | BaseException | None] = [None] * CLIENTS
        took: list[float] = [0.0] * CLIENTS

        def go(i: int) -> None:
            with httpx.Client(base_url=base, timeout=BOUND_S + 30) as client:
                client.get("/api/v1/zone")  # connection open and warm
                barrier.wait()
                start = time.monotonic()
                try:
                    answers[i] = client.post(
                        "/api/v1/check",
                        json={
                            "parcel_id": "SC-0001",
                            "project": {**PROJECT, "name": f"项目{i}"},
                            "record": True,
                        },
                        headers={"Authorization": f"Bearer {bearer}"},
                    )
                except BaseException as exc:  # a timeout is a failure to report, not a crash
                    answers[i] = exc
                took[i] = time.monotonic() - start

        threads = [threading.Thread(target=go, args=(i,)) for i in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=BOUND_S + 60)
        failures = [
            a if not isinstance(a, httpx.Response) else f"{a.status_code} {a.text[:200]}"
            for a in answers
            if not isinstance(a, httpx.Response) or a.status_code != 200
        ]
        assert not failures, failures
        assert max(took) < BOUND_S, sorted(took)
        recorded = [a.json()["recorded"] for a in answers]  # type: ignore[union-attr]
    engine = make_engine(fresh_db)
    try:
        with session_factory(engine)() as s:
            names = set(s.scalars(select(ProjectRow.name)))
            assert {f"项目{i}" for i in range(CLIENTS)} <= names
            ids = [r["check_ids"][0] for r in recorded]
            assert len(set(ids)) == CLIENTS
            n = s.scalar(select(func.count()).select_from(CheckResultRow).where(CheckResultRow.id.in_(ids)))
            assert n == CLIENTS
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- one connection at a time

_REQUEST: contextvars.ContextVar[dict | None] = contextvars.ContextVar("parksite_test_request", default=None)


class HeldConnections:
    """ASGI wrapper and pool listeners: for each request, the most connections it held at once.

    The wrapper gives every request a counter (a context variable, which Starlette copies into
    the worker threads of its sync routes and dependencies); the pool's ``checkout`` and
    ``checkin`` events count the connections taken and given back under that counter.
    """

    def __init__(self, app, engine) -> None:
        self.app = app
        self.most: dict[str, int] = {}
        event.listen(engine.pool, "checkout", self._checkout)
        event.listen(engine.pool, "checkin", self._checkin)

    def _checkout(self, dbapi_conn, record, proxy) -> None:  # noqa: ANN001 - listener signature
        counter = _REQUEST.get()
        if counter is not None:
            counter["held"] += 1
            counter["most"] = max(counter["most"], counter["held"])
            record.info["parksite_request"] = counter

    def _checkin(self, dbapi_conn, record) -> None:  # noqa: ANN001 - listener signature
        counter = record.info.pop("parksite_request", None)
        if counter is not None:
            counter["held"] -= 1

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001 - ASGI
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        counter = {"held": 0, "most": 0}
        key = f"{scope['method']} {scope['path']}"
        reset = _REQUEST.set(counter)
        try:
            await self.app(scope, receive, send)
        finally:
            _REQUEST.reset(reset)
            self.most[key] = max(self.most.get(key, 0), counter["most"])


def test_no_request_holds_two_connections(fresh_db, tmp_path):
    """Every write route (and the reads around them) takes at most one connection at a time."""
    from fastapi.testclient import TestClient

    from app.api.factory import create_app
    from app.security import create_token
    from app.settings import Settings
    from tests.test_api_edits import wgs84
    from tests.test_api_jobs import frame, geojson_bytes

    app = create_app(Settings(database_url=fresh_db, state_dir=tmp_path / "state", secret_key="k" * 48))
    state = app.state.api
    tracker = HeldConnections(app, state.engine)

    def bearer(role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {create_token(state.secret, role, 60)[0]}"}

    with TestClient(tracker) as client:
        r = client.post(
            "/api/v1/check",
            json={"parcel_id": "SC-0001", "project": PROJECT, "record": True},
            headers=bearer("manager"),
        )
        assert r.status_code == 200, r.text
        pid = r.json()["recorded"]["project_id"]
        r = client.post(
            f"/api/v1/projects/{pid}/admission",
            json={"parcel_id": "SC-0001", "reason": "ok"},
            headers=bearer("manager"),
        )
        assert r.status_code == 200, r.text
        r = client.delete(f"/api/v1/projects/{pid}/admission", headers=bearer("manager"))
        assert r.status_code == 200, r.text
        assert client.get("/api/v1/projects", headers=bearer("viewer")).status_code == 200
        r = client.put(
            "/api/v1/parcels/SC-0001",
            json={"enterprise": "甲公司"},
            headers={**bearer("planner"), "If-Match": '"SC-0001-v1"'},
        )
        assert r.status_code == 200, r.text
        r = client.put(  # stale: the 412 answer reads the current feature
            "/api/v1/parcels/SC-0001",
            json={"enterprise": "乙公司"},
            headers={**bearer("planner"), "If-Match": '"SC-0001-v1"'},
        )
        assert r.status_code == 412, r.text
        r = client.put(
            "/api/v1/clusters/sc-almg",
            json={"name": "铝镁"},
            headers={**bearer("planner"), "If-Match": '"sc-almg-v1"'},
        )
        assert r.status_code == 200, r.text
        body = {"cluster_id": "st-x", "park": "shuitou", "name": "x"}
        body["geometry"] = wgs84(shapely.box(X0 - 2400, Y0 + 50, X0 - 2100, Y0 + 450))
        assert client.post("/api/v1/clusters", json=body, headers=bearer("planner")).status_code == 201
        r = client.post(
            "/api/v1/jobs",
            files={"file": ("p.geojson", geojson_bytes(frame()), "application/geo+json")},
            headers=bearer("manager"),
        )
        assert r.status_code == 202, r.text
        assert client.post("/api/v1/score-runs", headers=bearer("manager")).status_code == 202
        assert client.get("/api/v1/me", headers=bearer("viewer")).status_code == 200
    assert tracker.most, "no request was counted"
    assert {k: n for k, n in tracker.most.items() if n > 1} == {}
