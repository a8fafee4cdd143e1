"""Logging in: every key typed while the dialog fades in lands, and a locked-out name (password
guessing throttled by ``app.api.throttle``) is told so in the page's language."""

from __future__ import annotations

import httpx
import pytest

from .helpers import ADMIN, Watch, dialog_shown

pytestmark = pytest.mark.browser

TOKEN = "/api/v1/auth/token"
WRONG = "not-the-password"
# app.api.throttle's defaults: 5 failures per user name lock it out for 15 min
USER_LOCKED_900 = "too many failed logins for this user name; try again in 15 min"
USER_LOCKED_900_ZH = "该用户名登录失败次数过多，请 15 分钟后再试"


def test_typing_while_the_login_dialog_fades_in_keeps_every_key(w: Watch) -> None:
    # A fast user types before the fade ends (Bootstrap's focus trap then focuses the dialog):
    # every key must land in the field they chose, none in another field or nowhere.
    w.goto("/")
    w.page.click("#login-btn")
    # click as soon as a field shows, while the dialog still moves in (Playwright would wait)
    w.page.wait_for_selector("#login-username", state="visible")
    w.page.click("#login-username", force=True)
    w.page.keyboard.type(ADMIN[0], delay=150)  # ≈0.75 s: spans the 0.3 s fade's end
    w.page.click("#login-password", force=True)
    w.page.keyboard.type(ADMIN[1])
    assert w.page.input_value("#login-username") == ADMIN[0]
    assert w.page.input_value("#login-password") == ADMIN[1]
    w.page.keyboard.press("Enter")
    w.page.wait_for_selector("#user-name")


# the lockout comes last: it leaves failures of 127.0.0.1 in the server's throttle
def test_the_login_dialog_shows_the_lockout_in_the_pages_language(w: Watch) -> None:
    """A wrong password shows the usual text; a locked-out name shows the server's 429 message,
    in Chinese and, after the language switch, in English."""
    w.allow(r"status of 401")
    w.allow(r"status of 429")
    w.goto("/")

    def submit(user: str, password: str) -> str:
        if not w.page.locator("#login-modal").evaluate("m => m.classList.contains('show')"):
            w.page.click("#login-btn")
            assert dialog_shown(w, "login-modal") == "login-username"
        w.page.fill("#login-username", user)
        w.page.fill("#login-password", password)
        w.page.click("#login-submit")
        return w.page.wait_for_function(
            "() => document.getElementById('login-error').textContent"
        ).json_value()

    assert submit("ghost", WRONG) == "用户名或密码不正确"
    for _ in range(4):  # failures 2 … 5 for "ghost" from this address (127.0.0.1)
        r = httpx.post(f"{w.server.url}{TOKEN}", data={"username": "Ghost", "password": WRONG})
        assert r.status_code == 401
    assert submit("ghost", WRONG) == USER_LOCKED_900_ZH
    w.page.click("#login-modal .btn-close")
    w.page.wait_for_selector("#login-modal", state="hidden")
    w.page.click("#lang-btn")
    assert submit("GHOST", "whatever-it-is") == USER_LOCKED_900
    w.shot("login-locked-out")
