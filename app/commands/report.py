"""``parksite report``: printed documents as PDF.

::

    parksite report parcel ID --out F.pdf [--zone ZONE.yaml] [--date YYYY-MM-DD] [--lang zh|en]
    parksite report project --project FILE --parcel ID [--parcel ID …] --out F.pdf [--top N]

``report parcel`` writes the 地块选址报告 of one parcel of the zone file's own parcels (scored
from the zone's GeoPackage and DEMs): location and slope-class maps, slope, earthwork,
distances, constraints, the suitability breakdown and the 标准地 sheet. The PDF is written
under a temporary name and renamed into place, so a failed run leaves no file.

``report project`` writes the 项目准入审查意见 of a project file on a site (one parcel or
adjacent ones): the project's figures, the verdict, every rule with value, threshold and
source, the land basis, the recommended sites on a map and a signature block. With
``PARKSITE_DATABASE_URL`` set, the check sees the database's zone state, as ``parksite check``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

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
    project_file: Path = typer.Option(..., "--project", help="project file (YAML or JSON)"),
    parcel: list[str] = typer.Option(
        ..., "--parcel", help="parcel id of the site, repeatable (adjacent parcels)"
    ),
    out: Path = typer.Option(..., "--out", "-o", help="PDF file to write"),
    zone: Path = typer.Option(None, "--zone", help="zone file (default: PARKSITE_ZONE_FILE)"),
    top: int = typer.Option(5, "--top", min=1, help="recommended sites shown"),
    date: str = typer.Option(None, "--date", help="date printed in the header, YYYY-MM-DD (default: today)"),
    lang: str = typer.Option(None, "--lang", help=LANG_HELP),
) -> None:
    """项目准入审查意见 The review opinion of a project on a site as a PDF (rules, land, recommendations)."""
    from app.reports.review import review_report
    from app.reports.sources import review_inputs_from_files

    lang = set_lang(lang) if lang else current()
    on = _date(date, lang)

    def build() -> bytes:
        inp = review_inputs_from_files(project_file, _zone_file(zone), list(dict.fromkeys(parcel)), top=top)
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


def _date(value: str | None, lang: str) -> dt.date | None:
    """Return ``--date`` as a date (None: today); exit 2 with a message when it is not one."""
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        err_console.print(escape(text("cli.report.bad_date", lang, value=value)))
        raise typer.Exit(2) from None


def register(cli: typer.Typer) -> None:
    """Add the ``report`` command group to ``cli``."""
    cli.add_typer(report_app, name="report")
