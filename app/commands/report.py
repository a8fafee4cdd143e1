"""``parksite report``: printed documents as PDF.

::

    parksite report parcel ID --out F.pdf [--zone ZONE.yaml] [--date YYYY-MM-DD] [--lang zh|en]
    parksite report project --project FILE --parcel ID [--parcel ID …] --out F.pdf [--top N]
    parksite report project --saved ID [--parcel ID …] --out F.pdf
    parksite report evaluation --year Y --out F.pdf [--lang en]
    parksite report notices --as-of DATE [--enterprise NAME] --out F.pdf

``report parcel`` writes the 地块选址报告 of one parcel of the zone file's own parcels (scored
from the zone's GeoPackage and DEMs): location and slope-class maps, slope, earthwork,
distances, constraints, the suitability breakdown and the 标准地 sheet. The PDF is written
under a temporary name and renamed into place, so a failed run leaves no file.

``report project`` writes the 项目准入审查意见 of a project file on a site (one parcel or
adjacent ones): the project's figures, the verdict, every rule with value, threshold and
source, the land basis, the recommended sites on a map and a signature block. With
``PARKSITE_DATABASE_URL`` set, the check sees the database's zone state, as ``parksite check``.
``--saved ID`` prints it for a project of the database's register, on its recorded site (or the
``--parcel`` given), as ``GET /api/v1/reports/projects/{id}`` does.

``report evaluation`` writes the year's 亩均效益评价结果 and ``report notices`` the supervision
letters (闲置土地 / 清退 notices) of the cases on a date, both from the database
(``--database-url``, default ``PARKSITE_DATABASE_URL``, else the SpatiaLite file in the state
directory), as the API does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

from app.commands.db import DatabaseUrl
from app.commands.lang import LANG_HELP, current, error_line, set_lang
from app.errors import exit_code_for
from app.i18n import text
from gis.errors import ParksiteError

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

report_app = typer.Typer(name="report", help="打印文件 Printed documents (PDF).", no_args_is_help=True)


def _zone_file(zone: Path | None) -> Path:
    if zone is not None:
        return zone
    from app.settings import get_settings

    return get_settings().zone_file


def write_atomically(out: Path, data: bytes) -> None:
    """Write ``data`` to ``out`` through a temporary file renamed into place."""
    tmp = out.with_name(f".{out.name}.part")
    tmp.write_bytes(data)
    tmp.replace(out)


@report_app.command("parcel")
def parcel(
    parcel_id: str = typer.Argument(..., help="parcel id, e.g. ST-0001"),
    out: Path = typer.Option(..., "--out", "-o", help="PDF file to write"),
    zone: Path = typer.Option(None, "--zone", help="zone file (default: PARKSITE_ZONE_FILE)"),
    date: str = typer.Option(None, "--date", help="date printed in the header, YYYY-MM-DD (default: today)"),
    lang: str = typer.Option(None, "--lang", help=LANG_HELP),
) -> None:
    """地块选址报告 The site report of one parcel as a PDF (maps, slope, distances, breakdown, 标准地)."""
    from app.reports.parcel import parcel_report
    from app.reports.sources import parcel_inputs_from_files

    lang = set_lang(lang) if lang else current()
    on = _date(date, lang)

    def build() -> bytes:
        inp = parcel_inputs_from_files(_zone_file(zone), parcel_id)
        return parcel_report(
            inp.zone,
            inp.facts,
            inp.geometry,
            inp.crs,
            inp.maps,
            lang=lang,
            on=on,
            illustrative=inp.illustrative,
        )

    _write(build, out, lang)


@report_app.command("project")
def project(
    project_file: Path = typer.Option(None, "--project", help="project file (YAML or JSON)"),
    saved: int = typer.Option(
        None, "--saved", min=1, help="id of a project saved in the database's register (instead of --project)"
    ),
    parcel: list[str] = typer.Option(
        None,
        "--parcel",
        help="parcel id of the site, repeatable (adjacent parcels); with --saved: default its recorded site",
    ),
    out: Path = typer.Option(..., "--out", "-o", help="PDF file to write"),
    zone: Path = typer.Option(None, "--zone", help="zone file (default: PARKSITE_ZONE_FILE)"),
    database_url: str | None = DatabaseUrl,
    top: int = typer.Option(5, "--top", min=1, help="recommended sites shown"),
    date: str = typer.Option(None, "--date", help="date printed in the header, YYYY-MM-DD (default: today)"),
    lang: str = typer.Option(None, "--lang", help=LANG_HELP),
) -> None:
    """项目准入审查意见 The review opinion of a project on a site as a PDF (rules, land, recommendations)."""
    from app.reports.review import review_report
    from app.reports.sources import review_inputs_from_files

    lang = set_lang(lang) if lang else current()
    on = _date(date, lang)
    if (project_file is None) == (saved is None):
        err_console.print(escape(text("cli.report.project_or_saved", lang)))
        raise typer.Exit(2)
    if project_file is not None and not parcel:
        err_console.print(escape(text("cli.report.parcel_needed", lang)))
        raise typer.Exit(2)

    def build() -> bytes:
        if saved is not None:
            inp = _saved_review_inputs(database_url, saved, list(dict.fromkeys(parcel or [])), top)
        else:
            inp = review_inputs_from_files(
                project_file, _zone_file(zone), list(dict.fromkeys(parcel)), top=top
            )
        return review_report(
            inp.zone,
            inp.project,
            inp.parcels,
            inp.site_ids,
            inp.result,
            inp.recommendation,
            inp.maps,
            lang=lang,
            on=on,
            illustrative=inp.illustrative,
        )

    _write(build, out, lang)


@dataclass(frozen=True)
class _CliState:
    """What the API's check reads of its server state: the settings, and the data-version cache
    its zone state is kept in (here one per command: the CLI runs one check)."""

    settings: Any
    versions: Any


def _saved_review_inputs(database_url: str | None, project_id: int, parcels: list[str], top: int) -> Any:
    """Return the review inputs of saved project ``project_id`` on ``parcels`` (default: its
    recorded site), checked on the database's zone state as ``GET /api/v1/reports/projects/{id}``
    does. NotFoundError for an unknown project; SchemaError when it has no site."""
    from sqlalchemy.orm import sessionmaker

    from app.api.reports import review_inputs_from_database, saved_project_site
    from app.db.data_version import DataVersionCache
    from app.settings import Settings
    from gis.errors import SchemaError
    from gis.messages import msg

    with _session(database_url) as (s, zone_row):
        data, recorded = saved_project_site(s, zone_row, project_id)
        ids = parcels or recorded
        if not ids:
            raise SchemaError(
                f"project {project_id} has no recorded site: give --parcel",
                where="--parcel",
                hint="e.g. --parcel SC-0001",
                msg=msg("error.report.no_site_cli", project=project_id),
            )
        state = _CliState(Settings(), DataVersionCache(sessionmaker(bind=s.get_bind())))
        return review_inputs_from_database(s, state, data, ids, top=top)


@report_app.command("evaluation")
def evaluation(
    year: int = typer.Option(..., "--year", help="the evaluated year"),
    out: Path = typer.Option(..., "--out", "-o", help="PDF file to write"),
    zone: Path = typer.Option(None, "--zone", help="zone file with the method (default: PARKSITE_ZONE_FILE)"),
    database_url: str | None = DatabaseUrl,
    date: str = typer.Option(None, "--date", help="date printed in the header, YYYY-MM-DD (default: today)"),
    lang: str = typer.Option(None, "--lang", help=LANG_HELP),
) -> None:
    """亩均效益评价结果 The year's evaluation as a PDF (method, class tables, map by class, D list)."""
    from app.api.reports import evaluation_inputs_from_database
    from app.reports.evaluation import evaluation_report

    lang = set_lang(lang) if lang else current()
    on = _date(date, lang)

    def build() -> bytes:
        with _session(database_url) as (s, zone_row):
            inp = evaluation_inputs_from_database(s, zone_row, _zone_file(zone), year)
        return evaluation_report(
            inp.zone,
            inp.evaluation,
            inp.parcels_of,
            inp.maps,
            lang=lang,
            on=on,
            illustrative=inp.illustrative,
        )

    _write(build, out, lang)


