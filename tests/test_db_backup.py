"""``parksite db backup FILE`` / ``parksite db restore FILE`` on SpatiaLite and PostGIS
(``app.db.backup``): a database with the bundled sample zone, an edited cluster, a new user and a
score run is backed up, changed, restored (``--force``), destroyed and restored again — and every
table compares equal row by row, geometry included, as do the id counters. A file of the wrong
kind, damaged, or from a newer parksite is refused, as is a database holding data without
``--force``; each refusal leaves the database as it was."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import shapely.affinity
from geoalchemy2.shape import to_shape
from sqlalchemy import select, text

from app.db.backup import parksite_tables
from app.db.engine import make_engine, session_factory
from app.db.models import Base, ClusterRow, ParcelRow, UserRow
from tests.test_db_probe import run_main

#: Primary key columns of each table (row order for the comparison).
KEYS = {t.name: [c.name for c in t.primary_key.columns] for t in Base.metadata.sorted_tables} | {
    "alembic_version": ["version_num"]
}


def _schema_of(url: str) -> str:
    from app.db.backup_pg import target_schema

    return target_schema(url)


def snapshot(url: str) -> dict[str, list[tuple]]:
    """Every row of every parksite table (geometry as stored), in primary-key order, and the id
    counters (SQLite's ``sqlite_sequence``, PostgreSQL's sequences)."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            out = {
                t: [
                    tuple(r) for r in conn.execute(text(f'SELECT * FROM "{t}" ORDER BY {", ".join(KEYS[t])}'))
                ]
                for t in parksite_tables()
            }
            if engine.dialect.name == "sqlite":
                out["#counters"] = sorted(conn.execute(text("SELECT name, seq FROM sqlite_sequence")).all())
            else:
                seqs = conn.scalars(
                    text("SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = :s"),
                    {"s": _schema_of(url)},
                ).all()
                out["#counters"] = sorted(
                    (s, tuple(conn.execute(text(f'SELECT last_value, is_called FROM "{s}"')).one()))
                    for s in seqs
                )
    finally:
        engine.dispose()
    return out


def fill(url: str) -> None:
    """Migrate ``url`` and put in the sample zone, an edited cluster, a user and a score run."""
    from app.db.edits import update_cluster
    from app.db.importer import import_zone, sample_sources
    from app.db.records import finish_score_run, save_scores, start_score_run
    from app.db.schema import upgrade
    from app.db.users import add_user

    upgrade(url)
    engine = make_engine(url)
    try:
        factory = session_factory(engine)
        import_zone(factory, sample_sources(), user="fixture")
        with factory.begin() as s:
            c = s.scalars(select(ClusterRow).order_by(ClusterRow.code)).first()
            smaller = shapely.affinity.scale(to_shape(c.geom), 0.97, 0.97)
            update_cluster(
                s, c.id, {"geometry": smaller, "name": c.name + "（调整）"}, c.version, "planner-li"
            )
            add_user(s, "wang", "planner", "correct-horse-9", by="fixture")
            run = start_score_run(s, "jiaokou", "sha", "fixture")
            parcels = s.scalars(select(ParcelRow.id).order_by(ParcelRow.id).limit(10)).all()
            save_scores(
                s,
                run.id,
                [
                    {
                        "parcel_id": p,
                        "score": 60.0 + i,
                        "score_class": "较适宜",
                        "reasons": ["坡度"],
                        "breakdown": {"k": i},
                    }
                    for i, p in enumerate(parcels)
                ],
            )
            finish_score_run(s, run.id)
    finally:
        engine.dispose()


def change(url: str) -> None:
    """Change the database after the backup: a new user, a changed cluster, a deleted user."""
    from app.db.edits import update_cluster
    from app.db.users import add_user

    engine = make_engine(url)
    try:
        with session_factory(engine).begin() as s:
            add_user(s, "zhao", "viewer", "correct-horse-9", by="test")
            c = s.scalars(select(ClusterRow).order_by(ClusterRow.code.desc())).first()
            update_cluster(s, c.id, {"name": "改名"}, c.version, "planner-li")
            s.delete(s.scalar(select(UserRow).where(UserRow.name == "wang")))
    finally:
        engine.dispose()


def destroy(url: str) -> None:
    """Lose the database: the SpatiaLite file deleted, or the PostGIS schema dropped."""
    from sqlalchemy.engine import make_url

    if url.startswith("sqlite"):
        path = Path(make_url(url).database)
        for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            p.unlink(missing_ok=True)
        return
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{_schema_of(url)}" CASCADE'))
    finally:
        engine.dispose()


