"""``parksite serve``: migrate, import and score the sample zone on an empty database, mark
interrupted jobs, the development admin (and never a default password outside development
mode), then uvicorn with the app. The sample zone is swapped for the small test zone (the same
import path, seconds instead of half a minute) and uvicorn.run is replaced by a recorder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import typer
from sqlalchemy import func, select
from typer.testing import CliRunner

from tests.api_fixtures import RunCalls, write_api_zone


@pytest.fixture
def serve_cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """A CLI with ``serve`` whose sample zone is the small zone and whose uvicorn only records."""
    import uvicorn

    import app.commands.serve as serve
    from app.settings import get_settings

    calls = RunCalls()
    monkeypatch.setattr(uvicorn, "run", calls)
    monkeypatch.setattr(serve, "sample_sources", lambda: write_api_zone(tmp_path / "sample"))
    monkeypatch.setenv("PARKSITE_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("PARKSITE_DEV_MODE", raising=False)
    monkeypatch.setenv("PARKSITE_WORKERS", "1")  # in this process (several: tests/test_api_office.py)
    monkeypatch.setenv("PARKSITE_RECOVER_ON_START", "1")  # serve may set it off: restored afterwards
    get_settings.cache_clear()
    cli = typer.Typer()
    serve.register(cli)
    cli.command("noop")(lambda: None)  # a second command keeps ``serve`` a named subcommand
    yield cli, calls
    get_settings.cache_clear()


def _db(url: str):
    from app.db.engine import make_engine, session_factory

    return make_engine(url), session_factory


def test_serve_prepares_an_empty_database_in_dev_mode(serve_cli, empty_db_url, monkeypatch):
    from fastapi import FastAPI

    from app.db.models import LandContractRow, ScoreRunRow, UserRow, ZoneRow
    from app.db.users import DEV_ADMIN_PASSWORD

    cli, calls = serve_cli
    monkeypatch.setenv("PARKSITE_DEV_MODE", "1")
    result = CliRunner().invoke(cli, ["serve", "--port", "8123", "--database-url", empty_db_url])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "importing the bundled sample zone" in out and "zone jiaokou created" in out
    assert "score run" in out and "22 parcels" in out
    assert "3 illustrative land contracts" in out  # app/sample/contracts.py: idle, overdue, on time
    assert DEV_ADMIN_PASSWORD in out and "DEVELOPMENT MODE" in out
    assert "http://127.0.0.1:8123/" in out
    ((args, kwargs),) = calls
    assert isinstance(args[0], FastAPI) and (kwargs["host"], kwargs["port"]) == ("127.0.0.1", 8123)
    assert kwargs["proxy_headers"] is False  # X-Forwarded-For is the app's to judge (app.api.proxies)
    engine, factory = _db(empty_db_url)
    try:
        with factory(engine)() as s:
            assert list(s.scalars(select(ZoneRow.id))) == ["jiaokou"]
            assert (
                s.scalar(select(func.count()).select_from(ScoreRunRow).where(ScoreRunRow.status == "done"))
                == 1
            )
            assert [(u.name, u.role) for u in s.scalars(select(UserRow))] == [("admin", "admin")]
            illustrative = s.scalars(select(LandContractRow.illustrative)).all()
            assert illustrative == [True, True, True]
    finally:
        engine.dispose()


def test_serve_outside_dev_mode_never_creates_a_password(serve_cli, empty_db_url):
    from app.db.jobs import create_job, start_job
    from app.db.models import BatchJobRow, UserRow

    cli, calls = serve_cli
    first = CliRunner().invoke(cli, ["serve", "--database-url", empty_db_url])
    assert first.exit_code == 0, first.output
    assert "no users yet" in first.output and "parksite user add NAME --role admin" in first.output
    assert "password" not in first.output.lower()
    engine, factory = _db(empty_db_url)
    try:
        with factory(engine).begin() as s:
            assert s.scalar(select(func.count()).select_from(UserRow)) == 0
            job = create_job(s, "score_file", "manager").id
            start_job(s, job)
        again = CliRunner().invoke(cli, ["serve", "--database-url", empty_db_url])
        assert again.exit_code == 0, again.output
        assert "importing" not in again.output and "scoring its parcels" not in again.output
        assert "1 job(s) left unfinished" in again.output
        with factory(engine)() as s:
            assert s.get(BatchJobRow, job).status == "interrupted"
    finally:
        engine.dispose()
    assert len(calls) == 2


def test_serve_with_reload_runs_the_app_factory(serve_cli, empty_db_url, monkeypatch):
    cli, calls = serve_cli
    monkeypatch.setenv("PARKSITE_DATABASE_URL", "sqlite:///elsewhere.sqlite")  # restored afterwards
    result = CliRunner().invoke(
        cli, ["serve", "--reload", "--host", "0.0.0.0", "--port", "9000", "--database-url", empty_db_url]
    )
    assert result.exit_code == 0, result.output
    ((args, kwargs),) = calls
    assert args == ("app.api.factory:create_app",)
    # the workers log parksite's own lines (the warm-up's) with uvicorn's handler
    assert kwargs.pop("log_config")["loggers"]["parksite"] == {
        "handlers": ["default"],
        "level": "INFO",
        "propagate": False,
    }
    assert kwargs == {
        "factory": True,
        "host": "0.0.0.0",
        "port": 9000,
        "reload": True,
        "workers": None,
        "proxy_headers": False,
    }
    (env,) = calls.env  # what the reloader's child reads, set for the run only
    assert env["PARKSITE_RECOVER_ON_START"] == "0"  # done once by prepare, not by the child
    assert env["PARKSITE_DATABASE_URL"] == empty_db_url
    assert os.environ["PARKSITE_RECOVER_ON_START"] == "1"  # this process's own, put back
    assert os.environ["PARKSITE_DATABASE_URL"] == "sqlite:///elsewhere.sqlite"


def test_the_app_refuses_a_database_that_is_not_migrated(empty_db_url, tmp_path):
    from fastapi.testclient import TestClient

    from app.api.factory import create_app
    from app.settings import Settings
    from gis.errors import ConfigError

    app = create_app(Settings(database_url=empty_db_url, state_dir=tmp_path, secret_key="k" * 48))
    with pytest.raises(ConfigError, match="parksite db upgrade"):
        with TestClient(app):
            pass
