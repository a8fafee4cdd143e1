"""A neighbours=yield edit racing a plain edit of the neighbour, on a real server with two clients
released at once (SpatiaLite and PostGIS): exactly one wins, the other gets 412, and the loser's
clusters are as they were — no half-saved tiling, no overlap, no gap."""

from __future__ import annotations

import threading

import httpx
import shapely
from shapely import box

from tests.conftest import X0, Y0
from tests.test_api_concurrency import running_server, token
from tests.test_api_edits import wgs84, zone_geom

PARK_SC = box(X0, Y0, X0 + 1000, Y0 + 600)


def test_a_yield_and_an_edit_of_the_neighbour_at_once(fresh_db, tmp_path):
    with running_server(fresh_db, tmp_path / "state") as base:
        tokens = [token(base, "planner"), token(base, "admin")]
        feat = httpx.get(f"{base}/api/v1/clusters/sc-almg").json()
        feat["geometry"] = wgs84(box(X0, Y0, X0 + 620, Y0 + 600))
        requests = [
            ("/api/v1/clusters/sc-almg?neighbours=yield", feat, '"sc-almg-v1", "sc-smart-v1"'),
            ("/api/v1/clusters/sc-smart", {"name": "同时改名"}, '"sc-smart-v1"'),
        ]
        barrier = threading.Barrier(2)
        answers: list[httpx.Response | None] = [None, None]

        def go(i: int) -> None:
            url, body, tag = requests[i]
            with httpx.Client(base_url=base, timeout=60) as client:
                client.get("/api/v1/zone")
                barrier.wait()
                answers[i] = client.put(
                    url, json=body, headers={"Authorization": f"Bearer {tokens[i]}", "If-Match": tag}
                )

        threads = [threading.Thread(target=go, args=(i,)) for i in (0, 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert all(a is not None for a in answers)
        statuses = [a.status_code for a in answers]  # type: ignore[union-attr]
        assert sorted(statuses) == [200, 412], [a.text for a in answers]  # type: ignore[union-attr]
        almg = httpx.get(f"{base}/api/v1/clusters/sc-almg").json()
        smart = httpx.get(f"{base}/api/v1/clusters/sc-smart").json()
        a, s = zone_geom(almg["geometry"]), zone_geom(smart["geometry"])
        assert a.intersection(s).area < 0.01 and abs(shapely.union(a, s).area - PARK_SC.area) < 1
        if statuses[0] == 200:  # the yield won: the rename was refused
            assert almg["properties"]["version"] == 2 and smart["properties"]["version"] == 2
            assert abs(s.area - 380 * 600) < 1 and smart["properties"]["name"] != "同时改名"
        else:  # the rename won: nothing of the yield was saved
            assert almg["properties"]["version"] == 1 and abs(a.area - 500 * 600) < 1
            assert smart["properties"]["version"] == 2 and smart["properties"]["name"] == "同时改名"
            assert abs(s.area - 500 * 600) < 1
