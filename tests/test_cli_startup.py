"""``parksite`` starts without the GIS, database and web stacks (app/cli.py, app/commands/*.py).

Building the CLI (importing :mod:`app.cli`, which registers every command module, and turning it
into the click command that ``main`` parses with) must not import geopandas, rasterio, the
scoring run (scoring.context, .measure, .batch), SQLAlchemy, FastAPI…: each command imports what it needs when it runs. Checked
in a fresh interpreter, since this test process has loaded all of them already.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import typer.main

ROOT = Path(__file__).resolve().parents[1]
JIAOKOU = ROOT / "data" / "zones" / "jiaokou.yaml"

#: Modules (and their submodules) that building the CLI must not load.
HEAVY = (
    "geopandas",
    "shapely",
    "pyproj",
    "rasterio",
    "exactextract",
    "pyogrio",
    "pandas",
    "numpy",
    "scipy",
    "sqlalchemy",
    "geoalchemy2",
    "alembic",
    "fastapi",
    "uvicorn",
    "starlette",
    "scoring.context",
    "scoring.measure",
    "scoring.batch",
    "app.scoring_io",
    "app.sample",
    "app.db",
    "app.api",
    "app.exports",
    "app.ogc",
)

#: Every command ``parksite --help`` lists (groups and single commands).
COMMANDS = {
    "zone",
    "slope",
    "score",
    "weights",
    "sample",
    "check",
    "recommend",
    "standard-land",
    "plan-report",
    "import",
    "serve",
    "db",
    "user",
    "projects",
    "cluster",
    "evaluate",
    "figures",
    "zone-report",
    "land",
    "supervise",
    "export",
    "report",
    "tiles",
}

_MARK = "@@modules@@"


def _modules_after(code: str) -> list[str]:
    """Run ``code`` in a fresh interpreter; return the module names loaded after it (sorted)."""
    script = f"{code}\nimport json, sys\nprint({_MARK!r} + json.dumps(sorted(sys.modules)))\n"
    r = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    line = next(ln for ln in r.stdout.splitlines() if ln.startswith(_MARK))
    return json.loads(line[len(_MARK) :])


def _heavy_loaded(modules: list[str], heavy: tuple[str, ...] = HEAVY) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in heavy))


def test_building_the_cli_loads_no_heavy_library():
    modules = _modules_after(
        "import typer.main\n"
        "import app.cli\n"
        "command = typer.main.get_command(app.cli.cli)  # what cli() builds before parsing\n"
        f"assert set(command.commands) == set({sorted(COMMANDS)!r}), sorted(command.commands)\n"
    )
    assert "app.cli" in modules and "app.commands.score" in modules and "app.commands.serve" in modules
    assert _heavy_loaded(modules) == []


def test_zone_validate_loads_no_gis_database_or_web_stack():
    """A zone planner's ``parksite zone validate FILE`` needs the zone model only."""
    modules = _modules_after(
        "import sys\n"
        f"sys.argv = ['parksite', 'zone', 'validate', {str(JIAOKOU)!r}]\n"
        "from app.cli import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exc:\n"
        "    assert exc.code == 0, exc.code\n"
    )
    assert "scoring.zone" in modules  # the command did run
    not_needed = (
        "geopandas",
        "shapely",
        "rasterio",
        "exactextract",
        "pyogrio",
        "scipy",
        "sqlalchemy",
        "geoalchemy2",
        "fastapi",
        "uvicorn",
        "scoring.context",
        "scoring.measure",
        "scoring.batch",
        "app.scoring_io",
        "app.db",
        "app.api",
        "app.sample",
    )
    assert _heavy_loaded(modules, not_needed) == []


def test_help_exits_0_and_lists_every_command():
    from app.cli import cli

    assert set(typer.main.get_command(cli).commands) == COMMANDS
    r = subprocess.run(
        [sys.executable, "-m", "app.cli", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    listed = {line.strip("│ ").split(" ")[0] for line in r.stdout.splitlines() if line.startswith("│ ")}
    assert COMMANDS <= listed, COMMANDS - listed


def test_option_defaults_repeated_in_the_commands_match_their_source():
    """``--max-cells``, ``--batch-size`` and ``--seed`` defaults are repeated in the command
    modules (so that ``--help`` needs no rasterio or geopandas); they must equal the originals."""
    from app.commands import sample, score, slope
    from app.sample.build import DEFAULT_SEED
    from gis.raster import DEFAULT_MAX_CELLS
    from scoring.batch import DEFAULT_BATCH_SIZE

    assert slope.DEFAULT_MAX_CELLS == DEFAULT_MAX_CELLS
    assert score.DEFAULT_BATCH_SIZE == DEFAULT_BATCH_SIZE
    assert sample.DEFAULT_SEED == DEFAULT_SEED


def test_usage_errors_exit_2_with_the_usage_message_not_a_traceback():
    """An unknown command, a missing argument or a bad option value: click's message, exit 2
    (typer raises its own copy of click's exceptions; ``main`` must recognise them)."""
    for args, message in (
        (["nosuch"], "No such command 'nosuch'"),
        (["zone", "validate"], "Missing argument 'file'"),
        (["weights", "--ahp", "x.csv", "--bogus"], "No such option: --bogus"),
    ):
        r = subprocess.run(
            [sys.executable, "-m", "app.cli", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
        )
        assert r.returncode == 2, (args, r.stderr)
        assert message in r.stderr and "Traceback" not in r.stderr, r.stderr
