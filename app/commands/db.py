"""``parksite db upgrade|current|backup|restore``, ``parksite import`` and ``parksite user add|list|disable|enable``.

Every command takes ``--database-url`` (default ``PARKSITE_DATABASE_URL``, else the SpatiaLite
file in the state directory) and brings the schema to the newest revision before it writes.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.table import Table

from app.settings import get_settings

if TYPE_CHECKING:
    from app.db.import_plan import ReplacePlan
from gis.errors import SchemaError

console = Console()
db_app = typer.Typer(help="数据库 Database schema (SpatiaLite or PostGIS).", no_args_is_help=True)
user_app = typer.Typer(
    help="用户 Users and roles (viewer, analyst, planner, manager, admin).", no_args_is_help=True
)

DatabaseUrl = typer.Option(
    None,
    "--database-url",
    envvar="PARKSITE_DATABASE_URL",
    show_envvar=True,
    help="sqlite:///PATH or postgresql+psycopg://USER@HOST:PORT/DB (default: the SpatiaLite "
    "file in the state directory)",
)


def _url(url: str | None) -> str:
    return url or get_settings().resolved_database_url()


def _shown(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _ready_engine(url: str | None):  # noqa: ANN202
    """Return an engine on a database (checked: :func:`app.db.probe.open_database`) migrated to
    the newest revision."""
    from app.db import schema
    from app.db.probe import open_database

    engine = open_database(_url(url))
    try:
        schema.upgrade(engine)
    except BaseException:
        engine.dispose()
        raise
    return engine


def _cli_user(user: str | None) -> str:
    if user:
        return user
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no login name (containers)
        return "cli"


@db_app.command("upgrade")
def upgrade(
    database_url: str | None = DatabaseUrl, revision: str = typer.Option("head", help="target revision")
) -> None:
    """Create or migrate the database schema to the newest (or given) revision."""
    from app.db import schema
    from app.db.engine import backend_of
    from app.db.probe import open_database

    url = _url(database_url)
    engine = open_database(url)
    try:
        before = schema.current_revision(engine)
        after = schema.upgrade(engine, revision)
    finally:
        engine.dispose()
    what = "already at" if before == after else f"migrated from {before or 'empty'} to"
    console.print(f"[green]OK[/green] {backend_of(url)} database {_shown(url)}: {what} revision {after}")


@db_app.command("current")
def current(database_url: str | None = DatabaseUrl) -> None:
    """Print the database's schema revision and the newest one the code knows."""
    from app.db import schema
    from app.db.engine import backend_of
    from app.db.probe import open_database

    url = _url(database_url)
    engine = open_database(url)
    try:
        have = schema.current_revision(engine)
    finally:
        engine.dispose()
    head = schema.head_revision()
    state = "[green]up to date[/green]" if have == head else "[yellow]run `parksite db upgrade`[/yellow]"
    console.print(
        f"{backend_of(url)} database {_shown(url)}: revision {have or 'none'}, newest {head} — {state}"
    )


def _size(n: int) -> str:
    return f"{n / 1e6:,.1f} MB" if n >= 1e5 else f"{n / 1e3:,.0f} kB"


@db_app.command("backup")
def backup(
    file: Path = typer.Argument(..., help="the backup file to write", dir_okay=False),
    force: bool = typer.Option(False, "--force", help="replace FILE if it exists"),
    database_url: str | None = DatabaseUrl,
) -> None:
    """备份 Back up the whole database into FILE: a SpatiaLite copy (SQLite's online backup, safe
    while the server runs) or a PostGIS pg_dump archive (needs postgresql-client)."""
    from app.db.backup import backup_database

    url = _url(database_url)
    info = backup_database(url, file, overwrite=force)
    console.print(
        f"[green]OK[/green] {info.backend} database {_shown(url)} backed up to {file} "
        f"({_size(info.size_bytes)}): {info.summary()}",
        highlight=False,
        soft_wrap=True,
    )


@db_app.command("restore")
def restore(
    file: Path = typer.Argument(..., help="a file written by `parksite db backup`", dir_okay=False),
    force: bool = typer.Option(
        False, "--force", help="replace a database that holds data (everything in it is replaced)"
    ),
    database_url: str | None = DatabaseUrl,
) -> None:
    """恢复 Replace the database by a backup (stop `parksite serve` first). A file of the wrong
    kind, damaged or from a newer parksite is refused and the database left as it was."""
    from app.db import schema
    from app.db.backup import restore_database

    url = _url(database_url)
    info = restore_database(url, file, force=force)
    console.print(
        f"[green]OK[/green] {info.backend} database {_shown(url)} restored from {file}: {info.summary()}",
        highlight=False,
        soft_wrap=True,
    )
    if info.revision != schema.head_revision():
        console.print(
            f"[yellow]the backup's schema revision {info.revision} is older than this parksite's "
            f"({schema.head_revision()}): run `parksite db upgrade`[/yellow]"
        )


