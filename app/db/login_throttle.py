"""The login throttle's entries in the database (``login_throttle``, :class:`LoginThrottleRow`):
the queries and writes of :mod:`app.api.throttle`, which holds the rules.

Every process of the server reads and writes the same rows, so one limit holds for all of them.
A check-then-write (count the failures, then reserve a place) is atomic across processes because
it runs under a lock per key taken first in its transaction (:func:`lock_keys`): on PostgreSQL a
transaction-scoped advisory lock per (scope, key); on SQLite the caller's ``BEGIN IMMEDIATE``
(:func:`app.api.tx.write_transaction`), which already lets one writer in at a time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from sqlalchemy import delete, func, insert, or_, select, text
from sqlalchemy.orm import Session

from app.db.models import LoginThrottleRow

#: The first half of the PostgreSQL advisory lock keys of the throttle (the second is the key's hash).
ADVISORY_CLASS = 20_2612  # any int4; names the throttle's locks in pg_locks
#: The longest key stored as it is; a longer one (only a junk user name can be) is stored hashed.
MAX_KEY = 100

Key = tuple[str, str]  # (scope, key)


def stored_key(key: str) -> str:
    """Return ``key`` as stored: itself up to :data:`MAX_KEY` characters, else ``#`` + its SHA-256."""
    if len(key) <= MAX_KEY:
        return key
    return "#" + hashlib.sha256(key.encode()).hexdigest()


def lock_keys(session: Session, keys: Iterable[Key]) -> None:
    """Take the lock of each key for the rest of ``session``'s transaction (PostgreSQL: advisory
    locks, in sorted order so that two transactions never wait for each other; SQLite: nothing,
    the transaction was begun ``IMMEDIATE`` and holds the database's one write lock)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for scope, key in sorted(set(keys)):
        session.execute(
            text("SELECT pg_advisory_xact_lock(:cls, hashtext(:k))"),
            {"cls": ADVISORY_CLASS, "k": f"{scope}:{key}"},
        )


def _of(scope: str, key: str):  # noqa: ANN202 - a SQL condition
    return (LoginThrottleRow.scope == scope) & (LoginThrottleRow.key == key)


def _expired(now: float, window_s: float, pending_s: float):  # noqa: ANN202 - a SQL condition
    t = LoginThrottleRow
    return or_(
        (t.kind == "failure") & (t.at <= now - window_s),
        (t.kind == "pending") & (t.at <= now - pending_s),
        (t.kind == "lockout") & (t.at <= now),
    )


def delete_expired(
    session: Session, now: float, window_s: float, pending_s: float, key: Key | None = None
) -> int:
    """Delete the entries that count no more at ``now`` (s): failures older than the window,
    attempts begun more than ``pending_s`` ago (their process died), ended lockouts — of ``key``
    only (hold its lock), or of every key (on PostgreSQL those not locked by another
    transaction). Return how many were deleted."""
    cond = _expired(now, window_s, pending_s)
    if key is not None:
        cond = cond & _of(*key)
    elif session.get_bind().dialect.name == "postgresql":
        # every key's: rows another transaction holds are left for the next sweep, so this
        # never waits for (nor deadlocks with) a transaction that holds other keys' locks
        ids = select(LoginThrottleRow.id).where(cond).with_for_update(skip_locked=True)
        cond = LoginThrottleRow.id.in_(ids.scalar_subquery())
    return session.execute(delete(LoginThrottleRow).where(cond)).rowcount or 0


def key_state(session: Session, key: Key) -> tuple[float | None, int, int]:
    """Return ``(lockout end or None, failures, attempts in progress)`` stored for ``key``
    (call :func:`delete_expired` first: every entry stored is counted)."""
    t = LoginThrottleRow
    row = session.execute(
        select(
            func.max(t.at).filter(t.kind == "lockout"),
            func.count(t.id).filter(t.kind == "failure"),
            func.count(t.id).filter(t.kind == "pending"),
        ).where(_of(*key))
    ).one()
    return row[0], int(row[1] or 0), int(row[2] or 0)


def add_entry(session: Session, key: Key, kind: str, at: float) -> int:
    """Store one entry (``failure``, ``pending`` or ``lockout``) for ``key``; return its id."""
    return session.execute(
        insert(LoginThrottleRow)
        .values(scope=key[0], key=key[1], kind=kind, at=at)
        .returning(LoginThrottleRow.id)
    ).scalar_one()


def delete_entries(session: Session, ids: Iterable[int]) -> None:
    """Delete the entries with these ids (an attempt's places; gone already is fine)."""
    ids = list(ids)
    if ids:
        session.execute(delete(LoginThrottleRow).where(LoginThrottleRow.id.in_(ids)))


def delete_kind(session: Session, key: Key, kind: str) -> None:
    """Delete every entry of ``kind`` stored for ``key``."""
    session.execute(delete(LoginThrottleRow).where(_of(*key) & (LoginThrottleRow.kind == kind)))


def count_failures(session: Session, key: Key, since: float) -> int:
    """Return the failures stored for ``key`` later than ``since`` (s)."""
    t = LoginThrottleRow
    return int(
        session.scalar(select(func.count(t.id)).where(_of(*key) & (t.kind == "failure") & (t.at > since)))
        or 0
    )


def tracked_keys(session: Session) -> int:
    """Return how many user names and addresses have entries stored."""
    t = LoginThrottleRow
    keys = select(t.scope, t.key).distinct().subquery()
    return int(session.scalar(select(func.count()).select_from(keys)) or 0)
