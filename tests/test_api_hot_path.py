"""The read path of a whole office (issue 20): what a parcel detail, a parcels page by bbox, a
tile, an OGC items page and a check need of the served zone (its id, CRS, rules, newest score
run) and of the token's user is kept per process while the data version holds
(``app.api.zone_memo.served``, ``app.api.deps.user_for_token``), so such a request runs one
statement. What is kept follows every write: this process's at once, another process's (an
engine of its own here, as `parksite user disable` or a score run of another worker) once the
data version is read again (``ttl_s``; a fake clock moves time). SpatiaLite and PostGIS."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from shapely import box
from sqlalchemy import event

from tests.api_fixtures import auth
from tests.conftest import X0, Y0
from tests.test_api_edits import wgs84

pytest_plugins = ["tests.api_fixtures"]

PROJECT = {
    "name": "镁合金压铸件项目",
    "industry": "铝镁新材料产业",
    "investment_wan": 30000,
    "output_wan": 60000,
    "tax_wan": 1500,
    "land_mu": 9,
}


class FakeClock:
    """Seconds for ``DataVersionCache.clock``: moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@contextmanager
def statements(client) -> Iterator[list[str]]:
    """Collect the SQL statements the app's engine runs inside the block."""
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    engine = client.app.state.api.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _kept(client) -> FakeClock:
    """Keep the data version until the clock is moved (or this process writes)."""
    clock = FakeClock()
    versions = client.app.state.api.versions
    versions.clock = clock
    versions.invalidate()
    return clock


def _tables(sql: list[str]) -> str:
    return " ".join(s.lower() for s in sql)


def test_a_parcel_detail_and_a_parcels_page_run_one_statement(ro_client):
    """Before: the user, the zone's ids, the zone row (its whole stored zone file), the page
    count and the page, or the parcel and its score — five statements a request. Now the user
    and the zone come from this process's memo and a page is counted in the same statement."""
    _kept(ro_client)
    viewer = auth(ro_client, "viewer")
    bbox = ",".join(str(v) for v in ro_client.get("/api/v1/zone").json()["bbox"])
    first_detail = ro_client.get("/api/v1/parcels/SC-0001", headers=viewer)
    first_page = ro_client.get("/api/v1/parcels", params={"bbox": bbox}, headers=viewer)
    assert first_detail.status_code == 200 and first_page.status_code == 200
    with statements(ro_client) as sql:
        detail = ro_client.get("/api/v1/parcels/SC-101", headers=viewer)
    assert detail.status_code == 200 and detail.json()["properties"]["breakdown"]
    assert len(sql) == 1, sql
    assert "zones" not in _tables(sql) and "users" not in _tables(sql) and "score_runs" not in _tables(sql)
    with statements(ro_client) as sql:
        page = ro_client.get("/api/v1/parcels", params={"bbox": bbox, "limit": 5}, headers=viewer)
    assert page.status_code == 200 and len(sql) == 1, sql
    body = page.json()
    assert body["numberReturned"] == 5 and body["numberMatched"] == first_page.json()["numberMatched"] > 5
    with statements(ro_client) as sql:
        anonymous = ro_client.get("/api/v1/parcels/SC-101")
    assert anonymous.json() == detail.json() and len(sql) == 1
    # a page past the end still says how many match (then counted apart)
    past = ro_client.get("/api/v1/parcels", params={"bbox": bbox, "offset": 1000}).json()
    assert past["numberReturned"] == 0 and past["numberMatched"] == body["numberMatched"]


def test_ogc_items_tiles_and_checks_ask_no_more_than_they_need(ro_client):
    """An OGC items page: one statement (features and their count); a cached hillshade tile
    and a check: none (the zone, the user, the measuring context and the zone's admission
    state are all kept per data version)."""
    _kept(ro_client)
    zone_bbox = ro_client.get("/api/v1/zone").json()["bbox"]
    bbox = ",".join(str(v) for v in zone_bbox)
    items = "/ogc/collections/parcels/items"
    first = ro_client.get(items, params={"bbox": bbox, "limit": 3})
    with statements(ro_client) as sql:
        again = ro_client.get(items, params={"bbox": bbox, "limit": 3})
    assert len(sql) == 1, sql
    a, b = first.json(), again.json()
    assert [f["id"] for f in a["features"]] == [f["id"] for f in b["features"]]
    assert a["numberMatched"] == b["numberMatched"] > 3 and b["features"][0]["properties"]["score_run"]
    tile = "/api/v1/tiles/hillshade/12/3325/1598.png"
    assert ro_client.get(tile).status_code == 200
    with statements(ro_client) as sql:
        assert ro_client.get(tile).status_code == 200
    assert sql == []
    check = {"parcel_id": "SC-0001", "project": PROJECT}
    manager = auth(ro_client, "manager")
    first_check = ro_client.post("/api/v1/check", json=check, headers=manager)
    assert first_check.status_code == 200, first_check.text
    with statements(ro_client) as sql:
        again_check = ro_client.post("/api/v1/check", json=check, headers=manager)
    assert sql == [] and again_check.json()["verdict"] == first_check.json()["verdict"]


