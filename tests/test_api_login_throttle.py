"""Throttling of password guessing on ``POST /api/v1/auth/token`` (``app.api.throttle``).

Defaults (``Settings``): 5 failures per user name, 20 per client address, within 15 min; a
lockout lasts 15 min (900 s). Time is a fake clock injected into the app's throttle, so nothing
sleeps. The counts live in the database (``login_throttle``), so every test runs on SpatiaLite
and PostGIS, and two apps (two engines, as two worker processes have) and two real processes
on one database are shown to enforce one limit. The login dialog's lockout message in Chromium
is tested in ``tests/browser/test_auth.py``.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import pickle
import threading
import time

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import func, select

import app.api.auth as auth_module
from app.api.throttle import PENDING_S, LoginThrottle
from app.db.models import LoginThrottleRow
from app.errors import LoginThrottledError, exit_code_for, http_status_for
from app.settings import Settings
from gis.messages import msg
from tests.api_fixtures import PASSWORD, make_client

TOKEN = "/api/v1/auth/token"
WRONG = "not-the-password"
ADDRESS = "testclient"  # the peer address of starlette's TestClient
USER_LOCKED_900 = "too many failed logins for this user name; try again in 15 min"
USER_LOCKED_900_ZH = "该用户名登录失败次数过多，请 15 分钟后再试"
ADDRESS_LOCKED_900 = (
    "too many failed logins from your network address (shared by everyone behind the same router); "
    "try again in 15 min (if many people share this address, an administrator can raise "
    "PARKSITE_LOGIN_MAX_FAILURES_PER_ADDRESS)"
)
ADDRESS_LOCKED_900_ZH = (
    "您所在的网络地址（同一路由器后的所有人共用）登录失败次数过多，请 15 分钟后再试"
    "（如多人共用此地址，管理员可调高 PARKSITE_LOGIN_MAX_FAILURES_PER_ADDRESS）"
)


class FakeClock:
    """A clock for the throttle: ``now`` seconds until ``advance``d."""

    def __init__(self, now: float = 1000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def throttle(client, clock) -> LoginThrottle:
    """The app's throttle, remade with the app's settings and the fake clock."""
    state = client.app.state.api
    t = LoginThrottle.from_settings(state.settings, state.factory, clock=clock)
    client.app.state.login_throttle = t
    return t


@pytest.fixture
def checks(monkeypatch) -> list[str]:
    """The user names whose password the login route checked (the real check still runs)."""
    seen: list[str] = []
    real = auth_module.authenticate

    def counting(session, name, password):
        seen.append(name)
        return real(session, name, password)

    monkeypatch.setattr(auth_module, "authenticate", counting)
    return seen


def login(client, name: str, password: str):
    """Log in asking for English answers (``message``; ``message_zh`` gives the Chinese)."""
    return client.post(
        TOKEN, data={"username": name, "password": password}, headers={"Accept-Language": "en"}
    )


def fail(client, name: str, times: int = 1) -> None:
    for _ in range(times):
        r = login(client, name, WRONG)
        assert r.status_code == 401, r.text


# --------------------------------------------------------------------------- lockout


def test_the_attempt_after_n_failures_is_refused_unchecked_until_the_lockout_ends(
    client, throttle, clock, checks
):
    fail(client, "viewer", 5)
    assert checks == ["viewer"] * 5
    r = login(client, "viewer", PASSWORD)  # the right password, but locked out
    assert r.status_code == 429
    assert r.headers["Retry-After"] == "900"
    assert "WWW-Authenticate" not in r.headers
    assert r.json() == {
        "error": "LoginThrottledError",
        "message": USER_LOCKED_900,
        "where": "login",
        "hint": None,
        "retry_after": 900,
        "message_zh": USER_LOCKED_900_ZH,
        "message_en": USER_LOCKED_900,
    }
    assert checks == ["viewer"] * 5  # the password was not checked
    from app.db.models import UserRow

    with client.app.state.api.factory() as s:
        assert s.scalar(select(UserRow.last_login_at).where(UserRow.name == "viewer")) is None

    clock.advance(600)
    r = login(client, "viewer", PASSWORD)
    assert (r.status_code, r.headers["Retry-After"], r.json()["retry_after"]) == (429, "300", 300)
    assert r.json()["message"] == "too many failed logins for this user name; try again in 5 min"
    assert r.json()["message_zh"] == "该用户名登录失败次数过多，请 5 分钟后再试"
    clock.advance(299.5)
    r = login(client, "viewer", PASSWORD)
    assert (r.status_code, r.headers["Retry-After"]) == (429, "1")
    assert r.json()["message"] == "too many failed logins for this user name; try again in 1 s"
    assert r.json()["message_zh"] == "该用户名登录失败次数过多，请 1 秒后再试"
    assert checks == ["viewer"] * 5

    clock.advance(0.5)  # 900 s after the 5th failure
    r = login(client, "viewer", PASSWORD)
    assert r.status_code == 200 and r.json()["token_type"] == "bearer"
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {r.json()['access_token']}"})
    assert me.json() == {"name": "viewer", "role": "viewer"}


def test_a_lockout_gives_a_full_allowance_afterwards(client, throttle, clock):
    fail(client, "planner", 5)
    clock.advance(900)
    fail(client, "planner", 4)  # the failures before the lockout are forgotten
    assert throttle.failures("planner") == 4
    fail(client, "planner", 1)
    assert login(client, "planner", PASSWORD).status_code == 429


def test_failures_count_within_a_sliding_window(client, throttle, clock):
    fail(client, "viewer", 3)  # t = 1000
    clock.advance(600)
    fail(client, "viewer", 1)  # t = 1600: 4 within 15 min
    assert throttle.failures("viewer") == 4
    clock.advance(301)  # t = 1901: the three of t = 1000 are older than 900 s
    assert throttle.failures("viewer") == 1
    fail(client, "viewer", 3)  # 1600 + 3 × 1901: 4 within the window, no lockout
    assert throttle.failures("viewer") == 4
    fail(client, "viewer", 1)  # the 5th within the window
    r = login(client, "viewer", PASSWORD)
    assert (r.status_code, r.headers["Retry-After"]) == (429, "900")


def test_a_success_clears_the_names_failures_not_the_addresses(client, throttle):
    fail(client, "manager", 4)
    assert login(client, "manager", PASSWORD).status_code == 200
    assert throttle.failures("manager") == 0
    fail(client, "manager", 4)
    assert login(client, "manager", PASSWORD).status_code == 200
    assert throttle.failures(address=ADDRESS) == 8


def test_names_count_in_any_letter_case(client, throttle):
    for name in ("VIEWER", "Viewer", "viewer", "vIeWeR"):
        fail(client, name)
    assert throttle.failures("viewer") == throttle.failures("VIEWER") == 4
    fail(client, " viewer")  # the 5th: locked (the failures are dropped when the lockout starts)
    r = login(client, "viewer", PASSWORD)
    assert r.status_code == 429 and r.json()["message"] == USER_LOCKED_900


def test_unknown_names_count_too_and_answer_like_a_wrong_password(client, throttle):
    wrong = login(client, "viewer", WRONG)
    unknown = login(client, "nobody", WRONG)
    assert wrong.status_code == unknown.status_code == 401
    assert (
        wrong.json()
        == unknown.json()
        == {
            "error": "NotAuthenticatedError",
            "message": "wrong user name or password, or the account is disabled: check the user name and password",
            "where": "login",
            "hint": None,
            "message_zh": "用户名或密码错误，或账户已停用：请检查用户名和密码",
            "message_en": "wrong user name or password, or the account is disabled: check the user name and password",
        }
    )
    assert wrong.headers["WWW-Authenticate"] == unknown.headers["WWW-Authenticate"] == "Bearer"
    fail(client, "nobody", 4)
    r = login(client, "nobody", WRONG)
    assert (r.status_code, r.headers["Retry-After"]) == (429, "900")
    # the same refusal as for an existing name: nothing tells whether "nobody" exists
    fail(client, "viewer", 4)
    existing = login(client, "viewer", WRONG)
    assert existing.status_code == 429 and existing.json() == r.json()


def test_other_names_from_the_address_pass_until_the_address_limit(client, throttle, clock):
    fail(client, "viewer", 5)  # address: 5
    assert login(client, "viewer", PASSWORD).status_code == 429
    assert login(client, "planner", PASSWORD).status_code == 200  # not locked by viewer's failures
    fail(client, "planner", 4)  # address: 9
    for k in range(1, 11):
        fail(client, f"ghost-{k}")  # address: 19 (unknown names count)
    assert throttle.failures(address=ADDRESS) == 19
    assert login(client, "manager", PASSWORD).status_code == 200
    fail(client, "ghost-11")  # address: 20 → locked
    r = login(client, "admin", PASSWORD)
    assert (r.status_code, r.headers["Retry-After"]) == (429, "900")
    assert r.json()["message"] == ADDRESS_LOCKED_900
    assert r.json()["message_zh"] == ADDRESS_LOCKED_900_ZH
    assert "PARKSITE_LOGIN_MAX_FAILURES_PER_ADDRESS" in r.json()["message"]

    other = TestClient(client.app, client=("203.0.113.7", 50000))  # another address, same app
    assert login(other, "admin", PASSWORD).status_code == 200
    assert login(other, "viewer", PASSWORD).status_code == 429  # the name stays locked everywhere

    clock.advance(900)
    assert login(client, "admin", PASSWORD).status_code == 200
    assert login(client, "viewer", PASSWORD).status_code == 200


def test_the_lockout_reported_is_the_longer_one(client, throttle, clock):
    """Name locked first, address later: Retry-After is the address's, the longer wait."""
    fail(client, "viewer", 5)  # viewer locked until 1900
    clock.advance(300)
    for k in range(15):
        fail(client, f"ghost-{k}")  # address: 20 → locked until 2200
    r = login(client, "viewer", PASSWORD)
    assert (r.status_code, r.headers["Retry-After"]) == (429, "900")
    assert r.json()["message"] == ADDRESS_LOCKED_900


