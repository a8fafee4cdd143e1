"""The data version kept per process (``app.db.data_version.DataVersionCache``): read at most
once per ``ttl_s`` (a fake clock advances time), forgotten at once when this process writes — by
the ORM, as SQL, in a session or not — and never kept when it was read while a write was being
committed; another process's write is seen after ``ttl_s``. SpatiaLite and PostGIS."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import event, insert, text

from app.db.data_version import DataVersionCache, data_version
from app.db.engine import make_engine, session_factory
from app.db.models import AuditEntryRow


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _now(factory) -> str:
    """The data version read straight from the database."""
    with factory() as s:
        return data_version(s)


def _audit(session, n: int) -> None:
    session.execute(
        insert(AuditEntryRow).values(
            at=dt.datetime(2026, 12, 7, tzinfo=dt.UTC),
            action="update",
            entity="cluster",
            entity_id=str(n),
            version=n,
        )
    )


def test_kept_for_ttl_then_read_again_and_another_process_seen_after_ttl(db_factory, db_url):
    clock = FakeClock()
    cache = DataVersionCache(db_factory, ttl_s=1.0, clock=clock)
    v0 = _now(db_factory)
    with db_factory() as s:
        assert cache.get(s) == v0 and cache.get(s) == v0
    assert cache.reads == 1 and cache.cached() == v0
    other = make_engine(db_url)  # another process's engine: its writes are not seen here
    try:
        with session_factory(other).begin() as s:
            _audit(s, 1)
        v1 = _now(db_factory)
        assert v1 != v0
        assert cache.read() == v0 and cache.reads == 1  # kept: less than ttl_s old
        clock.now += 0.999
        assert cache.read() == v0
        clock.now += 0.001
        assert cache.cached() is None
        assert cache.read() == v1 and cache.reads == 2
    finally:
        other.dispose()


def test_this_processs_writes_are_seen_at_once(db_factory, db_engine):
    clock = FakeClock()  # never advances: only a write can make the cache read again
    cache = DataVersionCache(db_factory, clock=clock)
    v0 = cache.read()
    with db_factory.begin() as s:  # the ORM / SQL expression, in a session of the factory
        _audit(s, 1)
    v1 = _now(db_factory)
    assert v1 != v0 and cache.cached() is None and cache.read() == v1
    with db_engine.begin() as conn:  # plain SQL on the engine, outside any session
        conn.exec_driver_sql(
            "INSERT INTO audit_log (at, action, entity, entity_id, version) "
            "VALUES ('2026-12-07 00:00:00', 'update', 'cluster', '2', 2)"
        )
    v2 = _now(db_factory)
    assert v2 != v1 and cache.read() == v2
    with db_factory() as s:  # a write rolled back changes nothing (read again: the same)
        _audit(s, 3)
        s.rollback()
    assert cache.read() == v2 and cache.reads == 4
    with db_factory() as s:  # reads alone keep it
        s.execute(text("SELECT count(*) FROM audit_log")).scalar()
        s.commit()
    assert cache.read() == v2 and cache.reads == 4


def test_a_version_read_while_a_write_commits_is_not_kept(db_factory, db_engine):
    """A reader that asks between the writer's commit event and the end of its commit gets the
    old version, but does not keep it: the next request sees the write."""
    clock = FakeClock()
    cache = DataVersionCache(db_factory, clock=clock)
    seen: list[str] = []
    v0 = _now(db_factory)

    def read_during_commit(_conn) -> None:  # runs after the cache's own commit listener
        with db_factory() as reader:
            seen.append(cache.get(reader))

    event.listen(db_engine, "commit", read_during_commit)
    try:
        with db_factory.begin() as s:
            _audit(s, 1)
    finally:
        event.remove(db_engine, "commit", read_during_commit)
    assert seen == [v0]  # not committed yet when it was read
    v1 = _now(db_factory)
    assert v1 != v0 and cache.read() == v1


def test_memo_keeps_a_value_per_key_until_the_version_moves(db_factory):
    clock = FakeClock()
    cache = DataVersionCache(db_factory, clock=clock)
    builds: list[str] = []

    def build(name: str):
        def make() -> list[str]:
            builds.append(name)
            return [name, _now(db_factory)]

        return make

    with db_factory() as s:
        a = cache.memo(s, "a", build("a"))
        assert cache.memo(s, "a", build("a")) is a and cache.memo(s, "b", build("b")) == ["b", a[1]]
    assert builds == ["a", "b"]
    with db_factory.begin() as s:  # a write here: every key is built again, once
        _audit(s, 1)
    with db_factory() as s:
        a2 = cache.memo(s, "a", build("a"))
        assert a2 is not a and a2[1] != a[1] and cache.memo(s, "a", build("a")) is a2
    assert builds == ["a", "b", "a"]
    assert cache.builds == {"a": 2, "b": 1}


def test_memo_builds_a_key_once_when_threads_ask_at_the_same_time(db_factory):
    """A thread asking for a key while another builds it (a request during the warm-up) waits
    and shares that value; another key is built meanwhile, not held up."""
    import threading

    cache = DataVersionCache(db_factory, clock=FakeClock())
    entered, release = threading.Event(), threading.Event()
    calls: list[str] = []

    def slow() -> object:
        calls.append("slow")
        entered.set()
        assert release.wait(30)
        return object()

    got: dict[str, object] = {}

    def ask(name: str) -> None:
        with db_factory() as s:
            got[name] = cache.memo(s, "a", slow)

    first = threading.Thread(target=ask, args=("first",))
    first.start()
    assert entered.wait(30)
    second = threading.Thread(target=ask, args=("second",))
    second.start()
    second.join(0.5)
    assert second.is_alive()  # waiting for the first build
    with db_factory() as s:
        assert cache.memo(s, "b", lambda: "b") == "b"  # another key: not held up
    release.set()
    first.join(30)
    second.join(30)
    assert calls == ["slow"] and got["first"] is got["second"]
    assert cache.builds == {"a": 1, "b": 1}
