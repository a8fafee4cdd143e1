"""``parksite serve``: prepare the database and run the web server (API and map) with uvicorn.

Before the server starts: the settings are built (environment ``PARKSITE_*`` plus the options),
the database is migrated to the newest schema, the bundled sample zone is imported when the
database holds no zone (the same path as ``parksite import --sample``) and scored when it has no
score run, jobs and score runs a previous server left unfinished are marked ``interrupted``
(their inputs kept or deleted by ``PARKSITE_INTERRUPTED_JOB_INPUTS``), and — in
development mode only — a default admin is created when there are no users (said loudly).
Outside development mode there is never a default password. Each server process then builds
the zone's measuring context and admission state in the background (``app.api.warmup``, unless
``PARKSITE_WARM_ON_START=0``) and logs one line when it is warm.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.panel import Panel

from app.settings import Settings, get_settings

if TYPE_CHECKING:  # the database, GIS and web stacks load only when ``serve`` runs
    from app.db.importer import ImportSources

console = Console()


def sample_sources() -> ImportSources:
    """Return the bundled sample zone's import sources (:func:`app.db.importer.sample_sources`).

    A module-level name so that the database and GIS stacks load only when ``serve`` runs.
    """
    from app.db.importer import sample_sources as bundled

    return bundled()


def cpu_workers() -> int:
    """Return the number of worker processes a machine suits: min(4, usable CPUs)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cpus = os.cpu_count() or 1
    return max(1, min(4, cpus))


def default_workers(database_url: str) -> int:
    """Return the worker processes ``parksite serve`` runs without ``--workers`` /
    ``PARKSITE_WORKERS``: :func:`cpu_workers` (min(4, usable CPUs)) on PostGIS, 1 on SpatiaLite.

    PostGIS is the multi-user backend: every worker has its own connection pool, PostgreSQL
    serves them all at once, and the state the workers must share — the login throttle's counts
    (``login_throttle``), jobs, edits — is in the database. Each worker holds its own zone
    context (DEMs, slope, road network, built as it starts: ``PARKSITE_WARM_ON_START``) and
    tile cache, so more workers cost memory; the kernel spreads requests over them.

    SpatiaLite stays at one process unless asked: the database is one file that one process at
    a time may write (the others wait on its lock, up to the 30 s busy timeout), and its
    write-ahead log relies on shared memory and file locks that hold only on a local file system
    — a state directory on a network share would be corrupted by several processes. An operator
    who knows the file is local may still ask for ``--workers N`` (the throttle's limit then
    holds across them as on PostGIS)."""
    from app.db.engine import backend_of

    return cpu_workers() if backend_of(database_url) == "postgis" else 1


