"""Gzip of the app's responses (issue 20, "a whole office at once"): the body decodes to the same
bytes, the headers (Content-Encoding, Content-Length, Vary, ETags that name the encoding) and the
revalidations still hold, large bodies are compressed on a worker thread and small ones inline,
streamed bodies chunk by chunk, static files once; and on a real uvicorn server a small request
is answered while eight large bodies are being compressed."""

from __future__ import annotations

import asyncio
import gzip
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.middleware.gzip import GZipResponder

from app.api.compression import SUFFIX, THREAD_MINIMUM_SIZE, accepts_gzip, encoded_tag
from tests.api_fixtures import auth, make_client

pytest_plugins = ["tests.api_fixtures"]

GZIP = {"Accept-Encoding": "gzip"}
PLAIN = {"Accept-Encoding": "identity"}
STATIC = Path(__file__).resolve().parents[1] / "app" / "static"
LEAFLET = "vendor/leaflet/leaflet.js"  # 147 KB: three 64 KiB chunks when streamed


def raw_get(client: Any, path: str, headers: dict[str, str]) -> tuple[httpx.Response, bytes]:
    """Return the response and its body as sent (not decoded)."""
    with client.stream("GET", path, headers=headers) as r:
        return r, b"".join(r.iter_raw())


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


@pytest.fixture
def compressions(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int, bool]]:
    """Every chunk Starlette's gzip compresses (real zlib): ``(bytes, thread id, on an event loop)``."""
    calls: list[tuple[int, int, bool]] = []
    original = GZipResponder._compress_body

    def recorded(self: GZipResponder, body: bytes, more_body: bool) -> bytes:
        calls.append((len(body), threading.get_ident(), _on_event_loop()))
        return original(self, body, more_body)

    monkeypatch.setattr(GZipResponder, "_compress_body", recorded)
    return calls


def static_files(client: Any) -> Any:
    """Return the app's ``/static`` mount (a ``VersionedStatic``)."""
    return next(r.app for r in client.app.routes if getattr(r, "name", None) == "static")


# --------------------------------------------------------------------------- bytes and headers


@pytest.mark.parametrize("path", ["/api/v1/parcels", "/api/v1/openapi.json", "/", f"/static/{LEAFLET}"])
def test_the_gzipped_body_is_the_plain_body_with_its_own_length(ro_client, path):
    gz, sent = raw_get(ro_client, path, GZIP)
    plain, plain_sent = raw_get(ro_client, path, PLAIN)
    assert gz.status_code == plain.status_code == 200
    assert gz.headers["content-encoding"] == "gzip" and "content-encoding" not in plain.headers
    assert gzip.decompress(sent) == plain_sent and len(sent) < len(plain_sent)
    assert int(gz.headers["content-length"]) == len(sent)
    assert int(plain.headers["content-length"]) == len(plain_sent)
    for r in (gz, plain):  # both depend on Accept-Encoding: shared caches must keep them apart
        assert "accept-encoding" in r.headers["vary"].lower()
    if path.startswith("/static/"):
        assert plain_sent == (STATIC / LEAFLET).read_bytes()
        assert "accept-ranges" not in gz.headers  # the gzipped copy is not served by ranges


@pytest.mark.parametrize(
    ("accept", "gzipped"),
    [
        ("gzip;q=0, identity", False),
        ("br", False),
        ("*", True),
        ("deflate, gzip;q=0.5", True),
        ("x-gzip", True),
    ],
)
def test_accept_encoding_is_read_by_its_rules(ro_client, accept, gzipped):
    r, sent = raw_get(ro_client, "/api/v1/parcels", {"Accept-Encoding": accept})
    assert (r.headers.get("content-encoding") == "gzip") is gzipped
    body = gzip.decompress(sent) if gzipped else sent
    assert json.loads(body)["type"] == "FeatureCollection"
    assert accepts_gzip(accept) is gzipped
    js, _ = raw_get(ro_client, f"/static/{LEAFLET}", {"Accept-Encoding": accept})
    assert (js.headers.get("content-encoding") == "gzip") is gzipped


def test_png_tiles_small_answers_and_heads_are_sent_as_they_are(ro_client, compressions):
    tile, _ = raw_get(ro_client, "/api/v1/tiles/hillshade/12/3325/1598.png", GZIP)
    assert tile.headers["content-type"] == "image/png" and "content-encoding" not in tile.headers
    small, sent = raw_get(ro_client, "/api/v1/auth/me", GZIP)
    assert "content-encoding" not in small.headers and len(sent) < 1024
    head = ro_client.head(f"/static/{LEAFLET}", headers=GZIP)
    assert head.status_code == 200 and "content-encoding" not in head.headers
    assert int(head.headers["content-length"]) == (STATIC / LEAFLET).stat().st_size
    assert compressions == []


# --------------------------------------------------------------------------- ETags


