"""Fixtures of the browser tests: Debian's Chromium driven by Playwright against a real server.

``parksite serve`` (the colleague's command) starts once per session on an empty SpatiaLite
database in a temporary state directory: migrations, sample import and scoring, development mode
for the ``admin`` account. Each test module then gets a server of its own on a copy of that state
directory and a free loopback port, so a module's edits of the zone never reach another module.

Each test opens a fresh browser context (:func:`w`), records every request and console message,
and fails if a request leaves 127.0.0.1 or the console shows an error the test did not expect (a
refused write logs its 4xx status).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from .helpers import ADMIN, CHROMIUM, ROOT, VIEWPORT, Server, Watch

SERVE = textwrap.dedent("""
    import typer
    from app.commands.serve import register
    cli = typer.Typer()
    @cli.callback()
    def _root() -> None:
        "parksite (browser-test server)"
    register(cli)
    cli(["serve"])
""")


# --------------------------------------------------------------------------- the server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def _serve(state: Path) -> Iterator[Server]:
    """Run ``parksite serve`` on state directory ``state`` until the block ends; yield it once it
    answers, with a token of the development admin."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARKSITE_")}
    env.update(
        PARKSITE_STATE_DIR=str(state),
        PARKSITE_PORT=str(port),
        PARKSITE_HOST="127.0.0.1",
        PARKSITE_DEV_MODE="1",
        PYTHONUNBUFFERED="1",
    )
    log = state / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", SERVE], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    srv = Server(f"http://127.0.0.1:{port}", state)
    try:
        deadline = time.monotonic() + 240
        while True:
            if proc.poll() is not None:
                pytest.fail(f"parksite serve exited with {proc.returncode}:\n{log.read_text()[-4000:]}")
            try:
                if httpx.get(f"{srv.url}/api/v1/zone", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"parksite serve did not answer in time:\n{log.read_text()[-4000:]}")
            time.sleep(0.5)
        r = httpx.post(f"{srv.url}/api/v1/auth/token", data={"username": ADMIN[0], "password": ADMIN[1]})
        r.raise_for_status()
        srv.token = r.json()["access_token"]
        yield srv
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def served_state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a state directory as ``parksite serve`` leaves it after starting on an empty one
    (migrated, the sample zone imported and scored, the development admin), once per session."""
    state = tmp_path_factory.mktemp("parksite-served")
    with _serve(state):
        pass
    return state


@pytest.fixture(scope="module")
def server(served_state: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A real ``parksite serve`` of this module alone, on a free loopback port, on a copy of the
    session's prepared SpatiaLite database (:func:`served_state`)."""
    state = tmp_path_factory.mktemp("parksite-state")
    shutil.copytree(served_state, state, dirs_exist_ok=True)
    with _serve(state) as srv:
        yield srv


@pytest.fixture(scope="module")
def api(server: Server) -> Iterator[httpx.Client]:
    """An API client logged in as the development admin."""
    with server.client() as c:
        yield c


# --------------------------------------------------------------------------- the browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    # Playwright is a test dependency and scripts/setup.sh --test installs Chromium: a missing
    # browser fails the run (a skip would hide that the browser tests did not run).
    from playwright import sync_api

    if not Path(CHROMIUM).exists() and not shutil.which(CHROMIUM):
        pytest.fail(
            f"no Chromium at {CHROMIUM} (bash scripts/setup.sh --test installs Debian's chromium, or set PARKSITE_CHROMIUM)"
        )
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield b
        b.close()


@pytest.fixture
def w(browser: Any, server: Server, request: pytest.FixtureRequest) -> Iterator[Watch]:
    """A fresh browser context and page on the server; checks requests and console at the end.

    The page as the test left it is kept in ``tests/_artifacts/last/<test>.png`` (for failures)."""
    ctx = browser.new_context(viewport=VIEWPORT, locale="zh-CN", accept_downloads=True)
    page = ctx.new_page()
    watch = Watch(page, server)
    page.on("request", lambda r: watch.requests.append(r.url))
    page.on("console", lambda m: m.type == "error" and watch.errors.append(m.text))
    page.on("pageerror", lambda e: watch.errors.append(f"uncaught: {e}"))
    page.on("dialog", lambda d: d.accept())
    page.set_default_timeout(20_000)
    try:
        yield watch
        last = ROOT / "tests" / "_artifacts" / "last"
        last.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(last / f"{request.node.name}.png"))
        outside = [
            u
            for u in watch.requests
            if urlsplit(u).scheme not in {"data", "blob"} and urlsplit(u).hostname != "127.0.0.1"
        ]
        assert outside == [], f"requests left the machine: {outside}"
        assert watch.unexpected_errors() == [], f"console errors: {watch.unexpected_errors()}"
    finally:
        ctx.close()
