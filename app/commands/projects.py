"""``parksite projects list|admit|revoke``: the project register (项目库) from the command line.

The same database and the same service functions as the API (``GET /projects``,
``POST/DELETE /projects/{id}/admission``): ``--database-url`` (default ``PARKSITE_DATABASE_URL``,
else the SpatiaLite file in the state directory); admitting re-checks the parcels and the spare
capacity after the projects admitted so far, and is audited under ``cli:<login>``.
"""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from app.commands.db import DatabaseUrl, _cli_user, _ready_engine
from app.settings import Settings

console = Console(highlight=False)
projects_app = typer.Typer(help="项目库 The project register: list, admit, revoke.", no_args_is_help=True)

#: Register statuses and their Chinese names (洽谈 / 已审查 / 已准入 / 已撤销).
STATUS_ZH = {"negotiating": "洽谈", "reviewed": "已审查", "admitted": "已准入", "revoked": "已撤销"}


def project_line(session: Any, p: Any) -> dict[str, Any]:
    """Return a register row as JSON-ready data: id, name, industry, status, parcels, investment
    (万元), land (亩), water (m³/d), power (kW), created and admitted (ISO dates)."""
    from app.db.admissions import active_admission, admission_state

    adm = admission_state(active_admission(session, p.id))
    return {
        "id": p.id,
        "name": p.name,
        "industry": p.industry,
        "branch": p.branch,
        "status": p.status,
        "parcel_ids": adm["parcel_ids"] if adm else [],
        "investment_wan": p.investment_wan,
        "land_mu": p.land_mu,
        "water_m3_per_day": p.water_m3_per_day,
        "power_kw": p.power_kw,
        "created_at": p.created_at.isoformat() if p.created_at else None,
        "created_by": p.created_by,
        "admitted_at": adm["admitted_at"] if adm else None,
    }


def _zone(session: Any) -> Any:
    from app.api.store import served_zone

    return served_zone(session, Settings())


@projects_app.command("list")
def projects_list(
    status: str | None = typer.Option(None, "--status", help="negotiating | reviewed | admitted | revoked"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
    database_url: str | None = DatabaseUrl,
) -> None:
    """List the register's projects, newest first."""
    from app.db.engine import session_factory
    from app.db.projects import projects_page

    if status is not None and status not in STATUS_ZH:
        raise typer.BadParameter(f"--status must be one of {', '.join(STATUS_ZH)}")
    engine = _ready_engine(database_url)
    try:
        with session_factory(engine)() as s:
            zone = _zone(s)
            _, rows = projects_page(s, zone.id, status=status, limit=100000, offset=0)
            lines = [project_line(s, p) for p in rows]
    finally:
        engine.dispose()
    if as_json:
        typer.echo(json.dumps(lines, ensure_ascii=False, indent=2))
        return
    table = Table()
    for col in (
        "id",
        "项目 name",
        "产业 industry",
        "状态 status",
        "地块 parcels",
        "投资 万元",
        "登记 created",
    ):
        table.add_column(col, overflow="fold")
    for r in lines:
        table.add_row(
            str(r["id"]),
            r["name"],
            r["industry"] or "—",
            f"{STATUS_ZH[r['status']]} {r['status']}",
            "、".join(r["parcel_ids"]) or "—",
            "—" if r["investment_wan"] is None else f"{r['investment_wan']:g}",
            (r["created_at"] or "")[:10],
        )
    console.print(table)


@projects_app.command("admit")
def projects_admit(
    project_id: int = typer.Argument(..., help="project id (parksite projects list)"),
    parcels: list[str] = typer.Option(
        ..., "--parcels", help="the parcels it was checked on (repeat or comma-list)"
    ),
    reason: str | None = typer.Option(None, "--reason", help="why (required when its check says review)"),
    yes: bool = typer.Option(False, "--yes", help="admit without asking"),
    database_url: str | None = DatabaseUrl,
) -> None:
    """Admit (准入登记) a saved project on the parcels it was checked on."""
    from app.db.admissions import admit_project, lock_zone
    from app.db.engine import session_factory, transaction
    from app.db.projects import project_in_zone
    from app.db.rules import zone_rules
    from app.db.zone_state import capacity_ledger

    codes = [c.strip() for p in parcels for c in p.split(",") if c.strip()]
    engine = _ready_engine(database_url)
    try:
        factory = session_factory(engine)
        with factory() as s:
            p = project_in_zone(s, _zone(s).id, project_id)
            ask = f"admit {p.name} (#{p.id}) on {', '.join(codes)}"
        if not yes and not typer.confirm(ask + "?"):
            raise typer.Abort()
        with transaction(factory) as ws:
            zone = _zone(ws)
            project_in_zone(ws, zone.id, project_id)
            lock_zone(ws, zone.id)
            ledger, _ = capacity_ledger(ws, zone.id, zone_rules(ws, zone.id).config)
            admit_project(ws, project_id, codes, _cli_user(None), ledger, reason=reason)
            line = project_line(ws, project_in_zone(ws, zone.id, project_id))
    finally:
        engine.dispose()
    console.print(
        f"[green]OK[/green] {line['name']} (#{line['id']}) 已准入 admitted on {'、'.join(line['parcel_ids'])}"
    )


@projects_app.command("revoke")
def projects_revoke(
    project_id: int = typer.Argument(..., help="project id"),
    reason: str | None = typer.Option(None, "--reason", help="why it is revoked"),
    database_url: str | None = DatabaseUrl,
) -> None:
    """Revoke a project's admission: its parcels and capacity come free (audited)."""
    from app.db.admissions import lock_zone, revoke_admission
    from app.db.engine import session_factory, transaction
    from app.db.projects import project_in_zone

    engine = _ready_engine(database_url)
    try:
        with transaction(session_factory(engine)) as ws:
            zone = _zone(ws)
            project_in_zone(ws, zone.id, project_id)
            lock_zone(ws, zone.id)
            adm = revoke_admission(ws, project_id, _cli_user(None), reason=reason)
            name = project_in_zone(ws, zone.id, project_id).name
            freed = [x.parcel_code for x in adm.parcels]
    finally:
        engine.dispose()
    console.print(f"[green]OK[/green] {name} (#{project_id}) 已撤销 revoked; {'、'.join(freed)} free again")


def register(cli: typer.Typer) -> None:
    """Add ``projects`` to the parksite CLI."""
    cli.add_typer(projects_app, name="projects")
