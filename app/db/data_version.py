"""The data version: a short token that changes whenever anything the map's layers show may
have changed (an import, an edit, an admission, a finished score run).

:func:`data_version` reads it (two small queries). :class:`DataVersionCache` keeps it for about
a second per process, for the ETags of every layer and tile request, and forgets it the moment
this process writes to the database, so this process never answers with a tag older than its
own writes; another process's write is seen within ``ttl_s``. :meth:`DataVersionCache.memo`
keeps any value derived from the database (the zone's rules, its admission state) until the
version changes.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session, sessionmaker

from app.db.models import AuditEntryRow, ScoreRunRow

T = TypeVar("T")

#: How long (s) a process keeps the data version it read.
TTL_S = 1.0
#: The statements that change the database (the first keyword of their SQL).
_WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE|MERGE|CREATE|DROP|ALTER|TRUNCATE)\b", re.IGNORECASE)


def data_version(session: Session) -> str:
    """Return ``"<last audit entry id>.<last score run id>.<score runs done>"``.

    Every versioned write (imports, cluster and parcel edits, admissions, restores) adds an audit
    entry, and a score run changes the parcels' scores; both tables are read through their
    primary key index, so the token costs two small queries."""
    audit = session.scalar(select(func.max(AuditEntryRow.id))) or 0
    last, done = session.execute(
        select(func.max(ScoreRunRow.id), func.count(ScoreRunRow.id).filter(ScoreRunRow.status == "done"))
    ).one()
    return f"{audit}.{last or 0}.{done or 0}"


class DataVersionCache:
    """The data version of ``factory``'s database, kept ``ttl_s`` seconds in this process.

    Any write through the factory's engine (a statement that inserts, updates, deletes or
    changes the schema, by the ORM or as SQL, in a session or not) forgets it: when the
    statement runs, when its transaction commits, and again when its connection goes back to the
    pool, after the commit (so a reader that read the old version while the commit was under
    way does not keep it).
    Thread-safe. ``clock`` returns seconds (monotonic).
    """

    def __init__(
        self,
        factory: sessionmaker[Session],
        *,
        ttl_s: float = TTL_S,
        clock: Callable[[], float] = time.monotonic,
    ):
        engine = factory.kw["bind"]
        assert isinstance(engine, Engine)
        self.factory = factory
        self.ttl_s = ttl_s
        self.clock = clock
        self._lock = threading.Lock()
        self._value: str | None = None
        self._read_at = -math.inf
        self._generation = 0
        #: how many times the version was read from the database (not from the cache)
        self.reads = 0
        self._memo: dict[Hashable, tuple[str, Any]] = {}
        self._building: dict[Hashable, threading.Lock] = {}  # one build at a time per key
        #: how many times :meth:`memo` built each key's value (not found for the version)
        self.builds: Counter[Hashable] = Counter()
        event.listen(engine, "before_cursor_execute", self._on_execute)
        event.listen(engine, "commit", self._on_commit)
        event.listen(engine, "rollback", self._on_rollback)
        event.listen(engine, "checkin", self._on_checkin)  # after the commit, when the connection goes back

    def invalidate(self) -> None:
        """Forget the version: the next :meth:`get` reads it from the database."""
        with self._lock:
            self._generation += 1
            self._value = None

    def cached(self) -> str | None:
        """Return the version kept if it is still fresh, else None (no query)."""
        with self._lock:
            if self._value is not None and self.clock() - self._read_at < self.ttl_s:
                return self._value
            return None

    def get(self, session: Session) -> str:
        """Return the data version: the one kept if read less than ``ttl_s`` ago and nothing was
        written since, else read in ``session`` (:func:`data_version`) and kept."""
        with self._lock:
            if self._value is not None and self.clock() - self._read_at < self.ttl_s:
                return self._value
            generation = self._generation
        started = self.clock()
        value = data_version(session)
        with self._lock:
            self.reads += 1
            if self._generation == generation:  # no write began or ended while it was read
                self._value, self._read_at = value, started
        return value

    def memo(self, session: Session, key: Hashable, build: Callable[[], T]) -> T:
        """Return ``build()``'s value for ``key``, kept until the data version changes (at once
        after this process's own writes, within ``ttl_s`` after another's); one value per key.

        The value is shared by every thread of the process: callers must not change it. One
        build at a time per key: a thread asking while another builds it (a request during the
        worker's warm-up, :mod:`app.api.warmup`) waits and takes that value if it is for the
        version the waiting thread read."""
        version = self.get(session)
        found, value = self._kept(key, version)
        if found:
            return value
        with self._lock:
            building = self._building.setdefault(key, threading.Lock())
        with building:
            found, value = self._kept(key, version)
            if found:
                return value
            value = build()
            with self._lock:
                self._memo[key] = (version, value)
                self.builds[key] += 1
        return value

    def _kept(self, key: Hashable, version: str) -> tuple[bool, Any]:
        with self._lock:
            hit = self._memo.get(key)
        if hit is not None and hit[0] == version:
            return True, hit[1]
        return False, None

    def read(self) -> str:
        """Return :meth:`get`, read if needed in a session of its own (for middleware that has none)."""
        kept = self.cached()
        if kept is not None:
            return kept
        with self.factory() as session:
            return self.get(session)

    # -- engine and session events ----------------------------------------------------------------

    def _on_execute(
        self, conn: Any, _cursor: Any, statement: str, _params: Any, context: Any, _many: bool
    ) -> None:
        written = context is not None and (context.isinsert or context.isupdate or context.isdelete)
        if written or _WRITE.match(statement):
            conn.info["parksite_wrote"] = True
            self.invalidate()

    def _on_commit(self, conn: Any) -> None:  # before the database commits
        if conn.info.pop("parksite_wrote", False):
            self.invalidate()
            conn.info["parksite_committed"] = True

    def _on_rollback(self, conn: Any) -> None:
        conn.info.pop("parksite_wrote", None)

    def _on_checkin(self, _dbapi_conn: Any, record: Any) -> None:  # the commit is over
        if record.info.pop("parksite_committed", False):
            self.invalidate()
