"""Undeleting a cluster in the database layer (SpatiaLite and PostGIS): the old id and the next
version come back, refusals change nothing, and racing undeletes bring it back exactly once.

st-almg is the box X0 − 3000 … X0 − 2500 × Y0 … Y0 + 500 of park shuitou (250 000 m²)."""

from __future__ import annotations

import threading

import pytest
from shapely import box
from sqlalchemy import func, select

from app.api.tx import write_transaction
from app.db.edits import create_cluster, delete_cluster, history
from app.db.geometry import from_db
from app.db.models import AuditEntryRow, ClusterRow
from app.db.undelete import deleted_clusters, undelete_cluster
from app.errors import ClusterGeometryError
from gis.errors import ConflictError, NotFoundError
from tests.conftest import X0, Y0


def _delete(zone_db, code: str) -> int:
    """Delete cluster ``code`` at its current version; return its database id."""
    with zone_db.begin() as s:
        c = s.scalar(select(ClusterRow).where(ClusterRow.code == code))
        delete_cluster(s, c.id, c.version, "li")
        return c.id


def test_undelete_brings_back_the_old_id_and_the_next_version(zone_db):
    with zone_db() as s:
        before = from_db(s.scalar(select(ClusterRow.geom).where(ClusterRow.code == "st-almg")))
    cid = _delete(zone_db, "st-almg")
    with zone_db() as s:
        (d,) = deleted_clusters(s, "jiaokou")
        assert (d.entity_id, d.code, d.park, d.version, d.deleted_by) == (cid, "st-almg", "shuitou", 2, "li")
        assert d.area_m2 == pytest.approx(250_000) and d.area_mu == pytest.approx(375)
    with zone_db.begin() as s:
        result = undelete_cluster(s, "jiaokou", "st-almg", "wang")
    assert (result.id, result.action, result.version) == (cid, "restore", 3)
    with zone_db() as s:
        c = s.get(ClusterRow, cid)
        assert (c.code, c.version, c.updated_by) == ("st-almg", 3, "wang")
        assert from_db(c.geom).equals_exact(before, 1e-9)
        assert [(v.version, v.action) for v in history(s, "cluster", cid)] == [
            (1, "import"),
            (2, "delete"),
            (3, "restore"),
        ]
        assert deleted_clusters(s, "jiaokou") == []


def test_a_refused_undelete_leaves_the_database_as_it_was(zone_db):
    _delete(zone_db, "st-almg")
    with zone_db.begin() as s:
        create_cluster(
            s, "jiaokou", "shuitou", "st-new", "新组团", box(X0 - 2600, Y0, X0 - 2400, Y0 + 100), "li"
        )
    with zone_db() as s:
        n = s.scalar(select(func.count()).select_from(AuditEntryRow))
    with pytest.raises(ClusterGeometryError) as e:
        with zone_db.begin() as s:
            undelete_cluster(s, "jiaokou", "st-almg", "wang")
    assert (e.value.kind, e.value.cluster, e.value.area_m2) == ("overlap", "st-new", pytest.approx(10_000))
    with zone_db() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntryRow)) == n
        assert s.scalar(select(ClusterRow.id).where(ClusterRow.code == "st-almg")) is None
    with pytest.raises(NotFoundError):
        with zone_db.begin() as s:
            undelete_cluster(s, "jiaokou", "st-nothing", "wang")
    with pytest.raises(ConflictError):
        with zone_db.begin() as s:
            undelete_cluster(s, "jiaokou", "sc-almg", "wang")


def test_racing_undeletes_bring_the_cluster_back_once(zone_db):
    cid = _delete(zone_db, "st-almg")
    barrier = threading.Barrier(3)
    results: list[object] = []
    lock = threading.Lock()

    def undelete() -> None:
        barrier.wait(10)
        try:
            with write_transaction(zone_db) as s:  # as the API writes (BEGIN IMMEDIATE on SQLite)
                undelete_cluster(s, "jiaokou", "st-almg", "wang")
            r: object = "won"
        except Exception as exc:  # noqa: BLE001 - collected and checked below
            r = exc
        with lock:
            results.append(r)

    threads = [threading.Thread(target=undelete) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results.count("won") == 1, results
    assert all(isinstance(r, ConflictError) for r in results if r != "won"), results
    with zone_db() as s:
        assert s.get(ClusterRow, cid).version == 3
        restores = s.scalar(
            select(func.count())
            .select_from(AuditEntryRow)
            .where(AuditEntryRow.entity == "cluster", AuditEntryRow.action == "restore")
        )
        assert restores == 1