def _disable(url: str, name: str) -> None:
    """Disable ``name`` as another process does (`parksite user disable`): an engine of its own."""
    from app.db.engine import make_engine, session_factory
    from app.db.users import disable_user

    other = make_engine(url)
    try:
        with session_factory(other).begin() as s:
            disable_user(s, name, by="admin")
    finally:
        other.dispose()


def test_a_user_disabled_or_demoted_here_is_refused_on_the_next_request(client):
    from app.db.users import disable_user, set_role

    _kept(client)
    state = client.app.state.api
    viewer, planner = auth(client, "viewer"), auth(client, "planner")
    assert client.get("/api/v1/me", headers=viewer).json() == {"name": "viewer", "role": "viewer"}
    assert client.get("/api/v1/me", headers=planner).json()["role"] == "planner"
    with statements(client) as sql:
        assert client.get("/api/v1/me", headers=viewer).status_code == 200
    assert sql == []  # the user is kept
    with state.factory.begin() as s:
        disable_user(s, "viewer", by="admin")
        set_role(s, "planner", "viewer", by="admin")
    r = client.get("/api/v1/me", headers=viewer)
    assert r.status_code == 401 and r.json()["where"] == "Authorization"
    assert client.get("/api/v1/me", headers=planner).json()["role"] == "viewer"
    tag = client.get("/api/v1/parcels/SC-0001").headers["etag"]
    edit = client.put(
        "/api/v1/parcels/SC-0001", json={"status": "reserved"}, headers={**planner, "If-Match": tag}
    )
    assert edit.status_code == 403


def test_a_user_disabled_by_another_process_is_refused_once_the_version_is_read_again(client):
    clock = _kept(client)
    state = client.app.state.api
    viewer = auth(client, "viewer")
    assert client.get("/api/v1/me", headers=viewer).status_code == 200
    _disable(state.settings.database_url, "viewer")
    clock.now += state.versions.ttl_s  # the data version is read again: the audit entry moved it
    r = client.get("/api/v1/me", headers=viewer)
    assert r.status_code == 401 and r.json()["error"] == "NotAuthenticatedError"


def _stale(client, parcel: str = "SC-0001") -> bool:
    return client.get(f"/api/v1/parcels/{parcel}").json()["properties"]["score_stale"]


def test_score_runs_are_seen_here_at_once_and_from_another_process_after_the_ttl(client):
    """The newest score run is kept with the served zone: a run of this process is shown on
    the next request, a run of another process once the data version is read again."""
    from app.api.scores import run_scoring
    from app.db.engine import make_engine, session_factory

    clock = _kept(client)
    state = client.app.state.api
    planner = auth(client, "planner")
    url = "/api/v1/parcels/SC-0001"
    run_before = client.get("/ogc/collections/parcels/items/SC-0001").json()["properties"]["score_run"]
    moved = box(X0 + 100, Y0 + 100, X0 + 220, Y0 + 200)
    r = client.put(url, json={"geometry": wgs84(moved)}, headers={**planner, "If-Match": '"SC-0001-v1"'})
    assert r.status_code == 200 and _stale(client) is True
    other = make_engine(state.settings.database_url)  # another worker's score run
    try:
        run_scoring(session_factory(other), "jiaokou", user="other")
    finally:
        other.dispose()
    assert _stale(client) is True  # the data version is still the one this process read
    clock.now += state.versions.ttl_s
    assert _stale(client) is False
    run_other = client.get("/ogc/collections/parcels/items/SC-0001").json()["properties"]["score_run"]
    assert run_other == run_before + 1
    listed = client.get("/api/v1/parcels", params={"limit": 50}).json()["features"]
    assert next(f for f in listed if f["id"] == "SC-0001")["properties"]["score_stale"] is False
    # this process's own edit and score run: seen on the next request, the clock standing still
    back = box(X0 + 100, Y0 + 100, X0 + 200, Y0 + 200)
    r = client.put(url, json={"geometry": wgs84(back)}, headers={**planner, "If-Match": '"SC-0001-v2"'})
    assert r.status_code == 200 and _stale(client) is True
    run_scoring(state.factory, "jiaokou", user="here")
    assert _stale(client) is False
    assert client.get("/ogc/collections/parcels/items/SC-0001").json()["properties"]["score_run"] == (
        run_before + 2
    )
