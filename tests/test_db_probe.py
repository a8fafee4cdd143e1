"""A missing, unreachable or unusable database: what failed, where, and what to do — exit code 8,
no traceback — for ``parksite db upgrade``, ``parksite serve`` and the app (``app.db.probe``).
A SQLite URL whose folder does not exist is refused, not created."""

from __future__ import annotations

import os
import socket
import sys
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from app.cli import main
from app.db.probe import DatabaseUnavailableError, is_unavailable_error, open_database, probe
from tests.conftest import POSTGIS_ENV


def run_main(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str]:
    """Run ``parksite ARGS`` in this process; return its exit code and everything it printed."""
    monkeypatch.setattr(sys, "argv", ["parksite", *args])
    with pytest.raises(SystemExit) as info:
        main()
    captured = capsys.readouterr()
    return int(info.value.code or 0), captured.out + captured.err


@pytest.fixture
def no_uvicorn(monkeypatch: pytest.MonkeyPatch) -> list:
    """``uvicorn.run`` replaced by a recorder (``serve`` must fail before it)."""
    import uvicorn

    calls: list = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: calls.append((a, k)))
    return calls


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_base() -> str:
    base = os.environ.get(POSTGIS_ENV)
    if not base:
        pytest.skip(f"{POSTGIS_ENV} is not set")
    return base


# --------------------------------------------------------------------------- SpatiaLite


def test_a_sqlite_url_in_a_missing_folder_is_refused_not_created(tmp_path, monkeypatch, capsys, no_uvicorn):
    folder = tmp_path / "nonexistent" / "dir"
    url = f"sqlite:///{folder / 'x.sqlite'}"
    with pytest.raises(DatabaseUnavailableError, match="does not exist") as info:
        open_database(url)
    assert info.value.hint.startswith(f"create it first (mkdir -p {folder})")
    for args in (["db", "upgrade"], ["db", "current"], ["user", "list"], ["serve"]):
        code, out = run_main(monkeypatch, capsys, *args, "--database-url", url)
        assert code == 8, out
        assert f"the folder {folder} of the SpatiaLite database file x.sqlite does not exist" in out
        assert "mkdir -p" in out and "Traceback" not in out
    assert not folder.parent.exists() and no_uvicorn == []


def test_the_default_state_directory_is_still_created(tmp_path):
    from app.settings import Settings

    state = tmp_path / "new" / "state"
    url = Settings(state_dir=state).resolved_database_url()
    assert state.is_dir() and url == f"sqlite:///{(state / 'parksite.sqlite').resolve()}"
    engine = open_database(url)
    engine.dispose()


def test_a_file_that_is_not_a_database_or_a_folder_is_named(tmp_path, monkeypatch, capsys):
    junk = tmp_path / "parksite.sqlite"
    junk.write_text("not a database at all " * 100)
    code, out = run_main(monkeypatch, capsys, "db", "upgrade", "--database-url", f"sqlite:///{junk}")
    assert code == 8 and f"{junk} is not an SQLite/SpatiaLite database" in out and "Traceback" not in out
    assert junk.read_text().startswith("not a database")  # left as it was
    code, out = run_main(monkeypatch, capsys, "db", "upgrade", "--database-url", f"sqlite:///{tmp_path}")
    assert code == 8 and "is a folder, not a SpatiaLite database file" in out


def test_probe_says_what_the_database_is(tmp_path):
    engine = open_database(f"sqlite:///{tmp_path / 'x.sqlite'}")
    try:
        assert probe(engine).startswith("SpatiaLite ")
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- PostgreSQL


@pytest.mark.postgis
def test_an_unreachable_server_names_host_port_and_what_to_do(monkeypatch, capsys, no_uvicorn):
    base = make_url(_pg_base())
    port = _free_port()  # nothing listens there
    url = base.set(port=port).render_as_string(hide_password=False)
    for args in (["db", "upgrade"], ["serve"], ["import", "--sample"]):
        code, out = run_main(monkeypatch, capsys, *args, "--database-url", url)
        assert code == 8, out
        assert f'cannot reach the PostgreSQL server for the database "{base.database}" on' in out
        assert f":{port}" in out and "start PostgreSQL" in out and "Traceback" not in out
    assert no_uvicorn == []


@pytest.mark.postgis
def test_a_missing_database_says_how_to_create_it(monkeypatch, capsys):
    name = f"parksite_missing_{uuid.uuid4().hex[:8]}"
    url = make_url(_pg_base()).set(database=name).render_as_string(hide_password=False)
    code, out = run_main(monkeypatch, capsys, "db", "upgrade", "--database-url", url)
    assert code == 8 and f'the PostgreSQL database "{name}"' in out and "does not exist" in out
    assert f"createdb -h {make_url(url).host}" in out and "CREATE EXTENSION postgis" in out
    assert "Traceback" not in out


@pytest.fixture
def database_without_postgis():
    """URL of a new PostgreSQL database without PostGIS (dropped afterwards)."""
    from tests.api_fixtures import _create_database, _drop_database, _with_database

    base = _pg_base()
    name = f"parksite_nopostgis_{uuid.uuid4().hex[:8]}"
    try:
        _create_database(base, name)
    except Exception as exc:  # no CREATEDB privilege
        pytest.skip(f"cannot create a database: {exc}")
    try:
        yield _with_database(base, name)
    finally:
        _drop_database(base, name)


@pytest.mark.postgis
def test_a_database_without_postgis_is_refused_before_anything_is_written(
    database_without_postgis, monkeypatch, capsys, no_uvicorn, tmp_path
):
    url = database_without_postgis
    for args in (["db", "upgrade"], ["serve"]):
        code, out = run_main(monkeypatch, capsys, *args, "--database-url", url)
        assert code == 8, out
        assert "does not have the PostGIS extension" in out and 'CREATE EXTENSION postgis"' in out
        assert "Traceback" not in out
    assert no_uvicorn == []
    from app.db.engine import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")) == 0
    finally:
        engine.dispose()

    from fastapi.testclient import TestClient

    from app.api.factory import create_app
    from app.settings import Settings

    app = create_app(Settings(database_url=url, state_dir=tmp_path, secret_key="k" * 48))
    with pytest.raises(DatabaseUnavailableError, match="PostGIS"):
        with TestClient(app):
            pass


# --------------------------------------------------------------------------- mid-command failures


def test_a_database_error_while_a_command_runs_is_reported_without_a_traceback(tmp_path, monkeypatch, capsys):
    from sqlalchemy.exc import IntegrityError, OperationalError

    import app.db.schema as schema

    def gone(*_a, **_k):
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(schema, "upgrade", gone)
    code, out = run_main(
        monkeypatch, capsys, "db", "upgrade", "--database-url", f"sqlite:///{tmp_path / 'x'}"
    )
    assert code == 8 and "the database failed: server closed the connection unexpectedly" in out
    assert "Traceback" not in out
    assert is_unavailable_error(OperationalError("x", {}, Exception("y")))
    assert not is_unavailable_error(IntegrityError("x", {}, Exception("duplicate key")))  # a bug: traceback
    assert not is_unavailable_error(ValueError("x"))