def server_log_config() -> dict[str, Any]:
    """Return uvicorn's logging configuration with parksite's own loggers (``parksite.*``) at
    INFO on the same handler: each worker's warm-up line and the app's warnings reach the
    server's log (uvicorn configures logging in every worker process from this)."""
    import copy

    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["parksite"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """Set ``values`` in ``os.environ`` (and forget the cached settings) for the block, then put
    back what was there before."""
    before = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    get_settings.cache_clear()
    try:
        yield
    finally:
        for k, v in before.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        get_settings.cache_clear()


def prepare(settings: Settings, *, out: Console = console) -> None:
    """Migrate, import and score the sample zone if needed, mark interrupted jobs, dev admin.

    Raises the domain errors of the steps (a broken database URL, an import or scoring error).
    """
    from app.api.factory import preload_native_libraries

    preload_native_libraries()
    from sqlalchemy import func, select

    from app.api.recover import recover
    from app.api.scores import latest_run, run_scoring
    from app.db import schema
    from app.db.engine import backend_of, session_factory
    from app.db.importer import import_zone
    from app.db.models import UserRow, ZoneRow
    from app.db.probe import open_database
    from app.db.users import DEV_ADMIN_NAME, DEV_ADMIN_PASSWORD, ensure_dev_admin

    url = settings.resolved_database_url()
    engine = open_database(url)  # DatabaseUnavailableError: what, where, what to do
    try:
        revision = schema.upgrade(engine)
        out.print(f"[green]OK[/green] {backend_of(url)} database at schema revision {revision}")
        factory = session_factory(engine)
        for line in recover(factory, settings).lines():  # jobs, score runs, inputs (by policy)
            out.print(f"[yellow]{line}[/yellow]")
        with factory() as s:
            zones = list(s.scalars(select(ZoneRow.id).order_by(ZoneRow.id)))
        if not zones:
            out.print("the database holds no zone: importing the bundled sample zone (交口经济技术开发区) …")
            t0 = time.perf_counter()
            sources = sample_sources()
            report = import_zone(factory, sources, user="parksite serve")
            from app.sample.figures import write_sample_figures

            n = write_sample_figures(factory, report.zone_id, sources.zone_file)
            out.print(f"illustrative 亩均效益 figures written for {n} enterprise-years (sample, invented)")
            out.print(f"[green]OK[/green] {report.lines()[0]} ({time.perf_counter() - t0:.1f} s)")
            zones = [report.zone_id]
            from app.sample.contracts import load_sample_contracts

            added = load_sample_contracts(factory, report.zone_id)
            out.print(f"[green]OK[/green] {added} illustrative land contracts (示例供地合同，虚构) added")
        for zone_id in zones:
            with factory() as s:
                scored = latest_run(s, zone_id) is not None
            if not scored:
                out.print(f"zone {zone_id} has no score run: scoring its parcels …")
                t0 = time.perf_counter()
                result = run_scoring(factory, zone_id, user="parksite serve")
                by_class = ", ".join(f"{k} {v}" for k, v in result.summary["by_class"].items())
                out.print(
                    f"[green]OK[/green] score run {result.run_id}: {result.summary['n_parcels']} "
                    f"parcels ({by_class}) in {time.perf_counter() - t0:.1f} s"
                )
        with factory.begin() as s:
            admin = ensure_dev_admin(s, settings) if settings.dev_mode else None
            users = s.scalar(select(func.count()).select_from(UserRow))
        if admin is not None:
            out.print(
                Panel(
                    f"DEVELOPMENT MODE: created user [bold]{DEV_ADMIN_NAME}[/bold] with password "
                    f"[bold]{DEV_ADMIN_PASSWORD}[/bold] (role admin).\nNever use development mode "
                    "on a server others can reach.",
                    style="bold red",
                    title="默认管理员 default admin",
                )
            )
        elif not users:
            out.print(
                "[yellow]no users yet: reads are open, but nobody can edit. Add an administrator with[/yellow]\n"
                "  parksite user add NAME --role admin"
            )
    finally:
        engine.dispose()


def register(cli: typer.Typer) -> None:
    """Add the ``serve`` command to ``cli``."""

    @cli.command("serve")
    def serve(
        host: str | None = typer.Option(
            None, "--host", help="address to listen on (default PARKSITE_HOST, 127.0.0.1)"
        ),
        port: int | None = typer.Option(None, "--port", help="port (default PARKSITE_PORT, 8000)"),
        reload: bool = typer.Option(False, "--reload", help="restart on code changes (development)"),
        workers: int | None = typer.Option(
            None,
            "--workers",
            min=1,
            max=64,
            help=f"worker processes (default PARKSITE_WORKERS, else {cpu_workers()} on PostGIS — min(4, CPUs) — and 1 on SpatiaLite, whose one database file is best written by one process)",
        ),
        database_url: str | None = typer.Option(
            None,
            "--database-url",
            envvar="PARKSITE_DATABASE_URL",
            help="sqlite:///PATH or postgresql+psycopg://… (default: SpatiaLite file in the state directory)",
        ),
    ) -> None:
        """启动 Run the web map and API: migrate, import and score the sample zone if empty, serve."""
        import uvicorn

        settings = get_settings()
        updates = {k: v for k, v in (("host", host), ("port", port), ("database_url", database_url)) if v}
        if updates:
            settings = settings.model_copy(update=updates)
        n = (
            1
            if reload
            else (workers or settings.workers or default_workers(settings.resolved_database_url()))
        )
        prepare(settings)
        url = f"http://{settings.host}:{settings.port}/"
        console.print(
            f"[bold green]parksite[/bold green] serving the map at [link={url}]{url}[/link] "
            f"and the API at {url}api/v1/docs with {n} worker process{'es' if n > 1 else ''} (Ctrl-C stops)"
        )
        if reload or n > 1:
            # the reloader and the workers import the app in child processes: pass the options by
            # environment; jobs were marked interrupted once above (prepare), never again by a worker
            passed = {"PARKSITE_RECOVER_ON_START": "0"}
            if settings.database_url:
                passed["PARKSITE_DATABASE_URL"] = settings.database_url
            with _environment(passed):  # for the children only: this process's settings stay its own
                uvicorn.run(
                    "app.api.factory:create_app",
                    factory=True,
                    host=settings.host,
                    port=settings.port,
                    reload=reload,
                    workers=None if reload else n,
                    proxy_headers=False,  # the app reads X-Forwarded-For from trusted proxies only
                    log_config=server_log_config(),  # the workers' warm-up lines
                )
        else:
            from app.api.factory import create_app

            # uvicorn would otherwise rewrite the client address from X-Forwarded-For of any
            # request from 127.0.0.1; the app believes that header only from PARKSITE_TRUSTED_PROXIES
            # (app.api.proxies)
            uvicorn.run(
                create_app(settings),
                host=settings.host,
                port=settings.port,
                proxy_headers=False,
                log_config=server_log_config(),
            )
