"""Two real HTTP clients editing the same version at the same moment: exactly one wins.

A uvicorn server runs the app in a thread on a free port; two threads, each with its own httpx
client, wait at a barrier and PUT the same parcel (or cluster) with the same If-Match. Exactly one
answer is 200 and the other 412, and the database holds exactly one new version — on PostGIS
(concurrent transactions; the UPDATE … WHERE version = ? decides) and on SpatiaLite (writers
queue on BEGIN IMMEDIATE).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import uvicorn
from sqlalchemy import select

from tests.api_fixtures import PASSWORD, version_tag


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_server(url: str, state_dir) -> Iterator[str]:
    """Run the app on a real socket in a thread; yield its base URL."""
    from app.api.factory import create_app
    from app.settings import Settings

    port = free_port()
    app = create_app(Settings(database_url=url, state_dir=state_dir, secret_key="s" * 48))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def token(base: str, user: str) -> str:
    r = httpx.post(f"{base}/api/v1/auth/token", data={"username": user, "password": PASSWORD})
    r.raise_for_status()
    return r.json()["access_token"]


def race(base: str, url: str, bodies: list[dict], tag: str, tokens: list[str]) -> list[httpx.Response]:
    """PUT each body from its own thread and client, all released at once; return the answers."""
    barrier = threading.Barrier(len(bodies))
    answers: list[httpx.Response | None] = [None] * len(bodies)

    def go(i: int) -> None:
        with httpx.Client(base_url=base, timeout=60) as client:
            client.get("/api/v1/zone")  # connection open and warm before the race
            barrier.wait()
            answers[i] = client.put(
                url, json=bodies[i], headers={"Authorization": f"Bearer {tokens[i]}", "If-Match": tag}
            )

    threads = [threading.Thread(target=go, args=(i,)) for i in range(len(bodies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert all(a is not None for a in answers)
    return answers  # type: ignore[return-value]


@pytest.mark.parametrize("rounds", [5])
def test_two_clients_put_the_same_parcel_version(fresh_db, tmp_path, rounds):
    from app.db.engine import make_engine, session_factory
    from app.db.models import AuditEntryRow, ParcelRow

    with running_server(fresh_db, tmp_path / "state") as base:
        tokens = [token(base, "planner"), token(base, "admin")]
        for k in range(rounds):
            version = 1 + k
            answers = race(
                base,
                "/api/v1/parcels/SC-0001",
                [{"enterprise": f"甲公司{k}"}, {"enterprise": f"乙公司{k}"}],
                f'"SC-0001-v{version}"',
                tokens,
            )
            statuses = sorted(a.status_code for a in answers)
            assert statuses == [200, 412], [a.text for a in answers]
            winner = next(a for a in answers if a.status_code == 200)
            loser = next(a for a in answers if a.status_code == 412)
            assert version_tag(winner) == f'"SC-0001-v{version + 1}"'
            assert loser.json()["current_version"] == version + 1
            assert (
                loser.json()["feature"]["properties"]["enterprise"]
                == winner.json()["properties"]["enterprise"]
            )
    engine = make_engine(fresh_db)
    try:
        with session_factory(engine)() as s:
            parcel = s.scalar(select(ParcelRow).where(ParcelRow.parcel_id == "SC-0001"))
            assert parcel.version == 1 + rounds
            versions = list(
                s.scalars(
                    select(AuditEntryRow.version)
                    .where(AuditEntryRow.entity == "parcel", AuditEntryRow.entity_key == "SC-0001")
                    .order_by(AuditEntryRow.id)
                )
            )
            assert versions == list(range(2, 2 + rounds))  # one audited write per round
    finally:
        engine.dispose()


def test_two_clients_move_neighbouring_cluster_edges(fresh_db, tmp_path):
    """Two planners grow sc-almg and sc-smart into the same strip at once: each outline is fine
    alone, together they overlap — the park lock lets only one through; the other gets the
    outline rule's 422 (one rule, checked inside the write transaction)."""
    import numpy as np
    import shapely
    from pyproj import Transformer
    from shapely.geometry import mapping

    from tests.conftest import X0, Y0

    to_wgs84 = Transformer.from_crs("EPSG:4546", "OGC:CRS84", always_xy=True)

    def wgs84(g):
        return mapping(shapely.transform(g, lambda c: np.column_stack(to_wgs84.transform(c[:, 0], c[:, 1]))))

    with running_server(fresh_db, tmp_path / "state") as base:
        tokens = [token(base, "planner"), token(base, "admin")]
        # shrink sc-smart first so that there is free land between the two clusters
        r = httpx.put(
            f"{base}/api/v1/clusters/sc-smart",
            json={"geometry": wgs84(shapely.box(X0 + 600, Y0, X0 + 1000, Y0 + 600))},
            headers={"Authorization": f"Bearer {tokens[0]}", "If-Match": '"sc-smart-v1"'},
        )
        assert r.status_code == 200, r.text
        barrier = threading.Barrier(2)
        answers: list = [None, None]
        jobs = [
            ("/api/v1/clusters/sc-almg", shapely.box(X0, Y0, X0 + 580, Y0 + 600), '"sc-almg-v1"'),
            ("/api/v1/clusters/sc-smart", shapely.box(X0 + 520, Y0, X0 + 1000, Y0 + 600), '"sc-smart-v2"'),
        ]

        def go(i: int) -> None:
            url, outline, tag = jobs[i]
            with httpx.Client(base_url=base, timeout=60) as client:
                client.get("/api/v1/zone")
                barrier.wait()
                answers[i] = client.put(
                    url,
                    json={"geometry": wgs84(outline)},
                    headers={"Authorization": f"Bearer {tokens[i]}", "If-Match": tag},
                )

        threads = [threading.Thread(target=go, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        statuses = sorted(a.status_code for a in answers)
        assert statuses == [200, 422], [a.text for a in answers]
        loser = next(a for a in answers if a.status_code != 200).json()
        assert loser["error"] == "ClusterGeometryError" and "重叠" in loser["message"]
        assert loser["problem"]["kind"] == "overlap" and loser["problem"]["area_m2"] > 0