def _layer_files(items: list[str]) -> dict[str, Path]:
    out = {}
    for item in items:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            raise SchemaError(
                f"{item!r} is not NAME=FILE", where="--layer", hint="e.g. --layer parcels=parcels.geojson"
            )
        out[name.strip()] = Path(path)
    return out


def _print_plan(plan: ReplacePlan) -> None:
    """Print what a replace will remove and keep, before it writes."""
    head, *lines = plan.lines()
    console.print(f"[yellow]{head}[/yellow]", highlight=False)
    for line in lines:
        console.print(f"  {line}", highlight=False)


def import_command(
    zone: Path | None = typer.Option(None, "--zone", help="zone YAML file (default: PARKSITE_ZONE_FILE)"),
    layers: Path | None = typer.Option(
        None, "--layers", help="GeoPackage with the zone's layers (default: the zone file's data.layers)"
    ),
    layer: list[str] = typer.Option(
        [],
        "--layer",
        help="one layer from its own file: NAME=FILE (GeoJSON, zipped Shapefile, GeoPackage); repeatable",
    ),
    dem: list[Path] = typer.Option(
        [], "--dem", help="DEM GeoTIFF (default: the zone file's data.dems); repeatable"
    ),
    sample: bool = typer.Option(False, "--sample", help="import the bundled Jiaokou sample zone"),
    replace: bool = typer.Option(
        False,
        "--replace",
        help="replace a zone already in the database (clusters and parcels keep their history)",
    ),
    drop_missing: bool = typer.Option(
        False,
        "--drop-missing",
        help="with --replace: also remove the layers (roads, rivers, …, DEMs) the sources do not "
        "carry; without it they are kept",
    ),
    user: str | None = typer.Option(None, "--user", help="name recorded in the audit log"),
    database_url: str | None = DatabaseUrl,
    mapping: Path | None = typer.Option(
        None, "--mapping", help="field-mapping YAML: which file is which layer, fields, codes, units"
    ),
    crs: str | None = typer.Option(
        None, "--crs", help="CRS of layer files that declare none, e.g. EPSG:4525 (a declared CRS wins)"
    ),
    encoding: str | None = typer.Option(
        None, "--encoding", help="text encoding of Shapefiles, DXF and CSV (default: declared, else detected)"
    ),
    dem_resolution: float | None = typer.Option(
        None, "--dem-resolution", help="cell size (m) DEMs outside the zone CRS are reprojected to"
    ),
    dem_folder: Path | None = typer.Option(
        None, "--dem-folder", help="where DEM mosaics are written (default: <zone id>/ beside the zone file)"
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="read and check everything, report, write nothing"),
    lang: str = typer.Option("zh", "--lang", help="language of the dry-run report: zh or en"),
) -> None:
    """导入 Import a zone: its rules and layers (and DEMs), checked first, written all or nothing.

    A replace first prints what it will remove, per layer; a layer the sources do not carry is
    kept unless --drop-missing.
    """
    from app.db.engine import session_factory
    from app.db.importer import import_zone, sample_sources, sources_for_zone

    if sample and (zone or layers or layer or dem):
        raise SchemaError(
            "--sample takes no --zone, --layers, --layer or --dem",
            where="import",
            hint="use either --sample or your own files",
        )
    if drop_missing and not replace:
        raise SchemaError(
            "--drop-missing only applies to a replace",
            where="import",
            hint="add --replace, or leave out --drop-missing",
        )
    if not sample:
        from app.commands.import_files import import_from_files, wants_plan

        zone_file = zone or get_settings().zone_file
        files = _layer_files(layer)
        if wants_plan(
            dry_run=dry_run,
            mapping=mapping,
            crs=crs,
            encoding=encoding,
            dem_resolution=dem_resolution,
            layer_files=files,
            dems=dem,
            zone_crs=lambda: _zone_crs(zone_file),
        ):
            import_from_files(
                lambda: _factory(database_url),
                zone_file=zone_file,
                mapping=mapping,
                layers=layers,
                layer_files=files,
                dems=dem or None,
                crs=crs,
                encoding=encoding,
                dem_resolution=dem_resolution,
                dem_folder=dem_folder,
                dry_run=dry_run,
                replace=replace,
                user=_cli_user(user),
                lang=lang,
                drop_missing=drop_missing,
                on_plan=_print_plan,
            )
            return
    if sample:
        sources = sample_sources()
    else:
        sources = sources_for_zone(
            zone or get_settings().zone_file, layers=layers, layer_files=_layer_files(layer), dems=dem or None
        )
    engine = _ready_engine(database_url)
    try:
        report = import_zone(
            session_factory(engine),
            sources,
            replace=replace,
            user=_cli_user(user),
            drop_missing=drop_missing,
            on_plan=_print_plan,
        )
        if sample:
            from app.sample.figures import write_sample_figures

            figures = write_sample_figures(session_factory(engine), report.zone_id, sources.zone_file)

            from app.sample.contracts import load_sample_contracts

            added = load_sample_contracts(session_factory(engine), report.zone_id)
            console.print(f"[green]OK[/green] {added} illustrative land contracts (示例供地合同，虚构) added")
    finally:
        engine.dispose()
    lines = report.lines()
    if sample:
        from app.commands.lang import current as current_lang
        from app.i18n import text

        lines.append(text("sample.figures_written", current_lang(), n=figures))
    console.print(f"[green]OK[/green] {lines[0]}")
    for line in lines[1:]:
        console.print(f"  {line}", highlight=False)


