"""A SpatiaLite database holding the sample zone as ``parksite import --sample`` leaves it (the
zone, its illustrative 亩均效益 figures of 2022–2025 and its three illustrative land contracts),
with the contracts dated from :data:`LOADED` so the supervision cases are known; built once per
test session for the reports of the evaluation and of the supervision notices."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

#: The day the sample contracts are loaded as of (they are dated relative to it).
LOADED = dt.date(2026, 3, 1)


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Return the URL of the sample zone's database (see the module docstring)."""
    from app.commands.db import _ready_engine
    from app.db.engine import session_factory
    from app.db.importer import import_zone, sample_sources
    from app.sample.contracts import load_sample_contracts
    from app.sample.figures import write_sample_figures

    path: Path = tmp_path_factory.mktemp("report-sample") / "parksite.sqlite"
    url = f"sqlite:///{path}"
    engine = _ready_engine(url)
    try:
        factory = session_factory(engine)
        sources = sample_sources()
        report = import_zone(factory, sources)
        write_sample_figures(factory, report.zone_id, sources.zone_file)
        assert load_sample_contracts(factory, report.zone_id, today=LOADED) == 3
    finally:
        engine.dispose()
    return url


def report_app() -> typer.Typer:
    """A Typer app with the ``report`` commands only, as ``parksite`` registers them."""
    from app.commands.report import register

    app = typer.Typer()
    register(app)

    @app.callback()
    def _root() -> None:
        pass

    return app


def run_report(cli: typer.Typer, kind: str, *args: object):
    """Invoke ``parksite report KIND ARGS`` on ``cli`` (wide output, so messages stay whole)."""
    return CliRunner().invoke(cli, ["report", kind, *map(str, args)], env={"COLUMNS": "200"})