@pytest.fixture
def filled_db(empty_db_url: str) -> str:
    fill(empty_db_url)
    return empty_db_url


def test_backup_change_restore_destroy_restore(filled_db, tmp_path, monkeypatch, capsys):
    url = filled_db
    before = snapshot(url)
    assert len(before["zones"]) == 1 and len(before["parcels"]) > 300 and len(before["parcel_scores"]) == 10
    assert ("planner-li", "update", "cluster") in {r[2:5] for r in before["audit_log"]}  # the edit
    assert "wang" in {r[1] for r in before["users"]}
    backup = tmp_path / "yesterday.backup"
    code, out = run_main(monkeypatch, capsys, "db", "backup", str(backup), "--database-url", url)
    assert code == 0, out
    assert f"backed up to {backup}" in out
    assert f"1 zone, 2 parks, 9 clusters, {len(before['parcels'])} parcels, 1 score run, 1 user" in out
    assert backup.is_file() and not list(tmp_path.glob(".yesterday.backup.partial*"))

    # a second backup to the same name needs --force
    code, out = run_main(monkeypatch, capsys, "db", "backup", str(backup), "--database-url", url)
    assert code == 10 and "exists already" in out and "--force" in out

    change(url)
    changed = snapshot(url)
    assert changed != before

    # a database holding data is replaced only with --force; the refusal changes nothing
    code, out = run_main(monkeypatch, capsys, "db", "restore", str(backup), "--database-url", url)
    assert code == 10, out
    assert "the database holds data (1 zone" in out and "add --force" in out
    assert snapshot(url) == changed

    code, out = run_main(monkeypatch, capsys, "db", "restore", str(backup), "--database-url", url, "--force")
    assert code == 0, out
    assert f"restored from {backup}" in out
    assert snapshot(url) == before

    destroy(url)
    code, out = run_main(monkeypatch, capsys, "db", "restore", str(backup), "--database-url", url)
    assert code == 0, out  # nothing there: no --force needed
    restored = snapshot(url)
    for table in before:
        assert restored[table] == before[table], table

    # the restored database works, and audited ids are not handed out again
    engine = make_engine(url)
    try:
        with session_factory(engine).begin() as s:
            from app.db.users import add_user

            new = add_user(s, "zhao", "viewer", "correct-horse-9", by="test")
            assert new.id > max(r[0] for r in before["users"])
    finally:
        engine.dispose()


def _sqlite_file(path: Path, sql: str = "CREATE TABLE notes (t TEXT)") -> Path:
    from app.db.spatialite import sqlite_dbapi

    conn = sqlite_dbapi().connect(str(path))
    conn.execute(sql)
    conn.commit()
    conn.close()
    return path


