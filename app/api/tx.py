"""Write transactions that queue for SQLite's single writer instead of failing.

SQLite (WAL mode) lets a transaction that has read become a writer only if nobody committed in
between; otherwise it fails at once with "database is locked" (busy_timeout does not apply).
Every write of the API, its jobs and its score runs therefore starts with ``BEGIN IMMEDIATE``
on SpatiaLite: the write lock is taken first (waiting up to busy_timeout), then it reads and
writes. PostgreSQL needs nothing of the sort (row locks and the version check decide).

A request writes in its own session (:func:`write_in`): the read transaction it began is ended
first, so that its connection goes back to the pool before the write takes one. A request never
holds one connection while it waits for a second: as many requests as the pool has connections,
each holding one and waiting for another, would wait for each other until the pool's timeout.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session, sessionmaker


def begin_write(session: Session) -> None:
    """Start ``session``'s transaction as a writer (``BEGIN IMMEDIATE`` on SQLite; nothing else)."""
    if session.get_bind().dialect.name == "sqlite":
        session.connection().exec_driver_sql("BEGIN IMMEDIATE")


@contextmanager
def write_in(session: Session) -> Iterator[Session]:
    """Yield ``session`` in one write transaction after ending its read transaction (its connection
    goes back to the pool first); committed on success, rolled back on any error.

    Objects read before stay loaded (sessions are made with ``expire_on_commit=False``). The read
    part must not have changed anything: pending changes raise RuntimeError (a programming error:
    they would be written outside the write transaction).
    """
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("a write transaction was begun on a session with changes made while reading")
    session.commit()  # nothing to write: ends the read transaction and gives its connection back
    try:
        begin_write(session)
        yield session
        session.commit()
    finally:
        session.rollback()


@contextmanager
def dry_run_in(session: Session) -> Iterator[Session]:
    """Yield ``session`` in a write transaction that is always rolled back: a dry run does every
    check and write of an import (constraints, audit entries) and keeps none of it."""
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("a dry run was begun on a session with changes made while reading")
    session.commit()
    try:
        begin_write(session)
        yield session
        session.flush()
    finally:
        session.rollback()


@contextmanager
def write_transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Yield a session in one write transaction: committed on success, rolled back on any error."""
    with factory() as session:
        try:
            begin_write(session)
            yield session
            session.commit()
        finally:
            session.rollback()
