"""``parksite export gpkg|shapefile|csv|xlsx --out FILE``: a zone's exchange files.

Every command reads the database (``--database-url``, default ``PARKSITE_DATABASE_URL`` or the
SpatiaLite file in the state directory) and the zone ``--zone`` (default: the only zone in the
database, else the settings' zone file). See :mod:`app.exports` for what each file holds.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from app.commands.lang import LANG_HELP, current, error_line, set_lang
from app.errors import exit_code_for
from app.i18n import text
from app.settings import get_settings
from gis.errors import ParksiteError

console = Console()
err_console = Console(stderr=True)
export_app = typer.Typer(
    help="导出 Export a zone: GeoPackage, zipped Shapefile, CSV, XLSX.", no_args_is_help=True
)

DatabaseUrl = typer.Option(
    None,
    "--database-url",
    envvar="PARKSITE_DATABASE_URL",
    show_envvar=True,
    help="sqlite:///PATH or postgresql+psycopg://…",
)
ZoneOpt = typer.Option(None, "--zone", help="zone id (default: the only zone in the database)")
Out = typer.Option(..., "--out", "-o", help="file to write (replaced if it exists)")


def _run(kind: str, out: Path, zone: str | None, database_url: str | None, **options: object) -> None:
    # the database, GIS and spreadsheet stacks load only when an export runs
    from app.db.engine import session_factory
    from app.db.probe import open_database
    from app.exports import write_kind
    from app.exports.data import load_zone_data
    from app.ogc.deps import resolve_zone

    url = database_url or get_settings().resolved_database_url()
    engine = open_database(url)
    try:
        with session_factory(engine)() as session:
            z = resolve_zone(session, zone)
            data = load_zone_data(session, z.id)
        path = write_kind(data, kind, out, **options)
    except ParksiteError as exc:
        err_console.print(f"[red]{escape(error_line(exc))}[/red]", highlight=False, soft_wrap=True)
        raise typer.Exit(exit_code_for(exc)) from exc
    finally:
        engine.dispose()
    run = f"score run {data.run.id}" if data.run else "no score run (scores empty)"
    console.print(
        f"[green]OK[/green] {kind} of zone {escape(data.zone_id)} → {escape(str(path))} "
        f"({path.stat().st_size / 1024:,.0f} KiB; {len(data.scores)} parcels, "
        f"{len(data.checks)} check results; {run})",
        highlight=False,
    )


@export_app.command("gpkg")
def export_gpkg(out: Path = Out, zone: str | None = ZoneOpt, database_url: str | None = DatabaseUrl) -> None:
    """Whole zone as a GeoPackage (importable again with `parksite import --layers`)."""
    _run("gpkg", out, zone, database_url)


@export_app.command("shapefile")
def export_shapefile(
    out: Path = Out,
    zone: str | None = ZoneOpt,
    crs: str | None = typer.Option(None, "--crs", help="output CRS (default: zone CRS)"),
    database_url: str | None = DatabaseUrl,
) -> None:
    """Parcels with scores as a zipped Shapefile (.cpg UTF-8, fields.csv names the fields)."""
    _run("shapefile", out, zone, database_url, crs=crs)


@export_app.command("csv")
def export_csv(
    out: Path = Out,
    zone: str | None = ZoneOpt,
    table: str = typer.Option("scores", "--table", help="scores | verdicts"),
    headers: str = typer.Option(
        None, "--headers", help="zh | en: the language of headers and values (= --lang)"
    ),
    lang: str = typer.Option(None, "--lang", help=LANG_HELP),
    database_url: str | None = DatabaseUrl,
) -> None:
    """Parcel scores or project verdicts as CSV (UTF-8 with BOM for Excel), in one language."""
    language = set_lang(lang or headers or current())
    if table not in ("scores", "verdicts"):
        err_console.print(f"[red]{text('cli.export.bad_table', language)}[/red]")
        raise typer.Exit(2)
    _run("csv", out, zone, database_url, table=table, lang=language)


@export_app.command("xlsx")
def export_xlsx(
    out: Path = Out,
    zone: str | None = ZoneOpt,
    lang: str = typer.Option(None, "--lang", help=LANG_HELP),
    database_url: str | None = DatabaseUrl,
) -> None:
    """Workbook: summary, one sheet per park, project verdicts, notes (in one language)."""
    _run("xlsx", out, zone, database_url, lang=set_lang(lang or current()))


def register(cli: typer.Typer) -> None:
    """Add the ``export`` command group to ``cli``."""
    cli.add_typer(export_app, name="export")