def test_files_of_the_wrong_kind_are_refused_and_the_database_left_as_it_was(
    filled_db, backend, tmp_path, monkeypatch, capsys
):
    url = filled_db
    before = snapshot(url)
    backup = tmp_path / "good.backup"
    assert run_main(monkeypatch, capsys, "db", "backup", str(backup), "--database-url", url)[0] == 0
    text_file = tmp_path / "notes.txt"
    text_file.write_text("not a backup\n" * 100)
    foreign = _sqlite_file(tmp_path / "foreign.sqlite")
    fake_dump = tmp_path / "fake.dump"
    fake_dump.write_bytes(b"PGDMP" + os.urandom(2000))
    truncated = tmp_path / "truncated.backup"
    truncated.write_bytes(backup.read_bytes()[: backup.stat().st_size // 2])

    cases = [
        (text_file, 2, "is not a parksite backup: neither an SQLite database file nor a pg_dump archive"),
        (tmp_path / "missing.backup", 2, "there is no file"),
        (truncated, None, None),
    ]
    if backend == "spatialite":
        cases += [
            (fake_dump, 2, "is a PostGIS pg_dump archive, but the database is SpatiaLite"),
            (foreign, 2, "is an SQLite database but not a parksite backup"),
        ]
    else:
        cases += [
            (foreign, 2, "is a SpatiaLite (SQLite) database file, but the database is PostGIS"),
            (fake_dump, 2, "is not a readable pg_dump archive"),
        ]
    for path, want_code, words in cases:
        for force in ([], ["--force"]):
            code, out = run_main(
                monkeypatch, capsys, "db", "restore", str(path), "--database-url", url, *force
            )
            assert code != 0 and "Traceback" not in out, (path, out)
            if want_code is not None:
                assert code == want_code and words in out, (path, out)
            assert snapshot(url) == before, path


def test_a_backup_from_a_newer_parksite_is_refused(filled_db, backend, tmp_path, monkeypatch, capsys):
    if backend != "spatialite":
        pytest.skip("the revision check is the same code for both kinds; an SQLite file is easy to edit")
    url = filled_db
    backup = tmp_path / "b.sqlite"
    assert run_main(monkeypatch, capsys, "db", "backup", str(backup), "--database-url", url)[0] == 0
    from app.db.spatialite import sqlite_dbapi

    conn = sqlite_dbapi().connect(str(backup))
    conn.execute("UPDATE alembic_version SET version_num = '9999'")
    conn.commit()
    conn.close()
    before = snapshot(url)
    code, out = run_main(monkeypatch, capsys, "db", "restore", str(backup), "--database-url", url, "--force")
    assert code == 2 and "was made by a newer parksite (schema revision 9999" in out
    assert snapshot(url) == before


def test_backup_needs_a_parksite_database(backend, empty_db_url, tmp_path, monkeypatch, capsys):
    dest = tmp_path / "b.backup"
    if backend == "spatialite":
        missing = f"sqlite:///{tmp_path / 'nothing.sqlite'}"
        code, out = run_main(monkeypatch, capsys, "db", "backup", str(dest), "--database-url", missing)
        assert code == 8 and "there is no SpatiaLite database file" in out
        assert not (tmp_path / "nothing.sqlite").exists()  # not created by the attempt
        from app.db.probe import open_database

        open_database(empty_db_url).dispose()  # an SQLite file with SpatiaLite's tables only
    code, out = run_main(monkeypatch, capsys, "db", "backup", str(dest), "--database-url", empty_db_url)
    assert code == 8 and "holds no parksite schema" in out
    code, out = run_main(
        monkeypatch, capsys, "db", "backup", str(tmp_path / "no" / "b"), "--database-url", empty_db_url
    )
    assert code == 2 and "does not exist" in out
    assert not dest.exists() and not list(tmp_path.glob(".b.backup.partial*"))


@pytest.mark.postgis
def test_a_postgis_backup_goes_back_into_its_own_schema_only(
    filled_db, backend, tmp_path, monkeypatch, capsys
):
    if backend != "postgis":
        pytest.skip("PostGIS schemas")
    import uuid

    from tests.conftest import POSTGIS_ENV, _postgis_schema_url

    backup = tmp_path / "b.dump"
    assert run_main(monkeypatch, capsys, "db", "backup", str(backup), "--database-url", filled_db)[0] == 0
    base = os.environ[POSTGIS_ENV]
    other = f"t_other_{uuid.uuid4().hex[:8]}"
    url = _postgis_schema_url(base, other)
    code, out = run_main(monkeypatch, capsys, "db", "restore", str(backup), "--database-url", url)
    assert code == 2 and f"holds the tables of schema '{_schema_of(filled_db)}'" in out
    assert f"the database URL's schema is '{other}'" in out
    engine = make_engine(base)
    try:
        with engine.connect() as conn:  # nothing was created for the refused restore
            assert (
                conn.scalar(text("SELECT count(*) FROM pg_namespace WHERE nspname = :s"), {"s": other}) == 0
            )
    finally:
        engine.dispose()


@pytest.mark.postgis
def test_a_postgis_restore_that_fails_midway_changes_nothing(
    filled_db, backend, tmp_path, monkeypatch, capsys
):
    """The restore is one transaction: the tables are dropped and the archive half loaded when
    the last statement fails — and the database is still as it was."""
    if backend != "postgis":
        pytest.skip("psql --single-transaction")
    import app.db.backup_pg as backup_pg

    backup = tmp_path / "b.dump"
    assert run_main(monkeypatch, capsys, "db", "backup", str(backup), "--database-url", filled_db)[0] == 0
    change(filled_db)
    changed = snapshot(filled_db)
    failing = tmp_path / "fail.sql"
    failing.write_text("SELECT 1 / 0;\n")
    real = backup_pg._run

    def with_a_failure_at_the_end(args, url, what, **kwargs):
        if Path(args[0]).name == "psql":
            args = [*args, f"--file={failing}"]
        return real(args, url, what, **kwargs)

    monkeypatch.setattr(backup_pg, "_run", with_a_failure_at_the_end)
    code, out = run_main(
        monkeypatch, capsys, "db", "restore", str(backup), "--database-url", filled_db, "--force"
    )
    assert code == 1 and "restoring with psql failed" in out and "division by zero" in out
    assert snapshot(filled_db) == changed
