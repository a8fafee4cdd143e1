"""``parksite evaluate`` and ``parksite figures import``: the 亩均效益综合评价.

``evaluate --year Y --figures FILE`` evaluates the file alone (no database); without
``--figures`` the figures come from the database (``--database-url``, default
``PARKSITE_DATABASE_URL``, else the SpatiaLite file in the state directory), where
``figures import FILE --year Y`` puts them (all or nothing, audited under ``cli:<login>``).
The method is the zone file's ``data.evaluation`` (``--zone``, default the settings' zone file).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from app.commands.db import DatabaseUrl, _cli_user, _ready_engine
from app.commands.lang import LANG_HELP, current, set_lang
from app.i18n import text

figures_app = typer.Typer(help="亩均效益数据 Yearly figures per enterprise: import.", no_args_is_help=True)

ZoneOption = typer.Option(None, "--zone", help="zone file (default: the settings' zone file)")


def _zone_file(zone: Path | None) -> Path:
    if zone is not None:
        return zone
    from app.settings import get_settings

    return get_settings().zone_file


def evaluation_from_db(database_url: str | None, zone_file: Path, year: int) -> tuple[Any, bool]:
    """Return the evaluation of ``year`` from the database's figures (every year, for benchmarks
    derived from the year before) and whether those figures are the sample's illustrative ones."""
    from app.api.store import served_zone
    from app.db.engine import session_factory
    from app.db.figures import figures_by_year, figures_sources
    from app.scoring_io.evaluation import ILLUSTRATIVE
    from app.settings import Settings
    from scoring.evaluation import evaluate
    from scoring.evaluation_method import load_method

    method = load_method(zone_file)
    engine = _ready_engine(database_url)
    try:
        with session_factory(engine)() as s:
            zone_id = served_zone(s, Settings()).id
            by_year = figures_by_year(s, zone_id)
            illustrative = any(ILLUSTRATIVE in src for src in figures_sources(s, zone_id, year))
    finally:
        engine.dispose()
    return evaluate(method, year, by_year), illustrative


def evaluate_cmd(
    year: int = typer.Option(..., "--year", help="the evaluated year"),
    figures: Path | None = typer.Option(
        None, "--figures", help="XLSX/CSV of the year's figures (no database)"
    ),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
    xlsx: Path | None = typer.Option(None, "--xlsx", help="also write the workbook an office files"),
    zone: Path | None = ZoneOption,
    database_url: str | None = DatabaseUrl,
    lang: str = typer.Option("", "--lang", help=LANG_HELP),
) -> None:
    """亩均效益综合评价: per enterprise every indicator's value, benchmark, weight and points, the
    score, rank and class (A/B/C/D; T exempt)."""
    from app.scoring_io.figures import read_figures
    from scoring.evaluation import evaluate
    from scoring.evaluation_method import load_method

    lang = set_lang(lang) if lang else current()
    zone_file = _zone_file(zone)
    illustrative = False
    if figures is not None:
        ev = evaluate(load_method(zone_file), year, {year: read_figures(figures, year)})
    else:
        ev, illustrative = evaluation_from_db(database_url, zone_file, year)
    if xlsx is not None:
        from app.exports.evaluation import write_evaluation

        write_evaluation(ev, xlsx, lang, illustrative=illustrative)  # type: ignore[arg-type]
    if as_json:
        typer.echo(json.dumps(ev.to_dict() | {"illustrative": illustrative}, ensure_ascii=False, indent=2))
        return
    _print(ev, lang)
    if illustrative:
        typer.echo(text("report.cli.illustrative", lang))
    if xlsx is not None:
        typer.echo(text("eval.cli.written", lang, path=str(xlsx)))


def _print(ev: Any, lang: str) -> None:
    from app.exports.evaluation import GROUP_IDS

    counts = ev.class_counts()
    con = Console(highlight=False, soft_wrap=False)
    con.print(
        text(
            "eval.cli.head",
            lang,
            year=ev.year,
            n=len(ev.enterprises),
            a=counts.get("A", 0),
            b=counts.get("B", 0),
            c=counts.get("C", 0),
            d=counts.get("D", 0),
            t=counts.get("T", 0),
        )
    )
    table = Table()
    for col in ("eval.col.rank", "eval.col.enterprise", "eval.col.scope", "eval.col.score", "eval.col.class"):
        table.add_column(text(col, lang))
    for e in ev.enterprises:
        table.add_row(
            "" if e.rank is None else str(e.rank),
            e.name,
            text(GROUP_IDS[e.scope], lang),
            "" if e.score is None else f"{e.score:.2f}",
            e.klass or "",
        )
    con.print(table)


