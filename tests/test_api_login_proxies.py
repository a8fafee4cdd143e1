"""Login throttling cannot be dodged with ``X-Forwarded-For`` (``app.api.proxies``).

The header is believed only from proxies listed in ``trusted_proxies`` (default none): a
rotating header from anyone else is ignored, so guesses from one address are counted together
and a locked-out address stays locked when it adds the header; a trusted proxy's header does name
the client. ``parksite serve`` runs uvicorn without its own proxy-header rewriting (which trusts
127.0.0.1 by default): checked on a real socket with the arguments ``serve`` gives uvicorn.
"""

from __future__ import annotations

import socket
import threading
import time

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from app.api.proxies import TrustedProxies, address_key
from app.settings import Settings
from tests.api_fixtures import *  # noqa: F403 - fixtures
from tests.api_fixtures import PASSWORD

TOKEN = "/api/v1/auth/token"
WRONG = "not-the-password"
ADDRESS_LOCKED = "too many failed logins from your network address"
NAME_LOCKED = "too many failed logins for this user name"


@pytest.fixture
def backend() -> str:
    """One backend is enough: these tests are about the address a login counts under; the
    throttle's storage is tested on SpatiaLite and PostGIS in tests/test_api_login_throttle.py."""
    return "spatialite"


def make_app(url: str, state_dir, **settings):
    from app.api.factory import create_app

    return create_app(Settings(database_url=url, state_dir=state_dir, secret_key="k" * 48, **settings))


def login(client, name: str, password: str, forwarded: str | None = None) -> httpx.Response:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return client.post(TOKEN, data={"username": name, "password": password}, headers=headers)


def test_a_rotating_header_from_an_untrusted_peer_changes_nothing(fresh_db, tmp_path):
    app = make_app(fresh_db, tmp_path / "s")
    with TestClient(app, client=("127.0.0.1", 40000)) as local:
        # one name, a new "address" each time: the name is locked after 5
        codes = [login(local, "viewer", WRONG, f"198.51.100.{k}").status_code for k in range(1, 8)]
        assert codes == [401] * 5 + [429] * 2
        # 60 guesses, a new name and a new "address" each time: the address is locked after 20
        answers = [login(local, f"ghost-{k}", WRONG, f"203.0.113.{k}") for k in range(60)]
        assert [r.status_code for r in answers] == [401] * 15 + [429] * 45  # 5 + 15 = 20 failures
        assert answers[-1].json()["message_en"].startswith(ADDRESS_LOCKED)
        throttle = app.state.login_throttle
        assert all(throttle.failures(address=f"203.0.113.{k}") == 0 for k in range(60))
        # locked out: the right password with a made-up header is refused too, unchecked
        for header in (None, "192.0.2.44", "192.0.2.44, 10.0.0.1", "::1"):
            r = login(local, "admin", PASSWORD, header)
            assert r.status_code == 429 and r.json()["message_en"].startswith(ADDRESS_LOCKED), header
        other = TestClient(app, client=("192.0.2.44", 40001))  # a real other address still logs in
        assert login(other, "admin", PASSWORD).status_code == 200


def test_a_trusted_proxys_header_names_the_client(fresh_db, tmp_path):
    app = make_app(fresh_db, tmp_path / "s", trusted_proxies=["10.0.0.0/24"])
    with TestClient(app, client=("10.0.0.2", 40000)) as proxy:
        throttle = app.state.login_throttle
        for k in range(19):
            assert login(proxy, f"ghost-{k}", WRONG, "203.0.113.5").status_code == 401
        assert throttle.failures(address="203.0.113.5") == 19 and throttle.failures(address="10.0.0.2") == 0
        # what a client writes to the left of the proxy's entry is ignored; a second trusted
        # proxy on the way is skipped
        assert login(proxy, "ghost-x", WRONG, "198.51.100.1, 203.0.113.5, 10.0.0.9").status_code == 401
        assert throttle.failures(address="198.51.100.1") == 0
        r = login(proxy, "admin", PASSWORD, "203.0.113.5")  # the 20th failure locked 203.0.113.5
        assert r.status_code == 429 and r.json()["message_en"].startswith(ADDRESS_LOCKED)
        # another client behind the same proxy is not locked out
        assert login(proxy, "admin", PASSWORD, "203.0.113.6").status_code == 200
        # the proxy's own requests without the header count under the proxy's address
        assert login(proxy, "ghost-y", WRONG).status_code == 401
        assert throttle.failures(address="10.0.0.2") == 1
        # a peer that is not a trusted proxy cannot name another client
        direct = TestClient(app, client=("192.0.2.99", 40001))
        assert login(direct, "ghost-z", WRONG, "203.0.113.7").status_code == 401
        assert throttle.failures(address="192.0.2.99") == 1 and throttle.failures(address="203.0.113.7") == 0
        assert login(direct, "admin", PASSWORD, "203.0.113.6").status_code == 200


