"""``parksite land import FILE`` and ``parksite supervise --as-of DATE``: land contracts and
their supervision (供后监管) from the command line.

The same database and service functions as the API (``POST /land/contracts/import``,
``GET /supervision``): ``--database-url`` (default ``PARKSITE_DATABASE_URL``, else the SpatiaLite
file in the state directory). An import is all or nothing and audited under ``cli:<login>``.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from app.commands.db import DatabaseUrl, _cli_user, _ready_engine
from app.commands.lang import current
from app.i18n import text
from app.settings import Settings

console = Console(highlight=False)
land_app = typer.Typer(help="供地 Land contracts and progress: import.", no_args_is_help=True)


def _zone(session: Any) -> Any:
    from app.api.store import served_zone

    return served_zone(session, Settings())


def parse_day(value: str, option: str = "--as-of") -> dt.date:
    """Return a ``YYYY-MM-DD`` date; a usage error naming ``option`` otherwise."""
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(text("cli.bad_date", current(), value=value), param_hint=option) from None


@land_app.command("import")
def land_import(
    file: Path = typer.Argument(..., help="contracts and progress, XLSX or CSV (Chinese or English headers)"),
    database_url: str | None = DatabaseUrl,
) -> None:
    """Import land contracts and their progress; every row is checked, and one bad row refuses
    the file (nothing is written)."""
    from app.db.contracts import import_contract_table
    from app.db.engine import session_factory, transaction
    from app.db.rules import zone_rules
    from gis.tables import read_table

    frame, _ = read_table(file)
    engine = _ready_engine(database_url)
    try:
        with transaction(session_factory(engine)) as ws:
            zone = _zone(ws)
            counts = import_contract_table(
                ws, zone.id, zone_rules(ws, zone.id).config, frame, _cli_user(None)
            )
    finally:
        engine.dispose()
    console.print("[green]OK[/green] " + text("land.imported", current(), **counts))


def supervise(
    as_of: str = typer.Option(..., "--as-of", help="the date to judge on, YYYY-MM-DD"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
    database_url: str | None = DatabaseUrl,
) -> None:
    """List the supervision cases (idle land, clearance, 达产复核) on a date."""
    from app.db.contracts import supervision_report, supervision_rules
    from app.db.engine import session_factory
    from app.db.rules import zone_rules

    day = parse_day(as_of)
    engine = _ready_engine(database_url)
    try:
        with session_factory(engine)() as s:
            zone = _zone(s)
            config = zone_rules(s, zone.id).config
            report = supervision_report(s, zone.id, config, day)
            rules = supervision_rules(config).rules
    finally:
        engine.dispose()
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    lang = current()
    if not report["cases"]:
        console.print(text("supervision.none", lang, as_of=report["as_of"]))
        return
    console.print(text("supervision.title_as_of", lang, as_of=report["as_of"]), style="bold")
    col = {
        k: text(f"supervision.col.{k}", lang)
        for k in ("since", "days_overdue", "action", "next_deadline", "source")
    }
    for i, c in enumerate(report["cases"], 1):
        rule = rules[c["rule"]]
        action = text(f"supervision.action.{c['action']}", lang)
        if c["fee_wan"] is not None:
            action += text("supervision.fee", lang, fee=f"{c['fee_wan']:,.2f}")
        console.print(
            f"{i}. {rule.name_en if lang == 'en' else rule.name} — {c['enterprise']} ({'、'.join(c['parcel_ids'])})",
            style="bold",
        )
        console.print(
            f"   {col['since']} {c['since']} · {col['days_overdue']} {c['days_overdue']} · "
            f"{col['next_deadline']} {c['next_deadline'] or '—'}"
        )
        console.print(f"   {col['action']}: {action}")
        console.print(f"   {col['source']}: {c['source']}")


def register(cli: typer.Typer) -> None:
    """Add ``land`` and ``supervise`` to the parksite CLI."""
    cli.add_typer(land_app, name="land")
    cli.command("supervise")(supervise)
