"""Write transactions that queue for SQLite's single writer instead of failing.

SQLite (WAL mode) lets a transaction that has read become a writer only if nobody committed in
between; otherwise it fails at once with "database is locked" (busy_timeout does not apply).
Every write of the API, its jobs and its score runs therefore starts with ``BEGIN IMMEDIATE``
on SpatiaLite: the write lock is taken first (waiting up to busy_timeout), then it reads and
writes. PostgreSQL needs nothing of the sort (row locks and the version check decide).
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
def write_transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Yield a session in one write transaction: committed on success, rolled back on any error."""
    with factory() as session:
        try:
            begin_write(session)
            yield session
            session.commit()
        finally:
            session.rollback()
