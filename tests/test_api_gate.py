"""Who may send a body, and how big, is decided before it is read (issue 16, defect 2).

Anonymous ``PUT /api/v1/clusters/{id}`` with 24 MB bodies used to be read and parsed before the
401; a planner's 41 MB bodies were parsed whole, and a 1e6-vertex polygon cost hundreds of MB
before its 413. The app is driven here at the ASGI level with a ``receive`` that hands the body
out in 1 MB chunks and counts what was taken: a refused request must take none of it.
"""

from __future__ import annotations

import asyncio
import json
import tracemalloc
from collections.abc import Iterator
from typing import Any

import pytest

from tests.api_fixtures import auth, make_client
from tests.test_api_checks import PROJECT

MB = 1_000_000
CHUNK = b" " * MB


def call(app: Any, method: str, path: str, headers: dict[str, str], chunks: Iterator[bytes]) -> dict:
    """Send one request straight to the ASGI app; return its status, JSON body and the body bytes
    the app took from ``receive``."""
    taken = 0
    pending = next(chunks, None)
    sent: list[dict] = []

    async def receive() -> dict:
        nonlocal taken, pending
        if pending is None:
            return {"type": "http.disconnect"}
        chunk, pending = pending, next(chunks, None)
        taken += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": pending is not None}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 40000),
        "server": ("testserver", 80),
    }
    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return {"status": start["status"], "json": json.loads(body) if body else None, "taken": taken}


def spaces(n_mb: int) -> Iterator[bytes]:
    """A body of ``n_mb`` MB, made one chunk at a time (never held whole)."""
    return (CHUNK for _ in range(n_mb))


@pytest.fixture(scope="module")
def app_client(api_db, tmp_path_factory):
    with make_client(api_db, tmp_path_factory.mktemp("gate")) as client:
        yield client


def test_anonymous_and_viewer_bodies_are_refused_unread(app_client):
    app = app_client.app
    put = "/api/v1/clusters/sc-smart"
    json_24mb = {
        "Content-Type": "application/json",
        "Content-Length": str(24 * MB),
        "If-Match": '"sc-smart-v1"',
    }
    r = call(app, "PUT", put, json_24mb, spaces(24))
    assert (r["status"], r["json"]["error"], r["taken"]) == (401, "NotAuthenticatedError", 0)
    r = call(app, "PUT", put, {**json_24mb, **auth(app_client, "viewer")}, spaces(24))
    assert (r["status"], r["json"]["error"], r["taken"]) == (403, "PermissionDeniedError", 0)
    chunked = {
        "Content-Type": "application/json",
        "Transfer-Encoding": "chunked",
        "If-Match": '"sc-smart-v1"',
    }
    r = call(app, "PUT", put, chunked, spaces(24))  # no length declared: still refused unread
    assert (r["status"], r["taken"]) == (401, 0)
    bad = {**json_24mb, "Authorization": "Bearer not-a-token"}
    r = call(app, "PUT", put, bad, spaces(24))
    assert (r["status"], r["taken"]) == (401, 0)
    upload = {"Content-Type": "multipart/form-data; boundary=x", "Content-Length": str(24 * MB)}
    r = call(app, "POST", "/api/v1/jobs", {**upload, **auth(app_client, "viewer")}, spaces(24))
    assert (r["status"], r["taken"]) == (403, 0)  # jobs need an analyst


def test_oversize_bodies_with_a_valid_token_are_refused_unread(app_client):
    app = app_client.app
    headers = {**auth(app_client, "planner"), "Content-Type": "application/json", "If-Match": '"sc-smart-v1"'}
    r = call(app, "PUT", "/api/v1/clusters/sc-smart", {**headers, "Content-Length": str(41 * MB)}, spaces(41))
    assert (r["status"], r["json"]["error"], r["taken"]) == (413, "LimitExceededError", 0)
    assert "4 MB" in r["json"]["message"]  # max_json_mb: JSON bodies are small
    # a chunked body is read only up to the limit
    r = call(app, "PUT", "/api/v1/clusters/sc-smart", {**headers, "Transfer-Encoding": "chunked"}, spaces(41))
    assert r["status"] == 413 and r["taken"] <= 5 * MB
    # uploads have their own, larger limit (PARKSITE_MAX_BODY_MB, 50 MB)
    upload = {**auth(app_client, "manager"), "Content-Type": "multipart/form-data; boundary=x"}
    r = call(app, "POST", "/api/v1/jobs", {**upload, "Content-Length": str(51 * MB)}, spaces(51))
    assert (r["status"], r["taken"]) == (413, 0)


def test_a_polygon_with_too_many_vertices_is_refused_before_parsing(app_client):
    """200 000 vertices in 1.2 MB of JSON (within the size limit): counted, refused, not parsed."""
    app = app_client.app
    n = 200_000
    coords = "[" + ",".join(["[1,2]"] * n) + "]"
    text = f'{{"geometry": {{"type": "Polygon", "coordinates": [{coords}]}}, "name": "[[[x"}}'.encode()
    assert len(text) < 4 * MB
    headers = {
        **auth(app_client, "planner"),
        "Content-Type": "application/json",
        "Content-Length": str(len(text)),
        "If-Match": '"sc-smart-v1"',
    }
    tracemalloc.start()
    try:
        r = call(app, "PUT", "/api/v1/clusters/sc-smart", headers, iter([text]))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (r["status"], r["json"]["error"]) == (413, "LimitExceededError")
    assert "200,002 arrays" in r["json"]["message_en"]  # the brackets in "name" are not counted
    assert peak < 15 * MB, peak  # parsing it would build 200 000 lists (tens of MB)


def test_allowed_bodies_still_reach_the_route(app_client):
    r = app_client.post("/api/v1/recommend", json={"project": PROJECT, "lang": "en", "top": 2})
    assert r.status_code == 200, r.text  # anonymous reads: the body is handed on unchanged
    r = app_client.post(
        "/api/v1/check",
        json={"parcel_id": "SC-0001", "project": PROJECT, "record": False},
        headers=auth(app_client, "manager"),
    )
    assert r.status_code == 200 and r.json()["recorded"] is None
    r = app_client.put(
        "/api/v1/clusters/sc-smart", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 401  # who, before what: an anonymous malformed body is not parsed


def test_login_required_refuses_anonymous_bodies_of_reads(api_db, tmp_path):
    with make_client(api_db, tmp_path, require_login=True) as client:
        r = call(
            client.app,
            "POST",
            "/api/v1/recommend",
            {"Content-Type": "application/json", "Content-Length": str(3 * MB)},
            spaces(3),
        )
        assert (r["status"], r["taken"]) == (401, 0)