@figures_app.command("import")
def figures_import(
    file: Path = typer.Argument(..., help="XLSX or CSV, Chinese or English headers"),
    year: int = typer.Option(..., "--year", help="the year the figures are for"),
    user: str | None = typer.Option(None, "--user", help="name in the audit log (default cli:<login>)"),
    database_url: str | None = DatabaseUrl,
    lang: str = typer.Option("", "--lang", help=LANG_HELP),
) -> None:
    """Import a year's figures per enterprise into the database: every row checked (row, column,
    what is wrong), all or nothing."""
    from app.api.store import served_zone
    from app.db.engine import session_factory
    from app.db.figures import import_figures
    from app.scoring_io.figures import read_figures
    from app.settings import Settings

    lang = set_lang(lang) if lang else current()
    rows = read_figures(file, year)
    engine = _ready_engine(database_url)
    try:
        with session_factory(engine)() as s, s.begin():
            zone_id = served_zone(s, Settings()).id
            added, updated = import_figures(
                s, zone_id, year, rows, user=_cli_user(user), source=file.name, where=file.name
            )
    finally:
        engine.dispose()
    typer.echo(text("figures.cli.imported", lang, year=year, n=len(rows), added=added, updated=updated))


def zone_report_cmd(
    year: int = typer.Option(..., "--year", help="the year reported"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
    zone: Path | None = ZoneOption,
    database_url: str | None = DatabaseUrl,
    lang: str = typer.Option("", "--lang", help=LANG_HELP),
) -> None:
    """开发区土地集约利用评价 (TD/T 1029) per park and zone, and progress toward 表6-1, from the
    database's parcels and the year's figures; "no data" where an input is missing."""
    from app.api.store import served_zone
    from app.db.engine import session_factory
    from app.i18n import render_value
    from app.scoring_io.evaluation import zone_report_in_db
    from app.settings import Settings

    lang = set_lang(lang) if lang else current()
    engine = _ready_engine(database_url)
    try:
        with session_factory(engine)() as s:
            report = zone_report_in_db(s, served_zone(s, Settings()).id, _zone_file(zone), year)
    finally:
        engine.dispose()
    report = render_value(report, lang)
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    con = Console(highlight=False, soft_wrap=False)
    con.print(text("report.cli.head", lang, year=year, title=report["title"]))
    zh = lang == "zh"
    for area in report["areas"]:
        table = Table(title=area["name"] if zh else area["name_en"])
        for col in ("report.col.indicator", "report.col.value", "report.col.unit", "report.col.note"):
            table.add_column(text(col, lang))
        for ind in area["indicators"]:
            value = "" if ind["value"] is None else f"{ind['value']:,.2f}"
            table.add_row(ind["name"] if zh else ind["name_en"], value, ind["unit"], ind["no_data"] or "")
        con.print(table)
    table = Table(title=text("report.cli.progress", lang))
    table.add_column(text("report.col.indicator", lang))
    table.add_column(text("report.col.baseline", lang, year=report["baseline_year"]))
    table.add_column(text("report.col.current", lang))
    table.add_column(text("report.col.target", lang, year=report["targets_year"]))
    table.add_column(text("report.col.unit", lang))
    for p in report["progress"]:
        cells = ["" if p[k] is None else f"{p[k]:,.2f}" for k in ("baseline", "current", "target")]
        table.add_row(p["name"] if zh else p["name_en"], *cells, p["unit"])
    con.print(table)
    if report.get("illustrative"):
        con.print(text("report.cli.illustrative", lang))


def register(cli: typer.Typer) -> None:
    """Add ``evaluate``, ``zone-report`` and the ``figures`` group to ``cli``."""
    cli.command("evaluate")(evaluate_cmd)
    cli.command("zone-report")(zone_report_cmd)
    cli.add_typer(figures_app, name="figures")