# --------------------------------------------------------------------------- the throttle itself


def test_parallel_attempts_cannot_check_more_passwords_than_the_limit(db_factory):
    clock = FakeClock()
    t = LoginThrottle(
        db_factory, max_failures=5, max_failures_per_address=20, window_s=900, lockout_s=900, clock=clock
    )
    start = threading.Barrier(12)
    let_through, refused = [], []

    def attempt(k: int) -> None:
        start.wait()
        try:
            let_through.append(t.begin("viewer", f"10.0.0.{k}"))
        except LoginThrottledError as exc:
            refused.append(exc.retry_after)

    threads = [threading.Thread(target=attempt, args=(k,)) for k in range(12)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert (len(let_through), refused) == (5, [1] * 7)  # 5 checks in progress: the rest wait 1 s
    for a in let_through:
        t.failed(a)
    with pytest.raises(LoginThrottledError) as info:
        t.begin("viewer", "10.0.0.99")
    assert info.value.retry_after == 900
    # cancelled attempts (the check itself broke) count nothing
    a = t.begin("planner", "10.0.1.1")
    t.cancel(a)
    assert (t.failures("planner"), t.failures(address="10.0.1.1")) == (0, 0)
    t.failed(t.begin("planner", "10.0.1.1"))  # and the place it held is free again
    assert (t.failures("planner"), t.failures(address="10.0.1.1")) == (1, 1)


def test_an_attempt_whose_process_died_stops_counting_after_a_minute(db_factory):
    clock = FakeClock()
    t = LoginThrottle(
        db_factory, max_failures=2, max_failures_per_address=20, window_s=900, lockout_s=900, clock=clock
    )
    t.begin("viewer", "10.0.0.1")
    t.begin("viewer", "10.0.0.2")  # two checks "in progress", never ended (their process died)
    with pytest.raises(LoginThrottledError) as info:
        t.begin("viewer", "10.0.0.3")
    assert info.value.retry_after == 1
    clock.advance(PENDING_S)  # the places are dropped: the name may try again
    t.failed(t.begin("viewer", "10.0.0.3"))
    assert t.failures("viewer") == 1


def test_idle_names_and_addresses_are_forgotten(db_factory):
    clock = FakeClock()
    t = LoginThrottle(
        db_factory, max_failures=2, max_failures_per_address=20, window_s=60, lockout_s=120, clock=clock
    )
    t.failed(t.begin("a", "10.0.0.1"))
    t.failed(t.begin("b", "10.0.0.1"))
    t.failed(t.begin("b", "10.0.0.1"))  # b locked until 1120 (its failures dropped)
    assert len(t) == 3  # a (1 failure), b (a lockout), 10.0.0.1 (3 failures)
    clock.advance(61)  # a's and the address's failures are out of the window; b still locked
    t.succeeded(t.begin("c", "10.0.0.2"))  # sweeps; c and 10.0.0.2 keep nothing after a success
    assert len(t) == 1 and t.failures("a") == 0
    clock.advance(120)
    t.succeeded(t.begin("c", "10.0.0.2"))
    assert len(t) == 0
    with db_factory() as s:
        assert s.scalar(select(func.count()).select_from(LoginThrottleRow)) == 0


def test_a_very_long_name_is_counted_under_its_hash(db_factory):
    t = LoginThrottle(db_factory, max_failures=2, max_failures_per_address=20, window_s=60, lockout_s=60)
    name = "x" * 5000  # longer than any stored key: kept as "#" + SHA-256
    t.failed(t.begin(name, "10.0.0.1"))
    assert t.failures(name) == t.failures(name.upper()) == 1 and t.failures("x" * 4999) == 0
    with db_factory() as s:
        keys = set(s.scalars(select(LoginThrottleRow.key)))
    assert keys == {"#" + hashlib.sha256(name.encode()).hexdigest(), "10.0.0.1"}


# --------------------------------------------------------------------------- several processes


def test_two_apps_on_one_database_enforce_one_limit(fresh_db, tmp_path, clock):
    """Two apps (two engines and session pools, as two worker processes have): failures in
    either count against one limit, and a lockout begun in one holds in the other."""
    with make_client(fresh_db, tmp_path / "a") as a, make_client(fresh_db, tmp_path / "b") as b:
        for c in (a, b):
            state = c.app.state.api
            c.app.state.login_throttle = LoginThrottle.from_settings(
                state.settings, state.factory, clock=clock
            )
        assert a.app.state.api.engine is not b.app.state.api.engine
        fail(a, "viewer", 3)
        fail(b, "viewer", 1)
        assert b.app.state.login_throttle.failures("viewer") == 4
        fail(b, "viewer", 1)  # the 5th, in the other app
        for c in (a, b):
            r = login(c, "viewer", PASSWORD)
            assert (r.status_code, r.headers["Retry-After"]) == (429, "900")
        assert a.app.state.login_throttle.failures(address=ADDRESS) == 5  # from both apps
        clock.advance(900)
        assert login(a, "viewer", PASSWORD).status_code == 200
        assert login(b, "viewer", PASSWORD).status_code == 200


def _guess_in_process(url: str, name: str, guesses: int, start: float) -> list[str]:
    """In a process of its own: begin ``guesses`` attempts for ``name`` on the database at
    ``url`` from ``start`` (wall clock, s) and fail each; return what each got."""
    from app.db.engine import make_engine, session_factory

    engine = make_engine(url)
    try:
        t = LoginThrottle(
            session_factory(engine), max_failures=5, max_failures_per_address=100, window_s=900, lockout_s=900
        )
        while time.time() < start:
            time.sleep(0.005)
        out = []
        for k in range(guesses):
            try:
                attempt = t.begin(name, f"10.9.0.{k}")
            except LoginThrottledError as exc:
                out.append(f"refused {exc.retry_after}")
                continue
            t.failed(attempt)
            out.append("checked")
        return out
    finally:
        engine.dispose()


def test_two_processes_guessing_at_once_get_one_allowance(fresh_db):
    """Two real processes guess one name's password at the same moment, 6 guesses each: 5
    are checked in all (not 5 each), the other 7 are refused."""
    ctx = multiprocessing.get_context("spawn")
    start = time.time() + 3.0  # both processes are up and connected by then
    with ctx.Pool(2) as pool:
        results = pool.starmap(_guess_in_process, [(fresh_db, "viewer", 6, start)] * 2)
    outcomes = [o for r in results for o in r]
    assert outcomes.count("checked") == 5 and len(outcomes) == 12
    assert all(o in ("refused 1", "refused 900") for o in outcomes if o != "checked")
    assert "refused 900" in outcomes  # the 5th failure locked the name out


# --------------------------------------------------------------------------- settings, error table


def test_limits_come_from_the_environment(monkeypatch, db_factory):
    defaults = Settings()
    assert (
        defaults.login_max_failures,
        defaults.login_max_failures_per_address,
        defaults.login_window_minutes,
        defaults.login_lockout_minutes,
    ) == (5, 20, 15.0, 15.0)
    monkeypatch.setenv("PARKSITE_LOGIN_MAX_FAILURES", "3")
    monkeypatch.setenv("PARKSITE_LOGIN_MAX_FAILURES_PER_ADDRESS", "7")
    monkeypatch.setenv("PARKSITE_LOGIN_WINDOW_MINUTES", "2.5")
    monkeypatch.setenv("PARKSITE_LOGIN_LOCKOUT_MINUTES", "1")
    t = LoginThrottle.from_settings(Settings(), db_factory)
    assert (t.max_failures, t.max_failures_per_address, t.window_s, t.lockout_s) == (3, 7, 150.0, 60.0)
    monkeypatch.setenv("PARKSITE_LOGIN_MAX_FAILURES", "0")
    with pytest.raises(ValidationError, match="login_max_failures"):
        Settings()
    monkeypatch.setenv("PARKSITE_LOGIN_MAX_FAILURES", "3")
    monkeypatch.setenv("PARKSITE_LOGIN_LOCKOUT_MINUTES", "-1")
    with pytest.raises(ValidationError, match="login_lockout_minutes"):
        Settings()


def test_the_app_makes_its_throttle_from_its_settings(fresh_db, tmp_path):
    with make_client(fresh_db, tmp_path / "a", login_max_failures=2, login_lockout_minutes=1) as a:
        t = a.app.state.login_throttle
        assert (t.max_failures, t.lockout_s, t.factory) == (2, 60.0, a.app.state.api.factory)
        fail(a, "viewer", 2)
        r = login(a, "viewer", PASSWORD)
        assert (r.status_code, r.headers["Retry-After"]) == (429, "60")
        assert r.json()["message"] == "too many failed logins for this user name; try again in 1 min"


def test_the_error_is_a_429_with_its_own_exit_code_and_survives_pickling():
    exc = LoginThrottledError(
        "too many", retry_after=42, msg=msg("error.login.throttled_user", wait="42 s"), where="login"
    )
    assert (http_status_for(exc), exit_code_for(exc)) == (429, 14)
    back = pickle.loads(pickle.dumps(exc))
    assert (type(back), back.retry_after, back.details) == (
        LoginThrottledError,
        42,
        {"retry_after": 42},
    )
    assert back.msg == exc.msg
