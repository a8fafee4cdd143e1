"""The ``parksite`` command line (typer). Each command group lives in ``app/commands/``."""

from __future__ import annotations

import importlib
import sys

import typer

from app.errors import exit_code_for
from gis.errors import ParksiteError

cli = typer.Typer(
    name="parksite",
    help="parksite — 工业园区选址与用地 GIS (site selection and land use for industrial parks).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

#: Command modules, each with ``register(cli)``; listed here so the CLI's shape is explicit.
COMMAND_MODULES: tuple[str, ...] = (
    "app.commands.zone",
    "app.commands.slope",
    "app.commands.score",
    "app.commands.weights",
    "app.commands.sample",
    "app.commands.admission",
    "app.commands.db",
    "app.commands.export",
    "app.commands.serve",
)

for _name in COMMAND_MODULES:
    importlib.import_module(_name).register(cli)


def main() -> None:
    """Entry point: run the CLI, turning domain errors into a message and an exit code."""
    try:
        rv = cli(standalone_mode=False)
    except ParksiteError as exc:
        typer.secho(f"错误 error: {exc}", err=True, fg=typer.colors.RED)
        sys.exit(exit_code_for(exc))
    except typer.Abort:
        typer.secho("aborted", err=True)
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as exc:  # click usage errors come as click.exceptions.*
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
    # Without standalone mode click returns a command's exit code instead of exiting with it.
    sys.exit(rv if isinstance(rv, int) else 0)


if __name__ == "__main__":  # pragma: no cover
    main()
