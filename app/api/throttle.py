"""Throttling of password guessing on ``POST /api/v1/auth/token``: :class:`LoginThrottle`.

Failed logins are counted per user name (letter case ignored, so ``Admin`` and ``admin`` share
one count; unknown names count like known ones, so a lockout says nothing about which names
exist) and, separately, per client address. When a name has ``max_failures`` failures within
the sliding window, or an address ``max_failures_per_address``, that name / address is locked
out for ``lockout_s`` seconds from the failure that reached the limit: every login for it is
refused with :class:`app.errors.LoginThrottledError` (HTTP 429, ``Retry-After``) *before* the
password is checked, so a right password guessed during a lockout does not get in. The failures
that led to a lockout are forgotten when it starts, so after it the name has a full allowance
again. A successful login clears its name's failures; the address keeps its count (else one
valid account would let an address reset its count between guesses). Refused attempts are not
counted and do not extend a lockout.

Attempts in progress count too: :meth:`LoginThrottle.begin` reserves a place under the lock
before the (slow, argon2) password check, so parallel requests cannot check more than the
allowed number of passwords; the place becomes a failure (:meth:`~LoginThrottle.failed`) or is
released (:meth:`~LoginThrottle.succeeded`, :meth:`~LoginThrottle.cancel`).

The counts live in this server process only (one instance per app, made by
``app.api.factory.create_app`` and kept in ``app.state.login_throttle``): they are lost on a
restart and not shared between processes. That is acceptable here because parksite runs one
uvicorn worker per database (background jobs live in the process too, see the factory), so one
process sees every login for its accounts; a restart gives an attacker at most one more
allowance, and restarts are rare and visible to the operator. Were several workers ever run,
each would allow its own ``max_failures`` — the limit would scale with the worker count, not
disappear. The client address is the peer's, or — for a request from a proxy listed in
``Settings.trusted_proxies`` — the one that proxy put in ``X-Forwarded-For``
(:mod:`app.api.proxies`; a header from anyone else is ignored, so rotating it changes nothing);
an IPv6 client is counted by its /64 network. The per-address limit is meant to be well above
the per-name one (``Settings`` insists it is higher): one person's typos lock their name, not
everyone behind the same office router.

Time comes from an injectable ``clock`` (seconds, monotonic; default :func:`time.monotonic`), so
tests advance a fake clock instead of sleeping.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import Request

from app.api.proxies import TrustedProxies, address_key
from app.errors import LoginThrottledError
from app.settings import Settings
from gis.messages import Name, msg

#: A clock: returns the current time in seconds (only differences matter).
Clock = Callable[[], float]

#: Retry-After (seconds) when the limit is taken up by attempts still being checked.
BUSY_RETRY_S = 1


@dataclass
class _Count:
    """Failures (times, s) within the window, attempts in progress, and the lockout end (s)."""

    failures: deque[float] = field(default_factory=deque)
    pending: int = 0
    locked_until: float = -math.inf

    def prune(self, now: float, window_s: float) -> None:
        while self.failures and self.failures[0] <= now - window_s:
            self.failures.popleft()

    def idle(self, now: float) -> bool:
        return not self.failures and not self.pending and self.locked_until <= now


@dataclass(frozen=True)
class Attempt:
    """One login attempt let through by :meth:`LoginThrottle.begin`: the keys it counts under."""

    user: str
    address: str


def user_key(name: str) -> str:
    """Return the key a user name is counted under: stripped and case-folded."""
    return name.strip().casefold()


def _wait_text(seconds: int) -> tuple[str, str]:
    """Return ``(English, Chinese)`` for a wait of ``seconds``: whole minutes from 60 s on."""
    if seconds >= 60:
        minutes = math.ceil(seconds / 60)
        return f"{minutes} min", f"{minutes} 分钟"
    return f"{seconds} s", f"{seconds} 秒"


class LoginThrottle:
    """Thread-safe counts of failed logins per user name and per client address (see module doc).

    ``max_failures`` / ``max_failures_per_address``: failures allowed within ``window_s``
    seconds before a lockout of ``lockout_s`` seconds. ``clock`` returns seconds.
    """

    def __init__(
        self,
        *,
        max_failures: int,
        max_failures_per_address: int,
        window_s: float,
        lockout_s: float,
        clock: Clock = time.monotonic,
    ):
        if min(max_failures, max_failures_per_address) < 1 or window_s <= 0 or lockout_s <= 0:
            raise ValueError("login throttle limits must be ≥ 1 and its durations > 0")
        self.max_failures = max_failures
        self.max_failures_per_address = max_failures_per_address
        self.window_s = float(window_s)
        self.lockout_s = float(lockout_s)
        self.clock = clock
        self._lock = threading.Lock()
        self._users: dict[str, _Count] = {}
        self._addresses: dict[str, _Count] = {}
        self._last_sweep = clock()

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock = time.monotonic) -> LoginThrottle:
        """Return a throttle with the limits of ``settings`` (``login_*``; minutes → seconds)."""
        return cls(
            max_failures=settings.login_max_failures,
            max_failures_per_address=settings.login_max_failures_per_address,
            window_s=settings.login_window_minutes * 60,
            lockout_s=settings.login_lockout_minutes * 60,
            clock=clock,
        )

    def begin(self, user_name: str, address: str) -> Attempt:
        """Let a login attempt through, reserving a place in both counts; return it.

        Raises ``LoginThrottledError`` (nothing reserved) when the name or the address is locked
        out, or when failures plus attempts in progress already reach its limit. Every attempt
        let through must end with :meth:`failed`, :meth:`succeeded` or :meth:`cancel`.
        """
        attempt = Attempt(user_key(user_name), address)
        with self._lock:
            now = self.clock()
            self._sweep(now)
            user = self._users.setdefault(attempt.user, _Count())
            addr = self._addresses.setdefault(attempt.address, _Count())
            user_wait = self._wait(user, self.max_failures, now)
            addr_wait = self._wait(addr, self.max_failures_per_address, now)
            if user_wait or addr_wait:
                raise self._refusal(max(user_wait, addr_wait), by_user=user_wait >= addr_wait)
            user.pending += 1
            addr.pending += 1
        return attempt

    def failed(self, attempt: Attempt) -> None:
        """Count ``attempt`` as a failed login; lock out its name / address at their limit."""
        with self._lock:
            now = self.clock()
            for count, limit in (
                (self._users.setdefault(attempt.user, _Count()), self.max_failures),
                (self._addresses.setdefault(attempt.address, _Count()), self.max_failures_per_address),
            ):
                count.pending = max(0, count.pending - 1)
                count.prune(now, self.window_s)
                count.failures.append(now)
                if len(count.failures) >= limit:
                    count.locked_until = now + self.lockout_s
                    count.failures.clear()

    def succeeded(self, attempt: Attempt) -> None:
        """End ``attempt`` as a successful login: clear its name's failures (not the address's)."""
        with self._lock:
            user = self._users.setdefault(attempt.user, _Count())
            user.failures.clear()
            self._release(attempt)

    def cancel(self, attempt: Attempt) -> None:
        """End ``attempt`` without a verdict (the check itself failed): count nothing."""
        with self._lock:
            self._release(attempt)

    def failures(self, user_name: str | None = None, address: str | None = None) -> int:
        """Return the failures now within the window for ``user_name`` or ``address`` (0 if none)."""
        with self._lock:
            now = self.clock()
            table, key = (
                (self._users, user_key(user_name))
                if user_name is not None
                else (self._addresses, address or "")
            )
            count = table.get(key)
            if count is None:
                return 0
            count.prune(now, self.window_s)
            return len(count.failures)

    def __len__(self) -> int:
        """Return how many names and addresses are tracked (idle ones are swept away)."""
        with self._lock:
            return len(self._users) + len(self._addresses)

    # -- under self._lock ----------------------------------------------------------------------

    def _release(self, attempt: Attempt) -> None:
        for table, key in ((self._users, attempt.user), (self._addresses, attempt.address)):
            count = table.get(key)
            if count is not None:
                count.pending = max(0, count.pending - 1)

    def _wait(self, count: _Count, limit: int, now: float) -> int:
        """Return the seconds to wait before ``count`` may try again (0: it may now)."""
        if count.locked_until > now:
            return max(1, math.ceil(count.locked_until - now))
        count.prune(now, self.window_s)
        if len(count.failures) + count.pending >= limit:
            return BUSY_RETRY_S
        return 0

    def _refusal(self, seconds: int, by_user: bool) -> LoginThrottledError:
        en, zh = _wait_text(seconds)
        if by_user:
            return LoginThrottledError(
                f"too many failed logins for this user name; try again in {en}",
                retry_after=seconds,
                msg=msg("error.login.throttled_user", wait=Name(zh, en)),
                where="login",
                hint="wait, then log in with the right password",
            )
        return LoginThrottledError(
            f"too many failed logins from your network address (shared by everyone behind the "
            f"same router); try again in {en}",
            retry_after=seconds,
            msg=msg("error.login.throttled_address", wait=Name(zh, en)),
            where="login",
            hint="wait, then log in with the right user name and password; if many people share "
            "this address, an administrator can raise PARKSITE_LOGIN_MAX_FAILURES_PER_ADDRESS",
        )

    def _sweep(self, now: float) -> None:
        """Forget idle names and addresses, at most once per window (keeps memory bounded)."""
        if now - self._last_sweep < self.window_s:
            return
        self._last_sweep = now
        for table in (self._users, self._addresses):
            for key, count in list(table.items()):
                count.prune(now, self.window_s)
                if count.idle(now):
                    del table[key]


def client_address(request: Request) -> str:
    """Return the address the failed logins of ``request`` are counted under: the client's
    (``X-Forwarded-For`` believed only from the app's trusted proxies,
    :meth:`app.api.proxies.TrustedProxies.client_of`), an IPv6 one as its /64; ``"unknown"``
    without a peer."""
    proxies = getattr(request.app.state, "trusted_proxies", None) or TrustedProxies()
    return address_key(proxies.client_of(request))


def login_throttle(request: Request) -> LoginThrottle:
    """FastAPI dependency: the app's :class:`LoginThrottle` (made by ``create_app``)."""
    return request.app.state.login_throttle