def _zone_crs(zone_file: Path) -> str:
    from scoring.zone import load_zone

    return load_zone(zone_file).zone.crs


@contextmanager
def _factory(database_url: str | None) -> Iterator[Any]:
    """A session factory on the migrated database, disposed of afterwards."""
    from app.db.engine import session_factory

    engine = _ready_engine(database_url)
    try:
        yield session_factory(engine)
    finally:
        engine.dispose()


@user_app.command("add")
def user_add(
    name: str = typer.Argument(..., help="user name"),
    role: str = typer.Option(..., "--role", help="viewer | analyst | planner | manager | admin"),
    password: str | None = typer.Option(None, "--password", help="password (prompted if omitted)"),
    database_url: str | None = DatabaseUrl,
) -> None:
    """Add a user with a role and a password (argon2-hashed)."""
    from app.db.engine import session_factory, transaction
    from app.db.users import add_user

    if password is None:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    engine = _ready_engine(database_url)
    try:
        with transaction(session_factory(engine)) as s:
            u = add_user(s, name, role, password, by=_cli_user(None))
            console.print(f"[green]OK[/green] user {u.name} ({u.role}) added")
    finally:
        engine.dispose()


@user_app.command("list")
def user_list(database_url: str | None = DatabaseUrl) -> None:
    """List users with their role and state."""
    from app.db.engine import session_factory, transaction
    from app.db.users import list_users

    engine = _ready_engine(database_url)
    try:
        with transaction(session_factory(engine)) as s:
            t = Table(title="用户 Users")
            for col in ("name", "role", "state", "created", "last login"):
                t.add_column(col)
            for u in list_users(s):
                t.add_row(
                    u.name,
                    u.role,
                    "disabled" if u.disabled else "active",
                    u.created_at.strftime("%Y-%m-%d %H:%M"),
                    u.last_login_at.strftime("%Y-%m-%d %H:%M") if u.last_login_at else "—",
                )
            console.print(t)
    finally:
        engine.dispose()


@user_app.command("disable")
def user_disable(name: str = typer.Argument(...), database_url: str | None = DatabaseUrl) -> None:
    """Disable a user: no more logins; their history stays."""
    from app.db.engine import session_factory, transaction
    from app.db.users import disable_user

    engine = _ready_engine(database_url)
    try:
        with transaction(session_factory(engine)) as s:
            disable_user(s, name, by=_cli_user(None))
        console.print(f"[green]OK[/green] user {name} disabled")
    finally:
        engine.dispose()


@user_app.command("enable")
def user_enable(name: str = typer.Argument(...), database_url: str | None = DatabaseUrl) -> None:
    """Enable a disabled user again."""
    from app.db.engine import session_factory, transaction
    from app.db.users import enable_user

    engine = _ready_engine(database_url)
    try:
        with transaction(session_factory(engine)) as s:
            enable_user(s, name, by=_cli_user(None))
        console.print(f"[green]OK[/green] user {name} enabled")
    finally:
        engine.dispose()


def register(cli: typer.Typer) -> None:
    """Add ``db``, ``user`` and ``import`` to the parksite CLI."""
    cli.add_typer(db_app, name="db")
    cli.add_typer(user_app, name="user")
    cli.command("import")(import_command)
