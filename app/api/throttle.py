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

Attempts in progress count too: :meth:`LoginThrottle.begin` reserves a place before the (slow,
argon2) password check, so parallel requests cannot check more than the allowed number of
passwords; the place becomes a failure (:meth:`~LoginThrottle.failed`) or is released
(:meth:`~LoginThrottle.succeeded`, :meth:`~LoginThrottle.cancel`). A place whose process died
during the check stops counting after :data:`PENDING_S` seconds.

The counts live in the database (table ``login_throttle``, :mod:`app.db.login_throttle`), so
every worker process of ``parksite serve --workers N`` — and every server on the same database —
enforces one limit: N workers do not allow N times the guesses, and a restart forgets nothing.
Each step is one short transaction that first takes a lock per key (PostgreSQL: advisory
locks; SQLite: ``BEGIN IMMEDIATE``), so counting and reserving are atomic across processes.
Entries that count no more are deleted as the throttle goes (each key's on its next use, all of
them at most once per window), so the table stays small. The login route calls the throttle
while it holds no other connection (``app.api.auth``).

The client address is the peer's, or — for a request from a proxy listed in
``Settings.trusted_proxies`` — the one that proxy put in ``X-Forwarded-For``
(:mod:`app.api.proxies`; a header from anyone else is ignored, so rotating it changes nothing);
an IPv6 client is counted by its /64 network. The per-address limit is meant to be well above
the per-name one (``Settings`` insists it is higher): one person's typos lock their name, not
everyone behind the same office router.

Time comes from an injectable ``clock`` (seconds since the epoch; default :func:`time.time`, the
same in every process), so tests advance a fake clock instead of sleeping.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request
from sqlalchemy.orm import Session, sessionmaker

from app.api.proxies import TrustedProxies, address_key
from app.api.tx import write_transaction
from app.db import login_throttle as store
from app.errors import LoginThrottledError
from app.settings import Settings
from gis.messages import Name, msg

#: A clock: returns the current time in seconds since the epoch.
Clock = Callable[[], float]

#: Retry-After (seconds) when the limit is taken up by attempts still being checked.
BUSY_RETRY_S = 1
#: An attempt still "being checked" after this many seconds is dropped (its process died):
#: a password check takes well under a second.
PENDING_S = 60.0

USER, ADDRESS = "user", "address"


@dataclass(frozen=True)
class Attempt:
    """One login attempt let through by :meth:`LoginThrottle.begin`: the keys it counts under
    and the ids of the places it holds in the database."""

    user: str
    address: str
    places: tuple[int, ...] = ()


def user_key(name: str) -> str:
    """Return the key a user name is counted under: stripped and case-folded (a very long one
    hashed, :func:`app.db.login_throttle.stored_key`)."""
    return store.stored_key(name.strip().casefold())


def _wait_text(seconds: int) -> tuple[str, str]:
    """Return ``(English, Chinese)`` for a wait of ``seconds``: whole minutes from 60 s on."""
    if seconds >= 60:
        minutes = math.ceil(seconds / 60)
        return f"{minutes} min", f"{minutes} 分钟"
    return f"{seconds} s", f"{seconds} 秒"