def test_ipv6_clients_are_counted_by_their_64_network(fresh_db, tmp_path):
    app = make_app(fresh_db, tmp_path / "s", trusted_proxies=["10.0.0.2"])
    with TestClient(app, client=("10.0.0.2", 40000)) as proxy:
        for k in range(1, 21):
            assert login(proxy, f"ghost-{k}", WRONG, f"2001:db8:1:2::{k:x}").status_code == 401
        r = login(proxy, "admin", PASSWORD, "[2001:db8:1:2:ffff::1]:51000")
        assert r.status_code == 429 and r.json()["message_en"].startswith(ADDRESS_LOCKED)
        assert login(proxy, "admin", PASSWORD, "2001:db8:1:3::1").status_code == 200


def test_the_client_address_rules():
    none = TrustedProxies()
    assert not none and none.client("127.0.0.1", ["203.0.113.5"]) == "127.0.0.1"
    proxies = TrustedProxies(["10.0.0.0/24", "::1"])
    assert proxies.client("10.0.0.3", ["198.51.100.1", "203.0.113.5"]) == "203.0.113.5"
    assert proxies.client("10.0.0.3", ["203.0.113.5", "10.0.0.4", "10.0.0.5"]) == "203.0.113.5"
    assert proxies.client("10.0.0.3", ["10.0.0.4"]) == "10.0.0.4"  # only proxies: the leftmost
    assert proxies.client("10.0.0.3", []) == "10.0.0.3"
    assert proxies.client("::1", ["203.0.113.5:8080"]) == "203.0.113.5"
    assert proxies.client("::ffff:10.0.0.3", ["::ffff:203.0.113.5"]) == "203.0.113.5"
    assert proxies.client("10.0.1.3", ["203.0.113.5"]) == "10.0.1.3"  # outside the network
    assert proxies.client(None, ["203.0.113.5"]) == "unknown"
    assert proxies.client("10.0.0.3", ["garbage" * 50]) == ("garbage" * 50)[:100]
    assert address_key("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64"
    assert address_key("::ffff:192.0.2.1") == "192.0.2.1" and address_key("testclient") == "testclient"


def test_trusted_proxies_and_limits_from_the_environment(monkeypatch):
    assert Settings().trusted_proxies == []
    monkeypatch.setenv("PARKSITE_TRUSTED_PROXIES", " 10.0.0.5, 192.168.0.0/16 ,::1")
    assert Settings().trusted_proxies == ["10.0.0.5", "192.168.0.0/16", "::1"]
    monkeypatch.setenv("PARKSITE_TRUSTED_PROXIES", "10.0.0.5,proxy.example")
    with pytest.raises(ValidationError, match="'proxy.example' is not an IP address or network"):
        Settings()
    monkeypatch.delenv("PARKSITE_TRUSTED_PROXIES")
    monkeypatch.setenv("PARKSITE_LOGIN_MAX_FAILURES_PER_ADDRESS", "5")
    with pytest.raises(ValidationError, match="must be higher than login_max_failures"):
        Settings()


# --------------------------------------------------------------------------- a real server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_does_not_let_uvicorn_trust_the_header_from_localhost(fresh_db, tmp_path, monkeypatch):
    """``parksite serve``'s uvicorn arguments, on a real socket: requests come from 127.0.0.1,
    which uvicorn trusts by default; a rotating header must still not help."""
    import typer
    import uvicorn
    from typer.testing import CliRunner

    import app.commands.serve as serve
    from app.settings import get_settings

    calls: list = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: calls.append((a, k)))
    monkeypatch.setenv("PARKSITE_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)
    get_settings.cache_clear()
    cli = typer.Typer()
    serve.register(cli)
    cli.command("noop")(lambda: None)
    port = _free_port()
    try:
        result = CliRunner().invoke(cli, ["serve", "--database-url", fresh_db, "--port", str(port)])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    ((args, kwargs),) = calls
    server = uvicorn.Server(uvicorn.Config(args[0], **kwargs, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.02)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            codes = [login(http, f"ghost-{k}", WRONG, f"198.51.100.{k}").status_code for k in range(25)]
            assert codes == [401] * 20 + [429] * 5
            r = login(http, "admin", PASSWORD, "192.0.2.200")
            assert r.status_code == 429 and r.json()["message_en"].startswith(ADDRESS_LOCKED)
            assert r.json()["message_zh"].startswith("您所在的网络地址")
    finally:
        server.should_exit = True
        thread.join(timeout=30)