def test_a_gzipped_strong_etag_names_the_encoding_and_still_revalidates(ro_client):
    path = "/api/v1/parcels/SC-0001"
    gz, sent = raw_get(ro_client, path, GZIP)
    plain, _ = raw_get(ro_client, path, PLAIN)
    assert gz.headers["content-encoding"] == "gzip" and len(gzip.decompress(sent)) >= 1024
    assert plain.headers["etag"] == '"SC-0001-v1"' and gz.headers["etag"] == f'"SC-0001-v1{SUFFIX}"'
    # the client holding the gzipped copy: 304 naming that copy, whatever else it lists
    again = ro_client.get(path, headers=GZIP | {"If-None-Match": f'"x-v9", {gz.headers["etag"]}'})
    assert again.status_code == 304 and again.headers["etag"] == gz.headers["etag"]
    assert "accept-encoding" in again.headers["vary"].lower()
    # holding the plain copy and accepting gzip: that copy is still current
    plain_again = ro_client.get(path, headers=GZIP | {"If-None-Match": plain.headers["etag"]})
    assert plain_again.status_code == 304 and plain_again.headers["etag"] == plain.headers["etag"]
    # a gzipped copy is of no use to a client that no longer takes gzip: sent again, plain
    refused = ro_client.get(path, headers=PLAIN | {"If-None-Match": gz.headers["etag"]})
    assert refused.status_code == 200 and refused.headers["etag"] == plain.headers["etag"]
    # weak tags are left alone (gzip is semantically the same), and a weak If-None-Match matches
    assert encoded_tag('W/"a"') == 'W/"a"' and encoded_tag(f'"a{SUFFIX}"') == f'"a{SUFFIX}"'
    weak = ro_client.get(path, headers=GZIP | {"If-None-Match": f"W/{gz.headers['etag']}"})
    assert weak.status_code == 304 and weak.headers["etag"] == gz.headers["etag"]  # weak comparison


def test_static_layers_and_files_revalidate_their_gzipped_copies(ro_client):
    for path in ("/api/v1/clusters", f"/static/{LEAFLET}"):
        gz = ro_client.get(path, headers=GZIP)
        plain = ro_client.get(path, headers=PLAIN)
        assert gz.headers["content-encoding"] == "gzip"
        assert gz.headers["etag"] == encoded_tag(plain.headers["etag"]) != plain.headers["etag"]
        same = ro_client.get(path, headers=GZIP | {"If-None-Match": gz.headers["etag"]})
        assert same.status_code == 304 and same.content == b"" and same.headers["etag"] == gz.headers["etag"]


def test_a_range_never_extends_a_gzipped_copy(ro_client):
    """``If-Range`` with the gzipped copy's tag: the whole file again (gzipped, streamed in 64 KiB
    chunks), never plain bytes to append to gzipped ones; with the plain tag: the range."""
    gz = ro_client.get(f"/static/{LEAFLET}", headers=GZIP)
    plain_tag = ro_client.get(f"/static/{LEAFLET}", headers=PLAIN).headers["etag"]
    r = ro_client.get(
        f"/static/{LEAFLET}", headers=GZIP | {"Range": "bytes=100-199", "If-Range": gz.headers["etag"]}
    )
    assert r.status_code == 200 and r.content == (STATIC / LEAFLET).read_bytes()
    part = ro_client.get(
        f"/static/{LEAFLET}", headers=GZIP | {"Range": "bytes=100-199", "If-Range": plain_tag}
    )
    assert part.status_code == 206 and "content-encoding" not in part.headers
    assert part.content == (STATIC / LEAFLET).read_bytes()[100:200]


@pytest.mark.parametrize("backend", ["spatialite"])
def test_an_edit_accepts_the_gzipped_etag_it_read(client):
    path = "/api/v1/parcels/SC-0001"
    read = client.get(path, headers=GZIP)
    tag = read.headers["etag"]
    assert read.headers["content-encoding"] == "gzip" and tag == f'"SC-0001-v1{SUFFIX}"'
    headers = auth(client, "planner") | GZIP
    change = {"status": "existing"}
    weak = client.put(path, json=change, headers=headers | {"If-Match": f"W/{tag}"})
    assert weak.status_code == 412  # If-Match compares strongly, as before
    edit = client.put(path, json=change, headers=headers | {"If-Match": tag})
    assert edit.status_code == 200, edit.text
    assert edit.headers["etag"] in ('"SC-0001-v2"', f'"SC-0001-v2{SUFFIX}"')
    stale = client.put(path, json={"status": "vacant"}, headers=headers | {"If-Match": tag})
    assert stale.status_code == 412
    again = client.put(path, json={"status": "vacant"}, headers=headers | {"If-Match": edit.headers["etag"]})
    assert again.status_code == 200, again.text


# --------------------------------------------------------------------------- threads and streams


def test_large_bodies_are_compressed_on_a_worker_thread_small_ones_inline(ro_client, compressions):
    big, sent = raw_get(ro_client, "/api/v1/openapi.json", GZIP)
    small, small_sent = raw_get(ro_client, "/api/v1/parcels/SC-0001", GZIP)
    assert big.headers["content-encoding"] == small.headers["content-encoding"] == "gzip"
    assert len(gzip.decompress(sent)) >= THREAD_MINIMUM_SIZE > len(gzip.decompress(small_sent)) >= 1024
    (large_call,) = [c for c in compressions if c[0] >= THREAD_MINIMUM_SIZE]
    (small_call,) = [c for c in compressions if c[0] < THREAD_MINIMUM_SIZE]
    assert small_call[2] is True  # on the event loop: the hop would cost more than the compressing
    assert large_call[2] is False and large_call[1] != small_call[1]  # a worker thread


