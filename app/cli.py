"""The ``parksite`` command line (typer). Each command group lives in ``app/commands/``."""

from __future__ import annotations

import importlib
import sys

import typer

from app.commands.lang import LANG_HELP, current, error_line, set_lang
from app.errors import exit_code_for
from app.i18n import text
from gis.errors import ParksiteError

cli = typer.Typer(
    name="parksite",
    help="parksite — 工业园区选址与用地 GIS (site selection and land use for industrial parks).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@cli.callback()
def _options(lang: str = typer.Option("zh", "--lang", help=LANG_HELP)) -> None:
    """parksite — 工业园区选址与用地 GIS (site selection and land use for industrial parks)."""
    set_lang(lang)


#: Command modules, each with ``register(cli)``; listed here so the CLI's shape is explicit.
COMMAND_MODULES: tuple[str, ...] = (
    "app.commands.zone",
    "app.commands.zone_init",
    "app.commands.slope",
    "app.commands.score",
    "app.commands.weights",
    "app.commands.sample",
    "app.commands.admission",
    "app.commands.projects",
    "app.commands.evaluation",
    "app.commands.land",
    "app.commands.cluster",
    "app.commands.db",
    "app.commands.export",
    "app.commands.report",
    "app.commands.serve",
    "app.commands.tiles",
)

for _name in COMMAND_MODULES:
    importlib.import_module(_name).register(cli)


def _is_usage_error(exc: Exception) -> bool:
    """Return True for a click usage error (unknown command, missing argument, bad option value).

    Newer typer releases raise their own vendored copy of click's exceptions (subclasses of
    ``typer.TyperException``), older ones click's; both carry ``show()`` and ``exit_code`` (2).
    """
    kinds: list[type] = []
    typer_error = getattr(typer, "TyperException", None)
    if isinstance(typer_error, type):
        kinds.append(typer_error)
    try:
        import click

        kinds.append(click.exceptions.ClickException)
    except ImportError:  # pragma: no cover - typer without click installed
        pass
    return (
        isinstance(exc, tuple(kinds))
        and hasattr(exc, "show")
        and isinstance(getattr(exc, "exit_code", None), int)
    )


def main() -> None:
    """Entry point: run the CLI, turning domain errors into a message and an exit code."""
    try:
        rv = cli(standalone_mode=False)
    except ParksiteError as exc:
        typer.secho(error_line(exc), err=True, fg=typer.colors.RED)
        sys.exit(exit_code_for(exc))
    except typer.Abort:
        typer.secho(text("cli.aborted", current()), err=True)
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as exc:  # usage errors: click's exceptions, or typer's own copy of them
        if _is_usage_error(exc):
            exc.show()  # type: ignore[attr-defined]
            sys.exit(exc.exit_code)  # type: ignore[attr-defined]
        if type(exc).__module__.split(".")[0] in ("sqlalchemy", "psycopg", "sqlean", "sqlite3"):
            from app.db.probe import explain_anywhere, is_unavailable_error

            if is_unavailable_error(exc):  # the database went away mid-command: no traceback
                err = explain_anywhere(exc)
                typer.secho(f"错误 error: {err}", err=True, fg=typer.colors.RED)
                sys.exit(exit_code_for(err))
        raise
    # Without standalone mode click returns a command's exit code instead of exiting with it.
    sys.exit(rv if isinstance(rv, int) else 0)


if __name__ == "__main__":  # pragma: no cover
    main()