@report_app.command("notices")
def notices(
    as_of: str = typer.Option(..., "--as-of", help="the date the cases are judged on, YYYY-MM-DD"),
    out: Path = typer.Option(..., "--out", "-o", help="PDF file to write"),
    enterprise: str = typer.Option(None, "--enterprise", help="only this enterprise's letters (its name)"),
    database_url: str | None = DatabaseUrl,
    date: str = typer.Option(None, "--date", help="date of the letters, YYYY-MM-DD (default: --as-of)"),
    lang: str = typer.Option(None, "--lang", help=LANG_HELP),
) -> None:
    """闲置土地 / 清退 notices: one letter (page) per supervision case on a date, as a PDF."""
    from app.api.reports import notice_inputs_from_database
    from app.reports.notices import notices_report

    lang = set_lang(lang) if lang else current()
    day = _date(as_of, lang, "--as-of")
    on = _date(date, lang)
    assert day is not None

    def build() -> bytes:
        with _session(database_url) as (s, zone_row):
            inp = notice_inputs_from_database(s, zone_row, day, enterprise or None)
        return notices_report(inp.zone, inp.letters, inp.maps, day, lang=lang, on=on)

    _write(build, out, lang)


@contextmanager
def _session(database_url: str | None) -> Iterator[tuple[Any, Any]]:
    """Yield a read session on the database and the zone it serves; the engine is closed after."""
    from app.api.store import served_zone
    from app.commands.db import _ready_engine
    from app.db.engine import session_factory
    from app.settings import Settings

    engine = _ready_engine(database_url)
    try:
        with session_factory(engine)() as s:
            yield s, served_zone(s, Settings())
    finally:
        engine.dispose()


def _write(build: Callable[[], bytes], out: Path, lang: str) -> None:
    """Write the PDF ``build`` returns to ``out`` (atomically) and say so; a domain error is one
    line in ``lang`` and its exit code, with nothing written."""
    try:
        data = build()
        write_atomically(out, data)
    except ParksiteError as exc:
        err_console.print(f"[red]{escape(error_line(exc, lang))}[/red]", soft_wrap=True)
        raise typer.Exit(exit_code_for(exc)) from exc
    console.print(escape(text("cli.report.written", lang, path=str(out), kb=f"{len(data) / 1024:,.0f}")))


def _date(value: str | None, lang: str, option: str = "--date") -> dt.date | None:
    """Return ``option``'s value as a date (None: not given); exit 2 with a message when it is
    not one."""
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        err_console.print(escape(text("cli.report.bad_date", lang, value=value, option=option)))
        raise typer.Exit(2) from None


def register(cli: typer.Typer) -> None:
    """Add the ``report`` command group to ``cli``."""
    cli.add_typer(report_app, name="report")