def test_a_streamed_body_is_compressed_chunk_by_chunk(ro_client, compressions):
    """A file streamed by ``FileResponse`` (here the whole file asked for again after a stale
    ``If-Range``): each 64 KiB chunk compressed as it comes, on a worker thread, the last inline."""
    size = (STATIC / LEAFLET).stat().st_size
    r, sent = raw_get(ro_client, f"/static/{LEAFLET}", GZIP | {"Range": "bytes=0-9", "If-Range": '"stale"'})
    assert r.status_code == 200 and r.headers["content-encoding"] == "gzip"
    assert "content-length" not in r.headers  # streamed: chunked
    assert gzip.decompress(sent) == (STATIC / LEAFLET).read_bytes()
    assert [c[0] for c in compressions] == [64 * 1024, 64 * 1024, size - 128 * 1024]
    assert [c[2] for c in compressions] == [False, False, size - 128 * 1024 < THREAD_MINIMUM_SIZE]


def test_static_files_are_compressed_once(ro_client, monkeypatch):
    from app.web.pages import GzippedFiles

    files = GzippedFiles()
    monkeypatch.setattr(static_files(ro_client), "gzipped", files)
    made: list[tuple[str, bool]] = []
    original = files.make

    def recorded(path: str, stat: Any) -> Any:
        made.append((Path(path).name, _on_event_loop()))
        return original(path, stat)

    monkeypatch.setattr(files, "make", recorded)
    name = "vendor/leaflet-geoman/leaflet-geoman.min.js"
    sent = [raw_get(ro_client, f"/static/{name}", GZIP)[1] for _ in range(3)]
    assert made == [("leaflet-geoman.min.js", False)]  # once, on a worker thread
    assert sent[0] == sent[1] == sent[2] == files.cached(str(STATIC / name), (STATIC / name).stat())
    assert gzip.decompress(sent[0]) == (STATIC / name).read_bytes()


# --------------------------------------------------------------------------- a real server


@pytest.fixture
def server(api_db: str, tmp_path: Path) -> Iterator[tuple[str, Any]]:
    """A real uvicorn server (in a thread of this process) on the shared test database: its URL
    and its app."""
    import socket

    import uvicorn

    app = make_client(api_db, tmp_path / "state").app  # the client is never entered: uvicorn runs the app
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, name="uvicorn", daemon=True)
    thread.start()
    for _ in range(600):
        if srv.started or not thread.is_alive():
            break
        threading.Event().wait(0.1)
    assert srv.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}", app
    finally:
        srv.should_exit = True
        thread.join(timeout=30)


def test_a_small_request_is_answered_while_eight_large_bodies_compress(server, monkeypatch):
    """Eight large answers are held inside their compression until a small request has been
    answered: it can only be answered if compressing runs off the event loop (inline, the first
    large body would block the loop, the other seven would never reach the compressor and the
    small request would wait with them)."""
    url, _app = server
    held = threading.Condition()
    inside: list[bool] = []  # one entry per large body in the compressor: on an event loop?
    release = threading.Event()
    original = GZipResponder._compress_body

    def holding(self: GZipResponder, body: bytes, more_body: bool) -> bytes:
        if len(body) >= THREAD_MINIMUM_SIZE:
            with held:
                inside.append(_on_event_loop())
                held.notify_all()
            release.wait(timeout=120)  # a guard against a hang, not a measure
        return original(self, body, more_body)

    monkeypatch.setattr(GZipResponder, "_compress_body", holding)
    with httpx.Client(base_url=url, timeout=120) as c:
        expected = c.get("/api/v1/openapi.json", headers=PLAIN).content
    assert len(expected) >= THREAD_MINIMUM_SIZE

    answers: list[bytes] = []

    def large() -> None:
        with (
            httpx.Client(base_url=url, timeout=180) as c,
            c.stream("GET", "/api/v1/openapi.json", headers=GZIP) as r,
        ):
            answers.append(gzip.decompress(b"".join(r.iter_raw())))

    clients = [threading.Thread(target=large) for _ in range(8)]
    for t in clients:
        t.start()
    try:
        with held:
            all_in = held.wait_for(lambda: len(inside) == 8, timeout=120)
        assert all_in, f"only {len(inside)} of 8 large bodies were being compressed at once"
        with httpx.Client(base_url=url, timeout=60) as c:
            small = c.get("/api/v1/parcels/SC-0001", headers=GZIP)
        assert small.status_code == 200 and small.json()["id"] == "SC-0001"
        assert not release.is_set() and len(answers) == 0  # answered while all eight were compressing
    finally:
        release.set()
        for t in clients:
            t.join(timeout=180)
    assert inside == [False] * 8
    assert answers == [expected] * 8