class LoginThrottle:
    """Counts of failed logins per user name and per client address, kept in the database of
    ``factory`` and shared by every process using it (see module doc); safe from any thread.

    ``max_failures`` / ``max_failures_per_address``: failures allowed within ``window_s``
    seconds before a lockout of ``lockout_s`` seconds. ``clock`` returns seconds.
    """

    def __init__(
        self,
        factory: sessionmaker[Session],
        *,
        max_failures: int,
        max_failures_per_address: int,
        window_s: float,
        lockout_s: float,
        clock: Clock = time.time,
    ):
        if min(max_failures, max_failures_per_address) < 1 or window_s <= 0 or lockout_s <= 0:
            raise ValueError("login throttle limits must be ≥ 1 and its durations > 0")
        self.factory = factory
        self.max_failures = max_failures
        self.max_failures_per_address = max_failures_per_address
        self.window_s = float(window_s)
        self.lockout_s = float(lockout_s)
        self.clock = clock
        self._last_sweep = -math.inf

    @classmethod
    def from_settings(
        cls, settings: Settings, factory: sessionmaker[Session], clock: Clock = time.time
    ) -> LoginThrottle:
        """Return a throttle on ``factory``'s database with the limits of ``settings``
        (``login_*``; minutes → seconds)."""
        return cls(
            factory,
            max_failures=settings.login_max_failures,
            max_failures_per_address=settings.login_max_failures_per_address,
            window_s=settings.login_window_minutes * 60,
            lockout_s=settings.login_lockout_minutes * 60,
            clock=clock,
        )

    def _keys(self, attempt: Attempt) -> tuple[tuple[store.Key, int], tuple[store.Key, int]]:
        return (
            ((USER, attempt.user), self.max_failures),
            ((ADDRESS, store.stored_key(attempt.address)), self.max_failures_per_address),
        )

    def begin(self, user_name: str, address: str) -> Attempt:
        """Let a login attempt through, reserving a place in both counts; return it.

        Raises ``LoginThrottledError`` (nothing reserved) when the name or the address is locked
        out, or when failures plus attempts in progress already reach its limit. Every attempt
        let through must end with :meth:`failed`, :meth:`succeeded` or :meth:`cancel`.
        """
        attempt = Attempt(user_key(user_name), address)
        keys = self._keys(attempt)
        with write_transaction(self.factory) as s:
            now = self.clock()
            store.lock_keys(s, [k for k, _ in keys])
            self._sweep(s, now)
            waits = []
            for key, limit in keys:
                store.delete_expired(s, now, self.window_s, PENDING_S, key)
                waits.append(self._wait(*store.key_state(s, key), limit, now))
            user_wait, addr_wait = waits
            if user_wait or addr_wait:
                raise self._refusal(max(user_wait, addr_wait), by_user=user_wait >= addr_wait)
            places = tuple(store.add_entry(s, key, "pending", now) for key, _ in keys)
        return Attempt(attempt.user, attempt.address, places)

    def failed(self, attempt: Attempt) -> None:
        """Count ``attempt`` as a failed login; lock out its name / address at their limit."""
        keys = self._keys(attempt)
        with write_transaction(self.factory) as s:
            now = self.clock()
            store.lock_keys(s, [k for k, _ in keys])
            store.delete_entries(s, attempt.places)
            for key, limit in keys:
                store.delete_expired(s, now, self.window_s, PENDING_S, key)
                store.add_entry(s, key, "failure", now)
                if store.count_failures(s, key, now - self.window_s) >= limit:
                    store.delete_kind(s, key, "failure")
                    store.delete_kind(s, key, "lockout")
                    store.add_entry(s, key, "lockout", now + self.lockout_s)

    def succeeded(self, attempt: Attempt) -> None:
        """End ``attempt`` as a successful login: clear its name's failures (not the address's)."""
        (user, _), _ = self._keys(attempt)
        with write_transaction(self.factory) as s:
            store.lock_keys(s, [user])
            store.delete_entries(s, attempt.places)
            store.delete_kind(s, user, "failure")

    def cancel(self, attempt: Attempt) -> None:
        """End ``attempt`` without a verdict (the check itself failed): count nothing."""
        with write_transaction(self.factory) as s:
            store.delete_entries(s, attempt.places)

    def failures(self, user_name: str | None = None, address: str | None = None) -> int:
        """Return the failures now within the window for ``user_name`` or ``address`` (0 if none)."""
        key = (
            (USER, user_key(user_name))
            if user_name is not None
            else (ADDRESS, store.stored_key(address or ""))
        )
        with self.factory() as s:
            return store.count_failures(s, key, self.clock() - self.window_s)

    def __len__(self) -> int:
        """Return how many names and addresses have entries stored (those that count no more
        are deleted by the sweep, at most once per window)."""
        with self.factory() as s:
            return store.tracked_keys(s)

    # -- inside a write transaction ------------------------------------------------------------

    def _wait(self, locked_until: float | None, failures: int, pending: int, limit: int, now: float) -> int:
        """Return the seconds to wait before a key may try again (0: it may now)."""
        if locked_until is not None and locked_until > now:
            return max(1, math.ceil(locked_until - now))
        if failures + pending >= limit:
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

    def _sweep(self, session: Session, now: float) -> None:
        """Delete every key's entries that count no more, at most once per window in this
        process (keeps the table small)."""
        if now - self._last_sweep < self.window_s:
            return
        self._last_sweep = now
        store.delete_expired(session, now, self.window_s, PENDING_S)


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
